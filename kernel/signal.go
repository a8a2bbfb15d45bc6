package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/vfs"
)

// isIgnored reports whether delivering sig with disposition act would do
// nothing.
func isIgnored(sig int, act linux.SigAction) bool {
	if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
		return false
	}
	return act.Handler == linux.SIG_IGN || (act.Handler == linux.SIG_DFL && defaultActionOf(sig) == actIgnore)
}

// SendGroupSignal generates a signal for the whole process (kill(2)).
func (tg *ThreadGroup) SendGroupSignal(info *arch.SignalInfo) {
	tg.send(nil, info)
}

// SendSignal generates a signal for the task alone (tgkill(2), faults).
func (t *Task) SendSignal(info *arch.SignalInfo) {
	t.tg.send(t, info)
}

// send generates info for target, or for the group when target is nil.
//
// Preconditions: k.mu is not held (a SIGCONT that continues a stopped
// group reports to its parent under k.mu); callers holding it use
// sendKernelLocked.
func (tg *ThreadGroup) send(target *Task, info *arch.SignalInfo) {
	if tg.generate(target, info) {
		tg.notifyParentContinued()
	}
}

// sendKernelLocked is send for callers that hold k.mu (a child's exit
// signal to its parent, which clone may make SIGCONT).
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) sendKernelLocked(target *Task, info *arch.SignalInfo) {
	if tg.generate(target, info) {
		tg.notifyParentContinuedLocked()
	}
}

// generate queues info for target (the group when nil) and wakes the
// task that takes it. It reports whether the signal continued a stopped
// group, which the caller reports to the group's parent.
func (tg *ThreadGroup) generate(target *Task, info *arch.SignalInfo) (continued bool) {
	return tg.generatePreferring(target, nil, info)
}

// sendPreferring is send of a group-directed signal that thread prefer
// takes if it does not block it (kill(2) given a thread's id: Linux's
// complete_signal tries the task the id named first).
func (tg *ThreadGroup) sendPreferring(prefer *Task, info *arch.SignalInfo) error {
	continued, err := tg.generateChecked(nil, prefer, info)
	if continued {
		tg.notifyParentContinued()
	}
	return err
}

// sendChecked is send for senders that learn of a refused signal
// (sigqueue, kill, tgkill): EAGAIN when a real-time signal would pass
// RLIMIT_SIGPENDING.
func (tg *ThreadGroup) sendChecked(target *Task, info *arch.SignalInfo) error {
	continued, err := tg.generateChecked(target, nil, info)
	if continued {
		tg.notifyParentContinued()
	}
	return err
}

// generatePreferring is generate; a group-directed signal goes to prefer
// when it may take it.
func (tg *ThreadGroup) generatePreferring(target, prefer *Task, info *arch.SignalInfo) (continued bool) {
	continued, _ = tg.generateChecked(target, prefer, info)
	return continued
}

// sendQueued is send that reports whether a real-time signal was
// queued: false when RLIMIT_SIGPENDING refused it (Linux's
// __send_signal_locked gives EAGAIN then, and send_sigio falls back to
// SIGIO).
func (tg *ThreadGroup) sendQueued(target *Task, info *arch.SignalInfo) bool {
	return tg.sendChecked(target, info) == nil
}

// generateChecked is generatePreferring that also returns EAGAIN when the
// signal was refused at RLIMIT_SIGPENDING.
func (tg *ThreadGroup) generateChecked(target, prefer *Task, info *arch.SignalInfo) (continued bool, err error) {
	sig := int(info.Signo)
	bit := linux.SigBit(sig)
	tg.sigMu.Lock()
	if tg.exiting {
		tg.sigMu.Unlock()
		return false, nil
	}
	tasks := tg.tasksForSignals()
	// Stop and continue signals act on generation (signal(7)).
	switch {
	case bit&stopSignals != 0:
		tg.pending.discard(contSignal)
		for _, t := range tasks {
			t.pending.discard(contSignal)
		}
	case sig == int(unix.SIGCONT):
		tg.pending.discard(stopSignals)
		for _, t := range tasks {
			t.pending.discard(stopSignals)
		}
		if tg.stopped {
			tg.continueLocked()
			continued = true
		}
	}
	if sig == int(unix.SIGKILL) {
		tg.sigkilled.Store(true)
		tg.sigMu.Unlock()
		tg.beginExit(SignaledStatus(sig, false))
		return false, nil
	}
	act := tg.handlers.get(sig)
	// An ignored signal is discarded unless the task it is sent through
	// blocks it (Linux's sig_ignored): the target, or for a process-wide
	// signal the first (leader) task.
	// A traced task's tracer sees even ignored signals.
	blocked := false
	if target != nil {
		blocked = target.sigMask&bit != 0 || target.ptrace.traced.Load()
	} else if len(tasks) > 0 {
		blocked = tasks[0].sigMask&bit != 0 || tasks[0].ptrace.traced.Load()
	}
	if tg.unkillable.Load() && act.Handler == linux.SIG_DFL && !blocked &&
		sig != int(unix.SIGKILL) && sig != int(unix.SIGSTOP) {
		// A PID namespace's init is sent no signal it has no handler
		// for (Linux's sig_task_ignored); SIGKILL and SIGSTOP from
		// inside its namespace were dropped by the sender.
		tg.sigMu.Unlock()
		return continued, nil
	}
	if isIgnored(sig, act) && !blocked {
		tg.sigMu.Unlock()
		return continued, nil
	}
	if target != nil {
		if target.pendingFlushed {
			tg.sigMu.Unlock()
			return continued, nil
		}
		if !target.pending.enqueue(info, tg.sigChargeFor(target, info)) {
			tg.sigMu.Unlock()
			return continued, unix.EAGAIN
		}
	} else {
		if len(tasks) == 0 {
			// A zombie takes no signals.
			tg.sigMu.Unlock()
			return continued, nil
		}
		if !tg.pending.enqueue(info, tg.sigChargeFor(tasks[0], info)) {
			tg.sigMu.Unlock()
			return continued, unix.EAGAIN
		}
		if prefer != nil && prefer.tg == tg && (prefer.sigMask&bit == 0 || prefer.sigWaitSet&bit != 0) {
			target = prefer
		} else {
			target = tg.pickSignalTarget(bit, tasks)
		}
	}
	tg.sigMu.Unlock()
	tg.signalQueue.Notify(unix.POLLIN)
	if target != nil {
		target.interrupt()
	}
	return continued, nil
}

