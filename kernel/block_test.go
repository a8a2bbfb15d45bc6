package kernel

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// bareTask is a task with no process behind it: enough for Park, which
// looks only at its interruption state.
func bareTask() *Task { return &Task{tg: &ThreadGroup{}} }

// TestParkWakeRace races a sender's send-then-Wake against the task's
// Park on a locked thread, as a socket's notification races a reader
// going to sleep: a lost wake-up hangs the test.
func TestParkWakeRace(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	task := bareTask()
	for range 20000 {
		ch := make(chan struct{}, 1)
		go func() {
			ch <- struct{}{}
			task.Wake()
		}()
		if err := task.Park(ch); err != nil {
			t.Fatalf("Park = %v, want nil", err)
		}
	}
}

// TestParkInterruptRace races an interruption (the task's exit, as a kill
// makes it) against Park on a channel nobody signals: Park must return
// ERESTARTSYS, however the two interleave.
func TestParkInterruptRace(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for range 5000 {
		task := bareTask()
		go func() {
			task.mu.Lock()
			task.exiting = true
			task.mu.Unlock()
			task.interrupt()
		}()
		if err := task.Park(make(chan struct{})); err != ERESTARTSYS {
			t.Fatalf("Park = %v, want ERESTARTSYS", err)
		}
	}
}

// TestParkTimeout: ParkTimeout gives ETIMEDOUT at its deadline, not
// before, and nil when the channel is signalled first; Sleep sleeps its
// whole time.
func TestParkTimeout(t *testing.T) {
	task := bareTask()
	start := time.Now()
	if err := task.ParkTimeout(make(chan struct{}), start.Add(20*time.Millisecond)); err != unix.ETIMEDOUT {
		t.Fatalf("ParkTimeout = %v, want ETIMEDOUT", err)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Fatalf("ParkTimeout returned after %v, before its deadline", d)
	}
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	if err := task.ParkTimeout(ch, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("ParkTimeout with a signalled channel = %v, want nil", err)
	}
	start = time.Now()
	if left, err := task.Sleep(10 * time.Millisecond); err != nil || left != 0 {
		t.Fatalf("Sleep = %v, %v; want 0, nil", left, err)
	}
	if d := time.Since(start); d < 10*time.Millisecond {
		t.Fatalf("Sleep returned after %v", d)
	}
}
