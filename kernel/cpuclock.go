package kernel

import (
	"slices"
	"time"

	"golang.org/x/sys/unix"
)

// The kinds of CPU-time clock a dynamic clock id names (its low two
// bits, Linux's CPUCLOCK_WHICH): user and system time, user time, and
// the time run (kite's user and system time).
const (
	CPUClockProf  = 0
	CPUClockVirt  = 1
	CPUClockSched = 2
)

// CPUClock is the target of a dynamic CPU-time clock id: a thread
// (Task) or a process (Group), and which of its times.
type CPUClock struct {
	Task  *Task
	Group *ThreadGroup
	Which int32
}

// IsDynamicCPUClock reports whether clock id is a dynamic CPU-time
// clock's encoding (negative), valid or not; IsClockFD whether it is
// the other negative encoding, a posix clock device's descriptor
// (low three bits 3: Linux's CLOCKFD), which kite has none of.
func IsDynamicCPUClock(id int32) bool { return id < 0 && !IsClockFD(id) }

// IsClockFD: see IsDynamicCPUClock.
func IsClockFD(id int32) bool { return id < 0 && id&7 == 3 }

// ResolveCPUClock decodes a dynamic CPU-time clock id: the ids of
// clock_getcpuclockid (a process's, pid ~(id>>3)) and
// pthread_getcpuclockid (a thread's, bit 2 set), pid 0 being t itself.
// As Linux's pid_for_clock: a thread clock must name a thread of t's
// process, a process clock a process (or, when gettime, t's own thread
// id); anything else is EINVAL.
func (t *Task) ResolveCPUClock(id int32, gettime bool) (CPUClock, error) {
	which, thread, pid := id&3, id&4 != 0, ^(id >> 3)
	if id >= 0 || which > CPUClockSched {
		return CPUClock{}, unix.EINVAL
	}
	if thread {
		x := t
		if pid != 0 {
			x = t.TaskByPID(pid)
			if x == nil || x.tg != t.tg {
				return CPUClock{}, unix.EINVAL
			}
		}
		return CPUClock{Task: x, Which: which}, nil
	}
	tg := t.tg
	if pid != 0 {
		tg = t.ProcessByPID(pid)
		if tg == nil && gettime && t.TaskByPID(pid) == t {
			tg = t.tg
		}
		if tg == nil {
			return CPUClock{}, unix.EINVAL
		}
	}
	return CPUClock{Group: tg, Which: which}, nil
}

// Read returns the clock's time.
func (c CPUClock) Read() time.Duration {
	var u, s time.Duration
	if c.Task != nil {
		u, s = c.Task.CPUTime()
	} else {
		u, s = c.Group.CPUTime()
	}
	if c.Which == CPUClockVirt {
		return u
	}
	return u + s
}

// group is the process whose threads run the clock's time.
func (c CPUClock) group() *ThreadGroup {
	if c.Task != nil {
		return c.Task.tg
	}
	return c.Group
}

// running reports whether a thread of the clock's target is alive, so
// that the clock may still move. Once it is false the clock's reading is
// final: an exiting task adds its time to its group's dead time in the
// same step that takes it off the group's list.
func (c CPUClock) running() bool {
	tg := c.group()
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	if c.Task != nil {
		return slices.Contains(tg.tasks, c.Task)
	}
	return len(tg.tasks) > 0
}

// reaped reports whether the clock's target is gone for good: a reaped
// process, or an exited thread other than a live process's leader
// (which stays until its process is reaped). Linux's timers on such a
// clock find no task: timer_gettime reads zero, timer_settime is ESRCH.
func (c CPUClock) reaped() bool {
	if c.running() {
		return false
	}
	tg := c.group()
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if c.Task != nil && c.Task != tg.leader {
		return true
	}
	return tg.state == groupDead
}

// cpuPoll paces the checks of a CPU clock that has not reached a
// deadline. Nothing tells kite when a CPU clock moves: its owner looks
// again after the time left (the clock moves at most as fast as the wall
// clock per thread), at least cpuPollMin, and backs off up to
// cpuPollMax while the clock stands still (its threads blocked or
// stopped), as Linux checks CPU timers only on the ticks of a running
// thread.
type cpuPoll struct {
	last, idle time.Duration
}

const (
	cpuPollMin = time.Millisecond
	cpuPollMax = 64 * time.Millisecond
)

// next is how long to wait after reading now, left short of the deadline.
func (p *cpuPoll) next(now, left time.Duration) time.Duration {
	if now == p.last {
		p.idle = min(max(2*p.idle, cpuPollMin), cpuPollMax)
	} else {
		p.idle = 0
	}
	p.last = now
	return max(left, cpuPollMin, p.idle)
}

// SleepOnCPUClock blocks t until clock c reads deadline or later, as
// clock_nanosleep on a CPU-time clock (Linux arms a CPU timer and
// sleeps). A clock whose target has exited never gets there: t then
// sleeps until interrupted. It returns nil at the deadline and
// ERESTARTSYS when t is interrupted (see Interrupted). The sleep counts
// as one voluntary context switch, however many checks it takes.
func (t *Task) SleepOnCPUClock(c CPUClock, deadline time.Duration) error {
	switches := t.ru.nvcsw.Load()
	defer func() {
		if t.ru.nvcsw.Load() > switches+1 {
			t.ru.nvcsw.Store(switches + 1)
		}
	}()
	p := cpuPoll{last: -1}
	for {
		running := c.running()
		now := c.Read()
		if now >= deadline {
			return nil
		}
		if !running {
			return t.Park(nil)
		}
		// A single thread's clock gains at most the wall time slept:
		// look again within a tick while it runs, so that the sleeper
		// wakes about when Linux's would.
		d := p.next(now, min(deadline-now, 4*time.Millisecond))
		if err := t.ParkTimeout(nil, time.Now().Add(d)); err != unix.ETIMEDOUT {
			return err
		}
	}
}
