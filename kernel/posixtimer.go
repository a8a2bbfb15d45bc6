package kernel

import (
	"math"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// Notification kinds of struct sigevent.
const (
	SigevSignal   = 0
	SigevNone     = 1
	SigevThread   = 2
	SigevThreadID = 4
)

// SigEvent is what timer_create is told to do on expiry.
type SigEvent struct {
	Notify int
	Signo  int
	Value  uint64
	TID    int32 // SIGEV_THREAD_ID
}

// TimerSpec is a struct itimerspec in nanoseconds.
type TimerSpec struct {
	Value, Interval time.Duration
}

// posixTimer is one timer_create timer.
type posixTimer struct {
	id    int32
	clock int32
	ev    SigEvent
	tg    *ThreadGroup
	// target receives SIGEV_THREAD_ID signals.
	target *Task
	// cpu is the clock of a CPU-time clock id: a dynamic one (clock <
	// 0), CLOCK_PROCESS_CPUTIME_ID (the creator's process) or
	// CLOCK_THREAD_CPUTIME_ID (the creating thread, whichever thread
	// arms the timer later).
	cpu *CPUClock

	// mu comes after ThreadGroup.sigMu: never take sigMu while holding it.
	mu sync.Mutex
	// deadline is the expiry in the timer's clock (see clockValue);
	// zero when disarmed. Guarded by mu.
	deadline time.Duration
	interval time.Duration
	timer    *time.Timer
	gen      uint64
	// abs is set while the timer is armed with TIMER_ABSTIME on a
	// realtime clock (it then follows the clock's steps, clockset.go);
	// mono while armed relative to a realtime clock, which then counts
	// on CLOCK_MONOTONIC. Guarded by mu.
	abs, mono bool
	// sent is the timer's signal while it may be queued and not yet
	// taken (Linux's one preallocated sigqueue entry of a timer): the
	// next expiry sends none while it is still queued. current says
	// it stands for the present setting: while it does, expiries count
	// as its overruns; after timer_settime it does not, and is dropped
	// when dequeued unless an expiry comes first and takes it over (as
	// Linux's it_signal_seq). Guarded by mu.
	sent    *arch.SignalInfo
	current bool
	// fireMu makes the timer's expiries one at a time (each looks at
	// whether the last one's signal is still queued). It comes before
	// every other lock.
	fireMu sync.Mutex
	// overrun counts expiries while pending; lastOverrun is what
	// timer_getoverrun reports. Guarded by mu.
	overrun, lastOverrun int32
	// poll paces the checks of a CPU clock. Guarded by mu.
	poll cpuPoll
}

// posixTimers is a process's timer_create timers.
type posixTimers struct {
	mu     sync.Mutex
	timers map[int32]*posixTimer
	next   int32
	// orphans are the signals deleted timers had sent, which are
	// dropped when dequeued (or forgotten when the process goes).
	orphans map[*arch.SignalInfo]struct{}
}

// timerClockValue reads clock for a timer of tg (created by creator).
func timerClockValue(tg *ThreadGroup, creator *Task, clock int32) (time.Duration, error) {
	switch clock {
	case unix.CLOCK_REALTIME, unix.CLOCK_REALTIME_ALARM, unix.CLOCK_TAI:
		return time.Duration(tg.k.clock.Realtime()), nil
	case unix.CLOCK_MONOTONIC, unix.CLOCK_BOOTTIME, unix.CLOCK_BOOTTIME_ALARM:
		return time.Duration(tg.k.clock.Monotonic()) + creator.ClockOffset(clock), nil
	}
	return 0, unix.EINVAL
}

// clockNow is a reading of a timer's clock and of CLOCK_MONOTONIC, taken
// before pt.mu (the CPU-time clocks take sigMu).
type clockNow struct {
	clock, mono time.Duration
}

// readClocks reads the timer's clock and CLOCK_MONOTONIC.
func (pt *posixTimer) readClocks(creator *Task) (clockNow, error) {
	if pt.cpu != nil {
		return clockNow{pt.cpu.Read(), time.Duration(pt.tg.k.clock.Monotonic())}, nil
	}
	c, err := timerClockValue(pt.tg, creator, pt.clock)
	return clockNow{c, time.Duration(pt.tg.k.clock.Monotonic())}, err
}

// nowLocked is the time the timer counts on: CLOCK_MONOTONIC for a
// realtime timer armed relative.
//
// Preconditions: pt.mu is held.
func (pt *posixTimer) nowLocked(n clockNow) time.Duration {
	if pt.mono {
		return n.mono
	}
	return n.clock
}

// TimerCreate is timer_create(2). ev nil means SIGEV_SIGNAL with SIGALRM
// and the timer id as value.
func (t *Task) TimerCreate(clock int32, ev *SigEvent) (int32, error) {
	var cpu *CPUClock
	if IsClockFD(clock) {
		// A posix clock device's timers (none here): Linux's
		// dynamic clocks have no timer_create.
		return 0, unix.EOPNOTSUPP
	}
	switch {
	case IsDynamicCPUClock(clock):
		c, err := t.ResolveCPUClock(clock, false)
		if err != nil {
			return 0, err
		}
		cpu = &c
	case clock == unix.CLOCK_PROCESS_CPUTIME_ID:
		cpu = &CPUClock{Group: t.tg, Which: CPUClockSched}
	case clock == unix.CLOCK_THREAD_CPUTIME_ID:
		cpu = &CPUClock{Task: t, Which: CPUClockSched}
	case clock == unix.CLOCK_MONOTONIC_RAW || clock == unix.CLOCK_REALTIME_COARSE || clock == unix.CLOCK_MONOTONIC_COARSE:
		// Clocks without timers.
		return 0, unix.ENOTSUP
	default:
		if _, err := timerClockValue(t.tg, t, clock); err != nil {
			return 0, err
		}
	}
	pt := &posixTimer{clock: clock, tg: t.tg, cpu: cpu}
	if ev == nil {
		pt.ev = SigEvent{Notify: SigevSignal, Signo: int(unix.SIGALRM)}
	} else {
		pt.ev = *ev
		// As Linux's good_sigevent: SIGEV_THREAD (which the C
		// libraries carry out themselves, with SIGEV_THREAD_ID) is a
		// signal to the process for the kernel; SIGEV_THREAD_ID goes
		// only with SIGEV_SIGNAL.
		switch ev.Notify {
		case SigevSignal, SigevThread, SigevSignal | SigevThreadID:
		case SigevNone:
		default:
			return 0, unix.EINVAL
		}
		if ev.Notify != SigevNone && (ev.Signo < 1 || ev.Signo > 64) {
			return 0, unix.EINVAL
		}
		if ev.Notify&SigevThreadID != 0 {
			target := t.TaskByPID(ev.TID)
			if target == nil || target.tg != t.tg {
				return 0, unix.EINVAL
			}
			pt.target = target
		}
	}
	pts := t.tg.posixTimers()
	pts.mu.Lock()
	defer pts.mu.Unlock()
	if len(pts.timers) >= 1<<15 {
		return 0, unix.EAGAIN
	}
	for {
		id := pts.next
		pts.next = (pts.next + 1) & 0x7fffffff
		if _, used := pts.timers[id]; !used {
			pt.id = id
			break
		}
	}
	if ev == nil {
		pt.ev.Value = uint64(pt.id)
	}
	pts.timers[pt.id] = pt
	return pt.id, nil
}

// posixTimers returns the process's timer table.
func (tg *ThreadGroup) posixTimers() *posixTimers {
	tg.posixOnce.Do(func() { tg.posix = &posixTimers{timers: map[int32]*posixTimer{}} })
	return tg.posix
}

// lookupTimer finds timer id of the caller's process.
func (t *Task) lookupTimer(id int32) (*posixTimer, error) {
	pts := t.tg.posixTimers()
	pts.mu.Lock()
	defer pts.mu.Unlock()
	pt := pts.timers[id]
	if pt == nil {
		return nil, unix.EINVAL
	}
	return pt, nil
}

// TimerSettime is timer_settime(2); abs means TIMER_ABSTIME.
func (t *Task) TimerSettime(id int32, abs bool, spec TimerSpec) (TimerSpec, error) {
	pt, err := t.lookupTimer(id)
	if err != nil {
		return TimerSpec{}, err
	}
	if pt.cpu != nil && pt.cpu.reaped() {
		// Linux can learn nothing more of a reaped target.
		return TimerSpec{}, unix.ESRCH
	}
	n, err := pt.readClocks(t)
	if err != nil {
		return TimerSpec{}, err
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	old := pt.currentLocked(pt.nowLocked(n))
	pt.poll = cpuPoll{last: -1}
	// A signal of the old setting still queued is dropped when taken;
	// the overruns counted for it go with it.
	pt.current, pt.overrun = false, 0
	// timer_getoverrun starts again too.
	pt.lastOverrun = 0
	pt.gen++
	if pt.timer != nil {
		pt.timer.Stop()
		pt.timer = nil
	}
	pt.deadline, pt.interval = 0, spec.Interval
	rt := isRealtimeClock(pt.clock)
	pt.abs = rt && abs && spec.Value > 0
	pt.mono = rt && !abs
	now := pt.nowLocked(n)
	pt.tg.k.watchRealtime(pt, t, pt.abs)
	if spec.Value > 0 {
		if abs {
			pt.deadline = spec.Value
		} else {
			pt.deadline = AddDurationSat(now, spec.Value)
		}
		if pt.deadline <= 0 {
			pt.deadline = 1
		}
		pt.armLocked(t, pt.deadline-now)
	}
	return old, nil
}

// TimerGettime is timer_gettime(2).
func (t *Task) TimerGettime(id int32) (TimerSpec, error) {
	pt, err := t.lookupTimer(id)
	if err != nil {
		return TimerSpec{}, err
	}
	if pt.cpu != nil && pt.cpu.reaped() {
		// A timer on a reaped target's clock reads as disarmed.
		return TimerSpec{}, nil
	}
	n, err := pt.readClocks(t)
	if err != nil {
		return TimerSpec{}, err
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.currentLocked(pt.nowLocked(n)), nil
}

// TimerGetoverrun is timer_getoverrun(2).
func (t *Task) TimerGetoverrun(id int32) (int32, error) {
	pt, err := t.lookupTimer(id)
	if err != nil {
		return 0, err
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.lastOverrun, nil
}

// TimerDelete is timer_delete(2).
func (t *Task) TimerDelete(id int32) error {
	pts := t.tg.posixTimers()
	pts.mu.Lock()
	pt := pts.timers[id]
	delete(pts.timers, id)
	pts.mu.Unlock()
	if pt == nil {
		return unix.EINVAL
	}
	pt.stop()
	pts.mu.Lock()
	pts.orphanLocked(pt)
	pts.mu.Unlock()
	return nil
}

// orphanLocked keeps the signal deleted timer pt may have queued, to be
// dropped when dequeued.
//
// Preconditions: pts.mu is held; pt is stopped (no expiry sends again).
func (pts *posixTimers) orphanLocked(pt *posixTimer) {
	pt.mu.Lock()
	sent := pt.sent
	pt.sent = nil
	pt.mu.Unlock()
	if sent == nil {
		return
	}
	if pts.orphans == nil {
		pts.orphans = map[*arch.SignalInfo]struct{}{}
	}
	pts.orphans[sent] = struct{}{}
}

func (pt *posixTimer) stop() {
	pt.mu.Lock()
	if pt.abs {
		pt.abs = false
		pt.tg.k.watchRealtime(pt, nil, false)
	}
	pt.gen++
	if pt.timer != nil {
		pt.timer.Stop()
		pt.timer = nil
	}
	pt.deadline = 0
	pt.mu.Unlock()
}

// currentLocked is the value timer_gettime reports.
//
// Preconditions: pt.mu is held.
func (pt *posixTimer) currentLocked(now time.Duration) TimerSpec {
	s := TimerSpec{Interval: pt.interval}
	if pt.deadline != 0 {
		s.Value = max(pt.deadline-now, 1)
	}
	return s
}

// armLocked starts a host timer that checks the deadline after d.
//
// Preconditions: pt.mu is held.
func (pt *posixTimer) armLocked(creator *Task, d time.Duration) {
	gen := pt.gen
	pt.timer = time.AfterFunc(max(d, time.Microsecond), func() { pt.fire(creator, gen) })
}

// rearmLocked looks at the deadline again later: after the time left,
// paced by pt.poll on a CPU clock.
//
// Preconditions: pt.mu is held; now < pt.deadline.
func (pt *posixTimer) rearmLocked(creator *Task, now time.Duration) {
	d := pt.deadline - now
	if pt.cpu != nil {
		d = pt.poll.next(now, d)
	}
	pt.armLocked(creator, d)
}

// fire checks the deadline, delivers the expiry and re-arms.
//
// A CPU clock whose target has no thread left never moves again: its
// timer delivers what has expired and then stops looking (Linux's stays
// armed and never fires; timer_settime may still arm it, to the same
// end, until the target is reaped).
func (pt *posixTimer) fire(creator *Task, gen uint64) {
	pt.fireMu.Lock()
	defer pt.fireMu.Unlock()
	// Whether the last signal is still queued: it is not when it was
	// discarded (ignored, or its thread gone), and the timer then
	// signals again. sigMu comes before pt.mu.
	pt.mu.Lock()
	last := pt.sent
	pt.mu.Unlock()
	queued := last != nil && pt.tg.signalQueued(pt.target, last)
	running := true
	if pt.cpu != nil {
		// Read before the clock, so that a false one means the
		// reading below is final.
		running = pt.cpu.running()
	}
	// tg.sigMu comes before pt.mu (dequeueing a timer signal takes pt.mu
	// under sigMu): look at the group before taking pt.mu.
	exiting := pt.tg.isExiting()
	n, err := pt.readClocks(creator)
	pt.mu.Lock()
	now := pt.nowLocked(n)
	if err != nil || gen != pt.gen || pt.deadline == 0 || exiting {
		pt.mu.Unlock()
		return
	}
	if now < pt.deadline {
		if running {
			pt.rearmLocked(creator, now)
		} else {
			pt.timer = nil
		}
		pt.mu.Unlock()
		return
	}
	expiries := int32(1)
	if pt.interval > 0 {
		missed := (now - pt.deadline) / pt.interval
		expiries += int32(min(missed, 1<<30))
		pt.deadline += (time.Duration(missed) + 1) * pt.interval
		if running {
			pt.rearmLocked(creator, now)
		} else {
			pt.timer = nil
		}
	} else {
		pt.deadline = 0
		pt.timer = nil
	}
	if pt.ev.Notify == SigevNone {
		pt.mu.Unlock()
		return
	}
	if pt.sent != nil && pt.sent == last && queued {
		if pt.current {
			pt.overrun += expiries
		} else {
			// The old setting's signal is this expiry's.
			pt.current, pt.overrun = true, expiries-1
		}
		pt.mu.Unlock()
		return
	}
	pt.overrun = expiries - 1
	info := arch.NewTimerSignalInfo(pt.ev.Signo, pt.id, pt.overrun, pt.ev.Value)
	info.Code = SI_TIMER
	pt.sent, pt.current = &info, true
	pt.mu.Unlock()
	pt.tg.sendTimer(pt, &info)
}

// AddDurationSat returns a+b, or the largest Duration where the sum
// overflows (a relative time of years given to a CPU clock's timer or
// sleep: it never comes, as on Linux, rather than wrapping to the past).
func AddDurationSat(a, b time.Duration) time.Duration {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// SI_TIMER is the si_code of POSIX timer signals.
const SI_TIMER = -2

// isTimerSignal reports whether info is the signal one of tg's POSIX
// timers is sending (fire sets pt.sent before it sends), as against an
// SI_TIMER siginfo a program queued with rt_sigqueueinfo, which must be
// merged and charged as any other or it could queue without bound.
//
// Preconditions: tg.sigMu is held (it comes before pts.mu and pt.mu).
func (tg *ThreadGroup) isTimerSignal(info *arch.SignalInfo) bool {
	if info.Code != SI_TIMER {
		return false
	}
	pts := tg.posixTimers()
	pts.mu.Lock()
	pt := pts.timers[info.TimerID()]
	pts.mu.Unlock()
	if pt == nil {
		return false
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.sent == info
}

// sendTimer queues a timer's signal; the timer learns when it is taken
// through timerSignalTaken.
func (tg *ThreadGroup) sendTimer(pt *posixTimer, info *arch.SignalInfo) {
	if pt.target != nil {
		tg.send(pt.target, info)
		return
	}
	tg.send(nil, info)
}

// timerSignalTaken is called when a SI_TIMER signal is dequeued: the
// timer may queue again, and the overrun becomes the reported one. It
// reports false for the signal of a timer deleted or set again since it
// was queued, which is dropped (Linux's posixtimer_deliver_signal).
//
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) timerSignalTaken(info *arch.SignalInfo) bool {
	pts := tg.posixTimers()
	pts.mu.Lock()
	pt := pts.timers[info.TimerID()]
	if _, ok := pts.orphans[info]; ok {
		// The signal of a deleted timer.
		delete(pts.orphans, info)
		pts.mu.Unlock()
		return false
	}
	pts.mu.Unlock()
	if pt == nil {
		// Not a timer's: rt_sigqueueinfo may send SI_TIMER.
		return true
	}
	pt.mu.Lock()
	defer pt.mu.Unlock()
	if pt.sent != info {
		return true
	}
	pt.sent = nil
	if !pt.current {
		return false
	}
	pt.lastOverrun = pt.overrun
	info.SetOverrun(pt.overrun)
	pt.overrun = 0
	return true
}

// signalQueued reports whether info is in target's queue (the
// process's when nil).
func (tg *ThreadGroup) signalQueued(target *Task, info *arch.SignalInfo) bool {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	q := &tg.pending
	if target != nil {
		q = &target.pending
	}
	return q.holds(info)
}

// stopPosixTimers deletes every timer when the process dies or execs.
func (tg *ThreadGroup) stopPosixTimers() {
	pts := tg.posixTimers()
	pts.mu.Lock()
	timers := pts.timers
	pts.timers = map[int32]*posixTimer{}
	pts.mu.Unlock()
	for _, pt := range timers {
		pt.stop()
	}
	pts.mu.Lock()
	for _, pt := range timers {
		pts.orphanLocked(pt)
	}
	pts.mu.Unlock()
}
