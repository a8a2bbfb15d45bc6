package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// The tracer's side of ptrace: attaching, resuming, detaching, requests
// run on a stopped tracee, wait's view of tracees and the clean-up when
// tracer or tracee exits.

// MayPtrace is Linux's ptrace_may_access with Landlock as the only
// security module: threads of one process may; otherwise the caller's ids
// (real ones, or filesystem ones with fsCreds) must equal all of the
// target's and the target be dumpable, unless the caller has
// CAP_SYS_PTRACE over the target's user namespace, and the caller's
// Landlock domain must be the target's or one it was stacked on.
func (t *Task) MayPtrace(target *Task, fsCreds bool) bool {
	if t.tg == target.tg {
		return true
	}
	return mayPtraceCreds(t.Credentials(), target, fsCreds)
}

// linkLocked makes tracer trace t.
//
// Preconditions: k.mu is held; t is not traced.
func (t *Task) linkLocked(tracer *Task, seized bool, options uint32) {
	p := &t.ptrace
	if p.resume == nil {
		p.resume = make(chan ptraceResume, 1)
		p.req = make(chan func())
	}
	p.tracer, p.seized, p.options = tracer, seized, options
	p.zombie = false
	if tracer.ptrace.tracees == nil {
		tracer.ptrace.tracees = map[*Task]struct{}{}
	}
	tracer.ptrace.tracees[t] = struct{}{}
	t.tg.sigMu.Lock()
	p.seenStop = nil
	t.tg.sigMu.Unlock()
	p.traced.Store(true)
}

// unlinkLocked ends the tracing of t; a stopped t is resumed with sig
// (delivered if it was stopped for a signal).
//
// Preconditions: k.mu is held; t is traced.
func (t *Task) unlinkLocked(sig int) {
	p := &t.ptrace
	delete(p.tracer.ptrace.tracees, t)
	p.tracer = nil
	p.seized = false
	p.options = 0
	p.traced.Store(false)
	p.trapPending.Store(false)
	if p.stopped {
		p.stopped, p.listening = false, false
		close(p.stopEnd)
		p.resume <- ptraceResume{sig: sig}
	}
	t.interrupt()
}

// PtraceTraceme makes the calling task a tracee of its parent
// (PTRACE_TRACEME).
func (t *Task) PtraceTraceme() error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	if t.ptrace.tracer != nil {
		return unix.EPERM
	}
	p := t.tg.parent
	if p == nil || p.state != groupAlive {
		return unix.EPERM
	}
	tracer := t.ptrace.creator
	if tracer == nil || tracer.tg != p || k.tasks[tracer.tid] != tracer {
		tracer = nil
		for _, c := range p.tasks {
			tracer = c
			break
		}
	}
	if tracer == nil || !tracer.Credentials().Landlock.IsAncestorOf(t.Credentials().Landlock) {
		return unix.EPERM
	}
	t.linkLocked(tracer, false, 0)
	return nil
}

// PtraceAttach attaches t to thread tid as its tracer: PTRACE_ATTACH
// (which stops it with SIGSTOP) or, with seize, PTRACE_SEIZE with options.
func (t *Task) PtraceAttach(tid int32, seize bool, options uint32) error {
	k := t.k
	k.mu.Lock()
	target := k.tasks[tid]
	if target == nil {
		k.mu.Unlock()
		return unix.ESRCH
	}
	if target.tg == t.tg || !t.MayPtrace(target, false) || target.ptrace.tracer != nil ||
		target.tg.state != groupAlive || target.dyingLocked(false) {
		k.mu.Unlock()
		return unix.EPERM
	}
	target.linkLocked(t, seize, options)
	k.mu.Unlock()
	if !seize {
		target.SendSignal(kernelSigInfo(int(unix.SIGSTOP)))
	}
	// A task in a group stop reports it to its new tracer.
	target.interrupt()
	return nil
}

