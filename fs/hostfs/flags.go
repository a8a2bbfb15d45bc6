package hostfs

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Attribute flags are the host file's: FS_IOC_GETFLAGS,
// FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR and FS_IOC_FSSETXATTR on an open
// host file or directory, and file_getattr and file_setattr on one by
// path, are passed to the host (vfs.HostAttrInode), which answers ENOTTY
// or EOPNOTSUPP where its file system keeps none, as a Linux program on
// the host would see them. The VFS checks the program's right to change
// them first (the host checks kite's). The host enforces them (an
// immutable host file cannot be opened for writing); kite's VFS does
// not, since inode is not a vfs.AttrFlagsInode. Special files and
// symlinks keep none (ENOTTY): kite never opens them on the host.

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
	fd, err := i.openForAttrs()
	if err != nil {
		return 0
	}
	defer closeFD(fd)
	fl, err := flagsFD(fd)
	if err != nil {
		return 0
	}
	return fl
}

// openForAttrs opens i's host file, a regular file or directory, for
// reading, to get or set its attribute flags (the caller closes the fd):
// ENOTTY for other files, EACCES for a sealed directory.
func (i *inode) openForAttrs() (int, error) {
	switch {
	case i.typ == unix.S_IFDIR && i.sealed:
		return -1, unix.EACCES
	case i.typ == unix.S_IFDIR:
		pathFD, release, err := i.acquireDir()
		if err != nil {
			return -1, err
		}
		defer release()
		return openDirFD(pathFD)
	case i.typ == unix.S_IFREG:
		dirfd, name, release, err := i.location()
		if err != nil {
			return -1, err
		}
		defer release()
		return openRegularAt(dirfd, name, i.key.dev, i.key.ino)
	}
	return -1, unix.ENOTTY
}

// HostAttrIoctl implements vfs.HostAttrInode: cmd is carried out on the
// host file f has open, or on i's host file opened for it when f is nil.
// Sets need a writable tree (EROFS).
func (i *inode) HostAttrIoctl(ctx vfs.Context, f *vfs.File, cmd uint32, arg []byte) error {
	set := cmd == vfs.IoctlFSSetFlags || cmd == vfs.IoctlFSSetXattr
	if set && !i.fs.writable {
		return unix.EROFS
	}
	var o *openFD
	if f != nil {
		switch ops := f.Ops().(type) {
		case *regularFile:
			o = ops.fd
		case *dirFile:
			o = ops.fd
		}
	}
	var fd int
	if o != nil {
		hfd, _, done, err := o.acquire()
		if err != nil {
			return err
		}
		defer done()
		fd = hfd
	} else {
		hfd, err := i.openForAttrs()
		if err != nil {
			return err
		}
		defer closeFD(hfd)
		fd = hfd
	}
	err := attrIoctlFD(fd, cmd, arg)
	if set {
		// The host changed the file's change time and flags: read both
		// again at the next ask.
		i.forgetStat()
		i.mu.Lock()
		i.flagsKnown = false
		i.mu.Unlock()
	}
	return err
}
