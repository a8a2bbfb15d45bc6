package hostsys

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// Thread is one host thread of a stub process while kite traces it. Every
// ptrace request on it must come from its tracer, the one kite OS thread
// that attached to it; its fields are used only there.
type Thread struct {
	Tgid int // the stub process
	Tid  int

	// Base holds the registers the thread had when its tracer attached;
	// injected system calls start from it (segment registers, flags).
	Base arch.Registers

	// Dead is set once the thread is known to have exited.
	Dead bool

	// Waiter, if set, replaces Wait for this thread (see OwnerWaiter).
	Waiter *OwnerWaiter

	stub *Stub
}

// NewThread returns the Thread for tid of the stub process tgid started
// from s, not yet attached.
func (s *Stub) NewThread(tgid, tid int) *Thread {
	return &Thread{Tgid: tgid, Tid: tid, stub: s}
}

// Clone returns the Thread for tid, a thread of t's stub that t's tracer
// traces too, with t's base registers and waiter.
func (t *Thread) Clone(tid int) *Thread {
	return &Thread{Tgid: t.Tgid, Tid: tid, Base: t.Base, Waiter: t.Waiter, stub: t.stub}
}

// Wait waits for t's next state change.
func (t *Thread) Wait() (unix.WaitStatus, error) {
	if t.Waiter != nil {
		return t.Waiter.Wait(t.Tid)
	}
	return Wait(t.Tid)
}

// ErrDied reports a stub thread that exited.
func (t *Thread) ErrDied(ws unix.WaitStatus) error {
	t.Dead = true
	if ws.Signaled() {
		return fmt.Errorf("%s: stub thread %d killed by signal %d", t.stub.Name, t.Tid, int(ws.Signal()))
	}
	return fmt.Errorf("%s: stub thread %d exited with status %d", t.stub.Name, t.Tid, ws.ExitStatus())
}

// ErrHost wraps a failed ptrace or wait request op on t. ESRCH on a
// stopped tracee means it was killed: it is reaped here (unless it is the
// stub's leader, which the address space's release reaps), because a
// zombie left to its tracer would keep the leader, and everyone waiting
// on it, from ever being reported. ECHILD means someone else reaped it.
func (t *Thread) ErrHost(op string, err error) error { return t.errHost(op, err) }

func (t *Thread) errHost(op string, err error) error {
	switch {
	case err == unix.ESRCH && !t.Dead:
		t.Dead = true
		if t.Tid != t.Tgid {
			for {
				ws, werr := t.Wait()
				if werr != nil || !ws.Stopped() {
					break
				}
			}
		}
	case err == unix.ECHILD:
		t.Dead = true
	}
	return fmt.Errorf("%s: %s of stub thread %d: %w", t.stub.Name, op, t.Tid, err)
}

// Syscall injects system call nr with args into t and returns its result;
// a negative errno result comes back as a unix.Errno.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *Thread) Syscall(nr uintptr, args ...uintptr) (uintptr, error) {
	r := t.injection(nr, args)
	if err := SetRegs(t.Tid, &r); err != nil {
		return 0, t.errHost("SETREGS", err)
	}
	return t.runInjection(&r)
}

// TrySyscall is Syscall for a caller that does not know whether it traces
// t: if the host refuses to load the registers (ESRCH: the caller is not
// t's tracer, or t is not stopped), it returns ok false having changed
// nothing, and touched nothing of t but its Tid and Base (both fixed once
// t is published).
func (t *Thread) TrySyscall(nr uintptr, args ...uintptr) (ret uintptr, err error, ok bool) {
	r := t.injection(nr, args)
	if err := SetRegs(t.Tid, &r); err != nil {
		return 0, nil, false
	}
	// The host took the registers, so the calling OS thread is t's
	// tracer and t is stopped: t is ours now.
	ret, err = t.runInjection(&r)
	return ret, err, true
}

// StartSyscall sets t off on system call nr without waiting for it to
// return: for calls that do not return, such as exit.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *Thread) StartSyscall(nr uintptr, args ...uintptr) error {
	r := t.injection(nr, args)
	if err := SetRegs(t.Tid, &r); err != nil {
		return err
	}
	return Ptrace(unix.PTRACE_CONT, t.Tid, 0, 0)
}

// injection returns the registers that make t run system call nr.
func (t *Thread) injection(nr uintptr, args []uintptr) arch.Registers {
	r := t.Base
	// orig_rax = -1: the thread is not inside a system call, so the host
	// never applies syscall-restart logic to these registers.
	r.Orig_rax = ^uint64(0)
	r.Rax = uint64(nr)
	argRegs := [...]*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}
	for i, a := range args {
		*argRegs[i] = uint64(a)
	}
	r.Rip = StubSyscall
	return r
}

// runInjection resumes t, loaded with an injection's registers r, until
// the system call is done, and returns its result.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *Thread) runInjection(r *arch.Registers) (uintptr, error) {
	if err := Ptrace(unix.PTRACE_CONT, t.Tid, 0, 0); err != nil {
		return 0, t.errHost("CONT", err)
	}
	for {
		ws, err := t.Wait()
		if err != nil {
			return 0, t.errHost("wait", err)
		}
		if !ws.Stopped() {
			return 0, t.ErrDied(ws)
		}
		if ws.StopSignal() == unix.SIGTRAP && PtraceEvent(ws) == 0 {
			if err := GetRegs(t.Tid, r); err != nil {
				return 0, t.errHost("GETREGS", err)
			}
			if r.Rip == StubTrap {
				ret := int64(r.Rax)
				if ret < 0 && ret >= -4095 {
					return 0, unix.Errno(-ret)
				}
				return uintptr(ret), nil
			}
		}
		// Anything else (a PTRACE_EVENT_CLONE stop, a stale interrupt
		// signal) is suppressed: carry on to the int3.
		if err := Ptrace(unix.PTRACE_CONT, t.Tid, 0, 0); err != nil {
			return 0, t.errHost("CONT", err)
		}
	}
}

// Reap waits until t has exited, resuming it from any stop on the way.
func (t *Thread) Reap() {
	for {
		ws, err := t.Wait()
		if err != nil || !ws.Stopped() {
			t.Dead = true
			return
		}
		if Ptrace(unix.PTRACE_CONT, t.Tid, 0, 0) != nil {
			// Not resumable: it is being killed; the next wait sees it.
			continue
		}
	}
}

// Release points t, stopped and traced by the calling OS thread, at rip
// and detaches it.
func (t *Thread) Release(rip uintptr) error {
	regs := t.Base
	regs.Rip = uint64(rip)
	regs.Orig_rax = ^uint64(0)
	if err := SetRegs(t.Tid, &regs); err != nil {
		return t.errHost("SETREGS", err)
	}
	if err := Ptrace(unix.PTRACE_DETACH, t.Tid, 0, 0); err != nil {
		return t.errHost("DETACH", err)
	}
	return nil
}
