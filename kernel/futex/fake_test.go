package futex

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
)

// fakeMem is a Memory of nwords 32-bit words at base. Two fakeMems made
// by share see the same words, as two processes mapping one shared object.
type fakeMem struct {
	base  uintptr
	words []uint32
	obj   any // the object of shared keys
}

const fakeBase = 0x10000

func newFakeMem(nwords int) *fakeMem {
	f := &fakeMem{base: fakeBase, words: make([]uint32, nwords)}
	f.obj = f
	return f
}

// share returns another address space mapping f's words at base.
func (f *fakeMem) share(base uintptr) *fakeMem {
	return &fakeMem{base: base, words: f.words, obj: f.obj}
}

func (f *fakeMem) word(addr uintptr) (*uint32, error) {
	if addr&3 != 0 {
		return nil, unix.EINVAL
	}
	if addr < f.base || addr >= f.base+uintptr(4*len(f.words)) {
		return nil, unix.EFAULT
	}
	return &f.words[(addr-f.base)/4], nil
}

func (f *fakeMem) LoadUint32(addr uintptr) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	return atomic.LoadUint32(p), nil
}

func (f *fakeMem) CompareAndSwapUint32(addr uintptr, old, new uint32) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	for {
		if atomic.CompareAndSwapUint32(p, old, new) {
			return old, nil
		}
		if v := atomic.LoadUint32(p); v != old {
			return v, nil
		}
	}
}

func (f *fakeMem) SwapUint32(addr uintptr, new uint32) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	return atomic.SwapUint32(p, new), nil
}

func (f *fakeMem) AtomicOp32(addr uintptr, fn func(uint32) uint32) (uint32, error) {
	p, err := f.word(addr)
	if err != nil {
		return 0, err
	}
	for {
		old := atomic.LoadUint32(p)
		if atomic.CompareAndSwapUint32(p, old, fn(old)) {
			return old, nil
		}
	}
}

func (f *fakeMem) FutexKey(addr uintptr, private bool) (mm.FutexKey, error) {
	if addr&3 != 0 {
		return mm.FutexKey{}, unix.EINVAL
	}
	if private {
		return mm.FutexKey{Object: f, Offset: uint64(addr)}, nil
	}
	if _, err := f.word(addr); err != nil {
		return mm.FutexKey{}, err
	}
	return mm.FutexKey{Object: f.obj, Offset: uint64(addr - f.base), Shared: true}, nil
}

func (f *fakeMem) CopyIn(addr uintptr, dst []byte) (int, error) {
	for i := range dst {
		a := addr + uintptr(i)
		p, err := f.word(a &^ 3)
		if err != nil {
			return i, unix.EFAULT
		}
		dst[i] = byte(atomic.LoadUint32(p) >> (8 * (a & 3)))
	}
	return len(dst), nil
}

// set stores v at addr.
func (f *fakeMem) set(t *testing.T, addr uintptr, v uint32) {
	t.Helper()
	if _, err := f.SwapUint32(addr, v); err != nil {
		t.Fatal(err)
	}
}

// get loads addr.
func (f *fakeMem) get(t *testing.T, addr uintptr) uint32 {
	t.Helper()
	v, err := f.LoadUint32(addr)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// putU64 stores a little-endian 64-bit value at addr (8-aligned).
func (f *fakeMem) putU64(t *testing.T, addr uintptr, v uint64) {
	t.Helper()
	f.set(t, addr, uint32(v))
	f.set(t, addr+4, uint32(v>>32))
}

// fakeTask is a Waiter that tests interrupt by hand. It sleeps in a
// platform.Parker as kernel.Task does, so that a wake-up that sends on
// the waiter's channel without calling Wake hangs the test.
type fakeTask struct {
	intr   atomic.Bool
	parker platform.Parker
}

func newTask() *fakeTask { return &fakeTask{} }

func (f *fakeTask) Wake() { f.parker.Unpark() }

func (f *fakeTask) Park(ch <-chan struct{}) error {
	return f.ParkTimeout(ch, time.Time{})
}

// ParkTimeout checks ch and parks, as kernel.Task's ParkTimeout; a zero
// deadline waits forever.
func (f *fakeTask) ParkTimeout(ch <-chan struct{}, deadline time.Time) error {
	for {
		if f.intr.Load() {
			return unix.Errno(512) // ERESTARTSYS
		}
		select {
		case <-ch:
			return nil
		default:
		}
		timeout := time.Duration(-1)
		if !deadline.IsZero() {
			if timeout = time.Until(deadline); timeout <= 0 {
				return unix.ETIMEDOUT
			}
		}
		f.parker.Park(timeout)
	}
}

func (f *fakeTask) interrupt() {
	f.intr.Store(true)
	f.parker.Unpark()
}

// queued returns the number of waiters (of any kind) queued on key.
func (m *Manager) queued(key mm.FutexKey) int {
	b := m.bucketOf(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	if q := b.lookupLocked(key); q != nil {
		for w := q.head; w != nil; w = w.next {
			n++
		}
	}
	return n
}

// waitQueued waits until n waiters are queued on addr's key.
func waitQueued(t *testing.T, m *Manager, mem *fakeMem, addr uintptr, private bool, n int) {
	t.Helper()
	key, err := mem.FutexKey(addr, private)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for m.queued(key) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters on %#x, want %d", m.queued(key), addr, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// async runs fn on a goroutine and returns a channel with its error.
func async(fn func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- fn() }()
	return c
}

// result waits for an async call.
func result(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("blocked call did not return")
	}
	return nil
}

// pending asserts that an async call has not returned.
func pending(t *testing.T, c <-chan error) {
	t.Helper()
	select {
	case err := <-c:
		t.Fatalf("call returned early: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
}

// alwaysAlive and neverAlive are TaskLookup functions; a TID is its own
// identity.
func alwaysAlive(tid int32) (any, int32) { return tid, tid }
func neverAlive(int32) (any, int32)      { return nil, 0 }

// aliveSet is a TaskLookup over a mutable set of TIDs.
type aliveSet struct {
	mu   sync.Mutex
	tids map[int32]bool
}

func newAliveSet(tids ...int32) *aliveSet {
	s := &aliveSet{tids: make(map[int32]bool)}
	for _, t := range tids {
		s.tids[t] = true
	}
	return s
}

func (s *aliveSet) alive(tid int32) (any, int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tids[tid] {
		return tid, tid
	}
	return nil, 0
}

func (s *aliveSet) kill(tid int32) {
	s.mu.Lock()
	delete(s.tids, tid)
	s.mu.Unlock()
}
