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

// struct sched_attr: its sizes and sched_flags bits.
const (
	schedAttrSizeVer0 = 48 // without the utilization clamps
	schedAttrSizeVer1 = 56

	schedFlagResetOnFork = 0x01
	schedFlagKeepPolicy  = 0x08
	schedFlagKeepParams  = 0x10
	schedFlagUtilClamp   = 0x60 // SCHED_FLAG_UTIL_CLAMP_MIN | _MAX
	schedFlagAll         = 0x7f
	schedFlagSugov       = 0x10000000
)

// sched_setattr(2). kite has no utilization clamping (Linux without
// CONFIG_UCLAMP_TASK: EOPNOTSUPP) and no deadline scheduler
// (kernel.Task.SetSchedAttr refuses SCHED_DEADLINE as Linux refuses a
// task it has no bandwidth for).
func schedSetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, pid, flags := a[1], int32(a[0]), uint32(a[2])
	if addr == 0 || pid < 0 || flags != 0 {
		return 0, unix.EINVAL
	}
	b, err := copyInSchedAttr(t, addr)
	if err != nil {
		return 0, err
	}
	policy := int(int32(getU32(b, 4)))
	sflags := getU64(b, 8)
	attr := kernel.SchedAttr{
		Policy:      policy,
		Nice:        min(max(int(int32(getU32(b, 16))), -20), 19),
		Priority:    int(int32(getU32(b, 20))),
		ResetOnFork: sflags&schedFlagResetOnFork != 0,
		Runtime:     getU64(b, 24),
		Deadline:    getU64(b, 32),
		Period:      getU64(b, 40),
	}
	if policy < 0 {
		return 0, unix.EINVAL
	}
	if sflags&schedFlagKeepPolicy != 0 {
		attr.Policy = kernel.KeepPolicy
	}
	x, err := schedTarget(t, pid)
	if err != nil {
		return 0, err
	}
	if sflags&schedFlagKeepParams != 0 {
		// Linux's get_params: a real-time task's priority, another's
		// nice value, checked with the policy asked for; then only the
		// reset-on-fork flag changes.
		attr.KeepParams = true
		if st := x.Sched(); st.Policy == kernel.SchedFIFO || st.Policy == kernel.SchedRR {
			attr.Priority = st.Priority
		} else {
			attr.Nice = st.Nice
		}
	}
	if sflags&^(schedFlagAll|schedFlagSugov) != 0 {
		return 0, unix.EINVAL
	}
	switch {
	case sflags&schedFlagSugov != 0:
		// Only the kernel's own frequency-governor threads may have
		// it: Linux refuses it after the permission checks, and does
		// not look at the deadline parameters.
		attr.Refuse = unix.EINVAL
		attr.Runtime, attr.Deadline, attr.Period = 1e6, 1e7, 1e7
	case sflags&schedFlagUtilClamp != 0:
		attr.Refuse = unix.EOPNOTSUPP
	}
	return 0, x.SetSchedAttr(t, attr)
}

// copyInSchedAttr reads a struct sched_attr as Linux's sched_copy_attr:
// a size of 0 is the first version's; a size below it or above a page,
// or bytes beyond the struct kite knows that are not zero, are E2BIG
// with kite's size written back; the utilization clamps need the second
// version (EINVAL). The result is schedAttrSizeVer1 bytes.
func copyInSchedAttr(t *kernel.Task, addr uintptr) ([]byte, error) {
	size, err := copyInU32(t, addr)
	if err != nil {
		return nil, err
	}
	if size == 0 {
		size = schedAttrSizeVer0
	}
	tooBig := func() error {
		if err := copyOutU32(t, addr, schedAttrSizeVer1); err != nil {
			return err
		}
		return unix.E2BIG
	}
	if size < schedAttrSizeVer0 || size > 4096 {
		return nil, tooBig()
	}
	b, err := copyInStruct(t, addr, schedAttrSizeVer1, int(size))
	if err == unix.E2BIG {
		return nil, tooBig()
	}
	if err != nil {
		return nil, err
	}
	if getU64(b, 8)&schedFlagUtilClamp != 0 && size < schedAttrSizeVer1 {
		return nil, unix.EINVAL
	}
	return b, nil
}

// sched_getattr(2): the policy, SCHED_FLAG_RESET_ON_FORK, a real-time
// task's priority or another's nice value; no utilization clamps and no
// time slice (sched_runtime of a SCHED_OTHER task, which Linux 6.12
// reports, is 0 as before it).
func schedGetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, addr, usize, flags := int32(a[0]), a[1], uint32(a[2]), uint32(a[3])
	if addr == 0 || pid < 0 || usize > 4096 || usize < schedAttrSizeVer0 || flags != 0 {
		return 0, unix.EINVAL
	}
	x, err := schedTarget(t, pid)
	if err != nil {
		return 0, err
	}
	st := x.Sched()
	// Linux 6.13 and later zero what the caller's struct has beyond
	// kite's (copy_struct_to_user).
	b := make([]byte, max(usize, schedAttrSizeVer1))
	putU32(b, 0, min(usize, schedAttrSizeVer1))
	putU32(b, 4, uint32(st.Policy))
	if st.ResetOnFork {
		putU64(b, 8, schedFlagResetOnFork)
	}
	if st.Policy == kernel.SchedFIFO || st.Policy == kernel.SchedRR {
		putU32(b, 20, uint32(st.Priority))
	} else {
		putU32(b, 16, uint32(int32(st.Nice)))
	}
	return 0, copyOutFull(t, addr, b[:usize])
}
