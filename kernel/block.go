package kernel

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Restart errnos: a system call interrupted by a signal returns one of
// these; the run loop turns it into EINTR or a restart when it handles the
// signal, exactly as Linux's signal delivery does.
const (
	// ERESTARTSYS restarts if the handler has SA_RESTART (or if no
	// handler runs), else EINTR.
	ERESTARTSYS = unix.Errno(512)
	// ERESTARTNOINTR always restarts.
	ERESTARTNOINTR = unix.Errno(513)
	// ERESTARTNOHAND restarts only if no handler runs, else EINTR.
	ERESTARTNOHAND = unix.Errno(514)
	// ERESTART_RESTARTBLOCK restarts through restart_syscall if no
	// handler runs, else EINTR.
	ERESTART_RESTARTBLOCK = unix.Errno(516)
)

// isRestartErrno reports whether e is one of the restart errnos.
func isRestartErrno(e unix.Errno) bool {
	return e == ERESTARTSYS || e == ERESTARTNOINTR || e == ERESTARTNOHAND || e == ERESTART_RESTARTBLOCK
}

// Interrupted reports whether the task has something to attend to that
// must cut a blocking system call short: a pending signal it does not
// block, a group stop, or its exit.
func (t *Task) Interrupted() bool {
	t.mu.Lock()
	exiting := t.exiting
	t.mu.Unlock()
	if exiting {
		return true
	}
	tg := t.tg
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return t.interruptedLocked()
}

// interruptedLocked is Interrupted's test of the thread group's state
// (not the task's own exit): its group's exit, a group stop the task
// takes part in, a deliverable signal or a ptrace trap to take. The
// caller holds tg.sigMu.
func (t *Task) interruptedLocked() bool {
	tg := t.tg
	return tg.exiting || (tg.stopped && !t.ptraceRunsInStopLocked()) || t.hasDeliverableSignalLocked() ||
		t.ptrace.trapPending.Load()
}

// settled is the check every blocking loop makes before it sleeps: done
// with ERESTARTSYS if the task is interrupted, done with nil if ch has
// been closed or received.
func (t *Task) settled(ch <-chan struct{}) (bool, error) {
	if t.Interrupted() {
		return true, ERESTARTSYS
	}
	select {
	case <-ch:
		return true, nil
	default:
		return false, nil
	}
}

// BlockOn waits until ch is closed or receives. It returns ERESTARTSYS if
// the task is interrupted first (see Interrupted).
func (t *Task) BlockOn(ch <-chan struct{}) error {
	for {
		if done, err := t.settled(ch); done {
			return err
		}
		t.ru.nvcsw.Add(1) // the task sleeps
		t.SleepBegin()
		select {
		case <-ch:
			t.SleepEnd()
			return nil
		case <-t.wake:
		}
		t.SleepEnd()
	}
}

// BlockOnTimeout is BlockOn with a deadline; it returns ETIMEDOUT when the
// deadline passes first.
func (t *Task) BlockOnTimeout(ch <-chan struct{}, deadline time.Time) error {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for {
		if done, err := t.settled(ch); done {
			return err
		}
		t.ru.nvcsw.Add(1) // the task sleeps
		t.SleepBegin()
		select {
		case <-ch:
			t.SleepEnd()
			return nil
		case <-timer.C:
			t.SleepEnd()
			return unix.ETIMEDOUT
		case <-t.wake:
		}
		t.SleepEnd()
	}
}

// Park implements vfs.Context.Park: BlockOn for a channel whose senders
// wake the task (t.Waker) after sending. The task's thread sleeps in its
// Parker, a host futex, rather than in Go's scheduler.
//
// Preconditions: called from the task's own goroutine (a Parker has one
// sleeper).
func (t *Task) Park(ch <-chan struct{}) error {
	return t.park(ch, time.Time{}, false)
}

// ParkTimeout implements vfs.Context.ParkTimeout: Park with a deadline;
// ETIMEDOUT when it passes first.
func (t *Task) ParkTimeout(ch <-chan struct{}, deadline time.Time) error {
	return t.park(ch, deadline, true)
}

