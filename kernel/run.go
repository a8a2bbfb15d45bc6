package kernel

import (
	"errors"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
)

// errTooManyTasks is returned when no thread id is free.
var errTooManyTasks = unix.EAGAIN

// ErrNoReturnValue is returned by handlers that set every register
// themselves (rt_sigreturn): the run loop must not store a return value.
var ErrNoReturnValue = errors.New("kernel: system call sets its own registers")

// start runs the task's loop on a new goroutine.
func (t *Task) start() {
	t.k.armLoad()
	// A child that starts under a real-time policy (fork keeps it unless
	// SCHED_RESET_ON_FORK) counts RLIMIT_RTTIME from nothing, as Linux's
	// __sched_fork clears rt.timeout.
	t.armRTTime(true)
	go t.run()
}

// run is the task run loop (DESIGN.md, "The task run loop"). It owns the
// task's goroutine, which stays locked to its OS thread for the task's life:
// the platform ties host resources (a traced stub thread) to that thread.
func (t *Task) run() {
	runtime.LockOSThread()
	tid := unix.Gettid()
	threadTasks.Store(tid, t)
	defer threadTasks.Delete(tid)
	ctx, err := t.k.platform.NewContext()
	if err != nil {
		t.k.log.Error("cannot create an execution context", "tid", t.tid, "err", err)
		t.tg.beginExit(SignaledStatus(int(unix.SIGKILL), false))
		t.exit()
		return
	}
	t.mu.Lock()
	t.ctx = ctx
	t.mu.Unlock()
	if t.pendingFP != nil || t.resetFP {
		if err := ctx.SetFPState(t.pendingFP); err != nil {
			t.k.log.Error("cannot set FP state", "tid", t.tid, "err", err)
		}
		t.pendingFP, t.resetFP = nil, false
	}
	last := time.Now()
	for {
		t.handleSignals()
		if t.shouldExit() {
			break
		}
		if t.rseq.addr != 0 && !t.rseqReturn() {
			continue
		}
		t.applySched(ctx)
		now := time.Now()
		// Time in kite on the task's behalf, less the time it slept.
		t.sysNanos.Add(max(int64(now.Sub(last))-t.sleptNanos, 0))
		t.sleptNanos = 0
		t.cpuSeq.Add(1)
		t.userSince.Store(int64(now.Sub(cpuEpoch)) | 1)
		t.cpuSeq.Add(1)
		ev, f, err := t.switchToUser(ctx)
		t.cpuSeq.Add(1)
		last = time.Now()
		t.userNanos.Add(int64(last.Sub(now)))
		t.userSince.Store(0)
		t.cpuSeq.Add(1)
		if err != nil {
			t.k.log.Error("application context lost", "tid", t.tid, "err", err)
			t.tg.beginExit(SignaledStatus(int(unix.SIGKILL), false))
			break
		}
		switch ev {
		case platform.EventSyscall:
			t.syscall()
		case platform.EventFault:
			t.rseq.event = true
			t.fault(f)
		case platform.EventInterrupt:
			t.rseq.event = true
			t.ru.nivcsw.Add(1)
			// Signals and exits are handled at the top of the loop.
		}
	}
	t.ptraceExitEvent()
	t.exit()
	t.mu.Lock()
	t.ctx = nil
	t.mu.Unlock()
	ctx.Release()
}

// shouldExit reports whether the task must leave its run loop.
func (t *Task) shouldExit() bool {
	t.mu.Lock()
	e := t.exiting
	t.mu.Unlock()
	return e || t.tg.isExiting()
}

