package systrap

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Adaptive spinning. A round trip between kite and a stub thread costs two
// futex wake-ups; on our virtual machines a wake-up to another CPU costs
// about 10us, so a system call round trip takes 25-30us, against about
// 5us when each side polls the shared state word until the other answers.
// Polling costs a CPU on each side, though, and on a machine with no CPU
// to spare it only steals time from the threads that would answer. So
// each side polls for a bounded time that adapts to what it gains, and
// not at all where CPUs are not free:
//
//   - Budgets are times, not counts: kite polls its side while time.Now
//     stays within its budget; the stub's budget is turned into a count of
//     PAUSE instructions (the stub's loop) with a calibration made when
//     the stub first polls.
//   - Each side's budget follows how long the other side takes to answer:
//     kite sees how long the stub took to report after a resume, and how
//     long kite itself took to answer the stub (the stub's wait). An
//     answer that polling missed but that came within spinMax sets the
//     budget to twice its time; a later one halves the budget, down to
//     nothing (budget.observe). So a program that makes system calls in
//     quick succession gets polling on both sides, and one that computes
//     between calls, or waits in kite for long, gets none.
//   - No polling when the machine is busy: when more Contexts are in
//     Switch than half the CPUs kite may use (each polling round trip
//     keeps two threads running), when the host's one-minute load average
//     is at or above the number of those CPUs plus one (sysinfo, looked at
//     every loadInterval), and for contendedFor after kite's polling
//     thread found itself preempted (a gap in its polling loop), which
//     shows that another thread wanted its CPU.
//   - A Switch that polls does not keep the stub thread on kite's CPU
//     (follow): the two would then poll for each other on one CPU. A
//     Switch that does not poll follows, as a same-CPU wake-up is the
//     cheapest there is.
const (
	spinMin       = 2 * time.Microsecond
	spinMax       = 40 * time.Microsecond
	preemptGap    = 200 * time.Microsecond
	contendedFor  = 100 * time.Millisecond
	loadInterval  = 250 * time.Millisecond
	pausesPerPoll = 16 // kite's PAUSEs between looks at the clock
)

// SpinMode says how kite and the stub poll for each other.
type SpinMode int

const (
	// SpinAdaptive polls as the comment above says: the default.
	SpinAdaptive SpinMode = iota
	// SpinFixed polls for fixed budgets (SetSpin), always, and follows
	// only if SetFollow says so: for benchmarks and tests.
	SpinFixed
)

// spinGate is the platform's view of whether polling can pay.
type spinGate struct {
	// ncpu is how many CPUs kite may run on.
	ncpu int32
	// active counts the Contexts inside Switch.
	active atomic.Int32
	// quietUntil is when (unix nanoseconds) polling may start again after
	// a preemption was seen.
	quietUntil atomic.Int64
	// loadChecked is when the load average was last looked at; loaded is
	// what it said.
	loadChecked atomic.Int64
	loaded      atomic.Bool
	// ignoreLoad makes allow disregard the host's load average
	// (benchmarks of the adaptation itself).
	ignoreLoad bool
}

// allow reports whether a Context may poll now.
func (g *spinGate) allow(now time.Time) bool {
	if g.active.Load() > max(1, g.ncpu/2) {
		return false
	}
	n := now.UnixNano()
	if n < g.quietUntil.Load() {
		return false
	}
	if last := g.loadChecked.Load(); n-last > int64(loadInterval) && g.loadChecked.CompareAndSwap(last, n) {
		var si unix.Sysinfo_t
		if unix.Sysinfo(&si) == nil {
			load1 := float64(si.Loads[0]) / (1 << unix.SI_LOAD_SHIFT)
			g.loaded.Store(load1 >= float64(g.ncpu)+1)
		}
	}
	return g.ignoreLoad || !g.loaded.Load()
}

// preempted records that a polling thread lost its CPU.
func (g *spinGate) preempted(now time.Time) {
	g.quietUntil.Store(now.Add(contendedFor).UnixNano())
}

// budget is one side's adaptive polling time.
type budget struct {
	d time.Duration
}

// next returns the time to poll for in this Switch.
func (b *budget) next() time.Duration { return b.d }

// observe adapts the budget to an answer that took lat, and that polling
// caught or not. Polling that caught the answer keeps the budget. An
// answer that came too late for it but within spinMax sets it to twice
// what the answer took (which, after a sleep, includes the wake-up, so
// it errs long); a later one halves it, down to nothing.
func (b *budget) observe(lat time.Duration, caught bool) {
	switch {
	case caught:
	case lat <= spinMax:
		b.d = min(spinMax, max(spinMin, 2*lat))
	default:
		b.d /= 2
		if b.d < spinMin {
			b.d = 0
		}
	}
}

// nsPerPause measures what one PAUSE instruction costs here (the least
// of a few tries, so that a preemption does not count).
func nsPerPause() float64 {
	best := time.Duration(1 << 62)
	const n = 2000
	for i := 0; i < 3; i++ {
		start := time.Now()
		pause(n)
		best = min(best, time.Since(start))
	}
	return max(float64(best)/n, 0.5)
}

// spinState is a Context's polling state. Used only on the Context's
// goroutine.
type spinState struct {
	kite, stub budget
	// answered is when kite saw the thread's latest event (zero before
	// the first).
	answered time.Time
}
