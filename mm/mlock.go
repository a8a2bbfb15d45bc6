package mm

import "golang.org/x/sys/unix"

// Memory locking. kite never pages application memory out, so a lock only
// needs what an application can observe: the checks against
// RLIMIT_MEMLOCK, the VMA flag (which splits and merges VMAs), and the
// population of locked ranges.

const (
	mclCurrent = 1
	mclFuture  = 2
	mclOnFault = 4

	mlockOnFault = 1 // MLOCK_ONFAULT
)

// MemlockLimit is what memory locking is checked against: RLIMIT_MEMLOCK
// in bytes (RLimInfinity for none) and whether the caller has
// CAP_IPC_LOCK.
type MemlockLimit struct {
	Bytes      uint64
	Privileged bool
}

func (l MemlockLimit) pages() uint64 { return l.Bytes >> pageShift }

// canLock is Linux's can_do_mlock.
func (l MemlockLimit) canLock() bool { return l.Bytes != 0 || l.Privileged }

// MLock locks the pages of [addr, addr+length) in memory (mlock, and
// mlock2 with flags MLOCK_ONFAULT or 0): EPERM without a lock limit,
// ENOMEM over the limit or for unmapped pages, EAGAIN if memory for the
// pages ran out.
func (m *MemoryManager) MLock(addr, length uintptr, flags int, lim MemlockLimit) error {
	if flags&^mlockOnFault != 0 {
		return unix.EINVAL
	}
	if !lim.canLock() {
		return unix.EPERM
	}
	start, end, ok := lockRange(addr, length)
	if !ok {
		return unix.EINVAL
	}
	onFault := flags&mlockOnFault != 0
	m.mu.Lock()
	defer m.unlock()
	m.memlock = lim
	locked := uint64((end-start)>>pageShift) + m.lockedPagesLocked(0, m.maxAddr)
	if locked > lim.pages() && !lim.Privileged {
		// Pages locked already do not count twice.
		locked -= m.lockedPagesLocked(start, end)
		if locked > lim.pages() {
			return unix.ENOMEM
		}
	}
	if err := m.applyLockLocked(start, end, true, onFault); err != nil {
		return err
	}
	if onFault {
		return nil
	}
	return lockPopulateError(m.populateLockedLocked(start, end))
}

// MUnlock unlocks the pages of [addr, addr+length) (ENOMEM for unmapped
// pages).
func (m *MemoryManager) MUnlock(addr, length uintptr) error {
	start, end, ok := lockRange(addr, length)
	if !ok {
		return unix.EINVAL
	}
	m.mu.Lock()
	defer m.unlock()
	return m.applyLockLocked(start, end, false, false)
}

// MLockAll locks every current (MCL_CURRENT) and/or future (MCL_FUTURE)
// mapping, optionally only as they are faulted in (MCL_ONFAULT).
func (m *MemoryManager) MLockAll(flags int, lim MemlockLimit) error {
	if flags == 0 || flags&^(mclCurrent|mclFuture|mclOnFault) != 0 || flags == mclOnFault {
		return unix.EINVAL
	}
	if !lim.canLock() {
		return unix.EPERM
	}
	m.mu.Lock()
	defer m.unlock()
	m.memlock = lim
	if flags&mclCurrent != 0 && !lim.Privileged && m.totalPagesLocked() > lim.pages() {
		return unix.ENOMEM
	}
	onFault := flags&mclOnFault != 0
	m.lockFuture = flags&mclFuture != 0
	m.lockFutureOnFault = m.lockFuture && onFault
	if flags&mclCurrent == 0 || m.vmas.len() == 0 {
		return nil
	}
	start, end := m.vmas.head.start, m.vmas.tail.end
	m.changeLocked(start, end, func(v *vma) {
		v.locked, v.lockOnFault = true, onFault
	})
	if !onFault {
		// Linux ignores population errors here.
		m.populateLockedLocked(start, end)
	}
	return nil
}

// MUnlockAll unlocks every mapping and stops locking future ones.
func (m *MemoryManager) MUnlockAll() {
	m.mu.Lock()
	defer m.unlock()
	m.lockFuture, m.lockFutureOnFault = false, false
	if m.vmas.len() == 0 {
		return
	}
	m.changeLocked(m.vmas.head.start, m.vmas.tail.end, func(v *vma) {
		v.locked, v.lockOnFault = false, false
	})
}

// lockRange rounds a locking request to pages as Linux does (the length
// grows by the offset of addr in its page); ok is false if it wraps.
func lockRange(addr, length uintptr) (start, end uintptr, ok bool) {
	length, _ = pageRoundUp(length + addr&pageMask)
	start = pageDown(addr)
	end = start + length
	return start, end, end >= start
}

// applyLockLocked sets or clears the lock of the VMAs in [start, end):
// ENOMEM (after changing the VMAs before it) if the range has a hole.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) applyLockLocked(start, end uintptr, lock, onFault bool) error {
	if start == end {
		return nil
	}
	if m.vmas.find(start) == nil {
		return unix.ENOMEM
	}
	covEnd := m.coveredEndLocked(start, end)
	m.changeLocked(start, covEnd, func(v *vma) { v.locked, v.lockOnFault = lock, lock && onFault })
	if covEnd < end {
		return unix.ENOMEM
	}
	return nil
}

// populateLockedLocked populates the locked, accessible VMAs in
// [start, end) as Linux's __mm_populate does: writable private mappings
// with write faults (breaking copy-on-write), others with read faults.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) populateLockedLocked(start, end uintptr) error {
	var firstErr error
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.prot == 0 || !v.locked || v.lockOnFault {
			continue
		}
		s, e := max(v.start, start), min(v.end, end)
		write := v.prot&unix.PROT_WRITE != 0 && !v.shared
		// File pages that must be read first are left for faults:
		// files are not read under the lock.
		if err := m.populateLocked(s, e, write, nil); err != nil && !isNeedRead(err) && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// lockPopulateError is Linux's __mlock_posix_error_return.
func lockPopulateError(err error) error {
	switch err {
	case nil:
		return nil
	case unix.EFAULT:
		return unix.ENOMEM
	case unix.ENOMEM:
		return unix.EAGAIN
	}
	return err
}

// lockedPagesLocked counts the locked pages in [start, end).
//
// Preconditions: m.mu is held.
func (m *MemoryManager) lockedPagesLocked(start, end uintptr) uint64 {
	var n uint64
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.locked {
			n += uint64((min(v.end, end) - max(v.start, start)) >> pageShift)
		}
	}
	return n
}

// totalPagesLocked counts every mapped page.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) totalPagesLocked() uint64 {
	var n uint64
	for v := m.vmas.head; v != nil; v = v.next {
		n += uint64(v.length() >> pageShift)
	}
	return n
}

// lockNewLocked applies MCL_FUTURE to a mapping about to be created:
// EAGAIN if locking it would exceed the limit. It returns whether to
// populate it.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) lockNewLocked(v *vma) (populate bool, err error) {
	if !m.lockFuture {
		return false, nil
	}
	if !m.memlock.Privileged && uint64(v.length()>>pageShift)+m.lockedPagesLocked(0, m.maxAddr) > m.memlock.pages() {
		return false, unix.EAGAIN
	}
	v.locked, v.lockOnFault = true, m.lockFutureOnFault
	return !v.lockOnFault, nil
}
