package futex

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
)

// PI futexes. The futex word holds the owner's TID, FUTEX_WAITERS when
// some locker may be blocked in the kernel (so that the owner's unlock
// comes here), and FUTEX_OWNER_DIED when a previous owner died holding
// it. While lockers are blocked, the queue's piOwner records the owner the
// kernel believes in (Linux's pi_state), and an unlock hands the futex
// directly to the first waiter by writing its TID into the word.

// TaskLookup returns a comparable identity (the *kernel.Task) and the
// kernel-wide TID of the thread that the caller's PID namespace numbers
// tid, or nil and 0 if there is none. Futex words hold TIDs as the PID
// namespace of the thread that wrote them numbers them; the manager keeps
// its owners by kernel-wide TID (gid), so that threads of different PID
// namespaces that share a TID are not confused. LockPI uses it to refuse
// to block behind an owner that is gone (ESRCH); a thread that has been
// through ExitThread counts as gone even while it can still be found.
type TaskLookup func(tid int32) (self any, gid int32)

// writeFault faults the word at addr in for writing, so that atomic
// updates under a bucket lock do not have to read pages in.
func writeFault(mem Memory, addr uintptr) error {
	_, err := mem.AtomicOp32(addr, func(v uint32) uint32 { return v })
	return err
}

// LockPI is FUTEX_LOCK_PI, FUTEX_LOCK_PI2 and (with try) FUTEX_TRYLOCK_PI
// for the thread tid (gid kernel-wide). It returns nil once tid owns the futex: taken when
// free (keeping FUTEX_OWNER_DIED), or handed over by the owner's unlock or
// exit. Errors: EDEADLK (tid already owns it), ESRCH (the owner does not
// exist), EAGAIN (try, and someone owns it), EINVAL (the futex word and
// the kernel's state disagree, or non-PI waiters are queued), EFAULT,
// ETIMEDOUT, EINTR.
func (m *Manager) LockPI(t Waiter, mem Memory, addr uintptr, private bool, tid, gid int32, deadline time.Time, try bool, lookup TaskLookup) error {
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return err
	}
	for {
		if err := writeFault(mem, addr); err != nil {
			return err
		}
		w := newWaiter(t, waitPI, FUTEX_BITSET_MATCH_ANY)
		w.tid, w.gid, w.mem, w.addr = tid, gid, mem, addr
		b := m.bucketOf(key)
		b.mu.Lock()
		acquired, err := m.lockPIAtomicLocked(b, key, mem, addr, tid, w, lookup, false)
		b.mu.Unlock()
		switch {
		case err == unix.EAGAIN:
			continue // the word changed under us
		case err != nil:
			return err
		case acquired:
			return nil
		}
		// w is queued behind the owner.
		if try {
			// Linux leaves FUTEX_WAITERS set in the word here.
			if m.dequeue(w) {
				return unix.EAGAIN
			}
			return nil
		}
		return m.sleepQueued(t, w, deadline)
	}
}

// lockPIAtomicLocked is the atomic part of taking a PI futex for tid (Linux's
// futex_lock_pi_atomic): it takes the futex if it is free, or queues w
// behind the owner. EAGAIN asks the caller to retry (the word changed).
// With setWaiters (requeue-PI) a futex taken for tid gets FUTEX_WAITERS.
//
// Preconditions: b.mu is held; b is key's bucket; w is not queued.
func (m *Manager) lockPIAtomicLocked(b *bucket, key mm.FutexKey, mem Memory, addr uintptr, tid int32, w *waiter, lookup TaskLookup, setWaiters bool) (acquired bool, err error) {
	mem = underLock(mem)
	uval, err := mem.LoadUint32(addr)
	if err != nil {
		return false, err
	}
	owner := int32(uval & FUTEX_TID_MASK)
	if owner == tid {
		return false, unix.EDEADLK
	}
	if q := b.lookupLocked(key); q != nil {
		// Lockers are already blocked: join them, if the word agrees
		// with what the kernel knows. A word without an owner but with
		// FUTEX_OWNER_DIED is an owner's robust-list walk that its
		// ExitPIState has not followed yet.
		if q.npi == 0 || q.head.kind != waitPI {
			return false, unix.EINVAL
		}
		ogid := int32(0)
		if owner != 0 {
			if _, ogid = lookup(owner); ogid == 0 {
				ogid = -1 // no such thread: never the owner
			}
		}
		if ogid != q.piOwner && (owner != 0 || uval&FUTEX_OWNER_DIED == 0) {
			return false, unix.EINVAL
		}
		m.enqueueLocked(b, key, w)
		return false, nil
	}
	if owner == 0 {
		// Free (the WAITERS bit may be stale): take it, keeping
		// OWNER_DIED so that user space can tell.
		nv := uval&FUTEX_OWNER_DIED | uint32(tid)
		if setWaiters {
			nv |= FUTEX_WAITERS
		}
		if cur, err := mem.CompareAndSwapUint32(addr, uval, nv); err != nil || cur != uval {
			return false, retryOr(err)
		}
		return true, nil
	}
	// Owned by another thread: make its unlock come to the kernel, then
	// block behind it if it exists.
	if cur, err := mem.CompareAndSwapUint32(addr, uval, uval|FUTEX_WAITERS); err != nil || cur != uval {
		return false, retryOr(err)
	}
	m.piMu.Lock()
	ok, ogid := m.ownerAliveLocked(owner, lookup)
	if ok {
		m.enqueueLocked(b, key, w)
		m.setPIOwnerPiLocked(w.q, ogid)
	}
	m.piMu.Unlock()
	if !ok {
		// The owner is gone. If it changed the word on its way out (a
		// robust-list walk), retry; otherwise user space lied.
		cur, err := mem.LoadUint32(addr)
		if err != nil {
			return false, err
		}
		if cur != uval|FUTEX_WAITERS {
			return false, unix.EAGAIN
		}
		return false, unix.ESRCH
	}
	return false, nil
}

