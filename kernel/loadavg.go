package kernel

import (
	"sync"
	"time"
)

// The load average, as Linux computes it (kernel/sched/loadavg.c): every
// loadFreq the number of active tasks (here: tasks that are not sleeping
// in a wait, stopped or exited) is folded into three exponentially
// decaying averages over 1, 5 and 15 minutes, in fixed point with
// loadFShift fraction bits.
const (
	loadFreq   = 5 * time.Second
	loadFShift = 11
	loadFixed1 = 1 << loadFShift
)

// loadExp are Linux's EXP_1, EXP_5 and EXP_15: 2048/exp(5s/1min), ...
var loadExp = [3]uint64{1884, 2014, 2037}

// loadAvg is a kernel's load average.
type loadAvg struct {
	// mu guards the fields below (a leaf lock).
	mu    sync.Mutex
	avg   [3]uint64 // fixed point, loadFShift bits
	armed bool      // a sample is scheduled
}

// calcLoad is Linux's calc_load: load decayed by exp towards active.
func calcLoad(load, exp, active uint64) uint64 {
	n := load*exp + active*(loadFixed1-exp)
	if active >= load {
		n += loadFixed1 - 1
	}
	return n / loadFixed1
}

// armLoad schedules the next sample if none is: a kernel with tasks
// samples every loadFreq, one without stops until a task starts.
func (k *Kernel) armLoad() {
	l := &k.load
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.armed {
		l.armed = true
		time.AfterFunc(loadFreq, k.sampleLoad)
	}
}

// sampleLoad folds the number of active tasks into the averages.
func (k *Kernel) sampleLoad() {
	running, total := k.RunningTasks()
	l := &k.load
	l.mu.Lock()
	defer l.mu.Unlock()
	active := uint64(running) * loadFixed1
	for i := range l.avg {
		l.avg[i] = calcLoad(l.avg[i], loadExp[i], active)
	}
	if total == 0 && l.avg == [3]uint64{} {
		l.armed = false
		return
	}
	time.AfterFunc(loadFreq, k.sampleLoad)
}

// LoadAverage returns the 1, 5 and 15 minute load averages in fixed point
// with fshift fraction bits (11: /proc/loadavg's; 16: sysinfo's).
func (k *Kernel) LoadAverage(fshift uint) [3]uint64 {
	l := &k.load
	l.mu.Lock()
	defer l.mu.Unlock()
	var out [3]uint64
	for i, v := range l.avg {
		out[i] = v << fshift >> loadFShift
	}
	return out
}

// RunningTasks returns the number of tasks that are active (running or
// runnable: not sleeping in a wait, not stopped) and of all tasks.
func (k *Kernel) RunningTasks() (running, total int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, t := range k.tasks {
		if t.sleeping.Load() == 0 {
			running++
		}
	}
	return running, len(k.tasks)
}

// SleepBegin marks the task as sleeping in a wait (not counted in the load
// average, nor in its system CPU time) until the matching SleepEnd; waits
// may nest.
//
// Preconditions: called from the task's own goroutine.
func (t *Task) SleepBegin() {
	if t.sleeping.Add(1) == 1 {
		t.sleepStart = time.Now()
	}
}

// SleepEnd ends what SleepBegin began. The task rewrites its rseq CPU
// numbers before it next runs, as Linux does after it was switched out:
// something may have written the area meanwhile (a vfork child's
// unregistration).
//
// Preconditions: called from the task's own goroutine.
func (t *Task) SleepEnd() {
	if t.sleeping.Add(-1) == 0 {
		t.sleptNanos += int64(time.Since(t.sleepStart))
	}
	t.rseq.cpu = -1
}
