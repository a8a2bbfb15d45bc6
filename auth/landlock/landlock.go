package landlock

import (
	"iter"
	"math/bits"
	"sync"

	"golang.org/x/sys/unix"
)

// ABIVersion is what landlock_create_ruleset(NULL, 0,
// LANDLOCK_CREATE_RULESET_VERSION) returns: the newest ABI whose every
// feature kite implements.
const ABIVersion = 5

// File-system access rights (LANDLOCK_ACCESS_FS_*).
const (
	AccessFSExecute uint64 = 1 << iota
	AccessFSWriteFile
	AccessFSReadFile
	AccessFSReadDir
	AccessFSRemoveDir
	AccessFSRemoveFile
	AccessFSMakeChar
	AccessFSMakeDir
	AccessFSMakeReg
	AccessFSMakeSock
	AccessFSMakeFifo
	AccessFSMakeBlock
	AccessFSMakeSym
	AccessFSRefer
	AccessFSTruncate
	AccessFSIoctlDev
)

// Network access rights (LANDLOCK_ACCESS_NET_*, ABI 4): binding a TCP
// socket to a port and connecting one to a port.
const (
	AccessNetBindTCP uint64 = 1 << iota
	AccessNetConnectTCP
)

// MaskAccessNet holds every network right.
const MaskAccessNet = AccessNetConnectTCP<<1 - 1

// MaskAccessFS holds every file-system right kite knows (ABI 5).
const MaskAccessFS = AccessFSIoctlDev<<1 - 1

// numAccessFS is how many file-system rights there are.
const numAccessFS = 16

// AccessFile are the rights that make sense on a file that is not a
// directory: a rule on such a file may grant only these.
const AccessFile = AccessFSExecute | AccessFSWriteFile | AccessFSReadFile | AccessFSTruncate | AccessFSIoctlDev

// initiallyDenied is REFER: every layer handles it, whether its ruleset
// named it or not, so that an ABI 1 ruleset still forbids reparenting.
const initiallyDenied = AccessFSRefer

// MaxLayers is how many domains may stack (LANDLOCK_MAX_NUM_LAYERS).
const MaxLayers = 16

// Ruleset is what landlock_create_ruleset(2) returns a file for: the
// rights it handles and the rules landlock_add_rule(2) adds.
type Ruleset struct {
	// handledFS and handledNet are immutable.
	handledFS, handledNet uint64

	mu sync.Mutex
	// rules maps an object to the rights granted beneath it, netRules a
	// TCP port to the rights granted on it. Guarded by mu.
	rules    map[any]uint64
	netRules map[uint16]uint64
}

// NewRuleset returns an empty ruleset handling the file-system rights
// handledFS and network rights handledNet (validated by the caller);
// ENOMSG if it handles nothing.
func NewRuleset(handledFS, handledNet uint64) (*Ruleset, error) {
	if handledFS == 0 && handledNet == 0 {
		return nil, unix.ENOMSG
	}
	return &Ruleset{handledFS: handledFS, handledNet: handledNet, rules: map[any]uint64{}, netRules: map[uint16]uint64{}}, nil
}

// HandledFS returns the file-system rights r handles.
func (r *Ruleset) HandledFS() uint64 { return r.handledFS }

// HandledNet returns the network rights r handles.
func (r *Ruleset) HandledNet() uint64 { return r.handledNet }

// AddNetRule grants access (a subset of HandledNet, validated by the
// caller) on TCP port port.
func (r *Ruleset) AddNetRule(port uint16, access uint64) {
	r.mu.Lock()
	r.netRules[port] |= access
	r.mu.Unlock()
}

// AddRule grants access (a subset of HandledFS, validated by the caller)
// beneath obj; rules for the same object add up.
func (r *Ruleset) AddRule(obj any, access uint64) {
	r.mu.Lock()
	r.rules[obj] |= access
	r.mu.Unlock()
}

// layerAccess is the rights one layer of a domain grants beneath an
// object.
type layerAccess struct {
	layer  uint8 // 0 for the first (outermost) layer
	access uint64
}

// Domain is a stack of restrictions (Linux's domain, a merged ruleset):
// immutable once made.
type Domain struct {
	// parent is the domain this one was stacked on, nil for the first.
	parent *Domain
	// handled holds, per layer (outermost first), the file-system rights
	// the layer handles, REFER always included; handledNet the network
	// rights.
	handled, handledNet []uint64
	// fs says some layer handles a file-system right (REFER aside): the
	// file-system checks apply only then.
	fs bool
	// rules maps an object to what each layer with a rule on it grants,
	// netRules a TCP port.
	rules    map[any][]layerAccess
	netRules map[uint16][]layerAccess
}

