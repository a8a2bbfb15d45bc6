package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// RLIMIT_CPU, as Linux's check_process_timers enforces it: when the
// process's CPU time (user plus system, as kite accounts it) reaches the
// soft limit it gets SIGXCPU and the soft limit grows by a second, so
// SIGXCPU comes every second after; at the hard limit it gets SIGKILL.
// RLIMIT_RTTIME (rttime.go) is watched the same way, per thread.

// limitWatch is the timer that watches one CPU-time limit: a process's
// RLIMIT_CPU or a thread's RLIMIT_RTTIME.
type limitWatch struct {
	mu sync.Mutex
	// timer fires when a limit may have been reached. Guarded by mu.
	timer *time.Timer
	// gen invalidates timers armed for an earlier limit. Guarded by mu.
	gen uint64
	// base and sleeps are RLIMIT_RTTIME's: the thread's CPU time when
	// the count last started, and its voluntary switches then. Guarded
	// by mu.
	base   time.Duration
	sleeps int64
}

// cpuLimits are the soft and hard values of a CPU-time limit as
// durations; ok false is unlimited.
type cpuLimits struct {
	soft, hard     time.Duration
	okSoft, okHard bool
}

// limitsOf converts l with unit (a second for RLIMIT_CPU, a microsecond
// for RLIMIT_RTTIME).
func limitsOf(l Limit, unit time.Duration) cpuLimits {
	conv := func(v uint64) (time.Duration, bool) {
		if v == Infinity || v > uint64(1<<63-1)/uint64(unit) {
			return 0, false
		}
		return time.Duration(v) * unit, true
	}
	var c cpuLimits
	c.soft, c.okSoft = conv(l.Cur)
	c.hard, c.okHard = conv(l.Max)
	return c
}

// signal returns what reaching used gives: SIGKILL at the hard limit,
// SIGXCPU at the soft one, else 0.
func (c cpuLimits) signal(used time.Duration) unix.Signal {
	if c.okHard && used >= c.hard {
		return unix.SIGKILL
	}
	if c.okSoft && used >= c.soft {
		return unix.SIGXCPU
	}
	return 0
}

// cancelLocked stops the armed timer; one already firing finds gen moved.
//
// Preconditions: w.mu is held.
func (w *limitWatch) cancelLocked() {
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// stop ends the watch (the process or thread is exiting).
func (w *limitWatch) stop() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancelLocked()
}

// armLocked starts a timer for the nearer of c's limits, used having been
// counted so far; check runs with the watch's generation when it fires.
// CPU time passes no faster than wall time, so the limit is not reached
// before the timer fires; check re-arms for what is left.
//
// Preconditions: w.mu is held.
func (w *limitWatch) armLocked(c cpuLimits, used time.Duration, check func(gen uint64)) {
	if !c.okSoft && !c.okHard {
		return
	}
	next := c.soft
	if !c.okSoft || (c.okHard && c.hard < c.soft) {
		next = c.hard
	}
	gen := w.gen
	w.timer = time.AfterFunc(max(next-used, time.Millisecond), func() { check(gen) })
}

// fired starts a check of the watch for generation gen: false (and w.mu
// released) if the timer is stale.
func (w *limitWatch) fired(gen uint64) bool {
	w.mu.Lock()
	if gen != w.gen {
		w.mu.Unlock()
		return false
	}
	w.timer = nil
	return true
}

// profTime is the process's CPU time as RLIMIT_CPU counts it.
func (tg *ThreadGroup) profTime() time.Duration {
	u, s := tg.CPUTime()
	return u + s
}

// armCPULimit (re)starts the watch of the process's RLIMIT_CPU after the
// limit changed or the process began; an unlimited process has none.
func (tg *ThreadGroup) armCPULimit() {
	w := &tg.cpuLimit
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancelLocked()
	tg.armCPULimitLocked()
}

// armCPULimitLocked starts a timer for the nearer of the two limits.
//
// Preconditions: tg.cpuLimit.mu is held.
func (tg *ThreadGroup) armCPULimitLocked() {
	tg.cpuLimit.armLocked(limitsOf(tg.limits.Get(unix.RLIMIT_CPU), time.Second), tg.profTime(), tg.checkCPULimit)
}

// checkCPULimit runs when the watch's timer fires: it has the tasks
// account their time, sends SIGKILL or SIGXCPU if a limit is reached and
// re-arms for the next.
func (tg *ThreadGroup) checkCPULimit(gen uint64) {
	// CPU time is accounted when tasks come back from application code:
	// make them.
	tg.sigMu.Lock()
	tasks := tg.tasksForSignals()
	tg.sigMu.Unlock()
	for _, t := range tasks {
		t.interruptContext()
	}
	if tg.isExiting() {
		return
	}
	w := &tg.cpuLimit
	if !w.fired(gen) {
		return
	}
	l := tg.limits.Get(unix.RLIMIT_CPU)
	sig := limitsOf(l, time.Second).signal(tg.profTime())
	if sig == unix.SIGXCPU {
		tg.limits.raiseSoft(unix.RLIMIT_CPU, l.Cur, 1)
	}
	if sig != unix.SIGKILL {
		tg.armCPULimitLocked()
	}
	w.mu.Unlock()
	if sig != 0 {
		info := arch.NewKernelSignalInfo(int(sig))
		tg.send(nil, &info)
	}
}

// stopCPULimit ends the watch when the process dies.
func (tg *ThreadGroup) stopCPULimit() { tg.cpuLimit.stop() }

// raiseSoft moves resource's soft limit by past old (a second: SIGXCPU
// comes again a second later), unless it was changed meanwhile.
func (ls *Limits) raiseSoft(resource int, old, by uint64) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.l[resource].Cur == old {
		ls.l[resource].Cur = old + by
	}
}
