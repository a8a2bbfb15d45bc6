package vfs

import (
	"sort"

	"golang.org/x/sys/unix"
)

// FilesystemType makes a new file system for mount(2) from its source,
// MS_* flags and option string.
type FilesystemType func(ctx Context, source string, flags uint32, data string) (Filesystem, error)

// RegisterFilesystemType makes name (the fstype argument of mount(2))
// available.
func (v *VirtualFilesystem) RegisterFilesystemType(name string, t FilesystemType) {
	v.regMu.Lock()
	defer v.regMu.Unlock()
	if v.fsTypes == nil {
		v.fsTypes = make(map[string]FilesystemType)
	}
	v.fsTypes[name] = t
}

// FilesystemTypes lists the registered types, sorted (/proc/filesystems).
func (v *VirtualFilesystem) FilesystemTypes() []string {
	v.regMu.RLock()
	defer v.regMu.RUnlock()
	names := make([]string, 0, len(v.fsTypes))
	for n := range v.fsTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// perMountFlags are the MS_* flags a mount carries.
const perMountFlags = MountReadOnly | MountNoSUID | MountNoDev | MountNoExec

// NewMount makes a file system of type fstype and mounts it on at (mount(2)
// without MS_BIND, MS_MOVE or MS_REMOUNT). ENODEV for an unknown type.
func (v *VirtualFilesystem) NewMount(ctx Context, fstype, source string, at Path, flags uint32, data string) error {
	v.regMu.RLock()
	mk := v.fsTypes[fstype]
	v.regMu.RUnlock()
	if mk == nil {
		return unix.ENODEV
	}
	if !at.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	fs, err := mk(ctx, source, flags, data)
	if err != nil {
		return err
	}
	v.mountMu.Lock()
	s := v.fsStateLocked(fs)
	v.mountMu.Unlock()
	root, err := v.rootDentry(ctx, s)
	if err != nil {
		return err
	}
	m := &Mount{vfs: v, fs: s, root: root, flags: flags & perMountFlags, source: source}
	return v.attach(m, at)
}

// isMountRoot reports whether p is the root of its mount.
func isMountRoot(p Path) bool { return p.Mount != nil && p.Dentry == p.Mount.root }

// Remount changes the flags of the mount whose root is at (MS_REMOUNT).
// EINVAL if at is not a mount root.
func (v *VirtualFilesystem) Remount(ctx Context, at Path, flags uint32) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.SetMountFlags(at.Mount, flags&perMountFlags)
	return nil
}

// BindMountTree mounts src on at like BindMount, and with recursive set
// (MS_REC) also copies the mounts below src.
func (v *VirtualFilesystem) BindMountTree(ctx Context, src, at Path, flags uint32, recursive bool) error {
	if !recursive {
		return v.BindMount(ctx, src, at, flags&perMountFlags)
	}
	if !at.Ok() || at.Mount == nil || !src.Ok() || src.Mount == nil {
		return unix.EINVAL
	}
	if src.Dentry.IsDir() != at.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	// The mounts below src, found before anything is attached, so that a
	// bind onto a place inside src does not copy itself.
	below := v.mountsBelowLocked(src)
	top := &Mount{vfs: v, fs: src.Mount.fs, root: src.Dentry, flags: flags & perMountFlags}
	v.attachLocked(top, at)
	copies := map[*Mount]*Mount{src.Mount: top}
	for _, m := range below {
		parent := copies[m.parent]
		if parent == nil {
			continue
		}
		c := &Mount{vfs: v, fs: m.fs, root: m.root, flags: m.flags, source: m.source, locked: m.locked}
		v.attachLocked(c, Path{Mount: parent, Dentry: m.point})
		copies[m] = c
	}
	return nil
}

// LockMounts locks every mount below root (Linux's MNT_LOCKED): they can
// no longer be unmounted or moved, nor the tree bound without them. kite
// locks the mounts it sets up itself, whose mount points lie on the host.
func (v *VirtualFilesystem) LockMounts(root Path) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	for _, m := range v.mountsBelowLocked(root) {
		m.locked = true
	}
}

