package futex

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestPISingleThread(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	task := newTask()
	const me, other = 100, 200
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, true, alwaysAlive); err != nil {
		t.Fatalf("trylock of a free futex: %v", err)
	}
	if v := mem.get(t, wordA); v != me {
		t.Fatalf("word = %#x, want %d", v, me)
	}
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, false, alwaysAlive); err != unix.EDEADLK {
		t.Fatalf("lock of one's own: %v", err)
	}
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, true, alwaysAlive); err != unix.EDEADLK {
		t.Fatalf("trylock of one's own: %v", err)
	}
	if err := m.UnlockPI(mem, wordA, true, other, other); err != unix.EPERM {
		t.Fatalf("unlock of another's: %v", err)
	}
	if err := m.UnlockPI(mem, wordA, true, me, me); err != nil {
		t.Fatalf("unlock: %v", err)
	}
	if v := mem.get(t, wordA); v != 0 {
		t.Fatalf("word after unlock = %#x", v)
	}
	if err := m.UnlockPI(mem, wordA, true, me, me); err != unix.EPERM {
		t.Fatalf("unlock of a free futex: %v", err)
	}

	// OWNER_DIED is kept by a lock, and dropped (with WAITERS) by an
	// unlock without waiters.
	mem.set(t, wordA, FUTEX_OWNER_DIED|FUTEX_WAITERS)
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, false, alwaysAlive); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, wordA); v != FUTEX_OWNER_DIED|me {
		t.Fatalf("word after taking an owner-died futex = %#x", v)
	}
	if err := m.UnlockPI(mem, wordA, true, me, me); err != nil || mem.get(t, wordA) != 0 {
		t.Fatalf("unlock = %v, word %#x", err, mem.get(t, wordA))
	}

	// An owner that does not exist: ESRCH, with WAITERS left set as Linux
	// does.
	mem.set(t, wordA, 4242)
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, true, neverAlive); err != unix.ESRCH {
		t.Fatalf("trylock behind a dead owner: %v", err)
	}
	if v := mem.get(t, wordA); v != 4242|FUTEX_WAITERS {
		t.Fatalf("word = %#x", v)
	}
	// A live owner: trylock fails with EAGAIN and leaves nobody queued.
	mem.set(t, wordA, other)
	if err := m.LockPI(task, mem, wordA, true, me, me, time.Time{}, true, alwaysAlive); err != unix.EAGAIN {
		t.Fatalf("trylock of an owned futex: %v", err)
	}
	waitQueued(t, m, mem, wordA, true, 0)
	if v := mem.get(t, wordA); v != other|FUTEX_WAITERS {
		t.Fatalf("word = %#x", v)
	}
	if err := m.UnlockPI(mem, wordA, true, other, other); err != nil || mem.get(t, wordA) != 0 {
		t.Fatalf("owner's unlock = %v, word %#x", err, mem.get(t, wordA))
	}
	if err := m.LockPI(task, mem, wordA+2, true, me, me, time.Time{}, false, alwaysAlive); err != unix.EINVAL {
		t.Fatalf("unaligned: %v", err)
	}
	if err := m.LockPI(task, mem, 0x1000, true, me, me, time.Time{}, false, alwaysAlive); err != unix.EFAULT {
		t.Fatalf("bad address: %v", err)
	}
	// A misaligned unlock reads the word as get_user would: EPERM when
	// it does not name the caller, EINVAL only when it does.
	mem.set(t, wordA, 0)
	mem.set(t, wordA+4, 0)
	if err := m.UnlockPI(mem, wordA+2, true, me, me); err != unix.EPERM {
		t.Fatalf("misaligned unlock: %v", err)
	}
	mem.set(t, wordA, me<<16)
	if err := m.UnlockPI(mem, wordA+2, true, me, me); err != unix.EINVAL {
		t.Fatalf("misaligned unlock of one's own: %v", err)
	}
	if err := m.UnlockPI(mem, 0x1002, true, me, me); err != unix.EFAULT {
		t.Fatalf("misaligned unlock of a bad address: %v", err)
	}
}

