package kernel

import "sync/atomic"

// Rusage is what getrusage reports besides CPU times.
type Rusage struct {
	// MaxRSS is the peak resident set size in KiB.
	MaxRSS int64
	// MinFlt counts page faults kite served from memory, MajFlt those
	// that read a file (kite counts none: its file pages come through
	// the same path).
	MinFlt, MajFlt int64
	// NVCSw counts waits in blocking system calls, NIVCSw the times the
	// task was taken off the CPU without waiting (an interrupt).
	NVCSw, NIVCSw int64
}

func (r *Rusage) add(o Rusage) {
	r.MaxRSS = max(r.MaxRSS, o.MaxRSS)
	r.MinFlt += o.MinFlt
	r.MajFlt += o.MajFlt
	r.NVCSw += o.NVCSw
	r.NIVCSw += o.NIVCSw
}

// taskRusage are a task's counters, updated by its goroutine.
type taskRusage struct {
	minflt, nvcsw, nivcsw atomic.Int64
}

// tgRusage is a process's usage beyond its live tasks.
type tgRusage struct {
	// dead sums the exited tasks. Guarded by ThreadGroup.sigMu.
	dead Rusage
	// children sums the reaped children. Guarded by Kernel.mu.
	children Rusage
	// peakRSS is the largest resident size seen, in KiB. Guarded by
	// ThreadGroup.sigMu.
	peakRSS int64
}

// ThreadRusage returns the task's own counters (RUSAGE_THREAD); the
// resident size is the address space's.
func (t *Task) ThreadRusage() Rusage {
	r := Rusage{MinFlt: t.ru.minflt.Load(), NVCSw: t.ru.nvcsw.Load(), NIVCSw: t.ru.nivcsw.Load()}
	r.MaxRSS = t.tg.sampleRSS(t)
	return r
}

// sampleRSS records the current resident size of t's address space in
// the process's peak and returns the peak.
func (tg *ThreadGroup) sampleRSS(t *Task) int64 {
	var cur int64
	if m := t.MemoryManagerShared(); m != nil {
		cur = int64(m.Usage().Resident >> 10)
	}
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	tg.misc.ru.peakRSS = max(tg.misc.ru.peakRSS, cur)
	return tg.misc.ru.peakRSS
}

// ProcessRusage returns the process's usage: its live and exited tasks.
func (t *Task) ProcessRusage() Rusage {
	tg := t.tg
	peak := tg.sampleRSS(t)
	tg.sigMu.Lock()
	tasks := tg.tasksForSignals()
	r := tg.misc.ru.dead
	tg.sigMu.Unlock()
	for _, x := range tasks {
		r.add(Rusage{MinFlt: x.ru.minflt.Load(), NVCSw: x.ru.nvcsw.Load(), NIVCSw: x.ru.nivcsw.Load()})
	}
	r.MaxRSS = max(r.MaxRSS, peak)
	return r
}

// ChildrenRusage returns the usage of the reaped children (their
// largest MaxRSS, the sums of the counts).
func (tg *ThreadGroup) ChildrenRusage() Rusage {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.misc.ru.children
}

// exitRusageLocked adds an exiting task's counters to its process.
//
// Preconditions: tg.sigMu is held.
func (t *Task) exitRusageLocked() {
	t.tg.misc.ru.dead.add(Rusage{MinFlt: t.ru.minflt.Load(), NVCSw: t.ru.nvcsw.Load(), NIVCSw: t.ru.nivcsw.Load()})
}

// reapRusageLocked adds a reaped process's usage (its own and its
// children's) to its parent's children.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) reapRusageLocked() {
	tg.sigMu.Lock()
	r := tg.misc.ru.dead
	r.MaxRSS = max(r.MaxRSS, tg.misc.ru.peakRSS)
	tg.sigMu.Unlock()
	r.add(tg.misc.ru.children)
	tg.parent.misc.ru.children.add(r)
}

// sampleRSSAtExit records the address space's resident size in the
// process's peak when the last task leaves (the children's ru_maxrss).
func (t *Task) sampleRSSAtExit() {
	t.tg.sigMu.Lock()
	last := len(t.tg.tasks) == 1
	t.tg.sigMu.Unlock()
	if last {
		t.tg.sampleRSS(t)
	}
}
