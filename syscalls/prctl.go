package syscalls

import (
	"bytes"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

func prctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if r, err, ok := capPrctl(t, a); ok {
		return r, err
	}
	switch int(a[0]) {
	case unix.PR_SET_NAME:
		b := make([]byte, 16)
		n, err := t.CopyIn(a[1], b)
		if n == 0 && err != nil {
			return 0, unix.EFAULT
		}
		b = b[:n]
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		t.SetName(string(b))
		return 0, nil
	case unix.PR_GET_NAME:
		b := make([]byte, 16)
		copy(b, t.Name())
		return 0, copyOutFull(t, a[1], b)
	case unix.PR_SET_PDEATHSIG:
		if a[1] > linux.NumSignals {
			return 0, unix.EINVAL
		}
		t.SetPdeathSignal(int(a[1]))
		return 0, nil
	case unix.PR_GET_PDEATHSIG:
		return 0, copyOutU32(t, a[1], uint32(t.PdeathSignal()))
	case unix.PR_SET_CHILD_SUBREAPER:
		t.ThreadGroup().SetSubreaper(a[1] != 0)
		return 0, nil
	case unix.PR_GET_CHILD_SUBREAPER:
		v := uint32(0)
		if t.ThreadGroup().Subreaper() {
			v = 1
		}
		return 0, copyOutU32(t, a[1], v)
	case unix.PR_SET_NO_NEW_PRIVS:
		if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		t.SetNoNewPrivs()
		return 0, nil
	case unix.PR_GET_NO_NEW_PRIVS:
		if a[1] != 0 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
			return 0, unix.EINVAL
		}
		if t.NoNewPrivs() {
			return 1, nil
		}
		return 0, nil
	case unix.PR_GET_SECCOMP:
		mode, _ := t.SeccompMode()
		return uintptr(mode), nil
	case unix.PR_SET_SECCOMP:
		switch a[1] {
		case kernel.SeccompModeStrict:
			// Strict mode through prctl ignores the third argument.
			return doSeccomp(t, unix.SECCOMP_SET_MODE_STRICT, 0, 0)
		case kernel.SeccompModeFilter:
			return doSeccomp(t, unix.SECCOMP_SET_MODE_FILTER, 0, a[2])
		}
		return 0, unix.EINVAL
	case unix.PR_GET_DUMPABLE:
		return uintptr(t.ThreadGroup().Dumpable()), nil
	case unix.PR_SET_DUMPABLE:
		if a[1] > 1 {
			return 0, unix.EINVAL
		}
		t.ThreadGroup().SetDumpable(int(a[1]))
		return 0, nil
	case unix.PR_GET_TIMERSLACK:
		return uintptr(t.TimerSlack()), nil
	case unix.PR_SET_TIMERSLACK:
		t.SetTimerSlack(uint64(a[1]))
		return 0, nil
	case unix.PR_GET_TID_ADDRESS:
		return 0, copyOutU64(t, a[1], uint64(t.ClearChildTID()))
	case unix.PR_TASK_PERF_EVENTS_DISABLE, unix.PR_TASK_PERF_EVENTS_ENABLE:
		// They switch the task's perf events, and kite has none
		// (perf_event_open is ENOSYS): done, as Linux for a task
		// without events.
		return 0, nil
	case unix.PR_MCE_KILL:
		if a[3]|a[4] != 0 {
			return 0, unix.EINVAL
		}
		switch a[1] {
		case unix.PR_MCE_KILL_CLEAR:
			if a[2] != 0 {
				return 0, unix.EINVAL
			}
			t.SetMCEKill(unix.PR_MCE_KILL_DEFAULT)
		case unix.PR_MCE_KILL_SET:
			switch a[2] {
			case unix.PR_MCE_KILL_EARLY, unix.PR_MCE_KILL_LATE, unix.PR_MCE_KILL_DEFAULT:
				t.SetMCEKill(int(a[2]))
			default:
				return 0, unix.EINVAL
			}
		default:
			return 0, unix.EINVAL
		}
		return 0, nil
	case unix.PR_MCE_KILL_GET:
		if a[1]|a[2]|a[3]|a[4] != 0 {
			return 0, unix.EINVAL
		}
		return uintptr(t.MCEKill()), nil
	case unix.PR_GET_TSC:
		// kite never makes rdtsc fault (PR_SET_TSC is EINVAL).
		return 0, copyOutU32(t, a[1], unix.PR_TSC_ENABLE)
	}
	return 0, unix.EINVAL
}

// rusage who values.
const (
	rusageSelf     = 0
	rusageChildren = -1
	rusageThread   = 1
)

func getrusage(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var user, sys time.Duration
	var ru kernel.Rusage
	switch int32(a[0]) {
	case rusageSelf:
		user, sys = t.ThreadGroup().CPUTime()
		ru = t.ProcessRusage()
	case rusageChildren:
		user, sys = t.ThreadGroup().ChildrenCPUTime()
		ru = t.ThreadGroup().ChildrenRusage()
	case rusageThread:
		user, sys = t.CPUTime()
		ru = t.ThreadRusage()
	default:
		return 0, unix.EINVAL
	}
	b := encodeRusage(int64(user), int64(sys))
	putU64(b, 32, uint64(ru.MaxRSS))
	putU64(b, 64, uint64(ru.MinFlt))
	putU64(b, 72, uint64(ru.MajFlt))
	putU64(b, 128, uint64(ru.NVCSw))
	putU64(b, 136, uint64(ru.NIVCSw))
	return 0, copyOutFull(t, a[1], b)
}

// clockTicks is USER_HZ, the unit of times(2).
const clockTicks = 100

func times(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tg := t.ThreadGroup()
	u, s := tg.CPUTime()
	cu, cs := tg.ChildrenCPUTime()
	ticks := func(d time.Duration) uint64 { return uint64(d / (time.Second / clockTicks)) }
	if a[0] != 0 {
		b := make([]byte, 32)
		putU64(b, 0, ticks(u))
		putU64(b, 8, ticks(s))
		putU64(b, 16, ticks(cu))
		putU64(b, 24, ticks(cs))
		if err := copyOutFull(t, a[0], b); err != nil {
			return 0, err
		}
	}
	return uintptr(ticks(time.Since(t.Kernel().BootTime()))), nil
}