// Merge returns the domain of a task whose domain d (nil for none) is
// restricted by r: a new layer on top. E2BIG when d has MaxLayers layers.
func (d *Domain) Merge(r *Ruleset) (*Domain, error) {
	n := &Domain{parent: d, rules: map[any][]layerAccess{}, netRules: map[uint16][]layerAccess{}}
	if d != nil {
		if len(d.handled) >= MaxLayers {
			return nil, unix.E2BIG
		}
		n.handled = append(n.handled, d.handled...)
		n.handledNet = append(n.handledNet, d.handledNet...)
		n.fs = d.fs
		for obj, ls := range d.rules {
			n.rules[obj] = ls
		}
		for port, ls := range d.netRules {
			n.netRules[port] = ls
		}
	}
	layer := uint8(len(n.handled))
	n.handled = append(n.handled, r.handledFS|initiallyDenied)
	n.handledNet = append(n.handledNet, r.handledNet)
	n.fs = n.fs || r.handledFS != 0
	r.mu.Lock()
	defer r.mu.Unlock()
	for obj, access := range r.rules {
		n.rules[obj] = withLayer(n.rules[obj], layer, access)
	}
	for port, access := range r.netRules {
		n.netRules[port] = withLayer(n.netRules[port], layer, access)
	}
	return n, nil
}

// withLayer returns a copy of ls (shared with the parent domain) with
// layer's grant appended.
func withLayer(ls []layerAccess, layer uint8, access uint64) []layerAccess {
	n := make([]layerAccess, len(ls), len(ls)+1)
	copy(n, ls)
	return append(n, layerAccess{layer: layer, access: access})
}

// FS returns d when some layer restricts the file system, else nil: a
// domain of network rights alone leaves files (and mounts) alone.
func (d *Domain) FS() *Domain {
	if d == nil || !d.fs {
		return nil
	}
	return d
}

// NetDenied reports whether d refuses the network right access on TCP
// port port: some layer handles it and has no rule granting it there.
func (d *Domain) NetDenied(access uint64, port uint16) bool {
	if d == nil {
		return false
	}
	var need uint16
	for layer, h := range d.handledNet {
		if h&access != 0 {
			need |= 1 << layer
		}
	}
	for _, l := range d.netRules[port] {
		if l.access&access != 0 {
			need &^= 1 << l.layer
		}
	}
	return need != 0
}

// Layers returns how many layers d has.
func (d *Domain) Layers() int { return len(d.handled) }

// IsAncestorOf reports whether d is o or a domain o was stacked on
// (Linux's domain_scope_le for ptrace): a task of domain d may trace
// one of domain o. A nil d is the ancestor of everything; nothing but
// nil is the ancestor of nil.
func (d *Domain) IsAncestorOf(o *Domain) bool {
	if d == nil {
		return true
	}
	for ; o != nil; o = o.parent {
		if o == d {
			return true
		}
	}
	return false
}

// layerMasks holds, for each file-system right, the layers (one bit
// each) that handle it and have not granted it yet.
type layerMasks [numAccessFS]uint16

// denied returns the rights some layer still refuses.
func (m *layerMasks) denied() uint64 {
	var out uint64
	for bit, l := range m {
		if l != 0 {
			out |= 1 << bit
		}
	}
	return out
}

// empty reports whether every layer granted everything asked.
func (m *layerMasks) empty() bool { return m.denied() == 0 }

// scope forgets the rights outside access and reports whether every
// layer granted all of access.
func (m *layerMasks) scope(access uint64) bool {
	for bit := range m {
		if access&(1<<bit) == 0 {
			m[bit] = 0
		}
	}
	return m.empty()
}

// init marks, for each right of access, the layers that handle it, and
// returns the rights of access that some layer handles.
func (d *Domain) init(access uint64, m *layerMasks) uint64 {
	var handled uint64
	for layer, h := range d.handled {
		for a := access & h; a != 0; a &= a - 1 {
			bit := bits.TrailingZeros64(a)
			m[bit] |= 1 << layer
			handled |= 1 << bit
		}
	}
	return handled
}

// unmask clears in m the layers whose rule on obj grants rights of
// access, and reports whether m is then empty for access (Linux's
// landlock_unmask_layers: false when obj has no rule).
func (d *Domain) unmask(obj any, access uint64, m *layerMasks) bool {
	if access == 0 {
		return true
	}
	ls, ok := d.rules[obj]
	if !ok {
		return false
	}
	for _, l := range ls {
		empty := true
		for a := access; a != 0; a &= a - 1 {
			bit := bits.TrailingZeros64(a)
			if l.access&(1<<bit) != 0 {
				m[bit] &^= 1 << l.layer
			}
			empty = empty && m[bit] == 0
		}
		if empty {
			return true
		}
	}
	return false
}

// union returns the rights some layer handles.
func (d *Domain) union() uint64 {
	var u uint64
	for _, h := range d.handled {
		u |= h
	}
	return u
}

