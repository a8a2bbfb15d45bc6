package mm

import (
	"math/bits"

	"golang.org/x/sys/unix"
)

// Guard regions (MADV_GUARD_INSTALL, MADV_GUARD_REMOVE, Linux 6.13) are
// pages of a VMA that fault with SIGSEGV/SEGV_MAPERR on any access, and
// are EFAULT to the kernel's accesses (EIO through /proc/PID/mem), without
// a VMA of their own: Linux keeps them as page-table markers. kite keeps
// them beside the page table, in a MemoryManager's guards: a guard page
// never has a pte, so the platform never maps it and every access faults
// into HandleFault, which refuses it. Installing drops the pages' frames
// (as MADV_DONTNEED); MADV_DONTNEED, mprotect and VMA splits and merges
// leave guards alone; munmap and mapping over them remove them; mremap
// moves them with the pages; fork copies them, except into a
// MADV_WIPEONFORK mapping, whose child starts empty.

const (
	madvGuardInstall = 102 // MADV_GUARD_INSTALL
	madvGuardRemove  = 103 // MADV_GUARD_REMOVE
)

// pageSet is a sparse set of pages: a bitmap word per 64 pages that
// contain some.
type pageSet struct {
	words map[uintptr]uint64 // key: page number / 64
}

func pageWord(addr uintptr) (key uintptr, bit uint) {
	pn := addr >> pageShift
	return pn >> 6, uint(pn & 63)
}

// clone returns a copy of the set.
func (s *pageSet) clone() pageSet {
	if len(s.words) == 0 {
		return pageSet{}
	}
	c := pageSet{words: make(map[uintptr]uint64, len(s.words))}
	for k, w := range s.words {
		c.words[k] = w
	}
	return c
}

// has reports whether the page at addr is in the set.
func (s *pageSet) has(addr uintptr) bool {
	if len(s.words) == 0 {
		return false
	}
	k, b := pageWord(addr)
	return s.words[k]&(1<<b) != 0
}

// update sets (or clears) the pages of [start, end).
func (s *pageSet) update(start, end uintptr, set bool) {
	if start >= end || (!set && len(s.words) == 0) {
		return
	}
	if s.words == nil {
		s.words = make(map[uintptr]uint64)
	}
	first, fb := pageWord(start)
	last, lb := pageWord(end - pageSize)
	if !set && uint64(last-first) > uint64(len(s.words)) {
		// A wide range (munmap of a large mapping): visit the words
		// there are rather than the range's.
		for k := range s.words {
			if k >= first && k <= last {
				s.apply(k, first, last, fb, lb, false)
			}
		}
		return
	}
	for k := first; ; k++ {
		s.apply(k, first, last, fb, lb, set)
		if k == last {
			break
		}
	}
}

// apply sets or clears word k's bits that lie in the range from bit fb of
// word first to bit lb of word last.
func (s *pageSet) apply(k, first, last uintptr, fb, lb uint, set bool) {
	mask := ^uint64(0)
	if k == first {
		mask &= ^uint64(0) << fb
	}
	if k == last {
		mask &= ^uint64(0) >> (63 - lb)
	}
	w := s.words[k]
	if set {
		w |= mask
	} else {
		w &^= mask
	}
	if w == 0 {
		delete(s.words, k)
	} else {
		s.words[k] = w
	}
}

// first returns the first page of [start, end) in the set.
func (s *pageSet) first(start, end uintptr) (uintptr, bool) {
	if len(s.words) == 0 || start >= end {
		return 0, false
	}
	firstK, _ := pageWord(start)
	lastK, _ := pageWord(end - pageSize)
	found, best := false, uintptr(0)
	check := func(k uintptr) {
		w := s.words[k]
		for w != 0 {
			b := uintptr(bits.TrailingZeros64(w))
			addr := (k<<6 | b) << pageShift
			if addr >= start && addr < end {
				if !found || addr < best {
					found, best = true, addr
				}
				return
			}
			w &= w - 1
		}
	}
	if uint64(lastK-firstK) > uint64(len(s.words)) {
		for k := range s.words {
			if k >= firstK && k <= lastK {
				check(k)
			}
		}
		return best, found
	}
	for k := firstK; ; k++ {
		if check(k); found || k == lastK {
			return best, found
		}
	}
}

// wordsIn returns how many of the words first to last (page number / 64)
// the set holds.
func (s *pageSet) wordsIn(first, last uintptr) uint64 {
	var n uint64
	if uint64(last-first) > uint64(len(s.words)) {
		for k := range s.words {
			if k >= first && k <= last {
				n++
			}
		}
		return n
	}
	for k := first; ; k++ {
		if _, ok := s.words[k]; ok {
			n++
		}
		if k == last {
			return n
		}
	}
}

// pages returns the pages of [start, end) in the set, in order.
func (s *pageSet) pages(start, end uintptr) []uintptr {
	var out []uintptr
	for a := start; a < end; {
		g, ok := s.first(a, end)
		if !ok {
			break
		}
		out = append(out, g)
		a = g + pageSize
	}
	return out
}

