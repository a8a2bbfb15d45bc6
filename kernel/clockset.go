package kernel

import (
	"sync"

	"golang.org/x/sys/unix"
)

// What hears of CLOCK_REALTIME being set (Linux's clock_was_set): the
// realtime timerfds (ipc.RealtimeTimerFDs), the timer_create timers armed
// with TIMER_ABSTIME on a realtime clock, which look at their expiry
// again, and absolute realtime sleeps (clock_nanosleep), which wait on
// RealtimeStep's channel. Relative timers and sleeps count on
// CLOCK_MONOTONIC and do not move, as Linux maps relative CLOCK_REALTIME
// hrtimers to the monotonic base.

// realtimeWatchers are a kernel's absolute realtime timers and sleepers.
type realtimeWatchers struct {
	// mu guards the fields below. It is a leaf: taken under
	// posixTimer.mu, never while taking one.
	mu sync.Mutex
	// timers are the armed absolute realtime timers, with the task whose
	// clocks they read.
	timers map[*posixTimer]*Task
	// step is closed at the next step (nil until somebody waits).
	step chan struct{}
}

// isRealtimeClock reports whether clock follows CLOCK_REALTIME's steps.
func isRealtimeClock(clock int32) bool {
	return clock == unix.CLOCK_REALTIME || clock == unix.CLOCK_REALTIME_ALARM || clock == unix.CLOCK_TAI
}

// RealtimeStep returns a channel closed when CLOCK_REALTIME next steps:
// an absolute realtime sleep takes it before it reads the clock, and
// looks again when it is closed.
func (k *Kernel) RealtimeStep() <-chan struct{} {
	w := &k.rtWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.step == nil {
		w.step = make(chan struct{})
	}
	return w.step
}

// watchRealtime adds (on) or removes an absolute realtime timer.
func (k *Kernel) watchRealtime(pt *posixTimer, creator *Task, on bool) {
	w := &k.rtWatch
	w.mu.Lock()
	defer w.mu.Unlock()
	if !on {
		delete(w.timers, pt)
		return
	}
	if w.timers == nil {
		w.timers = make(map[*posixTimer]*Task)
	}
	w.timers[pt] = creator
}

// clockWasSet runs when CLOCK_REALTIME steps (timekeeping's
// OnRealtimeStep).
func (k *Kernel) clockWasSet() {
	k.rtTimers.ClockWasSet()
	w := &k.rtWatch
	w.mu.Lock()
	if w.step != nil {
		close(w.step)
		w.step = nil
	}
	timers := make(map[*posixTimer]*Task, len(w.timers))
	for pt, creator := range w.timers {
		timers[pt] = creator
	}
	w.mu.Unlock()
	for pt, creator := range timers {
		pt.clockWasSet(creator)
	}
}

// clockWasSet looks at an absolute realtime timer's expiry again: it
// fires now if the clock passed it, else its host timer starts again
// for the new distance.
func (pt *posixTimer) clockWasSet(creator *Task) {
	pt.mu.Lock()
	if pt.deadline == 0 || !pt.abs {
		pt.mu.Unlock()
		return
	}
	pt.gen++
	if pt.timer != nil {
		pt.timer.Stop()
		pt.timer = nil
	}
	gen := pt.gen
	pt.mu.Unlock()
	pt.fire(creator, gen)
}
