package mm

import (
	"reflect"
	"sort"

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
	// mapping of a file open read-only; Linux's VM_MAYWRITE clear).
	noWrite bool
}

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

// dropRefs drops the references taken by takeRefs (or at creation).
func (v *vma) dropRefs(owner *MemoryManager) {
	if v.obj != nil {
		v.obj.decMap(owner, v.mayWriteShared())
	}
	if r, ok := v.file.(MappedFile); ok {
		r.DecMapRef()
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
		a.locked != b.locked || a.lockOnFault != b.lockOnFault || a.noWrite != b.noWrite {
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

// vmaSet is the address space's VMAs, sorted by address, non-overlapping.
type vmaSet struct {
	v     []*vma
	owner *MemoryManager // the address space the VMAs belong to
}

// lowerBound returns the index of the first VMA ending above addr.
func (s *vmaSet) lowerBound(addr uintptr) int {
	return sort.Search(len(s.v), func(i int) bool { return s.v[i].end > addr })
}

// find returns the VMA containing addr, or nil.
func (s *vmaSet) find(addr uintptr) *vma {
	i := s.lowerBound(addr)
	if i < len(s.v) && s.v[i].start <= addr {
		return s.v[i]
	}
	return nil
}

// overlaps reports whether any VMA intersects [start, end).
func (s *vmaSet) overlaps(start, end uintptr) bool {
	i := s.lowerBound(start)
	return i < len(s.v) && s.v[i].start < end
}

// splitAt makes addr a VMA boundary if it falls strictly inside a VMA.
func (s *vmaSet) splitAt(addr uintptr) {
	i := s.lowerBound(addr)
	if i == len(s.v) || s.v[i].start >= addr {
		return
	}
	left := s.v[i]
	right := *left
	right.start = addr
	if right.file != nil || right.obj != nil {
		right.off += uint64(addr - left.start)
	}
	right.takeRefs(s.owner)
	left.end = addr
	s.v = append(s.v, nil)
	copy(s.v[i+2:], s.v[i+1:])
	s.v[i+1] = &right
}

// insert adds v, which must not overlap any VMA, and merges it with its
// neighbours where possible.
func (s *vmaSet) insert(v *vma) {
	i := s.lowerBound(v.start)
	s.v = append(s.v, nil)
	copy(s.v[i+1:], s.v[i:])
	s.v[i] = v
	s.mergeAround(i)
}

// mergeAround merges the VMA at index i with mergeable neighbours.
func (s *vmaSet) mergeAround(i int) {
	if i+1 < len(s.v) && canMerge(s.v[i], s.v[i+1]) {
		s.mergeNext(i)
	}
	if i > 0 && canMerge(s.v[i-1], s.v[i]) {
		s.mergeNext(i - 1)
	}
}

// mergeRange merges mergeable neighbours among the VMAs intersecting
// [start, end] and the ones adjacent to it.
func (s *vmaSet) mergeRange(start, end uintptr) {
	i := s.lowerBound(start)
	if i > 0 {
		i--
	}
	for i+1 < len(s.v) && s.v[i].start <= end {
		if canMerge(s.v[i], s.v[i+1]) {
			s.mergeNext(i)
			continue
		}
		i++
	}
}

func (s *vmaSet) mergeNext(i int) {
	next := s.v[i+1]
	s.v[i].end = next.end
	next.dropRefs(s.owner)
	s.v = append(s.v[:i+1], s.v[i+2:]...)
}

// checkInvariants verifies the set's invariants (used by tests).
func (s *vmaSet) checkInvariants() error {
	var prev *vma
	for _, v := range s.v {
		if v.start >= v.end || v.start%pageSize != 0 || v.end%pageSize != 0 {
			return unix.EINVAL
		}
		if prev != nil && prev.end > v.start {
			return unix.EEXIST
		}
		prev = v
	}
	return nil
}
