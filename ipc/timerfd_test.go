package ipc

import (
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// fakeClock is a settable clock for timer tests.
type fakeClock struct {
	mu  sync.Mutex
	now int64
}

func (c *fakeClock) get() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d int64) {
	c.mu.Lock()
	c.now += d
	c.mu.Unlock()
}

func TestTimerFDPeriodicCount(t *testing.T) {
	v := vfs.New()
	clock := &fakeClock{}
	f, err := NewTimerFD(ctx, v, ClockMonotonic, clock.get, TFD_NONBLOCK, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	tf := TimerFDOf(f)
	// The host timer fires after 1ms of real time; by then the fake
	// clock has passed ten expiries (1ms, 2ms, ... 10ms).
	const ms = int64(time.Millisecond)
	tf.SetTime(0, TimerSpec{Value: ms, Interval: ms})
	clock.advance(10*ms + ms/2)
	deadline := time.Now().Add(5 * time.Second)
	for f.Readiness(unix.POLLIN) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("timer never fired")
		}
		time.Sleep(time.Millisecond)
	}
	got, err := readU64(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if got != 10 {
		t.Fatalf("expirations = %d, want 10", got)
	}
	if s := tf.GetTime(); s.Value != ms/2 {
		t.Fatalf("next expiry in %d, want 0.5ms", s.Value)
	}
	if _, err := readU64(t, f); err != unix.EAGAIN {
		t.Fatalf("second read: %v, want EAGAIN", err)
	}
}

func TestTimerFDForward(t *testing.T) {
	v := vfs.New()
	clock := &fakeClock{now: 0}
	f, err := NewTimerFD(ctx, v, ClockMonotonic, clock.get, TFD_NONBLOCK, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	tf := TimerFDOf(f)
	const ms = int64(time.Millisecond)
	// Absolute expiry at clock time 0 (now): fires at once.
	tf.SetTime(TFD_TIMER_ABSTIME, TimerSpec{Value: 0, Interval: 10 * ms})
	tf.SetTime(TFD_TIMER_ABSTIME, TimerSpec{Value: 1, Interval: 10 * ms})
	deadline := time.Now().Add(5 * time.Second)
	clock.advance(1)
	for f.Readiness(unix.POLLIN) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("timer never fired")
		}
		time.Sleep(time.Millisecond)
	}
	clock.advance(25 * ms) // now 25ms+1: expiries at 1, 10ms+1, 20ms+1
	if s := tf.GetTime(); s.Value != 5*ms || s.Interval != 10*ms {
		t.Fatalf("GetTime = %+v, want 5ms to go", s)
	}
	got, err := readU64(t, f)
	if err != nil || got != 3 {
		t.Fatalf("read = %d, %v; want 3", got, err)
	}
	old := tf.SetTime(0, TimerSpec{})
	if old.Value != 5*ms || old.Interval != 10*ms {
		t.Fatalf("old setting %+v", old)
	}
	if s := tf.GetTime(); s != (TimerSpec{}) {
		t.Fatalf("disarmed: %+v", s)
	}
}

func TestTimerFDBlockingRead(t *testing.T) {
	v := vfs.New()
	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	f, err := NewTimerFD(ctx, v, ClockMonotonic, now, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	TimerFDOf(f).SetTime(0, TimerSpec{Value: int64(20 * time.Millisecond)})
	got, err := readU64(t, f)
	if err != nil || got != 1 {
		t.Fatalf("read = %d, %v", got, err)
	}
	if el := time.Since(start); el < 20*time.Millisecond {
		t.Fatalf("read returned after %v", el)
	}
	if _, err := NewTimerFD(ctx, v, 2, now, 0, nil); err != unix.EINVAL {
		t.Fatalf("CPU-time clock: %v, want EINVAL", err)
	}
}
