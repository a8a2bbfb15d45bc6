package auth

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Credentials hold kernel ids: the ids of the initial user namespace.
// A user namespace maps ranges of its own ids onto ids of its parent
// (stored already translated to kernel ids, as Linux does), and a task
// sees every id through its own namespace's maps.

// NoID is the invalid id (uid_t -1).
const NoID = ^uint32(0)

// OverflowID is what an id that has no mapping in the caller's namespace
// reads as (/proc/sys/kernel/overflowuid).
const OverflowID = 65534

// MaxUserNamespaceLevel is how deep user namespaces nest (Linux's 32).
const MaxUserNamespaceLevel = 32

// maxIDMapExtents is how many lines an id map may have (Linux's
// UID_GID_MAP_MAX_EXTENTS).
const maxIDMapExtents = 340

// IDMapEntry maps Count ids starting at First inside a namespace to the
// kernel ids starting at Lower.
type IDMapEntry struct {
	First, Lower, Count uint32
}

// IDMap is a namespace's uid or gid map.
type IDMap []IDMapEntry

// toKernel maps id (inside) to a kernel id.
func (m IDMap) toKernel(id uint32) (uint32, bool) {
	for _, e := range m {
		if id-e.First < e.Count {
			return e.Lower + (id - e.First), true
		}
	}
	return NoID, false
}

// fromKernel maps a kernel id to the id inside.
func (m IDMap) fromKernel(k uint32) (uint32, bool) {
	for _, e := range m {
		if k-e.Lower < e.Count {
			return e.First + (k - e.Lower), true
		}
	}
	return NoID, false
}

// UserNamespace is a user namespace: the owner of capabilities and the
// translation of ids. The initial namespace maps every id to itself.
type UserNamespace struct {
	parent *UserNamespace
	level  int
	// owner and group are the kernel euid and egid of the creator, who
	// has every capability in the namespace.
	owner, group uint32
	// ID is a number unique in the kernel, for the nsfs inode.
	ID uint64

	mu sync.Mutex
	// uidMap and gidMap are set once (nil until then). Guarded by mu.
	uidMap, gidMap IDMap
	// setgroupsDenied is /proc/PID/setgroups "deny". Guarded by mu.
	setgroupsDenied bool
	// parentCouldSetfcap records whether the creator had CAP_SETFCAP in
	// its effective set: without it, the namespace's own processes may
	// not map the parent's uid 0 (Linux's verify_root_map).
	parentCouldSetfcap bool
}

// NewRootUserNamespace returns an initial user namespace.
func NewRootUserNamespace(id uint64) *UserNamespace {
	all := IDMap{{First: 0, Lower: 0, Count: NoID}}
	return &UserNamespace{owner: 0, group: 0, ID: id, uidMap: all, gidMap: all}
}

// NewChild is unshare(CLONE_NEWUSER) by c: a namespace below c's, owned by
// c's effective ids, with no maps yet.
func (c *Credentials) NewChildUserNamespace(id uint64) (*UserNamespace, error) {
	p := c.UserNamespace
	if p.level+1 > MaxUserNamespaceLevel {
		return nil, unix.EUSERS
	}
	if _, ok := p.MapUIDFromKernel(c.EffectiveUID); !ok {
		return nil, unix.EPERM
	}
	if _, ok := p.MapGIDFromKernel(c.EffectiveGID); !ok {
		return nil, unix.EPERM
	}
	p.mu.Lock()
	denied := p.setgroupsDenied
	p.mu.Unlock()
	return &UserNamespace{parent: p, level: p.level + 1, owner: c.EffectiveUID, group: c.EffectiveGID,
		ID: id, setgroupsDenied: denied, parentCouldSetfcap: c.EffectiveCaps.Has(unix.CAP_SETFCAP)}, nil
}

// EnterUserNamespace returns c moved into ns with every capability there
// and none elsewhere (Linux's set_cred_user_ns), as unshare and setns of
// a user namespace leave a task.
func (c *Credentials) EnterUserNamespace(ns *UserNamespace) *Credentials {
	n := c.Fork()
	n.UserNamespace = ns
	n.SecureBits = 0
	n.InheritableCaps, n.AmbientCaps = 0, 0
	n.PermittedCaps, n.EffectiveCaps, n.BoundingCaps = AllCapabilities, AllCapabilities, AllCapabilities
	return n
}

// Parent returns the namespace ns was created in (nil for the initial one).
func (ns *UserNamespace) Parent() *UserNamespace { return ns.parent }

// Level is ns's depth: 0 for the initial namespace.
func (ns *UserNamespace) Level() int { return ns.level }