// traceeLocked returns the task tid if t traces it and, unless anyState,
// it is in a ptrace stop (Linux's ptrace_check_attach): ESRCH otherwise.
//
// Preconditions: k.mu is held.
func (t *Task) traceeLocked(tid int32, anyState bool) (*Task, error) {
	for c := range t.ptrace.tracees {
		if c.tid != tid || c.ptrace.zombie {
			continue
		}
		if !anyState && (!c.ptrace.stopped || c.ptrace.listening) {
			return nil, unix.ESRCH
		}
		return c, nil
	}
	return nil, unix.ESRCH
}

// PtraceCheck reports ESRCH unless t traces tid and, unless anyState, tid
// is stopped: the check every request but TRACEME, ATTACH and SEIZE
// starts with.
func (t *Task) PtraceCheck(tid int32, anyState bool) error {
	t.k.mu.Lock()
	defer t.k.mu.Unlock()
	_, err := t.traceeLocked(tid, anyState)
	return err
}

// PtraceResume resumes stopped tracee tid in mode with signal sig
// (PTRACE_CONT, SYSCALL, SYSEMU, SINGLESTEP, SYSEMU_SINGLESTEP).
func (t *Task) PtraceResume(tid int32, mode PtraceMode, sig int) error {
	if sig < 0 || sig > linux.NumSignals {
		return unix.EIO
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return err
	}
	c.resumeLocked(ptraceResume{mode: mode, sig: sig})
	return nil
}

// resumeLocked ends t's ptrace stop with r.
//
// Preconditions: k.mu is held; t is stopped.
func (t *Task) resumeLocked(r ptraceResume) {
	p := &t.ptrace
	p.stopped = false
	close(p.stopEnd)
	p.resume <- r
}

// PtraceListen lets a seized tracee in a PTRACE_EVENT_STOP wait for the
// end of its group stop without running (PTRACE_LISTEN).
func (t *Task) PtraceListen(tid int32) error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return err
	}
	if !c.ptrace.seized || c.ptrace.stopCode>>8 != unix.PTRACE_EVENT_STOP {
		return unix.EIO
	}
	// The task stays stopped, listening, from now on: what happened
	// since its trap began counts.
	p := &c.ptrace
	p.listening = true
	p.resume <- ptraceResume{listen: true}
	return nil
}

// PtraceInterrupt makes seized tracee tid stop with PTRACE_EVENT_STOP
// (PTRACE_INTERRUPT).
func (t *Task) PtraceInterrupt(tid int32) error {
	k := t.k
	k.mu.Lock()
	c, err := t.traceeLocked(tid, true)
	if err == nil && !c.ptrace.seized {
		err = unix.EIO
	}
	k.mu.Unlock()
	if err != nil {
		return err
	}
	c.ptrace.trapPending.Store(true)
	c.interrupt()
	return nil
}

// PtraceKill sends SIGKILL to tracee tid (PTRACE_KILL).
func (t *Task) PtraceKill(tid int32) error {
	k := t.k
	k.mu.Lock()
	c, err := t.traceeLocked(tid, true)
	k.mu.Unlock()
	if err != nil {
		return err
	}
	c.SendSignal(kernelSigInfo(int(unix.SIGKILL)))
	return nil
}

// PtraceDetach stops tracing stopped tracee tid, which goes on with sig
// (PTRACE_DETACH).
func (t *Task) PtraceDetach(tid int32, sig int) error {
	if sig < 0 || sig > linux.NumSignals {
		return unix.EIO
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return err
	}
	c.unlinkLocked(sig)
	return nil
}

// PtraceSetOptions replaces tracee tid's PTRACE_O_* options.
func (t *Task) PtraceSetOptions(tid int32, options uint32) error {
	if options&^uint32(unix.PTRACE_O_MASK) != 0 || options&unix.PTRACE_O_SUSPEND_SECCOMP != 0 {
		// PTRACE_O_SUSPEND_SECCOMP is for checkpoint/restore, which
		// kite does not build (EINVAL, as such a Linux).
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return err
	}
	c.ptrace.options = options
	return nil
}

