package mm

import (
	"errors"
	"math/rand"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// TestChaos runs every operation concurrently from several goroutines
// (threads sharing the address space, and a forking one) on one arena.
// Results vary with the interleaving; what must hold is that nothing
// panics or deadlocks, every error is one Linux could give, the
// invariants hold at the end and no frame leaks.
func TestChaos(t *testing.T) {
	e := newEnv(t)
	m := e.newMM()
	const base = uintptr(0x40000000)
	const arena = 64
	iters := 3000
	if testing.Short() {
		iters = 300
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewSource(int64(g)))
			for range iters {
				addr := base + uintptr(r.Intn(arena))*pageSize
				length := uintptr(r.Intn(8)+1) * pageSize
				prot := []int{unix.PROT_NONE, unix.PROT_READ, rw}[r.Intn(3)]
				var err error
				switch r.Intn(10) {
				case 0:
					_, err = m.MMap(fixedAnon(addr, length, prot))
				case 1:
					err = m.MUnmap(addr, length)
				case 2:
					err = m.MProtect(addr, length, prot)
				case 3:
					_, err = m.MRemap(addr, length, length, unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED, base+uintptr(r.Intn(arena))*pageSize)
				case 4:
					err = m.MAdvise(addr, length, []int{unix.MADV_DONTNEED, unix.MADV_REMOVE}[r.Intn(2)])
				case 5:
					_, err = m.CopyOut(addr, make([]byte, r.Intn(3*pageSize)))
				case 6:
					_, err = m.CopyIn(addr, make([]byte, r.Intn(3*pageSize)))
				case 7, 8:
					err = m.HandleFault(addr+uintptr(r.Intn(pageSize)), int32(unix.SIGSEGV), []int32{SEGV_MAPERR, SEGV_ACCERR}[r.Intn(2)])
				case 9:
					_, err = m.MMap(MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: unix.MAP_SHARED | unix.MAP_ANONYMOUS | unix.MAP_FIXED})
				}
				var fe *FaultError
				var errno unix.Errno
				if err != nil && !errors.As(err, &fe) && !errors.As(err, &errno) {
					t.Errorf("unexpected error %v", err)
					return
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range iters / 30 {
			c, err := m.Fork()
			if err != nil {
				t.Error(err)
				return
			}
			c.CopyOut(base, make([]byte, 4*pageSize))
			c.Release()
		}
	}()
	wg.Wait()
	checkConsistent(t, m)
	m.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}
