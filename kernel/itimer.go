package kernel

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// Interval timer kinds (setitimer's which).
const (
	ITimerReal    = 0
	ITimerVirtual = 1
	ITimerProf    = 2
)

// ITimerValue is a struct itimerval in nanoseconds.
type ITimerValue struct {
	Value, Interval time.Duration
}

// itimer is one of a process's three interval timers.
type itimer struct {
	which int
	sig   unix.Signal

	mu sync.Mutex
	// deadline is when the timer expires, in its clock: wall time for
	// ITIMER_REAL, the process's CPU time (user, or user+system) for the
	// others; zero when disarmed. Guarded by mu.
	deadline time.Duration
	// interval re-arms the timer on expiry. Guarded by mu.
	interval time.Duration
	// timer fires to check the deadline. Guarded by mu.
	timer *time.Timer
	// gen invalidates timers of an earlier setting. Guarded by mu.
	gen uint64
	// poll paces the checks of the CPU-time timers. Guarded by mu.
	poll cpuPoll
}

// itimers returns the process's interval timers, creating them on first
// use.
func (tg *ThreadGroup) itimers() *[3]*itimer {
	tg.itimerOnce.Do(func() {
		tg.itimerSet = [3]*itimer{
			{which: ITimerReal, sig: unix.SIGALRM},
			{which: ITimerVirtual, sig: unix.SIGVTALRM},
			{which: ITimerProf, sig: unix.SIGPROF},
		}
	})
	return &tg.itimerSet
}

// clock returns the current value of the timer's clock for tg.
func (it *itimer) clock(tg *ThreadGroup) time.Duration {
	switch it.which {
	case ITimerReal:
		return time.Since(tg.k.bootTime)
	case ITimerVirtual:
		u, _ := tg.CPUTime()
		return u
	}
	u, s := tg.CPUTime()
	return u + s
}

// GetITimer returns the time left and the interval of timer which.
func (tg *ThreadGroup) GetITimer(which int) (ITimerValue, error) {
	if which < 0 || which > 2 {
		return ITimerValue{}, unix.EINVAL
	}
	it := tg.itimers()[which]
	it.mu.Lock()
	defer it.mu.Unlock()
	return it.currentLocked(tg), nil
}

// currentLocked is the value getitimer reports.
//
// Preconditions: it.mu is held.
func (it *itimer) currentLocked(tg *ThreadGroup) ITimerValue {
	v := ITimerValue{Interval: it.interval}
	if it.deadline != 0 {
		left := it.deadline - it.clock(tg)
		if left <= 0 {
			// Expired but not yet re-armed: Linux reports a tiny value.
			left = time.Microsecond
		}
		v.Value = left
	}
	return v
}

// SetITimer arms (or with a zero value disarms) timer which and returns
// its previous setting.
func (tg *ThreadGroup) SetITimer(which int, nv ITimerValue) (ITimerValue, error) {
	if which < 0 || which > 2 {
		return ITimerValue{}, unix.EINVAL
	}
	it := tg.itimers()[which]
	it.mu.Lock()
	defer it.mu.Unlock()
	old := it.currentLocked(tg)
	it.gen++
	if it.timer != nil {
		it.timer.Stop()
		it.timer = nil
	}
	it.deadline, it.interval = 0, nv.Interval
	it.poll = cpuPoll{last: -1}
	if nv.Value > 0 {
		it.deadline = AddDurationSat(it.clock(tg), nv.Value)
		it.armLocked(tg, nv.Value)
	}
	return old, nil
}

// armLocked starts a host timer that checks the deadline after d.
//
// Preconditions: it.mu is held.
func (it *itimer) armLocked(tg *ThreadGroup, d time.Duration) {
	gen := it.gen
	it.timer = time.AfterFunc(max(d, time.Millisecond/10), func() { it.fire(tg, gen) })
}

// fire runs when the host timer expires: it sends the signal if the
// deadline has passed in the timer's clock, re-arms periodic timers, and
// otherwise waits for the rest.
func (it *itimer) fire(tg *ThreadGroup, gen uint64) {
	exiting := tg.isExiting() // sigMu is not taken under it.mu
	it.mu.Lock()
	if gen != it.gen || it.deadline == 0 || exiting {
		it.mu.Unlock()
		return
	}
	now := it.clock(tg)
	if now < it.deadline {
		d := it.deadline - now
		if it.which != ITimerReal {
			// The process's CPU time stands still while it blocks:
			// look again less often.
			d = it.poll.next(now, d)
		}
		it.armLocked(tg, d)
		it.mu.Unlock()
		return
	}
	if it.interval > 0 {
		it.deadline += it.interval
		if it.deadline < now {
			it.deadline = now + it.interval
		}
		it.armLocked(tg, it.deadline-now)
	} else {
		it.deadline = 0
		it.timer = nil
	}
	sig := it.sig
	it.mu.Unlock()
	info := arch.NewKernelSignalInfo(int(sig))
	tg.send(nil, &info)
}

// interruptContext makes the task leave application code (so its CPU time
// is accounted) without waking a blocking system call.
func (t *Task) interruptContext() {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c != nil {
		c.Interrupt()
	}
}

// stopITimers disarms every interval timer when the process dies.
func (tg *ThreadGroup) stopITimers() {
	for _, it := range tg.itimers() {
		it.mu.Lock()
		it.gen++
		if it.timer != nil {
			it.timer.Stop()
			it.timer = nil
		}
		it.deadline = 0
		it.mu.Unlock()
	}
}