// PtraceEventMsg returns tracee tid's PTRACE_GETEVENTMSG value.
func (t *Task) PtraceEventMsg(tid int32) (uint64, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return 0, err
	}
	return c.ptrace.eventMsg, nil
}

// PtraceMemory runs fn on stopped tracee tid's address space, for
// PEEK/POKE requests (mm.CopyInForce, CopyOutForce).
func (t *Task) PtraceMemory(tid int32, fn func(m *mm.MemoryManager) error) error {
	k := t.k
	k.mu.Lock()
	c, err := t.traceeLocked(tid, false)
	k.mu.Unlock()
	if err != nil {
		return err
	}
	return c.withMemory(fn)
}

// withMemory runs fn on t's address space, held for the call.
func (t *Task) withMemory(fn func(m *mm.MemoryManager) error) error {
	t.mu.Lock()
	m := t.mm
	if m != nil {
		t.k.mmGet(m)
	}
	t.mu.Unlock()
	if m == nil {
		return unix.ESRCH
	}
	defer t.k.mmPut(m)
	return fn(m)
}

// WithProcessMemory runs fn on the address space of task tid if t may
// access it as a debugger (ptrace's access rule with real ids: EPERM
// otherwise), for process_vm_readv and process_vm_writev.
func (t *Task) WithProcessMemory(tid int32, fn func(m *mm.MemoryManager) error) error {
	target := t.TaskByPID(tid)
	if target == nil {
		return unix.ESRCH
	}
	if !t.MayPtrace(target, false) {
		return unix.EPERM
	}
	return target.withMemory(fn)
}

// WithMemoryOf runs fn on target's address space, as Linux's mm_access
// gives it: ESRCH if target has none (it exited), EACCES unless it is the
// caller's own or the caller may access target as a debugger (ptrace's
// access rule, with filesystem ids if fsCreds).
func (t *Task) WithMemoryOf(target *Task, fsCreds bool, fn func(m *mm.MemoryManager) error) error {
	return target.withMemory(func(m *mm.MemoryManager) error {
		if m != t.MemoryManager() && !t.MayPtrace(target, fsCreds) {
			return unix.EACCES
		}
		return fn(m)
	})
}

// PtraceRun runs fn on stopped tracee tid, whose registers (Registers),
// siginfo and stop details fn may read and change: the tracee stays
// parked while fn runs, since it leaves a stop only when its tracer (the
// caller) resumes it or, being killed, once it holds Kernel.mu, which fn
// runs under. fn must not take Kernel.mu.
func (t *Task) PtraceRun(tid int32, fn func(tracee *Task) error) error {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	c, err := t.traceeLocked(tid, false)
	if err != nil {
		return err
	}
	return fn(c)
}

// PtraceRunOnTracee runs fn on the goroutine of stopped tracee tid, for
// what only that goroutine may touch: the FP state of its platform
// context (PtraceFPState, PtraceSetFPState).
func (t *Task) PtraceRunOnTracee(tid int32, fn func(tracee *Task) error) error {
	k := t.k
	k.mu.Lock()
	c, err := t.traceeLocked(tid, false)
	var stopEnd chan struct{}
	if err == nil {
		stopEnd = c.ptrace.stopEnd
	}
	k.mu.Unlock()
	if err != nil {
		return err
	}
	var ferr error
	done := make(chan struct{})
	select {
	case c.ptrace.req <- func() { ferr = fn(c); close(done) }:
		<-done
		return ferr
	case <-stopEnd:
		return unix.ESRCH
	}
}

// PtraceFPState returns the tracee's FP state. Only inside
// PtraceRunOnTracee.
func (t *Task) PtraceFPState() (arch.FPState, error) { return t.fpState() }

