package vfs

import (
	"runtime"
	"sync/atomic"
	"time"
)

// SpinLimit is how long a wait with a Spinner polls for its wake-up
// before it sleeps.
//
// Why spin at all: a task sleeps in a host futex (Context.Park), and
// on the paravirtual hosts kite runs on, waking a thread whose CPU went
// idle costs the waker 15–20 µs of host CPU (an inter-processor
// interrupt through the hypervisor) and the sleeper a context switch
// more, a third of what a whole trapped system call costs; the idle CPU
// also loses its caches to the hypervisor. A stream reader that keeps up
// with its writer finds its queue empty on a quarter of its reads (1 GiB
// in 64 KiB writes: about 4,200 of 16,400), and the writer's next
// messages come within a few microseconds. bench/README.md has the
// numbers.
const SpinLimit = 20 * time.Microsecond

// A Spinner stops spinning after spinFails spins in a row ended without
// their wake-up, and then spins on one wait in spinBackoff+1 until one
// succeeds.
const (
	spinFails   = 4
	spinBackoff = 16
)

// spinCPUs is whether spinning can help: with one CPU the waker cannot
// run while the waiter spins. It is the runtime's own choice of
// GOMAXPROCS, read before cmd/kite raises it (package initialisation
// runs before main): that follows the CPUs the process may run on and
// a cgroup's CPU limit, where runtime.NumCPU counts only the first (a
// container given one CPU of many would spin against its own waker).
var spinCPUs = runtime.GOMAXPROCS(0) > 1

// Spinner is the memory of one kind of wait (a socket's readers, or its
// writers) that lets it spin before sleeping while spinning pays: after
// spinFails spins in a row that ended without the wake-up it spins on
// one wait in spinBackoff+1 only, so a peer that answers slowly (a
// server waiting for requests, a ping-pong whose round trip is longer
// than SpinLimit) costs about one spin in spinBackoff+1 waits. The zero
// Spinner is ready; a Spinner's counts are hints, racing updates do no
// harm.
type Spinner struct {
	fails, skip atomic.Int32
}

// Spinning reports whether the caller's next wait should spin (SpinNow)
// before it sleeps: false with one CPU and on the waits s skips while
// backing off (each call that reports false uses up one of them), so that
// a caller backing off asks nothing else (the clock, its signals).
func (s *Spinner) Spinning() bool {
	if s == nil || !spinCPUs {
		return false
	}
	if n := s.skip.Load(); n > 0 {
		s.skip.Store(n - 1)
		return false
	}
	return true
}

// SpinNow polls ready for up to SpinLimit and reports whether it became
// true; call it after Spinning reported true.
func (s *Spinner) SpinNow(ready func() bool) bool {
	start := time.Now()
	for {
		for range 64 {
			if ready() {
				s.fails.Store(0)
				return true
			}
		}
		if time.Since(start) >= SpinLimit {
			break
		}
	}
	if n := s.fails.Add(1); n >= spinFails {
		s.fails.Store(spinFails)
		s.skip.Store(spinBackoff)
	}
	return false
}

// Spin polls ready for up to SpinLimit (unless s is backing off) and
// reports whether it became true.
func (s *Spinner) Spin(ready func() bool) bool {
	return s.Spinning() && s.SpinNow(ready)
}

// Park is ctx.Park(ch) after spinning with s (nil: none) until ch has a
// value: the same results, sooner when the wake-up comes while spinning.
// An interruption during the spin (a signal) is seen when the spin ends,
// at most SpinLimit later (Interrupted takes the thread group's signal
// lock, too dear to ask in the loop, and is not asked at all when s is
// backing off).
func (s *Spinner) Park(ctx Context, ch <-chan struct{}) error {
	if len(ch) == 0 && s.Spinning() && !ctx.Interrupted() {
		s.SpinNow(func() bool { return len(ch) > 0 })
	}
	return ctx.Park(ch)
}
