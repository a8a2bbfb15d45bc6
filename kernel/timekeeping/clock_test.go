package timekeeping

import (
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/arch/vdso"
)

func tscClock(t *testing.T) *Clock {
	t.Helper()
	if !arch.TSCUsable(cpuinfo(t)) {
		t.Skip("the time-stamp counter is not usable here")
	}
	return New(nil, true)
}

func cpuinfo(t *testing.T) []byte {
	// The flags TSCUsable looks for; RDTSC's availability is checked
	// for real.
	return []byte("processor\t: 0\nflags\t\t: fpu tsc constant_tsc nonstop_tsc\n")
}

// monoAt is the 128-bit formula the vDSO computes.
func TestMonoAtMatchesBigArithmetic(t *testing.T) {
	cases := [][5]uint64{
		{1000, 0, 2049638230, 0, 0},
		{1 << 62, 5, 2049638230, 123456789, 1<<32 - 1},
		{^uint64(0) >> 1, 0, 1 << 33, 1 << 40, 7},
		{10, 20, 1 << 32, 99, 0}, // counter behind the base
	}
	for _, c := range cases {
		tsc, base, mult, ns, frac := c[0], c[1], c[2], c[3], c[4]
		got, gotFrac := monoAt(tsc, base, mult, ns, frac)
		d := new(big.Int)
		if tsc > base {
			d.SetUint64(tsc - base)
		}
		p := new(big.Int).Mul(d, new(big.Int).SetUint64(mult))
		p.Add(p, new(big.Int).SetUint64(frac))
		whole := new(big.Int).Rsh(p, vdso.MultShift)
		want := whole.Uint64() + ns
		wantFrac := new(big.Int).And(p, big.NewInt(1<<vdso.MultShift-1)).Uint64()
		if got != want || gotFrac != wantFrac {
			t.Errorf("monoAt%v = %d, %d; want %d, %d", c, got, gotFrac, want, wantFrac)
		}
	}
}

// Readers on several goroutines never see the clock go back, across
// resynchronisations forced as often as possible.
func TestMonotonicAcrossResync(t *testing.T) {
	c := tscClock(t)
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lastMono, lastReal int64
			for i := 0; i < 200000; i++ {
				if i%1000 == 0 {
					c.nextSync.Store(0) // due now
				}
				m, r := c.Now()
				if m < lastMono || r < lastReal {
					errs <- "went back"
					return
				}
				lastMono, lastReal = m, r
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// The clock follows the host's: CLOCK_MONOTONIC within a millisecond of
// the host's time since the clock started, CLOCK_REALTIME of the host's
// realtime clock.
func TestFollowsHost(t *testing.T) {
	c := tscClock(t)
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		c.Monotonic()
		time.Sleep(time.Millisecond)
	}
	m, r := c.Now()
	now := time.Now()
	t.Logf("after %v: CLOCK_MONOTONIC %v from the host's, CLOCK_REALTIME %v", now.Sub(c.boot), time.Duration(m)-now.Sub(c.boot), time.Duration(r-now.UnixNano()))
	if d := time.Duration(m) - now.Sub(c.boot); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("CLOCK_MONOTONIC is %v from the host's", d)
	}
	if d := time.Duration(r - now.UnixNano()); d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("CLOCK_REALTIME is %v from the host's", d)
	}
}

// Without the counter the clock is the host's and the data page tells
// the vDSO to make the system call.
func TestWithoutTSC(t *testing.T) {
	var page [vdso.PageSize / 8]uint64
	page[vdso.WordMode] = vdso.ModeTSC
	c := New(&page, false)
	if page[vdso.WordMode] != vdso.ModeNone {
		t.Errorf("mode %d", page[vdso.WordMode])
	}
	before := time.Now().UnixNano()
	r := c.Realtime()
	if after := time.Now().UnixNano(); r < before || r > after {
		t.Errorf("realtime %d not within [%d, %d]", r, before, after)
	}
	if m := c.Monotonic(); m < 0 || m > int64(time.Since(c.boot)) {
		t.Errorf("monotonic %d", m)
	}
}

// New fills the data page the vDSO reads.
func TestPagePublished(t *testing.T) {
	if !arch.TSCUsable(cpuinfo(t)) {
		t.Skip("the time-stamp counter is not usable here")
	}
	var page [vdso.PageSize / 8]uint64
	New(&page, true)
	if page[vdso.WordMode] != vdso.ModeTSC || page[vdso.WordSeq]&1 != 0 || page[vdso.WordMult] == 0 ||
		page[vdso.WordResHres] != ResHres || page[vdso.WordResCoarse] != ResCoarse {
		t.Errorf("page %v", page[:vdso.Words])
	}
}

// TestSetRealtime: SetRealtime moves CLOCK_REALTIME (and the vDSO's
// offset) to the value set, leaves CLOCK_MONOTONIC alone and calls the
// step hook, with and without the counter.
func TestSetRealtime(t *testing.T) {
	for _, useTSC := range []bool{false, true} {
		if useTSC && !arch.TSCUsable(cpuinfo(t)) {
			continue
		}
		c := New(nil, useTSC)
		steps := 0
		c.OnRealtimeStep(func() { steps++ })
		m0 := c.Monotonic()
		want := time.Now().Add(1000 * time.Hour).UnixNano()
		c.SetRealtime(want)
		mono, real := c.Now()
		if d := real - want; d < 0 || d > int64(time.Second) {
			t.Errorf("tsc=%v: realtime %d after setting %d", useTSC, real, want)
		}
		if mono < m0 || mono-m0 > int64(time.Second) {
			t.Errorf("tsc=%v: monotonic moved from %d to %d", useTSC, m0, mono)
		}
		if steps != 1 {
			t.Errorf("tsc=%v: step hook called %d times, want 1", useTSC, steps)
		}
		if useTSC {
			if off := int64(c.load(vdso.WordRealtimeOff)); off+mono-want > int64(time.Second) || want-(off+mono) > int64(time.Second) {
				t.Errorf("vDSO realtime offset %d does not give %d", off, want)
			}
		}
	}
}
