package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// schedTarget finds the task a sched_* call names (0: the caller).
func schedTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid < 0 {
		return nil, unix.EINVAL
	}
	if pid == 0 {
		return t, nil
	}
	x := t.TaskByPID(pid)
	if x == nil {
		return nil, unix.ESRCH
	}
	return x, nil
}

// schedResetOnFork is SCHED_RESET_ON_FORK, or-ed into the policy.
const schedResetOnFork = 0x40000000

func schedSetscheduler(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, policy := int32(a[0]), int(int32(a[1]))
	if a[2] == 0 || policy < 0 {
		return 0, unix.EINVAL
	}
	x, err := schedTarget(t, pid)
	if err != nil {
		return 0, err
	}
	prio, err := copyInU32(t, a[2])
	if err != nil {
		return 0, err
	}
	return 0, x.SetSched(t, policy&^schedResetOnFork, int(int32(prio)), policy&schedResetOnFork != 0)
}

func schedGetscheduler(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	x, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	st := x.Sched()
	if st.ResetOnFork {
		return uintptr(st.Policy | schedResetOnFork), nil
	}
	return uintptr(st.Policy), nil
}

func schedSetparam(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, unix.EINVAL
	}
	x, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	prio, err := copyInU32(t, a[1])
	if err != nil {
		return 0, err
	}
	st := x.Sched()
	return 0, x.SetSched(t, st.Policy, int(int32(prio)), st.ResetOnFork)
}

func schedGetparam(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] == 0 {
		return 0, unix.EINVAL
	}
	x, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	return 0, copyOutU32(t, a[1], uint32(x.Sched().Priority))
}

func priorityRange(policy int) (lo, hi int, err error) {
	switch policy {
	case kernel.SchedFIFO, kernel.SchedRR:
		return 1, 99, nil
	case kernel.SchedOther, kernel.SchedBatch, kernel.SchedIdle, 6: // 6: SCHED_DEADLINE
		return 0, 0, nil
	}
	return 0, 0, unix.EINVAL
}

func schedGetPriorityMax(_ *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	_, hi, err := priorityRange(int(int32(a[0])))
	return uintptr(hi), err
}

func schedGetPriorityMin(_ *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	lo, _, err := priorityRange(int(int32(a[0])))
	return uintptr(lo), err
}

// affinityTarget is the task sched_getaffinity and sched_setaffinity
// act on: they look pid up as it is, so a negative one is ESRCH (the
// other sched_* calls refuse it with EINVAL).
func affinityTarget(t *kernel.Task, pid int32) (*kernel.Task, error) {
	if pid < 0 {
		return nil, unix.ESRCH
	}
	return schedTarget(t, pid)
}

func schedSetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	// Linux copies the mask in before it looks for the task.
	size := a[1]
	b := make([]byte, min(size, 8))
	if err := copyInFull(t, a[2], b); err != nil {
		return 0, err
	}
	x, err := affinityTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	if size == 0 {
		return 0, unix.EINVAL
	}
	var mask uint64
	for i, c := range b {
		mask |= uint64(c) << (8 * i)
	}
	return 0, x.SetAffinity(t, mask)
}

func setpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tasks, err := t.TasksOf(int(int32(a[0])), int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	var last error
	for _, x := range tasks {
		if err := x.SetNice(t, int(int32(a[2]))); err != nil {
			last = err
		}
	}
	return 0, last
}

func getpriority(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tasks, err := t.TasksOf(int(int32(a[0])), int(int32(a[1])))
	if err != nil {
		return 0, err
	}
	// The raw system call returns 20 - nice of the highest priority.
	best := 19
	for _, x := range tasks {
		best = min(best, x.Sched().Nice)
	}
	return uintptr(20 - best), nil
}

func schedRRGetInterval(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	x, err := schedTarget(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var b [16]byte
	if x.Sched().Policy == kernel.SchedRR {
		encodeTimespec(b[:], 100*1000*1000) // Linux's default RR timeslice
	}
	return 0, copyOutFull(t, a[1], b[:])
}