func TestForgetExited(t *testing.T) {
	m := NewManager()
	m.ExitPIState(7, "first")
	// Another thread now holding the TID does not drop the tombstone.
	m.ForgetExited(7, "second")
	m.piMu.Lock()
	n := len(m.exited)
	m.piMu.Unlock()
	if n != 1 {
		t.Fatalf("%d tombstones after forgetting another thread, want 1", n)
	}
	m.ForgetExited(7, "first")
	m.piMu.Lock()
	n = len(m.exited)
	m.piMu.Unlock()
	if n != 0 {
		t.Fatalf("%d tombstones after forgetting the thread, want 0", n)
	}
}

func TestTombstonesPruned(t *testing.T) {
	m := NewManager()
	old := time.Now().Add(-2 * tombstoneTTL)
	m.piMu.Lock()
	for tid := int32(1); tid <= maxTombstones; tid++ {
		m.exited[tid] = tombstone{self: tid, at: old}
	}
	m.exited[maxTombstones+1] = tombstone{self: int32(maxTombstones + 1), at: time.Now()}
	m.piMu.Unlock()
	m.ExitPIState(5000, int32(5000))
	m.piMu.Lock()
	n := len(m.exited)
	_, kept := m.exited[maxTombstones+1]
	m.piMu.Unlock()
	if n != 2 || !kept {
		t.Fatalf("%d tombstones after pruning (recent one kept: %v), want 2", n, kept)
	}
}

func TestPIHandOff(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const t1, t2, t3 = 11, 12, 13
	if err := m.LockPI(newTask(), mem, wordA, true, t1, t1, time.Time{}, false, alwaysAlive); err != nil {
		t.Fatal(err)
	}
	c2 := async(func() error { return m.LockPI(newTask(), mem, wordA, true, t2, t2, time.Time{}, false, alwaysAlive) })
	waitQueued(t, m, mem, wordA, true, 1)
	c3 := async(func() error { return m.LockPI(newTask(), mem, wordA, true, t3, t3, time.Time{}, false, alwaysAlive) })
	waitQueued(t, m, mem, wordA, true, 2)
	if v := mem.get(t, wordA); v != t1|FUTEX_WAITERS {
		t.Fatalf("word with waiters = %#x", v)
	}
	// Non-PI operations on a PI futex with waiters are refused.
	if _, err := m.Wake(mem, wordA, true, 1, FUTEX_BITSET_MATCH_ANY); err != unix.EINVAL {
		t.Fatalf("FUTEX_WAKE on a PI futex: %v", err)
	}
	if err := m.UnlockPI(mem, wordA, true, t2, t2); err != unix.EPERM {
		t.Fatalf("waiter's unlock: %v", err)
	}
	if err := m.UnlockPI(mem, wordA, true, t1, t1); err != nil {
		t.Fatal(err)
	}
	if err := result(t, c2); err != nil {
		t.Fatalf("first waiter: %v", err)
	}
	if v := mem.get(t, wordA); v != t2|FUTEX_WAITERS {
		t.Fatalf("word after hand-off = %#x", v)
	}
	pending(t, c3)
	if err := m.UnlockPI(mem, wordA, true, t2, t2); err != nil {
		t.Fatal(err)
	}
	if err := result(t, c3); err != nil {
		t.Fatal(err)
	}
	// The last waiter owns it with WAITERS still set; its unlock finds no
	// waiters and frees it.
	if v := mem.get(t, wordA); v != t3|FUTEX_WAITERS {
		t.Fatalf("word = %#x", v)
	}
	if err := m.UnlockPI(mem, wordA, true, t3, t3); err != nil || mem.get(t, wordA) != 0 {
		t.Fatalf("last unlock = %v, word %#x", err, mem.get(t, wordA))
	}
}

