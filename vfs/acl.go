package vfs

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// POSIX access control lists (acl(5)). A file system that keeps them
// implements ACLInode; the VFS stores each list as the inode's
// system.posix_acl_access or system.posix_acl_default attribute in the
// xattr format (with kernel ids), validates what setxattr gives, checks
// access with the access ACL, applies a directory's default ACL to new
// files instead of the umask, and keeps the ACL in step with chmod.

// Names of the ACL attributes.
const (
	XattrACLAccess  = "system.posix_acl_access"
	XattrACLDefault = "system.posix_acl_default"
)

// ACLInode is implemented by inodes of file systems that keep POSIX ACLs
// (through XattrInode, under the names above).
type ACLInode interface {
	XattrInode
	// POSIXACL reports whether the file system supports ACLs (an
	// overlay does when its layers do).
	POSIXACL() bool
}

// ACL entry tags (linux/posix_acl.h).
const (
	aclUserObj  = 0x01
	aclUser     = 0x02
	aclGroupObj = 0x04
	aclGroup    = 0x08
	aclMask     = 0x10
	aclOther    = 0x20

	aclXattrVersion = 2
	aclUndefinedID  = 0xffffffff
)

// aclEntry is one entry: a tag, rwx permission bits and, for named users
// and groups, a kernel id.
type aclEntry struct {
	tag  uint16
	perm uint16
	id   uint32
}

type acl []aclEntry

// parseACL decodes an attribute value stored by the VFS (kernel ids).
func parseACL(b []byte) (acl, error) {
	if len(b) < 4 || (len(b)-4)%8 != 0 {
		return nil, unix.EINVAL
	}
	if binary.LittleEndian.Uint32(b) != aclXattrVersion {
		return nil, unix.EOPNOTSUPP
	}
	a := make(acl, 0, (len(b)-4)/8)
	for off := 4; off < len(b); off += 8 {
		a = append(a, aclEntry{tag: binary.LittleEndian.Uint16(b[off:]), perm: binary.LittleEndian.Uint16(b[off+2:]),
			id: binary.LittleEndian.Uint32(b[off+4:])})
	}
	return a, nil
}

// bytes encodes a in the attribute format.
func (a acl) bytes() []byte {
	b := make([]byte, 4+8*len(a))
	binary.LittleEndian.PutUint32(b, aclXattrVersion)
	for i, e := range a {
		off := 4 + 8*i
		binary.LittleEndian.PutUint16(b[off:], e.tag)
		binary.LittleEndian.PutUint16(b[off+2:], e.perm)
		binary.LittleEndian.PutUint32(b[off+4:], e.id)
	}
	return b
}

// valid is Linux's posix_acl_valid: entries in order (owner, named
// users, owning group, named groups, mask, other), rwx bits only, a mask
// when there are named entries.
func (a acl) valid() bool {
	const (
		stUser = iota + 1
		stGroup
		stOther
		stDone
	)
	state, needsMask := 0, false
	for _, e := range a {
		if e.perm&^7 != 0 {
			return false
		}
		switch e.tag {
		case aclUserObj:
			if state != 0 {
				return false
			}
			state = stUser
		case aclUser:
			if state != stUser {
				return false
			}
			needsMask = true
		case aclGroupObj:
			if state != stUser {
				return false
			}
			state = stGroup
		case aclGroup:
			if state != stGroup {
				return false
			}
			needsMask = true
		case aclMask:
			if state != stGroup {
				return false
			}
			state = stOther
		case aclOther:
			if state != stOther && (state != stGroup || needsMask) {
				return false
			}
			state = stDone
		default:
			return false
		}
	}
	return state == stDone
}

// equivMode returns the permission bits a stands for and whether the mode
// alone says everything (no named entries and no mask): Linux's
// posix_acl_equiv_mode.
func (a acl) equivMode(mode uint32) (uint32, bool) {
	mode &^= 0o777
	equiv := true
	for _, e := range a {
		p := uint32(e.perm & 7)
		switch e.tag {
		case aclUserObj:
			mode |= p << 6
		case aclGroupObj:
			if mode&0o070 == 0 {
				mode |= p << 3
			}
		case aclMask:
			mode = mode&^0o070 | p<<3
			equiv = false
		case aclOther:
			mode |= p
		default:
			equiv = false
		}
	}
	return mode, equiv
}

