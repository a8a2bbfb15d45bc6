package mm

import (
	"math/rand"
	"testing"

	"golang.org/x/sys/unix"
)

// TestManyVMAs splits one mapping into thousands of VMAs (single-page
// unmaps and protection changes in random order, as stress-ng's mmap
// stressor does) and checks the set against a per-page model after each
// step: which pages are mapped and with what protection, and that the set
// merges back into one VMA when the holes are filled.
func TestManyVMAs(t *testing.T) {
	e := newEnvSize(t, 8192*pageSize)
	m := e.newMM()
	const pages = 3000
	base := mustMMap(t, m, anon(pages*pageSize, rw))
	prot := make([]int, pages) // -1: unmapped
	for i := range prot {
		prot[i] = rw
	}
	rng := rand.New(rand.NewSource(1))
	check := func(step int) {
		t.Helper()
		if err := m.vmas.checkInvariants(); err != nil {
			t.Fatalf("step %d: VMA invariants: %v", step, err)
		}
		for i := 0; i < pages; i += 1 + rng.Intn(7) {
			v := m.vmas.find(base + uintptr(i)*pageSize)
			switch {
			case prot[i] < 0 && v != nil:
				t.Fatalf("step %d: page %d unmapped but in VMA [%#x, %#x)", step, i, v.start, v.end)
			case prot[i] >= 0 && v == nil:
				t.Fatalf("step %d: page %d mapped but in no VMA", step, i)
			case prot[i] >= 0 && v.prot != prot[i]:
				t.Fatalf("step %d: page %d prot %d, want %d", step, i, v.prot, prot[i])
			}
		}
	}
	for step := 0; step < 4000; step++ {
		i := rng.Intn(pages)
		addr := base + uintptr(i)*pageSize
		switch rng.Intn(3) {
		case 0, 1:
			if err := m.MUnmap(addr, pageSize); err != nil {
				t.Fatal(err)
			}
			prot[i] = -1
		case 2:
			if prot[i] < 0 {
				continue
			}
			p := []int{unix.PROT_READ, rw}[rng.Intn(2)]
			if err := m.MProtect(addr, pageSize, p); err != nil {
				t.Fatal(err)
			}
			prot[i] = p
		}
		if step%500 == 0 {
			check(step)
		}
	}
	check(-1)
	if n := m.vmas.len(); n < 500 {
		t.Fatalf("only %d VMAs: the test does not exercise many", n)
	}
	// Fill every hole and give every page the same protection: one VMA.
	for i := range prot {
		addr := base + uintptr(i)*pageSize
		if prot[i] < 0 {
			mustMMap(t, m, fixedAnon(addr, pageSize, rw))
		} else if prot[i] != rw {
			if err := m.MProtect(addr, pageSize, rw); err != nil {
				t.Fatal(err)
			}
		}
		prot[i] = rw
	}
	check(-2)
	if n := m.vmas.len(); n != 1 {
		t.Fatalf("%d VMAs after filling the holes, want 1", n)
	}
	checkConsistent(t, m)
}

// BenchmarkUnmapPages measures unmapping single pages out of a large
// mapping in scattered order, the platform's own cost excluded: the cost
// per unmap must not grow with the number of VMAs.
func BenchmarkUnmapPages(b *testing.B) {
	mf, err := NewMemoryFileSize(1 << 30)
	if err != nil {
		b.Fatal(err)
	}
	defer mf.Release()
	m, err := NewMemoryManager(mf, &fakePlatform{max: testMaxAddr})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Release()
	const pages = 1 << 16
	var base uintptr
	for i := 0; i < b.N; i++ {
		k := i % pages
		if k == 0 {
			b.StopTimer()
			if base != 0 {
				m.MUnmap(base, pages*pageSize)
			}
			base, err = m.MMap(anon(pages*pageSize, rw))
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		if err := m.MUnmap(base+uintptr((k*7919)%pages)*pageSize, pageSize); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUnmapPageByPage checks that unmapping a resident region one page at a
// time costs one platform unmap per fault-around window, not per page, and
// that the pages left mapped keep their contents (they fault back in) while
// the unmapped ones fault with SIGSEGV.
func TestUnmapPageByPage(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	const pages = 4 * faultAroundPages
	base := mustMMap(t, m, fixedAnon(0x40000000, pages*pageSize, rw))
	for i := uintptr(0); i < pages; i++ {
		if err := appWrite(m, base+i*pageSize, []byte{byte(i + 1)}); err != nil {
			t.Fatal(err)
		}
	}
	_, before := fas(m).calls()
	// Unmap every other page: the others must survive.
	for i := uintptr(0); i < pages; i += 2 {
		if err := m.MUnmap(base+i*pageSize, pageSize); err != nil {
			t.Fatal(err)
		}
		checkConsistent(t, m)
	}
	if _, after := fas(m).calls(); after-before != pages/faultAroundPages {
		t.Errorf("%d platform unmaps for %d single-page munmaps, want %d", after-before, pages/2, pages/faultAroundPages)
	}
	for i := uintptr(0); i < pages; i++ {
		got, err := appRead(m, base+i*pageSize, 1)
		if i%2 == 0 {
			wantFault(t, err, int32(unix.SIGSEGV), SEGV_MAPERR)
			continue
		}
		if err != nil || got[0] != byte(i+1) {
			t.Fatalf("page %d reads %v, %v; want %d", i, got, err, i+1)
		}
	}
	checkConsistent(t, m)
}

// TestCommitAccounting runs random mapping operations and checks after
// each that the committed count equals the accounted VMAs' lengths, and
// that it returns to zero when the address spaces are released.
func TestCommitAccounting(t *testing.T) {
	e := newEnvSize(t, 4096*pageSize)
	m := e.newMM()
	const base = uintptr(0x40000000)
	rng := rand.New(rand.NewSource(2))
	prots := []int{unix.PROT_NONE, unix.PROT_READ, rw}
	var child *MemoryManager
	seen := false
	for step := 0; step < 3000; step++ {
		addr := base + uintptr(rng.Intn(64))*pageSize
		n := uintptr(1+rng.Intn(8)) * pageSize
		switch rng.Intn(6) {
		case 0:
			o := fixedAnon(addr, n, prots[rng.Intn(3)])
			if rng.Intn(3) == 0 {
				o.Flags |= unix.MAP_NORESERVE
			}
			mustMMap(t, m, o)
		case 1:
			m.MUnmap(addr, n)
		case 2:
			m.MProtect(addr, n, prots[rng.Intn(3)])
		case 3:
			m.MRemap(addr, n, n+pageSize*uintptr(rng.Intn(3)), unix.MREMAP_MAYMOVE, 0)
		case 4:
			if v := m.vmas.find(addr); v != nil {
				appWrite(m, addr, []byte{1})
			}
		case 5:
			if child != nil {
				child.Release()
			}
			var err error
			if child, err = m.Fork(); err != nil {
				t.Fatal(err)
			}
		}
		for _, mm := range []*MemoryManager{m, child} {
			if mm == nil {
				continue
			}
			var sum uint64
			for v := mm.vmas.head; v != nil; v = v.next {
				if v.accounted {
					sum += uint64(v.length())
				}
			}
			if sum != mm.vmas.committed {
				t.Fatalf("step %d: committed %d, accounted VMAs %d", step, mm.vmas.committed, sum)
			}
			seen = seen || sum > 0
		}
	}
	if !seen {
		t.Fatal("nothing was ever committed")
	}
	if child != nil {
		child.Release()
	}
	m.Release()
	if c := e.mf.Committed(); c != 0 {
		t.Fatalf("committed %d after every address space was released", c)
	}
}
