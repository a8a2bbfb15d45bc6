package vfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// Extended attributes. The VFS checks names, namespaces and permissions;
// inodes that store attributes implement XattrInode.

// Limits of extended attributes (Linux's XATTR_NAME_MAX, XATTR_SIZE_MAX,
// XATTR_LIST_MAX).
const (
	XattrNameMax = 255
	XattrSizeMax = 65536
	XattrListMax = 65536
)

// setxattr flags.
const (
	XattrCreate  = 1
	XattrReplace = 2
)

// XattrInode is implemented by inodes that store extended attributes.
// Names arrive validated and with a supported namespace prefix; Get and
// Remove give ENODATA for a missing name; Set honours XattrCreate (EEXIST)
// and XattrReplace (ENODATA).
type XattrInode interface {
	GetXattr(ctx Context, name string) ([]byte, error)
	SetXattr(ctx Context, name string, value []byte, flags int) error
	ListXattr(ctx Context) ([]string, error)
	RemoveXattr(ctx Context, name string) error
}

// xattrNamespace checks name and returns its namespace ("user",
// "trusted", "security").
func xattrNamespace(name string) (string, error) {
	if name == "" || len(name) > XattrNameMax {
		return "", unix.ERANGE
	}
	for _, ns := range []string{"user.", "trusted.", "security."} {
		if strings.HasPrefix(name, ns) {
			if len(name) == len(ns) {
				return "", unix.EINVAL
			}
			return ns[:len(ns)-1], nil
		}
	}
	if name == XattrACLAccess || name == XattrACLDefault {
		return "system", nil
	}
	// Other system.* names and unknown prefixes.
	return "", unix.EOPNOTSUPP
}

// xattrAccess checks that ctx may read (write=false) or change the
// attribute name (in namespace ns) of the file at p: trusted attributes
// need CAP_SYS_ADMIN, changing security ones CAP_SYS_ADMIN, or for file
// capabilities CAP_SETFCAP over the file.
func (v *VirtualFilesystem) xattrAccess(ctx Context, p Path, ns, name string, write bool) error {
	c := ctx.Credentials()
	switch ns {
	case "trusted":
		if !c.HasGlobalCapability(unix.CAP_SYS_ADMIN) {
			if write {
				return unix.EPERM
			}
			return unix.ENODATA
		}
	case "security":
		if !write {
			break
		}
		if name == auth.XattrCapability {
			st, err := p.Dentry.inode.Stat(ctx)
			if err != nil {
				return err
			}
			if !c.CapableOverOwner(unix.CAP_SETFCAP, st.UID, st.GID) {
				return unix.EPERM
			}
		} else if !c.HasGlobalCapability(unix.CAP_SYS_ADMIN) {
			return unix.EPERM
		}
	case "user":
		if t := p.Dentry.typ; t != unix.S_IFREG && t != unix.S_IFDIR {
			if write {
				return unix.EPERM
			}
			return unix.ENODATA
		}
	}
	if ns == "user" {
		want := auth.MayRead
		if write {
			want = auth.MayWrite
		}
		return v.permission(ctx, p.Dentry, want)
	}
	return nil
}

func xattrInode(p Path) (XattrInode, error) {
	x, ok := p.Dentry.inode.(XattrInode)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	return x, nil
}

// GetXattr returns the value of attribute name of the file at p.
func (v *VirtualFilesystem) GetXattr(ctx Context, p Path, name string) ([]byte, error) {
	ns, err := xattrNamespace(name)
	if err != nil {
		return nil, err
	}
	if ns == "system" {
		return v.getACLXattr(ctx, p, name)
	}
	x, err := xattrInode(p)
	if err != nil {
		return nil, err
	}
	if err := v.xattrAccess(ctx, p, ns, name, false); err != nil {
		return nil, err
	}
	return x.GetXattr(ctx, name)
}

// SetXattr sets attribute name of the file at p.
func (v *VirtualFilesystem) SetXattr(ctx Context, p Path, name string, value []byte, flags int) error {
	if flags&^(XattrCreate|XattrReplace) != 0 {
		return unix.EINVAL
	}
	ns, err := xattrNamespace(name)
	if err != nil {
		return err
	}
	if len(value) > XattrSizeMax {
		return unix.E2BIG
	}
	if ns == "system" {
		return v.setACLXattr(ctx, p, name, value, flags, false)
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := noChange(p.Dentry); err != nil {
		return err
	}
	x, err := xattrInode(p)
	if err != nil {
		return err
	}
	if err := v.xattrAccess(ctx, p, ns, name, true); err != nil {
		return err
	}
	if ns == "user" && p.Dentry.IsDir() {
		// A sticky directory's user attributes belong to its owner.
		st, err := p.Dentry.inode.Stat(ctx)
		if err != nil {
			return err
		}
		if st.Mode&unix.S_ISVTX != 0 && !isOwner(ctx, &st) {
			return unix.EPERM
		}
	}
	if err := x.SetXattr(ctx, name, value, flags); err != nil {
		return err
	}
	v.notifyDentry(p.Dentry, InAttrib)
	return nil
}

// ListXattr returns the attribute names of the file at p that ctx may see.
func (v *VirtualFilesystem) ListXattr(ctx Context, p Path) ([]string, error) {
	x, ok := p.Dentry.inode.(XattrInode)
	if !ok {
		return nil, nil
	}
	names, err := x.ListXattr(ctx)
	if err != nil {
		return nil, err
	}
	root := ctx.Credentials().HasGlobalCapability(unix.CAP_SYS_ADMIN)
	out := names[:0:0]
	for _, n := range names {
		if strings.HasPrefix(n, "trusted.") && !root {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}

// RemoveXattr removes attribute name of the file at p.
func (v *VirtualFilesystem) RemoveXattr(ctx Context, p Path, name string) error {
	ns, err := xattrNamespace(name)
	if err != nil {
		return err
	}
	if ns == "system" {
		return v.setACLXattr(ctx, p, name, nil, 0, true)
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if err := noChange(p.Dentry); err != nil {
		return err
	}
	x, err := xattrInode(p)
	if err != nil {
		return err
	}
	if err := v.xattrAccess(ctx, p, ns, name, true); err != nil {
		return err
	}
	if err := x.RemoveXattr(ctx, name); err != nil {
		return err
	}
	v.notifyDentry(p.Dentry, InAttrib)
	return nil
}