// SignalWaitQueue is notified whenever a signal is queued for the task's
// process or one of its threads (signalfd readiness).
func (t *Task) SignalWaitQueue() *vfs.WaitQueue { return &t.tg.signalQueue }

// SignalSelf implements vfs.Context: sig for t alone, SI_USER from t
// itself, as Linux's send_sig(sig, current, 0) for SIGPIPE and SIGXFSZ.
func (t *Task) SignalSelf(sig int) {
	t.SendSignal(t.UserSignalInfo(sig, linux.SI_USER))
}

// FileSizeLimit implements vfs.Context: the process's RLIMIT_FSIZE.
func (t *Task) FileSizeLimit() uint64 {
	return t.tg.limits.Get(unix.RLIMIT_FSIZE).Cur
}

// Signals implements vfs.Context: t's own signal queue, for signalfd.
func (t *Task) Signals() vfs.Signals { return t }

// DequeueSignal takes a pending signal in set without blocking, or
// returns nil (signalfd reads).
func (t *Task) DequeueSignal(set linux.SignalSet) *arch.SignalInfo {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.dequeueSignalLocked(set &^ linux.UnblockableSignals)
}

// pickSignalTarget chooses the task that handles a group-directed signal:
// one that does not block it, the leader first.
//
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) pickSignalTarget(bit linux.SignalSet, tasks []*Task) *Task {
	for _, t := range tasks {
		if t.sigMask&bit == 0 || t.sigWaitSet&bit != 0 {
			return t
		}
	}
	return nil
}

// continueLocked ends a group stop.
//
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) continueLocked() {
	if !tg.stopped {
		return
	}
	tg.stopped = false
	if tg.stopWake != nil {
		close(tg.stopWake)
		tg.stopWake = nil
	}
}

// hasDeliverableSignal reports whether t has a pending signal it does not
// block.
//
// Preconditions: t.tg.sigMu is held.
func (t *Task) hasDeliverableSignalLocked() bool {
	allowed := ^t.sigMask
	return t.pending.set&allowed != 0 || t.tg.pending.set&allowed != 0
}

// SignalMask returns the set of blocked signals.
func (t *Task) SignalMask() linux.SignalSet {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.sigMask
}

// SetSignalMask sets the set of blocked signals; SIGKILL and SIGSTOP can
// never be blocked. Unblocking a pending signal interrupts the task so it
// is delivered before the task returns to user mode.
func (t *Task) SetSignalMask(m linux.SignalSet) {
	t.tg.sigMu.Lock()
	t.sigMask = m &^ linux.UnblockableSignals
	t.tg.sigMu.Unlock()
}

// PendingSignals returns the signals pending for t (its own and its
// process's), as sigpending(2).
func (t *Task) PendingSignals() linux.SignalSet {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return (t.pending.set | t.tg.pending.set) & t.sigMask
}

// dequeueSignal takes the next deliverable signal, or nil.
//
// Preconditions: t.tg.sigMu is held.
func (t *Task) dequeueSignalLocked(allowed linux.SignalSet) *arch.SignalInfo {
	for {
		var info *arch.SignalInfo
		if sig := t.pending.first(allowed); sig != 0 {
			info = t.pending.dequeue(sig)
		} else if sig := t.tg.pending.first(allowed); sig != 0 {
			info = t.tg.pending.dequeue(sig)
		}
		if info != nil && info.Code == SI_TIMER && !t.tg.timerSignalTaken(info) {
			// A stale timer signal: dropped.
			continue
		}
		return info
	}
}

// kernelSigInfo is the siginfo of a signal the kernel sends.
func kernelSigInfo(sig int) *arch.SignalInfo {
	info := arch.NewKernelSignalInfo(sig)
	return &info
}

// UserSignalInfo is the siginfo of a signal sent by t with kill (SI_USER)
// or tkill/tgkill (SI_TKILL).
func (t *Task) UserSignalInfo(sig int, code int32) *arch.SignalInfo {
	info := arch.NewKillSignalInfo(sig, code, t.PID(), t.Credentials().RealUID)
	return &info
}

// crossNamespaceInfo adjusts info, sent by t, for a target process as
// Linux's send_signal_locked: a sender outside the target's PID namespace
// shows as pid 0. It reports whether the signal is forced on a namespace
// init (from an ancestor namespace, or from the kernel), the only way
// SIGKILL and SIGSTOP reach one.
func (t *Task) crossNamespaceInfo(info *arch.SignalInfo, target *ThreadGroup) (forced bool) {
	switch info.Layout() {
	case arch.LayoutKill, arch.LayoutChild, arch.LayoutRT:
		if !target.pidNS().Contains(t.tg.tgid) {
			info.SetPID(0)
			return true
		}
	}
	return info.Code == linux.SI_KERNEL
}

// dropsUnforced reports whether namespace init tg ignores sig from a
// sender that is not forcing it.
func (tg *ThreadGroup) dropsUnforced(sig int, forced bool) bool {
	return !forced && tg.isNamespaceInit() && (sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP))
}
