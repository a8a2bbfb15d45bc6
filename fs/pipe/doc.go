// Package pipe implements pipes and FIFOs: the pipe buffer (a ring of
// page-sized buffers, 16 pages by default, as Linux's), the file
// operations of the read and write ends, pipe(2)'s anonymous files on the
// pipefs pseudo file system, and the opener of FIFO inodes that vfs calls
// (InstallFIFOOpener).
//
// Blocking reads, writes and FIFO opens sleep through the vfs.Context's
// BlockOn, so a signal interrupts them. A write to a pipe with no readers
// sends SIGPIPE to the writer (the Context's SignalSelf) and fails with
// EPIPE.
//
// Splice, Tee, ToFile, FromFile, WriteSome and Read carry out splice(2),
// tee(2) and vmsplice(2) by copying (splice.go), never holding two
// pipes' locks at once.
//
// Locking: fifoTable.mu (the pipes of open FIFOs) comes before Pipe.mu;
// a pipe drops its mu while it sleeps, and no code holds two pipes' mu.
// The pipefs inode's mu (its attributes) is a leaf. Waiters are notified
// after Pipe.mu is released.
//
// It imports vfs and x/sys/unix.
package pipe
