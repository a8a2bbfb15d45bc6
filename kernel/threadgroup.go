package kernel

import (
	"github.com/kite-os/kite/tty"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/vfs"
)

// WaitStatus is a process's status as wait(2) encodes it.
type WaitStatus uint32

// ExitedStatus is the status of a process that called exit(code).
func ExitedStatus(code int) WaitStatus { return WaitStatus(code&0xff) << 8 }

// SignaledStatus is the status of a process killed by sig.
func SignaledStatus(sig int, core bool) WaitStatus {
	s := WaitStatus(sig & 0x7f)
	if core {
		s |= 0x80
	}
	return s
}

// StoppedStatus is the status of a process stopped by sig.
func StoppedStatus(sig int) WaitStatus { return WaitStatus(sig&0xff)<<8 | 0x7f }

// ContinuedStatus is the status of a continued process.
const ContinuedStatus WaitStatus = 0xffff

// Exited reports whether the process exited normally, and its code.
func (w WaitStatus) Exited() (code int, ok bool) {
	if w&0x7f != 0 {
		return 0, false
	}
	return int(w>>8) & 0xff, true
}

// Signaled reports whether a signal killed the process, which, and whether
// it dumped core.
func (w WaitStatus) Signaled() (sig int, core bool, ok bool) {
	s := int(w & 0x7f)
	if s == 0 || s == 0x7f {
		return 0, false, false
	}
	return s, w&0x80 != 0, true
}

// SignalHandlers are the signal dispositions, shared by the tasks of a
// thread group and by processes cloned with CLONE_SIGHAND.
type SignalHandlers struct {
	mu sync.Mutex
	// actions are indexed by signal number - 1. Guarded by mu.
	actions [linux.NumSignals]linux.SigAction
}

// get returns the disposition of sig.
func (sh *SignalHandlers) get(sig int) linux.SigAction {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.actions[sig-1]
}

// copy returns an unshared copy (fork without CLONE_SIGHAND).
func (sh *SignalHandlers) copy() *SignalHandlers {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return &SignalHandlers{actions: sh.actions}
}

// exitState is where a thread group is in its life.
type exitState int

const (
	groupAlive exitState = iota
	// groupZombie: every task has exited; the parent has not reaped it.
	groupZombie
	// groupDead: reaped (or auto-reaped); gone from the kernel's maps.
	groupDead
)

// ThreadGroup is a process: the tasks sharing a pid, signal handlers and
// resource limits.
type ThreadGroup struct {
	k    *Kernel
	tgid int32

	// limits are the process's resource limits.
	limits *Limits

	// unkillable is set for the init of a PID namespace below the
	// initial one (Linux's SIGNAL_UNKILLABLE): signals it has no handler
	// for are dropped, and SIGKILL and SIGSTOP reach it only from an
	// ancestor namespace. A fatal fault clears it.
	unkillable atomic.Bool

	// done is closed when the group has become a zombie (every task has
	// exited).
	done chan struct{}
	// exitQueue wakes pidfd pollers when the group exits.
	exitQueue vfs.WaitQueue
	// signalQueue wakes signalfd pollers when a signal is queued.
	signalQueue vfs.WaitQueue

	// The fields below are guarded by the kernel's mu (the "task list
	// lock").

	// leader is the thread group leader.
	leader *Task
	// tasks are the live tasks of the group. Changed with both k.mu and
	// sigMu held; read with either.
	tasks []*Task
	// parent is the parent process; nil for init.
	parent *ThreadGroup
	// children are the processes whose parent this is, in the order they
	// became its children (forked, or given to it by reparenting), which
	// is the order wait considers them in, as Linux's children list: of
	// several zombies, wait reaps the oldest child first.
	children []*ThreadGroup
	// exitSignal is sent to the parent when the group exits (SIGCHLD for
	// fork; the low byte of clone's flags).
	exitSignal int
	// state says whether the group is alive, a zombie or reaped.
	state exitState
	// pgrp is the process group.
	pgrp *ProcessGroup
	// ctty is the controlling terminal (nil: none).
	ctty *tty.Terminal
	// childEvent is closed (and replaced) when a child changes state, to
	// wake tasks of this group waiting in wait4/waitid.
	childEvent chan struct{}
	// childWaiters are the tasks parked on childEvent; its close wakes
	// them (and empties the list).
	childWaiters []*Task
	// stopEvent/continueEvent record an unreported stop or continue for
	// WUNTRACED/WCONTINUED waiters of the parent.
	stopReport     bool
	stopSig        int
	continueReport bool
	// subreaper is PR_SET_CHILD_SUBREAPER.
	subreaper bool
	// execed is set once the process has called execve (setpgid EACCES).
	execed bool
	// image is the inode of the program image, whose write access the
	// process denies (ETXTBSY) until it execs again or dies.
	image vfs.Inode
	// childTimes accumulates the CPU time of reaped children.
	childUser, childSys time.Duration

	// sigMu guards the signal state: pending signals (group-wide and
	// per task), masks, and the exit and stop state. See the lock order
	// in doc.go.
	sigMu sync.Mutex
	// pending are the group-directed pending signals. Guarded by sigMu.
	pending sigQueue
	// handlers are the signal dispositions. Guarded by sigMu (the
	// pointer; the contents by handlers.mu).
	handlers *SignalHandlers
	// exiting is set once the group exit began (exit_group, a fatal
	// signal or exec killing the other threads). Guarded by sigMu.
	exiting bool
	// sigkilled is set once SIGKILL was sent to the group: it ends even
	// a PTRACE_EVENT_EXIT stop.
	sigkilled atomic.Bool
	// exitingCh is closed when exiting is set.
	exitingCh chan struct{}
	// exitStatus is the status reported to wait. Guarded by sigMu.
	exitStatus WaitStatus
	// stopped is set while the group is stopped by a stop signal.
	// Guarded by sigMu.
	stopped bool
	// stopWake is closed when a stopped group continues. Guarded by
	// sigMu.
	stopWake chan struct{}
	// deadUser and deadSys are the CPU times of exited tasks. Guarded by
	// sigMu.
	deadUser, deadSys time.Duration
	// dumpable is PR_GET_DUMPABLE's value. Guarded by sigMu.
	dumpable int
	// misc is the membarrier registrations (misc.go). Guarded by sigMu.
	misc tgMisc

	// itimerSet are setitimer's timers, made on first use.
	itimerOnce sync.Once
	itimerSet  [3]*itimer
	// cpuLimit watches RLIMIT_CPU (cpulimit.go).
	cpuLimit limitWatch
	// posix are timer_create's timers, made on first use.
	posixOnce sync.Once
	posix     *posixTimers
}

