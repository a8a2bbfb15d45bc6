package kernel

import "golang.org/x/sys/unix"

// PdeathSignal returns the signal the task gets when its parent dies.
func (t *Task) PdeathSignal() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.pdeathSignal
}

// SetPdeathSignal sets PR_SET_PDEATHSIG.
func (t *Task) SetPdeathSignal(sig int) {
	t.mu.Lock()
	t.pdeathSignal = sig
	t.mu.Unlock()
}

// Subreaper reports PR_GET_CHILD_SUBREAPER.
func (tg *ThreadGroup) Subreaper() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.subreaper
}

// SetSubreaper sets PR_SET_CHILD_SUBREAPER.
func (tg *ThreadGroup) SetSubreaper(on bool) {
	tg.k.mu.Lock()
	tg.subreaper = on
	tg.k.mu.Unlock()
}

// NoNewPrivs reports PR_GET_NO_NEW_PRIVS.
func (t *Task) NoNewPrivs() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.noNewPrivs
}

// SetNoNewPrivs sets PR_SET_NO_NEW_PRIVS; it can never be cleared.
func (t *Task) SetNoNewPrivs() {
	t.mu.Lock()
	t.noNewPrivs = true
	t.mu.Unlock()
}

// Dumpable reports PR_GET_DUMPABLE.
func (tg *ThreadGroup) Dumpable() int {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.dumpable
}

// IsDumpable reports whether the process is dumpable (SUID_DUMP_USER):
// procfs shows a process that is not as owned by root.
func (t *Task) IsDumpable() bool { return t.tg.Dumpable() == 1 }

// SetDumpable sets PR_SET_DUMPABLE (0 or 1).
func (tg *ThreadGroup) SetDumpable(d int) {
	tg.sigMu.Lock()
	tg.dumpable = d
	tg.sigMu.Unlock()
}

// defaultTimerSlackNS is Linux's initial timer slack (50 µs).
const defaultTimerSlackNS = 50000

// TimerSlack reports PR_GET_TIMERSLACK in nanoseconds.
func (t *Task) TimerSlack() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.timerSlack == 0 {
		return defaultTimerSlackNS
	}
	return t.timerSlack
}

// SetTimerSlack sets PR_SET_TIMERSLACK: ns, or the task's default slack
// for 0.
func (t *Task) SetTimerSlack(ns uint64) {
	t.mu.Lock()
	if ns == 0 {
		ns = t.defaultTimerSlack
	}
	t.timerSlack = ns
	t.mu.Unlock()
}

// ClearChildTID returns the set_tid_address/CLONE_CHILD_CLEARTID address
// (PR_GET_TID_ADDRESS). Only the task itself calls it.
func (t *Task) ClearChildTID() uintptr { return t.clearChildTID }

// MCEKill reports PR_MCE_KILL_GET: PR_MCE_KILL_EARLY, _LATE or
// _DEFAULT.
func (t *Task) MCEKill() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.mceKill == 0 {
		return unix.PR_MCE_KILL_DEFAULT
	}
	return t.mceKill - 1
}

// SetMCEKill sets PR_MCE_KILL's policy (PR_MCE_KILL_DEFAULT clears it).
func (t *Task) SetMCEKill(policy int) {
	t.mu.Lock()
	t.mceKill = policy + 1
	if policy == unix.PR_MCE_KILL_DEFAULT {
		t.mceKill = 0
	}
	t.mu.Unlock()
}
