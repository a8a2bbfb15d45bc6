package futex

import "encoding/binary"

// ExitRobustList walks the robust futex list of the exiting thread tid
// (registered with set_robust_list at head) as Linux's exit_robust_list:
// every futex on the list, and the one in list_op_pending, whose word
// names tid as owner gets FUTEX_OWNER_DIED with its TID cleared (keeping
// FUTEX_WAITERS), and one waiter is woken if FUTEX_WAITERS was set (for
// PI futexes ExitPIState hands them on instead). A pending non-PI futex
// whose word is 0 (released but its waiter not yet woken) gets its wake.
// The walk stops at the first unreadable entry and after
// ROBUST_LIST_LIMIT entries. Call it before the thread's memory goes.
func (m *Manager) ExitRobustList(mem Memory, head uintptr, tid int32) {
	if head == 0 {
		return
	}
	var hb [RobustListHeadSize]byte
	if n, _ := mem.CopyIn(head, hb[:]); n != len(hb) {
		return
	}
	// struct robust_list_head { struct robust_list list; long
	// futex_offset; struct robust_list *list_op_pending; }, each entry
	// pointer with bit 0 set for a PI futex.
	entry, pi := splitEntry(binary.LittleEndian.Uint64(hb[0:]))
	offset := int64(binary.LittleEndian.Uint64(hb[8:]))
	pending, pendingPI := splitEntry(binary.LittleEndian.Uint64(hb[16:]))
	for limit := ROBUST_LIST_LIMIT; entry != uint64(head); {
		var nb [8]byte
		n, _ := mem.CopyIn(uintptr(entry), nb[:])
		next, nextPI := splitEntry(binary.LittleEndian.Uint64(nb[:]))
		if entry != pending && !m.handleDeath(mem, uintptr(entry+uint64(offset)), tid, pi, false) {
			return
		}
		if n != len(nb) {
			return
		}
		entry, pi = next, nextPI
		if limit--; limit == 0 {
			break
		}
	}
	if pending != 0 {
		m.handleDeath(mem, uintptr(pending+uint64(offset)), tid, pendingPI, true)
	}
}

// splitEntry separates a robust-list pointer from its PI flag (bit 0).
func splitEntry(v uint64) (entry uint64, pi bool) {
	return v &^ 1, v&1 != 0
}

// handleDeath marks the futex word at addr as owner-died if tid owns it
// (Linux's handle_futex_death). It returns false if the word is
// misaligned or cannot be read or written, which ends the walk as on
// Linux.
func (m *Manager) handleDeath(mem Memory, addr uintptr, tid int32, pi, pending bool) bool {
	if addr&3 != 0 {
		return false
	}
	for {
		uval, err := mem.LoadUint32(addr)
		if err != nil {
			return false
		}
		if pending && !pi && uval == 0 {
			m.Wake(mem, addr, false, 1, FUTEX_BITSET_MATCH_ANY)
			return true
		}
		if int32(uval&FUTEX_TID_MASK) != tid {
			return true
		}
		nv := uval&FUTEX_WAITERS | FUTEX_OWNER_DIED
		cur, err := mem.CompareAndSwapUint32(addr, uval, nv)
		if err != nil {
			return false
		}
		if cur != uval {
			continue
		}
		if !pi && uval&FUTEX_WAITERS != 0 {
			m.Wake(mem, addr, false, 1, FUTEX_BITSET_MATCH_ANY)
		}
		return true
	}
}

// ClearChildTID does the CLONE_CHILD_CLEARTID (set_tid_address) work of a
// thread's exit: store 0 at addr and wake one waiter on it (a shared
// futex, as Linux's mm_release, which is what pthread_join waits on). A
// misaligned or unwritable address gets neither.
func (m *Manager) ClearChildTID(mem Memory, addr uintptr) {
	if addr == 0 {
		return
	}
	if _, err := mem.SwapUint32(addr, 0); err != nil {
		return
	}
	m.Wake(mem, addr, false, 1, FUTEX_BITSET_MATCH_ANY)
}

// ExitThread does the futex work of the exit of thread tid (gid
// kernel-wide) in Linux's
// order: walk its robust list at robustHead (0: none), hand on the PI
// futexes it owns (ExitPIState; self is its TaskLookup identity), then,
// if clearChildTID is not 0, store 0 there and wake a joiner. Linux skips
// the clear-child-tid store when no other task shares the address space;
// callers pass 0 then. Call it while the thread's memory is still mapped.
func (m *Manager) ExitThread(mem Memory, tid, gid int32, self any, robustHead, clearChildTID uintptr) {
	m.ExitRobustList(mem, robustHead, tid)
	m.ExitPIState(gid, self)
	m.ClearChildTID(mem, clearChildTID)
}
