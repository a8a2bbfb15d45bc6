package kernel

import (
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// Interrupted reports whether the task has something to attend to that
// must cut a blocking system call short (today: its process is exiting;
// with the signals issue: a pending unblocked signal).
func (t *Task) Interrupted() bool { return t.shouldExit() }

// Sleep blocks the task for d. It returns early with EINTR, and the time
// left, if the task is interrupted.
func (t *Task) Sleep(d time.Duration) (time.Duration, error) {
	if d <= 0 {
		return 0, nil
	}
	deadline := time.Now().Add(d)
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		if t.Interrupted() {
			return max(time.Until(deadline), 0), unix.EINTR
		}
		select {
		case <-timer.C:
			return 0, nil
		case <-t.wake:
		}
	}
}

// CPUTime returns the user and system time the task has used: time spent
// running application code, and time spent in kite on its behalf.
func (t *Task) CPUTime() (user, sys time.Duration) {
	return time.Duration(t.userNanos.Load()), time.Duration(t.sysNanos.Load())
}

// CPUTime returns the user and system time used by the process's live
// tasks.
func (tg *ThreadGroup) CPUTime() (user, sys time.Duration) {
	tg.mu.Lock()
	tasks := append([]*Task(nil), tg.tasks...)
	tg.mu.Unlock()
	for _, t := range tasks {
		u, s := t.CPUTime()
		user += u
		sys += s
	}
	return user, sys
}

// Yield gives up the CPU to other runnable tasks (sched_yield).
func (t *Task) Yield() { runtime.Gosched() }
