package ptrace

import (
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// interruptSignal is the host signal Interrupt sends to a running stub
// thread to force a ptrace stop. SIGCHLD because: its default action is to
// ignore, so even if it ever reached the stub undelivered-by-us it could
// neither stop nor kill it (SIGSTOP would start a group-stop of the whole
// stub, SIGKILL would end it); the stub never has children, so the host
// never sends it SIGCHLD on its own and a stop for it is always ours; and a
// stale tgkill aimed at a tid that has since been reused by an unrelated
// host process is harmless to that process too. The stub's signal mask is
// empty (it never runs sigprocmask), so it is never blocked.
const interruptSignal = unix.SIGCHLD

// defaultCPUPolicy is the CPU policy New sets. See doc.go for the
// measurements behind it.
const defaultCPUPolicy = CPUFollow

// context is a platform.Context: one application thread, run by the kite
// OS thread it was created on, in one stub thread per address space.
type context struct {
	p *Platform

	// tid is the host tid of the kite OS thread, the tracer of every stub
	// thread of this Context.
	tid int

	// policy is the platform's CPU policy when the Context was made. cpu
	// is the CPU the Context is pinned to under CPUPin, or -1; oldMask is
	// the OS thread's affinity before pinning.
	policy  CPUPolicy
	cpu     int
	oldMask unix.CPUSet

	// threads maps each address space the Context has run in to its stub
	// thread there. Used only on the Context's goroutine.
	threads map[*addressSpace]*thread

	// The FP state: held by fpThread if non-nil, else in fp.
	// Used only on the Context's goroutine.
	fp       arch.FPState
	fpThread *thread
	// last is the stub thread of the latest Switch.
	last *thread

	// interrupted is set by Interrupt and consumed by Switch.
	interrupted atomic.Bool
	// running is the stub thread executing application code, while
	// Switch runs it.
	running atomic.Pointer[thread]

	// sched is the scheduling SetScheduling last asked for, if schedSet.
	// Used only on the Context's goroutine.
	sched    platform.Scheduling
	schedSet bool
}

var (
	_ platform.Context = (*context)(nil)
	_ platform.Stepper = (*context)(nil)
)

// NewContext implements platform.Platform.
func (p *Platform) NewContext() (platform.Context, error) {
	c := &context{
		p:       p,
		tid:     unix.Gettid(),
		cpu:     -1,
		threads: make(map[*addressSpace]*thread),
		fp:      p.initFP.Clone(),
	}
	c.policy = p.cpuPolicy()
	if c.policy == CPUPin {
		if err := unix.SchedGetaffinity(0, &c.oldMask); err == nil {
			c.cpu = p.pickCPU()
			hostsys.PinThread(0, c.cpu)
		}
	}
	return c, nil
}

// pickCPU returns the next CPU in round-robin order.
func (p *Platform) pickCPU() int {
	return p.cpus[int(p.nextCPU.Add(1)-1)%len(p.cpus)]
}

// threadIn returns the Context's stub thread in a, creating it if needed.
func (c *context) threadIn(a *addressSpace) (*thread, error) {
	if a.released.Load() {
		return nil, errReleased
	}
	if t := c.threads[a]; t != nil {
		if t.Dead {
			return nil, fmt.Errorf("ptrace: stub thread %d is gone", t.Tid)
		}
		return t, nil
	}
	c.prune()
	tid, err := a.newThread()
	if err != nil {
		return nil, err
	}
	// Place it first (it inherits the main thread's placement), so that
	// seizing it already wakes it where it will run.
	cpu := -1
	switch c.policy {
	case CPUPin:
		hostsys.PinThread(tid, c.cpu)
	case CPUFollow:
		cpu = hostsys.Getcpu()
		if hostsys.PinThread(tid, cpu) != nil {
			cpu = -1
		}
	default:
		all := c.hostCPUs(0)
		unix.SchedSetaffinity(tid, &all)
	}
	t, err := c.p.seize(a.pid, tid)
	if err != nil {
		return nil, err
	}
	t.CPU, t.follows = cpu, c.policy == CPUFollow
	if c.schedSet {
		c.applySched(t)
	}
	a.mu.Lock()
	if a.released.Load() {
		a.mu.Unlock()
		return nil, errReleased
	}
	a.threads[c.tid] = t
	a.mu.Unlock()
	c.threads[a] = t
	return t, nil
}

// prune forgets the threads of released address spaces (their owners
// reaped them).
func (c *context) prune() {
	for a, t := range c.threads {
		if a.released.Load() {
			t.Dead = true
			delete(c.threads, a)
			if c.fpThread == t {
				c.lostFP()
			}
			if c.last == t {
				c.last = nil
			}
		}
	}
}

// lostFP is called when the thread holding the FP state died with its
// address space: the state resets to the initial one, as on execve.
func (c *context) lostFP() {
	c.fpThread = nil
	c.fp = c.p.initFP.Clone()
}

// moveFP makes t hold the Context's FP state.
func (c *context) moveFP(t *thread) error {
	if c.fpThread == t {
		return nil
	}
	if c.fpThread != nil {
		if err := c.pullFP(); err != nil {
			c.lostFP()
		}
	}
	if err := hostsys.SetRegset(t.Tid, unix.NT_X86_XSTATE, c.fp); err != nil {
		return t.ErrHost("SETREGSET", err)
	}
	c.fpThread = t
	return nil
}

// pullFP copies the state out of fpThread into fp.
func (c *context) pullFP() error {
	if len(c.fp) != c.p.xstateSize {
		c.fp = make(arch.FPState, c.p.xstateSize)
	}
	n, err := hostsys.GetRegset(c.fpThread.Tid, unix.NT_X86_XSTATE, c.fp)
	if err != nil {
		return err
	}
	c.fp = c.fp[:n]
	c.fpThread = nil
	return nil
}

// FPState implements platform.Context.
func (c *context) FPState() (arch.FPState, error) {
	if c.fpThread != nil {
		if c.fpThread.Dead || c.pullFP() != nil {
			c.lostFP()
		}
	}
	return c.fp.Clone(), nil
}

// SetFPState implements platform.Context. The state is applied at once if
// the Context has a live stub thread, so that the host's validation
// errors (EINVAL for a malformed xsave header) come back here.
func (c *context) SetFPState(s arch.FPState) error {
	if s == nil {
		s = c.p.initFP
	}
	if len(s) > c.p.xstateSize || len(s) < arch.FXSaveSize+64 {
		return unix.EINVAL
	}
	fp := make(arch.FPState, c.p.xstateSize)
	copy(fp, s)
	if t := c.last; t != nil && !t.Dead && !c.isReleased(t) {
		if err := hostsys.SetRegset(t.Tid, unix.NT_X86_XSTATE, fp); err != nil {
			if err == unix.EINVAL || err == unix.EFAULT {
				return unix.EINVAL
			}
			return t.ErrHost("SETREGSET", err)
		}
		c.fp, c.fpThread = fp, t
		return nil
	}
	c.fp, c.fpThread = fp, nil
	return nil
}

func (c *context) isReleased(t *thread) bool {
	for a, u := range c.threads {
		if u == t {
			return a.released.Load()
		}
	}
	return true
}

// Interrupt implements platform.Context. The flag is set before running is
// read, and Switch publishes running before it reads the flag, so either
// Switch sees the flag or Interrupt sees the running thread and signals
// it: no wake-up is lost. A signal that arrives after Switch returned
// finds the flag cleared and is dropped.
func (c *context) Interrupt() {
	c.interrupted.Store(true)
	if t := c.running.Load(); t != nil {
		unix.Tgkill(t.Tgid, t.Tid, interruptSignal)
	}
}

// setAppRegs loads regs into t unless t already holds them. The host copy
// gets orig_rax = -1: the thread is then not "in a system call", so the
// host never rewinds rip for a syscall restart if a signal stops it right
// at the resume (restarts are the kernel's business, not the host's).
func (t *thread) setAppRegs(regs *arch.Registers) error {
	if t.regsValid && t.regs == *regs {
		return nil
	}
	if t.regsValid && onlyRax(&t.regs, regs) {
		// A system call's result, the common case: one word
		// (PTRACE_POKEUSER costs about 1.2us of host time here against
		// SETREGS' 1.5us). The host copy's orig_rax stays what it was
		// (the system call's number at a syscall-stop), which is
		// harmless unless rax is one of the restart codes the host acts
		// on when it delivers a signal (onlyRax refuses those).
		if err := hostsys.SetRax(t.Tid, regs.Rax); err != nil {
			t.regsValid = false
			return t.ErrHost("POKEUSER", err)
		}
		t.regs.Rax = regs.Rax
		return nil
	}
	host := *regs
	host.Orig_rax = ^uint64(0)
	if err := hostsys.SetRegs(t.Tid, &host); err != nil {
		t.regsValid = false
		if err == unix.EIO {
			// The host refuses a kernel-mode cs or ss selector and an
			// fs_base or gs_base at or above the end of user space.
			return fmt.Errorf("ptrace: invalid registers (cs %#x ss %#x fs_base %#x gs_base %#x): %w",
				regs.Cs, regs.Ss, regs.Fs_base, regs.Gs_base, err)
		}
		return t.ErrHost("SETREGS", err)
	}
	t.regs, t.regsValid = *regs, true
	return nil
}

// onlyRax reports whether new differs from old in rax alone, and rax is
// none of the host's restart codes (-ERESTARTSYS, -ERESTARTNOINTR,
// -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK: -512 to -516), which the host
// would act on if the thread were stopped in a system call.
func onlyRax(old, new *arch.Registers) bool {
	if e := -int64(new.Rax); e >= 512 && e <= 516 {
		return false
	}
	o := *old
	o.Rax = new.Rax
	return o == *new
}

// getAppRegs reads t's registers into regs.
func (t *thread) getAppRegs(regs *arch.Registers) error {
	if err := hostsys.GetRegs(t.Tid, regs); err != nil {
		t.regsValid = false
		return t.ErrHost("GETREGS", err)
	}
	t.regs, t.regsValid = *regs, true
	return nil
}

// Switch implements platform.Context.
func (c *context) Switch(as platform.AddressSpace, regs *arch.Registers) (platform.Event, platform.Fault, error) {
	return c.run(as, regs, unix.PTRACE_SYSEMU)
}

// SwitchStep implements platform.Stepper with the host's
// PTRACE_SYSEMU_SINGLESTEP: a system call instruction stops at its entry
// as under PTRACE_SYSEMU, any other traps after it.
func (c *context) SwitchStep(as platform.AddressSpace, regs *arch.Registers) (platform.Event, platform.Fault, error) {
	return c.run(as, regs, unix.PTRACE_SYSEMU_SINGLESTEP)
}

// run runs application code with the host ptrace request req until an
// event.
func (c *context) run(as platform.AddressSpace, regs *arch.Registers, req int) (platform.Event, platform.Fault, error) {
	a := as.(*addressSpace)
	t, err := c.threadIn(a)
	if err != nil {
		return 0, platform.Fault{}, err
	}
	c.last = t
	if err := c.moveFP(t); err != nil {
		return 0, platform.Fault{}, err
	}
	if err := t.setAppRegs(regs); err != nil {
		return 0, platform.Fault{}, err
	}
	if t.follows {
		t.follow()
	}
	c.running.Store(t)
	defer c.running.Store(nil)
	defer a.lastStopped.Store(t)
	if c.interrupted.CompareAndSwap(true, false) {
		return platform.EventInterrupt, platform.Fault{}, nil
	}
	for {
		if err := hostsys.Ptrace(req, t.Tid, 0, 0); err != nil {
			return 0, platform.Fault{}, t.ErrHost("SYSEMU", err)
		}
		ws, err := hostsys.Wait(t.Tid)
		if err != nil {
			return 0, platform.Fault{}, t.ErrHost("wait", err)
		}
		if !ws.Stopped() {
			return 0, platform.Fault{}, t.ErrDied(ws)
		}
		sig := int(ws.StopSignal())
		switch {
		case sig == syscallStopSig:
			if err := t.getAppRegs(regs); err != nil {
				return 0, platform.Fault{}, err
			}
			return platform.EventSyscall, platform.Fault{}, nil

		case hostsys.PtraceEvent(ws) != 0:
			// PTRACE_EVENT_STOP (group-stop or a late interrupt stop):
			// nothing to report, resume.

		case sig == int(interruptSignal):
			if c.interrupted.CompareAndSwap(true, false) {
				if err := t.getAppRegs(regs); err != nil {
					return 0, platform.Fault{}, err
				}
				return platform.EventInterrupt, platform.Fault{}, nil
			}

		case sig == int(unix.SIGSEGV) || sig == int(unix.SIGBUS) || sig == int(unix.SIGFPE) ||
			sig == int(unix.SIGILL) || sig == int(unix.SIGTRAP):
			var si hostsys.Siginfo
			if err := hostsys.GetSiginfo(t.Tid, &si); err != nil {
				return 0, platform.Fault{}, t.ErrHost("GETSIGINFO", err)
			}
			if si.Code <= 0 {
				// Sent by someone (kill, tgkill), not a fault: drop.
				break
			}
			if err := t.getAppRegs(regs); err != nil {
				return 0, platform.Fault{}, err
			}
			return platform.EventFault, platform.Fault{
				Signo: si.Signo,
				Code:  si.Code,
				Addr:  uintptr(si.Addr),
			}, nil
		}
		// Any other stop: the signal is suppressed (resumed with 0).
	}
}

// Release implements platform.Context: each of its stub threads in a live
// address space is made to exit and is reaped; the OS thread's CPU
// affinity is restored.
func (c *context) Release() {
	for a, t := range c.threads {
		delete(c.threads, a)
		a.mu.Lock()
		live := !a.released.Load()
		if live {
			delete(a.threads, c.tid)
		}
		a.mu.Unlock()
		if !live || t.Dead {
			continue
		}
		t.exit()
		a.mu.Lock()
		if a.tids != nil {
			delete(a.tids, t.Tid)
		}
		a.mu.Unlock()
	}
	c.fpThread, c.last = nil, nil
	if c.cpu >= 0 {
		unix.SchedSetaffinity(0, &c.oldMask)
		c.cpu = -1
	}
}
