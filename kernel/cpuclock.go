package kernel

import (
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
