package arch

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
)

// A task's alternate signal stack is kept as a linux.SignalStack holding
// what Linux keeps in sas_ss_sp, sas_ss_size and sas_ss_flags: Sp and Size
// as set, Flags as passed to sigaltstack (so it may carry SS_AUTODISARM).
// A process starts with the zero value (no stack, flags 0); a disabled or
// disarmed stack is DisabledSignalStack. Both have Size 0, which is what
// "no alternate stack" means.

// DisabledSignalStack is the state after sigaltstack(SS_DISABLE), after
// an SS_AUTODISARM stack is used, and in a new thread (Linux's
// sas_ss_reset).
var DisabledSignalStack = linux.SignalStack{Flags: linux.SS_DISABLE}

// onSignalStackRange reports whether sp is inside alt (Linux's
// __on_sig_stack; stacks grow down, so the top address counts and the
// base does not).
func onSignalStackRange(alt linux.SignalStack, sp uint64) bool {
	return sp > alt.Sp && sp-alt.Sp <= alt.Size
}

// OnSignalStack reports whether a thread with stack pointer sp runs on its
// alternate signal stack (Linux's on_sig_stack). With SS_AUTODISARM it is
// never considered to be: the stack was disarmed when it was entered.
func OnSignalStack(alt linux.SignalStack, sp uint64) bool {
	if uint32(alt.Flags)&linux.SS_AUTODISARM != 0 {
		return false
	}
	return onSignalStackRange(alt, sp)
}

// SignalStackFlags is Linux's sas_ss_flags(sp): SS_DISABLE without a
// stack, SS_ONSTACK while on it, 0 otherwise.
func SignalStackFlags(alt linux.SignalStack, sp uint64) int32 {
	if alt.Size == 0 {
		return linux.SS_DISABLE
	}
	if OnSignalStack(alt, sp) {
		return linux.SS_ONSTACK
	}
	return 0
}

// GetSignalStack returns the stack_t that sigaltstack reports in its
// old_ss argument for a thread with stack pointer sp.
func GetSignalStack(alt linux.SignalStack, sp uint64) linux.SignalStack {
	return linux.SignalStack{
		Sp:    alt.Sp,
		Size:  alt.Size,
		Flags: SignalStackFlags(alt, sp) | int32(uint32(alt.Flags)&linux.SS_AUTODISARM),
	}
}

// SetSignalStack applies sigaltstack's ss argument for a thread with stack
// pointer sp whose current state is cur, and returns the new state:
// EPERM while running on the alternate stack, EINVAL for an unknown mode
// in Flags, ENOMEM for a stack smaller than minSize (MINSIGSTKSZ for
// sigaltstack; rt_sigreturn uses the same). SS_DISABLE clears Sp and
// Size. On error cur is returned unchanged.
func SetSignalStack(cur, ss linux.SignalStack, sp uint64, minSize uint64) (linux.SignalStack, error) {
	if OnSignalStack(cur, sp) {
		return cur, unix.EPERM
	}
	mode := uint32(ss.Flags) &^ linux.SS_AUTODISARM
	if mode != linux.SS_DISABLE && mode != linux.SS_ONSTACK && mode != 0 {
		return cur, unix.EINVAL
	}
	next := linux.SignalStack{Sp: ss.Sp, Flags: ss.Flags, Size: ss.Size}
	if cur == next {
		return cur, nil
	}
	if mode == linux.SS_DISABLE {
		next.Sp, next.Size = 0, 0
	} else if ss.Size < minSize {
		return cur, unix.ENOMEM
	}
	return next, nil
}

// UsesSignalStack reports whether a handler installed with act runs on the
// alternate stack when a signal interrupts a thread with stack pointer sp:
// SA_ONSTACK is set, a stack is configured and the thread is not already
// on it (then the frame goes below the current stack pointer as usual).
// Like Linux it looks at sp below the red zone.
func UsesSignalStack(act *linux.SigAction, alt linux.SignalStack, sp uint64) bool {
	return act.Flags&linux.SA_ONSTACK != 0 && SignalStackFlags(alt, sp-redZoneSize) == 0
}

// SignalStackAfterDelivery is the task's alternate stack state once a
// handler has been set up (Linux's signal_delivered): an SS_AUTODISARM
// stack is disabled until rt_sigreturn restores it from uc_stack, whether
// or not this delivery used it.
func SignalStackAfterDelivery(alt linux.SignalStack) linux.SignalStack {
	if uint32(alt.Flags)&linux.SS_AUTODISARM != 0 {
		return DisabledSignalStack
	}
	return alt
}