// guardedLocked reports whether the page at addr is a guard page.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) guardedLocked(addr uintptr) bool { return m.guards.has(addr) }

// guardInstallLocked makes [start, end) of v guard pages, dropping the
// pages there.
//
// Preconditions: m.mu is held for writing; [start, end) lies in v.
func (m *MemoryManager) guardInstallLocked(v *vma, start, end uintptr) error {
	if v.locked {
		return unix.EINVAL // Linux refuses guards in locked memory
	}
	// Guards cost kite a word per 64 pages: a program may not make
	// kite hold more than maxGuardWords of them (ENOMEM, as when
	// Linux cannot allocate page tables for them). Words the range
	// already has cost nothing more.
	first, _ := pageWord(start)
	last, _ := pageWord(end - pageSize)
	added := uint64(last-first) + 1 - m.guards.wordsIn(first, last)
	if uint64(len(m.guards.words))+added > maxGuardWords {
		return unix.ENOMEM
	}
	m.dropPagesLocked(start, end)
	m.guards.update(start, end, true)
	v.maybeGuard = true
	return nil
}

// maxGuardWords bounds an address space's guard set: 2^20 words, 8 MiB
// of keys and values, cover 256 GiB of guard pages. A variable for tests.
var maxGuardWords uint64 = 1 << 20

// guardMove is the change to the guard set that moving a range's guard
// pages makes: the words it changes, with their new values.
type guardMove map[uintptr]uint64

// planGuardMoveLocked returns the change that moving the guard pages of
// [from, from+length) to the same offsets from to (mremap) makes, or
// ENOMEM if the set would then hold more than maxGuardWords words: a
// move to another alignment spreads the guards of a word over two. Nothing
// changes until applyGuardMoveLocked.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) planGuardMoveLocked(from, length, to uintptr) (guardMove, error) {
	gs := m.guards.pages(from, from+length)
	if len(gs) == 0 {
		return nil, nil
	}
	mv := make(guardMove)
	get := func(k uintptr) uint64 {
		if w, ok := mv[k]; ok {
			return w
		}
		return m.guards.words[k]
	}
	for _, g := range gs {
		k, b := pageWord(g)
		mv[k] = get(k) &^ (1 << b)
	}
	for _, g := range gs {
		k, b := pageWord(g - from + to)
		mv[k] = get(k) | 1<<b
	}
	n := int64(len(m.guards.words))
	for k, w := range mv {
		_, had := m.guards.words[k]
		switch {
		case had && w == 0:
			n--
		case !had && w != 0:
			n++
		}
	}
	if uint64(n) > maxGuardWords {
		return nil, unix.ENOMEM
	}
	return mv, nil
}

// applyGuardMoveLocked makes the change planGuardMoveLocked planned.
//
// Preconditions: m.mu is held for writing, and has been since the plan.
func (m *MemoryManager) applyGuardMoveLocked(mv guardMove) {
	if len(mv) == 0 {
		return
	}
	if m.guards.words == nil {
		m.guards.words = make(map[uintptr]uint64)
	}
	for k, w := range mv {
		if w == 0 {
			delete(m.guards.words, k)
		} else {
			m.guards.words[k] = w
		}
	}
}

// idxSet is a sparse set of page indexes (of a shared memory object), a
// pageSet of the pages' offsets.
type idxSet struct{ s pageSet }

// maxIdx bounds the indexes idxSet holds: their offsets fit a uintptr.
const maxIdx = 1 << (64 - pageShift - 1)

func (x *idxSet) set(first, last uint64) {
	x.s.update(uintptr(min(first, maxIdx))<<pageShift, uintptr(min(last, maxIdx))<<pageShift, true)
}

func (x *idxSet) clear(first, last uint64) {
	if len(x.s.words) == 0 {
		return
	}
	x.s.update(uintptr(min(first, maxIdx))<<pageShift, uintptr(min(last, maxIdx))<<pageShift, false)
}

func (x *idxSet) has(i uint64) bool {
	return len(x.s.words) != 0 && i < maxIdx && x.s.has(uintptr(i)<<pageShift)
}

// first returns the first index of [from, to) in the set.
func (x *idxSet) first(from, to uint64) (uint64, bool) {
	if len(x.s.words) == 0 || from >= min(to, maxIdx) {
		return 0, false
	}
	a, ok := x.s.first(uintptr(from)<<pageShift, uintptr(min(to, maxIdx))<<pageShift)
	return uint64(a >> pageShift), ok
}

// firstClear returns the first index of [from, to) not in the set, or to.
func (x *idxSet) firstClear(from, to uint64) uint64 {
	if len(x.s.words) == 0 {
		return from
	}
	for from < to && from < maxIdx {
		k, b := uint64(from>>6), uint(from&63)
		w := ^x.s.words[uintptr(k)] &^ (1<<b - 1)
		if w != 0 {
			return min(k<<6|uint64(bits.TrailingZeros64(w)), to)
		}
		from = (k + 1) << 6
	}
	return min(from, to)
}
