package systrap

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// thread is a stub thread while kite traces it: the stub's main thread
// (for its whole life) and a new application thread until it is set up.
// Every ptrace request on it must come from its tracer, the owner's OS
// thread; its fields are used only there.
type thread struct {
	tgid int // the stub process
	tid  int

	// base holds the registers the thread had when its tracer attached;
	// injected system calls start from it (segment registers, flags).
	base arch.Registers

	// dead is set once the thread is known to have exited.
	dead bool

	// waiter, if set, replaces wait for this thread (see ownerWaiter).
	waiter *ownerWaiter
}

// errDied reports a stub thread that exited.
func (t *thread) errDied(ws waitStatus) error {
	t.dead = true
	if ws.signaled() {
		return fmt.Errorf("systrap: stub thread %d killed by signal %d", t.tid, int(ws&0x7f))
	}
	return fmt.Errorf("systrap: stub thread %d exited with status %d", t.tid, ws.stopSig())
}

// errHost wraps a failed ptrace or wait request on t. ESRCH on a stopped
// tracee means it was killed: it is reaped here (unless it is the stub's
// leader, which Release reaps), because a zombie left to its tracer would
// keep the leader, and everyone waiting on it, from ever being reported.
// ECHILD means someone else reaped it.
func (t *thread) errHost(op string, err error) error {
	switch {
	case err == unix.ESRCH && !t.dead:
		t.dead = true
		if t.tid != t.tgid {
			for {
				ws, werr := t.wait()
				if werr != nil || !ws.stopped() {
					break
				}
			}
		}
	case err == unix.ECHILD:
		t.dead = true
	}
	return fmt.Errorf("systrap: %s of stub thread %d: %w", op, t.tid, err)
}

// syscall injects system call nr with args into t and returns its result;
// a negative errno result comes back as a unix.Errno.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *thread) syscall(nr uintptr, args ...uintptr) (uintptr, error) {
	r := t.injection(nr, args)
	if err := setRegs(t.tid, &r); err != nil {
		return 0, t.errHost("SETREGS", err)
	}
	return t.runInjection(&r)
}

// injection returns the registers that make t run system call nr.
func (t *thread) injection(nr uintptr, args []uintptr) arch.Registers {
	r := t.base
	// orig_rax = -1: the thread is not inside a system call, so the host
	// never applies syscall-restart logic to these registers.
	r.Orig_rax = ^uint64(0)
	r.Rax = uint64(nr)
	argRegs := [...]*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}
	for i, a := range args {
		*argRegs[i] = uint64(a)
	}
	r.Rip = stubSyscall
	return r
}

// runInjection resumes t, loaded with an injection's registers r, until
// the system call is done, and returns its result.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *thread) runInjection(r *arch.Registers) (uintptr, error) {
	if err := ptrace(unix.PTRACE_CONT, t.tid, 0, 0); err != nil {
		return 0, t.errHost("CONT", err)
	}
	for {
		ws, err := t.wait()
		if err != nil {
			return 0, t.errHost("wait", err)
		}
		if !ws.stopped() {
			return 0, t.errDied(ws)
		}
		if ws.stopSig() == int(unix.SIGTRAP) && ws.event() == 0 {
			if err := getRegs(t.tid, r); err != nil {
				return 0, t.errHost("GETREGS", err)
			}
			if r.Rip == stubTrap {
				ret := int64(r.Rax)
				if ret < 0 && ret >= -4095 {
					return 0, unix.Errno(-ret)
				}
				return uintptr(ret), nil
			}
		}
		// Anything else (a PTRACE_EVENT_CLONE stop, a stale interrupt
		// signal) is suppressed: carry on to the int3.
		if err := ptrace(unix.PTRACE_CONT, t.tid, 0, 0); err != nil {
			return 0, t.errHost("CONT", err)
		}
	}
}

// reap waits until t has exited, resuming it from any stop on the way.
func (t *thread) reap() {
	for {
		ws, err := t.wait()
		if err != nil || !ws.stopped() {
			t.dead = true
			return
		}
		if ptrace(unix.PTRACE_CONT, t.tid, 0, 0) != nil {
			// Not resumable: it is being killed; the next wait sees it.
			continue
		}
	}
}

// wait waits for t's next state change.
func (t *thread) wait() (waitStatus, error) {
	if t.waiter != nil {
		return t.waiter.wait(t.tid)
	}
	return wait(t.tid)
}
