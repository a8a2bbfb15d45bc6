package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/kernel/futex"
)

// futexHasTimeout reports whether futex(2)'s fourth argument is a timeout
// for cmd (Linux's futex_cmd_has_timeout); for the other commands it is a
// count.
func futexHasTimeout(cmd int32) bool {
	switch cmd {
	case futex.FUTEX_WAIT, futex.FUTEX_LOCK_PI, futex.FUTEX_LOCK_PI2, futex.FUTEX_WAIT_BITSET, futex.FUTEX_WAIT_REQUEUE_PI:
		return true
	}
	return false
}

// taskLookup returns the futex.TaskLookup of t: a TID as t's PID
// namespace numbers it; a thread's identity is its *kernel.Task.
func taskLookup(t *kernel.Task) futex.TaskLookup {
	return func(tid int32) (any, int32) {
		if o := t.TaskByPID(tid); o != nil {
			return o, o.ThreadID()
		}
		return nil, 0
	}
}

// futexSyscall is futex(2): futex(uaddr, op, val, timeout or val2, uaddr2,
// val3).
func futexSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, op, val := a[0], int32(a[1]), uint32(a[2])
	addr2, val3 := a[4], uint32(a[5])
	cmd := op & futex.FUTEX_CMD_MASK
	private := op&futex.FUTEX_PRIVATE_FLAG != 0
	realtime := op&futex.FUTEX_CLOCK_REALTIME != 0

	// The timeout is read and checked before anything else, as Linux.
	var deadline time.Time
	if a[3] != 0 && futexHasTimeout(cmd) {
		sec, nsec, err := copyInTimespec(t, a[3])
		if err != nil {
			return 0, err
		}
		switch {
		case cmd == futex.FUTEX_WAIT:
			deadline = time.Now().Add(durationOf(sec, nsec))
		case cmd == futex.FUTEX_LOCK_PI || realtime:
			deadline = time.Unix(sec, nsec)
		default:
			deadline = monotonicDeadline(t, sec, nsec)
		}
	}
	if realtime && cmd != futex.FUTEX_WAIT_BITSET && cmd != futex.FUTEX_WAIT_REQUEUE_PI && cmd != futex.FUTEX_LOCK_PI2 {
		return 0, unix.ENOSYS
	}
	// Counts are ints in Linux; the fourth argument is one (val2) for
	// the commands without a timeout.
	nr, nr2 := int(int32(val)), int(int32(uint32(a[3])))
	m := t.Kernel().Futex()
	mem := t.MemoryManager()
	switch cmd {
	case futex.FUTEX_WAIT, futex.FUTEX_WAIT_BITSET:
		bitset := val3
		if cmd == futex.FUTEX_WAIT {
			bitset = futex.FUTEX_BITSET_MATCH_ANY
		}
		err := m.Wait(t, mem, addr, private, val, bitset, deadline)
		if err != unix.EINTR {
			return 0, err
		}
		switch {
		case deadline.IsZero():
			return 0, kernel.ERESTARTSYS
		case cmd == futex.FUTEX_WAIT_BITSET:
			// An absolute deadline: running the call again is
			// what Linux's restart block does.
			return 0, kernel.ERESTART_RESTARTBLOCK
		}
		// A relative timeout would start again in full if the call
		// were restarted as it is; kite has no restart block yet.
		return 0, unix.EINTR
	case futex.FUTEX_WAKE, futex.FUTEX_WAKE_BITSET:
		bitset := val3
		if cmd == futex.FUTEX_WAKE {
			bitset = futex.FUTEX_BITSET_MATCH_ANY
		}
		n, err := m.Wake(mem, addr, private, nr, bitset)
		return uintptr(n), err
	case futex.FUTEX_REQUEUE, futex.FUTEX_CMP_REQUEUE:
		n, err := m.Requeue(mem, addr, addr2, private, nr, nr2, cmd == futex.FUTEX_CMP_REQUEUE, val3)
		return uintptr(n), err
	case futex.FUTEX_WAKE_OP:
		n, err := m.WakeOp(mem, addr, addr2, private, nr, nr2, val3)
		return uintptr(n), err
	case futex.FUTEX_LOCK_PI, futex.FUTEX_LOCK_PI2, futex.FUTEX_TRYLOCK_PI:
		try := cmd == futex.FUTEX_TRYLOCK_PI
		err := m.LockPI(t, mem, addr, private, t.TID(), t.ThreadID(), deadline, try, taskLookup(t))
		if err == unix.EINTR {
			// Linux restarts an interrupted PI lock in every case.
			return 0, kernel.ERESTARTNOINTR
		}
		return 0, err
	case futex.FUTEX_UNLOCK_PI:
		return 0, m.UnlockPI(mem, addr, private, t.TID(), t.ThreadID())
	case futex.FUTEX_WAIT_REQUEUE_PI:
		err := m.WaitRequeuePI(t, mem, addr, addr2, private, val, t.TID(), t.ThreadID(), deadline)
		if err == unix.EINTR {
			return 0, kernel.ERESTARTNOINTR
		}
		return 0, err
	case futex.FUTEX_CMP_REQUEUE_PI:
		n, err := m.CmpRequeuePI(mem, addr, addr2, private, nr, nr2, val3, taskLookup(t))
		return uintptr(n), err
	}
	// FUTEX_FD (gone since Linux 2.6.26) and unknown commands.
	return 0, unix.ENOSYS
}