// Owner returns the kernel uid of ns's creator.
func (ns *UserNamespace) Owner() uint32 { return ns.owner }

// Root returns the initial namespace above ns.
func (ns *UserNamespace) Root() *UserNamespace {
	for ns.parent != nil {
		ns = ns.parent
	}
	return ns
}

// IsAncestorOf reports whether ns is o or one of o's ancestors.
func (ns *UserNamespace) IsAncestorOf(o *UserNamespace) bool {
	for ; o != nil; o = o.parent {
		if o == ns {
			return true
		}
	}
	return false
}

func (ns *UserNamespace) maps() (IDMap, IDMap) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.uidMap, ns.gidMap
}

// MapUIDToKernel maps a uid of ns to a kernel uid.
func (ns *UserNamespace) MapUIDToKernel(id uint32) (uint32, bool) {
	u, _ := ns.maps()
	return u.toKernel(id)
}

// MapGIDToKernel maps a gid of ns to a kernel gid.
func (ns *UserNamespace) MapGIDToKernel(id uint32) (uint32, bool) {
	_, g := ns.maps()
	return g.toKernel(id)
}

// MapUIDFromKernel maps a kernel uid to ns's uid.
func (ns *UserNamespace) MapUIDFromKernel(k uint32) (uint32, bool) {
	u, _ := ns.maps()
	return u.fromKernel(k)
}

// MapGIDFromKernel maps a kernel gid to ns's gid.
func (ns *UserNamespace) MapGIDFromKernel(k uint32) (uint32, bool) {
	_, g := ns.maps()
	return g.fromKernel(k)
}

// UIDOf is how ns sees kernel uid k: its own uid, or the overflow uid.
func (ns *UserNamespace) UIDOf(k uint32) uint32 {
	if id, ok := ns.MapUIDFromKernel(k); ok {
		return id
	}
	return OverflowID
}

// GIDOf is how ns sees kernel gid k.
func (ns *UserNamespace) GIDOf(k uint32) uint32 {
	if id, ok := ns.MapGIDFromKernel(k); ok {
		return id
	}
	return OverflowID
}

// SetgroupsAllowed reports whether setgroups(2) may work in ns: its gid
// map is written and setgroups was not denied.
func (ns *UserNamespace) SetgroupsAllowed() bool {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return ns.gidMap != nil && !ns.setgroupsDenied
}

// SetgroupsText is the content of /proc/PID/setgroups.
func (ns *UserNamespace) SetgroupsText() string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if ns.setgroupsDenied {
		return "deny\n"
	}
	return "allow\n"
}

// WriteSetgroups is a write of "allow" or "deny" to /proc/PID/setgroups by
// c: "deny" is allowed only before the gid map is written, and "allow"
// never after "deny".
func (ns *UserNamespace) WriteSetgroups(c *Credentials, text string) error {
	var deny bool
	switch strings.TrimSpace(text) {
	case "allow":
	case "deny":
		deny = true
	default:
		return unix.EINVAL
	}
	if ns.parent == nil || !c.HasCapabilityIn(unix.CAP_SYS_ADMIN, ns) {
		return unix.EPERM
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	switch {
	case deny:
		if ns.gidMap != nil && !ns.setgroupsDenied {
			return unix.EPERM
		}
		ns.setgroupsDenied = true
	case ns.setgroupsDenied:
		return unix.EPERM
	}
	return nil
}

// MapText is the content of /proc/PID/uid_map (gid false) or gid_map as
// reader sees it: lower ids are shown in ns's parent when the reader is
// in ns, otherwise in the reader's namespace.
func (ns *UserNamespace) MapText(reader *UserNamespace, gid bool) string {
	u, g := ns.maps()
	m := u
	if gid {
		m = g
	}
	lower := reader
	if lower == ns && ns.parent != nil {
		lower = ns.parent
	}
	var b strings.Builder
	for _, e := range m {
		var l uint32
		var ok bool
		if gid {
			l, ok = lower.MapGIDFromKernel(e.Lower)
		} else {
			l, ok = lower.MapUIDFromKernel(e.Lower)
		}
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "%10d %10d %10d\n", e.First, l, e.Count)
	}
	return b.String()
}

