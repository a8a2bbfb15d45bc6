// Package aio implements Linux's native asynchronous I/O contexts
// (io_setup and the rest; fs/aio.c in Linux): a Context owns the
// completion ring that io_setup maps into the process, so that
// user-space libraries (libaio) can read completions from memory as they
// do on Linux, and the requests that have not completed yet.
//
// The ring is a mm.SharedMemory object: the kernel writes events and the
// tail through it, and reads the head the application may advance in
// its own mapping. Requests are executed by the system call handlers;
// reads, writes and syncs complete before io_submit returns (as buffered
// I/O does on Linux), IOCB_CMD_POLL completes when its file becomes
// ready, from the file's wait queue.
//
// aio imports vfs and mm. Locking: Context.mu is taken before the ring
// object's lock (mm's) and before a file's wait-queue lock (through
// EventUnregister); wake-ups from a wait queue complete requests on a
// goroutine of their own, so no wait-queue lock is held when mu is taken.
package aio
