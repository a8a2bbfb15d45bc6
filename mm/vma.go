package mm

import (
	"reflect"

	"golang.org/x/sys/unix"
)

// File is what a private file mapping reads its pages from. vfs file
// descriptions implement it.
type File interface {
	ReadAt(p []byte, off int64) (int, error)
}

// MappedFile is implemented by Files that must stay open while mapped
// (vfs.File: the application may close its fd right after mmap, and later
// faults still read the file). Every VMA mapping such a file holds a
// reference, taken with IncMapRef and dropped with DecMapRef.
type MappedFile interface {
	File
	IncMapRef()
	DecMapRef()
}

// vma is a virtual memory area: a page-aligned range of application
// addresses with uniform attributes.
type vma struct {
	start, end uintptr

	prot      int  // PROT_READ|PROT_WRITE|PROT_EXEC
	shared    bool // MAP_SHARED
	growsDown bool // MAP_GROWSDOWN: a stack that grows on faults below it

	// file backs a private file mapping; off is the file offset of start.
	file File
	// obj backs a shared anonymous mapping; off is the byte offset of
	// start in the object.
	obj *SharedMemory
	off uint64

	name string // for /proc/PID/maps

	dontFork   bool // MADV_DONTFORK
	wipeOnFork bool // MADV_WIPEONFORK

	locked      bool // mlock
	lockOnFault bool // MLOCK_ONFAULT, MCL_ONFAULT

	// noWrite: the mapping may never become writable (a MAP_SHARED
	// mapping of a file open read-only, the vDSO's data page; Linux's
	// VM_MAYWRITE clear).
	noWrite bool

	// maybeGuard: guard pages were installed in the mapping (Linux's
	// VM_MAYBE_GUARD, kept when they are removed).
	maybeGuard bool

	// uffdMissing: a userfaultfd registered the mapping for missing
	// pages (Linux's VM_UFFD_MISSING; userfaultfd.go).
	uffdMissing bool
	// uffd is the userfaultfd context the mapping is registered with.
	uffd *Userfault

	// sealed: mseal sealed the mapping (Linux's VM_SEALED): it may not
	// be unmapped, moved, resized, replaced or have its protection
	// changed, and read-only private anonymous memory may not be
	// discarded (mseal.go).
	sealed bool

	// accounted: the mapping's length counts against the commit limit
	// (Linux's VM_ACCOUNT: private writable memory, shared anonymous
	// memory; not with MAP_NORESERVE unless overcommit is strict).
	accounted bool
	// noReserve: MAP_NORESERVE outside strict overcommit (Linux's
	// VM_NORESERVE): never accounted, even when made writable.
	noReserve bool

	// prev and next link the VMAs of a vmaSet in address order.
	prev, next *vma

	// policy is mbind's memory policy (mempolicy.go).
	policy Policy

	// hints are madvise's flags that change nothing kite does but
	// are the VMA's attributes on Linux, so that they split and merge
	// VMAs as there (VM_RAND_READ, VM_SEQ_READ, VM_DONTDUMP,
	// VM_HUGEPAGE, VM_NOHUGEPAGE).
	hints adviceHints
}

// adviceHints are a VMA's madvise hint flags.
type adviceHints uint8

const (
	hintRandom adviceHints = 1 << iota
	hintSequential
	hintDontDump
	hintHugePage
	hintNoHugePage
)

func (v *vma) length() uintptr { return v.end - v.start }

// mayWriteShared reports whether v is a shared mapping that may write its
// object (Linux's VM_SHARED with VM_MAYWRITE).
func (v *vma) mayWriteShared() bool { return v.shared && !v.noWrite }

// anonymous reports whether v is private anonymous memory.
func (v *vma) anonymous() bool { return v.file == nil && v.obj == nil }

