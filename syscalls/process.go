package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/kernel"
)

func getpid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.PID()), nil
}

func getppid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.ParentPID()), nil
}

func gettid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.TID()), nil
}

// The get*id calls show kernel ids through the caller's user namespace.

func getuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.UID(t.Credentials().RealUID)), nil
}

func geteuid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.UID(t.Credentials().EffectiveUID)), nil
}

func getgid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.GID(t.Credentials().RealGID)), nil
}

func getegid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.GID(t.Credentials().EffectiveGID)), nil
}

func getresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a[0], a[1], a[2], t.UID(c.RealUID), t.UID(c.EffectiveUID), t.UID(c.SavedUID))
}

func getresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	c := t.Credentials()
	return 0, copyOutIDs(t, a[0], a[1], a[2], t.GID(c.RealGID), t.GID(c.EffectiveGID), t.GID(c.SavedGID))
}

func copyOutIDs(t *kernel.Task, ra, ea, sa uintptr, r, e, s uint32) error {
	if err := copyOutU32(t, ra, r); err != nil {
		return err
	}
	if err := copyOutU32(t, ea, e); err != nil {
		return err
	}
	return copyOutU32(t, sa, s)
}

// ngroupsMax is Linux's NGROUPS_MAX.
const ngroupsMax = auth.NGroupsMax

func getgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	size := int32(a[0])
	groups := t.Credentials().Groups
	if size < 0 {
		return 0, unix.EINVAL
	}
	if size == 0 {
		return uintptr(len(groups)), nil
	}
	if int(size) < len(groups) {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*len(groups))
	for i, g := range groups {
		putU32(b, 4*i, t.GID(g))
	}
	if err := copyOutFull(t, a[1], b); err != nil {
		return 0, err
	}
	return uintptr(len(groups)), nil
}

func exit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.Exit(int(a[0] & 0xff))
	return 0, nil
}

func exitGroup(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.ExitGroup(int(a[0] & 0xff))
	return 0, nil
}

func setTIDAddress(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.SetClearChildTID(a[0])
	return uintptr(t.TID()), nil
}

// robustListHeadSize is sizeof(struct robust_list_head) on amd64.
const robustListHeadSize = 24

func setRobustList(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != robustListHeadSize {
		return 0, unix.EINVAL
	}
	t.SetRobustList(a[0], a[1])
	return 0, nil
}

// arch_prctl codes.
const (
	archSetGS    = 0x1001
	archSetFS    = 0x1002
	archGetFS    = 0x1003
	archGetGS    = 0x1004
	archGetCPUID = 0x1011
	archSetCPUID = 0x1012
)

func archPrctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	regs := t.Registers()
	max := t.Kernel().Platform().MaxUserAddress()
	switch a[0] {
	case archSetFS:
		if a[1] >= max {
			return 0, unix.EPERM
		}
		regs.Fs_base = uint64(a[1])
		return 0, nil
	case archSetGS:
		if a[1] >= max {
			return 0, unix.EPERM
		}
		regs.Gs_base = uint64(a[1])
		return 0, nil
	case archGetFS:
		return 0, copyOutU64(t, a[1], regs.Fs_base)
	case archGetGS:
		return 0, copyOutU64(t, a[1], regs.Gs_base)
	case archGetCPUID:
		// CPUID is never made to fault.
		return 1, nil
	case archSetCPUID:
		if a[1] != 0 {
			return 0, nil
		}
		// Linux answers ENODEV when the CPU cannot fault CPUID; kite
		// does not offer CPUID faulting.
		return 0, unix.ENODEV
	}
	return 0, unix.EINVAL
}

// rlimitNote is the table note of getrlimit, setrlimit and prlimit64.
const rlimitNote = "limits enforced: NOFILE, STACK, AS, DATA, FSIZE (EFBIG and SIGXFSZ), " +
	"CPU (SIGXCPU each second from the soft limit, SIGKILL at the hard; CPU time as kite accounts it), " +
	"MEMLOCK, NPROC, SIGPENDING, MSGQUEUE (NPROC, SIGPENDING, MSGQUEUE and SHM_LOCK counted per kernel uid, " +
	"not per user namespace), NICE, RTPRIO, RTTIME (a SCHED_FIFO or SCHED_RR thread's CPU time as kite accounts it since it last slept in a blocking call: " +
	"SIGXCPU from the soft limit, each second while under the hard, SIGKILL at the hard); RSS and LOCKS are only recorded, as on Linux"

