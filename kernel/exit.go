package kernel

// Exit ends the calling task, as exit(2): other threads of the group go on.
func (t *Task) Exit(code int) {
	t.mu.Lock()
	t.exiting = true
	t.exitCode = code
	t.mu.Unlock()
}

// ExitGroup ends every task of the calling task's process, as
// exit_group(2).
func (t *Task) ExitGroup(code int) {
	t.tg.beginExit(ExitedStatus(code))
}

// exit releases what the task holds once it has left its run loop.
func (t *Task) exit() {
	if t.clearChildTID != 0 && t.mm != nil {
		// Futex wake-ups of the address come with futexes; the store is
		// what a joiner polling the word sees.
		t.CopyOut(t.clearChildTID, []byte{0, 0, 0, 0})
	}
	t.k.mu.Lock()
	delete(t.k.tasks, t.tid)
	t.k.mu.Unlock()
	t.releaseResources()
	t.mu.Lock()
	code := t.exitCode
	t.mu.Unlock()
	t.tg.removeTask(t, code)
}

// releaseResources drops the task's references to its address space and
// file descriptor table. Each task holds its own until threads sharing
// them (CLONE_VM, CLONE_FILES) arrive with the processes issue, which adds
// reference counts here.
func (t *Task) releaseResources() {
	t.mu.Lock()
	m, fdt := t.mm, t.fdTable
	t.mm, t.fdTable, t.fsContext = nil, nil, nil
	t.mu.Unlock()
	if fdt != nil {
		fdt.RemoveAll(t)
	}
	if m != nil {
		m.Release()
	}
}