// PtraceSetFPState replaces the tracee's FP state. Only inside
// PtraceRunOnTracee.
func (t *Task) PtraceSetFPState(fp arch.FPState) error {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c == nil {
		t.pendingFP, t.resetFP = fp.Clone(), false
		return nil
	}
	return c.SetFPState(fp)
}

// PtraceSigInfo returns the siginfo of the tracee's stop; nil for a
// group stop (PTRACE_GETSIGINFO's EINVAL). Only inside PtraceRun.
func (t *Task) PtraceSigInfo() *arch.SignalInfo {
	if t.ptrace.siginfo == nil {
		return nil
	}
	c := *t.ptrace.siginfo
	return &c
}

// PtraceSetSigInfo replaces the siginfo of the tracee's stop; false for a
// group stop. Only inside PtraceRun.
func (t *Task) PtraceSetSigInfo(info *arch.SignalInfo) bool {
	if t.ptrace.siginfo == nil {
		return false
	}
	c := *info
	t.ptrace.siginfo = &c
	return true
}

// PtraceSyscallStop says what the tracee's stop is for
// PTRACE_GET_SYSCALL_INFO: 0 none, 1 entry, 2 exit, 3 seccomp (with the
// filter's data). Only inside PtraceRun.
func (t *Task) PtraceSyscallStop() (op uint8, seccompData uint32) {
	op = t.ptrace.sysOp
	if op == sysInfoEntry || op == sysInfoExit {
		// Linux tells syscall stops by their si_code, which only
		// PTRACE_O_TRACESYSGOOD makes distinct.
		if t.ptrace.stopCode != int(unix.SIGTRAP)|0x80 {
			op = sysInfoNone
		}
	}
	return op, t.ptrace.seccompData
}

// PtraceDebugReg returns debug register n as last written. Only inside
// PtraceRun.
func (t *Task) PtraceDebugReg(n int) uint64 { return t.ptrace.debugRegs[n] }

// PtraceSetDebugReg records debug register n. Only inside PtraceRun.
func (t *Task) PtraceSetDebugReg(n int, v uint64) { t.ptrace.debugRegs[n] = v }

// PendingSignalInfos returns copies of the siginfo of the signals pending
// for t alone, or for its process with shared (PTRACE_PEEKSIGINFO), in
// queue order.
func (t *Task) PendingSignalInfos(shared bool) []arch.SignalInfo {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	q := &t.pending
	if shared {
		q = &t.tg.pending
	}
	var out []arch.SignalInfo
	for sig := 1; sig <= linux.NumSignals; sig++ {
		for _, i := range q.infos[sig-1] {
			out = append(out, *i)
		}
	}
	return out
}

// ptraceCloneLocked runs in clone for the new task child: it records who
// created it and, if the creator is traced and the clone is to be traced
// (an enabled PTRACE_O_TRACE* event, or CLONE_PTRACE), attaches the child
// to the same tracer, stopped at its start. It returns the event the
// creator reports, or 0.
//
// Preconditions: k.mu is held; child has not started.
func (t *Task) ptraceCloneLocked(child *Task, flags uint64, exitSignal int) int {
	child.ptrace.creator = t
	p := &t.ptrace
	if p.tracer == nil {
		return 0
	}
	ev := 0
	if flags&unix.CLONE_UNTRACED == 0 {
		switch {
		case flags&unix.CLONE_VFORK != 0:
			ev = unix.PTRACE_EVENT_VFORK
		case exitSignal != int(unix.SIGCHLD):
			ev = unix.PTRACE_EVENT_CLONE
		default:
			ev = unix.PTRACE_EVENT_FORK
		}
		if p.options&ptraceEventOption(ev) == 0 {
			ev = 0
		}
	}
	if ev == 0 && flags&unix.CLONE_PTRACE == 0 {
		return 0
	}
	child.linkLocked(p.tracer, p.seized, p.options)
	if p.seized {
		child.ptrace.trapPending.Store(true)
	} else {
		info := arch.NewKillSignalInfo(int(unix.SIGSTOP), linux.SI_USER, 0, 0)
		child.pending.enqueue(&info, sigCharge{})
	}
	return ev
}

