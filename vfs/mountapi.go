package vfs

import (
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// The new mount API (fsmount, open_tree, move_mount, mount_setattr) and
// mount listing (statmount, listmount): detached trees, unique mount ids
// and the views of a mount those calls give.

// MountUniqueIDOffset is the value every unique mount id is above (Linux's
// MNT_UNIQUE_ID_OFFSET): ids at or below it are the small reused ones of
// mountinfo, and statmount and listmount refuse them.
const MountUniqueIDOffset = 1 << 31

// UniqueID returns m's 64-bit mount id (statx's STATX_MNT_ID_UNIQUE,
// statmount, listmount), never reused. kite's mountinfo ids are never
// reused either, so it is the small id above the offset.
func (m *Mount) UniqueID() uint64 { return MountUniqueIDOffset + m.ID() }

// newMountNamespaceIDLocked returns the next mount namespace id.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) newMountNamespaceIDLocked() uint64 {
	v.mountNSSeq++
	return v.mountNSSeq
}

// ID returns ns's 64-bit id (statmount's mnt_ns_id).
func (ns *MountNamespace) ID() uint64 {
	v := ns.root.vfs
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	return ns.id
}

// newAnonNamespaceLocked puts the detached tree topped by top in a new
// anonymous namespace owned by owner, with one reference (the file that
// OpenDetached makes).
//
// Preconditions: v.mountMu is held; top is detached.
func (v *VirtualFilesystem) newAnonNamespaceLocked(top *Mount, owner *auth.UserNamespace) {
	ns := &MountNamespace{root: top, owner: owner, refs: 1, anon: true, id: v.newMountNamespaceIDLocked()}
	for _, m := range v.treeLocked(top) {
		m.ns = ns
	}
}

// releaseAnonLocked unmounts the tree of the anonymous namespace ns, no
// longer used, unless move_mount attached it elsewhere (Linux's
// dissolve_on_fput).
//
// Preconditions: v.mountMu is held; ns is anonymous.
func (v *VirtualFilesystem) releaseAnonLocked(ns *MountNamespace) {
	if ns.root.ns != ns {
		return
	}
	v.dismantleLocked(ns, true)
	v.detachedLocked(ns.root.fs)
}

// IsDetachedRoot reports whether m is the root of a detached tree (an
// fsmount or OPEN_TREE_CLONE mount that move_mount has not attached).
func (m *Mount) IsDetachedRoot() bool {
	m.vfs.mountMu.Lock()
	defer m.vfs.mountMu.Unlock()
	return m.parent == nil && m.ns != nil && m.ns.anon && m.ns.root == m
}

// NewDetachedMount mounts fs on no mount point (fsmount): the mount is
// the root of a detached tree, which lives while the file OpenDetached
// makes for it does, unless move_mount attaches it. flags are MS_* flags.
func (v *VirtualFilesystem) NewDetachedMount(ctx Context, fs Filesystem, source string, flags uint32, owner *auth.UserNamespace) (*Mount, error) {
	v.mountMu.Lock()
	s := v.fsStateLocked(fs)
	v.mountMu.Unlock()
	root, err := v.rootDentry(ctx, s)
	if err != nil {
		return nil, err
	}
	m := &Mount{vfs: v, fs: s, root: root, flags: flags & perMountFlags, source: source}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	v.mountSeq++
	m.seq = v.mountSeq
	v.newAnonNamespaceLocked(m, owner)
	return m, nil
}

