package vfs

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
)

// Context is what the caller of a VFS or file operation provides: Linux's
// "current". kernel.Task implements it for system calls; KernelContext is
// the context of work kite does for itself and of tests. Every method is
// part of the contract, so a file system never type-asserts a Context to
// find out what the caller can do.
type Context interface {
	// Credentials returns the caller's credentials: permission checks use
	// FSUID, FSGID and the capabilities; new files get their owners
	// from them.
	Credentials() *auth.Credentials

	// FSContext returns the caller's root, working directory and umask,
	// for operations that resolve a path on the caller's behalf (mount
	// sources, overlay directories). Nil for a caller without one (a
	// kernel context); such an operation then fails with EINVAL.
	FSContext() *FSContext

	// ThreadGroupID returns the caller's process id and ThreadID its
	// thread id, both kernel-wide (global) ids, which the initial PID
	// namespace shows; 0 for a context that is not a process (the owner
	// of its POSIX locks, and /proc/self, which does not exist for it).
	ThreadGroupID() int32
	ThreadID() int32

	// PIDOf returns global process id g as the caller's PID namespace
	// numbers it (0 when g lies outside it), and GlobalPID the global id
	// of the caller's number pid (0 if none): what the caller reads and
	// passes is in its namespace's numbers (SO_PEERCRED,
	// SCM_CREDENTIALS). A kernel context sees global ids.
	PIDOf(g int32) int32
	GlobalPID(pid int32) int32

	// Interrupted reports whether the caller has something to attend to
	// that must cut a blocking operation short (a pending unblocked
	// signal, a stop, its exit). An operation that waits by polling
	// (the host console) checks it between polls.
	Interrupted() bool

	// BlockOn waits until ch receives or is closed and returns nil, or
	// returns ERESTARTSYS when the caller is interrupted first; the
	// system call returns that error up and the run loop turns it into
	// a restart or EINTR as Linux does. BlockOnTimeout also returns
	// ETIMEDOUT when deadline passes first. A kernel context is never
	// interrupted.
	BlockOn(ch <-chan struct{}) error
	BlockOnTimeout(ch <-chan struct{}, deadline time.Time) error

	// Park and ParkTimeout are BlockOn and BlockOnTimeout for a channel
	// whose every sender wakes the caller's Waker after sending (a
	// WaitEntry from NewWakerEntry): the caller then sleeps below Go's
	// scheduler (a task's thread in a host futex), which saves the
	// runtime's hand-over of a locked thread at each wake-up. A
	// channel that anything else signals or closes needs BlockOn.
	Park(ch <-chan struct{}) error
	ParkTimeout(ch <-chan struct{}, deadline time.Time) error
	// Waker returns what wakes the caller from Park; nil for a caller
	// whose Park is BlockOn.
	Waker() Waker

	// SignalSelf sends sig to the calling thread as Linux's send_sig
	// does for the signals the kernel raises on an operation's behalf
	// (SIGPIPE on a write to a broken pipe or socket, SIGXFSZ past
	// RLIMIT_FSIZE): SI_USER from the caller itself. A context without
	// a thread ignores it.
	SignalSelf(sig int)

	// FileSizeLimit returns the caller's RLIMIT_FSIZE soft limit
	// (^uint64(0) for none): a write that would start at or past it
	// fails with EFBIG and SIGXFSZ, one that crosses it is cut short,
	// and truncate and fallocate may not grow a file beyond it.
	FileSizeLimit() uint64

	// Signals returns the caller's own signal queue, for files that
	// consume signals (signalfd reads the reading thread's signals).
	// Nil for a context without a thread.
	Signals() Signals
}

// Signals is a thread's view of its pending signals, for signalfd.
type Signals interface {
	// SigTimedWait takes a pending signal of set, waiting up to timeout
	// (nil: forever) for one: EAGAIN when the timeout passes, EINTR
	// when something else interrupts the thread.
	SigTimedWait(set linux.SignalSet, timeout *time.Duration) (*arch.SignalInfo, error)
	// DequeueSignal takes a pending signal of set without waiting, or
	// returns nil.
	DequeueSignal(set linux.SignalSet) *arch.SignalInfo
	// PendingSignals returns the thread's pending signals that it
	// blocks.
	PendingSignals() linux.SignalSet
	// SignalWaitQueue is notified (POLLIN) whenever a signal is queued
	// for the thread's process.
	SignalWaitQueue() *WaitQueue
}

// KernelContext is the Context of work kite does for itself (mounts at
// boot, the memory manager filling pages from a file) and of tests: the
// credentials Creds (root when nil), the file-system context FS (may be
// nil), no process, no signals, and waits that nothing interrupts (as a
// Linux kernel thread's uninterruptible sleep). Tests embed it and
// override what they need.
type KernelContext struct {
	Creds *auth.Credentials
	FS    *FSContext
}

// Credentials implements Context.
func (c KernelContext) Credentials() *auth.Credentials {
	if c.Creds == nil {
		return auth.New(0, 0, nil)
	}
	return c.Creds
}

// FSContext implements Context.
func (c KernelContext) FSContext() *FSContext { return c.FS }

// ThreadGroupID implements Context: a kernel context is no process.
func (KernelContext) ThreadGroupID() int32 { return 0 }

// ThreadID implements Context.
func (KernelContext) ThreadID() int32 { return 0 }

// PIDOf implements Context: a kernel context sees global ids.
func (KernelContext) PIDOf(g int32) int32 { return g }

// GlobalPID implements Context.
func (KernelContext) GlobalPID(pid int32) int32 { return pid }

// Interrupted implements Context: nothing interrupts the kernel.
func (KernelContext) Interrupted() bool { return false }

// BlockOn implements Context: an uninterruptible wait.
func (KernelContext) BlockOn(ch <-chan struct{}) error {
	<-ch
	return nil
}

// Park implements Context: BlockOn.
func (c KernelContext) Park(ch <-chan struct{}) error { return c.BlockOn(ch) }

// ParkTimeout implements Context: BlockOnTimeout.
func (c KernelContext) ParkTimeout(ch <-chan struct{}, deadline time.Time) error {
	return c.BlockOnTimeout(ch, deadline)
}

// Waker implements Context: Park needs none.
func (KernelContext) Waker() Waker { return nil }

// BlockOnTimeout implements Context: an uninterruptible wait with a
// deadline.
func (KernelContext) BlockOnTimeout(ch <-chan struct{}, deadline time.Time) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-ch:
		return nil
	case <-t.C:
		return unix.ETIMEDOUT
	}
}

// SignalSelf implements Context: a kernel context has no thread to
// signal.
func (KernelContext) SignalSelf(int) {}

// FileSizeLimit implements Context: kite's own work has no limit.
func (KernelContext) FileSizeLimit() uint64 { return ^uint64(0) }

// Signals implements Context: a kernel context has none.
func (KernelContext) Signals() Signals { return nil }
