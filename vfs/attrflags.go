package vfs

import "golang.org/x/sys/unix"

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
	FlagSecRm       = 0x1
	FlagUnrm        = 0x2
	FlagCompr       = 0x4
	FlagSync        = 0x8
	FlagImmutable   = 0x10
	FlagAppend      = 0x20
	FlagNodump      = 0x40
	FlagNoatime     = 0x80
	FlagNocompr     = 0x400
	FlagNotail      = 0x8000
	FlagDax         = 0x02000000
	FlagProjInherit = 0x20000000
)

// FlagsInherited are the attribute flags a new file takes from the
// directory it is made in (Linux's EXT4_FL_INHERITED, of the flags kite
// names): each file system keeps those of them it has (tmpfs no-dump and
// no-atime, ext4 those it supports), and the overlay drops them from a
// copy-up, which Linux makes in its work directory.
const FlagsInherited = FlagSecRm | FlagUnrm | FlagCompr | FlagSync | FlagNodump | FlagNoatime | FlagNocompr | FlagNotail

// flagsCommon are the flags that have an xflag too (FS_COMMON_FL).
const flagsCommon = FlagSync | FlagImmutable | FlagAppend | FlagNodump | FlagNoatime | FlagDax | FlagProjInherit

// The ioctls (linux/fs.h).
const (
	IoctlFSGetFlags = 0x80086601 // FS_IOC_GETFLAGS
	IoctlFSSetFlags = 0x40086602 // FS_IOC_SETFLAGS
	IoctlFSGetXattr = 0x801c581f // FS_IOC_FSGETXATTR
	IoctlFSSetXattr = 0x401c5820 // FS_IOC_FSSETXATTR
	FsxattrSize     = 28         // struct fsxattr
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