// rlimit encodes a struct rlimit (16 bytes).
func encodeRlimit(l kernel.Limit) []byte {
	b := make([]byte, 16)
	putU64(b, 0, l.Cur)
	putU64(b, 8, l.Max)
	return b
}

// privileged reports whether the task may raise hard limits
// (CAP_SYS_RESOURCE; until capabilities exist, euid 0).
func privileged(t *kernel.Task) bool {
	return t.Credentials().HasGlobalCapability(unix.CAP_SYS_RESOURCE)
}

func prlimit64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, res, newAddr, oldAddr := int32(a[0]), uint32(a[1]), a[2], a[3]
	var newLimit *kernel.Limit
	if newAddr != 0 {
		var b [16]byte
		if err := copyInFull(t, newAddr, b[:]); err != nil {
			return 0, err
		}
		newLimit = &kernel.Limit{Cur: getU64(b[:], 0), Max: getU64(b[:], 8)}
	}
	// The target is any thread (find_task_by_vpid); another one than
	// the caller needs matching ids or CAP_SYS_RESOURCE over it, and
	// only then is the resource checked.
	tg := t.ThreadGroup()
	if pid != 0 {
		x := t.TaskByPID(pid)
		if x == nil {
			return 0, unix.ESRCH
		}
		if x != t && !t.Credentials().MayPrlimit(x.Credentials()) {
			return 0, unix.EPERM
		}
		tg = x.ThreadGroup()
	}
	if res >= kernel.NumLimits {
		return 0, unix.EINVAL
	}
	old := tg.Limits().Get(int(res))
	if newLimit != nil {
		var err error
		if old, err = tg.Limits().Set(int(res), *newLimit, privileged(t)); err != nil {
			return 0, err
		}
		t.Kernel().LimitChanged(tg, int(res))
	}
	if oldAddr != 0 {
		if err := copyOutFull(t, oldAddr, encodeRlimit(old)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func getrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	res := int(a[0])
	if res < 0 || res >= kernel.NumLimits {
		return 0, unix.EINVAL
	}
	return 0, copyOutFull(t, a[1], encodeRlimit(t.ThreadGroup().Limits().Get(res)))
}

func setrlimit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	res := int(a[0])
	if res < 0 || res >= kernel.NumLimits {
		return 0, unix.EINVAL
	}
	var b [16]byte
	if err := copyInFull(t, a[1], b[:]); err != nil {
		return 0, err
	}
	tg := t.ThreadGroup()
	if _, err := tg.Limits().Set(res, kernel.Limit{Cur: getU64(b[:], 0), Max: getU64(b[:], 8)}, privileged(t)); err != nil {
		return 0, err
	}
	t.Kernel().LimitChanged(tg, res)
	return 0, nil
}

func schedYield(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	t.Yield()
	return 0, nil
}

func schedGetaffinity(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, size, addr := int32(a[0]), a[1], a[2]
	// The mask is a multiple of a long and at least as long as the
	// kernel's cpumask (one long for up to 64 CPUs); Linux checks that
	// before it looks for the task.
	n := t.Kernel().NumCPU()
	maskSize := uintptr(8 * ((n + 63) / 64))
	if size*8 < uintptr(n) || size%8 != 0 {
		return 0, unix.EINVAL
	}
	x, err := affinityTarget(t, pid)
	if err != nil {
		return 0, err
	}
	mask := make([]byte, maskSize)
	aff := x.Sched().Affinity
	for i := 0; i < n && i < 64; i++ {
		if aff&(1<<i) != 0 {
			mask[i/8] |= 1 << (i % 8)
		}
	}
	if err := copyOutFull(t, addr, mask); err != nil {
		return 0, err
	}
	return maskSize, nil
}
