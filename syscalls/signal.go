package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

func init() {
	register(
		partial(unix.SYS_RT_SIGACTION, rtSigaction, "dispositions are kept; delivery to handlers comes with the signals issue"),
		supported(unix.SYS_RT_SIGPROCMASK, rtSigprocmask),
		partial(unix.SYS_SIGALTSTACK, sigaltstack, "the stack is recorded; it is used once signals are delivered"),
	)
}

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
