package ptrace

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

var _ platform.Scheduler = (*context)(nil)

// SetScheduling implements platform.Scheduler: the policy, priority and
// nice value go to kite's OS thread and every live stub thread of the
// Context; the CPU mask restricts kite's OS thread (CPUFollow, CPUFree) or
// picks the CPU it is pinned to (CPUPin), and the stub threads follow.
func (c *context) SetScheduling(s platform.Scheduling) {
	c.sched, c.schedSet = s, true
	setThreadSched(c.tid, s)
	hostsys.SetIOPrio(c.tid, s.IOPrio)
	mask := c.hostCPUs(s.CPUs)
	if c.policy == CPUPin && c.cpu >= 0 {
		if !mask.IsSet(c.cpu) {
			c.cpu = firstCPU(&mask)
		}
		hostsys.PinThread(0, c.cpu)
	} else {
		unix.SchedSetaffinity(0, &mask)
	}
	for a, t := range c.threads {
		if !t.Dead && !a.released.Load() {
			c.applySched(t)
		}
	}
}

// applySched gives stub thread t the Context's scheduling.
func (c *context) applySched(t *thread) {
	setThreadSched(t.Tid, c.sched)
	switch {
	case c.policy == CPUPin && c.cpu >= 0:
		hostsys.PinThread(t.Tid, c.cpu)
	case t.follows:
		// The next Switch restricts it to the CPU kite's thread is on,
		// which is in the mask.
		t.CPU = -1
	default:
		mask := c.hostCPUs(c.sched.CPUs)
		unix.SchedSetaffinity(t.Tid, &mask)
	}
}

// CPU implements platform.Scheduler.
func (c *context) CPU() int {
	cpu := c.cpu
	if c.policy != CPUPin || cpu < 0 {
		// kite's OS thread: its stub thread follows it (CPUFollow) or
		// shares its mask (CPUFree).
		cpu = hostsys.Getcpu()
	}
	for i, x := range c.p.cpus {
		if x == cpu {
			return i
		}
	}
	return -1
}

// hostCPUs returns the host CPUs of mask (bit i: the platform's i-th
// CPU); all of them if the mask names none.
func (c *context) hostCPUs(mask uint64) unix.CPUSet {
	var set unix.CPUSet
	for i, cpu := range c.p.cpus {
		if i < 64 && mask&(1<<i) != 0 {
			set.Set(cpu)
		}
	}
	if set.Count() == 0 {
		for _, cpu := range c.p.cpus {
			set.Set(cpu)
		}
	}
	return set
}

// firstCPU returns the lowest CPU in set.
func firstCPU(set *unix.CPUSet) int {
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if set.IsSet(cpu) {
			return cpu
		}
	}
	return 0
}

// setThreadSched gives host thread tid the policy, priority and nice value
// of s. If the host refuses them together (a real-time policy, or leaving
// SCHED_IDLE, without host privilege), the nice value alone is tried; what
// the host still refuses is left as it was.
func setThreadSched(tid int, s platform.Scheduling) {
	attr := unix.SchedAttr{
		Size:     unix.SizeofSchedAttr,
		Policy:   uint32(s.Policy),
		Nice:     int32(s.Nice),
		Priority: uint32(s.Priority),
	}
	if unix.SchedSetAttr(tid, &attr, 0) == nil {
		return
	}
	unix.Setpriority(unix.PRIO_PROCESS, tid, s.Nice)
}
