package vfs

import (
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
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
const perMountFlags = MountReadOnly | MountNoSUID | MountNoDev | MountNoExec | MountNoSymFollow | atimeMountFlags

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
	flags = flags&^atimeMountFlags | mountAtimeFlags(flags, 0, false)
	m := &Mount{vfs: v, fs: s, root: root, flags: flags & perMountFlags, source: source}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	return v.graftLocked(m, at)
}

// isMountRoot reports whether p is the root of its mount.
func isMountRoot(p Path) bool { return p.Mount != nil && p.Dentry == p.Mount.root }

// RemountRootReadOnly is umount2 without MNT_DETACH of the mount that
// holds the caller's root (Linux's do_umount_root): the mount is not
// unmounted but made read-only. EINVAL for a locked mount (as Linux's
// can_umount). Linux makes the file system's superblock read-only, which
// every mount of it shows; kite's remounts change the one mount.
func (v *VirtualFilesystem) RemountRootReadOnly(at Path) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if at.Mount.locked {
		return unix.EINVAL
	}
	at.Mount.flags |= MountReadOnly
	return nil
}

// Remount changes the flags of the mount whose root is at (MS_REMOUNT).
// EINVAL if at is not a mount root; EPERM if it would clear a flag locked
// on a copy into a less privileged mount namespace.
func (v *VirtualFilesystem) Remount(ctx Context, at Path, flags uint32) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	m := at.Mount
	flags = flags&^atimeMountFlags | mountAtimeFlags(flags, m.flags, true)
	if m.lockedFlags&^flags != 0 {
		return unix.EPERM
	}
	m.flags = flags & perMountFlags
	return nil
}