// Denied returns the rights of access that d refuses on a file: walk
// yields the objects from the file itself up through every directory
// above it to the root of the mount namespace (the directories a mount
// hides excluded). Rights no layer handles are allowed.
func (d *Domain) Denied(access uint64, walk iter.Seq[any]) uint64 {
	var m layerMasks
	req := d.init(access, &m)
	if req == 0 {
		return 0
	}
	for obj := range walk {
		if d.unmask(obj, req, &m) {
			return 0
		}
	}
	return m.denied() & access
}

// Child is the file a link or rename moves (or, for RENAME_EXCHANGE,
// the one it moves back): the object of its inode and whether it is a
// directory.
type Child struct {
	Obj   any
	IsDir bool
}

// ReferDenied is the decision for link(2) or rename(2) of a file to
// another directory: req1 are the rights the move needs on the source
// directory (removal; for an exchange, making the other file's type) and
// req2 those on the destination directory (making the file's type;
// removal of what it replaces). src and dst walk from the source and
// destination directories up to the root of their mount, common from
// that root on up. child1 is the moved file, child2 the other file of an
// exchange (nil otherwise). Besides the rights asked, REFER is needed on
// both sides, and the moved files may not gain rights in their new place
// (per layer). It returns nil, EACCES when a right other than REFER is
// missing, or EXDEV.
func (d *Domain) ReferDenied(req1, req2 uint64, src, dst, common iter.Seq[any], child1, child2 *Child) error {
	req1 |= AccessFSRefer
	req2 |= AccessFSRefer
	var m1, m2 layerMasks
	ok1 := d.collect(src, &m1)
	ok2 := d.collect(dst, &m2)
	if ok1 && ok2 {
		return nil
	}
	if d.referAllowed(req1, req2, &m1, &m2, common, child1, child2) {
		return nil
	}
	if missingBesidesRefer(&m1, req1) || missingBesidesRefer(&m2, req2) {
		return unix.EACCES
	}
	return unix.EXDEV
}

// collect unmasks in m, from every right the domain handles, what the
// rules on the objects of walk grant, and reports whether that grants
// everything (Linux's collect_domain_accesses).
func (d *Domain) collect(walk iter.Seq[any], m *layerMasks) bool {
	all := d.init(MaskAccessFS, m)
	for obj := range walk {
		if d.unmask(obj, all, m) {
			return true
		}
	}
	return false
}

// childMasks returns the rights each layer refuses to c itself: all it
// handles but what a rule on c grants.
func (d *Domain) childMasks(c *Child) *layerMasks {
	if c == nil {
		return nil
	}
	m := new(layerMasks)
	all := d.init(MaskAccessFS, m)
	d.unmask(c.Obj, all, m)
	return m
}

// referAllowed walks common with the masks of both directories (Linux's
// is_access_to_paths_allowed with two paths): as long as a move could
// give the children rights they did not have, it keeps every handled
// right; once it cannot, only the rights asked.
func (d *Domain) referAllowed(req1, req2 uint64, m1, m2 *layerMasks, common iter.Seq[any], c1, c2 *Child) bool {
	cm1, cm2 := d.childMasks(c1), d.childMasks(c2)
	mask1, mask2 := d.union(), d.union()
	domCheck := true
	ok1, ok2 := m1.empty(), m2.empty()
	for obj := range common {
		if domCheck && noMoreAccess(m1, cm1, c1, m2, cm2, c2) {
			ok1, ok2 = m1.scope(req1), m2.scope(req2)
			if ok1 && ok2 {
				return true
			}
			domCheck = false
			mask1, mask2 = req1, req2
		}
		ok1 = d.unmask(obj, mask1, m1)
		ok2 = d.unmask(obj, mask2, m2)
		if ok1 && ok2 {
			return true
		}
	}
	return ok1 && ok2
}

// noMoreAccess reports whether no layer grants in the destination a
// right that it refuses to the moved file in its source (for the file
// rights only, unless the file is a directory), and the same the other
// way round for an exchange.
func noMoreAccess(p1, c1m *layerMasks, c1 *Child, p2, c2m *layerMasks, c2 *Child) bool {
	for bit := range p1 {
		file := uint64(1)<<bit&AccessFile != 0
		if c1.IsDir || file {
			if src := p1[bit] & c1m[bit]; src|p2[bit] != p2[bit] {
				return false
			}
		}
		if c2m == nil {
			continue
		}
		if c2.IsDir || file {
			if src := p2[bit] & c2m[bit]; src|p1[bit] != p1[bit] {
				return false
			}
		}
	}
	return true
}

// missingBesidesRefer reports whether m still refuses a right of req
// other than REFER: the move then fails with EACCES, not EXDEV.
func missingBesidesRefer(m *layerMasks, req uint64) bool {
	return m.denied()&req&^AccessFSRefer != 0
}
