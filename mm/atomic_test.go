package mm

import (
	"encoding/binary"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func TestAtomicWordOps(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(2*pageSize, rw))

	if v, err := m.LoadUint32(addr + 8); err != nil || v != 0 {
		t.Fatalf("LoadUint32 of fresh page = %d, %v", v, err)
	}
	if prev, err := m.CompareAndSwapUint32(addr+8, 0, 7); err != nil || prev != 0 {
		t.Fatalf("CAS(0->7) = %d, %v", prev, err)
	}
	if prev, err := m.CompareAndSwapUint32(addr+8, 0, 9); err != nil || prev != 7 {
		t.Fatalf("failing CAS = %d, %v; want 7", prev, err)
	}
	if old, err := m.SwapUint32(addr+8, 11); err != nil || old != 7 {
		t.Fatalf("Swap = %d, %v", old, err)
	}
	if old, err := m.AtomicOp32(addr+8, func(v uint32) uint32 { return v*2 + 1 }); err != nil || old != 11 {
		t.Fatalf("AtomicOp32 = %d, %v", old, err)
	}
	var b [4]byte
	if _, err := m.CopyIn(addr+8, b[:]); err != nil || binary.LittleEndian.Uint32(b[:]) != 23 {
		t.Fatalf("CopyIn after ops = %v, %v", b, err)
	}
	// The last word of the mapping.
	if _, err := m.SwapUint32(addr+2*pageSize-4, 1); err != nil {
		t.Fatalf("last word: %v", err)
	}
}

func TestAtomicErrors(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(pageSize, rw))
	ro := mustMMap(t, m, anon(pageSize, unix.PROT_READ))
	none := mustMMap(t, m, anon(pageSize, unix.PROT_NONE))

	if _, err := m.LoadUint32(addr + 2); err != unix.EINVAL {
		t.Errorf("unaligned load: %v", err)
	}
	if _, err := m.CompareAndSwapUint32(addr+1, 0, 1); err != unix.EINVAL {
		t.Errorf("unaligned CAS: %v", err)
	}
	if _, err := m.LoadUint32(0x1000); err != unix.EFAULT {
		t.Errorf("unmapped load: %v", err)
	}
	if v, err := m.LoadUint32(ro); err != nil || v != 0 {
		t.Errorf("read-only load: %d, %v", v, err)
	}
	if _, err := m.SwapUint32(ro, 1); err != unix.EFAULT {
		t.Errorf("read-only swap: %v", err)
	}
	if _, err := m.LoadUint32(none); err != unix.EFAULT {
		t.Errorf("PROT_NONE load: %v", err)
	}
	if _, err := m.AtomicOp32(none, func(v uint32) uint32 { return v }); err != unix.EFAULT {
		t.Errorf("PROT_NONE op: %v", err)
	}
	if _, err := m.FutexKey(addr+2, true); err != unix.EINVAL {
		t.Errorf("unaligned key: %v", err)
	}
	if _, err := m.FutexKey(^uintptr(3), true); err != unix.EFAULT {
		t.Errorf("key past the address space: %v", err)
	}
	if _, err := m.FutexKey(0x1000, true); err != nil {
		t.Errorf("private key of unmapped memory: %v (Linux computes it without the page)", err)
	}
	if _, err := m.FutexKey(0x1000, false); err != unix.EFAULT {
		t.Errorf("shared key of unmapped memory: %v", err)
	}
	if _, err := m.FutexKey(none, false); err != unix.EFAULT {
		t.Errorf("shared key of PROT_NONE memory: %v", err)
	}
}

func TestAtomicBreaksCOW(t *testing.T) {
	e := newEnv(t)
	parent := e.newMM()
	defer parent.Release()
	addr := mustMMap(t, parent, anon(pageSize, rw))
	if _, err := parent.SwapUint32(addr, 5); err != nil {
		t.Fatal(err)
	}
	child, err := parent.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	if v, err := child.LoadUint32(addr); err != nil || v != 5 {
		t.Fatalf("child load = %d, %v", v, err)
	}
	if _, err := child.CompareAndSwapUint32(addr, 5, 6); err != nil {
		t.Fatal(err)
	}
	if v, _ := parent.LoadUint32(addr); v != 5 {
		t.Fatalf("parent sees the child's write: %d", v)
	}
	if v, _ := child.LoadUint32(addr); v != 6 {
		t.Fatalf("child lost its write: %d", v)
	}
	checkConsistent(t, parent)
	checkConsistent(t, child)
}

func TestFutexKeys(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	priv := mustMMap(t, m, anon(pageSize, rw))
	shared := mustMMap(t, m, MMapOpts{Length: 2 * pageSize, Prot: rw, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS})

	k1, _ := m.FutexKey(priv+4, true)
	k2, _ := m.FutexKey(priv+4, true)
	k3, _ := m.FutexKey(priv+4, false)
	if k1 != k2 {
		t.Error("private keys of one word differ")
	}
	if k1 == k3 {
		t.Error("private and shared keys of a private mapping agree")
	}

	// A forked child maps the same shared object: the shared keys agree,
	// the private ones do not.
	child, err := m.Fork()
	if err != nil {
		t.Fatal(err)
	}
	defer child.Release()
	ks, err := m.FutexKey(shared+pageSize+8, false)
	if err != nil {
		t.Fatal(err)
	}
	kc, err := child.FutexKey(shared+pageSize+8, false)
	if err != nil {
		t.Fatal(err)
	}
	if ks != kc {
		t.Errorf("shared keys differ across fork: %+v vs %+v", ks, kc)
	}
	if ks.Offset != pageSize+8 {
		t.Errorf("shared key offset = %#x", ks.Offset)
	}
	kpc, _ := child.FutexKey(priv+4, false)
	if kpc == k3 {
		t.Error("shared keys of private mappings agree across fork")
	}
	pp, _ := m.FutexKey(shared+8, true)
	pc, _ := child.FutexKey(shared+8, true)
	if pp == pc {
		t.Error("private keys agree across address spaces")
	}

	// The second half of the object mapped again elsewhere (mremap keeps
	// the object): moving the mapping keeps the keys.
	moved, err := m.MRemap(shared, 2*pageSize, 2*pageSize, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, 0x40000000)
	if err != nil {
		t.Fatal(err)
	}
	km, err := m.FutexKey(moved+pageSize+8, false)
	if err != nil {
		t.Fatal(err)
	}
	if km != kc {
		t.Errorf("key after mremap = %+v, want %+v", km, kc)
	}
}

func TestAtomicConcurrent(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	defer m.Release()
	addr := mustMMap(t, m, anon(64*pageSize, rw))
	const workers, iters = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range iters {
				if _, err := m.AtomicOp32(addr, func(v uint32) uint32 { return v + 1 }); err != nil {
					t.Error(err)
					return
				}
				if w == 0 && i%100 == 0 {
					// Fault other pages concurrently.
					m.ZeroOut(addr+uintptr(1+i/100%63)*pageSize, pageSize)
				}
			}
		}()
	}
	wg.Wait()
	if v, _ := m.LoadUint32(addr); v != workers*iters {
		t.Fatalf("counter = %d, want %d", v, workers*iters)
	}
}