// CloneTree copies the mount at src (its tree with recursive) into a
// detached tree (open_tree with OPEN_TREE_CLONE), as a bind mount would
// copy it: EINVAL if src's mount is unbindable, or if mounts locked
// below src would be left out of a copy that is not recursive.
func (v *VirtualFilesystem) CloneTree(src Path, recursive bool, owner *auth.UserNamespace) (*Mount, error) {
	if !src.Ok() || src.Mount == nil {
		return nil, unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if err := v.bindableLocked(src, recursive); err != nil {
		return nil, err
	}
	top := v.bindCopyLocked(src, recursive)
	v.newAnonNamespaceLocked(top, owner)
	return top, nil
}

// OpenDetached returns an O_PATH file of the root of m, a detached tree
// just made by NewDetachedMount or CloneTree, that holds the tree: the
// tree is unmounted at its last close unless move_mount attached it.
func (v *VirtualFilesystem) OpenDetached(ctx Context, m *Mount) *File {
	v.mountMu.Lock()
	ns := m.ns
	v.mountMu.Unlock()
	f := v.newFile(ctx, m.Root(), nil, unix.O_PATH)
	f.detached = ns
	return f
}

// SetMountAttr changes the flags of the mount whose root is at, and with
// recursive of every mount below it (mount_setattr): the MS_* flags of
// clr are cleared and those of set set, then the propagation type is
// changed to prop (0: unchanged; MS_SHARED, MS_SLAVE, MS_PRIVATE or
// MS_UNBINDABLE). EINVAL if at is not a mount root; EPERM, changing
// nothing, if a flag locked on a copy into a less privileged namespace
// would change.
func (v *VirtualFilesystem) SetMountAttr(at Path, set, clr, prop uint32, recursive bool) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	ms := []*Mount{at.Mount}
	if recursive {
		ms = append(ms, v.mountsBelowLocked(at)...)
	}
	if set|clr != 0 {
		for _, m := range ms {
			flags := m.flags&^clr | set
			if m.lockedFlags&^flags != 0 || (m.lockedFlags&atimeMountFlags != 0 && flags&atimeMountFlags != m.flags&atimeMountFlags) {
				return unix.EPERM
			}
		}
		for _, m := range ms {
			m.flags = (m.flags&^clr | set) & perMountFlags
		}
	}
	if prop != 0 {
		v.setPropagationLocked(at.Mount, prop, recursive)
	}
	return nil
}

// MountStat is what statmount reports of a mount.
type MountStat struct {
	ID, ParentID       uint64 // unique ids; the parent's is the mount's own for a root
	OldID, OldParentID uint64 // mountinfo's ids
	Flags              uint32 // MS_* flags of the mount
	FSType, Source     string
	Dev                uint64
	Filesystem         Filesystem
	Root               string // the mounted directory within its file system
	MountPoint         string // as seen from the root given to StatMount
	// Reachable says the mount lies at or below that root.
	Reachable bool
	// Propagation: the peer group id of a shared mount, the master's
	// group id of a slave and the group of its nearest master with a
	// peer reachable from the root (0 when absent), unbindable.
	Shared, Master, PropagateFrom int
	Unbindable                    bool
	NamespaceID                   uint64
}

// namespaceMountsLocked returns the mounts of ns, in creation order.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) namespaceMountsLocked(ns *MountNamespace) []*Mount {
	ms := []*Mount{}
	if ns.root.ns == ns {
		ms = append(ms, ns.root)
	}
	for _, m := range v.mounts {
		if m.ns == ns {
			ms = append(ms, m)
		}
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].seq < ms[j].seq })
	return ms
}

// mountByUniqueIDLocked returns the mount of ns whose unique id is id,
// or nil.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) mountByUniqueIDLocked(ns *MountNamespace, id uint64) *Mount {
	if id <= MountUniqueIDOffset {
		return nil
	}
	seq := id - MountUniqueIDOffset
	if ns.root.seq == seq && ns.root.ns == ns {
		return ns.root
	}
	for _, m := range v.mounts {
		if m.seq == seq && m.ns == ns {
			return m
		}
	}
	return nil
}

