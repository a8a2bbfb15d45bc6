package vfs

import (
	"sort"

	"golang.org/x/sys/unix"
)

// Mount propagation (Linux's Documentation/filesystems/sharedsubtree):
// mounts are shared (a member of a peer group: a mount or unmount under
// one happens under every peer), slaves (receiving the events of a master
// peer group without sending theirs back), both, private or unbindable.
// The model is Linux's: a ring of peers per group, a master pointer and a
// list of slaves per mount, group ids allocated smallest first.

// Copy flags of cloneMountLocked and copyTreeLocked (Linux's CL_*).
const (
	clSlave          = 1 << iota // the copy is a slave of the original
	clPrivate                    // the copy has no propagation
	clMakeShared                 // the copy is shared, a peer of the original
	clSharedToSlave              // a shared original gives a slave copy
	clCopyUnbindable             // copy unbindable mounts too
)

// maxMounts bounds the mounts one mount or propagation may leave in the
// VFS (Linux's fs.mount-max, per namespace there): propagation between
// shared trees grows quickly.
const maxMounts = 100000

// nextPeer returns the next mount of m's peer group (m if it has none).
func (m *Mount) nextPeer() *Mount {
	if m.peerNext == nil {
		return m
	}
	return m.peerNext
}

// hasPeers reports whether m's peer group has other members.
func (m *Mount) hasPeers() bool { return m.peerNext != nil && m.peerNext != m }

// peers returns the members of m's peer group, m first.
func (m *Mount) peers() []*Mount {
	out := []*Mount{m}
	for p := m.nextPeer(); p != m; p = p.nextPeer() {
		out = append(out, p)
	}
	return out
}

// addPeerAfter puts m in old's peer group, after old in its ring.
func addPeerAfter(m, old *Mount) {
	if old.peerNext == nil {
		old.peerNext, old.peerPrev = old, old
	}
	m.peerPrev = old
	m.peerNext = old.peerNext
	old.peerNext.peerPrev = m
	old.peerNext = m
}

// removePeer takes m out of its peer group's ring.
func removePeer(m *Mount) {
	if m.peerNext == nil {
		return
	}
	m.peerPrev.peerNext = m.peerNext
	m.peerNext.peerPrev = m.peerPrev
	m.peerNext, m.peerPrev = nil, nil
}

// addSlave makes m a slave of master.
func addSlave(m, master *Mount) {
	m.master = master
	master.slaves = append(master.slaves, m)
}

// removeSlave takes m off its master's list of slaves.
func removeSlave(m *Mount) {
	if m.master == nil {
		return
	}
	ss := m.master.slaves
	for i, s := range ss {
		if s == m {
			m.master.slaves = append(ss[:i:i], ss[i+1:]...)
			break
		}
	}
	m.master = nil
}

// allocGroupLocked returns the smallest unused peer group id.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) allocGroupLocked() int {
	if v.groupIDs == nil {
		v.groupIDs = make(map[int]bool)
	}
	id := 1
	for v.groupIDs[id] {
		id++
	}
	v.groupIDs[id] = true
	return id
}

// releaseGroupLocked gives m's group id back when m is its group's last
// member.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) releaseGroupLocked(m *Mount) {
	if m.group != 0 && !m.hasPeers() {
		delete(v.groupIDs, m.group)
	}
	m.group = 0
}

// makeSlaveLocked is Linux's do_make_slave: m leaves its peer group and
// becomes a slave of a former peer (one with the same root if any), or
// keeps its master when it had no peers; its slaves move to that master
// (or become free when there is none).
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) makeSlaveLocked(m *Mount) {
	var master *Mount
	if !m.hasPeers() {
		v.releaseGroupLocked(m)
		m.shared = false
		removePeer(m)
		master = m.master
		if master == nil {
			for _, s := range m.slaves {
				s.master = nil
			}
			m.slaves = nil
			return
		}
	} else {
		master = m.nextPeer()
		for p := m.nextPeer(); p != m; p = p.nextPeer() {
			if p.root == m.root {
				master = p
				break
			}
		}
		removePeer(m)
		m.group = 0
		m.shared = false
	}
	for _, s := range m.slaves {
		s.master = master
	}
	removeSlave(m)
	master.slaves = append(master.slaves, m)
	master.slaves = append(master.slaves, m.slaves...)
	m.slaves = nil
	m.master = master
}

// changePropagationLocked is Linux's change_mnt_propagation for one mount.
// A mount made shared must already hold a group id.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) changePropagationLocked(m *Mount, typ uint32) {
	if typ == unix.MS_SHARED {
		m.shared = true
		m.unbindable = false
		return
	}
	v.makeSlaveLocked(m)
	if typ != unix.MS_SLAVE {
		removeSlave(m)
		m.unbindable = typ == unix.MS_UNBINDABLE
	}
}

