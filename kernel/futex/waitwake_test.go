package futex

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	wordA = fakeBase
	wordB = fakeBase + 4
	wordC = fakeBase + 8
)

func TestWaitErrors(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	task := newTask()
	mem.set(t, wordA, 1)
	if err := m.Wait(task, mem, wordA, true, 2, FUTEX_BITSET_MATCH_ANY, time.Time{}); err != unix.EAGAIN {
		t.Errorf("value mismatch: %v", err)
	}
	if err := m.Wait(task, mem, wordA, true, 1, 0, time.Time{}); err != unix.EINVAL {
		t.Errorf("bitset 0: %v", err)
	}
	if err := m.Wait(task, mem, wordA+1, true, 1, 1, time.Time{}); err != unix.EINVAL {
		t.Errorf("unaligned: %v", err)
	}
	if err := m.Wait(task, mem, 0x1000, true, 0, 1, time.Time{}); err != unix.EFAULT {
		t.Errorf("bad address: %v", err)
	}
	if n, err := m.Wake(mem, wordA, true, 1, 0); err != unix.EINVAL || n != 0 {
		t.Errorf("wake bitset 0: %d %v", n, err)
	}
	if n, err := m.Wake(mem, wordA, true, 1, FUTEX_BITSET_MATCH_ANY); err != nil || n != 0 {
		t.Errorf("wake without waiters: %d %v", n, err)
	}
	// A private wake computes its key without touching memory; a shared
	// one needs the page.
	if n, err := m.Wake(mem, 0x1000, true, 1, FUTEX_BITSET_MATCH_ANY); err != nil || n != 0 {
		t.Errorf("private wake of a bad address: %d %v", n, err)
	}
	if _, err := m.Wake(mem, 0x1000, false, 1, FUTEX_BITSET_MATCH_ANY); err != unix.EFAULT {
		t.Errorf("shared wake of a bad address: %v", err)
	}
}

