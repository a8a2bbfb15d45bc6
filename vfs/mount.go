package vfs

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// Path is a location in the mount tree: a dentry seen through a mount.
type Path struct {
	Mount  *Mount
	Dentry *Dentry
}

// Ok reports whether p is set.
func (p Path) Ok() bool { return p.Dentry != nil }

// Mount is one mount of a file system: its root dentry placed on a mount
// point of a parent mount.
type Mount struct {
	vfs  *VirtualFilesystem
	fs   *fsState
	root *Dentry

	// parent, point and flags are guarded by vfs.mountMu. The root mount
	// of a namespace has parent nil.
	parent *Mount
	point  *Dentry
	flags  uint32
	// ns is the mount namespace the mount is in; nil once unmounted or
	// while being built. Guarded by vfs.mountMu.
	ns *MountNamespace
	// locked (Linux's MNT_LOCKED) keeps the mount on its mount point: it
	// cannot be unmounted or moved, so that what it covers (the host's
	// /tmp below kite's) stays hidden. Guarded by vfs.mountMu.
	locked bool
	// lockedFlags are the MS_* flags of flags that a remount may not
	// clear (MNT_LOCK_READONLY and the rest: a copy into a less
	// privileged mount namespace). Guarded by vfs.mountMu.
	lockedFlags uint32
	// children counts mounts whose parent is this mount.
	children int
	// seq orders mounts by creation, for Mounts; it is the mount id.
	seq uint64
	// source is what /proc/mounts shows as the mounted device.
	source string

	// Propagation (propagate.go), guarded by vfs.mountMu. group is the
	// peer group id (0: none); shared is Linux's MNT_SHARED (a mount may
	// hold a group id before it becomes shared, while a tree is being
	// attached); peerNext and peerPrev link the peer group's ring (nil:
	// no peers); master is a mount of the peer group this one receives
	// events from, slaves are the mounts that receive this one's;
	// unbindable is MNT_UNBINDABLE.
	group              int
	shared             bool
	peerNext, peerPrev *Mount
	master             *Mount
	slaves             []*Mount
	unbindable         bool
}

type mountKey struct {
	m *Mount
	d *Dentry
}

// Mount flags (MS_* of mount(2)) that kite honours.
const (
	MountReadOnly = unix.MS_RDONLY
	MountNoSUID   = unix.MS_NOSUID
	MountNoDev    = unix.MS_NODEV
	MountNoExec   = unix.MS_NOEXEC
	// MountNoSymFollow keeps path resolution from following the
	// mount's symbolic links (ELOOP).
	MountNoSymFollow = unix.MS_NOSYMFOLLOW
)

// Filesystem returns the mounted file system.
func (m *Mount) Filesystem() Filesystem { return m.fs.fs }

// Root returns the mount's root, as a Path.
func (m *Mount) Root() Path { return Path{Mount: m, Dentry: m.root} }

// Flags returns the mount's MS_* flags.
func (m *Mount) Flags() uint32 {
	if m == nil {
		return 0
	}
	m.vfs.mountMu.Lock()
	defer m.vfs.mountMu.Unlock()
	return m.flags
}

// ReadOnly reports whether m is mounted read-only.
func (m *Mount) ReadOnly() bool { return m.Flags()&MountReadOnly != 0 }

// MountNamespace is a mount tree: the root mount of a set of processes.
type MountNamespace struct {
	// root is the namespace's root mount (pivot_root changes it).
	// Guarded by vfs.mountMu.
	root *Mount
	// owner is the user namespace that owns the namespace: mounts
	// propagated or copied into a namespace with another owner are
	// locked. Guarded by vfs.mountMu.
	owner *auth.UserNamespace
	// refs counts the namespace's users (tasks, namespace files); at
	// the last DecRef its mounts are unmounted. Guarded by vfs.mountMu.
	refs int
	// anon marks the namespace of a detached tree (fsmount, open_tree
	// with OPEN_TREE_CLONE), which only the file made with it uses
	// (Linux's anonymous mount namespace): move_mount attaches its root
	// elsewhere, and otherwise the last DecRef unmounts the tree.
	anon bool
	// id is the namespace's 64-bit id (statmount's mnt_ns_id), never
	// reused.
	id uint64
}

