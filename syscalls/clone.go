package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// cloneFlagsMask is CSIGNAL, the exit-signal byte of clone's flags.
const cloneSignalMask = 0xff

func clone(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint64(a[0])
	o := kernel.CloneOptions{
		Flags:      flags &^ cloneSignalMask,
		ExitSignal: int(flags & cloneSignalMask),
		Stack:      a[1],
		ParentTID:  a[2],
		ChildTID:   a[3],
		TLS:        a[4],
		PIDFD:      a[2],
	}
	tid, err := t.Clone(o)
	return uintptr(tid), err
}

func fork(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{ExitSignal: int(unix.SIGCHLD)})
	return uintptr(tid), err
}

func vfork(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	tid, err := t.Clone(kernel.CloneOptions{Flags: unix.CLONE_VM | unix.CLONE_VFORK, ExitSignal: int(unix.SIGCHLD)})
	return uintptr(tid), err
}

// clone_args sizes.
const (
	cloneArgsSizeVer0 = 64
	cloneArgsSizeVer2 = 88
)

func clone3(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, size := a[0], a[1]
	if size < cloneArgsSizeVer0 {
		return 0, unix.EINVAL
	}
	if size > 4096 {
		return 0, unix.E2BIG
	}
	b, err := copyInStruct(t, addr, cloneArgsSizeVer2, int(size))
	if err != nil {
		return 0, err
	}
	flags := getU64(b, 0)
	exitSignal := getU64(b, 32)
	stack, stackSize := getU64(b, 40), getU64(b, 48)
	setTID, setTIDSize := getU64(b, 64), getU64(b, 72)
	cgroup := getU64(b, 80)
	if flags&cloneSignalMask != 0 || exitSignal > 64 {
		return 0, unix.EINVAL
	}
	if (stack == 0) != (stackSize == 0) {
		return 0, unix.EINVAL
	}
	if flags&unix.CLONE_INTO_CGROUP != 0 || cgroup != 0 {
		return 0, unix.EINVAL
	}
	// set_tid: the child's pid in its namespace, then in each parent
	// (at most MAX_PID_NS_LEVEL of them).
	if setTIDSize > 32 || (setTID == 0) != (setTIDSize == 0) {
		return 0, unix.EINVAL
	}
	var tids []int32
	if setTIDSize != 0 {
		tb := make([]byte, 4*setTIDSize)
		if err := copyInFull(t, uintptr(setTID), tb); err != nil {
			return 0, err
		}
		for i := range setTIDSize {
			tids = append(tids, int32(getU32(tb, int(4*i))))
		}
	}
	o := kernel.CloneOptions{
		Flags:      flags,
		ExitSignal: int(exitSignal),
		PIDFD:      uintptr(getU64(b, 8)),
		ChildTID:   uintptr(getU64(b, 16)),
		ParentTID:  uintptr(getU64(b, 24)),
		TLS:        uintptr(getU64(b, 56)),
		Clone3:     true,
		SetTID:     tids,
	}
	if stack != 0 {
		o.Stack = uintptr(stack + stackSize)
	}
	tid, err := t.Clone(o)
	return uintptr(tid), err
}

// Limits on execve's arguments (Linux: MAX_ARG_STRINGS, MAX_ARG_STRLEN).
const (
	maxArgStrings = 0x7fffffff
	maxArgStrlen  = 32 * 4096
)

// copyInStrings reads a NULL-terminated array of string pointers.
func copyInStrings(t *kernel.Task, addr uintptr) ([]string, error) {
	var out []string
	if addr == 0 {
		return nil, nil
	}
	total := 0
	for i := 0; ; i++ {
		p, err := copyInU64(t, addr+uintptr(8*i))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return out, nil
		}
		if i >= maxArgStrings {
			return nil, unix.E2BIG
		}
		s, err := t.CopyInString(uintptr(p), maxArgStrlen)
		if err == unix.ENAMETOOLONG {
			return nil, unix.E2BIG
		}
		if err != nil {
			return nil, err
		}
		total += len(s) + 1
		if total > 2<<20*8 {
			return nil, unix.E2BIG
		}
		out = append(out, s)
	}
}