// ptraceExitLocked runs as task t exits: its tracees are let go (killed
// with PTRACE_O_EXITKILL), and a traced t other than a process leader
// becomes a zombie its tracer waits for (a leader does when its whole
// process has exited: ptraceZombieLocked).
//
// Preconditions: k.mu is held.
func (t *Task) ptraceExitLocked() {
	for c := range t.ptrace.tracees {
		if c.ptrace.zombie {
			delete(t.ptrace.tracees, c)
			c.ptrace.tracer, c.ptrace.zombie = nil, false
			c.ptrace.traced.Store(false)
			if c.tg.leader == c {
				c.tg.notifyParentExitLocked()
			}
			continue
		}
		kill := c.ptrace.options&unix.PTRACE_O_EXITKILL != 0
		c.unlinkLocked(0)
		if kill {
			c.tg.sendKernelLocked(c, kernelSigInfo(int(unix.SIGKILL)))
		}
	}
	p := &t.ptrace
	if p.tracer == nil || t.tg.leader == t {
		return
	}
	st := t.exitStatus()
	p.zombie, p.zombieStatus = true, st
	p.stopped = false
	code, status := childExitCode(st)
	p.tracer.notifyTracerLocked(t, code, status)
}

// childExitCode is the CLD_* code and si_status of exit status st.
func childExitCode(st WaitStatus) (code, status int32) {
	if c, ok := st.Exited(); ok {
		return linux.CLD_EXITED, int32(c)
	}
	sig, core, _ := st.Signaled()
	if core {
		return linux.CLD_DUMPED, int32(sig)
	}
	return linux.CLD_KILLED, int32(sig)
}

// ptraceZombieLocked runs when process tg has become a zombie: a traced
// leader is reported to its tracer first. It reports whether the parent's
// notification must wait until the tracer has reaped it.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) ptraceZombieLocked() bool {
	l := tg.leader
	if l == nil || l.ptrace.tracer == nil {
		return false
	}
	p := &l.ptrace
	st := tg.exitStatusNoLock()
	p.zombie, p.zombieStatus = true, st
	p.stopped = false
	code, status := childExitCode(st)
	p.tracer.notifyTracerLocked(l, code, status)
	return true
}

// tracedByGroupLocked reports whether c's leader is traced by a task of
// tg: wait then reports c only through tg's tracee list.
//
// Preconditions: k.mu is held.
func (c *ThreadGroup) tracedByGroupLocked(tg *ThreadGroup) bool {
	l := c.leader
	return l != nil && l.ptrace.tracer != nil && l.ptrace.tracer.tg == tg
}

// tracedZombieLocked reports whether c is a zombie whose leader's tracer
// (in another process) has not yet reaped it: its parent must wait.
//
// Preconditions: k.mu is held.
func (c *ThreadGroup) tracedZombieLocked() bool {
	l := c.leader
	return c.state == groupZombie && l != nil && l.ptrace.tracer != nil
}