// ownerAliveLocked reports whether tid names a live thread that has not
// been through ExitPIState, and its kernel-wide TID, forgetting
// tombstones of threads that are gone or whose TID now names another
// thread.
//
// Preconditions: m.piMu is held.
func (m *Manager) ownerAliveLocked(tid int32, lookup TaskLookup) (bool, int32) {
	id, gid := lookup(tid)
	if id == nil {
		return false, 0
	}
	dead, tomb := m.exited[gid]
	if tomb && dead.self != id {
		delete(m.exited, gid)
		tomb = false
	}
	return !tomb, gid
}

// retryOr returns err, or EAGAIN (retry) if it is nil.
func retryOr(err error) error {
	if err != nil {
		return err
	}
	return unix.EAGAIN
}

// UnlockPI is FUTEX_UNLOCK_PI for the thread tid: hand the futex to the
// first blocked locker, or make it free (0). EPERM if tid does not own it,
// EINVAL if the kernel's state disagrees with the word, EAGAIN if the
// word changed under an unlock without waiters, EFAULT.
func (m *Manager) UnlockPI(mem Memory, addr uintptr, private bool, tid, gid int32) error {
	for {
		uval, err := readWord(mem, addr)
		if err != nil {
			return err
		}
		if int32(uval&FUTEX_TID_MASK) != tid {
			return unix.EPERM
		}
		key, err := mem.FutexKey(addr, private)
		if err != nil {
			return err
		}
		if err := writeFault(mem, addr); err != nil {
			return err
		}
		b := m.bucketOf(key)
		b.mu.Lock()
		err = m.unlockPILocked(b, key, mem, addr, uval, tid, gid)
		b.mu.Unlock()
		if err != errRetry {
			return err
		}
	}
}

// readWord reads the word at addr as Linux's get_user does: a
// misaligned word is read too (EFAULT only), so that FUTEX_UNLOCK_PI
// reports EPERM before it looks at the alignment.
func readWord(mem Memory, addr uintptr) (uint32, error) {
	if addr&3 == 0 {
		return mem.LoadUint32(addr)
	}
	var b [4]byte
	if n, _ := mem.CopyIn(addr, b[:]); n != len(b) {
		return 0, unix.EFAULT
	}
	return binary.LittleEndian.Uint32(b[:]), nil
}

// errRetry asks UnlockPI to start again.
var errRetry = unix.ERESTART

func (m *Manager) unlockPILocked(b *bucket, key mm.FutexKey, mem Memory, addr uintptr, uval uint32, tid, gid int32) error {
	q := b.lookupLocked(key)
	if q == nil {
		// No waiters in the kernel: free it, dropping WAITERS and
		// OWNER_DIED.
		cur, err := mem.CompareAndSwapUint32(addr, uval, 0)
		if err != nil {
			return err
		}
		if cur != uval {
			return unix.EAGAIN
		}
		return nil
	}
	top := q.head
	if top.kind != waitPI || q.piOwner != gid {
		return unix.EINVAL
	}
	nv := FUTEX_WAITERS | uint32(top.tid)
	cur, err := mem.CompareAndSwapUint32(addr, uval, nv)
	if err != nil {
		return err
	}
	if cur != uval {
		if int32(cur&FUTEX_TID_MASK) == tid {
			return errRetry // a locker set WAITERS meanwhile
		}
		return unix.EINVAL
	}
	m.handOffLocked(b, q, top)
	return nil
}