func TestPITimeoutAndInterrupt(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const t1, t2 = 21, 22
	mem.set(t, wordA, t1)
	err := m.LockPI(newTask(), mem, wordA, true, t2, t2, time.Now().Add(20*time.Millisecond), false, alwaysAlive)
	if err != unix.ETIMEDOUT {
		t.Fatalf("timed lock = %v", err)
	}
	waitQueued(t, m, mem, wordA, true, 0)
	task := newTask()
	c := async(func() error { return m.LockPI(task, mem, wordA, true, t2, t2, time.Time{}, false, alwaysAlive) })
	waitQueued(t, m, mem, wordA, true, 1)
	task.interrupt()
	if err := result(t, c); err != unix.EINTR {
		t.Fatalf("interrupted lock = %v", err)
	}
	// No waiters are left: the owner's unlock frees the word.
	if err := m.UnlockPI(mem, wordA, true, t1, t1); err != nil || mem.get(t, wordA) != 0 {
		t.Fatalf("unlock = %v, word %#x", err, mem.get(t, wordA))
	}
	// The word and the kernel's owner disagree: EINVAL.
	mem.set(t, wordA, t1)
	c = async(func() error { return m.LockPI(newTask(), mem, wordA, true, t2, t2, time.Time{}, false, alwaysAlive) })
	waitQueued(t, m, mem, wordA, true, 1)
	mem.set(t, wordA, 999)
	if err := m.LockPI(newTask(), mem, wordA, true, 23, 23, time.Time{}, false, alwaysAlive); err != unix.EINVAL {
		t.Fatalf("lock of an inconsistent futex: %v", err)
	}
	if err := m.UnlockPI(mem, wordA, true, 999, 999); err != unix.EINVAL {
		t.Fatalf("unlock by a TID the kernel does not know as owner: %v", err)
	}
	mem.set(t, wordA, t1|FUTEX_WAITERS)
	if err := m.UnlockPI(mem, wordA, true, t1, t1); err != nil {
		t.Fatal(err)
	}
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
}

func TestPIOwnerExit(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const t1, t2, t3 = 31, 32, 33
	alive := newAliveSet(t1, t2, t3)
	mem.set(t, wordA, t1)
	c2 := async(func() error { return m.LockPI(newTask(), mem, wordA, true, t2, t2, time.Time{}, false, alive.alive) })
	waitQueued(t, m, mem, wordA, true, 1)
	c3 := async(func() error { return m.LockPI(newTask(), mem, wordA, true, t3, t3, time.Time{}, false, alive.alive) })
	waitQueued(t, m, mem, wordA, true, 2)
	// t1 dies holding it as a robust futex: its robust-list walk clears
	// the TID and sets OWNER_DIED, which the hand-off keeps.
	alive.kill(t1)
	mem.set(t, wordA, FUTEX_WAITERS|FUTEX_OWNER_DIED)
	m.ExitPIState(t1, nil)
	if err := result(t, c2); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, wordA); v != t2|FUTEX_WAITERS|FUTEX_OWNER_DIED {
		t.Fatalf("word after the owner's death = %#x", v)
	}
	// The new owner is recorded: its own exit hands on to t3, even while
	// t2 can still be found. t2 made the futex consistent, and its death
	// is not a robust one: the hand-off sets OWNER_DIED all the same, as
	// Linux does.
	mem.set(t, wordA, t2|FUTEX_WAITERS)
	m.ExitPIState(t2, int32(t2))
	if err := result(t, c3); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, wordA); v != t3|FUTEX_WAITERS|FUTEX_OWNER_DIED {
		t.Fatalf("word = %#x", v)
	}
	m.piMu.Lock()
	n := len(m.piOwned)
	m.piMu.Unlock()
	if n != 0 {
		t.Fatalf("%d owners still recorded", n)
	}
	// A thread that has exited counts as gone while it can still be
	// found; its TID reused by another thread counts as alive.
	mem.set(t, wordB, t2)
	if err := m.LockPI(newTask(), mem, wordB, true, t3, t3, time.Time{}, true, alive.alive); err != unix.ESRCH {
		t.Fatalf("lock behind an exited owner: %v", err)
	}
	mem.set(t, wordB, t2)
	reused := func(tid int32) (any, int32) { return "new thread", tid }
	if err := m.LockPI(newTask(), mem, wordB, true, t3, t3, time.Time{}, true, reused); err != unix.EAGAIN {
		t.Fatalf("trylock behind a reused TID: %v", err)
	}
	m.piMu.Lock()
	n = len(m.exited)
	m.piMu.Unlock()
	if n != 0 {
		t.Fatalf("%d tombstones left", n)
	}
}