// takeRefs takes the references a copy of v in owner's address space
// needs (object, file).
func (v *vma) takeRefs(owner *MemoryManager) {
	if v.obj != nil {
		v.obj.incMap(owner, v.mayWriteShared())
	}
	if r, ok := v.file.(MappedFile); ok {
		r.IncMapRef()
	}
}

// dropRefs drops the references taken by takeRefs (or at creation). The
// file's reference is dropped when owner's lock is released (unlock).
//
// Preconditions: owner.mu is held for writing.
func (v *vma) dropRefs(owner *MemoryManager) {
	if v.obj != nil {
		v.obj.decMap(owner, v.mayWriteShared())
	}
	if r, ok := v.file.(MappedFile); ok {
		owner.dropped = append(owner.dropped, r)
	}
}

// startGap is the lowest address a new mapping below v may end at: stacks
// keep a guard gap below them, as Linux's vm_start_gap.
func (v *vma) startGap() uintptr {
	if !v.growsDown {
		return v.start
	}
	if v.start < stackGuardGap {
		return 0
	}
	return v.start - stackGuardGap
}

// sameFile compares two Files without panicking on incomparable dynamic
// types.
func sameFile(a, b File) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}

// canMerge reports whether b, starting where a ends, can join a.
func canMerge(a, b *vma) bool {
	if a.end != b.start || a.prot != b.prot || a.shared != b.shared ||
		a.growsDown != b.growsDown || a.name != b.name ||
		a.dontFork != b.dontFork || a.wipeOnFork != b.wipeOnFork ||
		a.locked != b.locked || a.lockOnFault != b.lockOnFault || a.noWrite != b.noWrite || a.sealed != b.sealed ||
		a.policy != b.policy || a.accounted != b.accounted || a.hints != b.hints ||
		a.uffd != b.uffd || a.uffdMissing != b.uffdMissing {
		return false
	}
	switch {
	case a.anonymous() && b.anonymous():
		return true
	case a.obj != nil:
		return a.obj == b.obj && b.off == a.off+uint64(a.length())
	case a.file != nil:
		return b.obj == nil && sameFile(a.file, b.file) && b.off == a.off+uint64(a.length())
	}
	return false
}

// vmaSet is the address space's VMAs, sorted by address and
// non-overlapping. The VMAs form a doubly linked list (vma.prev, vma.next)
// for walking, indexed by a short array of blocks, each a sorted slice of
// at most 2*vmaBlockLen VMAs: finding the VMA at an address is two binary
// searches, and inserting or removing one moves at most a block's worth
// of pointers. (A plain sorted slice moved the whole set on every split:
// a program unmapping 64K single pages out of one large mapping spent
// more time moving VMAs than unmapping.)
type vmaSet struct {
	blocks     [][]*vma
	n          int
	head, tail *vma
	owner      *MemoryManager // the address space the VMAs belong to

	// committed is the total length of the accounted VMAs; the owner's
	// memory file's count of committed memory moves with it.
	committed uint64
}

// account adds (or with negative sign removes) n bytes of the accounted
// VMA v to the committed memory.
func (s *vmaSet) account(v *vma, n uintptr, sign int) {
	if !v.accounted || n == 0 {
		return
	}
	if sign > 0 {
		s.committed += uint64(n)
	} else {
		s.committed -= uint64(n)
	}
	if s.owner != nil {
		s.owner.mf.committed.Add(int64(sign) * int64(n))
	}
}

// vmaBlockLen is the length blocks are split to when they grow past twice
// as long.
const vmaBlockLen = 64

// len returns the number of VMAs.
func (s *vmaSet) len() int { return s.n }