// permits is Linux's posix_acl_permission for a caller that does not own
// the file (owner uid, group gid).
func (a acl) permits(c *auth.Credentials, gid uint32, want int) bool {
	w := uint16(want & 7)
	maskOf := func(i int) bool {
		for _, m := range a[i+1:] {
			if m.tag == aclMask {
				return a[i].perm&m.perm&w == w
			}
		}
		return true
	}
	found := false
	for i, e := range a {
		switch e.tag {
		case aclUser:
			if e.id == c.FSUID {
				return e.perm&w == w && maskOf(i)
			}
		case aclGroupObj:
			if c.InGroup(gid) {
				found = true
				if e.perm&w == w {
					return maskOf(i)
				}
			}
		case aclGroup:
			if c.InGroup(e.id) {
				found = true
				if e.perm&w == w {
					return maskOf(i)
				}
			}
		case aclOther:
			if found {
				return false
			}
			return e.perm&w == w
		}
	}
	return false
}

// chmod sets the owner, mask (or owning group) and other entries from
// mode (Linux's __posix_acl_chmod).
func (a acl) chmod(mode uint32) {
	group := -1
	for i := range a {
		switch a[i].tag {
		case aclUserObj:
			a[i].perm = uint16(mode>>6) & 7
		case aclOther:
			a[i].perm = uint16(mode) & 7
		case aclGroupObj:
			if group < 0 || a[group].tag != aclMask {
				group = i
			}
		case aclMask:
			group = i
		}
	}
	if group >= 0 {
		a[group].perm = uint16(mode>>3) & 7
	}
}

// createMasq restricts a copy of a directory's default ACL by the mode a
// new file asks for and returns it with the resulting mode and whether
// the ACL says more than the mode (Linux's posix_acl_create_masq).
func (a acl) createMasq(mode uint32) (acl, uint32, bool) {
	n := append(acl(nil), a...)
	perm := mode & 0o777
	notEquiv := false
	group, mask := -1, -1
	for i := range n {
		e := &n[i]
		switch e.tag {
		case aclUserObj:
			e.perm &= uint16(perm>>6) & 7
			perm &= uint32(e.perm)<<6 | ^uint32(0o700)
		case aclUser, aclGroup:
			notEquiv = true
		case aclGroupObj:
			group = i
		case aclOther:
			e.perm &= uint16(perm) & 7
			perm &= uint32(e.perm) | ^uint32(0o007)
		case aclMask:
			mask = i
			notEquiv = true
		}
	}
	g := group
	if mask >= 0 {
		g = mask
	}
	if g >= 0 {
		n[g].perm &= uint16(perm>>3) & 7
		perm &= uint32(n[g].perm)<<3 | ^uint32(0o070)
	}
	return n, mode&^0o777 | perm&0o777, notEquiv
}

// aclInode returns d's inode as an ACLInode when its file system keeps
// ACLs.
func aclInode(in Inode) (ACLInode, bool) {
	a, ok := in.(ACLInode)
	if !ok || !a.POSIXACL() {
		return nil, false
	}
	return a, true
}

// getACL returns the ACL of kind name (XattrACLAccess or XattrACLDefault)
// of in, or nil.
func getACL(ctx Context, in Inode, name string) acl {
	a, ok := aclInode(in)
	if !ok {
		return nil
	}
	b, err := a.GetXattr(ctx, name)
	if err != nil {
		return nil
	}
	l, err := parseACL(b)
	if err != nil || len(l) == 0 {
		return nil
	}
	return l
}

// aclFromUser decodes a setxattr value: user and group ids as the
// caller's user namespace sees them become kernel ids. A value of no
// entries (or none at all) stands for removing the ACL.
func aclFromUser(c *auth.Credentials, b []byte) (acl, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 4 {
		return nil, unix.EINVAL
	}
	if binary.LittleEndian.Uint32(b) != aclXattrVersion {
		return nil, unix.EOPNOTSUPP
	}
	if (len(b)-4)%8 != 0 {
		return nil, unix.EINVAL
	}
	a, err := parseACL(b)
	if err != nil {
		return nil, err
	}
	for i := range a {
		e := &a[i]
		switch e.tag {
		case aclUser:
			k, ok := c.UserNamespace.MapUIDToKernel(e.id)
			if !ok {
				return nil, unix.EINVAL
			}
			e.id = k
		case aclGroup:
			k, ok := c.UserNamespace.MapGIDToKernel(e.id)
			if !ok {
				return nil, unix.EINVAL
			}
			e.id = k
		default:
			e.id = aclUndefinedID
		}
	}
	if len(a) == 0 {
		return nil, nil
	}
	if !a.valid() {
		return nil, unix.EINVAL
	}
	return a, nil
}

// toUser encodes a for getxattr, with ids as c's user namespace sees
// them (-1 for ids it does not map).
func (a acl) toUser(c *auth.Credentials) []byte {
	n := append(acl(nil), a...)
	for i := range n {
		var id uint32
		var ok bool
		switch n[i].tag {
		case aclUser:
			id, ok = c.UserNamespace.MapUIDFromKernel(n[i].id)
		case aclGroup:
			id, ok = c.UserNamespace.MapGIDFromKernel(n[i].id)
		default:
			continue
		}
		if !ok {
			// Linux shows an id the namespace does not map as -1.
			id = aclUndefinedID
		}
		n[i].id = id
	}
	return n.bytes()
}

