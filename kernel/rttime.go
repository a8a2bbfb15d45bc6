package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// RLIMIT_RTTIME, as Linux's watchdog in check_thread_timers enforces it:
// a thread under SCHED_FIFO or SCHED_RR may use that many microseconds of
// CPU time without sleeping; the count starts again each time it sleeps
// in a blocking system call (kite counts the sleeps as voluntary context
// switches) or takes a real-time policy, and a task forked or cloned
// under one counts from its start. At the soft limit the process
// gets SIGXCPU and, if the soft limit is under the hard one, the soft
// limit grows by a second, so SIGXCPU comes each second after; at the
// hard limit it gets SIGKILL. CPU time is as kite accounts it (time in
// application code and in kite for the thread).

// rtTimeWatch is a task's watch of RLIMIT_RTTIME.
type rtTimeWatch struct {
	mu sync.Mutex
	// timer fires when a limit may have been reached; gen invalidates
	// timers of an earlier arming. Guarded by mu.
	timer *time.Timer
	gen   uint64
	// base is the task's CPU time when the count last started, and
	// sleeps its voluntary switches then. Guarded by mu.
	base   time.Duration
	sleeps int64
}

// rtLimit converts an RLIMIT_RTTIME value (microseconds) to a duration
// (unlimited: false).
func rtLimit(v uint64) (time.Duration, bool) {
	if v == Infinity || v > uint64(1<<63-1)/uint64(time.Microsecond) {
		return 0, false
	}
	return time.Duration(v) * time.Microsecond, true
}

// cpuUsed is the task's CPU time.
func (t *Task) cpuUsed() time.Duration {
	u, s := t.CPUTime()
	return u + s
}

// armRTTime (re)starts the watch after the task's policy or the limit
// changed; a task that is not real-time, or has no limit, has none.
// restart starts the count again (the task just took a real-time
// policy).
func (t *Task) armRTTime(restart bool) {
	w := &t.rtTime
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
	if restart {
		w.base, w.sleeps = t.cpuUsed(), t.ru.nvcsw.Load()
	}
	t.armRTTimeLocked()
}

// armRTTimeLocked starts a timer for the nearer limit.
//
// Preconditions: t.rtTime.mu is held.
func (t *Task) armRTTimeLocked() {
	if p := t.Sched().Policy; p != SchedFIFO && p != SchedRR {
		return
	}
	l := t.tg.limits.Get(unix.RLIMIT_RTTIME)
	soft, okSoft := rtLimit(l.Cur)
	hard, okHard := rtLimit(l.Max)
	if !okSoft && !okHard {
		return
	}
	next := soft
	if !okSoft || (okHard && hard < soft) {
		next = hard
	}
	w := &t.rtTime
	gen := w.gen
	// CPU time passes no faster than wall time: the limit is not
	// reached before the timer fires, and the check re-arms.
	d := max(next-(t.cpuUsed()-w.base), time.Millisecond)
	w.timer = time.AfterFunc(d, func() { t.checkRTTime(gen) })
}

// checkRTTime runs when the watch's timer fires.
func (t *Task) checkRTTime(gen uint64) {
	// The task's CPU time is accounted when it leaves application code.
	t.interruptContext()
	if t.tg.isExiting() {
		return
	}
	w := &t.rtTime
	w.mu.Lock()
	if gen != w.gen {
		w.mu.Unlock()
		return
	}
	w.timer = nil
	now := t.cpuUsed()
	if n := t.ru.nvcsw.Load(); n != w.sleeps {
		// It slept since: the count starts again.
		w.base, w.sleeps = now, n
	}
	used := now - w.base
	l := t.tg.limits.Get(unix.RLIMIT_RTTIME)
	var sig unix.Signal
	if hard, ok := rtLimit(l.Max); ok && used >= hard {
		sig = unix.SIGKILL
	} else if soft, ok := rtLimit(l.Cur); ok && used >= soft {
		sig = unix.SIGXCPU
		if l.Cur < l.Max {
			t.tg.limits.raiseRTTimeSoft(l.Cur)
		}
	}
	if sig != unix.SIGKILL {
		t.armRTTimeLocked()
	}
	w.mu.Unlock()
	if sig != 0 {
		info := arch.NewKernelSignalInfo(int(sig))
		t.tg.send(nil, &info)
	}
}

// stopRTTime ends the watch when the task exits.
func (t *Task) stopRTTime() {
	w := &t.rtTime
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.timer != nil {
		w.timer.Stop()
		w.timer = nil
	}
}

// raiseRTTimeSoft moves the RLIMIT_RTTIME soft limit a second past old,
// unless it was changed meanwhile.
func (ls *Limits) raiseRTTimeSoft(old uint64) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.l[unix.RLIMIT_RTTIME].Cur == old {
		ls.l[unix.RLIMIT_RTTIME].Cur = old + uint64(time.Second/time.Microsecond)
	}
}
