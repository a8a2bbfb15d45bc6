package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// fcntlNotify is fcntl's F_NOTIFY (vfs/dnotify.go): the request belongs
// to the caller's fd table, and the caller's process becomes the
// directory file's owner for the signal unless it has one.
func fcntlNotify(t *kernel.Task, f *vfs.File, fd int32, arg uintptr) (uintptr, error) {
	if f.IsPath() {
		return 0, unix.EBADF
	}
	o, err := t.NewFileOwner(kernel.OwnerPID, t.PID())
	if err != nil {
		return 0, err
	}
	return 0, f.VFS().SetDirNotify(f, t.FDTable(), fd, uint32(arg), o)
}
