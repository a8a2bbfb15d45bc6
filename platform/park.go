package platform

import (
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Host futex operations of a Parker: FUTEX_WAIT and FUTEX_WAKE with
// FUTEX_PRIVATE_FLAG (the word is kite's own).
const (
	futexWaitPrivate = 0 | 128
	futexWakePrivate = 1 | 128
)

// Parker states.
const (
	parkIdle     = 0 // nobody sleeps, no wake-up is pending
	parkNotified = 1 // Unpark came; the next Park returns at once
	parkSleeping = 2 // Park sleeps (or is about to) in the host futex
)

// Parker puts one thread to sleep below Go's scheduler and wakes it: Park
// waits in a host futex on a word of the Parker's own, Unpark stores a
// wake-up and, if the sleeper is in the futex, wakes it with one host
// futex wake. A task goroutine is locked to its OS thread (the ptrace
// tracer); were it to block in a Go channel receive, the Go runtime would
// park that thread and, at the wake-up, hand its P over from the waker's
// thread to it (two host thread wake-ups and a context switch more per
// wake-up). In Park the thread sits in a system call: the runtime hands
// its P to other goroutines if it sleeps long and takes one back when it
// returns.
//
// A wake-up is never lost: an Unpark that comes before Park makes that
// Park return at once. Park may also return without an Unpark (a host
// signal, the timeout, an Unpark meant for an earlier sleep), so a caller
// checks its condition in a loop. The zero Parker is ready; one goroutine
// parks on it, any number unpark it.
type Parker struct {
	state atomic.Uint32
}

// Park sleeps until Unpark (possibly one that came before Park) or until
// timeout passes (a negative timeout waits forever). It reports whether
// an Unpark ended it.
func (p *Parker) Park(timeout time.Duration) bool {
	if p.state.CompareAndSwap(parkNotified, parkIdle) {
		return true
	}
	if !p.state.CompareAndSwap(parkIdle, parkSleeping) {
		// An Unpark came in between.
		p.state.Store(parkIdle)
		return true
	}
	var tsp unsafe.Pointer
	if timeout >= 0 {
		ts := unix.NsecToTimespec(int64(timeout))
		tsp = unsafe.Pointer(&ts)
	}
	// FUTEX_WAIT returns at once unless the word still says sleeping;
	// Syscall (not RawSyscall) lets the runtime run other goroutines on
	// this thread's P meanwhile.
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&p.state)),
		futexWaitPrivate, parkSleeping, uintptr(tsp), 0, 0)
	return p.state.Swap(parkIdle) == parkNotified
}

// Unpark wakes the goroutine in Park, or makes its next Park return at
// once. It never blocks.
func (p *Parker) Unpark() {
	if p.state.Swap(parkNotified) == parkSleeping {
		// A wake does not block: RawSyscall spares the runtime's
		// system-call bookkeeping.
		unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(&p.state)),
			futexWakePrivate, 1, 0, 0, 0)
	}
}