// blockFor returns the index of the first block whose last VMA ends above
// addr, or len(s.blocks).
func (s *vmaSet) blockFor(addr uintptr) int {
	lo, hi := 0, len(s.blocks)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		b := s.blocks[mid]
		if b[len(b)-1].end > addr {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// indexIn returns the index of the first VMA of b ending above addr, or
// len(b).
func indexIn(b []*vma, addr uintptr) int {
	lo, hi := 0, len(b)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if b[mid].end > addr {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// lowerBound returns the first VMA ending above addr, or nil.
func (s *vmaSet) lowerBound(addr uintptr) *vma {
	bi := s.blockFor(addr)
	if bi == len(s.blocks) {
		return nil
	}
	b := s.blocks[bi]
	return b[indexIn(b, addr)]
}

// find returns the VMA containing addr, or nil.
func (s *vmaSet) find(addr uintptr) *vma {
	if v := s.lowerBound(addr); v != nil && v.start <= addr {
		return v
	}
	return nil
}

// overlaps reports whether any VMA intersects [start, end).
func (s *vmaSet) overlaps(start, end uintptr) bool {
	v := s.lowerBound(start)
	return v != nil && v.start < end
}

// add inserts v, which must not overlap any VMA, without merging.
func (s *vmaSet) add(v *vma) {
	v.prev, v.next = nil, nil
	bi := s.blockFor(v.start)
	switch {
	case len(s.blocks) == 0:
		s.blocks = append(s.blocks, make([]*vma, 0, 2*vmaBlockLen+1))
		bi = 0
	case bi == len(s.blocks):
		bi-- // after every VMA: at the end of the last block
	}
	b := s.blocks[bi]
	j := indexIn(b, v.start)
	if j < len(b) {
		v.next = b[j]
		v.prev = b[j].prev
	} else {
		v.prev = s.tail
	}
	if v.prev != nil {
		v.prev.next = v
	} else {
		s.head = v
	}
	if v.next != nil {
		v.next.prev = v
	} else {
		s.tail = v
	}
	b = append(b, nil)
	copy(b[j+1:], b[j:])
	b[j] = v
	s.n++
	s.account(v, v.length(), +1)
	if len(b) <= 2*vmaBlockLen {
		s.blocks[bi] = b
		return
	}
	// Split the block in two.
	right := make([]*vma, len(b)-vmaBlockLen, 2*vmaBlockLen+1)
	copy(right, b[vmaBlockLen:])
	clear(b[vmaBlockLen:])
	s.blocks[bi] = b[:vmaBlockLen]
	s.blocks = append(s.blocks, nil)
	copy(s.blocks[bi+2:], s.blocks[bi+1:])
	s.blocks[bi+1] = right
}

// remove takes v out of the set without dropping its references.
func (s *vmaSet) remove(v *vma) {
	bi := s.blockFor(v.start)
	if bi == len(s.blocks) {
		panic("mm: removing a VMA that is not in the set")
	}
	b := s.blocks[bi]
	j := indexIn(b, v.start)
	if j == len(b) || b[j] != v {
		panic("mm: removing a VMA that is not in the set")
	}
	copy(b[j:], b[j+1:])
	b[len(b)-1] = nil
	b = b[:len(b)-1]
	if len(b) == 0 {
		copy(s.blocks[bi:], s.blocks[bi+1:])
		s.blocks[len(s.blocks)-1] = nil
		s.blocks = s.blocks[:len(s.blocks)-1]
	} else {
		s.blocks[bi] = b
	}
	if v.prev != nil {
		v.prev.next = v.next
	} else {
		s.head = v.next
	}
	if v.next != nil {
		v.next.prev = v.prev
	} else {
		s.tail = v.prev
	}
	v.prev, v.next = nil, nil
	s.n--
	s.account(v, v.length(), -1)
}

// splitAt makes addr a VMA boundary if it falls strictly inside a VMA.
func (s *vmaSet) splitAt(addr uintptr) {
	left := s.lowerBound(addr)
	if left == nil || left.start >= addr {
		return
	}
	right := *left
	right.start = addr
	if right.file != nil || right.obj != nil {
		right.off += uint64(addr - left.start)
	}
	right.takeRefs(s.owner)
	s.account(left, left.end-addr, -1)
	left.end = addr
	s.add(&right)
}

// insert adds v, which must not overlap any VMA, and merges it with its
// neighbours where possible.
func (s *vmaSet) insert(v *vma) {
	s.add(v)
	s.mergeAround(v)
}

// mergeAround merges v with mergeable neighbours.
func (s *vmaSet) mergeAround(v *vma) {
	if v.next != nil && canMerge(v, v.next) {
		s.mergeNext(v)
	}
	if v.prev != nil && canMerge(v.prev, v) {
		s.mergeNext(v.prev)
	}
}

// mergeRange merges mergeable neighbours among the VMAs intersecting
// [start, end] and the ones adjacent to it.
func (s *vmaSet) mergeRange(start, end uintptr) {
	v := s.lowerBound(start)
	switch {
	case v == nil:
		v = s.tail
	case v.prev != nil:
		v = v.prev
	}
	for v != nil && v.next != nil && v.start <= end {
		if canMerge(v, v.next) {
			s.mergeNext(v)
			continue
		}
		v = v.next
	}
}

// mergeNext merges v's successor into v.
func (s *vmaSet) mergeNext(v *vma) {
	next := v.next
	s.remove(next)
	v.end = next.end
	v.maybeGuard = v.maybeGuard || next.maybeGuard
	s.account(v, next.length(), +1)
	next.dropRefs(s.owner)
}

// checkInvariants verifies the set's invariants (used by tests).
func (s *vmaSet) checkInvariants() error {
	var prev *vma
	n := 0
	for _, b := range s.blocks {
		if len(b) == 0 || len(b) > 2*vmaBlockLen {
			return unix.ERANGE
		}
		for _, v := range b {
			if v.start >= v.end || v.start%pageSize != 0 || v.end%pageSize != 0 {
				return unix.EINVAL
			}
			if prev != nil && prev.end > v.start {
				return unix.EEXIST
			}
			if v.prev != prev || (prev == nil && s.head != v) || (prev != nil && prev.next != v) {
				return unix.EFAULT
			}
			prev = v
			n++
		}
	}
	if n != s.n || s.tail != prev || (prev != nil && prev.next != nil) {
		return unix.EFAULT
	}
	return nil
}

// vmFlags returns the mnemonics of v's Linux VMA flags in the order
// /proc/PID/smaps prints them (show_smap_vma_flags: by bit). kite keeps
// no soft-dirty, KSM or architecture flags.
func (v *vma) vmFlags() []string {
	f := make([]string, 0, 8)
	add := func(ok bool, name string) {
		if ok {
			f = append(f, name)
		}
	}
	special := v.noWrite && !v.shared // the vDSO's data page
	add(v.prot&unix.PROT_READ != 0, "rd")
	add(v.prot&unix.PROT_WRITE != 0, "wr")
	add(v.prot&unix.PROT_EXEC != 0, "ex")
	add(v.shared && !v.noWrite, "sh") // a read-only file's shared mapping is not VM_SHARED
	add(true, "mr")
	add(!v.noWrite, "mw")
	add(!special, "me")
	add(v.shared, "ms")
	add(v.growsDown, "gd")
	add(v.uffdMissing, "um")
	add(special, "pf")
	add(v.maybeGuard, "gu")
	add(v.locked, "lo")
	add(special, "io")
	add(v.hints&hintSequential != 0, "sr")
	add(v.hints&hintRandom != 0, "rr")
	add(v.dontFork, "dc")
	add(special || v.name == "[vdso]", "de")
	add(v.lockOnFault, "lf")
	add(v.accounted && !v.shared, "ac") // shared memory's object is accounted, not its VMAs
	add(v.noReserve, "nr")
	add(v.wipeOnFork, "wf")
	add(special || v.hints&hintDontDump != 0, "dd")
	add(v.hints&hintHugePage != 0, "hg")
	add(v.hints&hintNoHugePage != 0, "nh")
	add(v.sealed, "sl")
	return f
}
