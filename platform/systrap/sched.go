package systrap

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

var _ platform.Scheduler = (*context)(nil)

// SetScheduling implements platform.Scheduler: the policy, priority and
// nice value go to kite's OS thread and every live stub thread of the
// Context, the I/O priority to kite's OS thread; the CPU mask restricts
// kite's OS thread, and its stub threads follow it (or, while they poll,
// get the mask).
func (c *context) SetScheduling(s platform.Scheduling) {
	c.sched, c.schedSet = s, true
	hostsys.SetThreadSched(c.tid, s)
	hostsys.SetIOPrio(c.tid, s.IOPrio)
	c.mask = hostsys.HostCPUs(c.p.cpus, s.CPUs)
	unix.SchedSetaffinity(0, &c.mask)
	for a, t := range c.threads {
		if !t.dead && !a.released.Load() {
			c.applySched(t)
		}
	}
}

// applySched gives stub thread t the Context's scheduling.
func (c *context) applySched(t *appThread) {
	hostsys.SetThreadSched(t.tid, c.sched)
	unix.SchedSetaffinity(t.tid, &c.mask)
	// The next Switch restricts it to kite's CPU again if it follows.
	t.follower.CPU = -1
}

// CPU implements platform.Scheduler: kite's OS thread's CPU, which its
// stub thread follows or shares the mask of.
func (c *context) CPU() int {
	return hostsys.CPUIndex(c.p.cpus, hostsys.Getcpu())
}
