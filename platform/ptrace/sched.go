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
	hostsys.SetThreadSched(c.tid, s)
	hostsys.SetIOPrio(c.tid, s.IOPrio)
	mask := c.hostCPUs(s.CPUs)
	if c.policy == CPUPin && c.cpu >= 0 {
		if !mask.IsSet(c.cpu) {
			c.cpu = hostsys.FirstCPU(&mask)
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
	hostsys.SetThreadSched(t.Tid, c.sched)
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
	return hostsys.CPUIndex(c.p.cpus, cpu)
}

// hostCPUs returns the host CPUs of mask (bit i: the platform's i-th
// CPU); all of them if the mask names none.
func (c *context) hostCPUs(mask uint64) unix.CPUSet { return hostsys.HostCPUs(c.p.cpus, mask) }
