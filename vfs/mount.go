package vfs

import (
	"sort"
	"strings"

	"golang.org/x/sys/unix"
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
	// locked (Linux's MNT_LOCKED) keeps the mount on its mount point: it
	// cannot be unmounted or moved, so that what it covers (the host's
	// /tmp below kite's) stays hidden. Guarded by vfs.mountMu.
	locked bool
	// children counts mounts whose parent is this mount.
	children int
	// seq orders mounts by creation, for Mounts.
	seq uint64
	// source is what /proc/mounts shows as the mounted device.
	source string
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
	root *Mount
}

// Root returns the namespace's root directory.
func (ns *MountNamespace) Root() Path { return ns.root.Root() }

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
	m := &Mount{vfs: v, fs: s, root: root, flags: flags}
	v.mountMu.Lock()
	v.mountSeq++
	m.seq = v.mountSeq
	v.mountMu.Unlock()
	return &MountNamespace{root: m}, nil
}

// Mount mounts fs on the directory at (which callers get by resolving a
// path, so it is already the top of any mount stack there) with MS_*
// flags.
func (v *VirtualFilesystem) Mount(ctx Context, at Path, fs Filesystem, flags uint32) error {
	if !at.Ok() || at.Mount == nil {
		return unix.EINVAL
	}
	if !at.Dentry.IsDir() {
		return unix.ENOTDIR
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
	if !root.IsDir() {
		return unix.ENOTDIR
	}
	m := &Mount{vfs: v, fs: s, root: root, flags: flags}
	return v.attach(m, at)
}

// BindMount mounts the tree at src on at (mount --bind). A tree with
// locked mounts below src can only be bound recursively (EINVAL), or the
// bind would show what they cover.
func (v *VirtualFilesystem) BindMount(ctx Context, src, at Path, flags uint32) error {
	if !at.Ok() || at.Mount == nil || !src.Ok() || src.Mount == nil {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	for _, m := range v.mountsBelowLocked(src) {
		if m.locked {
			v.mountMu.Unlock()
			return unix.EINVAL
		}
	}
	v.mountMu.Unlock()
	if src.Dentry.IsDir() != at.Dentry.IsDir() {
		return unix.ENOTDIR
	}
	m := &Mount{vfs: v, fs: src.Mount.fs, root: src.Dentry, flags: flags}
	return v.attach(m, at)
}

func (v *VirtualFilesystem) attach(m *Mount, at Path) error {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	k := mountKey{at.Mount, at.Dentry}
	if v.mounts[k] != nil {
		// at is not the top of its stack; mount on the top.
		for top := v.mounts[k]; top != nil; top = v.mounts[mountKey{top, top.root}] {
			k = mountKey{top, top.root}
		}
	}
	v.mountSeq++
	m.seq = v.mountSeq
	m.parent = k.m
	m.point = k.d
	k.m.children++
	k.d.mounts.Add(1)
	v.mounts[k] = m
	return nil
}

// Umount detaches the mount whose root is at. EINVAL if at is not a mount
// root or is locked; EBUSY if other mounts sit on it.
func (v *VirtualFilesystem) Umount(ctx Context, at Path) error {
	if !at.Ok() || at.Mount == nil || at.Dentry != at.Mount.root {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	m := at.Mount
	if m.parent == nil || m.locked {
		return unix.EINVAL
	}
	if m.children > 0 {
		return unix.EBUSY
	}
	delete(v.mounts, mountKey{m.parent, m.point})
	m.parent.children--
	m.point.mounts.Add(-1)
	m.parent, m.point = nil, nil
	return nil
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
}

// Mounts lists the mounts of the tree that contains root, parents before
// children, with mount points named relative to root.
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
	infos := make([]MountInfo, 0, len(order))
	for _, m := range order {
		src := m.source
		if src == "" {
			src = m.fs.fs.Name()
		}
		parent := m.seq
		if m.parent != nil {
			parent = m.parent.seq
		}
		infos = append(infos, MountInfo{Mount: m, Source: src, FSType: m.fs.fs.Name(), Flags: m.flags,
			Dev: m.fs.dev, ID: m.seq, Parent: parent})
	}
	v.mountMu.Unlock()
	for i := range infos {
		m := infos[i].Mount
		infos[i].MountPoint = v.PathName(root, m.Root())
		infos[i].Root = v.dentryPath(m.root)
	}
	return infos
}

// dentryPath returns d's name within its file system ("/" for its root).
func (v *VirtualFilesystem) dentryPath(d *Dentry) string {
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
