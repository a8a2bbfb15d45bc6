package systrap

import (
	"math"
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
//   - The budgets are kept per system call number (spinState): the
//     stub's for the answer to each call, kite's for what follows each.
//     With one budget for all, a ping-pong's blocking read halved the
//     budget its quick write had set, and an ext4 create's long answer
//     the budget of the write and close around it. The stub's budget is
//     the one of the call predicted to come next (the one that followed
//     the latest call last time), since the stub reads it at the resume.
//   - No polling when the machine is busy: when as many Contexts as half
//     the CPUs kite may use are in a Switch that polls already (each
//     polling round trip keeps two threads running; a Context whose
//     Switch does not poll sleeps, and one whose thread waits in kite
//     for a peer, as a ping-pong's reader does, is not in Switch: counting
//     every Context in Switch closed the gate for half the Switches of a
//     ping-pong: bench/README.md), when the host's one-minute load average
//     less kite's own part of it is at or above the number of those CPUs
//     (sysinfo, looked at every loadInterval; kite's part is twice the
//     CPUs its own threads used, for its stubs, averaged over a minute as
//     the load average is), and for contendedFor after kite's polling
//     thread found itself preempted (a gap in its polling loop), which
//     shows that another thread wanted its CPU. (The gate used to compare
//     the whole load average with the CPUs plus one: a program polling
//     on a quiet 2-CPU machine is itself two running threads, so the
//     host's I/O threads or whatever ran in the minute before, such as
//     a benchmark's own build, could close it against kite's own load.)
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
	// active counts the Contexts inside a Switch that polls (enter to
	// leave).
	active atomic.Int32
	// quietUntil is when (unix nanoseconds) polling may start again after
	// a preemption was seen.
	quietUntil atomic.Int64
	// loadChecked is when the load average was last looked at, or is
	// being looked at: the Context that moves it forward looks.
	loadChecked atomic.Int64
	// load is what the latest look found: a snapshot never changed once
	// published, so a look that starts while another is still in
	// progress reads a whole earlier one and at worst is overwritten.
	// nil before the first.
	load atomic.Pointer[loadState]
	// sample reads the host's one-minute load average and kite's CPU
	// time in nanoseconds; nil means hostLoad. Tests set it.
	sample func() (load1 float64, cpu int64, ok bool)
	// ignoreLoad makes enter disregard the host's load average
	// (benchmarks of the adaptation itself).
	ignoreLoad bool
}

// loadState is one look at the host's load (checkLoad).
type loadState struct {
	// wall (unix nanoseconds) and cpu (kite's CPU time, nanoseconds)
	// are when the look was made and what kite had used by then.
	wall, cpu int64
	// ownLoad is kite's own estimated part of the load average.
	ownLoad float64
	// loaded says that the load average less ownLoad is at or above the
	// CPUs: no polling.
	loaded bool
}

// enter reports whether a Context may poll now and if so counts it among
// the polling ones until it calls leave. The check of the count and the
// count are one step, so that Contexts entering together never take more
// than half the CPUs.
func (g *spinGate) enter(now time.Time) bool {
	n := now.UnixNano()
	if n < g.quietUntil.Load() {
		return false
	}
	if last := g.loadChecked.Load(); n-last > int64(loadInterval) && g.loadChecked.CompareAndSwap(last, n) {
		g.checkLoad(n)
	}
	if !g.ignoreLoad {
		if s := g.load.Load(); s != nil && s.loaded {
			return false
		}
	}
	limit := max(1, g.ncpu/2)
	for {
		a := g.active.Load()
		if a >= limit {
			return false
		}
		if g.active.CompareAndSwap(a, a+1) {
			return true
		}
	}
}

// leave ends the polling that enter allowed.
func (g *spinGate) leave() { g.active.Add(-1) }

// hostLoad reads the host's one-minute load average and kite's CPU time.
func hostLoad() (load1 float64, cpu int64, ok bool) {
	var si unix.Sysinfo_t
	var ru unix.Rusage
	if unix.Sysinfo(&si) != nil || unix.Getrusage(unix.RUSAGE_SELF, &ru) != nil {
		return 0, 0, false
	}
	return float64(si.Loads[0]) / (1 << unix.SI_LOAD_SHIFT), ru.Utime.Nano() + ru.Stime.Nano(), true
}

// checkLoad publishes a new look at the host's load, at unix time n: the
// one-minute load average less kite's own part of it (ownLoad) against
// the CPUs. Called by the Context that moved loadChecked to n.
func (g *spinGate) checkLoad(n int64) {
	sample := g.sample
	if sample == nil {
		sample = hostLoad
	}
	load1, cpu, ok := sample()
	if !ok {
		return
	}
	old := g.load.Load()
	s := &loadState{wall: n, cpu: cpu}
	if old != nil {
		s.ownLoad = old.ownLoad
		if n > old.wall {
			// kite's CPUs in use over the interval, twice: its stub
			// threads run (or poll) about as long as kite's threads
			// answer (or poll) them. Averaged as the load average
			// is, over a minute.
			use := 2 * float64(cpu-old.cpu) / float64(n-old.wall)
			e := math.Exp(-float64(n-old.wall) / float64(time.Minute))
			s.ownLoad = old.ownLoad*e + use*(1-e)
		}
	}
	s.loaded = load1-s.ownLoad >= float64(g.ncpu)
	// A look that raced with this one (it started a loadInterval later
	// while this one was still sampling) may have published first: keep
	// the later one.
	g.load.CompareAndSwap(old, s)
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

// spinSlots is how many system call numbers have budgets of their own;
// higher numbers, faults and other events share the last slot.
const spinSlots = 512

// slot returns the budget slot of system call nr.
func slot(nr uint64) uint16 {
	if nr >= spinSlots-1 {
		return spinSlots - 1
	}
	return uint16(nr)
}

// spinState is a Context's polling state: budgets per system call
// number, since a program's calls differ in how long kite takes to
// answer them (a read that blocks for its peer's write, an ext4 create,
// a close) and in what the program computes after each (none between a
// ping-pong's write and its read). Used only on the Context's goroutine;
// allocated at its first adaptive Switch.
type spinState struct {
	// stub[n] is how long the stub polls for kite's answer to system
	// call n; kite[n] how long kite polls for the thread's next event
	// after it answered n.
	stub, kite [spinSlots]budget
	// next[n] is the system call that followed n last time: the one
	// whose answer the stub will wait for next, whose budget kite must
	// give it at the resume (the stub reads it then).
	next [spinSlots]uint16
	// last is the slot of the latest event.
	last uint16
	// answered is when kite saw the thread's latest event (zero before
	// the first).
	answered time.Time
}

// budgets returns the polling times of the Switch that answers the
// latest event: kite's, for the thread's next event, and the stub's, for
// the answer to the system call predicted to come next.
func (s *spinState) budgets() (kite, stub time.Duration) {
	return s.kite[s.last].next(), s.stub[s.next[s.last]].next()
}

// event records the thread's next event after the latest, in slot n.
func (s *spinState) event(n uint16) {
	s.next[s.last] = n
	s.last = n
}
