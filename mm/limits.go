package mm

import "golang.org/x/sys/unix"

// AddressLimits are the resource limits that bound an address space's
// size, as Linux's may_expand_vm checks them: RLIMIT_AS bounds every
// mapping, RLIMIT_DATA the private writable ones other than stacks.
type AddressLimits struct {
	AS, Data uint64 // bytes; RLimInfinity for none
	// Memlock bounds MAP_LOCKED and MCL_FUTURE mappings.
	Memlock MemlockLimit
}

// SetAddressLimits sets the limits later mmap, brk and mremap calls are
// checked against (the caller passes the process's current RLIMIT_AS,
// RLIMIT_DATA and RLIMIT_MEMLOCK before each).
func (m *MemoryManager) SetAddressLimits(l AddressLimits) {
	m.mu.Lock()
	m.limits = l
	m.memlock = l.Memlock
	m.unlock()
}

// isData reports whether v counts against RLIMIT_DATA (Linux's
// is_data_mapping: writable, not shared, not a stack).
func (v *vma) isData() bool {
	return v.prot&unix.PROT_WRITE != 0 && !v.shared && !v.growsDown
}

// mayExpandLocked checks that adding length bytes of mappings (data ones
// if data) stays within the limits, not counting what [skipStart,
// skipEnd) maps now (a MAP_FIXED mapping replaces it).
//
// Preconditions: m.mu is held.
func (m *MemoryManager) mayExpandLocked(length uintptr, data bool, skipStart, skipEnd uintptr) error {
	as, dl := m.limits.AS, m.limits.Data
	if as == RLimInfinity && (!data || dl == RLimInfinity) {
		return nil
	}
	// Limits are rare: counting the VMAs only then keeps mmap cheap for
	// everybody else.
	var total, dataTotal uint64
	for v := m.vmas.head; v != nil; v = v.next {
		n := uint64(v.length())
		if lo, hi := max(v.start, skipStart), min(v.end, skipEnd); lo < hi {
			n -= uint64(hi - lo)
		}
		total += n
		if v.isData() {
			dataTotal += n
		}
	}
	if as != RLimInfinity && total+uint64(length) > as {
		return unix.ENOMEM
	}
	if data && dl != RLimInfinity && dataTotal+uint64(length) > dl {
		return unix.ENOMEM
	}
	return nil
}
