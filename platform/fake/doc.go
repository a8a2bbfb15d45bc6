// Package fake is a scripted platform for tests of the kernel and the
// system call handlers that need no ptrace: application code is a Go
// function (a Script) that makes system calls and takes faults by
// setting registers, and sees the kernel's results in the registers it
// gets back. Address spaces only record their mappings; the memory
// itself is the memory file the kernel copies to and from, as with a
// real platform.
//
// A Script runs in its own goroutine, in lock step with the task's run
// loop: while the script runs the task is "in application code" (inside
// Switch); while the kernel works the script waits. Each thread the
// kernel starts takes the next script given to the Platform; ELF returns
// a minimal static executable for the kernel to load.
//
// fake imports platform and arch.
package fake
