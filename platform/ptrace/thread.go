package ptrace

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// thread is one host thread of a stub process. Every ptrace request on it
// must come from its tracer, the one kite OS thread that attached to it;
// its fields are used only there.
type thread struct {
	*hostsys.Thread

	// regs is the application's view of the registers the host thread
	// holds, when regsValid: what Switch last set or read. The host copy
	// differs only in orig_rax (see setAppRegs).
	regs      arch.Registers
	regsValid bool

	// follows is set for a thread of a CPUFollow Context; the follower
	// then keeps it on its tracer's CPU.
	follows bool
	hostsys.Follower
}

func newThread(t *hostsys.Thread) *thread {
	return &thread{Thread: t, Follower: hostsys.Follower{CPU: -1}}
}

// follow restricts t to the CPU the calling thread (its tracer) is on, if
// it is not already (CPUFollow).
func (t *thread) follow() { t.Follow(t.Tid) }

// syscall injects system call nr with args into t and returns its result
// (hostsys.Thread.Syscall).
func (t *thread) syscall(nr uintptr, args ...uintptr) (uintptr, error) {
	t.regsValid = false
	return t.Syscall(nr, args...)
}

// trySyscall is hostsys.Thread.TrySyscall for a caller that does not know
// whether it traces t.
func (t *thread) trySyscall(nr uintptr, args ...uintptr) (ret uintptr, err error, ok bool) {
	ret, err, ok = t.TrySyscall(nr, args...)
	if ok {
		// t is the caller's: its registers are the injection's now.
		t.regsValid = false
	}
	return ret, err, ok
}

// exit injects exit(0) into t (ending only this thread) and reaps it.
//
// Preconditions: t is stopped and traced by the calling OS thread.
func (t *thread) exit() {
	t.StartSyscall(unix.SYS_EXIT, 0)
	// Reap it, or if it was already dead (killed with its process), reap
	// it if not yet.
	t.Reap()
}

// seize attaches the calling OS thread to stub thread tid (running the
// stub's pause loop, untraced) and stops it.
func (p *Platform) seize(tgid, tid int) (*thread, error) {
	t := newThread(p.Stub().NewThread(tgid, tid))
	if err := hostsys.Ptrace(unix.PTRACE_SEIZE, tid, 0, ptraceOptions); err != nil {
		return nil, t.ErrHost("SEIZE", err)
	}
	if err := hostsys.Ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil {
		return nil, t.ErrHost("INTERRUPT", err)
	}
	for {
		ws, err := hostsys.Wait(tid)
		if err != nil {
			return nil, t.ErrHost("wait", err)
		}
		if !ws.Stopped() {
			return nil, t.ErrDied(ws)
		}
		if hostsys.PtraceEvent(ws) == hostsys.PtraceEventStop {
			break
		}
		// A signal-delivery-stop came first: drop the signal and ask for
		// the stop again.
		if err := hostsys.Ptrace(unix.PTRACE_CONT, tid, 0, 0); err != nil {
			return nil, t.ErrHost("CONT", err)
		}
		if err := hostsys.Ptrace(unix.PTRACE_INTERRUPT, tid, 0, 0); err != nil {
			return nil, t.ErrHost("INTERRUPT", err)
		}
	}
	if err := hostsys.GetRegs(tid, &t.Base); err != nil {
		return nil, t.ErrHost("GETREGS", err)
	}
	// Unblock the signals blocked while it waited untraced: the interrupt
	// signal must get through.
	if _, err := t.syscall(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, stubMaskNone, 0, 8); err != nil {
		return nil, err
	}
	return t, nil
}
