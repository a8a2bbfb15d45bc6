package futex

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
)

// Wait is FUTEX_WAIT_BITSET (FUTEX_WAIT with FUTEX_BITSET_MATCH_ANY): if
// the word at addr holds val, block until a wake whose bitset shares a bit
// with bitset, the deadline (zero: none) or an interruption. Errors:
// EINVAL (bitset 0, misaligned), EFAULT, EAGAIN (the word differs),
// ETIMEDOUT, EINTR.
func (m *Manager) Wait(t Waiter, mem Memory, addr uintptr, private bool, val, bitset uint32, deadline time.Time) error {
	if bitset == 0 {
		return unix.EINVAL
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return err
	}
	w := newWaiter(t, waitNormal, bitset)
	if err := m.queueIfValue(mem, addr, key, val, w); err != nil {
		return err
	}
	return m.sleepQueued(t, w, deadline)
}

// queueIfValue queues w on key if the word at addr holds val: EAGAIN if
// not, EFAULT if it cannot be read. Reading the word with the bucket lock
// held is what keeps a wake from being lost: a waker changes the word
// before it takes the lock.
func (m *Manager) queueIfValue(mem Memory, addr uintptr, key mm.FutexKey, val uint32, w *waiter) error {
	// Fault the page in before taking the lock, so that a page that needs
	// reading does not hold up the bucket.
	if _, err := mem.LoadUint32(addr); err != nil {
		return err
	}
	b := m.bucketOf(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := underLock(mem).LoadUint32(addr)
	if err != nil {
		return err
	}
	if cur != val {
		return unix.EAGAIN
	}
	m.enqueueLocked(b, key, w)
	return nil
}

// sleepQueued sleeps on the queued w and takes it off its queue unless a
// wake did. A wake that races with a timeout or an interruption wins, as
// on Linux.
func (m *Manager) sleepQueued(t Waiter, w *waiter, deadline time.Time) error {
	r := sleep(t, w.ch, deadline)
	if r == sleepWoken || !m.dequeue(w) {
		return nil
	}
	if r == sleepTimedOut {
		return unix.ETIMEDOUT
	}
	return unix.EINTR
}

// Wake is FUTEX_WAKE_BITSET (FUTEX_WAKE with FUTEX_BITSET_MATCH_ANY): wake
// up to n waiters on addr whose bitset shares a bit with bitset (at least
// one, as Linux, even for n <= 0) and return how many. EINVAL for bitset 0
// or if a PI waiter is queued on the futex.
func (m *Manager) Wake(mem Memory, addr uintptr, private bool, n int, bitset uint32) (int, error) {
	if bitset == 0 {
		return 0, unix.EINVAL
	}
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		return 0, err
	}
	b := m.bucketOf(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	return m.wakeKeyLocked(b, key, n, bitset)
}

// wakeKeyLocked wakes up to n (at least one) waiters on key matching
// bitset.
//
// Preconditions: b.mu is held; b is key's bucket.
func (m *Manager) wakeKeyLocked(b *bucket, key mm.FutexKey, n int, bitset uint32) (int, error) {
	q := b.lookupLocked(key)
	if q == nil {
		return 0, nil
	}
	woken := 0
	for w := q.head; w != nil; {
		next := w.next
		if w.kind != waitNormal {
			return 0, unix.EINVAL
		}
		if w.bitset&bitset != 0 {
			m.wakeLocked(b, w)
			if woken++; woken >= n {
				break
			}
		}
		w = next
	}
	return woken, nil
}

// Requeue is FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (with cmp): wake up to
// nWake waiters on addr and move up to nRequeue more to addr2, returning
// the number woken plus moved. With cmp the word at addr must hold val3
// (EAGAIN if not). EINVAL for negative counts or if a PI or requeue-PI
// waiter is met.
func (m *Manager) Requeue(mem Memory, addr, addr2 uintptr, private bool, nWake, nRequeue int, cmp bool, val3 uint32) (int, error) {
	if nWake < 0 || nRequeue < 0 {
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
	if cmp {
		if _, err := mem.LoadUint32(addr); err != nil {
			return 0, err
		}
	}
	b1, b2 := m.bucketOf(key1), m.bucketOf(key2)
	lockPair(b1, b2)
	defer unlockPair(b1, b2)
	if cmp {
		cur, err := underLock(mem).LoadUint32(addr)
		if err != nil {
			return 0, err
		}
		if cur != val3 {
			return 0, unix.EAGAIN
		}
	}
	q := b1.lookupLocked(key1)
	if q == nil {
		return 0, nil
	}
	count := 0
	for w := q.head; w != nil && count-nWake < nRequeue; {
		next := w.next
		if w.kind != waitNormal {
			return 0, unix.EINVAL
		}
		count++
		switch {
		case count <= nWake:
			m.wakeLocked(b1, w)
		case key1 != key2:
			m.moveLocked(b1, b2, w, key2, waitNormal)
		}
		w = next
	}
	return count, nil
}

// WakeOp is FUTEX_WAKE_OP: atomically apply the encoded operation to the
// word at addr2, wake up to nWake waiters on addr and, if the comparison
// encoded in op holds for the old value of addr2's word, up to nWake2 on
// addr2. It returns the total woken. ENOSYS for an unknown operation
// (nothing is changed) or comparison (the operation has been applied).
func (m *Manager) WakeOp(mem Memory, addr, addr2 uintptr, private bool, nWake, nWake2 int, op uint32) (int, error) {
	key1, err := mem.FutexKey(addr, private)
	if err != nil {
		return 0, err
	}
	key2, err := mem.FutexKey(addr2, private)
	if err != nil {
		return 0, err
	}
	kind := (op >> 28) & 7
	cmpKind := (op >> 24) & 15
	oparg := signExtend12(op >> 12)
	cmparg := signExtend12(op)
	if op&(FUTEX_OP_OPARG_SHIFT<<28) != 0 {
		oparg = 1 << (uint32(oparg) & 31)
	}
	if kind > FUTEX_OP_XOR {
		return 0, unix.ENOSYS
	}
	apply := func(old uint32) uint32 {
		a := uint32(oparg)
		switch kind {
		case FUTEX_OP_SET:
			return a
		case FUTEX_OP_ADD:
			return old + a
		case FUTEX_OP_OR:
			return old | a
		case FUTEX_OP_ANDN:
			return old &^ a
		default: // FUTEX_OP_XOR
			return old ^ a
		}
	}
	// Fault addr2 in for writing before taking the locks.
	if _, err := mem.AtomicOp32(addr2, func(v uint32) uint32 { return v }); err != nil {
		return 0, err
	}
	b1, b2 := m.bucketOf(key1), m.bucketOf(key2)
	lockPair(b1, b2)
	defer unlockPair(b1, b2)
	old, err := underLock(mem).AtomicOp32(addr2, apply)
	if err != nil {
		return 0, err
	}
	var cond bool
	o := int32(old)
	switch cmpKind {
	case FUTEX_OP_CMP_EQ:
		cond = o == cmparg
	case FUTEX_OP_CMP_NE:
		cond = o != cmparg
	case FUTEX_OP_CMP_LT:
		cond = o < cmparg
	case FUTEX_OP_CMP_LE:
		cond = o <= cmparg
	case FUTEX_OP_CMP_GT:
		cond = o > cmparg
	case FUTEX_OP_CMP_GE:
		cond = o >= cmparg
	default:
		return 0, unix.ENOSYS
	}
	woken, err := m.wakeKeyLocked(b1, key1, nWake, FUTEX_BITSET_MATCH_ANY)
	if err != nil || !cond {
		return woken, err
	}
	woken2, err := m.wakeKeyLocked(b2, key2, nWake2, FUTEX_BITSET_MATCH_ANY)
	if err != nil {
		return 0, err
	}
	return woken + woken2, nil
}

// signExtend12 returns the low 12 bits of v as a signed number.
func signExtend12(v uint32) int32 {
	return int32(v<<20) >> 20
}

// WaitVEntry is one futex of a futex_waitv call.
type WaitVEntry struct {
	Addr    uintptr
	Val     uint32
	Private bool
}

// WaitV is futex_waitv: if every word holds its value, block until one of
// the futexes is woken and return its index (the highest, if several
// were), or until the deadline or an interruption. EAGAIN if some word
// differs (unless an earlier futex was woken meanwhile), EFAULT, EINVAL
// (misaligned), ETIMEDOUT, EINTR.
func (m *Manager) WaitV(t Waiter, mem Memory, vs []WaitVEntry, deadline time.Time) (int, error) {
	keys := make([]mm.FutexKey, len(vs))
	for i, v := range vs {
		k, err := mem.FutexKey(v.Addr, v.Private)
		if err != nil {
			return 0, err
		}
		keys[i] = k
	}
	ch := make(chan struct{}, 1)
	ws := make([]*waiter, len(vs))
	for i, v := range vs {
		w := &waiter{kind: waitNormal, bitset: FUTEX_BITSET_MATCH_ANY, ch: ch, t: t, index: i}
		if err := m.queueIfValue(mem, v.Addr, keys[i], v.Val, w); err != nil {
			if woken := m.dequeueAll(ws[:i]); woken >= 0 {
				return woken, nil
			}
			return 0, err
		}
		ws[i] = w
	}
	r := sleep(t, ch, deadline)
	if woken := m.dequeueAll(ws); woken >= 0 {
		return woken, nil
	}
	if r == sleepTimedOut {
		return 0, unix.ETIMEDOUT
	}
	// sleep returns sleepWoken only after a wake, which dequeueAll
	// reports.
	return 0, unix.EINTR
}

// dequeueAll takes every waiter of ws off its queue and returns the
// highest index of one that had been woken, or -1.
func (m *Manager) dequeueAll(ws []*waiter) int {
	woken := -1
	for i, w := range ws {
		if !m.dequeue(w) {
			woken = i
		}
	}
	return woken
}
