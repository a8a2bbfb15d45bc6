package ptrace

import (
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// thread is one host thread of a stub process. Every ptrace request on it
// must come from its tracer, the one kite OS thread that attached to it;
// its fields are used only there.
type thread struct {
	tgid int // the stub process
	tid  int

	// base holds the registers the thread had when its tracer attached;
	// injected system calls start from it (segment registers, flags).
	base arch.Registers

	// regs is the application's view of the registers the host thread
	// holds, when regsValid: what Switch last set or read. The host copy
	// differs only in orig_rax (see setAppRegs).
	regs      arch.Registers
	regsValid bool

	// dead is set once the thread is known to have exited.
	dead bool

	// waiter, if set, replaces wait for this thread (see ownerWaiter).
	waiter *ownerWaiter

	// follows is set for a thread of a CPUFollow Context; cpu is the CPU
	// the thread was last restricted to then, or -1.
	follows bool
	cpu     int
	// followed is when follow last looked at the CPU.
	followed time.Time
}

// followInterval is how often follow looks up the tracer's CPU: a getcpu
// is a host system call (several microseconds on a virtual machine), and
// the tracer's OS thread moves between CPUs far less often than it
// switches to the stub.
const followInterval = 500 * time.Microsecond

// wait waits for t's next state change.
func (t *thread) wait() (waitStatus, error) {
	if t.waiter != nil {
		return t.waiter.wait(t.tid)
	}
	return wait(t.tid)
}

// follow restricts t to the CPU the calling thread (its tracer) is on, if
// it is not already (CPUFollow).
func (t *thread) follow() {
	now := time.Now()
	if t.cpu >= 0 && now.Sub(t.followed) < followInterval {
		return
	}
	t.followed = now
	if cpu := getcpu(); cpu != t.cpu {
		if pinThread(t.tid, cpu) == nil {
			t.cpu = cpu
		}
	}
}

// errDied reports a stub thread that exited.
func (t *thread) errDied(ws waitStatus) error {
	t.dead = true
	if ws.signaled() {
		return fmt.Errorf("ptrace: stub thread %d killed by signal %d", t.tid, int(ws&0x7f))
	}
	return fmt.Errorf("ptrace: stub thread %d exited with status %d", t.tid, ws.stopSig())
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
	return fmt.Errorf("ptrace: %s of stub thread %d: %w", op, t.tid, err)
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
	t.regsValid = false
	return t.runInjection(&r)
}

// trySyscall is syscall for a caller that does not know whether it traces
// t: if the host refuses to load the registers (ESRCH: the caller is not
// t's tracer, or t is not stopped), it returns ok false having changed
// nothing, and touched nothing of t but its tid and base (both fixed once
// t is published).
func (t *thread) trySyscall(nr uintptr, args ...uintptr) (ret uintptr, err error, ok bool) {
	r := t.injection(nr, args)
	if err := setRegs(t.tid, &r); err != nil {
		return 0, nil, false
	}
	// The host took the registers, so the calling OS thread is t's
	// tracer and t is stopped: t is ours now.
	t.regsValid = false
	ret, err = t.runInjection(&r)
	return ret, err, true
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
			if r.Rip == stubSyscallTrap {
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

// exit injects exit(0) into t (ending only this thread) and reaps it.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *thread) exit() {
	r := t.base
	r.Orig_rax = ^uint64(0)
	r.Rax = unix.SYS_EXIT
	r.Rdi = 0
	r.Rip = stubSyscall
	if setRegs(t.tid, &r) != nil || ptrace(unix.PTRACE_CONT, t.tid, 0, 0) != nil {
		// Already dead (killed with its process); reap if not yet.
		t.reap()
		return
	}
	t.reap()
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

// seize attaches the calling OS thread to stub thread tid (running the
// stub's pause loop, untraced) and stops it.
func seize(tgid, tid int) (*thread, error) {
	t := &thread{tgid: tgid, tid: tid, cpu: -1}
	if err := ptrace(unix.PTRACE_SEIZE, tid, 0, ptraceOptions); err != nil {
		return nil, t.errHost("SEIZE", err)
	}
	if err := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil {
		return nil, t.errHost("INTERRUPT", err)
	}
	for {
		ws, err := wait(tid)
		if err != nil {
			return nil, t.errHost("wait", err)
		}
		if !ws.stopped() {
			return nil, t.errDied(ws)
		}
		if ws.event() == ptraceEventStop {
			break
		}
		// A signal-delivery-stop came first: drop the signal and ask for
		// the stop again.
		if err := ptrace(unix.PTRACE_CONT, tid, 0, 0); err != nil {
			return nil, t.errHost("CONT", err)
		}
		if err := ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil {
			return nil, t.errHost("INTERRUPT", err)
		}
	}
	if err := getRegs(tid, &t.base); err != nil {
		return nil, t.errHost("GETREGS", err)
	}
	// Unblock the signals blocked while it waited untraced: the interrupt
	// signal must get through.
	if _, err := t.syscall(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, stubMaskNone, 0, 8); err != nil {
		return nil, err
	}
	return t, nil
}