// interrupt makes the task's goroutine return from application code (or
// from the next attempt to run it, or from a blocking call) to look at its
// state.
func (t *Task) interrupt() {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c != nil {
		c.Interrupt()
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
	t.parker.Unpark()
}

// syscall handles a system call stop.
func (t *Task) syscall() {
	nr, args := arch.Syscall(&t.regs)
	traced := t.ptrace.traced.Load()
	if traced {
		if t.ptraceSyscallEntry() {
			t.ptraceSyscallExit()
			return
		}
		nr, args = arch.Syscall(&t.regs)
	}
	if s := t.seccomp.Load(); s != nil && !t.seccompAllows(s, nr, args) {
		if traced {
			t.ptraceSyscallExit()
		}
		return
	}
	if traced {
		// A PTRACE_EVENT_SECCOMP tracer may have changed the call.
		nr, args = arch.Syscall(&t.regs)
	}
	tr := t.k.tracer
	if tr != nil {
		tr.Enter(t, nr, args)
	}
	ret, err := t.k.invoke(t, nr, args)
	if t.shouldExit() {
		// exit, exit_group or a fatal signal: there is nothing to return
		// to. strace prints "= ?" for these.
		if tr != nil {
			tr.Exit(t, nr, args, 0, errNoReturn)
		}
		return
	}
	if traced {
		defer t.ptraceSyscallExit()
	}
	if err == ErrNoReturnValue {
		if tr != nil {
			tr.Exit(t, nr, args, arch.Return(&t.regs), nil)
		}
		return
	}
	t.restartErr = 0
	if err != nil {
		var e unix.Errno
		if errors.As(err, &e) && isRestartErrno(e) {
			t.restartErr = e
		}
		ret = errnoReturn(err)
	}
	arch.SetReturn(&t.regs, ret)
	if tr != nil {
		tr.Exit(t, nr, args, ret, err)
	}
}

// errNoReturn tells a SyscallTracer that the call never returned.
var errNoReturn = errors.New("no return")

// IsNoReturn reports whether err, passed to SyscallTracer.Exit, says the
// system call did not return (the task exited).
func IsNoReturn(err error) bool { return err == errNoReturn }

// invoke calls the handler for nr.
func (k *Kernel) invoke(t *Task, nr uintptr, args arch.SyscallArgs) (uintptr, error) {
	e, ok := k.table.Lookup(nr)
	if !ok || e.Fn == nil {
		k.logUnimplemented(nr)
		return 0, unix.ENOSYS
	}
	return e.Fn(t, args)
}

// errnoReturn converts a handler's error into the value of rax.
func errnoReturn(err error) uintptr {
	var e unix.Errno
	if !errors.As(err, &e) {
		e = unix.EIO
	}
	return uintptr(-int64(e))
}

// threadTasks maps the host thread that runs a task (run locks it to its
// goroutine) to the task: mm finds there the task a kernel access on a
// userfaultfd's missing page waits as.
var threadTasks sync.Map

func init() {
	// A kernel access that a userfaultfd must resolve waits as the
	// calling task, interrupted by a signal as Linux's; on other
	// goroutines it just waits.
	mm.SetUserfaultBlock(func(done <-chan struct{}) error {
		if t, ok := threadTasks.Load(unix.Gettid()); ok {
			return t.(*Task).BlockOn(done)
		}
		<-done
		return nil
	})
}

// fault handles a synchronous exception of application code.
func (t *Task) fault(f platform.Fault) {
	signo, code, addr := f.Signo, f.Code, f.Addr
	if signo == int32(unix.SIGSEGV) || signo == int32(unix.SIGBUS) {
		err := t.mm.HandleFault(addr, signo, code)
		if err == nil {
			t.ru.minflt.Add(1)
			return
		}
		var uw *mm.UserfaultWait
		if errors.As(err, &uw) {
			// A userfaultfd resolves the fault: wait for it
			// without any lock, interrupted by any signal (then
			// the retried access faults again), as Linux's
			// handle_userfault.
			if t.BlockOn(uw.Done()) != nil {
				uw.Abandon()
			}
			return
		}
		var fe *mm.FaultError
		if errors.As(err, &fe) {
			if fe.OOM && t.k.oomKill(t) {
				// A process was killed to make room; the access
				// is retried once its memory is freed.
				return
			}
			signo, code, addr = fe.Signo, fe.Code, fe.Addr
		}
	}
	t.lastFault = arch.FaultState{TrapNo: trapNoOf(signo), CR2: uint64(addr)}
	info := arch.NewFaultSignalInfo(int(signo), code, uint64(addr))
	t.forceSignal(&info)
}

// forceSignal delivers a signal caused by the task's own fault: a blocked
// or ignored fault signal cannot be held off, so it is unblocked and its
// disposition reset to the default first (even a handler's: a blocked
// handler cannot run), as Linux's force_sig_info_to_task does.
func (t *Task) forceSignal(info *arch.SignalInfo) {
	sig := int(info.Signo)
	bit := linux.SigBit(sig)
	tg := t.tg
	tg.sigMu.Lock()
	act := tg.handlers.get(sig)
	if act.Handler == linux.SIG_DFL || act.Handler == linux.SIG_IGN || t.sigMask&bit != 0 {
		// A fault's default action ends even a namespace init.
		tg.unkillable.Store(false)
	}
	if t.sigMask&bit != 0 || act.Handler == linux.SIG_IGN {
		t.sigMask &^= bit
		tg.handlers.mu.Lock()
		tg.handlers.actions[sig-1] = linux.SigAction{}
		tg.handlers.mu.Unlock()
	}
	tg.sigMu.Unlock()
	t.SendSignal(info)
}

// handleSignals runs before the task returns to application code: it
// waits out a group stop, takes the default action of pending signals or
// sets up a handler's frame, and resolves an interrupted system call's
// restart. nextSignal decides under tg.sigMu; everything that takes other
// locks (the tracer, k.mu for the orphan check and the parent's
// notification, the signal frame) happens here, without it.
func (t *Task) handleSignals() {
	tg := t.tg
	for {
		if t.ptrace.traced.Load() && t.ptraceTrapIfPending() {
			continue
		}
		d := t.nextSignal()
		switch d.step {
		case stepPtraceGroupStop:
			t.ptraceGroupStop()
			continue
		case stepPtraceSignal:
			info := t.ptraceSignalStop(d.info)
			if info == nil {
				continue
			}
			d = t.decideSignal(info)
		}
		if d.info != nil {
			if tr := t.k.tracer; tr != nil {
				tr.Signal(t, d.info)
			}
		}
		switch d.step {
		case stepReturn:
			return
		case stepNone:
			t.resolveRestart(false, 0)
			return
		case stepAgain:
		case stepWaitStop:
			t.SleepBegin()
			select {
			case <-d.stopWake:
			case <-t.wake:
			}
			t.SleepEnd()
		case stepStop:
			sig := int(d.info.Signo)
			// SIGTSTP, SIGTTIN and SIGTTOU do not stop a process in
			// an orphaned process group: nobody could continue it
			// (POSIX, Linux's is_current_pgrp_orphaned).
			if sig != int(unix.SIGSTOP) && tg.inOrphanedGroup() {
				continue
			}
			if t.enterGroupStop() {
				tg.notifyParentStopped(sig)
			}
		case stepExit:
			tg.beginExit(SignaledStatus(int(d.info.Signo), false))
			return
		case stepHandler:
			t.resolveRestart(true, d.act.Flags)
			if err := t.deliverToHandler(d.info, d.act); err != nil {
				// The frame could not be written (bad stack): Linux
				// kills the process with SIGSEGV.
				t.k.log.Debug("signal frame setup failed", "tid", t.tid, "signal", d.info.Signo, "err", err)
				tg.beginExit(SignaledStatus(int(unix.SIGSEGV), false))
			}
			return
		}
	}
}

// signalStep is what handleSignals does next.
type signalStep int

const (
	// stepReturn: the group is exiting; go back without resolving.
	stepReturn signalStep = iota
	// stepNone: nothing to deliver; resolve a restart and go back.
	stepNone
	// stepAgain: look again (a signal was discarded, or a temporary
	// mask was restored).
	stepAgain
	// stepWaitStop: the group is stopped; wait on stopWake.
	stepWaitStop
	// stepStop: info's default action stops the group.
	stepStop
	// stepExit: info's default action kills the group.
	stepExit
	// stepHandler: run act's handler for info.
	stepHandler
	// stepPtraceGroupStop: report the group stop to the tracer.
	stepPtraceGroupStop
	// stepPtraceSignal: stop for the tracer with info before deciding.
	stepPtraceSignal
)

// signalDecision is nextSignal's answer.
type signalDecision struct {
	step     signalStep
	info     *arch.SignalInfo // the signal dequeued, if any
	act      linux.SigAction  // its disposition (stepHandler)
	stopWake chan struct{}    // stepWaitStop
}

// nextSignal looks at t's signal state under tg.sigMu, dequeues the next
// deliverable signal and decides what to do with it. It takes sigMu once
// and releases it on return.
func (t *Task) nextSignal() signalDecision {
	tg := t.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	if tg.exiting {
		return signalDecision{step: stepReturn}
	}
	if tg.stopped {
		if !t.ptrace.traced.Load() {
			return signalDecision{step: stepWaitStop, stopWake: tg.stopWake}
		}
		if t.ptrace.seenStop != tg.stopWake {
			t.ptrace.seenStop = tg.stopWake
			return signalDecision{step: stepPtraceGroupStop}
		}
		// Its tracer resumed it after the group stop: it runs.
	}
	info := t.dequeueSignalLocked(^t.sigMask)
	if info == nil {
		// No handler takes over a mask saved by sigsuspend, ppoll or
		// pselect: restore it, and look again, since it may let
		// through a signal the temporary mask held off.
		if t.hasSavedMask {
			t.sigMask, t.hasSavedMask = t.savedMask, false
			return signalDecision{step: stepAgain}
		}
		return signalDecision{step: stepNone}
	}
	if t.ptrace.traced.Load() && info.Signo != int32(unix.SIGKILL) {
		return signalDecision{step: stepPtraceSignal, info: info}
	}
	return t.decideSignalLocked(info)
}

// decideSignal is decideSignalLocked for a signal a tracer let through.
func (t *Task) decideSignal(info *arch.SignalInfo) signalDecision {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	if t.tg.exiting {
		return signalDecision{step: stepReturn}
	}
	return t.decideSignalLocked(info)
}

// decideSignalLocked decides what delivering info does, by its
// disposition.
//
// Preconditions: t.tg.sigMu is held.
func (t *Task) decideSignalLocked(info *arch.SignalInfo) signalDecision {
	tg := t.tg
	sig := int(info.Signo)
	act := tg.handlers.get(sig)
	d := signalDecision{info: info, act: act}
	switch {
	case act.Handler == linux.SIG_IGN:
		d.step = stepAgain
	case act.Handler == linux.SIG_DFL && tg.unkillable.Load() && sig != int(unix.SIGKILL) && sig != int(unix.SIGSTOP):
		// A namespace init takes no default action but for SIGKILL and
		// SIGSTOP (a signal it blocked was queued for it).
		d.step = stepAgain
	case act.Handler == linux.SIG_DFL:
		switch defaultActionOf(sig) {
		case actIgnore, actContinue:
			d.step = stepAgain
		case actStop:
			d.step = stepStop
		default:
			d.step = stepExit
		}
	default:
		if act.Flags&linux.SA_RESETHAND != 0 {
			tg.handlers.mu.Lock()
			tg.handlers.actions[sig-1] = linux.SigAction{}
			tg.handlers.mu.Unlock()
		}
		d.step = stepHandler
	}
	return d
}

// enterGroupStop stops t's group for a stop signal t dequeued, and
// interrupts the other threads so that they stop too. It reports false
// when the group began exiting or was stopped by another thread since.
func (t *Task) enterGroupStop() bool {
	others, ok := t.tg.beginGroupStop()
	for _, o := range others {
		if o != t {
			o.interrupt()
		}
	}
	return ok
}

// beginGroupStop marks tg stopped and returns its threads, unless it is
// exiting or already stopped.
func (tg *ThreadGroup) beginGroupStop() ([]*Task, bool) {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	if tg.exiting || tg.stopped {
		return nil, false
	}
	tg.stopped = true
	tg.stopWake = make(chan struct{})
	return tg.tasksForSignals(), true
}

// resolveRestart decides what an interrupted system call returns, now
// that it is known whether a handler runs (and with which flags).
func (t *Task) resolveRestart(handler bool, flags uint64) {
	e := t.restartErr
	if e == 0 {
		return
	}
	t.restartErr = 0
	restart := true
	switch e {
	case ERESTARTNOHAND, ERESTART_RESTARTBLOCK:
		restart = !handler
	case ERESTARTSYS:
		restart = !handler || flags&linux.SA_RESTART != 0
	}
	if !restart {
		t.restartBlock = nil
		arch.SetReturn(&t.regs, errnoReturn(unix.EINTR))
		return
	}
	t.regs.Rax = t.regs.Orig_rax
	if e == ERESTART_RESTARTBLOCK && t.restartBlock != nil {
		// Continue through restart_syscall; a call that recorded no
		// continuation simply runs again.
		t.regs.Rax = unix.SYS_RESTART_SYSCALL
	}
	t.regs.Rip -= arch.SyscallInsnLen
}

// trapNoOf is the x86 exception vector behind a fault signal, for
// sigcontext.trapno.
func trapNoOf(signo int32) uint64 {
	switch unix.Signal(signo) {
	case unix.SIGSEGV, unix.SIGBUS:
		return 14 // #PF
	case unix.SIGFPE:
		return 0 // #DE
	case unix.SIGILL:
		return 6 // #UD
	case unix.SIGTRAP:
		return 3 // #BP
	}
	return 0
}