// monotonicDeadline converts an absolute CLOCK_MONOTONIC time (kite's
// monotonic clock counts from the kernel's boot) to a deadline.
func monotonicDeadline(t *kernel.Task, sec, nsec int64) time.Time {
	return t.Kernel().Clock().HostDeadline(int64(durationOf(sec, nsec)))
}

// futex2Deadline reads the absolute timeout of the futex2 calls
// (futex_waitv, futex_wait) on clock id (CLOCK_REALTIME or
// CLOCK_MONOTONIC, else EINVAL). A zero addr means no timeout.
func futex2Deadline(t *kernel.Task, addr uintptr, id int32) (time.Time, error) {
	if addr == 0 {
		return time.Time{}, nil
	}
	if id != clockRealtime && id != clockMonotonic {
		return time.Time{}, unix.EINVAL
	}
	sec, nsec, err := copyInTimespec(t, addr)
	if err != nil {
		return time.Time{}, err
	}
	if id == clockRealtime {
		return time.Unix(sec, nsec), nil
	}
	return monotonicDeadline(t, sec, nsec), nil
}

// futex2Private validates futex2 flags (FUTEX2_SIZE_*, FUTEX2_PRIVATE;
// FUTEX2_NUMA and FUTEX2_MPOL are not supported) and says whether they
// name a private futex. Only 32-bit futexes exist, as on Linux.
func futex2Private(flags uint64) (bool, error) {
	if flags&^uint64(futex.FUTEX2_SIZE_MASK|futex.FUTEX2_NUMA|futex.FUTEX2_MPOL|futex.FUTEX2_PRIVATE) != 0 {
		return false, unix.EINVAL
	}
	if flags&futex.FUTEX2_SIZE_MASK != futex.FUTEX2_SIZE_U32 {
		return false, unix.EINVAL
	}
	if flags&(futex.FUTEX2_NUMA|futex.FUTEX2_MPOL) != 0 {
		return false, unix.EINVAL
	}
	return flags&futex.FUTEX2_PRIVATE != 0, nil
}

// futexWaitvSize is sizeof(struct futex_waitv): u64 val, u64 uaddr, u32
// flags, u32 __reserved.
const futexWaitvSize = 24

// copyInWaitv reads and validates the n entries of a struct futex_waitv
// array at addr, one at a time as Linux's futex_parse_waitv, so that the
// first bad entry decides the error.
func copyInWaitv(t *kernel.Task, addr uintptr, n int) ([]futex.WaitVEntry, error) {
	vs := make([]futex.WaitVEntry, n)
	for i := range vs {
		var b [futexWaitvSize]byte
		if err := copyInFull(t, addr+uintptr(i*futexWaitvSize), b[:]); err != nil {
			return nil, err
		}
		val, uaddr, flags := getU64(b[:], 0), getU64(b[:], 8), getU32(b[:], 16)
		if getU32(b[:], 20) != 0 {
			return nil, unix.EINVAL
		}
		private, err := futex2Private(uint64(flags))
		if err != nil {
			return nil, err
		}
		if val > 0xffffffff {
			return nil, unix.EINVAL
		}
		vs[i] = futex.WaitVEntry{Addr: uintptr(uaddr), Val: uint32(val), Private: private}
	}
	return vs, nil
}