func execve(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doExecve(t, vfs.Path{}, a[0], a[1], a[2], 0)
}

func execveat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(a[4])
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW) != 0 {
		return 0, unix.EINVAL
	}
	start, err := dirStart(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	return doExecve(t, start, a[1], a[2], a[3], flags)
}

// dirStart returns where a *at path starts: the cwd for AT_FDCWD, else
// the directory open at fd.
func dirStart(t *kernel.Task, fd int32) (vfs.Path, error) {
	if fd == unix.AT_FDCWD {
		return t.FSContext().Cwd(), nil
	}
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return vfs.Path{}, err
	}
	defer f.DecRef(t)
	return f.Path(), nil
}

func doExecve(t *kernel.Task, start vfs.Path, pathAddr, argvAddr, envpAddr uintptr, flags int) (uintptr, error) {
	path, err := t.CopyInString(pathAddr, unix.PathMax)
	if err != nil {
		return 0, err
	}
	argv, err := copyInStrings(t, argvAddr)
	if err != nil {
		return 0, err
	}
	envv, err := copyInStrings(t, envpAddr)
	if err != nil {
		return 0, err
	}
	if err := t.Execve(start, path, argv, envv, flags); err != nil {
		return 0, err
	}
	return 0, kernel.ErrNoReturnValue
}

// encodeRusage writes a struct rusage (144 bytes) with the given times.
func encodeRusage(user, sys int64) []byte {
	b := make([]byte, 144)
	putU64(b, 0, uint64(user/1e9))
	putU64(b, 8, uint64(user%1e9/1e3))
	putU64(b, 16, uint64(sys/1e9))
	putU64(b, 24, uint64(sys%1e9/1e3))
	return b
}

func wait4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, statusAddr, options, rusageAddr := int32(a[0]), a[1], int(a[2]), a[3]
	if options&^(kernel.WNOHANG|kernel.WUNTRACED|kernel.WCONTINUED|kernel.WNOTHREAD|kernel.WALL|kernel.WCLONE) != 0 {
		return 0, unix.EINVAL
	}
	var target kernel.WaitTarget
	switch {
	case pid == -1:
		target = kernel.WaitTarget{Kind: kernel.PAll}
	case pid == 0:
		target = kernel.WaitTarget{Kind: kernel.PPGID}
	case pid < -1:
		target = kernel.WaitTarget{Kind: kernel.PPGID, ID: -pid}
	default:
		target = kernel.WaitTarget{Kind: kernel.PPID, ID: pid}
	}
	r, err := t.Wait(target, options|kernel.WEXITED)
	if err != nil {
		return 0, err
	}
	if r == nil {
		return 0, nil
	}
	if statusAddr != 0 {
		if err := copyOutU32(t, statusAddr, uint32(r.Status)); err != nil {
			return 0, err
		}
	}
	if rusageAddr != 0 {
		if err := copyOutFull(t, rusageAddr, encodeRusage(int64(r.UTime), int64(r.STime))); err != nil {
			return 0, err
		}
	}
	return uintptr(r.PID), nil
}