func TestPIStress(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const workers, iters = 6, 300
	counter := 0
	var wg sync.WaitGroup
	for i := range workers {
		tid := int32(1000 + i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range iters {
				// The user-space fast paths, then the kernel.
				if c, _ := mem.CompareAndSwapUint32(wordA, 0, uint32(tid)); c != 0 {
					if err := m.LockPI(newTask(), mem, wordA, true, tid, tid, time.Time{}, false, alwaysAlive); err != nil {
						t.Error(err)
						return
					}
				}
				counter++
				runtime.Gosched()
				if c, _ := mem.CompareAndSwapUint32(wordA, uint32(tid), 0); c != uint32(tid) {
					if err := m.UnlockPI(mem, wordA, true, tid, tid); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if counter != workers*iters {
		t.Fatalf("counter = %d", counter)
	}
	if v := mem.get(t, wordA); v != 0 {
		t.Fatalf("word = %#x", v)
	}
}

func TestRequeuePI(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const cond, lock = wordA, wordB
	const t1, t2, t3 = 41, 42, 43
	if err := m.WaitRequeuePI(newTask(), mem, cond, cond, true, 0, t1, t1, time.Time{}); err != unix.EINVAL {
		t.Fatalf("same futex: %v", err)
	}
	if _, err := m.CmpRequeuePI(mem, cond, lock, true, 2, 1, 0, alwaysAlive); err != unix.EINVAL {
		t.Fatalf("nr_wake 2: %v", err)
	}
	c1 := async(func() error { return m.WaitRequeuePI(newTask(), mem, cond, lock, true, 0, t1, t1, time.Time{}) })
	waitQueued(t, m, mem, cond, true, 1)
	c2 := async(func() error { return m.WaitRequeuePI(newTask(), mem, cond, lock, true, 0, t2, t2, time.Time{}) })
	waitQueued(t, m, mem, cond, true, 2)
	// Plain wakes and requeues refuse requeue-PI waiters.
	if _, err := m.Wake(mem, cond, true, 1, FUTEX_BITSET_MATCH_ANY); err != unix.EINVAL {
		t.Fatalf("wake of a requeue-PI waiter: %v", err)
	}
	if _, err := m.Requeue(mem, cond, lock, true, 1, 1, false, 0); err != unix.EINVAL {
		t.Fatalf("requeue of a requeue-PI waiter: %v", err)
	}
	if _, err := m.CmpRequeuePI(mem, cond, wordC, true, 1, 1, 0, alwaysAlive); err != unix.EINVAL {
		t.Fatalf("requeue to the wrong PI futex: %v", err)
	}
	if _, err := m.CmpRequeuePI(mem, cond, lock, true, 1, 1, 5, alwaysAlive); err != unix.EAGAIN {
		t.Fatalf("cmp mismatch: %v", err)
	}
	// The lock is free: the first waiter gets it, the second is requeued.
	n, err := m.CmpRequeuePI(mem, cond, lock, true, 1, 1, 0, alwaysAlive)
	if n != 2 || err != nil {
		t.Fatalf("cmp_requeue_pi = %d, %v", n, err)
	}
	if err := result(t, c1); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, lock); v != t1|FUTEX_WAITERS {
		t.Fatalf("lock word = %#x", v)
	}
	waitQueued(t, m, mem, lock, true, 1)
	pending(t, c2)
	if err := m.UnlockPI(mem, lock, true, t1, t1); err != nil {
		t.Fatal(err)
	}
	if err := result(t, c2); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, lock); v != t2|FUTEX_WAITERS {
		t.Fatalf("lock word = %#x", v)
	}

	// The lock is owned: the top waiter is requeued too (one more than
	// nr_requeue), and an interrupted requeued waiter gets EAGAIN.
	task := newTask()
	c3 := async(func() error { return m.WaitRequeuePI(task, mem, cond, lock, true, 0, t3, t3, time.Time{}) })
	waitQueued(t, m, mem, cond, true, 1)
	if n, err := m.CmpRequeuePI(mem, cond, lock, true, 1, 0, 0, alwaysAlive); n != 1 || err != nil {
		t.Fatalf("cmp_requeue_pi behind an owner = %d, %v", n, err)
	}
	waitQueued(t, m, mem, lock, true, 1)
	task.interrupt()
	if err := result(t, c3); err != unix.EAGAIN {
		t.Fatalf("interrupted after requeue: %v", err)
	}
	// Timed out before any requeue.
	if err := m.WaitRequeuePI(newTask(), mem, cond, lock, true, 0, t3, t3, time.Now().Add(10*time.Millisecond)); err != unix.ETIMEDOUT {
		t.Fatalf("timeout: %v", err)
	}
}

// robustHead builds a robust list in mem at head: entries at the given
// addresses (pi marks bit 0), futex words at entry+offset.
func robustHead(t *testing.T, mem *fakeMem, head uintptr, offset int64, pending uintptr, entries []uintptr, pi []bool) {
	t.Helper()
	next := head
	for i := len(entries) - 1; i >= 0; i-- {
		v := uint64(next)
		if next != head && pi[i+1] {
			v |= 1
		}
		mem.putU64(t, entries[i], v)
		next = entries[i]
	}
	v := uint64(next)
	if len(entries) > 0 && pi[0] {
		v |= 1
	}
	mem.putU64(t, head, v)
	mem.putU64(t, head+8, uint64(offset))
	mem.putU64(t, head+16, uint64(pending))
}

func TestExitRobustList(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(256)
	const tid, other = 51, 52
	head := uintptr(fakeBase + 0x100)
	e1, e2, e3 := uintptr(fakeBase+0x200), uintptr(fakeBase+0x220), uintptr(fakeBase+0x240)
	const off = 8 // the word follows the list entry
	robustHead(t, mem, head, off, 0, []uintptr{e1, e2, e3}, []bool{false, false, true})
	mem.set(t, e1+off, tid|FUTEX_WAITERS)
	mem.set(t, e2+off, other)
	mem.set(t, e3+off, tid)
	// A robust mutex waiter uses shared futex operations.
	c := async(func() error {
		return m.Wait(newTask(), mem, e1+off, false, tid|FUTEX_WAITERS, FUTEX_BITSET_MATCH_ANY, time.Time{})
	})
	waitQueued(t, m, mem, e1+off, false, 1)
	m.ExitRobustList(mem, head, tid)
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, e1+off); v != FUTEX_WAITERS|FUTEX_OWNER_DIED {
		t.Errorf("owned word with waiters = %#x", v)
	}
	if v := mem.get(t, e2+off); v != other {
		t.Errorf("another's word = %#x", v)
	}
	if v := mem.get(t, e3+off); v != FUTEX_OWNER_DIED {
		t.Errorf("owned PI word = %#x", v)
	}

	// list_op_pending: a released word gets a wake; an owned one is
	// marked even though the list does not hold it yet.
	mem.set(t, e1+off, 0)
	robustHead(t, mem, head, off, e1, nil, nil)
	c = async(func() error { return m.Wait(newTask(), mem, e1+off, false, 0, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
	waitQueued(t, m, mem, e1+off, false, 1)
	m.ExitRobustList(mem, head, tid)
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
	mem.set(t, e2+off, tid)
	robustHead(t, mem, head, off, e2, []uintptr{e2}, []bool{false})
	m.ExitRobustList(mem, head, tid)
	if v := mem.get(t, e2+off); v != FUTEX_OWNER_DIED {
		t.Errorf("pending owned word = %#x", v)
	}

	// A cyclic list stops after ROBUST_LIST_LIMIT entries; a list into
	// unmapped memory stops there.
	mem.putU64(t, e1, uint64(e1))
	mem.putU64(t, head, uint64(e1))
	mem.putU64(t, head+16, 0)
	done := make(chan struct{})
	go func() { m.ExitRobustList(mem, head, tid); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("cyclic robust list walk did not stop")
	}
	mem.putU64(t, head, 0x1000)
	m.ExitRobustList(mem, head, tid)
	m.ExitRobustList(mem, 0x1000, tid)

	// An entry whose word cannot be read ends the walk, as on Linux:
	// the owned word after it keeps its owner.
	last := uintptr(fakeBase + 0x400 - 8)
	mem.set(t, e2+off, tid)
	robustHead(t, mem, head, off, 0, []uintptr{last, e2}, []bool{false, false})
	m.ExitRobustList(mem, head, tid)
	if v := mem.get(t, e2+off); v != tid {
		t.Errorf("word after an unreadable entry = %#x", v)
	}
}

// TestPIOwnerExitBehindWaiter hands a PI futex on at its owner's exit
// when a FUTEX_WAIT on the same word is queued ahead of the locker. The
// first locker times out once the others are queued: its deadline leaves
// them two seconds to queue on a loaded machine.
func TestPIOwnerExitBehindWaiter(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const t1, t2, t3 = 41, 42, 43
	mem.set(t, wordA, t1)
	c2 := async(func() error {
		return m.LockPI(newTask(), mem, wordA, true, t2, t2, time.Now().Add(2*time.Second), false, alwaysAlive)
	})
	waitQueued(t, m, mem, wordA, true, 1)
	cn := async(func() error {
		return m.Wait(newTask(), mem, wordA, true, t1|FUTEX_WAITERS, FUTEX_BITSET_MATCH_ANY, time.Time{})
	})
	waitQueued(t, m, mem, wordA, true, 2)
	c3 := async(func() error { return m.LockPI(newTask(), mem, wordA, true, t3, t3, time.Time{}, false, alwaysAlive) })
	waitQueued(t, m, mem, wordA, true, 3)
	if err := result(t, c2); err != unix.ETIMEDOUT {
		t.Fatalf("first locker = %v", err)
	}
	m.ExitPIState(t1, nil)
	if err := result(t, c3); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, wordA); v != t3|FUTEX_WAITERS|FUTEX_OWNER_DIED {
		t.Fatalf("word = %#x", v)
	}
	if k, err := m.Wake(mem, wordA, true, 1, FUTEX_BITSET_MATCH_ANY); k != 1 || err != nil {
		t.Fatalf("wake of the plain waiter = %d, %v", k, err)
	}
	if err := result(t, cn); err != nil {
		t.Fatal(err)
	}
}

func TestClearChildTID(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	mem.set(t, wordA, 77)
	c := async(func() error { return m.Wait(newTask(), mem, wordA, false, 77, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
	waitQueued(t, m, mem, wordA, false, 1)
	m.ClearChildTID(mem, wordA)
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
	if v := mem.get(t, wordA); v != 0 {
		t.Fatalf("tid word = %d", v)
	}
	m.ClearChildTID(mem, 0x1000) // unmapped: nothing happens
}
