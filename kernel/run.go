package kernel

import (
	"errors"
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
)

// errTooManyTasks is returned when no thread id is free.
var errTooManyTasks = unix.EAGAIN

// start runs the task's loop on a new goroutine.
func (t *Task) start() { go t.run() }

// run is the task run loop (DESIGN.md, "The task run loop"). It owns the
// task's goroutine, which stays locked to its OS thread for the task's life:
// the platform ties host resources (a traced stub thread) to that thread.
func (t *Task) run() {
	runtime.LockOSThread()
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
	for !t.shouldExit() {
		now := time.Now()
		t.sysNanos.Add(int64(now.Sub(last)))
		ev, f, err := ctx.Switch(t.mm.AddressSpace(), &t.regs)
		last = time.Now()
		t.userNanos.Add(int64(last.Sub(now)))
		if err != nil {
			t.k.log.Error("application context lost", "tid", t.tid, "err", err)
			t.tg.beginExit(SignaledStatus(int(unix.SIGKILL), false))
			break
		}
		switch ev {
		case platform.EventSyscall:
			t.syscall()
		case platform.EventFault:
			t.fault(f)
		case platform.EventInterrupt:
			// shouldExit and (later) pending signals are checked at the
			// top of the loop.
		}
	}
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
// from the next attempt to run it) to look at its state.
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
}

// syscall handles a system call stop.
func (t *Task) syscall() {
	nr, args := arch.Syscall(&t.regs)
	tr := t.k.tracer
	if tr != nil {
		tr.Enter(t, nr, args)
	}
	ret, err := t.k.invoke(t, nr, args)
	if err != nil {
		ret = errnoReturn(err)
	}
	if t.shouldExit() {
		// exit, exit_group or a fatal signal: there is nothing to return
		// to. strace prints "= ?" for these.
		if tr != nil {
			tr.Exit(t, nr, args, 0, errNoReturn)
		}
		return
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

// fault handles a synchronous exception of application code.
func (t *Task) fault(f platform.Fault) {
	signo, code, addr := f.Signo, f.Code, f.Addr
	if signo == int32(unix.SIGSEGV) || signo == int32(unix.SIGBUS) {
		err := t.mm.HandleFault(addr, signo, code)
		if err == nil {
			return
		}
		var fe *mm.FaultError
		if errors.As(err, &fe) {
			signo, code, addr = fe.Signo, fe.Code, fe.Addr
		}
	}
	t.forceSignal(int(signo), code, addr)
}

// forceSignal delivers a signal caused by the task's own fault.
//
// Signal delivery to handlers comes with the signals issue; until then
// every such signal takes its default action, which for the fault signals
// is to terminate the process.
func (t *Task) forceSignal(sig int, code int32, addr uintptr) {
	t.k.log.Debug("fatal fault", "tid", t.tid, "signal", unix.Signal(sig).String(), "code", code, "addr", addr)
	t.tg.beginExit(SignaledStatus(sig, false))
}
