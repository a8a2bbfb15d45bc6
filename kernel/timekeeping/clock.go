package timekeeping

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/arch/vdso"
)

const (
	// maxSlew bounds how much a resynchronisation changes the clock's
	// rate from the measured one (as NTP's 500 ppm).
	maxSlew = 500e-6
	// stepNS is the lag behind the host's CLOCK_MONOTONIC beyond which
	// the clock steps forward instead of slewing (the host was
	// suspended or its counter stopped).
	stepNS = 50 * int64(time.Millisecond)
	// realStepNS is how far the host's realtime clock must move against
	// its monotonic clock before CLOCK_REALTIME steps with it (the host
	// set its time).
	realStepNS = int64(time.Millisecond)
	// firstSync and maxSync bound the time between resynchronisations,
	// which doubles from the first to the last.
	firstSync = 4 * time.Millisecond
	maxSync   = time.Second
	// calibration is how long New measures the counter's rate.
	calibration = 2 * time.Millisecond
	// ResHres and ResCoarse are clock_getres's answers: 1 ns, and one
	// tick at HZ=250 for the _COARSE clocks (as Debian's kernels).
	ResHres   = 1
	ResCoarse = 4000000
)

// Clock is a kernel's clock. Its methods are safe from any goroutine.
type Clock struct {
	// w is the data page, written under its sequence lock; the vDSO
	// maps it read-only.
	w *[vdso.PageSize / 8]uint64
	// tsc: the clock is computed from the counter (ModeTSC in w).
	tsc bool
	// boot is the host's time (with its monotonic reading) when the
	// clock started at 0, and bootTSC the counter then.
	boot    time.Time
	bootTSC uint64

	// nextSync is the counter value from which a reader resynchronises.
	nextSync atomic.Uint64

	// mu serialises resynchronisations, the data page's only writer.
	mu sync.Mutex
	// interval is the time between resynchronisations, in counter
	// ticks. Guarded by mu.
	interval uint64
	// realOff is the host's CLOCK_REALTIME minus kite's CLOCK_MONOTONIC
	// as last published. Guarded by mu.
	realOff int64
	// setOff is what clock_settime inside kite added to the host's
	// CLOCK_REALTIME. Written under mu; read atomically by Now without
	// a counter.
	setOff atomic.Int64
	// hostOff is, without a counter, the host's CLOCK_REALTIME minus
	// its CLOCK_MONOTONIC as last seen, to notice the host's steps.
	hostOff atomic.Int64

	// ntp is adjtimex's state (ntp.go).
	ntp ntpState

	// onStep, set once before the clock is used (OnRealtimeStep), is
	// called when CLOCK_REALTIME changes discontinuously.
	onStep func()
}

// OnRealtimeStep makes f be called (from the goroutine that noticed it,
// with no lock of the clock's held) each time CLOCK_REALTIME steps: the
// host's realtime clock was set, or SetRealtime was called (Linux's
// clock_was_set). It must be called before the clock is shared.
func (c *Clock) OnRealtimeStep(f func()) { c.onStep = f }

// SetRealtime makes CLOCK_REALTIME read ns now (clock_settime inside
// kite; the host's clock is untouched): the offset kite adds to the
// host's realtime clock changes, and the change is published to the vDSO.
func (c *Clock) SetRealtime(ns int64) {
	c.mu.Lock()
	if !c.tsc {
		c.setOff.Store(ns - time.Now().UnixNano())
	} else {
		mono, off, _ := c.read()
		c.setOff.Store(c.setOff.Load() + ns - (mono + off))
		c.publish(c.load(vdso.WordMult), 0)
	}
	c.mu.Unlock()
	if c.onStep != nil {
		c.onStep()
	}
}

