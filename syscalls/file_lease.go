package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// fcntlLease is fcntl's F_SETLEASE and F_GETLEASE (vfs/lease.go). The
// caller's process becomes the file's owner for the break signal unless
// it has one.
func fcntlLease(t *kernel.Task, f *vfs.File, fd int32, cmd int, arg uintptr) (uintptr, error) {
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if cmd == unix.F_GETLEASE {
		return uintptr(f.VFS().GetLease(f)), nil
	}
	o, err := t.NewFileOwner(kernel.OwnerPID, t.PID())
	if err != nil {
		return 0, err
	}
	return 0, f.VFS().SetLease(t, f, fd, int(int32(arg)), o)
}