// IncRef counts a new user of ns.
func (ns *MountNamespace) IncRef() {
	v := ns.root.vfs
	v.mountMu.Lock()
	ns.refs++
	v.mountMu.Unlock()
}

// DecRef drops a user of ns. The last one unmounts every mount of the
// tree (Linux's put_mnt_ns), so that they leave their peer groups and
// stop receiving propagation.
func (ns *MountNamespace) DecRef() {
	v := ns.root.vfs
	v.mountMu.Lock()
	ns.refs--
	ns.releaseIfUnusedLocked()
	gone := v.unmountedLocked()
	v.mountMu.Unlock()
	v.notifyUnmounted(gone)
}

// MountNamespacePinner is implemented by inodes whose attached mounts
// keep a mount namespace's tree mounted though no task or open file uses
// it (a bind mount of the namespace's nsfs file).
type MountNamespacePinner interface {
	Pins(ns *MountNamespace) bool
}

// ReleaseIfUnused unmounts ns's tree if nothing uses it any more: no
// task, no open namespace file, no bind mount of its file (called when
// such a bind mount goes).
func (ns *MountNamespace) ReleaseIfUnused() {
	v := ns.root.vfs
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	ns.releaseIfUnusedLocked()
}

// releaseIfUnusedLocked is ReleaseIfUnused.
//
// Preconditions: v.mountMu is held.
func (ns *MountNamespace) releaseIfUnusedLocked() {
	v := ns.root.vfs
	if ns.refs > 0 {
		return
	}
	if ns.anon {
		v.releaseAnonLocked(ns)
		return
	}
	for _, m := range v.mounts {
		if p, ok := m.root.inode.(MountNamespacePinner); ok && p.Pins(ns) {
			return
		}
	}
	v.dismantleLocked(ns, false)
}

// dismantleLocked takes ns's tree apart, deepest mounts first: each is
// detached from its parent, made private and leaves the namespace (the
// root too with root set).
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) dismantleLocked(ns *MountNamespace, root bool) {
	tree := v.treeLocked(ns.root)
	for i := len(tree) - 1; i >= 0; i-- {
		m := tree[i]
		if m.parent != nil {
			v.detachLocked(m)
		}
		v.changePropagationLocked(m, unix.MS_PRIVATE)
		if root || m != ns.root {
			m.ns = nil
		}
	}
}

// Root returns the namespace's root directory.
func (ns *MountNamespace) Root() Path {
	v := ns.root.vfs
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	return ns.root.Root()
}

// SetOwner records the user namespace that owns ns (the kernel's first
// mount namespace; CloneMountNamespace sets it for copies).
func (ns *MountNamespace) SetOwner(owner *auth.UserNamespace) {
	v := ns.root.vfs
	v.mountMu.Lock()
	ns.owner = owner
	v.mountMu.Unlock()
}

// Namespace returns the mount namespace m is in, nil if m is not
// mounted.
func (m *Mount) Namespace() *MountNamespace {
	m.vfs.mountMu.Lock()
	defer m.vfs.mountMu.Unlock()
	return m.ns
}

// NewMountNamespace returns a namespace whose root mount is rootFS, with
// mount flags flags (MountReadOnly...).
func (v *VirtualFilesystem) NewMountNamespace(ctx Context, rootFS Filesystem, flags uint32) (*MountNamespace, error) {
	v.mountMu.Lock()
	s := v.fsStateLocked(rootFS)
	v.mountMu.Unlock()
	root, err := v.rootDentry(ctx, s)
	if err != nil {
		return nil, err
	}
	if !root.IsDir() {
		return nil, unix.ENOTDIR
	}
	flags = flags&^atimeMountFlags | mountAtimeFlags(flags, 0, false)
	m := &Mount{vfs: v, fs: s, root: root, flags: flags}
	v.mountMu.Lock()
	ns := &MountNamespace{root: m, id: v.newMountNamespaceIDLocked()}
	v.mountSeq++
	m.seq = v.mountSeq
	m.ns = ns
	v.mountMu.Unlock()
	return ns, nil
}

