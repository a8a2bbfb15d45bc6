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

// cpuLimitWatch is a process's watch of RLIMIT_CPU.
type cpuLimitWatch struct {
	mu sync.Mutex
	// timer fires when the limit may have been reached. Guarded by mu.
	timer *time.Timer
	// gen invalidates timers armed for an earlier limit. Guarded by mu.
	gen uint64
}

// cpuLimitSeconds converts a limit in seconds to a duration (unlimited:
// false).
func cpuLimitSeconds(v uint64) (time.Duration, bool) {
	if v == Infinity || v > uint64(1<<63-1)/uint64(time.Second) {
		return 0, false
	}
	return time.Duration(v) * time.Second, true
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
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	tg.armCPULimitLocked()
}

// armCPULimitLocked starts a timer for the nearer of the two limits.
//
// Preconditions: tg.cpuLimit.mu is held.
func (tg *ThreadGroup) armCPULimitLocked() {
	l := tg.limits.Get(unix.RLIMIT_CPU)
	soft, okSoft := cpuLimitSeconds(l.Cur)
	hard, okHard := cpuLimitSeconds(l.Max)
	if !okSoft && !okHard {
		return
	}
	next := soft
	if !okSoft || (okHard && hard < soft) {
		next = hard
	}
	w := &tg.cpuLimit
	gen := w.gen
	// CPU time passes no faster than wall time, so the limit is not
	// reached before the timer fires; fire re-arms for what is left.
	d := max(next-tg.profTime(), time.Millisecond)
	w.timer = time.AfterFunc(d, func() { tg.checkCPULimit(gen) })
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
	w.mu.Lock()
	if gen != w.gen {
		w.mu.Unlock()
		return
	}
	w.timer = nil
	used := tg.profTime()
	l := tg.limits.Get(unix.RLIMIT_CPU)
	var sig unix.Signal
	if hard, ok := cpuLimitSeconds(l.Max); ok && used >= hard {
		sig = unix.SIGKILL
	} else if soft, ok := cpuLimitSeconds(l.Cur); ok && used >= soft {
		sig = unix.SIGXCPU
		tg.limits.raiseCPUSoft(l.Cur)
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
func (tg *ThreadGroup) stopCPULimit() {
	w := &tg.cpuLimit
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// raiseCPUSoft moves the RLIMIT_CPU soft limit a second past old, unless
// it was changed meanwhile.
func (ls *Limits) raiseCPUSoft(old uint64) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.l[unix.RLIMIT_CPU].Cur == old {
		ls.l[unix.RLIMIT_CPU].Cur = old + 1
	}
}
