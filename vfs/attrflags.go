package vfs

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Inode attribute flags (FS_IOC_GETFLAGS, FS_IOC_SETFLAGS; lsattr and
// chattr). The VFS enforces the two that change what may be done with
// a file, as Linux does for every file system: an immutable file
// (FS_IMMUTABLE_FL) may not be opened for writing, truncated, renamed,
// unlinked, linked to, or have its attributes, times or extended
// attributes changed, and an immutable directory gets no new or removed
// entries; an append-only file (FS_APPEND_FL) may be opened for writing
// only with O_APPEND, never truncated, renamed, unlinked or linked to,
// and an append-only directory gets new entries but loses none. Setting
// or clearing either needs CAP_LINUX_IMMUTABLE. FS_NOATIME_FL stops
// access-time updates.
const (
	FlagSecRm     = 0x1
	FlagUnrm      = 0x2
	FlagCompr     = 0x4
	FlagSync      = 0x8
	FlagImmutable = 0x10
	FlagAppend    = 0x20
	FlagNodump    = 0x40
	FlagNoatime   = 0x80
)

// The ioctls (linux/fs.h).
const (
	IoctlFSGetFlags  = 0x80086601 // FS_IOC_GETFLAGS
	IoctlFSSetFlags  = 0x40086602 // FS_IOC_SETFLAGS
	IoctlFSGetXattr  = 0x801c581f // FS_IOC_FSGETXATTR
	fsxattrSize      = 28
	fsXflagImmutable = 0x8
	fsXflagAppend    = 0x10
	fsXflagSync      = 0x20
	fsXflagNoatime   = 0x40
	fsXflagNodump    = 0x80
)

// AttrFlagsInode is implemented by inodes whose file system keeps
// attribute flags (tmpfs, ext4). AttrFlags returns them as
// FS_IOC_GETFLAGS reports them. SetAttrFlags replaces them after the
// VFS checked the mount (EROFS), ownership (EPERM) and
// CAP_LINUX_IMMUTABLE: the file system refuses flags it does not support
// (EOPNOTSUPP), keeps those it does not let users change, and updates
// the change time to ctime.
type AttrFlagsInode interface {
	AttrFlags() uint32
	SetAttrFlags(ctx Context, flags uint32, ctime unix.Timespec) error
}

// attrFlags returns in's attribute flags (0 when its file system keeps
// none).
func attrFlags(in Inode) uint32 {
	if a, ok := in.(AttrFlagsInode); ok {
		return a.AttrFlags()
	}
	return 0
}

// IsAppendOnly reports whether f's file is append-only (fcntl's F_SETFL
// may not clear O_APPEND on it).
func (f *File) IsAppendOnly() bool {
	return f.path.Dentry != nil && attrFlags(f.path.Dentry.inode)&FlagAppend != 0
}

// IsImmutable reports whether f's file is immutable (copy_file_range
// may not write to it, even through a descriptor opened before).
func (f *File) IsImmutable() bool {
	return f.path.Dentry != nil && attrFlags(f.path.Dentry.inode)&FlagImmutable != 0
}

// noChange returns EPERM when d's inode is immutable or append-only:
// what Linux refuses for a change of mode, owner, times or extended
// attributes, a hard link, and a removal or rename of it.
func noChange(d *Dentry) error {
	if attrFlags(d.inode)&(FlagImmutable|FlagAppend) != 0 {
		return unix.EPERM
	}
	return nil
}

// attrFlagsIoctl carries out FS_IOC_GETFLAGS, FS_IOC_SETFLAGS and
// FS_IOC_FSGETXATTR on f; ok is false for other commands, for special
// files and for files whose file system keeps no flags (ENOTTY then comes from the file's
// own ioctl).
func (f *File) attrFlagsIoctl(ctx Context, io UserIO, cmd uint32, arg uintptr) (r uintptr, err error, ok bool) {
	if cmd != IoctlFSGetFlags && cmd != IoctlFSSetFlags && cmd != IoctlFSGetXattr {
		return 0, nil, false
	}
	d := f.path.Dentry
	if d == nil || (d.typ != unix.S_IFREG && d.typ != unix.S_IFDIR) {
		// Linux's file systems give their special files no fileattr
		// operations: the fifo's or device's own ioctl answers.
		return 0, nil, false
	}
	a, ok := d.inode.(AttrFlagsInode)
	if !ok {
		return 0, nil, false
	}
	switch cmd {
	case IoctlFSGetFlags:
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], a.AttrFlags())
		if _, err := io.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT, true
		}
		return 0, nil, true
	case IoctlFSGetXattr:
		fl := a.AttrFlags()
		var x uint32
		for _, m := range [...][2]uint32{{FlagImmutable, fsXflagImmutable}, {FlagAppend, fsXflagAppend},
			{FlagSync, fsXflagSync}, {FlagNoatime, fsXflagNoatime}, {FlagNodump, fsXflagNodump}} {
			if fl&m[0] != 0 {
				x |= m[1]
			}
		}
		var b [fsxattrSize]byte
		binary.LittleEndian.PutUint32(b[:], x)
		if _, err := io.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT, true
		}
		return 0, nil, true
	}
	var b [4]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return 0, unix.EFAULT, true
	}
	flags := binary.LittleEndian.Uint32(b[:])
	if f.path.Mount.ReadOnly() {
		return 0, unix.EROFS, true
	}
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return 0, err, true
	}
	if !isOwner(ctx, &st) {
		return 0, unix.EPERM, true
	}
	if (flags^a.AttrFlags())&(FlagImmutable|FlagAppend) != 0 && !ctx.Credentials().HasGlobalCapability(unix.CAP_LINUX_IMMUTABLE) {
		return 0, unix.EPERM, true
	}
	if err := a.SetAttrFlags(ctx, flags, f.vfs.NowTimespec()); err != nil {
		return 0, err, true
	}
	f.refuseMappedWrites()
	return 0, nil, true
}
