package ipc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// anonInode answers fstat of an event file. On Linux every such file
// shares the one inode of anon_inodefs: mode 0600 with no file type,
// one link, owned by root.
type anonInode struct {
	vfs.InodeDefaults
}

// Stat implements vfs.Inode.
func (anonInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

// eventFileOps are the defaults every event file shares: it is a stream
// (pread and pwrite fail with ESPIPE), and what it does not override
// fails as Linux's anon_inode files do.
type eventFileOps struct {
	vfs.StreamFile
}

// newAnonFile returns an anonymous file named "anon_inode:[kind]" with
// ops, open for reading and writing with the status flags of flags
// (O_NONBLOCK).
func newAnonFile(ctx vfs.Context, v *vfs.VirtualFilesystem, kind string, ops vfs.FileOperations, flags int) (*vfs.File, error) {
	return v.NewAnonymousFile(ctx, "anon_inode:["+kind+"]", anonInode{}, ops, unix.O_RDWR|flags&unix.O_NONBLOCK)
}

// nonblocking reports whether f has O_NONBLOCK.
func nonblocking(f *vfs.File) bool { return f.Flags()&unix.O_NONBLOCK != 0 }

// waiter is a channel a blocked reader sleeps on and the wait entry that
// signals it, registered on a wait queue until done is called.
type waiter struct {
	ch    chan struct{}
	entry *vfs.WaitEntry
	q     *vfs.WaitQueue
}

// newWaiter registers a channel entry for mask on q that wakes wk (the
// waiting context's Waker, for its Park).
func newWaiter(q *vfs.WaitQueue, mask uint32, wk vfs.Waker) *waiter {
	w := &waiter{ch: make(chan struct{}, 1), q: q}
	w.entry = vfs.NewWakerEntry(mask, w.ch, wk)
	q.EventRegister(w.entry)
	return w
}

// done unregisters the entry.
func (w *waiter) done() { w.q.EventUnregister(w.entry) }
