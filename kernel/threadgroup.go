package kernel

import (
	"sync"

	"github.com/kite-os/kite/abi/linux"
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

// ThreadGroup is a process: the tasks sharing a pid, signal handlers and
// resource limits.
type ThreadGroup struct {
	k    *Kernel
	tgid int32

	// limits are the process's resource limits.
	limits *Limits

	// parent is the parent process; nil for init.
	parent *ThreadGroup

	mu sync.Mutex
	// tasks are the live tasks of the group. Guarded by mu.
	tasks []*Task
	// actions are the signal dispositions, indexed by signal number - 1.
	// Guarded by mu.
	actions [linux.NumSignals]linux.SigAction
	// exiting is set once the group exit began (exit_group or a fatal
	// signal). Guarded by mu.
	exiting bool
	// exitStatus is the status reported to wait once all tasks are gone.
	// Guarded by mu.
	exitStatus WaitStatus
	// done is closed when the last task has exited.
	done chan struct{}
}

// ID returns the thread group id (the pid).
func (tg *ThreadGroup) ID() int32 { return tg.tgid }

// Limits returns the process's resource limits.
func (tg *ThreadGroup) Limits() *Limits { return tg.limits }

// Done is closed when every task of the group has exited.
func (tg *ThreadGroup) Done() <-chan struct{} { return tg.done }

// ExitStatus is the group's wait status; valid once Done is closed.
func (tg *ThreadGroup) ExitStatus() WaitStatus {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.exitStatus
}

// SigAction returns the disposition of signal sig (1..64).
func (tg *ThreadGroup) SigAction(sig int) linux.SigAction {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.actions[sig-1]
}

// SetSigAction replaces the disposition of signal sig (1..64) and returns
// the old one.
func (tg *ThreadGroup) SetSigAction(sig int, a linux.SigAction) linux.SigAction {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	old := tg.actions[sig-1]
	tg.actions[sig-1] = a
	return old
}

// resetSignalHandlersForExec sets every caught signal back to SIG_DFL, as
// execve does; ignored signals stay ignored.
func (tg *ThreadGroup) resetSignalHandlersForExec() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for i := range tg.actions {
		if tg.actions[i].Handler != linux.SIG_IGN {
			tg.actions[i] = linux.SigAction{}
		}
	}
}

// beginExit starts the exit of the whole group with status, unless it has
// already begun, and interrupts every task so they leave their run loops.
func (tg *ThreadGroup) beginExit(status WaitStatus) {
	tg.mu.Lock()
	if tg.exiting {
		tg.mu.Unlock()
		return
	}
	tg.exiting = true
	tg.exitStatus = status
	tasks := append([]*Task(nil), tg.tasks...)
	tg.mu.Unlock()
	for _, t := range tasks {
		t.interrupt()
	}
}

// isExiting reports whether the group exit has begun.
func (tg *ThreadGroup) isExiting() bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.exiting
}

// removeTask takes t out of the group; the last task out finishes the
// group.
func (tg *ThreadGroup) removeTask(t *Task, code int) {
	tg.mu.Lock()
	for i, x := range tg.tasks {
		if x == t {
			tg.tasks = append(tg.tasks[:i], tg.tasks[i+1:]...)
			break
		}
	}
	last := len(tg.tasks) == 0
	if last && !tg.exiting {
		// The last thread left with exit(2): its code is the group's.
		tg.exiting = true
		tg.exitStatus = ExitedStatus(code)
	}
	tg.mu.Unlock()
	if last {
		close(tg.done)
	}
}

// ParentID returns the parent's pid, 0 for init.
func (tg *ThreadGroup) ParentID() int32 {
	if tg.parent == nil {
		return 0
	}
	return tg.parent.tgid
}
