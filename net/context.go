package net

import (
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
// wait, re-check the condition, then Wait.
type Waiter struct {
	ch      chan struct{}
	entries []struct {
		q *vfs.WaitQueue
		e *vfs.WaitEntry
	}
}

// Registered reports whether w has been registered on a queue.
func (w *Waiter) Registered() bool { return w.ch != nil }

// Register adds w to q for events of mask.
func (w *Waiter) Register(q *vfs.WaitQueue, mask uint32) {
	if w.ch == nil {
		w.ch = make(chan struct{}, 1)
	}
	e := vfs.NewChannelEntry(mask, w.ch)
	q.EventRegister(e)
	w.entries = append(w.entries, struct {
		q *vfs.WaitQueue
		e *vfs.WaitEntry
	}{q, e})
}

// Unregister removes w from every queue.
func (w *Waiter) Unregister() {
	for _, x := range w.entries {
		x.q.EventUnregister(x.e)
	}
	w.entries = nil
}

// Wait sleeps until a notification, the deadline (EAGAIN) or an
// interruption: ERESTARTSYS without a timeout, EINTR with one.
func (w *Waiter) Wait(ctx Context, d Deadline) error {
	var err error
	if d.set {
		err = ctx.BlockOnTimeout(w.ch, d.at)
	} else {
		err = ctx.BlockOn(w.ch)
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
