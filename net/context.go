package net

import (
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Context is the caller of a socket operation: vfs.Context gives
// everything sockets need (credentials, the process id for SO_PEERCRED
// and SCM_CREDENTIALS, the fs context path names resolve in,
// interruptible waits with deadlines, SIGPIPE through SignalSelf).
type Context = vfs.Context

// SendSIGPIPE sends SIGPIPE to the calling thread, as a write to a stream
// whose peer is gone does without MSG_NOSIGNAL.
func SendSIGPIPE(ctx Context) { ctx.SignalSelf(int(unix.SIGPIPE)) }

// errRestartSys is kernel.ERESTARTSYS, which BlockOn returns when a
// signal interrupts the wait.
const errRestartSys = unix.Errno(512)

// Timeout is a socket timeout (SO_RCVTIMEO, SO_SNDTIMEO): zero is none.
type Timeout time.Duration

// Deadline is when an operation with timeout to starting now gives up.
func (to Timeout) Deadline() Deadline {
	if to <= 0 {
		return Deadline{}
	}
	return Deadline{at: time.Now().Add(time.Duration(to)), set: true}
}

// Deadline bounds one blocking operation.
type Deadline struct {
	at  time.Time
	set bool
}

// Waiter is one blocking operation's registration on wait queues: make it
// with NewWaiter, Register on each queue whose notification may end the
// wait, re-check the condition, then Wait. A Waiter that never registers
// allocates nothing; the first registration allocates the channel and
// room for waiterInline registrations.
type Waiter struct {
	r *waiterRegs
}

// waiterRegs is a Waiter's channel and registrations. Its entries wake
// the waiting context through the waiterRegs (Wake), so that Wait can
// Park: waker is set by the first Wait, before armed is.
type waiterRegs struct {
	ch     chan struct{}
	waker  vfs.Waker
	armed  atomic.Bool
	inline [waiterInline]waiterEntry
	n      int
	more   []*waiterEntry
}

// waiterInline is how many registrations a Waiter holds without
// allocating more (a stream send registers on two queues).
const waiterInline = 2

// waiterEntry is one registration of a Waiter.
type waiterEntry struct {
	q *vfs.WaitQueue
	e vfs.WaitEntry
}

// Registered reports whether w is registered on a queue (Unregister
// undoes it, so a wait loop that unregisters registers again before it
// waits again).
func (w *Waiter) Registered() bool { return w.r != nil && w.r.n > 0 }

// Register adds w to q for events of mask.
func (w *Waiter) Register(q *vfs.WaitQueue, mask uint32) {
	if w.r == nil {
		w.r = &waiterRegs{ch: make(chan struct{}, 1)}
	}
	r := w.r
	var x *waiterEntry
	if r.n < waiterInline {
		x = &r.inline[r.n]
	} else {
		x = new(waiterEntry)
		r.more = append(r.more, x)
	}
	r.n++
	*x = waiterEntry{q: q, e: vfs.WaitEntry{Mask: mask, Chan: r.ch, Waker: r}}
	q.EventRegister(&x.e)
}

// Unregister removes w from every queue.
func (w *Waiter) Unregister() {
	r := w.r
	if r == nil {
		return
	}
	for i := range min(r.n, waiterInline) {
		x := &r.inline[i]
		x.q.EventUnregister(&x.e)
		// Only the queue is dropped: a Notify that collected the entry
		// before it left the queue may still be firing it, so its Chan
		// and Waker (the same for every registration of r) stay.
		x.q = nil
	}
	for _, x := range r.more {
		x.q.EventUnregister(&x.e)
	}
	r.n, r.more = 0, nil
}

// Wake implements vfs.Waker for the Waiter's entries: it wakes the
// context that waits in Wait. A notification before the first Wait needs
// no wake-up: Wait finds the channel signalled.
func (r *waiterRegs) Wake() {
	if r != nil && r.armed.Load() && r.waker != nil {
		r.waker.Wake()
	}
}

// Wait sleeps until a notification, the deadline (EAGAIN) or an
// interruption: ERESTARTSYS without a timeout, EINTR with one.
//
// Preconditions: w is registered; every Wait of w is by the same ctx.
func (w *Waiter) Wait(ctx Context, d Deadline) error {
	return w.WaitSpin(ctx, d, nil)
}

// WaitSpin is Wait that first spins with s (nil: none) for a
// notification, with the same results: the notification is taken as
// Wait takes it, so spinning changes only when the caller sleeps.
func (w *Waiter) WaitSpin(ctx Context, d Deadline, s *vfs.Spinner) error {
	r := w.r
	if !r.armed.Load() {
		r.waker = ctx.Waker()
		r.armed.Store(true)
	}
	// A spin ends before the deadline; Interrupted is not asked while
	// spinning (vfs.Spinner.Park), nor anything when s backs off.
	if len(r.ch) == 0 && s.Spinning() && (!d.set || time.Until(d.at) > vfs.SpinLimit) && !ctx.Interrupted() {
		s.SpinNow(func() bool { return len(r.ch) > 0 })
	}
	var err error
	if d.set {
		err = ctx.ParkTimeout(r.ch, d.at)
	} else {
		err = ctx.Park(r.ch)
	}
	switch {
	case err == nil:
		return nil
	case err == unix.ETIMEDOUT:
		return unix.EAGAIN
	case d.set:
		return unix.EINTR
	}
	return err
}