// New starts a clock at 0 that publishes into page (the vDSO's data page,
// or nil for one of its own). useTSC says whether the time-stamp counter
// may be used (arch.TSCUsable).
func New(page *[vdso.PageSize / 8]uint64, useTSC bool) *Clock {
	if page == nil {
		page = new([vdso.PageSize / 8]uint64)
	}
	c := &Clock{w: page, tsc: useTSC}
	if !useTSC {
		c.boot = time.Now()
		c.hostOff.Store(c.boot.UnixNano())
		c.store(vdso.WordMode, vdso.ModeNone)
		return c
	}
	// Measure the counter's rate for a moment; resynchronisation
	// refines it.
	tsc0, t0 := sample()
	for time.Since(t0) < calibration {
	}
	tsc1, t1 := sample()
	c.boot, c.bootTSC = t0, tsc0
	c.realOff = t0.UnixNano()
	mult := multOf(int64(t1.Sub(t0)), tsc1-tsc0)
	c.store(vdso.WordSeq, 1)
	c.store(vdso.WordTSCBase, tsc0)
	c.store(vdso.WordMult, mult)
	c.store(vdso.WordMonoNS, 0)
	c.store(vdso.WordMonoFrac, 0)
	c.store(vdso.WordRealtimeOff, uint64(c.realOff))
	c.store(vdso.WordBoottimeOff, 0)
	c.store(vdso.WordTAIOff, 0)
	c.store(vdso.WordRawOff, 0)
	c.store(vdso.WordResHres, ResHres)
	c.store(vdso.WordResCoarse, ResCoarse)
	c.store(vdso.WordMode, vdso.ModeTSC)
	c.store(vdso.WordSeq, 2)
	c.interval = ticksOf(firstSync, mult)
	c.nextSync.Store(tsc1 + c.interval)
	return c
}

func (c *Clock) store(word int, v uint64) { atomic.StoreUint64(&c.w[word], v) }
func (c *Clock) load(word int) uint64     { return atomic.LoadUint64(&c.w[word]) }

// sample reads the counter and the host's time together: the counter
// is the middle of two readings around time.Now, retried a few times if
// something (preemption) came between them.
func sample() (uint64, time.Time) {
	var best uint64
	var bestT time.Time
	bestGap := ^uint64(0)
	for i := 0; i < 5; i++ {
		a := arch.Rdtsc()
		t := time.Now()
		b := arch.Rdtsc()
		if b-a < bestGap {
			bestGap, best, bestT = b-a, a+(b-a)/2, t
		}
	}
	return best, bestT
}

// multOf is the nanoseconds per tick, in units of 2^-MultShift ns, of
// a counter that advanced ticks while ns nanoseconds passed.
func multOf(ns int64, ticks uint64) uint64 {
	if ns <= 0 || ticks == 0 {
		return 1 << vdso.MultShift
	}
	hi, lo := uint64(ns)>>(64-vdso.MultShift), uint64(ns)<<vdso.MultShift
	if hi >= ticks {
		return 1 << vdso.MultShift
	}
	q, _ := bits.Div64(hi, lo, ticks)
	return q
}

// ticksOf converts d into counter ticks at mult.
func ticksOf(d time.Duration, mult uint64) uint64 {
	hi, lo := uint64(d)>>(64-vdso.MultShift), uint64(d)<<vdso.MultShift
	if hi >= mult {
		return ^uint64(0) >> 1
	}
	q, _ := bits.Div64(hi, lo, mult)
	return q
}

// monoAt is the vDSO's formula: CLOCK_MONOTONIC at counter value tsc
// with the parameters base, mult, ns and frac, and the sub-nanosecond
// remainder.
func monoAt(tsc, base, mult, ns, frac uint64) (uint64, uint64) {
	d := tsc - base
	if int64(d) < 0 {
		d = 0
	}
	hi, lo := bits.Mul64(d, mult)
	lo, carry := bits.Add64(lo, frac, 0)
	hi += carry
	whole := hi<<(64-vdso.MultShift) | lo>>vdso.MultShift
	return ns + whole, lo & (1<<vdso.MultShift - 1)
}

// read returns CLOCK_MONOTONIC, the realtime offset and the counter
// value they were computed at, as the vDSO reads them.
func (c *Clock) read() (mono int64, realOff int64, tsc uint64) {
	for {
		seq := c.load(vdso.WordSeq)
		if seq&1 != 0 {
			runtime.Gosched()
			continue
		}
		base, mult := c.load(vdso.WordTSCBase), c.load(vdso.WordMult)
		ns, frac := c.load(vdso.WordMonoNS), c.load(vdso.WordMonoFrac)
		off := int64(c.load(vdso.WordRealtimeOff))
		tsc = arch.Rdtsc()
		if c.load(vdso.WordSeq) != seq {
			continue
		}
		m, _ := monoAt(tsc, base, mult, ns, frac)
		return int64(m), off, tsc
	}
}