// Mount mounts fs on the directory at (which callers get by resolving a
// path, so it is already the top of any mount stack there) with MS_*
// flags; a file system whose root is not a directory goes on a
// non-directory instead.
func (v *VirtualFilesystem) Mount(ctx Context, at Path, fs Filesystem, flags uint32) error {
	if !at.Ok() || at.Mount == nil {
		return unix.EINVAL
	}
	if at.Dentry.Dead() {
		return unix.ENOENT
	}
	v.mountMu.Lock()
	s := v.fsStateLocked(fs)
	v.mountMu.Unlock()
	root, err := v.rootDentry(ctx, s)
	if err != nil {
		return err
	}
	// A directory goes on a directory; a file system whose root is a
	// file (a host file bound into a container) goes on a file.
	if at.Dentry.IsDir() != root.IsDir() {
		return unix.ENOTDIR
	}
	flags = flags&^atimeMountFlags | mountAtimeFlags(flags, 0, false)
	m := &Mount{vfs: v, fs: s, root: root, flags: flags}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	return v.graftLocked(m, at)
}

// BindMount mounts the tree at src on at (mount --bind): the new mount
// has src's flags and joins src's peer group. A tree with locked mounts
// below src can only be bound recursively (EINVAL), or the bind would show
// what they cover; an unbindable mount cannot be bound (EINVAL).
func (v *VirtualFilesystem) BindMount(ctx Context, src, at Path) error {
	return v.BindMountTree(ctx, src, at, false)
}

