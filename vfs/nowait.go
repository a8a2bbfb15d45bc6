package vfs

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// RWF_NOWAIT (preadv2, pwritev2): the call does what it can at once and
// fails with EAGAIN where it would have to wait, on the files that can be
// tried that way (Linux's FMODE_NOWAIT); on the others it is EOPNOTSUPP.

// NowaitIO is implemented by the file operations of files other than
// pipes and sockets (which all can) whose reads, and writes if write, can
// be tried without waiting: NowaitIO reports whether the direction can.
// Linux's FMODE_NOWAIT, for a file whose read_iter or write_iter honours
// IOCB_NOWAIT: eventfd, timerfd and signalfd reads, the memory devices.
type NowaitIO interface {
	NowaitIO(write bool) bool
}

// CanNowait reports whether a read, or a write if write, of f can be
// tried without waiting (RWF_NOWAIT): every pipe and socket (not a FIFO:
// Linux's fifo_open does not mark it so), and the files whose operations
// say so (NowaitIO).
func (f *File) CanNowait(write bool) bool {
	if d := f.path.Dentry; d != nil && (d.typ == unix.S_IFIFO && d.anon || d.typ == unix.S_IFSOCK) {
		return true
	}
	if n, ok := f.ops.(NowaitIO); ok {
		return n.NowaitIO(write)
	}
	return false
}

// NowaitContext returns ctx for an operation that must not wait
// (RWF_NOWAIT): every wait it would start fails at once with EAGAIN (one
// with a deadline with ETIMEDOUT, as if the deadline had passed), so the
// operation returns what it did before it (a pipe's short write) or
// EAGAIN.
func NowaitContext(ctx Context) Context { return nowaitContext{ctx} }

// nowaitContext is the Context of NowaitContext.
type nowaitContext struct{ Context }

// BlockOn implements Context: it does not wait.
func (c nowaitContext) BlockOn(ch <-chan struct{}) error { return c.now(ch) }

// BlockOnTimeout implements Context: it does not wait, as if the
// deadline had passed (ETIMEDOUT, which a socket with SO_RCVTIMEO turns
// into EAGAIN).
func (c nowaitContext) BlockOnTimeout(ch <-chan struct{}, _ time.Time) error {
	return c.nowTimed(ch)
}

// Park implements Context: it does not wait.
func (c nowaitContext) Park(ch <-chan struct{}) error { return c.now(ch) }

// ParkTimeout implements Context: it does not wait (ETIMEDOUT).
func (c nowaitContext) ParkTimeout(ch <-chan struct{}, _ time.Time) error { return c.nowTimed(ch) }

// Signals implements Context: waits for a signal do not wait either.
func (c nowaitContext) Signals() Signals {
	s := c.Context.Signals()
	if s == nil {
		return nil
	}
	return nowaitSignals{s}
}

// nowaitSignals are the Signals of a nowaitContext.
type nowaitSignals struct{ Signals }

// SigTimedWait implements Signals: it takes a pending signal of set, or
// fails with EAGAIN.
func (s nowaitSignals) SigTimedWait(set linux.SignalSet, _ *time.Duration) (*arch.SignalInfo, error) {
	if info := s.DequeueSignal(set); info != nil {
		return info, nil
	}
	return nil, unix.EAGAIN
}

// now returns nil when ch has already been signalled (what the wait
// would have returned at once), EAGAIN otherwise.
func (nowaitContext) now(ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	default:
		return unix.EAGAIN
	}
}

// nowTimed is now for a wait with a deadline: ETIMEDOUT for EAGAIN.
func (c nowaitContext) nowTimed(ch <-chan struct{}) error {
	if err := c.now(ch); err != nil {
		return unix.ETIMEDOUT
	}
	return nil
}
