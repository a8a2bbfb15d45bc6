package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

func decodeSigAction(b []byte) linux.SigAction {
	return linux.SigAction{
		Handler:  getU64(b, 0),
		Flags:    getU64(b, 8),
		Restorer: getU64(b, 16),
		Mask:     getU64(b, 24),
	}
}

func encodeSigAction(a linux.SigAction) []byte {
	b := make([]byte, linux.SigActionSize)
	putU64(b, 0, a.Handler)
	putU64(b, 8, a.Flags)
	putU64(b, 16, a.Restorer)
	putU64(b, 24, a.Mask)
	return b
}

func rtSigaction(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	sig, actAddr, oldAddr, size := int(a[0]), a[1], a[2], a[3]
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	if sig < 1 || sig > linux.NumSignals {
		return 0, unix.EINVAL
	}
	if actAddr != 0 && (sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP)) {
		return 0, unix.EINVAL
	}
	var act *linux.SigAction
	if actAddr != 0 {
		b := make([]byte, linux.SigActionSize)
		if err := copyInFull(t, actAddr, b); err != nil {
			return 0, err
		}
		na := decodeSigAction(b)
		na.Mask &^= uint64(linux.UnblockableSignals)
		act = &na
	}
	old := t.ThreadGroup().SigAction(sig)
	if oldAddr != 0 {
		if err := copyOutFull(t, oldAddr, encodeSigAction(old)); err != nil {
			return 0, err
		}
	}
	if act != nil {
		t.ThreadGroup().SetSigAction(sig, *act)
	}
	return 0, nil
}

func rtSigprocmask(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	how, setAddr, oldAddr, size := int(a[0]), a[1], a[2], a[3]
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	old := t.SignalMask()
	if setAddr != 0 {
		v, err := copyInU64(t, setAddr)
		if err != nil {
			return 0, err
		}
		set := linux.SignalSet(v)
		switch how {
		case unix.SIG_BLOCK:
			t.SetSignalMask(old | set)
		case unix.SIG_UNBLOCK:
			t.SetSignalMask(old &^ set)
		case unix.SIG_SETMASK:
			t.SetSignalMask(set)
		default:
			return 0, unix.EINVAL
		}
	}
	if oldAddr != 0 {
		if err := copyOutU64(t, oldAddr, uint64(old)); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func sigaltstack(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	ssAddr, oldAddr := a[0], a[1]
	cur := t.SignalStack()
	onStack := t.OnSignalStack(uintptr(t.Registers().Rsp))
	if oldAddr != 0 {
		b := make([]byte, linux.SignalStackSize)
		flags := cur.Flags
		if cur.Size == 0 && cur.Sp == 0 && flags == 0 {
			flags = linux.SS_DISABLE
		}
		if onStack {
			flags = linux.SS_ONSTACK
		}
		putU64(b, 0, cur.Sp)
		putU32(b, 8, uint32(flags))
		putU64(b, 16, cur.Size)
		if err := copyOutFull(t, oldAddr, b); err != nil {
			return 0, err
		}
	}
	if ssAddr == 0 {
		return 0, nil
	}
	b := make([]byte, linux.SignalStackSize)
	if err := copyInFull(t, ssAddr, b); err != nil {
		return 0, err
	}
	ns := linux.SignalStack{Sp: getU64(b, 0), Flags: int32(getU32(b, 8)), Size: getU64(b, 16)}
	if onStack {
		return 0, unix.EPERM
	}
	const autodisarm = uint32(linux.SS_AUTODISARM)
	mode := int32(uint32(ns.Flags) &^ autodisarm)
	switch mode {
	case 0, linux.SS_ONSTACK:
	case linux.SS_DISABLE:
		ns = linux.SignalStack{Flags: linux.SS_DISABLE}
	default:
		return 0, unix.EINVAL
	}
	if mode != linux.SS_DISABLE {
		if ns.Size < linux.MINSIGSTKSZ {
			return 0, unix.ENOMEM
		}
		ns.Flags = int32(uint32(ns.Flags) & autodisarm)
	}
	t.SetSignalStack(ns)
	return 0, nil
}

func kill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.Kill(int32(a[0]), int(a[1]), nil)
}

func tkill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.Tgkill(-1, int32(a[0]), int(a[1]), nil)
}

func tgkill(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	return 0, t.Tgkill(int32(a[0]), int32(a[1]), int(a[2]), nil)
}

// queuedInfo reads the siginfo an application passes to
// rt_sigqueueinfo/rt_tgsigqueueinfo. A process may not forge a kernel
// code (si_code >= 0) or SI_TKILL for another process. mustMatch
// (pidfd_send_signal) wants the siginfo's own number to be sig.
func queuedInfo(t *kernel.Task, sig int, addr uintptr, toSelf, mustMatch bool) (*arch.SignalInfo, error) {
	b := make([]byte, arch.SignalInfoSize)
	if err := copyInFull(t, addr, b); err != nil {
		return nil, err
	}
	info, err := arch.SignalInfoFromUser(b)
	if err != nil {
		return nil, err
	}
	if mustMatch && info.Signo != int32(sig) {
		return nil, unix.EINVAL
	}
	if (info.Code >= 0 || info.Code == linux.SI_TKILL) && !toSelf {
		return nil, unix.EPERM
	}
	info.Signo = int32(sig)
	return &info, nil
}

func rtSigqueueinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	pid, sig := int32(a[0]), int(a[1])
	if sig < 1 || sig > linux.NumSignals {
		return 0, unix.EINVAL
	}
	info, err := queuedInfo(t, sig, a[2], pid == t.PID(), false)
	if err != nil {
		return 0, err
	}
	if pid <= 0 {
		return 0, unix.ESRCH
	}
	return 0, t.Kill(pid, sig, info)
}

func rtTgsigqueueinfo(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	tgid, tid, sig := int32(a[0]), int32(a[1]), int(a[2])
	if tgid <= 0 || tid <= 0 || sig < 1 || sig > linux.NumSignals {
		return 0, unix.EINVAL
	}
	info, err := queuedInfo(t, sig, a[3], tgid == t.PID(), false)
	if err != nil {
		return 0, err
	}
	return 0, t.Tgkill(tgid, tid, sig, info)
}

func rtSigpending(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] > linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	var b [8]byte
	putU64(b[:], 0, uint64(t.PendingSignals()))
	return 0, copyOutFull(t, a[0], b[:a[1]])
}

func rtSigsuspend(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[1] != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	m, err := copyInU64(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.SigSuspend(linux.SignalSet(m))
}

func pause(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	t.Park(nil) // only an interruption ends it
	return 0, kernel.ERESTARTNOHAND
}

func rtSigtimedwait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	setAddr, infoAddr, tsAddr, size := a[0], a[1], a[2], a[3]
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	set, err := copyInU64(t, setAddr)
	if err != nil {
		return 0, err
	}
	var timeout *time.Duration
	if tsAddr != 0 {
		sec, nsec, err := copyInTimespec(t, tsAddr)
		if err != nil {
			return 0, err
		}
		d := durationOf(sec, nsec)
		timeout = &d
	}
	info, err := t.SigTimedWait(linux.SignalSet(set), timeout)
	if err != nil {
		return 0, err
	}
	if infoAddr != 0 {
		if err := copyOutFull(t, infoAddr, info.Bytes()); err != nil {
			return 0, err
		}
	}
	return uintptr(info.Signo), nil
}

func rtSigreturn(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	if err := t.SigReturn(); err != nil {
		return 0, err
	}
	return 0, kernel.ErrNoReturnValue
}