// SetPropagation changes the propagation type of the mount whose root is
// at (mount --make-shared, --make-slave, --make-private,
// --make-unbindable), and with recursive (MS_REC) of every mount below
// it. typ is one of MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE.
// EINVAL if at is not a mount root.
func (v *VirtualFilesystem) SetPropagation(at Path, typ uint32, recursive bool) error {
	if !isMountRoot(at) {
		return unix.EINVAL
	}
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	v.setPropagationLocked(at.Mount, typ, recursive)
	return nil
}

// setPropagationLocked is SetPropagation of m, a mount root.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) setPropagationLocked(m *Mount, typ uint32, recursive bool) {
	at := m.Root()
	ms := []*Mount{at.Mount}
	if recursive {
		ms = append(ms, v.mountsBelowLocked(at.Mount.Root())...)
	}
	if typ == unix.MS_SHARED {
		for _, m := range ms {
			if m.group == 0 {
				m.group = v.allocGroupLocked()
			}
		}
	}
	for _, m := range ms {
		v.changePropagationLocked(m, typ)
	}
}

// cloneMountLocked returns a detached copy of old showing root (a
// directory of old's file system), with old's flags, locks and
// propagation adjusted by flag as Linux's clone_mnt does.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) cloneMountLocked(old *Mount, root *Dentry, flag int) *Mount {
	m := &Mount{vfs: v, fs: old.fs, root: root, flags: old.flags, source: old.source,
		locked: old.locked, lockedFlags: old.lockedFlags, shared: old.shared}
	v.mountSeq++
	m.seq = v.mountSeq
	if flag&(clSlave|clPrivate|clSharedToSlave) == 0 {
		m.group = old.group
	}
	if flag&clMakeShared != 0 && m.group == 0 {
		m.group = v.allocGroupLocked()
	}
	switch {
	case flag&clSlave != 0 || (flag&clSharedToSlave != 0 && old.shared):
		addSlave(m, old)
		m.shared = false
	case flag&clPrivate == 0:
		if flag&clMakeShared != 0 || old.shared {
			addPeerAfter(m, old)
		}
		if old.master != nil {
			addSlave(m, old.master)
		}
	default:
		m.shared = false
	}
	if flag&clMakeShared != 0 {
		m.shared = true
	}
	return m
}

// copyTreeLocked copies the tree of src seen from root (a directory of
// src's file system): src and the mounts below root, placed on the same
// points of the copies, except unbindable ones (and what lies below them)
// unless flag has clCopyUnbindable. It returns the copy of src and the
// copy of every mount copied. The copy is detached and in no namespace.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) copyTreeLocked(src *Mount, root *Dentry, flag int) (*Mount, map[*Mount]*Mount) {
	top := v.cloneMountLocked(src, root, flag)
	copies := map[*Mount]*Mount{src: top}
	for _, m := range v.mountsBelowLocked(Path{Mount: src, Dentry: root}) {
		parent := copies[m.parent]
		if parent == nil {
			continue
		}
		if flag&clCopyUnbindable == 0 && m.unbindable {
			continue
		}
		c := v.cloneMountLocked(m, m.root, flag)
		v.setMountpointLocked(c, parent, m.point)
		copies[m] = c
	}
	return top, copies
}

// treeLocked returns m and the mounts below it, parents first.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) treeLocked(m *Mount) []*Mount {
	return append([]*Mount{m}, v.mountsBelowLocked(m.Root())...)
}

// dropTreeLocked undoes a copy that was never attached: the mounts leave
// their peer groups and masters.
//
// Preconditions: v.mountMu is held; top is detached.
func (v *VirtualFilesystem) dropTreeLocked(top *Mount) {
	tree := v.treeLocked(top)
	for i := len(tree) - 1; i >= 0; i-- {
		m := tree[i]
		if m.parent != nil {
			v.detachLocked(m)
		}
		v.changePropagationLocked(m, unix.MS_PRIVATE)
	}
}

// graftLocked attaches the detached tree topped by src on at (on the
// topmost mount stacked there), in at's namespace, and propagates it:
// when the mount it lands on is shared, every mount of the tree becomes
// shared and a copy of the tree goes on the same place of each peer and
// slave of that mount (Linux's attach_recursive_mnt).
//
// Preconditions: v.mountMu is held; src is detached.
func (v *VirtualFilesystem) graftLocked(src *Mount, at Path) error {
	dest, point := v.stackTopLocked(at)
	tree := v.treeLocked(src)
	if dest.shared {
		targets := v.propagationTargetsLocked(dest)
		if len(v.mounts)+len(tree)*(len(targets)+1) > maxMounts {
			return unix.ENOSPC
		}
		for _, m := range tree {
			if m.group == 0 {
				m.group = v.allocGroupLocked()
			}
		}
		v.propagateMountLocked(dest, point, src)
	} else if len(v.mounts)+len(tree) > maxMounts {
		return unix.ENOSPC
	}
	v.setMountpointLocked(src, dest, point)
	for _, m := range tree {
		m.ns = dest.ns
		if dest.shared {
			m.shared = true
		}
	}
	return nil
}

