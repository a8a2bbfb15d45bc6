package vfs

import (
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// resolver walks path names for one operation, counting the symbolic
// links it follows.
type resolver struct {
	v     *VirtualFilesystem
	ctx   Context
	root  Path
	links int
	// resolve holds openat2's RESOLVE_* restrictions.
	resolve uint64
	// umask applies to a file open(O_CREAT) makes in a directory
	// without a default ACL.
	umask uint32
}

// openat2 resolve flags.
const (
	ResolveNoXdev       = 0x01
	ResolveNoMagiclinks = 0x02
	ResolveNoSymlinks   = 0x04
	ResolveBeneath      = 0x08
	ResolveInRoot       = 0x10
	ResolveCached       = 0x20
)

func (v *VirtualFilesystem) resolver(ctx Context, fsc *FSContext) *resolver {
	return &resolver{v: v, ctx: ctx, root: fsc.Root()}
}

// pathComps walks a path's components (empty ones dropped) without
// building a list of them: a path walk allocates nothing for its names.
type pathComps struct{ rest string }

// next returns the next component; false when none is left.
func (p *pathComps) next() (string, bool) {
	p.rest = strings.TrimLeft(p.rest, "/")
	if p.rest == "" {
		return "", false
	}
	c, rest, _ := strings.Cut(p.rest, "/")
	p.rest = rest
	return c, true
}

// last reports whether no component follows the one next returned.
func (p *pathComps) last() bool { return strings.TrimLeft(p.rest, "/") == "" }

func checkPathLen(path string) error {
	if len(path) >= PathMax {
		return unix.ENAMETOOLONG
	}
	if path == "" {
		return unix.ENOENT
	}
	return nil
}

// step looks name up in the directory cur: search permission, ".", "..",
// mounts.
func (r *resolver) step(cur Path, name string) (Path, error) {
	d := cur.Dentry
	if !d.IsDir() {
		return Path{}, unix.ENOTDIR
	}
	if err := r.v.permission(r.ctx, d, auth.MayExec); err != nil {
		return Path{}, err
	}
	var next Path
	switch name {
	case ".":
		return cur, nil
	case "..":
		if r.resolve&ResolveBeneath != 0 && cur == r.root {
			return Path{}, unix.EXDEV
		}
		next = r.v.parentPath(cur, r.root)
	default:
		if len(name) > NameMax {
			return Path{}, unix.ENAMETOOLONG
		}
		d.mu.Lock()
		c, err := d.lookupLocked(r.ctx, name)
		d.mu.Unlock()
		if err != nil {
			return Path{}, err
		}
		next = r.v.followMounts(Path{Mount: cur.Mount, Dentry: c})
	}
	if r.resolve&ResolveNoXdev != 0 && next.Mount != cur.Mount {
		return Path{}, unix.EXDEV
	}
	return next, nil
}

// jumpToRoot returns where an absolute path starts, from cur.
func (r *resolver) jumpToRoot(cur Path) (Path, error) {
	if r.resolve&ResolveBeneath != 0 {
		return Path{}, unix.EXDEV
	}
	if r.resolve&ResolveNoXdev != 0 && r.root.Mount != cur.Mount {
		return Path{}, unix.EXDEV
	}
	return r.root, nil
}

// mayFollow counts the symbolic link link about to be followed: ELOOP
// past MaxSymlinks, under RESOLVE_NO_SYMLINKS, or on a nosymfollow mount
// (whose links readlink still reads).
func (r *resolver) mayFollow(link Path) error {
	r.links++
	if r.links > MaxSymlinks || r.resolve&ResolveNoSymlinks != 0 || link.Mount.Flags()&MountNoSymFollow != 0 {
		return unix.ELOOP
	}
	return nil
}

// followLink resolves the symbolic link link found in directory dir.
func (r *resolver) followLink(dir, link Path) (Path, error) {
	if err := r.mayFollow(link); err != nil {
		return Path{}, err
	}
	if ml, ok := link.Dentry.inode.(MagicLink); ok {
		if r.resolve&ResolveNoMagiclinks != 0 {
			return Path{}, unix.ELOOP
		}
		if r.resolve&(ResolveBeneath|ResolveInRoot) != 0 {
			return Path{}, unix.EXDEV
		}
		p, err := ml.GetLink(r.ctx)
		if err != nil {
			return Path{}, err
		}
		if r.resolve&ResolveNoXdev != 0 && p.Mount != dir.Mount {
			return Path{}, unix.EXDEV
		}
		return p, nil
	}
	target, err := link.Dentry.inode.Readlink(r.ctx)
	if err != nil {
		return Path{}, err
	}
	if target == "" {
		return Path{}, unix.ENOENT
	}
	return r.walk(dir, target, true)
}

// walk resolves path from start (or the root if path is absolute). A
// final symbolic link is followed if followLast is set or path ends with
// a slash.
func (r *resolver) walk(start Path, path string, followLast bool) (Path, error) {
	if err := checkPathLen(path); err != nil {
		return Path{}, err
	}
	cur := start
	if path[0] == '/' {
		var err error
		if cur, err = r.jumpToRoot(start); err != nil {
			return Path{}, err
		}
	}
	trailing := strings.HasSuffix(path, "/")
	for comps := (pathComps{path}); ; {
		name, ok := comps.next()
		if !ok {
			break
		}
		last := comps.last()
		next, err := r.step(cur, name)
		if err != nil {
			return Path{}, err
		}
		if next.Dentry.IsSymlink() && (!last || followLast || trailing) {
			next, err = r.followLink(cur, next)
			if err != nil {
				return Path{}, err
			}
		}
		cur = next
	}
	if trailing && !cur.Dentry.IsDir() {
		return Path{}, unix.ENOTDIR
	}
	return cur, nil
}

// lastKind classifies the last component of a path, as Linux's
// LAST_NORM, LAST_ROOT, LAST_DOT, LAST_DOTDOT.
type lastKind int

const (
	lastNorm lastKind = iota
	lastRoot
	lastDot
	lastDotDot
)

// parentResult is a path split into its resolved parent directory and
// its unresolved last component.
type parentResult struct {
	parent   Path
	name     string
	kind     lastKind
	trailing bool
}

// walkParent resolves all of path but its last component. The parent's
// search permission is checked.
func (r *resolver) walkParent(start Path, path string) (parentResult, error) {
	if err := checkPathLen(path); err != nil {
		return parentResult{}, err
	}
	cur := start
	if path[0] == '/' {
		var err error
		if cur, err = r.jumpToRoot(start); err != nil {
			return parentResult{}, err
		}
	}
	trailing := strings.HasSuffix(path, "/")
	comps := pathComps{path}
	name, ok := comps.next()
	if !ok {
		return parentResult{parent: cur, kind: lastRoot, trailing: trailing}, nil
	}
	for !comps.last() {
		next, err := r.step(cur, name)
		if err != nil {
			return parentResult{}, err
		}
		if next.Dentry.IsSymlink() {
			next, err = r.followLink(cur, next)
			if err != nil {
				return parentResult{}, err
			}
		}
		cur = next
		name, _ = comps.next()
	}
	if !cur.Dentry.IsDir() {
		return parentResult{}, unix.ENOTDIR
	}
	if err := r.v.permission(r.ctx, cur.Dentry, auth.MayExec); err != nil {
		return parentResult{}, err
	}
	res := parentResult{parent: cur, name: name, trailing: trailing}
	switch res.name {
	case ".":
		res.kind = lastDot
	case "..":
		res.kind = lastDotDot
	}
	return res, nil
}

// permission checks that ctx may access d as want asks.
func (v *VirtualFilesystem) permission(ctx Context, d *Dentry, want int) error {
	if want&auth.MayWrite != 0 && attrFlags(d.inode)&FlagImmutable != 0 {
		return unix.EPERM // nobody writes to an immutable file
	}
	if pc, ok := d.inode.(PermissionChecker); ok {
		return pc.Permission(ctx, want)
	}
	st, err := d.inode.Stat(ctx)
	if err != nil {
		return err
	}
	c := ctx.Credentials()
	var byACL func(want int) bool
	if c.FSUID != st.UID && st.Mode&0o070 != 0 {
		if l := getACL(ctx, d.inode, XattrACLAccess); l != nil {
			byACL = func(want int) bool { return l.permits(c, st.GID, want) }
		}
	}
	if !c.CheckPermissionACL(st.Mode&0o7777, st.UID, st.GID, d.IsDir(), want, byACL) {
		return unix.EACCES
	}
	return nil
}

// CheckPermission checks that ctx may access the file at p as want
// (auth.MayRead|MayWrite|MayExec) asks, including EROFS for writes to
// read-only mounts and EACCES for exec on noexec mounts.
func (v *VirtualFilesystem) CheckPermission(ctx Context, p Path, want int) error {
	if want&auth.MayWrite != 0 && p.Mount.ReadOnly() {
		switch p.Dentry.typ {
		case unix.S_IFREG, unix.S_IFDIR, unix.S_IFLNK:
			return unix.EROFS
		}
	}
	if want&auth.MayExec != 0 && !p.Dentry.IsDir() && p.Mount.Flags()&MountNoExec != 0 {
		return unix.EACCES
	}
	return v.permission(ctx, p.Dentry, want)
}

// GetPath resolves path from start (the cwd or a dirfd's directory),
// following a final symbolic link if follow is set.
func (v *VirtualFilesystem) GetPath(ctx Context, fsc *FSContext, start Path, path string, follow bool) (Path, error) {
	return v.resolver(ctx, fsc).walk(start, path, follow)
}
