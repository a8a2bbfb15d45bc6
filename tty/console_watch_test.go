package tty

import (
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// pipeConsole returns a console over the read end of a host pipe and the
// write end.
func pipeConsole(t *testing.T) (*Console, vfs.Waitable, int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		unix.Close(p[0])
		unix.Close(p[1])
	})
	c, err := NewConsole(p[0])
	if err != nil {
		t.Fatal(err)
	}
	w, ok := NewConsoleFile(c).(vfs.Waitable)
	if !ok {
		t.Fatal("console stream is not Waitable")
	}
	return c, w, p[1]
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConsoleWaitableWakesOnHostData(t *testing.T) {
	c, w, wfd := pipeConsole(t)
	if r := w.Readiness(unix.POLLIN); r != 0 {
		t.Fatalf("empty pipe readiness %#x", r)
	}
	var calls atomic.Int32
	var last atomic.Uint32
	e := &vfs.WaitEntry{Mask: unix.POLLIN, Callback: func(ev uint32) {
		last.Store(ev)
		calls.Add(1)
	}}
	w.EventRegister(e)
	time.Sleep(20 * time.Millisecond)
	if calls.Load() != 0 {
		t.Fatalf("notified %d times with nothing to read", calls.Load())
	}
	unix.Write(wfd, []byte("hi"))
	waitFor(t, "a POLLIN notification", func() bool { return calls.Load() == 1 })
	if last.Load()&unix.POLLIN == 0 {
		t.Fatalf("events %#x", last.Load())
	}
	if r := w.Readiness(unix.POLLIN); r&unix.POLLIN == 0 {
		t.Fatalf("readiness %#x after data", r)
	}
	// Level-triggered host poll must not make the watcher spin.
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d notifications for one arrival", n)
	}
	buf := make([]byte, 8)
	if n, err := c.Read(buf, true, nil); n != 2 || err != nil {
		t.Fatalf("read %d %v", n, err)
	}
	unix.Write(wfd, []byte("again"))
	waitFor(t, "a second notification after a read", func() bool { return calls.Load() == 2 })

	w.EventUnregister(e)
	waitFor(t, "the watcher to stop", func() bool { return !c.watching() })
}

func TestConsoleWaitableHangup(t *testing.T) {
	c, w, wfd := pipeConsole(t)
	var calls atomic.Int32
	var last atomic.Uint32
	e := &vfs.WaitEntry{Mask: unix.POLLIN, Callback: func(ev uint32) {
		last.Store(ev)
		calls.Add(1)
	}}
	w.EventRegister(e)
	defer w.EventUnregister(e)
	unix.Close(wfd)
	waitFor(t, "POLLHUP", func() bool { return calls.Load() >= 1 })
	if last.Load()&unix.POLLHUP == 0 {
		t.Fatalf("events %#x", last.Load())
	}
	time.Sleep(50 * time.Millisecond)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d notifications for one hangup", n)
	}
	if r := w.Readiness(unix.POLLIN); r&unix.POLLHUP == 0 {
		t.Fatalf("readiness %#x", r)
	}
	_ = c
}

func TestConsoleWaitableRegistrationChanges(t *testing.T) {
	c, w, wfd := pipeConsole(t)
	// A POLLOUT waiter on the read end never fires; adding a POLLIN
	// waiter while the watcher sleeps must be seen.
	var outCalls, inCalls atomic.Int32
	eo := &vfs.WaitEntry{Mask: unix.POLLOUT, Callback: func(uint32) { outCalls.Add(1) }}
	ei := &vfs.WaitEntry{Mask: unix.POLLIN, Callback: func(uint32) { inCalls.Add(1) }}
	w.EventRegister(eo)
	time.Sleep(10 * time.Millisecond)
	w.EventRegister(ei)
	time.Sleep(10 * time.Millisecond)
	unix.Write(wfd, []byte("x"))
	waitFor(t, "the later waiter's notification", func() bool { return inCalls.Load() == 1 })
	if outCalls.Load() != 0 {
		t.Fatalf("POLLOUT waiter notified %d times", outCalls.Load())
	}
	w.EventUnregister(eo)
	w.EventUnregister(ei)
	waitFor(t, "the watcher to stop", func() bool { return !c.watching() })
	// And it starts again.
	w.EventRegister(ei)
	waitFor(t, "a notification for data already there", func() bool { return inCalls.Load() == 2 })
	w.EventUnregister(ei)
	waitFor(t, "the watcher to stop", func() bool { return !c.watching() })
}