// BindMountTree mounts src on at (mount --bind; with recursive set,
// MS_REC, with copies of the mounts below src except unbindable ones):
// Linux's do_loopback. The copy of src joins src's peer group (or its
// master's slaves) and has src's flags.
func (v *VirtualFilesystem) BindMountTree(ctx Context, src, at Path, recursive bool) error {
	if !at.Ok() || at.Mount == nil || !src.Ok() {
		return unix.EINVAL
	}
	if src.Mount == nil {
		return v.bindPseudo(ctx, src.Dentry, at)
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if err := v.bindableLocked(src, recursive); err != nil {
		return err
	}
	if src.Dentry.IsDir() != at.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	top := v.bindCopyLocked(src, recursive)
	if err := v.graftLocked(top, at); err != nil {
		v.dropTreeLocked(top)
		return err
	}
	return nil
}

// bindableLocked is the check of a bind mount's source: EINVAL if src's
// mount is unbindable, or if mounts locked below src would be left out
// of a copy that is not recursive.
//
// Preconditions: v.mountMu is held; src.Mount != nil.
func (v *VirtualFilesystem) bindableLocked(src Path, recursive bool) error {
	if src.Mount.unbindable {
		return unix.EINVAL
	}
	if !recursive {
		for _, m := range v.mountsBelowLocked(src) {
			if m.locked {
				return unix.EINVAL
			}
		}
	}
	return nil
}

// bindCopyLocked is a bind mount's copy of the mount at src (its tree
// with recursive), not locked.
//
// Preconditions: v.mountMu is held; bindableLocked(src, recursive) passed.
func (v *VirtualFilesystem) bindCopyLocked(src Path, recursive bool) *Mount {
	var top *Mount
	if recursive {
		top, _ = v.copyTreeLocked(src.Mount, src.Dentry, 0)
	} else {
		top = v.cloneMountLocked(src.Mount, src.Dentry, 0)
	}
	top.locked = false
	return top
}

// PseudoBindable is implemented by inodes of files that lie in no mount
// (nsfs) but may be bind-mounted all the same: Linux lets a namespace
// file be bound (ip netns add, unshare --net=FILE) and the bind keeps
// the namespace alive. MayBind returns the error that refuses a bind by
// the caller, or nil.
type PseudoBindable interface {
	MayBind(ctx Context) error
}

// bindPseudo mounts the anonymous file d on at, if its inode allows it
// (else EINVAL, as Linux's do_loopback for files of internal mounts).
func (v *VirtualFilesystem) bindPseudo(ctx Context, d *Dentry, at Path) error {
	b, ok := d.inode.(PseudoBindable)
	if !ok || !d.anon {
		return unix.EINVAL
	}
	if err := b.MayBind(ctx); err != nil {
		return err
	}
	if at.Dentry.IsDir() || d.IsDir() {
		return unix.ENOTDIR
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	m := &Mount{vfs: v, fs: d.fs, root: d, source: d.fs.fs.Name()}
	v.mountSeq++
	m.seq = v.mountSeq
	if err := v.graftLocked(m, at); err != nil {
		return err
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
	return mountsBelow(v.childrenByParentLocked(), p)
}

// childrenByParentLocked maps each mount to the mounts whose parent it is,
// in creation order.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) childrenByParentLocked() map[*Mount][]*Mount {
	byParent := make(map[*Mount][]*Mount)
	for _, m := range v.mounts {
		byParent[m.parent] = append(byParent[m.parent], m)
	}
	for _, cs := range byParent {
		sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
	}
	return byParent
}

// mountsBelow is mountsBelowLocked over a childrenByParentLocked map.
func mountsBelow(byParent map[*Mount][]*Mount, p Path) []*Mount {
	var out []*Mount
	var walk func(m *Mount, under *Dentry)
	walk = func(m *Mount, under *Dentry) {
		for _, c := range byParent[m] {
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

// stackTopLocked returns the mount and dentry a mount on at goes on: at,
// or the root of the topmost mount stacked there.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) stackTopLocked(at Path) (*Mount, *Dentry) {
	k := mountKey{at.Mount, at.Dentry}
	for top := v.mounts[k]; top != nil; top = v.mounts[k] {
		k = mountKey{top, top.root}
	}
	return k.m, k.d
}

// setMountpointLocked places m on point of parent, where nothing is
// mounted.
//
// Preconditions: v.mountMu is held; m is detached.
func (v *VirtualFilesystem) setMountpointLocked(m, parent *Mount, point *Dentry) {
	if m.seq == 0 {
		v.mountSeq++
		m.seq = v.mountSeq
	}
	m.parent = parent
	m.point = point
	parent.children++
	point.mounts.Add(1)
	v.mounts[mountKey{parent, point}] = m
}

// detachLocked removes m from its mount point; the mounts below it stay
// attached to it.
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
	v.detachedLocked(m.fs)
	if n, ok := m.root.inode.(UnmountNotifier); ok {
		n.Unmounted()
	}
}

// UmountTree detaches the mount whose root is at and every mount below it
// (umount2 with MNT_DETACH), with their propagated copies. The root
// mount of a namespace is detached too (as Linux detaches it from the
// rootfs below): the namespace gets an empty read-only root in its place
// (rootfs.go), and the processes keep the detached tree.
func (v *VirtualFilesystem) UmountTree(ctx Context, at Path) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	orphan := at.Mount.parent == nil
	v.mountMu.Unlock()
	var hidden *Dentry
	if orphan {
		// Maybe a namespace's root: the hidden root to put under it.
		s := v.hiddenRootFS()
		var err error
		if hidden, err = v.rootDentry(ctx, s); err != nil {
			return err
		}
	}
	v.mountMu.Lock()
	var err error
	if m := at.Mount; m.parent == nil && m.ns != nil && m.ns.root == m && hidden != nil {
		err = v.detachNamespaceRootLocked(m, hidden)
	} else {
		err = v.umountLocked(m, true)
	}
	gone := v.unmountedLocked()
	v.mountMu.Unlock()
	v.notifyUnmounted(gone)
	return err
}

// MoveMount moves the mount whose root is from onto to (MS_MOVE), as
// Linux's do_move_mount: EINVAL if from is not a mount root, is locked or
// a namespace's root, if it and to are not both directories or both not,
// if its parent is shared, or if to is shared and the tree holds an
// unbindable mount; ELOOP if to lies inside the moved tree.
func (v *VirtualFilesystem) MoveMount(ctx Context, from, to Path) error {
	if !isMountRoot(from) || to.Mount == nil {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	m := from.Mount
	// The root of a detached tree (move_mount of an fsmount or
	// open_tree fd) has no parent to leave.
	detached := m.parent == nil && m.ns != nil && m.ns.anon && m.ns.root == m
	if detached && to.Mount.ns == m.ns {
		return unix.EINVAL
	}
	if (m.parent == nil && !detached) || m.locked || from.Dentry.IsDir() != to.Dentry.IsDir() {
		return unix.EINVAL
	}
	if !detached && m.parent.shared {
		return unix.EINVAL
	}
	dest, _ := v.stackTopLocked(to)
	if dest.shared {
		if m.unbindable {
			return unix.EINVAL
		}
		for _, b := range v.mountsBelowLocked(m.Root()) {
			if b.unbindable {
				return unix.EINVAL
			}
		}
	}
	for x := dest; x != nil; x = x.parent {
		if x == m {
			return unix.ELOOP
		}
	}
	if detached {
		return v.graftLocked(m, to)
	}
	parent, point := m.parent, m.point
	v.detachLocked(m)
	if err := v.graftLocked(m, to); err != nil {
		v.setMountpointLocked(m, parent, point)
		return err
	}
	return nil
}

// CloneMountNamespace copies ns's mount tree (CLONE_NEWNS, unshare) for a
// namespace owned by owner: the copies keep their peer groups and
// masters, so that mounts keep propagating between the two trees. When
// owner differs from ns's owner (a less privileged namespace), shared
// mounts become slaves of the originals and every copy is locked (with
// its flags), as Linux does. The returned function maps a Path of the
// old tree to the same place in the new one (for the root and cwd of the
// tasks moving over); other paths are returned unchanged.
func (v *VirtualFilesystem) CloneMountNamespace(ns *MountNamespace, owner *auth.UserNamespace) (*MountNamespace, func(Path) Path) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	lessPrivileged := owner != ns.owner
	flag := clCopyUnbindable
	if lessPrivileged {
		flag |= clSharedToSlave
	}
	root, copies := v.copyTreeLocked(ns.root, ns.root.root, flag)
	n := &MountNamespace{root: root, owner: owner, id: v.newMountNamespaceIDLocked()}
	for _, c := range copies {
		c.ns = n
		if lessPrivileged {
			// The root too: on Linux the root of a mount tree
			// sits on the hidden rootfs, so its copy is locked
			// like every other (umount of / after pivot_root in a
			// user namespace is EINVAL).
			c.locked = true
			c.lockedFlags |= c.flags & perMountFlags
		}
	}
	translate := func(p Path) Path {
		if c := copies[p.Mount]; c != nil {
			return Path{Mount: c, Dentry: p.Dentry}
		}
		return p
	}
	return n, translate
}