// futexWaitv is futex_waitv(waiters, nr_futexes, flags, timeout, clockid).
func futexWaitv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, n, flags := a[0], uint32(a[1]), uint32(a[2])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	if n == 0 || n > futex.FUTEX_WAITV_MAX || addr == 0 {
		return 0, unix.EINVAL
	}
	deadline, err := futex2Deadline(t, a[3], int32(a[4]))
	if err != nil {
		return 0, err
	}
	vs, err := copyInWaitv(t, addr, int(n))
	if err != nil {
		return 0, err
	}
	i, err := t.Kernel().Futex().WaitV(t, t.MemoryManager(), vs, deadline)
	if err == unix.EINTR {
		return 0, kernel.ERESTARTSYS
	}
	return uintptr(i), err
}

// futexWake is futex_wake(uaddr, mask, nr, flags): FUTEX_WAKE_BITSET, but
// waking nobody when nr is 0.
func futexWake(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, mask, nr := a[0], uint64(a[1]), int(int32(a[2]))
	private, err := futex2Private(uint64(uint32(a[3])))
	if err != nil {
		return 0, err
	}
	if mask > 0xffffffff || mask == 0 {
		return 0, unix.EINVAL
	}
	mem := t.MemoryManager()
	if _, err := mem.FutexKey(addr, private); err != nil {
		return 0, err
	}
	if nr == 0 {
		return 0, nil
	}
	n, err := t.Kernel().Futex().Wake(mem, addr, private, nr, uint32(mask))
	return uintptr(n), err
}

// futexWait is futex_wait(uaddr, val, mask, flags, timeout, clockid):
// FUTEX_WAIT_BITSET with an absolute timeout on clockid.
func futexWait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, val, mask := a[0], uint64(a[1]), uint64(a[2])
	private, err := futex2Private(uint64(uint32(a[3])))
	if err != nil {
		return 0, err
	}
	if val > 0xffffffff || mask > 0xffffffff {
		return 0, unix.EINVAL
	}
	deadline, err := futex2Deadline(t, a[4], int32(a[5]))
	if err != nil {
		return 0, err
	}
	err = t.Kernel().Futex().Wait(t, t.MemoryManager(), addr, private, uint32(val), uint32(mask), deadline)
	if err == unix.EINTR {
		return 0, kernel.ERESTARTSYS
	}
	return 0, err
}

// futexRequeue is futex_requeue(waiters[2], flags, nr_wake, nr_requeue):
// FUTEX_CMP_REQUEUE from waiters[0] (whose val is the expected value) to
// waiters[1]. Linux 6.18 refuses a private and a shared futex together.
func futexRequeue(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if uint32(a[1]) != 0 || a[0] == 0 {
		return 0, unix.EINVAL
	}
	vs, err := copyInWaitv(t, a[0], 2)
	if err != nil {
		return 0, err
	}
	if vs[0].Private != vs[1].Private {
		return 0, unix.EINVAL
	}
	n, err := t.Kernel().Futex().Requeue(t.MemoryManager(), vs[0].Addr, vs[1].Addr, vs[0].Private,
		int(int32(a[2])), int(int32(a[3])), true, vs[0].Val)
	return uintptr(n), err
}

// getRobustList is get_robust_list(pid, head_ptr, len_ptr).
func getRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	target := t
	if tid := int32(a[0]); tid != 0 {
		if target = t.TaskByPID(tid); target == nil {
			return 0, unix.ESRCH
		}
	}
	if !mayReadTask(t, target) {
		return 0, unix.EPERM
	}
	head, _ := target.RobustList()
	if err := copyOutU64(t, a[2], futex.RobustListHeadSize); err != nil {
		return 0, err
	}
	return 0, copyOutU64(t, a[1], uint64(head))
}

// mayReadTask is Linux's ptrace_may_access(target,
// PTRACE_MODE_READ_REALCREDS) without security modules: threads of one
// process may; otherwise the caller's real uid and gid must match all of
// the target's and the target be dumpable, unless the caller has
// CAP_SYS_PTRACE over the target's user namespace.
func mayReadTask(t, target *kernel.Task) bool {
	if t.ThreadGroup() == target.ThreadGroup() {
		return true
	}
	c, tc := t.Credentials(), target.Credentials()
	if !c.MayAccess(tc, true) {
		return false
	}
	// SUID_DUMP_USER
	return target.ThreadGroup().Dumpable() == 1 || c.HasCapabilityIn(unix.CAP_SYS_PTRACE, tc.UserNamespace)
}