func TestWaitWake(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	task := newTask()
	c := async(func() error { return m.Wait(task, mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
	waitQueued(t, m, mem, wordA, true, 1)
	pending(t, c)
	// A wake of another word, or a shared wake of this one, does not
	// reach it.
	if n, _ := m.Wake(mem, wordB, true, 1, FUTEX_BITSET_MATCH_ANY); n != 0 {
		t.Fatalf("wake of another word woke %d", n)
	}
	if n, _ := m.Wake(mem, wordA, false, 1, FUTEX_BITSET_MATCH_ANY); n != 0 {
		t.Fatalf("shared wake woke a private waiter")
	}
	if n, err := m.Wake(mem, wordA, true, 1, FUTEX_BITSET_MATCH_ANY); n != 1 || err != nil {
		t.Fatalf("wake = %d, %v", n, err)
	}
	if err := result(t, c); err != nil {
		t.Fatalf("woken wait = %v", err)
	}
}

func TestWakeCountsAndOrder(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const n = 6
	var mu sync.Mutex
	var order []int
	cs := make([]<-chan error, n)
	for i := range n {
		cs[i] = async(func() error {
			err := m.Wait(newTask(), mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY, time.Time{})
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			return err
		})
		waitQueued(t, m, mem, wordA, true, i+1)
	}
	// nr_wake 0 still wakes one, as Linux.
	if k, _ := m.Wake(mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY); k != 1 {
		t.Fatalf("wake(0) = %d", k)
	}
	result(t, cs[0])
	if k, _ := m.Wake(mem, wordA, true, 2, FUTEX_BITSET_MATCH_ANY); k != 2 {
		t.Fatalf("wake(2) = %d", k)
	}
	result(t, cs[1])
	result(t, cs[2])
	if k, _ := m.Wake(mem, wordA, true, 100, FUTEX_BITSET_MATCH_ANY); k != 3 {
		t.Fatalf("wake(100) = %d", k)
	}
	for _, c := range cs[3:] {
		result(t, c)
	}
	mu.Lock()
	defer mu.Unlock()
	if order[0] != 0 || (order[1] != 1 && order[1] != 2) {
		t.Fatalf("wake order %v is not FIFO", order)
	}
}

func TestBitsets(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	bits := []uint32{1, 2, 3, 4}
	cs := make([]<-chan error, len(bits))
	for i, b := range bits {
		cs[i] = async(func() error { return m.Wait(newTask(), mem, wordA, true, 0, b, time.Time{}) })
		waitQueued(t, m, mem, wordA, true, i+1)
	}
	if k, err := m.Wake(mem, wordA, true, 10, 2); k != 2 || err != nil {
		t.Fatalf("wake bitset 2 = %d, %v", k, err)
	}
	result(t, cs[1])
	result(t, cs[2])
	pending(t, cs[0])
	pending(t, cs[3])
	if k, _ := m.Wake(mem, wordA, true, 10, 8); k != 0 {
		t.Fatalf("wake bitset 8 = %d", k)
	}
	if k, _ := m.Wake(mem, wordA, true, 10, FUTEX_BITSET_MATCH_ANY); k != 2 {
		t.Fatalf("wake any = %d", k)
	}
	result(t, cs[0])
	result(t, cs[3])
}

func TestTimeoutAndInterrupt(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	start := time.Now()
	err := m.Wait(newTask(), mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY, start.Add(30*time.Millisecond))
	if err != unix.ETIMEDOUT {
		t.Fatalf("timed wait = %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Fatalf("timed out after %v", d)
	}
	// A deadline in the past still checks the value first.
	mem.set(t, wordA, 1)
	if err := m.Wait(newTask(), mem, wordA, true, 0, 1, start); err != unix.EAGAIN {
		t.Fatalf("expired wait on another value = %v", err)
	}
	if err := m.Wait(newTask(), mem, wordA, true, 1, 1, start); err != unix.ETIMEDOUT {
		t.Fatalf("expired wait = %v", err)
	}

	task := newTask()
	c := async(func() error { return m.Wait(task, mem, wordA, true, 1, 1, time.Time{}) })
	waitQueued(t, m, mem, wordA, true, 1)
	task.interrupt()
	if err := result(t, c); err != unix.EINTR {
		t.Fatalf("interrupted wait = %v", err)
	}
	waitQueued(t, m, mem, wordA, true, 0)

	// A task interrupted before it waits does not block.
	if err := m.Wait(task, mem, wordA, true, 1, 1, time.Time{}); err != unix.EINTR {
		t.Fatalf("wait of an interrupted task = %v", err)
	}
}

func TestRequeue(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const n = 5
	cs := make([]<-chan error, n)
	for i := range n {
		cs[i] = async(func() error { return m.Wait(newTask(), mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
		waitQueued(t, m, mem, wordA, true, i+1)
	}
	if _, err := m.Requeue(mem, wordA, wordB, true, -1, 1, false, 0); err != unix.EINVAL {
		t.Fatalf("negative nr_wake: %v", err)
	}
	mem.set(t, wordA, 7)
	if _, err := m.Requeue(mem, wordA, wordB, true, 1, 1, true, 6); err != unix.EAGAIN {
		t.Fatalf("cmp mismatch: %v", err)
	}
	if k, err := m.Requeue(mem, wordA, wordB, true, 1, 2, true, 7); k != 3 || err != nil {
		t.Fatalf("cmp_requeue = %d, %v", k, err)
	}
	result(t, cs[0])
	waitQueued(t, m, mem, wordA, true, 2)
	waitQueued(t, m, mem, wordB, true, 2)
	// Requeued waiters wake on the new word, in their old order.
	if k, _ := m.Wake(mem, wordB, true, 1, FUTEX_BITSET_MATCH_ANY); k != 1 {
		t.Fatalf("wake B = %d", k)
	}
	result(t, cs[1])
	pending(t, cs[2])
	// nr_wake 0 and nr_requeue 0 do nothing.
	if k, _ := m.Requeue(mem, wordA, wordB, true, 0, 0, false, 0); k != 0 {
		t.Fatalf("requeue(0, 0) = %d", k)
	}
	// Requeue to the same futex only counts.
	if k, _ := m.Requeue(mem, wordA, wordA, true, 0, 5, false, 0); k != 2 {
		t.Fatalf("requeue to itself = %d", k)
	}
	waitQueued(t, m, mem, wordA, true, 2)
	if k, _ := m.Requeue(mem, wordA, wordB, true, 0, 5, false, 0); k != 2 {
		t.Fatalf("requeue all = %d", k)
	}
	if k, _ := m.Wake(mem, wordB, true, 10, FUTEX_BITSET_MATCH_ANY); k != 3 {
		t.Fatalf("final wake = %d", k)
	}
	for _, c := range cs[2:] {
		if err := result(t, c); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRequeueTimeoutRace requeues waiters while their timeouts fire: each
// returns exactly once, either woken or timed out, and no waiter is left
// queued.
func TestRequeueTimeoutRace(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- m.Wait(newTask(), mem, wordA, true, 0, FUTEX_BITSET_MATCH_ANY, time.Now().Add(time.Duration(i%10)*time.Millisecond))
		}()
	}
	stop := time.Now().Add(50 * time.Millisecond)
	for time.Now().Before(stop) {
		m.Requeue(mem, wordA, wordB, true, 0, 3, false, 0)
		m.Requeue(mem, wordB, wordC, true, 1, 3, false, 0)
		m.Requeue(mem, wordC, wordA, true, 0, 3, false, 0)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil && err != unix.ETIMEDOUT {
			t.Fatalf("wait returned %v", err)
		}
	}
	for _, a := range []uintptr{wordA, wordB, wordC} {
		waitQueued(t, m, mem, a, true, 0)
	}
}

func TestWakeOp(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	enc := func(op, cmp, oparg, cmparg uint32) uint32 {
		return op<<28 | cmp<<24 | (oparg&0xfff)<<12 | cmparg&0xfff
	}
	wait := func(addr uintptr) <-chan error {
		return async(func() error { return m.Wait(newTask(), mem, addr, true, 0, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
	}

	// Unknown op: nothing changes.
	mem.set(t, wordB, 5)
	if _, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(5, 0, 1, 0)); err != unix.ENOSYS {
		t.Fatalf("bad op: %v", err)
	}
	if v := mem.get(t, wordB); v != 5 {
		t.Fatalf("bad op changed the word to %d", v)
	}
	// Unknown comparison: the op is applied, then ENOSYS.
	if _, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(FUTEX_OP_ADD, 6, 1, 0)); err != unix.ENOSYS {
		t.Fatalf("bad cmp: %v", err)
	}
	if v := mem.get(t, wordB); v != 6 {
		t.Fatalf("bad cmp: word = %d, want 6", v)
	}

	mem.set(t, wordA, 0)
	mem.set(t, wordB, 0)
	a, b := wait(wordA), wait(wordB)
	waitQueued(t, m, mem, wordA, true, 1)
	// The second word must be 0 for the waiter; it is 0 before the op.
	waitQueued(t, m, mem, wordB, true, 1)
	// SET 3, and wake the second if the old value was > 0: it was 0.
	if k, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(FUTEX_OP_SET, FUTEX_OP_CMP_GT, 3, 0)); k != 1 || err != nil {
		t.Fatalf("wake_op false = %d, %v", k, err)
	}
	result(t, a)
	pending(t, b)
	// ADD -1 (sign-extended), wake the second if old == 3.
	a = wait(wordA)
	waitQueued(t, m, mem, wordA, true, 1)
	if k, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(FUTEX_OP_ADD, FUTEX_OP_CMP_EQ, 0xfff, 3)); k != 2 || err != nil {
		t.Fatalf("wake_op true = %d, %v", k, err)
	}
	result(t, a)
	result(t, b)
	if v := mem.get(t, wordB); v != 2 {
		t.Fatalf("ADD -1: %d", v)
	}

	cases := []struct {
		op, oparg, start, want uint32
	}{
		{FUTEX_OP_OR, 0x10, 0x3, 0x13},
		{FUTEX_OP_ANDN, 0x1, 0x3, 0x2},
		{FUTEX_OP_XOR, 0x5, 0x3, 0x6},
		{FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, 0, 16},
		{FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 40, 0, 1 << 8}, // shift taken mod 32
	}
	for _, c := range cases {
		mem.set(t, wordB, c.start)
		if _, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(c.op, FUTEX_OP_CMP_EQ, c.oparg, 0)); err != nil {
			t.Fatalf("op %d: %v", c.op, err)
		}
		if v := mem.get(t, wordB); v != c.want {
			t.Errorf("op %#x arg %#x on %#x = %#x, want %#x", c.op, c.oparg, c.start, v, c.want)
		}
	}
	// Comparisons are signed, against a sign-extended 12-bit argument.
	cmps := []struct {
		cmp, arg, old uint32
		want          bool
	}{
		{FUTEX_OP_CMP_EQ, 0xfff, 0xffffffff, true},
		{FUTEX_OP_CMP_NE, 1, 1, false},
		{FUTEX_OP_CMP_LT, 0, 0xffffffff, true},
		{FUTEX_OP_CMP_LE, 0xffe, 0xffffffff, false},
		{FUTEX_OP_CMP_GT, 0x800, 0, true},
		{FUTEX_OP_CMP_GE, 5, 5, true},
	}
	for _, c := range cmps {
		// A waiter on wordB sees the comparison: OR 0 leaves the word.
		mem.set(t, wordB, c.old)
		b := async(func() error { return m.Wait(newTask(), mem, wordB, true, c.old, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
		waitQueued(t, m, mem, wordB, true, 1)
		k, err := m.WakeOp(mem, wordA, wordB, true, 1, 1, enc(FUTEX_OP_OR, c.cmp, 0, c.arg))
		if err != nil {
			t.Fatal(err)
		}
		if (k == 1) != c.want {
			t.Errorf("cmp %d arg %#x old %#x: woke %d, want cond %v", c.cmp, c.arg, c.old, k, c.want)
		}
		if k == 0 {
			m.Wake(mem, wordB, true, 1, FUTEX_BITSET_MATCH_ANY)
		}
		result(t, b)
	}
}

func TestSharedKeysAcrossSpaces(t *testing.T) {
	m := NewManager()
	mem1 := newFakeMem(16)
	mem2 := mem1.share(0x50000)
	c := async(func() error { return m.Wait(newTask(), mem1, wordB, false, 0, FUTEX_BITSET_MATCH_ANY, time.Time{}) })
	waitQueued(t, m, mem1, wordB, false, 1)
	// A private wake from the other space does not meet it.
	if k, _ := m.Wake(mem2, 0x50004, true, 1, FUTEX_BITSET_MATCH_ANY); k != 0 {
		t.Fatalf("private wake across spaces woke %d", k)
	}
	if k, _ := m.Wake(mem2, 0x50004, false, 1, FUTEX_BITSET_MATCH_ANY); k != 1 {
		t.Fatalf("shared wake across spaces woke %d", k)
	}
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
}

func TestWaitV(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	vs := []WaitVEntry{{Addr: wordA, Private: true}, {Addr: wordB, Private: true}, {Addr: wordC}}
	mem.set(t, wordC, 9)
	if _, err := m.WaitV(newTask(), mem, vs, time.Time{}); err != unix.EAGAIN {
		t.Fatalf("mismatch: %v", err)
	}
	for _, a := range []uintptr{wordA, wordB} {
		waitQueued(t, m, mem, a, true, 0)
	}
	vs[2].Val = 9
	bad := append([]WaitVEntry{}, vs...)
	bad[1].Addr = wordB + 2
	if _, err := m.WaitV(newTask(), mem, bad, time.Time{}); err != unix.EINVAL {
		t.Fatalf("unaligned entry: %v", err)
	}
	if _, err := m.WaitV(newTask(), mem, vs, time.Now().Add(10*time.Millisecond)); err != unix.ETIMEDOUT {
		t.Fatalf("timeout: %v", err)
	}
	idx := make(chan int, 1)
	c := async(func() error {
		i, err := m.WaitV(newTask(), mem, vs, time.Time{})
		idx <- i
		return err
	})
	waitQueued(t, m, mem, wordB, true, 1)
	waitQueued(t, m, mem, wordC, false, 1)
	if k, _ := m.Wake(mem, wordC, false, 1, FUTEX_BITSET_MATCH_ANY); k != 1 {
		t.Fatalf("wake = %d", k)
	}
	if err := result(t, c); err != nil {
		t.Fatal(err)
	}
	if i := <-idx; i != 2 {
		t.Fatalf("woken index %d, want 2", i)
	}
	for _, a := range []uintptr{wordA, wordB} {
		waitQueued(t, m, mem, a, true, 0)
	}
	task := newTask()
	c = async(func() error { _, err := m.WaitV(task, mem, vs, time.Time{}); return err })
	waitQueued(t, m, mem, wordA, true, 1)
	waitQueued(t, m, mem, wordC, false, 1)
	task.interrupt()
	if err := result(t, c); err != unix.EINTR {
		t.Fatalf("interrupted waitv = %v", err)
	}
}

// TestMutexStress runs a futex-based mutex (Drepper's three-state lock)
// on many goroutines: a lost wake-up hangs it, a broken exclusion loses
// increments.
func TestMutexStress(t *testing.T) {
	m := NewManager()
	mem := newFakeMem(16)
	lock := func() {
		c, _ := mem.CompareAndSwapUint32(wordA, 0, 1)
		if c == 0 {
			return
		}
		if c != 2 {
			c, _ = mem.SwapUint32(wordA, 2)
		}
		for c != 0 {
			m.Wait(newTask(), mem, wordA, true, 2, FUTEX_BITSET_MATCH_ANY, time.Time{})
			c, _ = mem.SwapUint32(wordA, 2)
		}
	}
	unlock := func() {
		if old, _ := mem.SwapUint32(wordA, 0); old == 2 {
			m.Wake(mem, wordA, true, 1, FUTEX_BITSET_MATCH_ANY)
		}
	}
	const workers, iters = 8, 2000
	counter := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range iters {
				lock()
				counter++
				runtime.Gosched()
				unlock()
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("mutex stress hung (lost wake-up)")
	}
	if counter != workers*iters {
		t.Fatalf("counter = %d, want %d", counter, workers*iters)
	}
}
