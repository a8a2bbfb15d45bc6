package mm

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestReallocPattern grows and shrinks many mappings with mremap and
// touches every page after each change, as a program reallocating large
// blocks does. Frames must stay contiguous enough that a fault (or a move)
// costs about one MapFile call, not one per page.
func TestReallocPattern(t *testing.T) {
	e := newEnvSize(t, 4<<30)
	m := e.newMM()
	type chunk struct{ addr, size uintptr }
	ptrs := make([]chunk, 300)
	faults := 0
	for round := 0; round < 8; round++ {
		for i := range ptrs {
			sz, _ := pageRoundUp(uintptr((i*7919+round*104729)%200000) + 17)
			c := &ptrs[i]
			var err error
			if c.addr == 0 {
				c.addr, err = m.MMap(anon(sz, rw))
			} else {
				c.addr, err = m.MRemap(c.addr, c.size, sz, unix.MREMAP_MAYMOVE, 0)
			}
			if err != nil {
				t.Fatal(err)
			}
			c.size = sz
			for p := c.addr; p < c.addr+sz; p += pageSize {
				for k := 0; k < 3; k++ {
					mp, ok := fas(m).lookup(p)
					if ok && mp.prot&unix.PROT_WRITE != 0 {
						break
					}
					faults++
					if err := m.HandleFault(p, int32(unix.SIGSEGV), SEGV_MAPERR); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
	maps, _ := fas(m).calls()
	t.Logf("faults %d, MapFile calls %d, frames in use %d, high-water mark %d", faults, maps, e.mf.FramesInUse(), e.mf.high)
	if float64(maps) > 1.5*float64(faults) {
		t.Errorf("%d MapFile calls for %d faults: frames too scattered", maps, faults)
	}
	if e.mf.high > 4*e.mf.FramesInUse()+maxHolePages {
		t.Errorf("high-water mark %d for %d frames in use", e.mf.high, e.mf.FramesInUse())
	}
	checkConsistent(t, m)
	m.Release()
	if n := e.mf.FramesInUse(); n != 0 {
		t.Fatalf("%d frames leaked", n)
	}
}
