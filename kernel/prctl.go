package kernel

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