func waitid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	idtype, id, infoAddr, options, rusageAddr := int(a[0]), int32(a[1]), a[2], int(a[3]), a[4]
	if options&^(kernel.WNOHANG|kernel.WUNTRACED|kernel.WEXITED|kernel.WCONTINUED|kernel.WNOWAIT|kernel.WNOTHREAD|kernel.WALL|kernel.WCLONE) != 0 {
		return 0, unix.EINVAL
	}
	if options&(kernel.WEXITED|kernel.WUNTRACED|kernel.WCONTINUED) == 0 {
		return 0, unix.EINVAL
	}
	var target kernel.WaitTarget
	nonblock := false
	switch idtype {
	case kernel.PAll:
		target = kernel.WaitTarget{Kind: kernel.PAll}
	case kernel.PPID:
		if id <= 0 {
			return 0, unix.EINVAL
		}
		target = kernel.WaitTarget{Kind: kernel.PPID, ID: id}
	case kernel.PPGID:
		if id < 0 {
			return 0, unix.EINVAL
		}
		target = kernel.WaitTarget{Kind: kernel.PPGID, ID: id}
	case pPIDFD:
		f, _, err := t.FDTable().Get(id)
		if err != nil {
			return 0, err
		}
		tg, err := kernel.PIDFDProcess(f)
		nonblock = f.Flags()&unix.O_NONBLOCK != 0
		f.DecRef(t)
		if err != nil {
			return 0, unix.EBADF
		}
		target = kernel.WaitTarget{Kind: kernel.PPID, Process: tg}
	default:
		return 0, unix.EINVAL
	}
	waitOptions := options
	if nonblock {
		// A non-blocking pidfd does not wait: EAGAIN when nothing is
		// ready, unless the caller asked for WNOHANG itself.
		waitOptions |= kernel.WNOHANG
	}
	r, err := t.Wait(target, waitOptions)
	if err != nil {
		return 0, err
	}
	if r == nil && nonblock && options&kernel.WNOHANG == 0 {
		return 0, unix.EAGAIN
	}
	if infoAddr != 0 {
		var info arch.SignalInfo
		if r != nil {
			status := int32(r.Status >> 8 & 0xff)
			switch r.Code {
			case 2, 3: // CLD_KILLED, CLD_DUMPED
				status = int32(r.Status & 0x7f)
			case 6: // CLD_CONTINUED
				status = int32(unix.SIGCONT)
			}
			info = arch.NewChildSignalInfo(r.Code, r.PID, r.UID, status, int64(r.UTime/1e7), int64(r.STime/1e7))
		}
		if err := copyOutFull(t, infoAddr, info.Bytes()); err != nil {
			return 0, err
		}
	}
	if rusageAddr != 0 && r != nil {
		if err := copyOutFull(t, rusageAddr, encodeRusage(int64(r.UTime), int64(r.STime))); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

// pPIDFD is waitid's P_PIDFD idtype.
const pPIDFD = 3

func pidfdOpen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := t.PIDFDOpen(int32(a[0]), int(a[1]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	fd, err := t.FDTable().NewFD(0, f, unix.FD_CLOEXEC)
	return uintptr(fd), err
}

func pidfdSendSignal(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, sig, infoAddr, flags := int32(a[0]), int(a[1]), a[2], a[3]
	switch flags {
	case 0, pidfdSignalThread, pidfdSignalThreadGroup, pidfdSignalProcessGroup:
	default:
		return 0, unix.EINVAL
	}
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	tg, err := kernel.SignalTarget(f)
	if err != nil {
		return 0, unix.EBADF
	}
	var info *arch.SignalInfo
	if infoAddr != 0 {
		if info, err = queuedInfo(t, sig, infoAddr, tg == t.ThreadGroup(), true); err != nil {
			return 0, err
		}
	}
	// Linux checks the number last (in the kill), after the fd and
	// the siginfo.
	if sig < 0 || sig > 64 {
		return 0, unix.EINVAL
	}
	return 0, t.PIDFDSendSignal(f, sig, info, pidfdScope(flags))
}

// pidfd_send_signal scopes (Linux 6.9).
const (
	pidfdSignalThread       = 1 << 0
	pidfdSignalThreadGroup  = 1 << 1
	pidfdSignalProcessGroup = 1 << 2
)

func pidfdScope(flags uintptr) kernel.SignalScope {
	switch flags {
	case pidfdSignalThread:
		return kernel.ScopeThread
	case pidfdSignalProcessGroup:
		return kernel.ScopeProcessGroup
	}
	return kernel.ScopeProcess
}
