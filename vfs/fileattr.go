package vfs

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// The xflags of struct fsxattr and struct file_attr (FS_XFLAG_*).
const (
	XflagRealtime     = 0x1
	XflagPrealloc     = 0x2
	XflagImmutable    = 0x8
	XflagAppend       = 0x10
	XflagSync         = 0x20
	XflagNoatime      = 0x40
	XflagNodump       = 0x80
	XflagProjInherit  = 0x200
	XflagExtsize      = 0x800
	XflagExtszInherit = 0x1000
	XflagDax          = 0x8000
	XflagCowExtsize   = 0x10000
	XflagHasAttr      = 0x80000000

	// XflagsKnown are the xflags Linux defines (FS_XFLAGS_MASK):
	// file_setattr refuses others (EINVAL).
	XflagsKnown = 0x8001fffb
	// xflagsReadOnly are reported, never set (FS_XFLAG_RDONLY_MASK).
	xflagsReadOnly = XflagPrealloc | XflagHasAttr
	// xflagsCommon have a flag too (FS_XFLAG_COMMON).
	xflagsCommon = XflagSync | XflagImmutable | XflagAppend | XflagNodump | XflagNoatime | XflagDax | XflagProjInherit
)

// commonFlags pairs each flag with its xflag.
var commonFlags = [...][2]uint32{
	{FlagImmutable, XflagImmutable}, {FlagAppend, XflagAppend}, {FlagSync, XflagSync},
	{FlagNoatime, XflagNoatime}, {FlagNodump, XflagNodump}, {FlagDax, XflagDax},
	{FlagProjInherit, XflagProjInherit},
}

// xflagsOf returns the xflags of attribute flags fl.
func xflagsOf(fl uint32) uint32 {
	var x uint32
	for _, m := range commonFlags {
		if fl&m[0] != 0 {
			x |= m[1]
		}
	}
	return x
}

// flagsOfX returns the attribute flags of xflags x.
func flagsOfX(x uint32) uint32 {
	var fl uint32
	for _, m := range commonFlags {
		if x&m[1] != 0 {
			fl |= m[0]
		}
	}
	return fl
}

// FileAttr is a file's extended attribute flags and hints, as struct
// fsxattr (FS_IOC_FSGETXATTR) and struct file_attr (file_getattr) have
// them.
type FileAttr struct {
	XFlags     uint32
	ExtSize    uint32
	NExtents   uint32
	ProjID     uint32
	CowExtSize uint32
}