// handOffLocked makes top, the first PI waiter of q, the owner of q's PI
// futex (its word already says so) and wakes it.
//
// Preconditions: b.mu is held; top is q's first waiter of kind waitPI.
func (m *Manager) handOffLocked(b *bucket, q *queue, top *waiter) {
	top.acquired = true
	m.wakeLocked(b, top)
	if q.npi > 0 {
		m.setPIOwnerLocked(q, top.gid)
	}
}

// ExitPIState hands the PI futexes that the exiting thread tid owns and
// that have blocked lockers to their first waiter, marking them
// FUTEX_OWNER_DIED whether or not they were robust (Linux's
// exit_pi_state_list, then fixup_pi_state_owner in the new owner). self is the thread's
// identity as TaskLookup returns it: from now on lockers treat the thread
// as gone even if TaskLookup still finds it.
func (m *Manager) ExitPIState(gid int32, self any) {
	m.piMu.Lock()
	if self != nil {
		m.pruneTombstonesLocked()
		m.exited[gid] = tombstone{self: self, at: time.Now()}
	}
	owned := m.piOwned[gid]
	delete(m.piOwned, gid)
	m.piMu.Unlock()
	for key := range owned {
		b := m.bucketOf(key)
		b.mu.Lock()
		q := b.lookupLocked(key)
		if q != nil && q.npi > 0 && q.piOwner == gid {
			// piOwned no longer lists tid; forget the owner so that
			// setPIOwnerLocked does not look for it.
			q.piOwner = 0
			// The first locker; a FUTEX_WAIT on the same word
			// may be queued ahead of it.
			top := q.head
			for top.kind != waitPI {
				top = top.next
			}
			nv := uint32(top.tid) | FUTEX_WAITERS | FUTEX_OWNER_DIED
			// A failure leaves the word as it is; the new owner
			// still owns the futex in the kernel's view, as on
			// Linux when user memory is gone.
			top.mem.AtomicOp32(top.addr, func(uint32) uint32 { return nv })
			m.handOffLocked(b, q, top)
		}
		b.mu.Unlock()
	}
}

// ForgetExited drops the tombstone of the thread self (kernel-wide TID
// gid) once TaskLookup no longer finds it: the kernel calls it when the
// thread leaves its tables, so that tombstones (and the thread they
// name) do not outlive it. It takes piMu: the caller must not hold a
// lock that a TaskLookup takes (a locker calls its TaskLookup with piMu
// held).
func (m *Manager) ForgetExited(gid int32, self any) {
	m.piMu.Lock()
	if ts, ok := m.exited[gid]; ok && ts.self == self {
		delete(m.exited, gid)
	}
	m.piMu.Unlock()
}

// Tombstones matter only between a thread's ExitPIState and the moment
// TaskLookup stops finding it, which the kernel keeps short. Those of
// threads no locker asked about are dropped once they are old and many.
const (
	maxTombstones = 1024
	tombstoneTTL  = 10 * time.Second
)

// pruneTombstonesLocked drops old tombstones once there are many,
// scanning at most once a second.
//
// Preconditions: m.piMu is held.
func (m *Manager) pruneTombstonesLocked() {
	if len(m.exited) < maxTombstones {
		return
	}
	now := time.Now()
	if now.Before(m.nextPrune) {
		return
	}
	m.nextPrune = now.Add(time.Second)
	cutoff := now.Add(-tombstoneTTL)
	for tid, ts := range m.exited {
		if ts.at.Before(cutoff) {
			delete(m.exited, tid)
		}
	}
}

