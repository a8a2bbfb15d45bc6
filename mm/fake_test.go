package mm

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// fakePlatform hands out fakeAddressSpaces that record what mm maps.
type fakePlatform struct {
	max uintptr

	mu     sync.Mutex
	spaces []*fakeAS
}

func (p *fakePlatform) Name() string            { return "fake" }
func (p *fakePlatform) MaxUserAddress() uintptr { return p.max }
func (p *fakePlatform) NewContext() (platform.Context, error) {
	return nil, errors.New("fake platform has no contexts")
}

func (p *fakePlatform) NewAddressSpace() (platform.AddressSpace, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	as := &fakeAS{pages: make(map[uintptr]fakeMapping)}
	p.spaces = append(p.spaces, as)
	return as, nil
}

type fakeMapping struct {
	off  uint64
	prot int
}

// fakeAS is a platform.AddressSpace that records page mappings.
type fakeAS struct {
	mu         sync.Mutex
	pages      map[uintptr]fakeMapping
	mapCalls   int
	unmapCalls int
	released   bool
	failMap    error
	failOnce   error // returned by the next MapFile only
}

func (as *fakeAS) MapFile(addr uintptr, off uint64, length uintptr, prot int) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		panic("MapFile after Release")
	}
	if addr%pageSize != 0 || off%pageSize != 0 || length%pageSize != 0 || length == 0 {
		panic(fmt.Sprintf("MapFile(%#x, %#x, %#x): unaligned", addr, off, length))
	}
	if prot == 0 {
		panic("MapFile with PROT_NONE")
	}
	if as.failMap != nil {
		return as.failMap
	}
	if err := as.failOnce; err != nil {
		as.failOnce = nil
		return err
	}
	as.mapCalls++
	for i := uintptr(0); i < length; i += pageSize {
		as.pages[addr+i] = fakeMapping{off: off + uint64(i), prot: prot}
	}
	return nil
}

func (as *fakeAS) Unmap(addr, length uintptr) error {
	as.mu.Lock()
	defer as.mu.Unlock()
	if as.released {
		panic("Unmap after Release")
	}
	if addr%pageSize != 0 || length%pageSize != 0 {
		panic("Unmap: unaligned")
	}
	as.unmapCalls++
	if length/pageSize > uintptr(len(as.pages)) {
		for a := range as.pages {
			if a >= addr && a-addr < length {
				delete(as.pages, a)
			}
		}
		return nil
	}
	for i := uintptr(0); i < length; i += pageSize {
		delete(as.pages, addr+i)
	}
	return nil
}

func (as *fakeAS) Release() {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.released = true
	as.pages = nil
}

func (as *fakeAS) lookup(page uintptr) (fakeMapping, bool) {
	as.mu.Lock()
	defer as.mu.Unlock()
	mp, ok := as.pages[page]
	return mp, ok
}

func (as *fakeAS) calls() (int, int) {
	as.mu.Lock()
	defer as.mu.Unlock()
	return as.mapCalls, as.unmapCalls
}

const testMaxAddr = uintptr(1<<47 - pageSize)

type env struct {
	t  *testing.T
	mf *MemoryFile
	p  *fakePlatform
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvSize(t, 1<<30)
}

func newEnvSize(t *testing.T, size uint64) *env {
	t.Helper()
	mf, err := NewMemoryFileSize(size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mf.Release)
	return &env{t: t, mf: mf, p: &fakePlatform{max: testMaxAddr}}
}

