package vfs

import (
	"testing"

	"golang.org/x/sys/unix"
)

// countWaker counts its wake-ups and records whether the entry's channel
// was already signalled when it was woken.
type countWaker struct {
	ch        chan struct{}
	n         int
	sentFirst bool
}

func (w *countWaker) Wake() {
	w.n++
	w.sentFirst = len(w.ch) == 1
}

// TestWakerEntry: a Notify that matches a waker entry signals its channel
// and then wakes its Waker (so a parked sleeper that wakes finds the
// channel signalled); one that does not match does neither.
func TestWakerEntry(t *testing.T) {
	var q WaitQueue
	ch := make(chan struct{}, 1)
	w := &countWaker{ch: ch}
	e := NewWakerEntry(unix.POLLIN, ch, w)
	q.EventRegister(e)
	q.Notify(unix.POLLOUT)
	if w.n != 0 || len(ch) != 0 {
		t.Fatalf("POLLOUT woke a POLLIN entry: %d wake-ups, %d queued", w.n, len(ch))
	}
	q.Notify(unix.POLLIN)
	if w.n != 1 || !w.sentFirst {
		t.Fatalf("POLLIN: %d wake-ups, channel signalled before the wake-up: %v", w.n, w.sentFirst)
	}
	q.Notify(unix.POLLIN) // channel full: still a wake-up
	if w.n != 2 || len(ch) != 1 {
		t.Fatalf("second POLLIN: %d wake-ups, %d queued", w.n, len(ch))
	}
	q.EventUnregister(e)
	q.Notify(unix.POLLIN)
	if w.n != 2 {
		t.Fatalf("unregistered entry woken")
	}
	// A nil Waker is a plain channel entry.
	ch2 := make(chan struct{}, 1)
	e2 := NewWakerEntry(unix.POLLIN, ch2, nil)
	q.EventRegister(e2)
	q.Notify(unix.POLLIN)
	if len(ch2) != 1 {
		t.Fatalf("entry without a Waker not signalled")
	}
}
