// Package ipc implements the event files of Linux: epoll instances,
// eventfd, timerfd and signalfd; System V IPC (shared memory over
// mm.SharedMemory, semaphores, message queues), one Namespace per IPC
// namespace, whose mu is a leaf lock; and POSIX message queues in an
// mqueue file system per IPC namespace (MQFS.mu before Queue.mu; a
// semaphore UndoList's mu before a Namespace's mu is never held: Release
// takes them one after the other).
//
// Every file here is an anonymous file (anon_inode:[eventpoll],
// anon_inode:[eventfd], ...) whose operations implement vfs.Waitable, so
// poll, select and epoll see their readiness through the VFS's one
// mechanism: a vfs.WaitQueue that each file notifies when its state
// changes. An epoll instance registers a vfs.WaitEntry on each watched
// file and keeps Linux's ready list; an epoll instance is itself
// Waitable, so epoll instances nest.
//
// Blocking reads sleep through the vfs.Context's BlockOn, so a signal
// interrupts them with the restart errno the task gives. epoll_wait sleeps through a function the caller passes
// (the task's BlockOn or BlockOnTimeout), so ipc needs no clock of its
// own. A timerfd reads its clock through a function given at creation.
// A signalfd read takes the reading thread's signals through the
// vfs.Context's Signals (vfs.Signals, which kernel.Task implements); ipc
// never imports kernel.
//
// An epoll instance holds no reference to the files it watches, as on
// Linux; an item whose file has been released (vfs.File.Released) is
// dropped when a scan meets it or when the interest list grows.
//
// Locking: the epoll order is on EventPoll (an instance's mu, then the
// mu of an instance it watches, then readyMu and graphMu; file locks under
// mu only). EventFD.mu, TimerFD.mu and SignalFD.mu are leaves: each
// guards its own counter, expiry or mask, and its wait queue is notified
// after it is released.
//
// ipc imports vfs, mm, auth, arch, abi/linux and x/sys/unix.
package ipc
