package kernel

import (
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
// application code and in kite for the thread). The watch is a
// limitWatch (cpulimit.go), with the count's start in its base and
// sleeps.

// cpuUsed is the task's CPU time.
func (t *Task) cpuUsed() time.Duration {
	u, s := t.CPUTime()
	return u + s
}

// rtTimeLimits is the task's RLIMIT_RTTIME.
func (t *Task) rtTimeLimits() (Limit, cpuLimits) {
	l := t.tg.limits.Get(unix.RLIMIT_RTTIME)
	return l, limitsOf(l, time.Microsecond)
}

// armRTTime (re)starts the watch after the task's policy or the limit
// changed; a task that is not real-time, or has no limit, has none.
// restart starts the count again (the task just took a real-time
// policy).
func (t *Task) armRTTime(restart bool) {
	w := &t.rtTime
	w.mu.Lock()
	defer w.mu.Unlock()
	w.cancelLocked()
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
	_, c := t.rtTimeLimits()
	t.rtTime.armLocked(c, t.cpuUsed()-t.rtTime.base, t.checkRTTime)
}

// checkRTTime runs when the watch's timer fires.
func (t *Task) checkRTTime(gen uint64) {
	// The task's CPU time is accounted when it leaves application code.
	t.interruptContext()
	if t.tg.isExiting() {
		return
	}
	w := &t.rtTime
	if !w.fired(gen) {
		return
	}
	now := t.cpuUsed()
	if n := t.ru.nvcsw.Load(); n != w.sleeps {
		// It slept since: the count starts again.
		w.base, w.sleeps = now, n
	}
	l, c := t.rtTimeLimits()
	sig := c.signal(now - w.base)
	if sig == unix.SIGXCPU && l.Cur < l.Max {
		t.tg.limits.raiseSoft(unix.RLIMIT_RTTIME, l.Cur, uint64(time.Second/time.Microsecond))
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
func (t *Task) stopRTTime() { t.rtTime.stop() }