// mountsBelowLocked returns the mounts in the tree below p (mounted on p
// or on anything under it within p's mount, recursively), parents first.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) mountsBelowLocked(p Path) []*Mount {
	byParent := make(map[*Mount][]*Mount)
	for _, m := range v.mounts {
		byParent[m.parent] = append(byParent[m.parent], m)
	}
	var out []*Mount
	var walk func(m *Mount, under *Dentry)
	walk = func(m *Mount, under *Dentry) {
		cs := byParent[m]
		sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
		for _, c := range cs {
			if under != nil && !under.isAncestorOfLockedRename(c.point) {
				continue
			}
			out = append(out, c)
			walk(c, nil)
		}
	}
	walk(p.Mount, p.Dentry)
	return out
}

// isAncestorOfLockedRename is isAncestorOf for callers that do not hold
// renameMu; a concurrent rename may make the answer stale, as on Linux.
func (d *Dentry) isAncestorOfLockedRename(a *Dentry) bool {
	for x := a; x != nil; x = x.parent {
		if x == d {
			return true
		}
	}
	return false
}

// attachLocked is attach with v.mountMu held.
func (v *VirtualFilesystem) attachLocked(m *Mount, at Path) {
	k := mountKey{at.Mount, at.Dentry}
	for top := v.mounts[k]; top != nil; top = v.mounts[k] {
		k = mountKey{top, top.root}
	}
	v.mountSeq++
	m.seq = v.mountSeq
	m.parent = k.m
	m.point = k.d
	k.m.children++
	k.d.mounts.Add(1)
	v.mounts[k] = m
}

// detachLocked removes m, which has no mounts below it, from the tree.
//
// Preconditions: v.mountMu is held; m has a parent.
func (v *VirtualFilesystem) detachLocked(m *Mount) {
	k := mountKey{m.parent, m.point}
	if v.mounts[k] == m {
		delete(v.mounts, k)
	}
	m.parent.children--
	m.point.mounts.Add(-1)
	m.parent, m.point = nil, nil
}

// UmountTree detaches the mount whose root is at and every mount below it
// (umount2 with MNT_DETACH).
func (v *VirtualFilesystem) UmountTree(ctx Context, at Path) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if at.Mount.parent == nil || at.Mount.locked {
		return unix.EINVAL
	}
	below := v.mountsBelowLocked(at)
	for i := len(below) - 1; i >= 0; i-- {
		if below[i].parent != nil {
			v.detachLocked(below[i])
		}
	}
	v.detachLocked(at.Mount)
	return nil
}

// MoveMount moves the mount whose root is from onto to (MS_MOVE). EINVAL if
// from is not a mount root or to lies inside the moved tree.
func (v *VirtualFilesystem) MoveMount(ctx Context, from, to Path) error {
	if !isMountRoot(from) || to.Mount == nil {
		return unix.EINVAL
	}
	if !to.Dentry.IsDir() && from.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	m := from.Mount
	if m.parent == nil || m.locked {
		return unix.EINVAL
	}
	for x := to.Mount; x != nil; x = x.parent {
		if x == m {
			return unix.ELOOP
		}
	}
	k := mountKey{m.parent, m.point}
	delete(v.mounts, k)
	m.parent.children--
	m.point.mounts.Add(-1)
	v.attachLocked(m, to)
	return nil
}

// CloneMountNamespace copies ns's mount tree (CLONE_NEWNS, unshare). The
// returned function maps a Path of the old tree to the same place in the
// new one (for the root and cwd of the tasks moving over); other paths are
// returned unchanged. lockAll locks every copied mount, as Linux does for
// a copy owned by a less privileged user namespace; locks are kept
// anyway.
func (v *VirtualFilesystem) CloneMountNamespace(ns *MountNamespace, lockAll bool) (*MountNamespace, func(Path) Path) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	old := ns.root
	root := &Mount{vfs: v, fs: old.fs, root: old.root, flags: old.flags, source: old.source}
	v.mountSeq++
	root.seq = v.mountSeq
	copies := map[*Mount]*Mount{old: root}
	for _, m := range v.mountsBelowLocked(Path{Mount: old}) {
		parent := copies[m.parent]
		if parent == nil {
			continue
		}
		c := &Mount{vfs: v, fs: m.fs, root: m.root, flags: m.flags, source: m.source, locked: m.locked || lockAll}
		v.attachLocked(c, Path{Mount: parent, Dentry: m.point})
		copies[m] = c
	}
	translate := func(p Path) Path {
		if c := copies[p.Mount]; c != nil {
			return Path{Mount: c, Dentry: p.Dentry}
		}
		return p
	}
	return &MountNamespace{root: root}, translate
}
