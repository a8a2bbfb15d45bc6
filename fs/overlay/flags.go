package overlay

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// flagsGetter is the half of vfs.AttrFlagsInode the overlay needs to
// report a layer's attribute flags. hostfs has only this half (the host
// file's flags, which kite's VFS neither enforces nor changes), so a
// host file shows its flags through the overlay too.
type flagsGetter interface {
	AttrFlags() uint32
}

// copiedFlags are the attribute flags a copy-up carries to the upper
// inode, as Linux's ovl_copy_fileattr (which keeps the immutable and
// append-only ones in an xattr instead; kite's overlay works on the
// upper inodes directly, past the VFS checks those flags would trip).
const copiedFlags = vfs.FlagSync | vfs.FlagNoatime | vfs.FlagImmutable | vfs.FlagAppend

// AttrFlags implements vfs.AttrFlagsInode, as Linux's overlayfs passes
// FS_IOC_GETFLAGS on: the flags of the upper inode, else of the lower
// one (0 when its file system keeps none). The VFS enforces immutable,
// append-only and no-atime on the overlay's file from them.
func (o *inode) AttrFlags() uint32 {
	if g, ok := o.real().(flagsGetter); ok {
		return g.AttrFlags()
	}
	return 0
}

// SetAttrFlags implements vfs.AttrFlagsInode: the file is copied up and
// the upper file system sets the flags (ENOTTY when it keeps none).
func (o *inode) SetAttrFlags(ctx vfs.Context, flags uint32, ctime unix.Timespec) error {
	u, err := o.fs.copyUp(ctx, o)
	if err != nil {
		return err
	}
	a, ok := u.(vfs.AttrFlagsInode)
	if !ok {
		return unix.ENOTTY
	}
	return a.SetAttrFlags(ctx, flags, ctime)
}

// copyFlags gives the upper copy u, just made in the upper directory
// pu, the copiedFlags of lower. Linux makes the copy in its work
// directory, so it inherits none of its new directory's flags: those u
// took from pu are dropped.
func copyFlags(ctx vfs.Context, lower, pu, u vfs.Inode, ctime unix.Timespec) error {
	a, ok := u.(vfs.AttrFlagsInode)
	if !ok {
		return nil
	}
	var want uint32
	if g, ok := lower.(flagsGetter); ok {
		want = g.AttrFlags() & copiedFlags
	}
	var inherited uint32
	if g, ok := pu.(flagsGetter); ok {
		inherited = g.AttrFlags() & vfs.FlagsInherited
	}
	have := a.AttrFlags()
	if next := have&^(copiedFlags|inherited) | want; next != have {
		return a.SetAttrFlags(ctx, next, ctime)
	}
	return nil
}