// ID returns the thread group id (the pid).
func (tg *ThreadGroup) ID() int32 { return tg.tgid }

// Limits returns the process's resource limits.
func (tg *ThreadGroup) Limits() *Limits { return tg.limits }

// Done is closed when every task of the group has exited.
func (tg *ThreadGroup) Done() <-chan struct{} { return tg.done }

// ExitStatus is the group's wait status; valid once Done is closed.
func (tg *ThreadGroup) ExitStatus() WaitStatus {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.exitStatus
}

// ParentID returns the parent's pid, 0 for init.
func (tg *ThreadGroup) ParentID() int32 {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if tg.parent == nil {
		return 0
	}
	return tg.parent.tgid
}

// SigAction returns the disposition of signal sig (1..64).
func (tg *ThreadGroup) SigAction(sig int) linux.SigAction {
	return tg.signalHandlers().get(sig)
}

// SetSigAction replaces the disposition of signal sig (1..64) and returns
// the old one. Setting SIG_IGN (or SIG_DFL for a signal whose default is
// to ignore it) discards pending instances, as POSIX requires.
func (tg *ThreadGroup) SetSigAction(sig int, a linux.SigAction) linux.SigAction {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	sh := tg.handlers
	sh.mu.Lock()
	old := sh.actions[sig-1]
	sh.actions[sig-1] = a
	sh.mu.Unlock()
	if a.Handler == linux.SIG_IGN || (a.Handler == linux.SIG_DFL && defaultActionOf(sig) == actIgnore) {
		bit := linux.SigBit(sig)
		tg.pending.discard(bit)
		for _, t := range tg.tasksForSignals() {
			t.pending.discard(bit)
		}
	}
	return old
}

// signalHandlers returns the current handlers.
func (tg *ThreadGroup) signalHandlers() *SignalHandlers {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.handlers
}

// resetSignalHandlersForExec sets every caught signal back to SIG_DFL, as
// execve does; ignored signals stay ignored. Shared handlers are unshared
// first.
func (tg *ThreadGroup) resetSignalHandlersForExec() {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	sh := tg.handlers.copy()
	for i := range sh.actions {
		if sh.actions[i].Handler != linux.SIG_IGN {
			sh.actions[i] = linux.SigAction{}
		} else {
			sh.actions[i] = linux.SigAction{Handler: linux.SIG_IGN}
		}
	}
	tg.handlers = sh
}

// isExiting reports whether the group exit has begun.
func (tg *ThreadGroup) isExiting() bool {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.exiting
}

// beginExit starts the exit of the whole group with status, unless it has
// already begun, and interrupts every task so they leave their run loops.
func (tg *ThreadGroup) beginExit(status WaitStatus) {
	tg.sigMu.Lock()
	if tg.exiting {
		tg.sigMu.Unlock()
		return
	}
	tg.exiting = true
	close(tg.exitingCh)
	tg.exitStatus = status
	tg.continueLocked()
	tasks := tg.tasksForSignals()
	tg.sigMu.Unlock()
	for _, t := range tasks {
		t.interrupt()
	}
}

// tasksForSignals returns a snapshot of the group's tasks.
//
// Preconditions: tg.sigMu or k.mu is held.
func (tg *ThreadGroup) tasksForSignals() []*Task {
	return append([]*Task(nil), tg.tasks...)
}

// CPUTime returns the user and system time used by the process's live
// tasks and the ones that have exited.
func (tg *ThreadGroup) CPUTime() (user, sys time.Duration) {
	tg.sigMu.Lock()
	tasks := tg.tasksForSignals()
	user, sys = tg.deadUser, tg.deadSys
	tg.sigMu.Unlock()
	for _, t := range tasks {
		u, s := t.CPUTime()
		user += u
		sys += s
	}
	return user, sys
}

// ChildrenCPUTime returns the CPU time of the reaped children.
func (tg *ThreadGroup) ChildrenCPUTime() (user, sys time.Duration) {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.childUser, tg.childSys
}

// exitingChan is closed once the group exit has begun.
func (tg *ThreadGroup) exitingChan() <-chan struct{} { return tg.exitingCh }
