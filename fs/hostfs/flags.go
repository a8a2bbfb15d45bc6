package hostfs

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Attribute flags are the host file's: FS_IOC_GETFLAGS on an open host
// file or directory asks the host (which answers ENOTTY or EOPNOTSUPP
// where its file system keeps none), as a Linux program on the host
// would see them. The host enforces them (an immutable host file cannot
// be opened for writing); kite's VFS does not see them, since inode has
// no SetAttrFlags, so FS_IOC_SETFLAGS and FS_IOC_FSGETXATTR are ENOTTY.

// AttrFlags returns the host file's attribute flags, 0 when the host
// gives none (an error, or a file that is not a regular file or
// directory). The overlay shows them for a hostfs lower layer, and the
// VFS asks for them at every open and write-permission check: they are
// read again only when the file's change time (from the attributes the
// operation has just read, see hostStat) differs from when they were
// last read, since setting them changes it.
func (i *inode) AttrFlags() uint32 {
	st, err := i.hostStat()
	if err != nil {
		return 0
	}
	i.mu.Lock()
	if i.flagsKnown && i.flagsCtime == st.Ctim {
		fl := i.flags
		i.mu.Unlock()
		return fl
	}
	i.mu.Unlock()
	fl := i.readFlags()
	i.mu.Lock()
	i.flags, i.flagsCtime, i.flagsKnown = fl, st.Ctim, true
	i.mu.Unlock()
	return fl
}

// readFlags asks the host for i's attribute flags (0 for none).
func (i *inode) readFlags() uint32 {
	var fd int
	switch {
	case i.typ == unix.S_IFDIR && !i.sealed:
		pathFD, release, err := i.acquireDir()
		if err != nil {
			return 0
		}
		fd, err = openDirFD(pathFD)
		release()
		if err != nil {
			return 0
		}
	case i.typ == unix.S_IFREG:
		dirfd, name, release, err := i.location()
		if err != nil {
			return 0
		}
		fd, err = openRegularAt(dirfd, name, i.key.dev, i.key.ino)
		release()
		if err != nil {
			return 0
		}
	default:
		return 0
	}
	defer closeFD(fd)
	fl, err := flagsFD(fd)
	if err != nil {
		return 0
	}
	return fl
}

// flagsIoctl carries out FS_IOC_GETFLAGS on the open host file o; other
// commands are ENOTTY.
func flagsIoctl(o *openFD, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != vfs.IoctlFSGetFlags {
		return 0, unix.ENOTTY
	}
	fd, _, done, err := o.acquire()
	if err != nil {
		return 0, err
	}
	fl, err := flagsFD(fd)
	done()
	if err != nil {
		return 0, err
	}
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], fl)
	if _, err := io.CopyOut(arg, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// Ioctl implements vfs.FileOperations.
func (r *regularFile) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	return flagsIoctl(r.fd, io, cmd, arg)
}

// Ioctl implements vfs.FileOperations.
func (d *dirFile) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	return flagsIoctl(d.fd, io, cmd, arg)
}
