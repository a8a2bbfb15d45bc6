package hostsys

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// CPUs returns the CPUs the calling thread may run on, in order.
func CPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, err
	}
	var cpus []int
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus, nil
}

// HostCPUs returns the host CPUs of mask (bit i: the i-th of cpus); all of
// cpus if the mask names none of them.
func HostCPUs(cpus []int, mask uint64) unix.CPUSet {
	var set unix.CPUSet
	for i, cpu := range cpus {
		if i < 64 && mask&(1<<i) != 0 {
			set.Set(cpu)
		}
	}
	if set.Count() == 0 {
		for _, cpu := range cpus {
			set.Set(cpu)
		}
	}
	return set
}

// FirstCPU returns the lowest CPU in set.
func FirstCPU(set *unix.CPUSet) int {
	for cpu := 0; cpu < len(set)*64; cpu++ {
		if set.IsSet(cpu) {
			return cpu
		}
	}
	return 0
}

// CPUIndex returns the index of cpu in cpus, or -1 (for
// platform.Scheduler.CPU).
func CPUIndex(cpus []int, cpu int) int {
	for i, x := range cpus {
		if x == cpu {
			return i
		}
	}
	return -1
}

// SetThreadSched gives host thread tid the policy, priority and nice value
// of s. If the host refuses them together (a real-time policy, or leaving
// SCHED_IDLE, without host privilege), the nice value alone is tried; what
// the host still refuses is left as it was.
func SetThreadSched(tid int, s platform.Scheduling) {
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