// propagationTargetsLocked returns the mounts that receive m's mount and
// unmount events: its peers, their slaves and the slaves' peers and
// slaves, recursively (m itself excluded).
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) propagationTargetsLocked(m *Mount) []*Mount {
	var out []*Mount
	seen := map[*Mount]bool{m: true}
	var walk func(group []*Mount)
	walk = func(group []*Mount) {
		for _, n := range group {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
		for _, n := range group {
			for _, s := range n.slaves {
				if !seen[s] {
					walk(s.peers())
				}
			}
		}
	}
	walk(m.peers())
	return out
}

// groupKey identifies the peer group of m: its id when it is shared, m
// itself otherwise.
func groupKey(m *Mount) any {
	if m.group != 0 {
		return m.group
	}
	return m
}

// propagateMountLocked puts a copy of the tree of src on point of every
// peer and slave of dest whose root covers point (Linux's propagate_mnt).
// Copies on dest's peers are peers of src; a copy on a slave group is a
// slave of the copy made in its master's group (or of src), and shared
// with the copies on its own peers when that group is shared. Copies in a
// namespace owned by another user namespace than dest's have their flags
// locked, and the mounts below their tops are locked. A
// mount already on point of a peer ends up on top of the copy (Linux's
// mnt_change_mountpoint).
//
// Preconditions: v.mountMu is held; the mounts of src's tree have group
// ids.
func (v *VirtualFilesystem) propagateMountLocked(dest *Mount, point *Dentry, src *Mount) {
	made := map[any]*Mount{groupKey(dest): src}
	fresh := map[*Mount]bool{}
	visited := map[any]bool{groupKey(dest): true}
	one := func(n, masterCopy *Mount) {
		// Detached trees receive nothing (Linux's IS_MNT_NEW).
		if n == dest || n.ns == nil || n.ns.anon || fresh[n] || !n.root.isAncestorOfLockedRename(point) {
			return
		}
		k := groupKey(n)
		var c *Mount
		if from := made[k]; from != nil {
			c, _ = v.copyTreeLocked(from, from.root, clMakeShared)
		} else {
			flag := clSlave
			if n.shared {
				flag |= clMakeShared
			}
			c, _ = v.copyTreeLocked(masterCopy, masterCopy.root, flag)
			made[k] = c
		}
		q := v.mounts[mountKey{n, point}]
		if q != nil {
			v.detachLocked(q)
		}
		v.setMountpointLocked(c, n, point)
		lock := n.ns != dest.ns && (n.ns == nil || dest.ns == nil || n.ns.owner != dest.ns.owner)
		for _, m := range v.treeLocked(c) {
			fresh[m] = true
			m.ns = n.ns
			if lock {
				// Linux's lock_mnt_tree: what the top covers was
				// visible before; the mounts below it stay put.
				m.locked = m.locked || m != c
				m.lockedFlags |= m.flags & perMountFlags
			}
		}
		if q != nil {
			top, tp := v.stackTopLocked(c.Root())
			v.setMountpointLocked(q, top, tp)
		}
	}
	var walk func(group []*Mount, masterCopy *Mount)
	walk = func(group []*Mount, masterCopy *Mount) {
		for _, n := range group {
			one(n, masterCopy)
		}
		if c := made[groupKey(group[0])]; c != nil {
			masterCopy = c
		}
		for _, n := range group {
			for _, s := range append([]*Mount(nil), n.slaves...) {
				if fresh[s] || visited[groupKey(s)] {
					continue
				}
				visited[groupKey(s)] = true
				walk(s.peers(), masterCopy)
			}
		}
	}
	walk(dest.peers(), src)
}

// umountLocked unmounts m (and with lazy every mount below it), and the
// copies propagation put on the same points of the peers and slaves of
// their parents when those copies are not locked and have nothing else
// mounted below them. The unmounted mounts leave their peer groups (Linux
// makes them private), their slaves passing to another peer or their
// master.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) umountLocked(m *Mount, lazy bool) error {
	if m.parent == nil || m.locked {
		return unix.EINVAL
	}
	if !lazy && m.children > 0 {
		return unix.EBUSY
	}
	v.umountTreeLocked(m, lazy)
	return nil
}

