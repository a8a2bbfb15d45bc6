package kernel

import (
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// This file is the guest-visible ptrace(2): kite's tasks tracing each
// other (kite itself runs application code under host ptrace; that is the
// platform's business and unrelated). A tracee stops by parking its own
// goroutine in ptraceStop; the tracer finds it through wait and acts on it
// with requests that run on the tracee's goroutine (ptraceRun), so that
// the tracee's registers and FP state are only ever touched by the
// goroutine that owns them.
//
// Access rules are Linux's without Yama (the host kite is developed on has
// no Yama, and Linux without it is the reference): same uids and a
// dumpable target, or CAP_SYS_PTRACE over the target's user namespace.
// PR_SET_PTRACER, a Yama option, is EINVAL as on such a Linux.

// PtraceMode is how a resumed tracee runs until its next stop.
type PtraceMode int

// Resume modes (the requests that resume a tracee).
const (
	PtraceCont PtraceMode = iota
	PtraceSyscall
	PtraceSysemu
	PtraceSingleStep
	PtraceSysemuSingleStep
)

// ptraceResume is what a tracer hands a stopped tracee.
type ptraceResume struct {
	mode   PtraceMode
	sig    int
	listen bool
}

// stopResult says how ptraceStop ended.
type stopResult int

const (
	// stopResumed: the tracer resumed the task.
	stopResumed stopResult = iota
	// stopNotTraced: the task is not traced; it did not stop.
	stopNotTraced
	// stopDying: the task is being killed; it did not stop, or left the
	// stop for its death.
	stopDying
)

// Syscall-info ops (PTRACE_GET_SYSCALL_INFO).
const (
	sysInfoNone    = 0
	sysInfoEntry   = 1
	sysInfoExit    = 2
	sysInfoSeccomp = 3
)

// ptraceState is a task's ptrace state, as tracee and as tracer.
type ptraceState struct {
	// traced mirrors tracer != nil for readers without Kernel.mu (the run
	// loop's fast checks, code under sigMu).
	traced atomic.Bool
	// trapPending asks the tracee for a PTRACE_EVENT_STOP
	// (PTRACE_INTERRUPT, a seized task's first stop).
	trapPending atomic.Bool

	// The fields below are guarded by Kernel.mu.

	// tracer is the tracing task; nil when untraced.
	tracer *Task
	// seized says the tracer attached with PTRACE_SEIZE.
	seized bool
	// options are the PTRACE_O_* options.
	options uint32
	// tracees are the tasks this task traces.
	tracees map[*Task]struct{}
	// creator is the task that cloned this one (Linux's real_parent
	// thread, the tracer PTRACE_TRACEME picks). Set before the task
	// starts.
	creator *Task
	// stopped is set while the task is in a ptrace stop; listening while
	// PTRACE_LISTEN lets it wait for the group stop to end.
	stopped   bool
	listening bool
	// listenStopped and listenWake are the group stop when the current
	// PTRACE_EVENT_STOP began: after PTRACE_LISTEN the task stops again
	// once it has changed.
	listenStopped bool
	listenWake    chan struct{}
	// stopCode is the stop's exit_code: the signal, with an event in the
	// next byte (wait reports stopCode<<8|0x7f).
	stopCode int
	// reported is set once wait has reported the stop.
	reported bool
	// stopEnd is closed when the current stop ends.
	stopEnd chan struct{}
	// siginfo is the stop's siginfo (PTRACE_GETSIGINFO); nil for a
	// non-seized group stop.
	siginfo *arch.SignalInfo
	// eventMsg is PTRACE_GETEVENTMSG's value.
	eventMsg uint64
	// zombie is set when the traced task has exited and its tracer has
	// not waited for it; zombieStatus is what wait reports.
	zombie       bool
	zombieStatus WaitStatus

	// resume carries the tracer's resumption (buffered: one per stop);
	// req carries requests run on the stopped tracee's goroutine.
	resume chan ptraceResume
	req    chan func()

	// The fields below are used by the tracee's goroutine only (and by
	// requests, which run on it).

	// mode is how the tracer last resumed the task.
	mode PtraceMode
	// emulated is set when a system call was skipped at its entry stop
	// by SYSEMU: it gets no exit stop.
	emulated bool
	// sysOp and seccompData describe the current stop for
	// PTRACE_GET_SYSCALL_INFO.
	sysOp       uint8
	seccompData uint32
	// seccompRecheck is set while seccomp filters run again after a
	// PTRACE_EVENT_SECCOMP stop: SECCOMP_RET_TRACE then allows.
	seccompRecheck bool
	// debugRegs are the values written to the debug registers
	// (PTRACE_POKEUSER); kite arms no hardware breakpoints.
	debugRegs [8]uint64

	// seenStop is the group stop (its stopWake) the task has reported
	// to its tracer. Guarded by tg.sigMu.
	seenStop chan struct{}
}

// ptraceEventOption maps a PTRACE_EVENT_* to the option enabling it.
func ptraceEventOption(ev int) uint32 {
	switch ev {
	case unix.PTRACE_EVENT_FORK:
		return unix.PTRACE_O_TRACEFORK
	case unix.PTRACE_EVENT_VFORK:
		return unix.PTRACE_O_TRACEVFORK
	case unix.PTRACE_EVENT_CLONE:
		return unix.PTRACE_O_TRACECLONE
	case unix.PTRACE_EVENT_EXEC:
		return unix.PTRACE_O_TRACEEXEC
	case unix.PTRACE_EVENT_VFORK_DONE:
		return unix.PTRACE_O_TRACEVFORKDONE
	case unix.PTRACE_EVENT_EXIT:
		return unix.PTRACE_O_TRACEEXIT
	case unix.PTRACE_EVENT_SECCOMP:
		return unix.PTRACE_O_TRACESECCOMP
	}
	return 0
}

// ptraceEventEnabled reports whether t's tracer asked for event ev.
func (t *Task) ptraceEventEnabled(ev int) bool {
	if !t.ptrace.traced.Load() {
		return false
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	return t.ptrace.tracer != nil && t.ptrace.options&ptraceEventOption(ev) != 0
}

// Tracer returns the thread id of the task tracing t, 0 if none
// (/proc/PID/status's TracerPid).
func (t *Task) Tracer() int32 {
	if !t.ptrace.traced.Load() {
		return 0
	}
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if tr := t.ptrace.tracer; tr != nil {
		return tr.tid
	}
	return 0
}

// ptraceStoppedLocked reports whether t is in a ptrace stop
// (/proc's 't' state).
//
// Preconditions: k.mu is held.
func (t *Task) ptraceStoppedLocked() bool { return t.ptrace.stopped && !t.ptrace.listening }

// dyingLocked reports whether t is being killed, so that it must not stop
// (or must leave a stop). exitStop is the PTRACE_EVENT_EXIT stop, which
// only SIGKILL ends: the task is already exiting.
//
// Preconditions: k.mu is held.
func (t *Task) dyingLocked(exitStop bool) bool {
	tg := t.tg
	if tg.sigkilled.Load() {
		return true
	}
	if exitStop {
		return false
	}
	tg.sigMu.Lock()
	exiting := tg.exiting
	tg.sigMu.Unlock()
	t.mu.Lock()
	exiting = exiting || t.exiting
	t.mu.Unlock()
	return exiting
}

// notifySignalInfo is the siginfo of a stop the task reports itself
// (events, syscall stops): si_code is the stop's code, as Linux's
// ptrace_do_notify.
func (t *Task) notifySignalInfo(code int) *arch.SignalInfo {
	info := arch.NewKillSignalInfo(code&0x7f, int32(code), t.PIDOf(t.tid), t.Credentials().RealUID)
	return &info
}

// ptraceStop parks t, on its own goroutine with no locks held, in a
// ptrace stop reporting code until its tracer resumes it.
//
// msg is the stop's PTRACE_GETEVENTMSG value; exitStop is the
// PTRACE_EVENT_EXIT stop (see dyingLocked).
func (t *Task) ptraceStop(code int, info *arch.SignalInfo, msg uint64, exitStop bool) (ptraceResume, stopResult) {
	k := t.k
	p := &t.ptrace
	k.mu.Lock()
	tracer := p.tracer
	if tracer == nil {
		k.mu.Unlock()
		return ptraceResume{}, stopNotTraced
	}
	if t.dyingLocked(exitStop) {
		k.mu.Unlock()
		return ptraceResume{}, stopDying
	}
	p.stopped, p.listening, p.reported = true, false, false
	p.stopCode = code
	p.siginfo = info
	p.eventMsg = msg
	p.stopEnd = make(chan struct{})
	tracer.notifyTracerLocked(t, linux.CLD_TRAPPED, int32(code&0x7f))
	k.mu.Unlock()
	return t.ptraceWait(exitStop)
}

// ptraceWait waits in a stop for the tracer's resumption, running its
// requests meanwhile.
func (t *Task) ptraceWait(exitStop bool) (ptraceResume, stopResult) {
	k := t.k
	p := &t.ptrace
	t.SleepBegin()
	defer t.SleepEnd()
	for {
		select {
		case r := <-p.resume:
			return r, stopResumed
		case fn := <-p.req:
			fn()
		case <-t.wake:
			k.mu.Lock()
			if p.stopped && t.dyingLocked(exitStop) {
				p.stopped, p.listening = false, false
				close(p.stopEnd)
				k.mu.Unlock()
				return ptraceResume{}, stopDying
			}
			k.mu.Unlock()
		}
	}
}

// notifyTracerLocked tells tracer's process that tracee changed state:
// SIGCHLD (unless SA_NOCLDSTOP for a stop) and a wake-up of its waiters.
//
// Preconditions: k.mu is held.
func (tracer *Task) notifyTracerLocked(tracee *Task, code, status int32) {
	tg := tracer.tg
	if tg.state != groupAlive {
		return
	}
	act := tg.signalHandlers().get(int(unix.SIGCHLD))
	stop := code == linux.CLD_TRAPPED || code == linux.CLD_STOPPED
	if !stop || act.Flags&linux.SA_NOCLDSTOP == 0 {
		u, s := tracee.CPUTime()
		info := arch.NewChildSignalInfo(code, tracer.PIDOf(tracee.tid), tracee.Credentials().RealUID, status, int64(u/1e7), int64(s/1e7))
		tg.sendKernelLocked(nil, &info)
	}
	tg.notifyChildEventLocked()
}

// ptraceApply takes the tracer's resumption into the task's own state.
func (t *Task) ptraceApply(r ptraceResume) {
	t.ptrace.mode = r.mode
}

// ptraceInject sends the signal a tracer resumed a syscall stop with, as
// Linux's ptrace_report_syscall does (SI_KERNEL).
func (t *Task) ptraceInject(r ptraceResume) {
	if r.sig > 0 && r.sig <= linux.NumSignals {
		t.SendSignal(kernelSigInfo(r.sig))
	}
}

// ptraceEvent stops t for event ev with message msg if its tracer asked
// for the event. It reports whether the task stopped.
func (t *Task) ptraceEvent(ev int, msg uint64) bool {
	if !t.ptraceEventEnabled(ev) {
		return false
	}
	code := int(unix.SIGTRAP) | ev<<8
	r, res := t.ptraceStop(code, t.notifySignalInfo(code), msg, ev == unix.PTRACE_EVENT_EXIT)
	if res == stopResumed {
		t.ptraceApply(r)
	}
	return res == stopResumed
}

// ptraceTrapIfPending takes a pending PTRACE_EVENT_STOP (PTRACE_INTERRUPT,
// the first stop of a seized task). It reports whether there was one.
func (t *Task) ptraceTrapIfPending() bool {
	if !t.ptrace.trapPending.Swap(false) {
		return false
	}
	t.ptraceEventStop()
	return true
}

// ptraceEventStop is a seized task's PTRACE_EVENT_STOP: with the group
// stop's signal while the group is stopped, SIGTRAP otherwise. After
// PTRACE_LISTEN the task stays put until the group stop ends or a signal
// comes, then stops again.
func (t *Task) ptraceEventStop() {
	for {
		sig := int(unix.SIGTRAP)
		tg := t.tg
		k := t.k
		k.mu.Lock()
		tg.sigMu.Lock()
		if tg.stopped {
			sig = tg.stopSig
			t.ptrace.seenStop = tg.stopWake
		}
		// What PTRACE_LISTEN compares with: a change of the group stop
		// since this trap began makes the task stop again.
		t.ptrace.listenStopped, t.ptrace.listenWake = tg.stopped, tg.stopWake
		tg.sigMu.Unlock()
		k.mu.Unlock()
		code := sig | unix.PTRACE_EVENT_STOP<<8
		r, res := t.ptraceStop(code, t.notifySignalInfo(code), 0, false)
		if res != stopResumed {
			return
		}
		t.ptraceApply(r)
		if !r.listen || !t.ptraceListen() {
			return
		}
	}
}

// ptraceGroupStop reports t's part of a group stop to its tracer: the
// stop signal (a PTRACE_EVENT_STOP for a seized task).
func (t *Task) ptraceGroupStop() {
	k := t.k
	k.mu.Lock()
	seized := t.ptrace.seized
	sig := t.tg.stopSig
	k.mu.Unlock()
	if seized {
		t.ptraceEventStop()
		return
	}
	if sig == 0 {
		sig = int(unix.SIGSTOP)
	}
	r, res := t.ptraceStop(sig, nil, 0, false)
	if res == stopResumed {
		t.ptraceApply(r)
	}
}

// ptraceListen keeps a PTRACE_LISTENed task stopped until its group stop
// ends, a new one begins or the tracer interrupts it. It reports whether
// the task must stop again (false: it is dying or was detached).
func (t *Task) ptraceListen() bool {
	k := t.k
	tg := t.tg
	k.mu.Lock()
	if !t.ptrace.listening {
		// Detached (or resumed) before it got here.
		k.mu.Unlock()
		return false
	}
	wasStopped, stopWake := t.ptrace.listenStopped, t.ptrace.listenWake
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		if t.ptrace.listening {
			t.ptrace.stopped, t.ptrace.listening = false, false
			close(t.ptrace.stopEnd)
		}
		k.mu.Unlock()
	}()
	var ended <-chan struct{}
	if wasStopped {
		ended = stopWake
	}
	t.SleepBegin()
	defer t.SleepEnd()
	for {
		tg.sigMu.Lock()
		changed := tg.stopped != wasStopped || tg.stopWake != stopWake
		tg.sigMu.Unlock()
		if changed || t.ptrace.trapPending.Swap(false) {
			return true
		}
		select {
		case <-ended:
		case r := <-t.ptrace.resume:
			// Detached while listening.
			t.ptraceApply(r)
			return false
		case <-t.wake:
			k.mu.Lock()
			dying := t.dyingLocked(false)
			k.mu.Unlock()
			if dying {
				return false
			}
		}
	}
}

// ptraceSignalStop is the signal-delivery-stop for info, which t has just
// dequeued. It returns the signal to deliver: info, a replacement the
// tracer chose, or nil when the tracer suppressed it (or it was requeued
// because it is now blocked).
func (t *Task) ptraceSignalStop(info *arch.SignalInfo) *arch.SignalInfo {
	r, res := t.ptraceStop(int(info.Signo), info, 0, false)
	if res != stopResumed {
		return info
	}
	t.ptraceApply(r)
	if r.sig == 0 {
		return nil
	}
	k := t.k
	k.mu.Lock()
	ni := t.ptrace.siginfo
	tracer := t.ptrace.tracer
	k.mu.Unlock()
	if ni == nil || int(ni.Signo) != r.sig {
		// A different signal than the one stopped for: SI_USER from
		// the tracer, as Linux's ptrace_signal.
		var pid int32
		var uid uint32
		if tracer != nil {
			pid, uid = t.PIDOf(tracer.tid), tracer.Credentials().RealUID
		}
		info := arch.NewKillSignalInfo(r.sig, linux.SI_USER, pid, uid)
		ni = &info
	}
	if t.SignalMask()&linux.SigBit(r.sig) != 0 {
		t.SendSignal(ni)
		return nil
	}
	return ni
}

// ptraceSyscallEntry is the syscall-entry stop of PTRACE_SYSCALL and
// PTRACE_SYSEMU. It reports whether the call must be skipped: emulated
// (SYSEMU) or cancelled by the tracer (orig_rax -1).
func (t *Task) ptraceSyscallEntry() bool {
	p := &t.ptrace
	m := p.mode
	if m != PtraceSyscall && m != PtraceSysemu && m != PtraceSysemuSingleStep {
		return false
	}
	emu := m != PtraceSyscall
	p.sysOp = sysInfoEntry
	code := t.syscallStopCode()
	r, res := t.ptraceStop(code, t.notifySignalInfo(code), unix.PTRACE_EVENTMSG_SYSCALL_ENTRY, false)
	p.sysOp = sysInfoNone
	switch res {
	case stopNotTraced:
		p.mode = PtraceCont
		return false
	case stopDying:
		return true
	}
	t.ptraceApply(r)
	t.ptraceInject(r)
	if emu {
		p.emulated = true
		return true
	}
	return int64(t.regs.Orig_rax) == -1
}

// ptraceSyscallExit is the syscall-exit stop of PTRACE_SYSCALL, or the
// SIGTRAP that ends a single-stepped system call.
func (t *Task) ptraceSyscallExit() {
	p := &t.ptrace
	if p.emulated {
		p.emulated = false
		return
	}
	switch p.mode {
	case PtraceSyscall:
		p.sysOp = sysInfoExit
		code := t.syscallStopCode()
		r, res := t.ptraceStop(code, t.notifySignalInfo(code), unix.PTRACE_EVENTMSG_SYSCALL_EXIT, false)
		p.sysOp = sysInfoNone
		if res == stopResumed {
			t.ptraceApply(r)
			t.ptraceInject(r)
		} else if res == stopNotTraced {
			p.mode = PtraceCont
		}
	case PtraceSingleStep:
		if !t.ptrace.traced.Load() {
			p.mode = PtraceCont
			return
		}
		info := arch.NewFaultSignalInfo(int(unix.SIGTRAP), linux.TRAP_BRKPT, t.regs.Rip)
		t.forceSignal(&info)
	}
}

// syscallStopCode is SIGTRAP, with 0x80 under PTRACE_O_TRACESYSGOOD.
func (t *Task) syscallStopCode() int {
	t.k.mu.Lock()
	good := t.ptrace.options&unix.PTRACE_O_TRACESYSGOOD != 0
	t.k.mu.Unlock()
	if good {
		return int(unix.SIGTRAP) | 0x80
	}
	return int(unix.SIGTRAP)
}

// ptraceSeccomp is SECCOMP_RET_TRACE: a PTRACE_EVENT_SECCOMP stop with
// the filter's data, after which the (possibly changed) call is checked
// again. It reports whether the call runs. Without a tracer asking for
// the event the call fails with ENOSYS.
func (t *Task) ptraceSeccomp(s *seccompState, data uint32) bool {
	p := &t.ptrace
	if p.seccompRecheck {
		return true
	}
	if !t.ptraceEventEnabled(unix.PTRACE_EVENT_SECCOMP) {
		arch.SetReturn(&t.regs, errnoReturn(unix.ENOSYS))
		return false
	}
	p.sysOp, p.seccompData = sysInfoSeccomp, data
	stopped := t.ptraceEvent(unix.PTRACE_EVENT_SECCOMP, uint64(data))
	p.sysOp = sysInfoNone
	if !stopped && t.shouldExit() {
		return false
	}
	nr, args := arch.Syscall(&t.regs)
	if int64(nr) < 0 {
		return false
	}
	p.seccompRecheck = true
	ok := t.seccompAllows(s, nr, args)
	p.seccompRecheck = false
	return ok
}

// ptraceExec reports a successful execve: PTRACE_EVENT_EXEC (message:
// the thread id before the exec) or, for a PTRACE_TRACEME/ATTACH tracee
// without the option, the legacy SIGTRAP.
func (t *Task) ptraceExec(oldTID int32, nr uint64) {
	if !t.ptrace.traced.Load() {
		return
	}
	t.ptraceForgetOldLeader()
	t.regs.Orig_rax = nr
	if t.ptraceEvent(unix.PTRACE_EVENT_EXEC, t.ptraceTIDMessage(oldTID)) {
		return
	}
	t.k.mu.Lock()
	legacy := t.ptrace.tracer != nil && !t.ptrace.seized && t.ptrace.options&unix.PTRACE_O_TRACEEXEC == 0
	t.k.mu.Unlock()
	if legacy {
		t.SendSignal(t.UserSignalInfo(int(unix.SIGTRAP), linux.SI_USER))
	}
}

// ptraceExitEvent is the PTRACE_EVENT_EXIT stop of a task leaving its
// run loop (not when SIGKILL ends it).
func (t *Task) ptraceExitEvent() {
	if !t.ptrace.traced.Load() {
		return
	}
	t.ptraceEvent(unix.PTRACE_EVENT_EXIT, uint64(t.exitStatus()))
}

// exitStatus is the wait status t exits with: the group's when the group
// is exiting, else its own exit(2) code.
func (t *Task) exitStatus() WaitStatus {
	tg := t.tg
	tg.sigMu.Lock()
	exiting, st := tg.exiting, tg.exitStatus
	tg.sigMu.Unlock()
	if exiting {
		return st
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return ExitedStatus(t.exitCode)
}

// switchToUser runs the task's application code until an event: one
// instruction at a time while a tracer single-steps it (on platforms that
// can step; others run freely).
func (t *Task) switchToUser(ctx platform.Context) (platform.Event, platform.Fault, error) {
	if m := t.ptrace.mode; m != PtraceCont {
		if !t.ptrace.traced.Load() {
			t.ptrace.mode = PtraceCont
		} else if m == PtraceSingleStep || m == PtraceSysemuSingleStep {
			if s, ok := ctx.(platform.Stepper); ok {
				return s.SwitchStep(t.mm.AddressSpace(), &t.regs)
			}
		}
	}
	return ctx.Switch(t.mm.AddressSpace(), &t.regs)
}

// ptraceRunsInStopLocked reports whether t runs although its group is
// stopped: its tracer resumed it after it reported the group stop.
//
// Preconditions: t.tg.sigMu is held.
func (t *Task) ptraceRunsInStopLocked() bool {
	return t.ptrace.traced.Load() && t.ptrace.seenStop == t.tg.stopWake
}

// ptraceTIDMessage is thread id g as t's tracer sees it, for an event
// message.
func (t *Task) ptraceTIDMessage(g int32) uint64 {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	if tr := t.ptrace.tracer; tr != nil {
		return uint64(tr.PIDOf(g))
	}
	return uint64(g)
}

// ptraceForgetOldLeader drops, after an execve by a non-leader thread, the
// old leader whose thread id t took: its tracer hears of no exit for it,
// as on Linux.
func (t *Task) ptraceForgetOldLeader() {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tr := t.ptrace.tracer
	if tr == nil {
		return
	}
	for c := range tr.ptrace.tracees {
		if c != t && c.tid == t.tid && c.tg == t.tg {
			delete(tr.ptrace.tracees, c)
			c.ptrace.tracer, c.ptrace.zombie, c.ptrace.stopped = nil, false, false
			c.ptrace.traced.Store(false)
		}
	}
}