// WriteMap is a write of text to /proc/PID/uid_map (gid false) or gid_map
// by writer, through a file that opener opened (Linux checks the opener's
// credentials, f_cred, so that a privileged program cannot be made to
// write a map through a descriptor it was handed), with Linux's
// validation: one write, at most 340 lines of "first lower count", no
// overlap, the opener in ns or its parent with CAP_SYS_ADMIN over ns, and
// either the opener's own id alone (unprivileged; for gids only after
// setgroups "deny") or CAP_SETUID/CAP_SETGID over the parent for both
// the writer and the opener.
func (ns *UserNamespace) WriteMap(writer, opener *Credentials, text string, gid bool) error {
	p := ns.parent
	if p == nil {
		return unix.EPERM
	}
	wns := opener.UserNamespace
	if wns != ns && wns != p {
		return unix.EPERM
	}
	m, err := parseIDMap(text)
	if err != nil {
		return err
	}
	cap := unix.CAP_SETUID
	if gid {
		cap = unix.CAP_SETGID
	}
	if !opener.HasCapabilityIn(unix.CAP_SYS_ADMIN, ns) {
		return unix.EPERM
	}
	ns.mu.Lock()
	denied := ns.setgroupsDenied
	already := ns.uidMap != nil
	if gid {
		already = ns.gidMap != nil
	}
	ns.mu.Unlock()
	if already {
		return unix.EPERM
	}
	// Mapping the parent's uid 0 (a range starting there) needs
	// CAP_SETFCAP: that root could otherwise write file capabilities
	// valid in the parent (Linux's verify_root_map). A process writing
	// its own namespace's map needs its creator to have had it.
	if !gid {
		for _, e := range m {
			if e.Lower != 0 {
				continue
			}
			if wns == ns && !ns.parentCouldSetfcap || wns != ns && !opener.HasCapabilityIn(unix.CAP_SETFCAP, p) {
				return unix.EPERM
			}
			break
		}
	}
	// The lower ids are ids of the parent namespace: translate them to
	// kernel ids.
	for i := range m {
		var k uint32
		var ok bool
		if gid {
			k, ok = p.MapGIDToKernel(m[i].Lower)
		} else {
			k, ok = p.MapUIDToKernel(m[i].Lower)
		}
		if ok && m[i].Count > 1 {
			var end uint32
			if gid {
				end, ok = p.MapGIDToKernel(m[i].Lower + m[i].Count - 1)
			} else {
				end, ok = p.MapUIDToKernel(m[i].Lower + m[i].Count - 1)
			}
			ok = ok && end-k == m[i].Count-1
		}
		if !ok {
			return unix.EPERM
		}
		m[i].Lower = k
	}
	permitted := false
	if len(m) == 1 && m[0].Count == 1 && ns.owner == opener.EffectiveUID {
		if !gid && m[0].Lower == opener.EffectiveUID {
			permitted = true
		}
		if gid && denied && m[0].Lower == opener.EffectiveGID {
			permitted = true
		}
	}
	if !permitted && !(writer.HasCapabilityIn(cap, p) && opener.HasCapabilityIn(cap, p)) {
		return unix.EPERM
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if gid {
		if ns.gidMap != nil {
			return unix.EPERM
		}
		ns.gidMap = m
	} else {
		if ns.uidMap != nil {
			return unix.EPERM
		}
		ns.uidMap = m
	}
	return nil
}

// parseIDMap parses lines of "first lower count" and checks them as
// Linux's map_write does (EINVAL for malformed, empty, overflowing or
// overlapping ranges).
func parseIDMap(text string) (IDMap, error) {
	var m IDMap
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, unix.EINVAL
		}
		var v [3]uint32
		for i, s := range f {
			n, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return nil, unix.EINVAL
			}
			v[i] = uint32(n)
		}
		e := IDMapEntry{First: v[0], Lower: v[1], Count: v[2]}
		if e.First == NoID || e.Lower == NoID || e.Count == 0 ||
			uint64(e.First)+uint64(e.Count) > uint64(NoID) || uint64(e.Lower)+uint64(e.Count) > uint64(NoID) {
			return nil, unix.EINVAL
		}
		m = append(m, e)
		if len(m) > maxIDMapExtents {
			return nil, unix.EINVAL
		}
	}
	if len(m) == 0 {
		return nil, unix.EINVAL
	}
	overlap := func(key func(IDMapEntry) uint32) bool {
		s := append(IDMap(nil), m...)
		sort.Slice(s, func(i, j int) bool { return key(s[i]) < key(s[j]) })
		for i := 1; i < len(s); i++ {
			if uint64(key(s[i-1]))+uint64(s[i-1].Count) > uint64(key(s[i])) {
				return true
			}
		}
		return false
	}
	if overlap(func(e IDMapEntry) uint32 { return e.First }) || overlap(func(e IDMapEntry) uint32 { return e.Lower }) {
		return nil, unix.EINVAL
	}
	return m, nil
}
