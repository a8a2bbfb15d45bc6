package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// SigSuspend replaces the signal mask with mask and waits for a signal
// whose handler runs (rt_sigsuspend). The old mask comes back once the
// handler returns. It always returns ERESTARTNOHAND, which becomes EINTR
// when a handler runs and a restart otherwise.
func (t *Task) SigSuspend(mask linux.SignalSet) error {
	t.SetTemporarySignalMask(mask)
	t.SleepBegin()
	defer t.SleepEnd()
	for !t.Interrupted() {
		t.parker.Park(-1)
	}
	return ERESTARTNOHAND
}

// SigTimedWait waits for a signal in set to be pending, takes it and
// returns its siginfo (rt_sigtimedwait). A nil timeout waits forever;
// EAGAIN when the timeout passes; ERESTARTNOHAND... EINTR when another
// signal interrupts.
func (t *Task) SigTimedWait(set linux.SignalSet, timeout *time.Duration) (*arch.SignalInfo, error) {
	set &^= linux.UnblockableSignals
	tg := t.tg
	var deadline time.Time
	if timeout != nil {
		deadline = time.Now().Add(*timeout)
	}
	tg.sigMu.Lock()
	t.sigWaitSet = set
	tg.sigMu.Unlock()
	defer func() {
		tg.sigMu.Lock()
		t.sigWaitSet = 0
		tg.sigMu.Unlock()
	}()
	for {
		// A thread killed by another's execve or exit (t.exiting)
		// gives up, as it does on a fatal signal.
		t.mu.Lock()
		exiting := t.exiting
		t.mu.Unlock()
		if exiting {
			return nil, unix.EINTR
		}
		tg.sigMu.Lock()
		if info := t.dequeueSignalLocked(set); info != nil {
			tg.sigMu.Unlock()
			return info, nil
		}
		interrupted := t.interruptedLocked()
		tg.sigMu.Unlock()
		if interrupted {
			return nil, unix.EINTR
		}
		// As Linux's do_sigtimedwait, the queue is looked at once
		// more when the timeout has passed.
		left := time.Duration(-1)
		if timeout != nil {
			if left = time.Until(deadline); left <= 0 {
				return nil, unix.EAGAIN
			}
		}
		t.SleepBegin()
		t.parker.Park(left)
		t.SleepEnd()
	}
}

// SetTemporarySignalMask installs m until the current system call returns
// to user mode (ppoll, pselect6, epoll_pwait; Linux's
// set_restore_sigmask): if a handler then runs, its frame saves the old
// mask, so the old mask comes back at rt_sigreturn; otherwise the old mask
// is restored on the way out.
func (t *Task) SetTemporarySignalMask(m linux.SignalSet) {
	tg := t.tg
	tg.sigMu.Lock()
	if !t.hasSavedMask {
		t.savedMask, t.hasSavedMask = t.sigMask, true
	}
	t.sigMask = m &^ linux.UnblockableSignals
	tg.sigMu.Unlock()
}