// Now returns CLOCK_MONOTONIC (nanoseconds since the clock started) and
// CLOCK_REALTIME (nanoseconds since the epoch) at one instant.
func (c *Clock) Now() (mono, real int64) {
	if !c.tsc {
		t := time.Now()
		mono := int64(t.Sub(c.boot))
		host := t.UnixNano()
		if d := host - mono - c.hostOff.Load(); d > realStepNS || d < -realStepNS {
			// The host's clock was set.
			c.hostOff.Store(host - mono)
			if c.onStep != nil {
				c.onStep()
			}
		}
		return mono, host + c.setOff.Load()
	}
	mono, off, tsc := c.read()
	if tsc >= c.nextSync.Load() {
		if c.sync() && c.onStep != nil {
			c.onStep()
		}
	}
	return mono, mono + off
}

// Monotonic returns CLOCK_MONOTONIC in nanoseconds since the clock
// started.
func (c *Clock) Monotonic() int64 {
	m, _ := c.Now()
	return m
}

// Realtime returns CLOCK_REALTIME in nanoseconds since the epoch.
func (c *Clock) Realtime() int64 {
	_, r := c.Now()
	return r
}

// RealtimeTime returns CLOCK_REALTIME as a time.Time without a monotonic
// reading (for file timestamps).
func (c *Clock) RealtimeTime() time.Time {
	return time.Unix(0, c.Realtime())
}

// HostDeadline converts a CLOCK_MONOTONIC instant (nanoseconds) into a
// host time.Time for Go's timers. Sleeping until it may end a little
// before the clock reaches mono (the rates differ by up to maxSlew):
// callers that must not wake early check Monotonic again.
func (c *Clock) HostDeadline(mono int64) time.Time {
	return time.Now().Add(time.Duration(mono - c.Monotonic()))
}

// sync resynchronises the clock with the host's unless another
// goroutine is at it, and reports whether CLOCK_REALTIME stepped with the
// host's.
func (c *Clock) sync() (stepped bool) {
	if !c.mu.TryLock() {
		return false
	}
	defer c.mu.Unlock()
	tsc, now := sample()
	if tsc < c.nextSync.Load() {
		return false // another goroutine just did it
	}
	hostMono := int64(now.Sub(c.boot))
	mult := multOf(hostMono, tsc-c.bootTSC)
	m, _ := monoAt(tsc, c.load(vdso.WordTSCBase), c.load(vdso.WordMult), c.load(vdso.WordMonoNS), c.load(vdso.WordMonoFrac))
	lag := hostMono - int64(m)
	if c.interval < ticksOf(maxSync, mult) {
		c.interval *= 2
	}
	var step int64
	if lag > stepNS {
		step = lag
	} else {
		// Converge over the next interval.
		corr := float64(lag) / (float64(c.interval) * float64(mult) / (1 << vdso.MultShift))
		corr = min(max(corr, -maxSlew), maxSlew)
		mult = uint64(float64(mult) * (1 + corr))
	}
	realOff := now.UnixNano() - hostMono
	if d := realOff - c.realOff; d > realStepNS || d < -realStepNS {
		c.realOff = realOff
		stepped = true
	}
	c.publish(mult, step)
	c.nextSync.Store(tsc + c.interval)
	return stepped
}

// publish makes mult the rate from now on, continuing CLOCK_MONOTONIC
// from its value at this instant (plus step), under the sequence lock.
// The counter is read once the lock is odd, so that every reading made
// with the old parameters is at or before the new base.
//
// Preconditions: c.mu is held.
func (c *Clock) publish(mult uint64, step int64) {
	seq := c.load(vdso.WordSeq)
	c.store(vdso.WordSeq, seq+1)
	tsc := arch.Rdtsc()
	ns, frac := monoAt(tsc, c.load(vdso.WordTSCBase), c.load(vdso.WordMult), c.load(vdso.WordMonoNS), c.load(vdso.WordMonoFrac))
	if tsc < c.load(vdso.WordTSCBase) {
		tsc = c.load(vdso.WordTSCBase)
	}
	c.store(vdso.WordTSCBase, tsc)
	c.store(vdso.WordMult, mult)
	c.store(vdso.WordMonoNS, ns+uint64(step))
	c.store(vdso.WordMonoFrac, frac)
	c.store(vdso.WordRealtimeOff, uint64(c.realOff+c.setOff.Load()))
	c.store(vdso.WordSeq, seq+2)
}