func (e *env) newMM() *MemoryManager {
	e.t.Helper()
	m, err := NewMemoryManager(e.mf, e.p)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func fas(m *MemoryManager) *fakeAS { return m.AddressSpace().(*fakeAS) }

type accessKind int

const (
	accRead accessKind = iota
	accWrite
	accExec
)

// appAccess simulates the application touching one page the way the CPU
// would through the fake address space: faults go to HandleFault until the
// access succeeds or a signal is due. It returns the frame offset touched.
func appAccess(m *MemoryManager, addr uintptr, kind accessKind) (uint64, error) {
	as := fas(m)
	page := pageDown(addr)
	for range 100 {
		mp, ok := as.lookup(page)
		var code int32
		switch {
		case !ok:
			code = SEGV_MAPERR
		case kind == accWrite && mp.prot&unix.PROT_WRITE == 0,
			kind == accExec && mp.prot&unix.PROT_EXEC == 0:
			code = SEGV_ACCERR
		default:
			return mp.off + uint64(addr-page), nil
		}
		if err := m.HandleFault(addr, int32(unix.SIGSEGV), code); err != nil {
			return 0, err
		}
	}
	return 0, errors.New("access does not make progress")
}

// appRead reads n bytes as the application would.
func appRead(m *MemoryManager, addr uintptr, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for len(out) < n {
		a := addr + uintptr(len(out))
		off, err := appAccess(m, a, accRead)
		if err != nil {
			return out, err
		}
		chunk := min(pageSize-int(a&pageMask), n-len(out))
		out = append(out, m.mf.bytes(off, uint64(chunk))...)
	}
	return out, nil
}

// appWrite writes b as the application would.
func appWrite(m *MemoryManager, addr uintptr, b []byte) error {
	done := 0
	for done < len(b) {
		a := addr + uintptr(done)
		off, err := appAccess(m, a, accWrite)
		if err != nil {
			return err
		}
		chunk := min(pageSize-int(a&pageMask), len(b)-done)
		copy(m.mf.bytes(off, uint64(chunk)), b[done:done+chunk])
		done += chunk
	}
	return nil
}

func wantFault(t *testing.T, err error, signo int32, code int32) {
	t.Helper()
	var fe *FaultError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v, want fault signal %d code %d", err, signo, code)
	}
	if fe.Signo != signo || fe.Code != code {
		t.Fatalf("got signal %d code %d, want %d code %d", fe.Signo, fe.Code, signo, code)
	}
}

func mustMMap(t *testing.T, m *MemoryManager, o MMapOpts) uintptr {
	t.Helper()
	addr, err := m.MMap(o)
	if err != nil {
		t.Fatalf("MMap(%+v): %v", o, err)
	}
	return addr
}

func anon(length uintptr, prot int) MMapOpts {
	return MMapOpts{Length: length, Prot: prot, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS}
}

func fixedAnon(addr, length uintptr, prot int) MMapOpts {
	return MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_PRIVATE | unix.MAP_ANONYMOUS | unix.MAP_FIXED}
}

const rw = unix.PROT_READ | unix.PROT_WRITE

// checkConsistent verifies mm's internal invariants: sorted VMAs, every
// pte inside a VMA, platform mappings matching ptes.
func checkConsistent(t *testing.T, m *MemoryManager) {
	t.Helper()
	m.mu.RLock()
	defer m.mu.RUnlock()
	if err := m.vmas.checkInvariants(); err != nil {
		t.Fatalf("VMA invariants: %v: %v", err, m.VMAs())
	}
	m.pt.forRange(0, ^uintptr(0)&^pageMask, func(addr uintptr, p *pte) bool {
		v := m.vmas.find(addr)
		if v == nil {
			t.Fatalf("pte at %#x outside any VMA", addr)
		}
		mp, ok := fas(m).lookup(addr)
		if ok != p.mapped {
			t.Fatalf("page %#x: platform mapped=%v, pte mapped=%v", addr, ok, p.mapped)
		}
		if ok && (mp.off != p.frame || mp.prot != int(p.hostProt)) {
			t.Fatalf("page %#x: platform maps %#x/%d, pte says %#x/%d", addr, mp.off, mp.prot, p.frame, p.hostProt)
		}
		if ok && mp.prot&^v.prot != 0 {
			t.Fatalf("page %#x mapped with %d beyond VMA prot %d", addr, mp.prot, v.prot)
		}
		return true
	})
	as := fas(m)
	as.mu.Lock()
	defer as.mu.Unlock()
	for a := range as.pages {
		if m.pt.get(a) == nil {
			t.Fatalf("platform maps %#x without a pte", a)
		}
	}
}