// umountTreeLocked is umountLocked without its checks: m is attached,
// and with !lazy nothing is mounted below it.
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) umountTreeLocked(m *Mount, lazy bool) {
	byParent := v.childrenByParentLocked()
	list := []*Mount{m}
	if lazy {
		list = append(list, mountsBelow(byParent, m.Root())...)
	}
	marked := make(map[*Mount]bool, len(list))
	for _, x := range list {
		marked[x] = true
	}
	for i := len(list) - 1; i >= 0; i-- {
		x := list[i]
		for _, t := range v.propagationTargetsLocked(x.parent) {
			c := v.mounts[mountKey{t, x.point}]
			if c == nil || marked[c] || (c.locked && !marked[c.parent]) {
				continue
			}
			busy := false
			for _, k := range byParent[c] {
				busy = busy || !marked[k]
			}
			if busy {
				continue
			}
			marked[c] = true
			list = append(list, c)
		}
	}
	depth := func(x *Mount) int {
		n := 0
		for ; x != nil; x = x.parent {
			n++
		}
		return n
	}
	depths := make(map[*Mount]int, len(list))
	for _, x := range list {
		depths[x] = depth(x)
	}
	sort.SliceStable(list, func(i, j int) bool { return depths[list[i]] > depths[list[j]] })
	for _, x := range list {
		if x.parent != nil {
			v.detachLocked(x)
		}
		v.changePropagationLocked(x, unix.MS_PRIVATE)
		x.ns = nil
	}
}

// reachableLocked reports whether the directory d of mount m is root or
// lies below it in the mount tree (Linux's is_path_reachable).
//
// Preconditions: v.mountMu is held.
func reachableLocked(m *Mount, d *Dentry, root Path) bool {
	for m != root.Mount && m.parent != nil {
		d = m.point
		m = m.parent
	}
	return m == root.Mount && root.Dentry.isAncestorOfLockedRename(d)
}

// dominatingGroupLocked returns the group id of the nearest master of m
// that has a peer in m's namespace reachable from root, or 0 (Linux's
// get_dominating_id, for propagate_from:N).
//
// Preconditions: v.mountMu is held.
func (v *VirtualFilesystem) dominatingGroupLocked(m *Mount, root Path) int {
	for x := m.master; x != nil; x = x.master {
		for _, p := range x.peers() {
			if p.ns == m.ns && p.ns != nil && reachableLocked(p, p.root, root) {
				return p.group
			}
		}
	}
	return 0
}

// PivotRoot is pivot_root(2) in namespace ns for a process whose root is
// root: the mount whose root is newRoot becomes the namespace's root (on
// the place root's mount had) and root's mount moves onto putOld (the top
// of its mount stack), with Linux's checks. EINVAL if put_old's mount or
// the parents of newRoot's or root's mounts are shared, if root or
// newRoot is not a mount root, is outside ns or newRoot is locked, or if
// putOld is not at or below newRoot or newRoot not below root; ENOENT if
// newRoot was removed; EBUSY if newRoot or putOld is on root's mount.
// The caller moves the processes whose root or cwd was root
// (FSContext.ChrootRefs).
func (v *VirtualFilesystem) PivotRoot(ns *MountNamespace, root, newRoot, putOld Path) error {
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	newM, rootM, oldM := newRoot.Mount, root.Mount, putOld.Mount
	exParent, rootParent := newM.parent, rootM.parent
	if oldM.shared || (exParent != nil && exParent.shared) || (rootParent != nil && rootParent.shared) {
		return unix.EINVAL
	}
	if rootM.ns != ns || newM.ns != ns || newM.locked {
		return unix.EINVAL
	}
	if newRoot.Dentry.Dead() {
		return unix.ENOENT
	}
	if newM == rootM || oldM == rootM {
		return unix.EBUSY
	}
	// root's mount may be the namespace's root: kite's stands for the
	// mount Linux places on its hidden rootfs, so it counts as attached.
	if root.Dentry != rootM.root || newRoot.Dentry != newM.root || exParent == nil {
		return unix.EINVAL
	}
	if !reachableLocked(oldM, putOld.Dentry, newRoot) || !reachableLocked(newM, newM.root, root) {
		return unix.EINVAL
	}
	v.detachLocked(newM)
	if rootM.locked {
		newM.locked = true
		rootM.locked = false
	}
	var rootPoint *Dentry
	if rootParent != nil {
		rootPoint = rootM.point
		v.detachLocked(rootM)
	}
	top, tp := v.stackTopLocked(putOld)
	v.setMountpointLocked(rootM, top, tp)
	if rootParent != nil {
		v.setMountpointLocked(newM, rootParent, rootPoint)
	} else {
		ns.root = newM
	}
	return nil
}
