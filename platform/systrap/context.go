package systrap

import (
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// interruptSignal is the host signal Interrupt sends to a running stub
// thread; its handler reports it like any other. SIGCHLD, as on the
// ptrace platform: the stub has no children, so the host never sends it
// one, and a stale tgkill to a reused tid harms nobody.
const interruptSignal = unix.SIGCHLD

// deadPoll is how long kite sleeps on a thread's state word before it
// checks that the thread still exists (a stub killed from outside as a
// whole wakes nobody: the host clears the tid word of an exiting thread
// only while others share its memory).
// siKernel is SI_KERNEL; sysUretprobe the uretprobe system call.
const (
	siKernel     = 0x80
	sysUretprobe = 335
)

var deadPoll = unix.NsecToTimespec(100e6)

// context is a platform.Context: one application thread, in one stub
// thread per address space it has run in.
type context struct {
	p *Platform

	// tid is the host tid of the kite OS thread the Context runs on.
	tid int

	// sched is the scheduling SetScheduling last asked for, if
	// schedSet; mask is the host CPUs it allows (all of kite's before).
	// Used only on the Context's goroutine.
	sched    platform.Scheduling
	schedSet bool
	mask     unix.CPUSet

	// threads maps each address space the Context has run in to its
	// stub thread there. Used only on the Context's goroutine.
	threads map[*addressSpace]*appThread

	// The FP state: in the frame of fpThread if non-nil, else in fp.
	// Used only on the Context's goroutine.
	fp       arch.FPState
	fpThread *appThread
	// last is the stub thread of the latest Switch.
	last *appThread

	// interrupted is set by Interrupt and consumed by Switch.
	interrupted atomic.Bool
	// running is the stub thread executing application code, while
	// Switch runs it.
	running atomic.Pointer[appThread]

	// spin is the adaptive polling state (spin.go), made at the first
	// adaptive Switch. Used only on the Context's goroutine.
	spin *spinState
}

// appThread is a stub thread running application code for one Context.
// Between Switches it waits in the stub's signal handler; the frame of
// that signal (on its signal stack, in its region) holds its registers
// and FP state.
type appThread struct {
	a      *addressSpace
	tid    int
	region int
	ctl    []byte  // the region, kite's view
	base   uintptr // the region's address in the stub

	// fsBase and gsBase are the thread's segment bases: the signal
	// frame does not carry them, and only the handler's arch_prctl
	// changes them, when kite asks.
	fsBase, gsBase uint64

	// uc and fp are the offsets in ctl of the current frame's ucontext
	// and xsave area, checked at the last event; fp is -1 if the frame's
	// fpstate pointer was not usable.
	uc, fp int

	dead bool

	// follower keeps the thread on kite's CPU (SetFollow).
	follower hostsys.Follower
}

var (
	_ platform.Context = (*context)(nil)
	_ platform.Stepper = (*context)(nil)
)

// NewContext implements platform.Platform.
func (p *Platform) NewContext() (platform.Context, error) {
	return &context{
		p:       p,
		tid:     unix.Gettid(),
		threads: make(map[*addressSpace]*appThread),
		fp:      p.initFP.Clone(),
		mask:    p.allCPUs,
	}, nil
}

func (t *appThread) state() *uint32 { return stateWord(t.ctl) }

// threadIn returns the Context's stub thread in a, creating it if needed.
func (c *context) threadIn(a *addressSpace) (*appThread, error) {
	if a.released.Load() {
		return nil, errReleased
	}
	if t := c.threads[a]; t != nil {
		if t.dead {
			return nil, fmt.Errorf("systrap: stub thread %d is gone", t.tid)
		}
		return t, nil
	}
	c.prune()
	a.refs.Add(1)
	tid, r, err := a.newThread()
	if err != nil {
		a.unref()
		return nil, err
	}
	t := &appThread{a: a, tid: tid, region: r, ctl: a.region(r), base: regionAddr(r), follower: hostsys.Follower{CPU: -1}}
	c.threads[a] = t
	if c.schedSet {
		c.applySched(t)
	}
	// The thread reports once from its start instruction: then it waits
	// in the handler with a frame to load registers into.
	if _, err := c.wait(t, time.Time{}, 0); err != nil {
		return nil, err
	}
	if err := t.readFrame(); err != nil {
		return nil, err
	}
	return t, nil
}

// prune forgets the threads of released address spaces.
func (c *context) prune() {
	for a, t := range c.threads {
		if a.released.Load() {
			c.drop(a, t)
		}
	}
}

// drop forgets t, the thread in a.
func (c *context) drop(a *addressSpace, t *appThread) {
	t.dead = true
	delete(c.threads, a)
	if c.fpThread == t {
		c.lostFP()
	}
	if c.last == t {
		c.last = nil
	}
	a.unref()
}

// lostFP is called when the thread holding the FP state is gone: the
// state resets to the initial one, as on execve.
func (c *context) lostFP() {
	c.fpThread = nil
	c.fp = c.p.initFP.Clone()
}

// readFrame checks the frame the handler published and records where its
// parts are. Any application thread can write the region, so every
// pointer is checked against it.
func (t *appThread) readFrame() error {
	uc := le.Uint64(t.ctl[ctlUC:]) - uint64(t.base)
	if uc < pageSize || uc > regionSize-ucSize {
		return fmt.Errorf("systrap: stub thread %d published a bad frame", t.tid)
	}
	t.uc = int(uc)
	t.fp = -1
	fp := le.Uint64(t.ctl[t.uc+ucMContext+scFPState:]) - uint64(t.base)
	size := uint64(t.a.p.xstateSize)
	if fp >= pageSize && fp%64 == 0 && fp <= regionSize-size-4 {
		t.fp = int(fp)
	}
	return nil
}

// resume lets t return from its handler, telling it to poll for stubPoll
// after its next event. It reports whether t was still polling for this
// answer (it had not gone to sleep).
func (t *appThread) resume(stubPoll time.Duration) (polling bool) {
	n := 0.0
	if p := t.a.p; stubPoll > 0 {
		p.pauseOnce.Do(func() { p.pauseNs = nsPerPause() })
		n = min(float64(stubPoll)/p.pauseNs, 100000)
	}
	le.PutUint32(t.ctl[ctlSpin:], uint32(n))
	if atomic.SwapUint32(t.state(), stateRun) == stateEventStubWait {
		hostsys.FutexWakeShared(t.state())
		return false
	}
	return true
}

// poll polls t's state word for an event until d after start (when t
// was resumed), and reports whether one came, with the last time it
// read (within pausesPerPoll of the event). A gap in the polling (kite's
// thread lost its CPU) ends it and tells the platform's gate that CPUs
// are contended.
func (c *context) poll(t *appThread, start time.Time, d time.Duration) (bool, time.Time) {
	w := t.state()
	last := start
	for atomic.LoadUint32(w) == stateRun {
		pause(pausesPerPoll)
		now := time.Now()
		if now.Sub(last) > preemptGap {
			c.p.gate.preempted(now)
			return false, now
		}
		if now.Sub(start) > d {
			return false, now
		}
		last = now
	}
	return true, last
}

// wait waits until t, resumed at resumed, reports an event, polling for
// it first for kitePoll, and reports whether the polling caught it and
// when (zero if it did not).
func (c *context) wait(t *appThread, resumed time.Time, kitePoll time.Duration) (caughtAt time.Time, err error) {
	w := t.state()
	if kitePoll > 0 {
		if caught, at := c.poll(t, resumed, kitePoll); caught {
			caughtAt = at
		}
	}
	for {
		switch v := atomic.LoadUint32(w); v {
		case stateEvent, stateEventStubWait:
			return caughtAt, nil
		case stateRun:
			if !atomic.CompareAndSwapUint32(w, stateRun, stateRunKiteWait) {
				continue
			}
			fallthrough
		case stateRunKiteWait:
			hostsys.FutexWaitShared(w, stateRunKiteWait, &deadPoll)
			if atomic.LoadUint32(w) != stateRunKiteWait {
				continue
			}
			if !t.alive() {
				t.dead = true
				return time.Time{}, fmt.Errorf("systrap: stub thread %d is gone", t.tid)
			}
			if c.interrupted.Load() {
				// An interrupt that found no running thread to
				// signal (it came while the thread was being made),
				// or whose signal a stop sent from outside held
				// up: send it again.
				t.interrupt()
			}
		case stateDead:
			t.dead = true
			return time.Time{}, fmt.Errorf("systrap: stub thread %d exited", t.tid)
		default:
			t.dead = true
			return time.Time{}, fmt.Errorf("systrap: stub thread %d: bad state %d", t.tid, v)
		}
	}
}

// alive reports whether t's host thread still exists.
func (t *appThread) alive() bool {
	if t.a.released.Load() {
		return false
	}
	return unix.Tgkill(t.a.pid, t.tid, 0) != unix.ESRCH
}

// checkRegs refuses registers the host would not load: a selector that
// is not user mode, a segment base outside user space.
func checkRegs(regs *arch.Registers) error {
	if regs.Cs&3 != 3 || regs.Ss&3 != 3 || regs.Fs_base >= taskSize || regs.Gs_base >= taskSize {
		return fmt.Errorf("systrap: invalid registers (cs %#x ss %#x fs_base %#x gs_base %#x): %w",
			regs.Cs, regs.Ss, regs.Fs_base, regs.Gs_base, unix.EIO)
	}
	return nil
}

// setRegs stores regs into t's frame.
func (t *appThread) setRegs(regs *arch.Registers) {
	writeSigcontext(t.ctl[t.uc+ucMContext:], regs)
	var seg uint32
	if regs.Fs_base != t.fsBase {
		le.PutUint64(t.ctl[ctlFSBase:], regs.Fs_base)
		t.fsBase = regs.Fs_base
		seg |= 1
	}
	if regs.Gs_base != t.gsBase {
		le.PutUint64(t.ctl[ctlGSBase:], regs.Gs_base)
		t.gsBase = regs.Gs_base
		seg |= 2
	}
	le.PutUint32(t.ctl[ctlSetSeg:], seg)
}

// getRegs reads t's registers from its frame.
func (t *appThread) getRegs(regs *arch.Registers) {
	readSigcontext(t.ctl[t.uc+ucMContext:], regs)
	regs.Fs_base, regs.Gs_base = t.fsBase, t.gsBase
	regs.Orig_rax = ^uint64(0)
}

// Switch implements platform.Context.
func (c *context) Switch(as platform.AddressSpace, regs *arch.Registers) (platform.Event, platform.Fault, error) {
	a := as.(*addressSpace)
	if err := checkRegs(regs); err != nil {
		return 0, platform.Fault{}, err
	}
	t, err := c.threadIn(a)
	if err != nil {
		return 0, platform.Fault{}, err
	}
	c.last = t
	if err := c.moveFP(t); err != nil {
		return 0, platform.Fault{}, err
	}
	c.running.Store(t)
	defer c.running.Store(nil)
	if c.interrupted.CompareAndSwap(true, false) {
		return platform.EventInterrupt, platform.Fault{}, nil
	}
	adaptive := c.p.spinMode == SpinAdaptive
	if adaptive {
		if c.spin == nil {
			c.spin = new(spinState)
		}
	}
	t.setRegs(regs)
	// One clock read serves the gate, the resume time the adaptation
	// measures from and the start of kite's polling; the answer's time
	// is the only other one, and polling's last read gives it when
	// polling caught the answer.
	var resumed time.Time
	if adaptive || c.p.kiteSpin > 0 {
		resumed = time.Now()
	}
	kitePoll, stubPoll, entered := c.polling(t, resumed)
	if entered {
		defer c.p.gate.leave()
	}
	for first := true; ; first = false {
		if !first && (adaptive || kitePoll > 0) {
			resumed = time.Now()
		}
		polled := t.resume(stubPoll)
		if adaptive && !c.spin.answered.IsZero() {
			// Kite took resumed-answered to answer the stub.
			c.spin.stub[c.spin.last].observe(resumed.Sub(c.spin.answered), polled)
		}
		caughtAt, err := c.wait(t, resumed, kitePoll)
		if err != nil {
			return 0, platform.Fault{}, err
		}
		if adaptive {
			caught := !caughtAt.IsZero()
			if c.spin.answered = caughtAt; !caught {
				c.spin.answered = time.Now()
			}
			c.spin.kite[c.spin.last].observe(c.spin.answered.Sub(resumed), caught)
		}
		if err := t.readFrame(); err != nil {
			t.dead = true
			return 0, platform.Fault{}, err
		}
		info := le.Uint64(t.ctl[ctlInfo:]) - uint64(t.base)
		if info < pageSize || info > regionSize-siSize {
			t.dead = true
			return 0, platform.Fault{}, fmt.Errorf("systrap: stub thread %d published a bad siginfo", t.tid)
		}
		si := t.ctl[info : info+siSize]
		signo := int32(le.Uint32(si[siSigno:]))
		code := int32(le.Uint32(si[siCode:]))
		switch unix.Signal(signo) {
		case unix.SIGSYS:
			if code != sysSeccomp {
				break
			}
			t.getRegs(regs)
			// As at a ptrace syscall-stop: the number in orig_rax
			// (the host rolled rax back to it), -ENOSYS in rax.
			regs.Orig_rax = regs.Rax
			regs.Rax = ^uint64(unix.ENOSYS) + 1
			if adaptive {
				c.spin.event(slot(regs.Orig_rax))
			}
			return platform.EventSyscall, platform.Fault{}, nil

		case interruptSignal:
			if c.interrupted.CompareAndSwap(true, false) {
				t.getRegs(regs)
				if adaptive {
					c.spin.event(spinSlots - 1)
				}
				return platform.EventInterrupt, platform.Fault{}, nil
			}

		case unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP:
			if code <= 0 {
				break
			}
			t.getRegs(regs)
			if adaptive {
				c.spin.event(spinSlots - 1)
			}
			if signo == int32(unix.SIGILL) && code == siKernel && regs.Rax == ^uint64(0) {
				// uretprobe (335) passes every seccomp filter, and
				// outside a uprobe trampoline the host answers it
				// with SIGILL and -1 in rax: report the system call
				// it was.
				regs.Orig_rax = sysUretprobe
				regs.Rax = ^uint64(unix.ENOSYS) + 1
				return platform.EventSyscall, platform.Fault{}, nil
			}
			return platform.EventFault, platform.Fault{
				Signo: signo,
				Code:  code,
				Addr:  uintptr(le.Uint64(si[siAddr:])),
			}, nil
		}
		// Anything else is dropped: the thread returns to where it was
		// with the registers it had.
		le.PutUint32(t.ctl[ctlSetSeg:], 0)
	}
}

// polling returns how long kite and the stub are to poll for each other
// in this Switch (spin.go), and whether the Switch entered the adaptive
// gate (it must leave it), and places t: on kite's CPU if neither polls
// (and the platform follows), else wherever the host likes.
func (c *context) polling(t *appThread, now time.Time) (kite, stub time.Duration, entered bool) {
	p := c.p
	switch p.spinMode {
	case SpinFixed:
		kite, stub = p.kiteSpin, p.stubSpin
	case SpinAdaptive:
		// Only the Contexts that would poll count against the gate.
		if kite, stub = c.spin.budgets(); kite > 0 || stub > 0 {
			if entered = p.gate.enter(now); !entered {
				kite, stub = 0, 0
			}
		}
	}
	if p.follow && (p.spinMode == SpinFixed || kite == 0 && stub == 0) {
		t.follower.Follow(t.tid)
	} else if t.follower.CPU >= 0 {
		if unix.SchedSetaffinity(t.tid, &c.mask) == nil {
			t.follower.CPU = -1
		}
	}
	return kite, stub, entered
}

// moveFP makes t hold the Context's FP state.
func (c *context) moveFP(t *appThread) error {
	if c.fpThread == t {
		return nil
	}
	if c.fpThread != nil {
		c.pullFP()
	}
	if t.fp < 0 {
		return fmt.Errorf("systrap: stub thread %d has no FP state in its frame", t.tid)
	}
	c.pushFP(t)
	c.fpThread = t
	return nil
}

// pullFP copies the state out of fpThread's frame into fp.
func (c *context) pullFP() {
	t := c.fpThread
	c.fpThread = nil
	if t.dead || t.fp < 0 || t.a.released.Load() {
		c.fp = c.p.initFP.Clone()
		return
	}
	fp := make(arch.FPState, c.p.xstateSize)
	copy(fp, t.ctl[t.fp:t.fp+len(fp)])
	// Present it as NT_X86_XSTATE does: XCR0 in the software-reserved
	// bytes, zeros after.
	clear(fp[fxSWReserved : fxSWReserved+fxSWLen])
	le.PutUint64(fp[fxSWReserved:], c.p.features)
	c.fp = fp
}

// pushFP writes fp into t's frame, keeping the frame's software-reserved
// bytes (the host's fpx_sw_bytes) and the magic after the area.
func (c *context) pushFP(t *appThread) {
	dst := t.ctl[t.fp : t.fp+c.p.xstateSize]
	copy(dst[:fxSWReserved], c.fp)
	copy(dst[fxSWReserved+fxSWLen:], c.fp[fxSWReserved+fxSWLen:])
}

// FPState implements platform.Context.
func (c *context) FPState() (arch.FPState, error) {
	if c.fpThread != nil {
		c.pullFP()
	}
	return c.fp.Clone(), nil
}

// SetFPState implements platform.Context. The host would refuse to load
// a malformed xsave area at rt_sigreturn (and kill the thread), so the
// checks XRSTOR makes are made here: EINVAL as ptrace's SETREGSET gives.
func (c *context) SetFPState(s arch.FPState) error {
	if s == nil {
		s = c.p.initFP
	}
	if len(s) > c.p.xstateSize || len(s) < arch.FXSaveSize+xsaveSize {
		return unix.EINVAL
	}
	fp := make(arch.FPState, c.p.xstateSize)
	copy(fp, s)
	bv := le.Uint64(fp[xsaveHdr:])
	if bv&^c.p.features != 0 || le.Uint32(fp[fxMXCSR:])&^c.p.mxcsrMask != 0 {
		return unix.EINVAL
	}
	for _, b := range fp[xsaveHdr+8 : xsaveHdr+xsaveSize] {
		if b != 0 {
			return unix.EINVAL
		}
	}
	c.fp, c.fpThread = fp, nil
	if t := c.last; t != nil && !t.dead && t.fp >= 0 && !t.a.released.Load() {
		c.pushFP(t)
		c.fpThread = t
	}
	return nil
}

// Interrupt implements platform.Context. The flag is set before running is
// read, and Switch publishes running before it reads the flag, so no
// wake-up is lost; a late signal finds the flag clear and is dropped.
func (c *context) Interrupt() {
	c.interrupted.Store(true)
	if t := c.running.Load(); t != nil {
		t.interrupt()
	}
}

// interrupt signals t to report to kite. SIGCONT first: a SIGSTOP sent to
// the stub from outside would otherwise keep the thread from taking it.
func (t *appThread) interrupt() {
	unix.Tgkill(t.a.pid, t.tid, unix.SIGCONT)
	unix.Tgkill(t.a.pid, t.tid, interruptSignal)
}

// Release implements platform.Context: each of its stub threads in a live
// address space is sent to the stub's exit and, once gone, its region is
// reused.
func (c *context) Release() {
	for a, t := range c.threads {
		if !t.dead && !a.released.Load() {
			t.exit()
		}
		c.drop(a, t)
	}
	c.fpThread, c.last = nil, nil
}

// exit makes t leave its handler for the stub's exit, and frees its region
// once the host has cleared its state word (it may take a while to run;
// a region whose thread never goes stays unused).
func (t *appThread) exit() {
	le.PutUint64(t.ctl[t.uc+ucMContext+scRIP:], stubExit)
	le.PutUint32(t.ctl[ctlSetSeg:], 0)
	w := t.state()
	t.resume(0)
	for i := 0; i < 20; i++ {
		v := atomic.LoadUint32(w)
		if v == stateDead {
			t.a.freeRegion(t.region)
			return
		}
		if v != stateRun {
			return
		}
		hostsys.FutexWaitShared(w, stateRun, &deadPoll)
	}
}

// eflagsTF is the trap flag.
const eflagsTF = 1 << 8

// SwitchStep implements platform.Stepper: the trap flag goes into the
// frame, so the CPU traps after one instruction (a SIGTRAP with
// TRAP_TRACE, reported as a fault); a system call instruction traps to
// seccomp first and reports EventSyscall. The flag is hidden from the
// registers returned unless the application had set it itself, as
// PTRACE_SYSEMU_SINGLESTEP hides it.
func (c *context) SwitchStep(as platform.AddressSpace, regs *arch.Registers) (platform.Event, platform.Fault, error) {
	own := regs.Eflags & eflagsTF
	regs.Eflags |= eflagsTF
	ev, f, err := c.Switch(as, regs)
	if own == 0 {
		regs.Eflags &^= eflagsTF
	}
	return ev, f, err
}