// getACLXattr is getxattr of an ACL attribute of the file at p.
func (v *VirtualFilesystem) getACLXattr(ctx Context, p Path, name string) ([]byte, error) {
	in := p.Dentry.inode
	a, ok := aclInode(in)
	if !ok || p.Dentry.typ == unix.S_IFLNK {
		return nil, unix.EOPNOTSUPP
	}
	if name == XattrACLDefault && !p.Dentry.IsDir() {
		return nil, unix.ENODATA
	}
	b, err := a.GetXattr(ctx, name)
	if err != nil {
		return nil, err
	}
	l, err := parseACL(b)
	if err != nil {
		return nil, unix.EIO
	}
	return l.toUser(ctx.Credentials()), nil
}

// setACLXattr is setxattr (value) or removexattr (remove) of an ACL
// attribute of the file at p: Linux's set_posix_acl.
func (v *VirtualFilesystem) setACLXattr(ctx Context, p Path, name string, value []byte, flags int, remove bool) error {
	in := p.Dentry.inode
	a, ok := aclInode(in)
	if !ok || p.Dentry.typ == unix.S_IFLNK {
		return unix.EOPNOTSUPP
	}
	if err := noChange(p.Dentry); err != nil {
		return err
	}
	c := ctx.Credentials()
	var l acl
	if !remove {
		var err error
		if l, err = aclFromUser(c, value); err != nil {
			return err
		}
	}
	if name == XattrACLDefault && !p.Dentry.IsDir() {
		if l != nil {
			return unix.EACCES
		}
		return nil
	}
	st, err := in.Stat(ctx)
	if err != nil {
		return err
	}
	if !c.IsOwnerOrCapable(st.UID) {
		return unix.EPERM
	}
	if p.Mount.ReadOnly() {
		return unix.EROFS
	}
	if name == XattrACLAccess && l != nil {
		mode, equiv := l.equivMode(st.Mode & 0o7777)
		if !c.InGroupOrCapable(st.UID, st.GID) {
			mode &^= unix.S_ISGID
		}
		if err := v.setStat(ctx, p, &SetStat{Mask: unix.STATX_MODE, Mode: mode}); err != nil {
			return err
		}
		if equiv {
			l = nil
		}
	}
	if l == nil {
		err := a.RemoveXattr(ctx, name)
		if err == unix.ENODATA {
			err = nil
		}
		if err != nil {
			return err
		}
	} else if err := a.SetXattr(ctx, name, l.bytes(), flags); err != nil {
		return err
	}
	v.notifyDentry(p.Dentry, InAttrib)
	return nil
}

// aclCreate is what a directory's default ACL does to a new file: the
// mode the file gets (the umask applies only without a default ACL) and
// the access and default ACLs to give it.
type aclCreate struct {
	access, dflt acl
}

// createMode returns the mode for a file made in dir with requested mode
// (type bits included for directories when isDir), and the ACLs it
// inherits (nil when dir has no default ACL).
func (v *VirtualFilesystem) createMode(ctx Context, dir *Dentry, mode, umask uint32, isDir bool) (uint32, *aclCreate) {
	d := getACL(ctx, dir.inode, XattrACLDefault)
	if d == nil {
		return mode &^ umask, nil
	}
	access, m, notEquiv := d.createMasq(mode)
	ac := &aclCreate{}
	if notEquiv {
		ac.access = access
	}
	if isDir {
		ac.dflt = d
	}
	return m, ac
}

// inheritACL stores the inherited ACLs on a new inode.
func (v *VirtualFilesystem) inheritACL(ctx Context, in Inode, ac *aclCreate) {
	if ac == nil {
		return
	}
	a, ok := aclInode(in)
	if !ok {
		return
	}
	if ac.access != nil {
		_ = a.SetXattr(ctx, XattrACLAccess, ac.access.bytes(), 0)
	}
	if ac.dflt != nil {
		_ = a.SetXattr(ctx, XattrACLDefault, ac.dflt.bytes(), 0)
	}
}

// chmodACL keeps the access ACL of in in step with a new mode.
func (v *VirtualFilesystem) chmodACL(ctx Context, in Inode, mode uint32) {
	l := getACL(ctx, in, XattrACLAccess)
	if l == nil {
		return
	}
	l.chmod(mode)
	if a, ok := aclInode(in); ok {
		_ = a.SetXattr(ctx, XattrACLAccess, l.bytes(), 0)
	}
}