// Umount detaches the mount whose root is at, and its copies that
// propagation made on the peers and slaves of its parent. EINVAL if at is
// not a mount root or is locked; EBUSY if other mounts sit on it.
func (v *VirtualFilesystem) Umount(ctx Context, at Path) error {
	if !at.Ok() || at.Mount == nil || at.Dentry != at.Mount.root {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	err := v.umountLocked(at.Mount, false)
	gone := v.unmountedLocked()
	v.mountMu.Unlock()
	v.notifyUnmounted(gone)
	return err
}

// SetMountFlags changes a mount's flags (mount -o remount).
func (v *VirtualFilesystem) SetMountFlags(m *Mount, flags uint32) {
	v.mountMu.Lock()
	m.flags = flags
	v.mountMu.Unlock()
}

// followMounts returns the top of the mount stack on p, or p.
func (v *VirtualFilesystem) followMounts(p Path) Path {
	if p.Dentry.mounts.Load() == 0 {
		return p
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	for {
		m := v.mounts[mountKey{p.Mount, p.Dentry}]
		if m == nil {
			return p
		}
		p = Path{Mount: m, Dentry: m.root}
	}
}

// parentPath returns the Path of p's "..", never above root.
func (v *VirtualFilesystem) parentPath(p, root Path) Path {
	for {
		if p == root {
			return p
		}
		if p.Dentry != p.Mount.root {
			break
		}
		v.mountMu.Lock()
		parent, point := p.Mount.parent, p.Mount.point
		v.mountMu.Unlock()
		if parent == nil {
			return p
		}
		p = Path{Mount: parent, Dentry: point}
	}
	v.renameMu.RLock()
	d := p.Dentry.parent
	v.renameMu.RUnlock()
	if d == nil {
		return p
	}
	return v.followMounts(Path{Mount: p.Mount, Dentry: d})
}

// PathName returns p's absolute name as seen from root (getcwd, /proc
// links). A path not under root is named from its namespace's root; a
// removed file gets " (deleted)" appended; an anonymous file gets its name.
func (v *VirtualFilesystem) PathName(root, p Path) string {
	if p.Dentry == nil {
		return ""
	}
	if p.Dentry.anon {
		return p.Dentry.name
	}
	var parts []string
	deleted := p.Dentry.Dead()
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	for p != root {
		if p.Mount == nil {
			break
		}
		if p.Dentry == p.Mount.root {
			v.mountMu.Lock()
			parent, point := p.Mount.parent, p.Mount.point
			v.mountMu.Unlock()
			if parent == nil {
				break
			}
			p = Path{Mount: parent, Dentry: point}
			continue
		}
		if p.Dentry.parent == nil {
			break
		}
		parts = append(parts, p.Dentry.name)
		p = Path{Mount: p.Mount, Dentry: p.Dentry.parent}
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		b.WriteByte('/')
	}
	if deleted {
		b.WriteString(" (deleted)")
	}
	return b.String()
}

// IsReachable reports whether p is root or below it (getcwd reports
// "(unreachable)" otherwise).
func (v *VirtualFilesystem) IsReachable(root, p Path) bool {
	for {
		if p == root {
			return true
		}
		if p.Dentry == p.Mount.root {
			v.mountMu.Lock()
			parent, point := p.Mount.parent, p.Mount.point
			v.mountMu.Unlock()
			if parent == nil {
				return false
			}
			p = Path{Mount: parent, Dentry: point}
			continue
		}
		v.renameMu.RLock()
		d := p.Dentry.parent
		v.renameMu.RUnlock()
		if d == nil {
			return false
		}
		p.Dentry = d
	}
}

// MountInfo describes one mount for /proc/self/mounts.
type MountInfo struct {
	Mount      *Mount
	MountPoint string // as seen from the root given to Mounts
	Root       string // the mounted directory within its file system ("/" unless a bind mount)
	Source     string // the device or source name ("tmpfs", "proc", a host path)
	FSType     string
	Flags      uint32
	Dev        uint64
	ID, Parent uint64 // mount ids (the parent's is its own for the root)

	// Propagation, as mountinfo's optional fields show it: the peer
	// group id of a shared mount (shared:N), the master's group id of a
	// slave (master:N), the group of the nearest master peer reachable
	// from the reader's root when it differs (propagate_from:N), and
	// unbindable. Zero or false when absent.
	Shared, Master, PropagateFrom int
	Unbindable                    bool
}

// Mounts lists the mounts of the tree that contains root that are at or
// below root and still in a namespace, in creation order (as Linux: a mount moved under a newer
// one comes before its parent), with mount points named relative to
// root.
func (v *VirtualFilesystem) Mounts(root Path) []MountInfo {
	v.mountMu.Lock()
	top := root.Mount
	for top.parent != nil {
		top = top.parent
	}
	byParent := make(map[*Mount][]*Mount)
	for _, m := range v.mounts {
		byParent[m.parent] = append(byParent[m.parent], m)
	}
	var order []*Mount
	var walk func(m *Mount)
	walk = func(m *Mount) {
		order = append(order, m)
		cs := byParent[m]
		sort.Slice(cs, func(i, j int) bool { return cs[i].seq < cs[j].seq })
		for _, c := range cs {
			walk(c)
		}
	}
	walk(top)
	// Listed in creation order, as Linux lists a namespace's mounts (a
	// moved mount keeps its place).
	sort.SliceStable(order, func(i, j int) bool { return order[i].seq < order[j].seq })
	infos := make([]MountInfo, 0, len(order))
	for _, m := range order {
		if m.ns == nil || !reachableLocked(m, m.root, root) {
			// Outside a chroot, or lazily unmounted (a root
			// detached from its namespace): Linux leaves it out.
			continue
		}
		src := m.source
		if src == "" {
			src = m.fs.fs.Name()
		}
		parent := m.seq
		if m.parent != nil {
			parent = m.parent.seq
		}
		info := MountInfo{Mount: m, Source: src, FSType: m.fs.fs.Name(), Flags: m.flags,
			Dev: m.fs.dev, ID: m.seq, Parent: parent, Unbindable: m.unbindable}
		if m.shared {
			info.Shared = m.group
		}
		if m.master != nil {
			info.Master = m.master.group
			if d := v.dominatingGroupLocked(m, root); d != info.Master {
				info.PropagateFrom = d
			}
		}
		infos = append(infos, info)
	}
	// A mounted anonymous file (a bound nsfs file) is named by where it
	// is mounted, as Linux's __d_path, not by its own name.
	points := make([]Path, len(infos))
	for i := range infos {
		m := infos[i].Mount
		points[i] = m.Root()
		if m.root.anon && m.parent != nil {
			points[i] = Path{Mount: m.parent, Dentry: m.point}
		}
	}
	v.mountMu.Unlock()
	for i := range infos {
		infos[i].MountPoint = v.PathName(root, points[i])
		infos[i].Root = v.dentryPath(infos[i].Mount.root)
	}
	return infos
}

// dentryPath returns d's name within its file system ("/" for its root).
func (v *VirtualFilesystem) dentryPath(d *Dentry) string {
	if d.anon {
		return d.name // "net:[4026531840]", as Linux's d_dname
	}
	v.renameMu.RLock()
	defer v.renameMu.RUnlock()
	var parts []string
	for ; d != nil && d.parent != nil; d = d.parent {
		parts = append(parts, d.name)
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(parts[i])
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// FollowMounts returns the root of the topmost mount stacked on p, or p
// (umount2 and pivot_root look at what is mounted on a path such as "."
// that resolution leaves under its mounts).
func (v *VirtualFilesystem) FollowMounts(p Path) Path { return v.followMounts(p) }

// ID returns m's mount id (mountinfo's first field, fdinfo's mnt_id).
func (m *Mount) ID() uint64 {
	m.vfs.mountMu.Lock()
	defer m.vfs.mountMu.Unlock()
	return m.seq
}

// UnmountNotifier is implemented by inodes that want to know when a
// mount whose root they are is detached (a bind-mounted namespace file
// keeps its namespace alive). Unmounted runs with the mount lock held: it
// must not call back into the VFS synchronously.
type UnmountNotifier interface {
	Unmounted()
}

// AnyMountRoot reports whether an attached mount's root inode satisfies
// match (called with the mount lock held).
func (v *VirtualFilesystem) AnyMountRoot(match func(Inode) bool) bool {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	for _, m := range v.mounts {
		if match(m.root.inode) {
			return true
		}
	}
	return false
}

// isLocalMountpoint reports whether d is a mount point in the mount
// namespace of fsc's root (Linux's is_local_mountpoint, for the caller's
// namespace): rmdir, unlink and rename refuse to remove such a name
// (EBUSY), while mounts on it in other namespaces go with it
// (detachMountsOn).
func (v *VirtualFilesystem) isLocalMountpoint(fsc *FSContext, d *Dentry) bool {
	if d.mounts.Load() == 0 {
		return false
	}
	root := fsc.Root()
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if root.Mount == nil {
		return true
	}
	ns := root.Mount.ns
	for k, m := range v.mounts {
		if k.d == d && (m.ns == ns || ns == nil) {
			return true
		}
	}
	return false
}

// detachMountsOn lazily unmounts every mount on d, a dentry just removed
// (Linux's detach_mounts): those of other namespaces, which
// isLocalMountpoint let go. It returns the file systems gone, for
// notifyUnmounted once the caller's dentry locks are released.
func (v *VirtualFilesystem) detachMountsOn(d *Dentry) []*fsState {
	if d.mounts.Load() == 0 {
		return nil
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	var on []*Mount
	for k, m := range v.mounts {
		if k.d == d {
			on = append(on, m)
		}
	}
	sort.Slice(on, func(i, j int) bool { return on[i].seq < on[j].seq })
	for _, m := range on {
		if m.parent != nil && m.point == d {
			v.umountTreeLocked(m, true)
		}
	}
	return v.unmountedLocked()
}