// ptraceWaitLocked looks for a reportable tracee of t's process (or of t
// alone with WNOTHREAD) for wait: a ptrace stop, or an exit with WEXITED.
// matched reports whether any tracee is selected by target.
//
// Preconditions: k.mu is held.
func (t *Task) ptraceWaitLocked(target WaitTarget, options int) (r *WaitResult, matched bool) {
	tracers := t.tg.tasks
	if options&WNOTHREAD != 0 {
		tracers = []*Task{t}
	}
	for _, tr := range tracers {
		for c := range tr.ptrace.tracees {
			switch target.Kind {
			case PPID:
				if target.Process != nil {
					if c.tg != target.Process || c.tg.leader != c {
						continue
					}
				} else if c.tid != target.ID {
					continue
				}
			case PPGID:
				if c.tg.pgrp == nil || c.tg.pgrp.id != target.ID {
					continue
				}
			}
			matched = true
			p := &c.ptrace
			switch {
			case p.zombie:
				if options&WEXITED == 0 {
					continue
				}
				r = &WaitResult{PID: t.PIDOf(c.tid), UID: c.Credentials().RealUID, Status: p.zombieStatus}
				r.Code, _ = childExitCode(p.zombieStatus)
				r.UTime, r.STime = c.CPUTime()
				if options&WNOWAIT == 0 {
					c.reapTraceeLocked(t.tg)
				}
				return r, true
			case p.stopped && !p.listening && !p.reported:
				r = &WaitResult{PID: t.PIDOf(c.tid), UID: c.Credentials().RealUID, Status: WaitStatus(p.stopCode&0xffff)<<8 | 0x7f, Code: linux.CLD_TRAPPED}
				if options&WNOWAIT == 0 {
					p.reported = true
				}
				return r, true
			}
		}
	}
	return nil, matched
}

// reapTraceeLocked ends the tracing of zombie c once its tracer (of
// process tg) has waited for it: a process leader is then reaped if tg is
// its parent, or reported to its parent.
//
// Preconditions: k.mu is held; c is a traced zombie.
func (c *Task) reapTraceeLocked(tg *ThreadGroup) {
	p := &c.ptrace
	delete(p.tracer.ptrace.tracees, c)
	p.tracer, p.zombie = nil, false
	p.traced.Store(false)
	ctg := c.tg
	if ctg.leader != c || ctg.state != groupZombie {
		return
	}
	if ctg.parent == tg {
		ctg.reapLocked()
		return
	}
	ctg.notifyParentExitLocked()
}

// OpenMemory implements proc.MemoryProcess for /proc/PID/mem: the caller
// needs ptrace's access (with filesystem ids).
func (t *Task) OpenMemory(ctx vfs.Context) (proc.Memory, error) {
	if ctx.ThreadGroupID() != t.tg.tgid && !mayPtraceCreds(ctx.Credentials(), t, true) {
		return nil, unix.EACCES
	}
	m := t.MemoryManagerShared()
	if m == nil {
		return nil, unix.ESRCH
	}
	t.k.mmGet(m)
	return &procMemory{k: t.k, m: m}, nil
}

// mayPtraceCreds is MayPtrace's rule for a caller of another process with
// credentials c.
func mayPtraceCreds(c *auth.Credentials, target *Task, fsCreds bool) bool {
	tc := target.Credentials()
	if !c.MayAccess(tc, !fsCreds) || !c.Landlock.IsAncestorOf(tc.Landlock) {
		return false
	}
	return target.tg.Dumpable() == 1 || c.HasCapabilityIn(unix.CAP_SYS_PTRACE, tc.UserNamespace)
}

// procMemory is an address space held by an open /proc/PID/mem.
type procMemory struct {
	k *Kernel
	m *mm.MemoryManager
}

// inUse reports whether a task still uses the address space (beyond the
// file's own hold).
func (p *procMemory) inUse() bool {
	p.k.mmMu.Lock()
	defer p.k.mmMu.Unlock()
	return p.k.mmUsers[p.m] > 1
}

// ReadAt implements proc.Memory.
func (p *procMemory) ReadAt(dst []byte, addr uintptr) (int, error) {
	if !p.inUse() {
		return 0, nil
	}
	return p.m.CopyInForce(addr, dst)
}

// WriteAt implements proc.Memory.
func (p *procMemory) WriteAt(src []byte, addr uintptr) (int, error) {
	if !p.inUse() {
		return 0, nil
	}
	return p.m.CopyOutForce(addr, src)
}

// Release implements proc.Memory.
func (p *procMemory) Release() { p.k.mmPut(p.m) }
