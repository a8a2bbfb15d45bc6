package kernel

import (
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// Wait options (wait4, waitid).
const (
	WNOHANG    = 0x1
	WUNTRACED  = 0x2 // WSTOPPED for waitid
	WEXITED    = 0x4
	WCONTINUED = 0x8
	WNOWAIT    = 0x01000000
	WNOTHREAD  = 0x20000000
	WALL       = 0x40000000
	WCLONE     = 0x80000000
)

// WaitTarget says which children a wait accepts.
type WaitTarget struct {
	// Kind is P_ALL, P_PID or P_PGID.
	Kind int
	// ID is the pid or pgid as the caller sees it; for P_PGID, 0 means
	// the caller's group.
	ID int32
	// Process, if set, is the one process a P_PID wait accepts (a
	// pidfd's), instead of ID.
	Process *ThreadGroup
}

// Wait target kinds (waitid's idtype values).
const (
	PAll  = 0
	PPID  = 1
	PPGID = 2
)

// WaitResult is what a successful wait reports.
type WaitResult struct {
	PID    int32
	UID    uint32
	Status WaitStatus
	// Code is the CLD_* si_code for waitid.
	Code int32
	// Signo is SIGCHLD for waitid.
	UTime, STime time.Duration
}

// Wait waits for a child's state change (wait4/waitid). It returns
// (nil, nil) for WNOHANG when no child has changed, ECHILD when no child
// matches, and ERESTARTSYS when interrupted by a signal.
func (t *Task) Wait(target WaitTarget, options int) (*WaitResult, error) {
	k := t.k
	if target.Process == nil && target.ID != 0 {
		// Ids the caller cannot see match nothing (-1 is no id).
		if target.ID = t.GlobalPID(target.ID); target.ID == 0 {
			target.ID = -1
		}
	}
	// intr is the interruption of the last sleep: as Linux's do_wait,
	// a woken waiter looks at its children once more before it returns
	// it, so a child whose exit (or stop) both woke it and sent it
	// SIGCHLD is reported rather than the signal's EINTR.
	var intr error
	for {
		k.mu.Lock()
		if target.Kind == PPGID && target.ID == 0 {
			target.ID = t.tg.pgrp.id
		}
		matched := false
		for _, c := range t.tg.children {
			if !c.matchesWaitLocked(target, options) {
				continue
			}
			if c.tracedByGroupLocked(t.tg) {
				// Reported through the tracee list below.
				continue
			}
			if c.tracedZombieLocked() {
				// Its tracer reaps it first.
				matched = true
				continue
			}
			if c.state == groupZombie && options&WEXITED == 0 {
				// An exited child has no stop or continue left to
				// report: it does not count as one to wait for
				// (ECHILD if it is the only one), as Linux's
				// wait_consider_task.
				continue
			}
			matched = true
			// The child's number goes with it when it is reaped.
			vpid := t.PIDOf(c.tgid)
			if r := c.waitableLocked(options); r != nil {
				k.mu.Unlock()
				r.PID = vpid
				return r, nil
			}
		}
		if r, m := t.ptraceWaitLocked(target, options); m {
			matched = true
			if r != nil {
				// r.PID is already the caller's number (taken
				// before a reap could free it).
				k.mu.Unlock()
				return r, nil
			}
		}
		if !matched {
			k.mu.Unlock()
			return nil, unix.ECHILD
		}
		if options&WNOHANG != 0 {
			k.mu.Unlock()
			return nil, nil
		}
		if intr != nil {
			k.mu.Unlock()
			return nil, intr
		}
		ev := t.tg.childEvent
		t.tg.childWaiters = append(t.tg.childWaiters, t)
		k.mu.Unlock()
		if err := t.Park(ev); err != nil {
			k.mu.Lock()
			t.tg.childWaiters = slices.DeleteFunc(t.tg.childWaiters, func(w *Task) bool { return w == t })
			k.mu.Unlock()
			intr = err
		}
	}
}

// matchesWaitLocked reports whether child c is selected by target and the
// clone-child options.
//
// Preconditions: k.mu is held.
func (c *ThreadGroup) matchesWaitLocked(target WaitTarget, options int) bool {
	switch target.Kind {
	case PPID:
		if target.Process != nil {
			if c != target.Process {
				return false
			}
		} else if c.tgid != target.ID {
			return false
		}
	case PPGID:
		if c.pgrp == nil || c.pgrp.id != target.ID {
			return false
		}
	}
	if options&WALL != 0 {
		return true
	}
	isClone := c.exitSignal != int(unix.SIGCHLD)
	return isClone == (options&WCLONE != 0)
}

// waitableLocked returns c's reportable state change for options,
// consuming it unless WNOWAIT, or nil.
//
// Preconditions: k.mu is held.
func (c *ThreadGroup) waitableLocked(options int) *WaitResult {
	r := &WaitResult{PID: c.tgid}
	if c.leader != nil {
		r.UID = c.leader.Credentials().RealUID
	}
	switch {
	case c.state == groupZombie && options&WEXITED != 0:
		r.Status = c.exitStatusNoLock()
		if code, ok := r.Status.Exited(); ok {
			_ = code
			r.Code = linux.CLD_EXITED
		} else if _, core, ok := r.Status.Signaled(); ok {
			r.Code = linux.CLD_KILLED
			if core {
				r.Code = linux.CLD_DUMPED
			}
		}
		r.UTime, r.STime = c.CPUTime()
		if options&WNOWAIT == 0 {
			c.reapLocked()
		}
		return r
	case c.stopReport && options&WUNTRACED != 0:
		r.Status = StoppedStatus(c.stopSig)
		r.Code = linux.CLD_STOPPED
		if options&WNOWAIT == 0 {
			c.stopReport = false
		}
		return r
	case c.continueReport && options&WCONTINUED != 0:
		r.Status = ContinuedStatus
		r.Code = linux.CLD_CONTINUED
		if options&WNOWAIT == 0 {
			c.continueReport = false
		}
		return r
	}
	return nil
}

// notifyParentContinued reports a continued process to its parent.
func (tg *ThreadGroup) notifyParentContinued() {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg.notifyParentContinuedLocked()
}

// notifyParentContinuedLocked is notifyParentContinued for callers that
// hold k.mu.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) notifyParentContinuedLocked() {
	tg.stopReport = false
	tg.continueReport = true
	p := tg.parent
	if p == nil || p.state != groupAlive {
		return
	}
	act := p.signalHandlers().get(int(unix.SIGCHLD))
	if act.Flags&0x1 == 0 { // SA_NOCLDSTOP
		p.sendKernelLocked(nil, tg.childStateInfoLocked(linux.CLD_CONTINUED, int32(unix.SIGCONT)))
	}
	p.notifyChildEventLocked()
}

// notifyParentStopped reports a stopped process to its parent.
func (tg *ThreadGroup) notifyParentStopped(sig int) {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg.stopReport = true
	tg.stopSig = sig
	tg.continueReport = false
	p := tg.parent
	if p == nil || p.state != groupAlive {
		return
	}
	act := p.signalHandlers().get(int(unix.SIGCHLD))
	if act.Flags&0x1 == 0 { // SA_NOCLDSTOP
		p.sendKernelLocked(nil, tg.childStateInfoLocked(linux.CLD_STOPPED, int32(sig)))
	}
	p.notifyChildEventLocked()
}

// childStateInfoLocked is the SIGCHLD siginfo for a stop or continue.
func (tg *ThreadGroup) childStateInfoLocked(code, status int32) *arch.SignalInfo {
	var uid uint32
	if tg.leader != nil {
		uid = tg.leader.Credentials().RealUID
	}
	u, s := tg.CPUTime()
	pid := tg.tgid
	if p := tg.parent; p != nil {
		pid = p.pidNS().Local(pid)
	}
	info := arch.NewChildSignalInfo(code, pid, uid, status, int64(u/1e7), int64(s/1e7))
	return &info
}