// park is Park, and ParkTimeout when timed. It returns as BlockOn and
// BlockOnTimeout do: ERESTARTSYS when interrupted (interrupt unparks the
// task), nil when ch receives, ETIMEDOUT at the deadline. A wake-up
// between a check and the sleep is not lost: the Parker keeps it.
func (t *Task) park(ch <-chan struct{}, deadline time.Time, timed bool) error {
	for {
		if done, err := t.settled(ch); done {
			return err
		}
		timeout := time.Duration(-1)
		if timed {
			if timeout = time.Until(deadline); timeout <= 0 {
				return unix.ETIMEDOUT
			}
		}
		t.ru.nvcsw.Add(1) // the task sleeps
		t.SleepBegin()
		t.parker.Park(timeout)
		t.SleepEnd()
	}
}

// Waker implements vfs.Context.Waker: the task itself.
func (t *Task) Waker() vfs.Waker { return t }

// Wake implements vfs.Waker: it ends the task's Park (or makes its next
// one return at once). It never blocks.
func (t *Task) Wake() { t.parker.Unpark() }

// WakeChan is signalled whenever the task is interrupted; a blocking
// operation built on its own wait loop selects on it and then checks
// Interrupted.
func (t *Task) WakeChan() <-chan struct{} { return t.wake }

// Sleep blocks the task for d. It returns early with EINTR, and the time
// left, if the task is interrupted.
func (t *Task) Sleep(d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, nil
	}
	deadline := time.Now().Add(d)
	sleeps := t.ru.nvcsw.Load()
	err := t.ParkTimeout(nil, deadline)
	if err == unix.ETIMEDOUT && t.ru.nvcsw.Load() == sleeps {
		// The deadline passed before the task got to sleep: kite's
		// own delay on a loaded host, where Linux arms its timer at
		// once and the sleeper leaves the CPU. The program asked to
		// sleep: it counts as the voluntary switch Linux's would be.
		t.ru.nvcsw.Add(1)
	}
	if err == unix.ETIMEDOUT {
		return 0, nil
	}
	return max(time.Until(deadline), 0), unix.EINTR
}

// CPUTime returns the user and system time the task has used: time spent
// running application code, and time spent in kite on its behalf. The
// user time includes the slice the task is running now.
func (t *Task) CPUTime() (user, sys time.Duration) {
	for {
		seq := t.cpuSeq.Load()
		if seq&1 != 0 {
			// The run loop is between two of its stores.
			runtime.Gosched()
			continue
		}
		user, sys = time.Duration(t.userNanos.Load()), time.Duration(t.sysNanos.Load())
		if since := t.userSince.Load(); since != 0 {
			// Taken with the sequence even: before the run loop
			// measures the end of the slice, so the reading never
			// runs ahead of what it adds.
			user += max(time.Since(cpuEpoch)-time.Duration(since), 0)
		}
		if t.cpuSeq.Load() == seq {
			return user, sys
		}
	}
}

// cpuEpoch is the origin of Task.userSince.
var cpuEpoch = time.Now()

// Yield gives up the CPU to other runnable tasks (sched_yield).
func (t *Task) Yield() { runtime.Gosched() }

// RestartFunc continues an interrupted system call through
// restart_syscall(2).
type RestartFunc func(t *Task) (uintptr, error)

// SetRestartBlock records how restart_syscall continues the current
// system call; the call then returns ERESTART_RESTARTBLOCK.
func (t *Task) SetRestartBlock(fn RestartFunc) { t.restartBlock = fn }

// RestartSyscall runs the recorded continuation (restart_syscall); EINTR
// if there is none, as Linux's do_no_restart_syscall.
func (t *Task) RestartSyscall() (uintptr, error) {
	fn := t.restartBlock
	t.restartBlock = nil
	if fn == nil {
		return 0, unix.EINTR
	}
	return fn(t)
}