// StatMount describes the mount of ns whose unique id is id, with its
// mount point named from root (statmount). ENOENT if ns has no such
// mount.
func (v *VirtualFilesystem) StatMount(ns *MountNamespace, id uint64, root Path) (MountStat, error) {
	v.mountMu.Lock()
	m := v.mountByUniqueIDLocked(ns, id)
	if m == nil {
		v.mountMu.Unlock()
		return MountStat{}, unix.ENOENT
	}
	src := m.source
	if src == "" {
		src = m.fs.fs.Name()
	}
	st := MountStat{ID: MountUniqueIDOffset + m.seq, OldID: m.seq, Flags: m.flags, FSType: m.fs.fs.Name(),
		Source: src, Dev: m.fs.dev, Filesystem: m.fs.fs, Unbindable: m.unbindable, NamespaceID: ns.id,
		Reachable: reachableLocked(m, m.root, root)}
	st.ParentID, st.OldParentID = st.ID, st.OldID
	point := m.Root()
	if m.parent != nil {
		st.ParentID, st.OldParentID = MountUniqueIDOffset+m.parent.seq, m.parent.seq
		point = Path{Mount: m.parent, Dentry: m.point}
	}
	if m.shared {
		st.Shared = m.group
	}
	if m.master != nil {
		st.Master = m.master.group
		st.PropagateFrom = v.dominatingGroupLocked(m, root)
	}
	v.mountMu.Unlock()
	st.MountPoint = v.PathName(root, point)
	st.Root = v.dentryPath(m.root)
	return st, nil
}

// ListMounts returns the unique ids of the mounts of ns at or below from
// (a mount root, or a process's root), except from's own mount when it is
// parent, in order of their ids (reversed with reverse), from the first
// id after last (before it with reverse; 0: from the start), at most max
// (listmount). ENOENT if parent is not 0 and no mount of ns has that id.
func (v *VirtualFilesystem) ListMounts(ns *MountNamespace, parent uint64, root Path, last uint64, reverse bool, max int) ([]uint64, error) {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	from := root
	if parent != 0 {
		m := v.mountByUniqueIDLocked(ns, parent)
		if m == nil {
			return nil, unix.ENOENT
		}
		from = m.Root()
	}
	ms := v.namespaceMountsLocked(ns)
	if reverse {
		for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
			ms[i], ms[j] = ms[j], ms[i]
		}
	}
	var ids []uint64
	for _, m := range ms {
		if len(ids) == max {
			break
		}
		id := MountUniqueIDOffset + m.seq
		if last != 0 && ((!reverse && id <= last) || (reverse && id >= last)) {
			continue
		}
		if id == parent || !reachableLocked(m, m.root, from) {
			continue
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// MountReachable reports whether the mount of ns whose unique id is id
// lies at or below root (0 stands for root itself), as listmount checks
// before it lists.
func (v *VirtualFilesystem) MountReachable(ns *MountNamespace, id uint64, root Path) bool {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if id == 0 {
		return true
	}
	m := v.mountByUniqueIDLocked(ns, id)
	return m != nil && reachableLocked(m, m.root, root)
}

// SetMountGroup puts the mount whose root is to in the peer group of the
// mount whose root is from, and under from's master (move_mount's
// MOVE_MOUNT_SET_GROUP, which CRIU uses to restore sharing): EINVAL unless
// both are mounted roots of mounts of one file system, to's root lies
// within from's with no locked mount of from on or below it, from is
// shared or a slave, and to is neither.
func (v *VirtualFilesystem) SetMountGroup(from, to Path) error {
	if !isMountRoot(from) || !isMountRoot(to) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	f, m := from.Mount, to.Mount
	if f.ns == nil || m.ns == nil || f.fs != m.fs || !f.root.isAncestorOfLockedRename(m.root) {
		return unix.EINVAL
	}
	for _, c := range v.childrenByParentLocked()[f] {
		if c.locked && m.root.isAncestorOfLockedRename(c.point) {
			return unix.EINVAL
		}
	}
	if m.shared || m.master != nil || (!f.shared && f.master == nil) {
		return unix.EINVAL
	}
	if f.master != nil {
		addSlave(m, f.master)
	}
	if f.shared {
		v.releaseGroupLocked(m)
		m.group = f.group
		addPeerAfter(m, f)
		m.shared = true
	}
	return nil
}