// EncodeFsxattr returns a as a struct fsxattr.
func (a FileAttr) EncodeFsxattr() [FsxattrSize]byte {
	var b [FsxattrSize]byte
	for i, v := range [...]uint32{a.XFlags, a.ExtSize, a.NExtents, a.ProjID, a.CowExtSize} {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// DecodeFsxattr reads a struct fsxattr (its padding is ignored, as Linux
// does).
func DecodeFsxattr(b []byte) FileAttr {
	u := func(i int) uint32 { return binary.LittleEndian.Uint32(b[4*i:]) }
	return FileAttr{XFlags: u(0), ExtSize: u(1), NExtents: u(2), ProjID: u(3), CowExtSize: u(4)}
}

// HostAttrInode is implemented by inodes whose attribute flags another
// kernel keeps and enforces (hostfs: the host file's). HostAttrIoctl
// carries out FS_IOC_GETFLAGS or FS_IOC_SETFLAGS (4 bytes of arg),
// FS_IOC_FSGETXATTR or FS_IOC_FSSETXATTR (a struct fsxattr) on the host
// file, reading or filling arg in place: through f's own host file when
// f is not nil, else by name (the fsxattr commands only, for a file of
// any type). Before a set the VFS has made Linux's VFS checks (a
// read-only mount, ownership, CAP_LINUX_IMMUTABLE, the rules of
// fileattr_set_prepare that depend on the caller); the host's file
// system answers the rest, and ENOTTY or EOPNOTSUPP where it keeps no
// attributes.
type HostAttrInode interface {
	HostAttrIoctl(ctx Context, f *File, cmd uint32, arg []byte) error
}

// getFileAttr returns the attributes of d's file (f is its open file, or
// nil); ENOTTY where its file system keeps none. The file systems that
// keep only flags (tmpfs, ext4) keep them for regular files and
// directories only, as Linux's.
func getFileAttr(ctx Context, d *Dentry, f *File) (FileAttr, error) {
	if h, ok := d.inode.(HostAttrInode); ok {
		var b [FsxattrSize]byte
		if err := h.HostAttrIoctl(ctx, f, IoctlFSGetXattr, b[:]); err != nil {
			return FileAttr{}, err
		}
		return DecodeFsxattr(b[:]), nil
	}
	a, ok := d.inode.(AttrFlagsInode)
	if !ok || (d.typ != unix.S_IFREG && d.typ != unix.S_IFDIR) {
		return FileAttr{}, unix.ENOTTY
	}
	return FileAttr{XFlags: xflagsOf(a.AttrFlags())}, nil
}

// setFileAttr sets the attributes of p's file from fa (f is its open
// file, or nil), as Linux's vfs_fileattr_set with an fsxattr: EROFS,
// ENOTTY where the file system keeps none, EPERM for a caller who does
// not own the file or changes the immutable or append-only flag without
// CAP_LINUX_IMMUTABLE, EINVAL for what fileattr_set_prepare refuses; the
// file system then refuses what it does not keep (EOPNOTSUPP).
func (v *VirtualFilesystem) setFileAttr(ctx Context, p Path, f *File, fa FileAttr) error {
	d := p.Dentry
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	h, host := d.inode.(HostAttrInode)
	a, flagsFS := d.inode.(AttrFlagsInode)
	if !host && (!flagsFS || (d.typ != unix.S_IFREG && d.typ != unix.S_IFDIR)) {
		return unix.ENOTTY
	}
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return err
	}
	if !isOwner(ctx, &st) {
		return unix.EPERM
	}
	old, err := getFileAttr(ctx, d, f)
	if err != nil {
		return err
	}
	fa.XFlags &^= xflagsReadOnly
	creds := ctx.Credentials()
	if (fa.XFlags^old.XFlags)&(XflagImmutable|XflagAppend) != 0 && !creds.HasGlobalCapability(unix.CAP_LINUX_IMMUTABLE) {
		return unix.EPERM
	}
	if creds.UserNamespace.Parent() != nil {
		// Project ids change only from the initial user namespace.
		if fa.ProjID != old.ProjID || (fa.XFlags^old.XFlags)&XflagProjInherit != 0 {
			return unix.EINVAL
		}
	} else if fa.ProjID != old.ProjID && fa.ProjID == ^uint32(0) {
		return unix.EINVAL
	}
	switch {
	case fa.XFlags&XflagExtsize != 0 && d.typ != unix.S_IFREG,
		fa.XFlags&XflagExtszInherit != 0 && d.typ != unix.S_IFDIR,
		fa.XFlags&(XflagCowExtsize|XflagDax) != 0 && d.typ != unix.S_IFREG && d.typ != unix.S_IFDIR:
		return unix.EINVAL
	}
	if fa.ExtSize == 0 {
		fa.XFlags &^= XflagExtsize | XflagExtszInherit
	}
	if fa.CowExtSize == 0 {
		fa.XFlags &^= XflagCowExtsize
	}
	if host {
		b := fa.EncodeFsxattr()
		return h.HostAttrIoctl(ctx, f, IoctlFSSetXattr, b[:])
	}
	// A file system keeping only flags has none of the rest
	// (fileattr_has_fsx).
	if fa.XFlags&^xflagsCommon != 0 || fa.ExtSize != 0 || fa.ProjID != 0 || fa.CowExtSize != 0 {
		return unix.EOPNOTSUPP
	}
	flags := flagsOfX(fa.XFlags) | a.AttrFlags()&^flagsCommon
	if err := a.SetAttrFlags(ctx, flags, v.NowTimespec()); err != nil {
		return err
	}
	v.attrFlagsChanged(d.inode)
	return nil
}

// attrFlagsChanged updates the page cache of in, if it has one, after its
// attribute flags changed (shared mappings of a file whose file system
// refuses writes to it fail to write).
func (v *VirtualFilesystem) attrFlagsChanged(in Inode) {
	v.cacheMu.Lock()
	c := v.caches[in]
	v.cacheMu.Unlock()
	if c == nil {
		return
	}
	c.filesMu.Lock()
	var f *File
	if len(c.files) > 0 {
		f = c.files[0]
	}
	c.filesMu.Unlock()
	if f != nil {
		c.refuseMappedWrites(f)
	}
}

// GetFileAttr returns the attributes of p's file (file_getattr):
// EOPNOTSUPP where its file system keeps none.
func (v *VirtualFilesystem) GetFileAttr(ctx Context, p Path) (FileAttr, error) {
	fa, err := getFileAttr(ctx, p.Dentry, nil)
	if err == unix.ENOTTY {
		err = unix.EOPNOTSUPP
	}
	return fa, err
}

// SetFileAttr sets the attributes of p's file (file_setattr; the caller
// checked fa.XFlags against XflagsKnown): EOPNOTSUPP where its file
// system keeps none.
func (v *VirtualFilesystem) SetFileAttr(ctx Context, p Path, fa FileAttr) error {
	err := v.setFileAttr(ctx, p, nil, fa)
	if err == unix.ENOTTY {
		err = unix.EOPNOTSUPP
	}
	return err
}

// attrFlagsIoctl carries out FS_IOC_GETFLAGS, FS_IOC_SETFLAGS,
// FS_IOC_FSGETXATTR and FS_IOC_FSSETXATTR on f; ok is false for other
// commands, for special files and for files whose file system keeps no
// flags (ENOTTY then comes from the file's own ioctl).
func (f *File) attrFlagsIoctl(ctx Context, io UserIO, cmd uint32, arg uintptr) (r uintptr, err error, ok bool) {
	if cmd != IoctlFSGetFlags && cmd != IoctlFSSetFlags && cmd != IoctlFSGetXattr && cmd != IoctlFSSetXattr {
		return 0, nil, false
	}
	d := f.path.Dentry
	if d == nil || (d.typ != unix.S_IFREG && d.typ != unix.S_IFDIR) {
		// Linux's file systems give their special files no fileattr
		// operations: the fifo's or device's own ioctl answers.
		return 0, nil, false
	}
	h, host := d.inode.(HostAttrInode)
	a, flagsFS := d.inode.(AttrFlagsInode)
	if !host && !flagsFS {
		return 0, nil, false
	}
	switch cmd {
	case IoctlFSGetFlags:
		var b [4]byte
		if host {
			if err := h.HostAttrIoctl(ctx, f, cmd, b[:]); err != nil {
				return 0, err, true
			}
		} else {
			binary.LittleEndian.PutUint32(b[:], a.AttrFlags())
		}
		if _, err := io.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT, true
		}
		return 0, nil, true
	case IoctlFSGetXattr:
		fa, err := getFileAttr(ctx, d, f)
		if err != nil {
			return 0, err, true
		}
		b := fa.EncodeFsxattr()
		if _, err := io.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT, true
		}
		return 0, nil, true
	case IoctlFSSetXattr:
		var b [FsxattrSize]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT, true
		}
		return 0, f.vfs.setFileAttr(ctx, f.path, f, DecodeFsxattr(b[:])), true
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
	var old uint32
	if host {
		var ob [4]byte
		if err := h.HostAttrIoctl(ctx, f, IoctlFSGetFlags, ob[:]); err != nil {
			return 0, err, true
		}
		old = binary.LittleEndian.Uint32(ob[:])
	} else {
		old = a.AttrFlags()
	}
	if (flags^old)&(FlagImmutable|FlagAppend) != 0 && !ctx.Credentials().HasGlobalCapability(unix.CAP_LINUX_IMMUTABLE) {
		return 0, unix.EPERM, true
	}
	if host {
		return 0, h.HostAttrIoctl(ctx, f, cmd, b[:]), true
	}
	if err := a.SetAttrFlags(ctx, flags, f.vfs.NowTimespec()); err != nil {
		return 0, err, true
	}
	f.refuseMappedWrites()
	return 0, nil, true
}