// WaitRequeuePI is FUTEX_WAIT_REQUEUE_PI for the thread tid: wait on the
// non-PI futex addr (which must hold val) until FUTEX_CMP_REQUEUE_PI
// either gives tid the PI futex addr2 or requeues it there, and then until
// tid owns addr2. It returns nil with tid owning addr2. Errors: EINVAL
// (addr and addr2 are one futex), EAGAIN (addr's word differs, or an
// interruption after the requeue), EFAULT, ETIMEDOUT, EINTR.
func (m *Manager) WaitRequeuePI(t Waiter, mem Memory, addr, addr2 uintptr, private bool, val uint32, tid, gid int32, deadline time.Time) error {
	if addr == addr2 {
		return unix.EINVAL
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return err
	}
	key2, err := mem.FutexKey(addr2, private)
	if err != nil {
		return err
	}
	if key == key2 {
		return unix.EINVAL
	}
	w := newWaiter(t, waitRequeuePI, FUTEX_BITSET_MATCH_ANY)
	w.tid, w.gid, w.mem, w.addr, w.key2, w.addr2 = tid, gid, mem, addr, key2, addr2
	if err := m.queueIfValue(mem, addr, key, val, w); err != nil {
		return err
	}
	r := sleep(t, w.ch, deadline)
	if r == sleepWoken {
		if w.acquired {
			return nil
		}
		// Woken without the lock: not by a requeue.
		return unix.EAGAIN
	}
	if !m.dequeue(w) {
		return nil // handed the lock meanwhile
	}
	// w.kind is stable now that w is off every queue.
	switch {
	case r == sleepTimedOut:
		return unix.ETIMEDOUT
	case w.kind == waitPI:
		// Requeued: Linux does not restart the call, whose retry would
		// find the word changed.
		return unix.EAGAIN
	}
	return unix.EINTR
}

// CmpRequeuePI is FUTEX_CMP_REQUEUE_PI: if the word at addr holds val3,
// try to give the PI futex addr2 to the first FUTEX_WAIT_REQUEUE_PI waiter
// on addr, then move up to nRequeue waiters (one more if the first did
// not get the lock) to wait for addr2. It returns the number of waiters
// given the lock or moved. Errors: EINVAL (nWake is not 1, negative
// nRequeue, one futex, a waiter not waiting for addr2), EAGAIN, EFAULT and
// the LockPI errors of taking addr2 for the first waiter.
func (m *Manager) CmpRequeuePI(mem Memory, addr, addr2 uintptr, private bool, nWake, nRequeue int, val3 uint32, lookup TaskLookup) (int, error) {
	if nWake != 1 || nRequeue < 0 {
		return 0, unix.EINVAL
	}
	key1, err := mem.FutexKey(addr, private)
	if err != nil {
		return 0, err
	}
	key2, err := mem.FutexKey(addr2, private)
	if err != nil {
		return 0, err
	}
	if key1 == key2 {
		return 0, unix.EINVAL
	}
	for {
		if _, err := mem.LoadUint32(addr); err != nil {
			return 0, err
		}
		if err := writeFault(mem, addr2); err != nil {
			return 0, err
		}
		b1, b2 := m.bucketOf(key1), m.bucketOf(key2)
		lockPair(b1, b2)
		n, err := m.cmpRequeuePILocked(b1, b2, key1, key2, mem, addr, addr2, nRequeue, val3, lookup)
		unlockPair(b1, b2)
		if err == errRetry {
			continue
		}
		return n, err
	}
}

func (m *Manager) cmpRequeuePILocked(b1, b2 *bucket, key1, key2 mm.FutexKey, mem Memory, addr, addr2 uintptr, nRequeue int, val3 uint32, lookup TaskLookup) (int, error) {
	cur, err := mem.LoadUint32(addr)
	if err != nil {
		return 0, err
	}
	if cur != val3 {
		return 0, unix.EAGAIN
	}
	q1 := b1.lookupLocked(key1)
	if q1 == nil {
		return 0, nil
	}
	count := 0
	top := q1.head
	if top.kind != waitRequeuePI || top.key2 != key2 {
		return 0, unix.EINVAL
	}
	// Try to take addr2 for the top waiter, as if it called LockPI.
	// The waiter is not queued on key2 by this: on success it is woken
	// as the owner, otherwise the loop below requeues it.
	probe := &waiter{kind: waitPI, tid: top.tid, gid: top.gid}
	acquired, err := m.lockPIAtomicLocked(b2, key2, mem, addr2, top.tid, probe, lookup, true)
	if err == unix.EAGAIN {
		return 0, errRetry
	}
	if err != nil {
		return 0, err
	}
	var owner int32
	if acquired {
		top.acquired = true
		m.wakeLocked(b1, top)
		owner = top.gid
		count++
	} else {
		// lockPIAtomicLocked queued the probe behind the owner; the
		// real waiter takes its place below.
		owner = probe.q.piOwner
		m.unlinkLocked(b2, probe)
		probe.b.Store(nil)
	}
	for w := q1.head; w != nil && count-1 < nRequeue; {
		next := w.next
		if w.kind != waitRequeuePI || w.key2 != key2 {
			return count, unix.EINVAL
		}
		m.unlinkLocked(b1, w)
		w.kind = waitPI
		w.addr = w.addr2
		m.enqueueLocked(b2, key2, w)
		m.setPIOwnerLocked(w.q, owner)
		count++
		w = next
	}
	return count, nil
}
