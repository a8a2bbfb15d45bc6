package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// deliverToHandler builds a signal frame for info on the task's stack (or
// its alternate stack) and points the task at the handler. An error means
// the frame could not be written; the caller forces SIGSEGV.
func (t *Task) deliverToHandler(info *arch.SignalInfo, act linux.SigAction) error {
	sig := int(info.Signo)
	t.rseqSignal(sig)
	fp, err := t.fpState()
	if err != nil {
		return err
	}
	tg := t.tg
	tg.sigMu.Lock()
	mask := t.sigMask
	if t.hasSavedMask {
		mask = t.savedMask
		t.hasSavedMask = false
	}
	alt := t.altStack
	tg.sigMu.Unlock()
	frame, err := arch.SetupSignalFrame(&t.regs, &arch.SignalDelivery{
		Signo:    sig,
		Info:     info,
		Action:   act,
		Mask:     mask,
		AltStack: alt,
		FP:       fp,
		Fault:    t.lastFault,
	})
	if err != nil {
		return err
	}
	if _, err := t.CopyOut(frame.Addr, frame.Bytes); err != nil {
		return err
	}
	t.regs = frame.Regs
	t.resetFPState()
	newMask := mask | linux.SignalSet(act.Mask)
	if act.Flags&linux.SA_NODEFER == 0 {
		newMask |= linux.SigBit(sig)
	}
	tg.sigMu.Lock()
	t.altStack = frame.AltStack
	t.sigMask = newMask &^ linux.UnblockableSignals
	tg.sigMu.Unlock()
	return nil
}

// SigReturn restores the context saved by a signal frame
// (rt_sigreturn). A bad frame kills the process with SIGSEGV.
func (t *Task) SigReturn() error {
	fp, err := t.fpState()
	if err != nil {
		return err
	}
	layout, err := arch.XSaveLayoutOf(fp)
	if err != nil {
		return err
	}
	tg := t.tg
	ret, err := arch.RestoreSignalFrame(&t.regs, t.SignalStack(), layout, t.CopyIn)
	tg.sigMu.Lock()
	if ret.SetMask {
		t.sigMask = ret.Mask &^ linux.UnblockableSignals
	}
	t.altStack = ret.AltStack
	tg.sigMu.Unlock()
	if ret.SetFP {
		t.setFPState(ret.FP)
	}
	if err != nil {
		t.forceSignal(kernelSigInfo(int(unix.SIGSEGV)))
	}
	return nil
}

// setFPState installs fp (nil: the initial state) before the task next
// runs.
func (t *Task) setFPState(fp arch.FPState) {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c != nil {
		if err := c.SetFPState(fp); err == nil {
			return
		}
	}
	t.pendingFP, t.resetFP = fp, fp == nil
}
