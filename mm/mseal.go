package mm

import "golang.org/x/sys/unix"

// MSeal is mseal(2): it seals the VMAs in [addr, addr+length), which must
// be mapped without holes. A sealed range cannot be unmapped, moved,
// resized or mapped over (MUnmap, MRemap, MMap with MAP_FIXED, Brk) and
// its protection cannot change (MProtect); discarding advice on sealed
// read-only private anonymous memory is refused (MAdvise). Each refusal is
// EPERM. Sealing is for good: the seal goes with the VMA to a child at
// fork and only ends with the address space.
func (m *MemoryManager) MSeal(addr, length, flags uintptr) error {
	if flags != 0 {
		return unix.EINVAL
	}
	end, err := adviceRange(addr, length)
	if err != nil || end == addr {
		return err
	}
	m.mu.Lock()
	defer m.unlock()
	if first := m.vmas.lowerBound(addr); first == nil || first.start > addr || m.coveredEndLocked(addr, end) < end {
		return unix.ENOMEM
	}
	m.changeLocked(addr, end, func(v *vma) { v.sealed = true })
	return nil
}

// sealedInLocked reports whether a sealed VMA overlaps [start, end).
//
// Preconditions: m.mu is held.
func (m *MemoryManager) sealedInLocked(start, end uintptr) bool {
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.sealed {
			return true
		}
	}
	return false
}

// discardSealed reports whether advice may not be applied to v because
// it would discard the contents of sealed memory the application cannot
// write: Linux refuses discarding advice on sealed private anonymous
// memory without PROT_WRITE, and allows it on file and shared memory,
// whose contents the mapping's object keeps.
func discardSealed(v *vma, advice int) bool {
	if !v.sealed || !v.anonymous() || v.prot&unix.PROT_WRITE != 0 {
		return false
	}
	switch advice {
	case unix.MADV_DONTNEED, unix.MADV_DONTNEED_LOCKED, unix.MADV_FREE, unix.MADV_REMOVE,
		unix.MADV_DONTFORK, unix.MADV_WIPEONFORK, madvGuardInstall:
		return true
	}
	return false
}
