package tty

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Readiness of the console for poll, select and epoll.
//
// The console's readiness is the host fd's, so kite has to learn from the
// host when it changes. A helper goroutine does that, and only while some
// waiter is registered: it blocks in a host poll(2) on the console fd for
// the union of the waiters' events and on a host eventfd that kite writes
// to when the set of waiters changes (so the goroutine never sleeps on
// stale interests and exits when the last waiter leaves). Nothing polls
// with a timeout, so an idle console costs nothing.
//
// Host poll is level-triggered: a readable fd stays readable until the
// application reads it. To avoid spinning, the goroutine stops asking for
// events it has already reported ("reported") until something may have
// changed them: a read from the console re-arms POLLIN, a write re-arms
// POLLOUT, and a new registration re-arms everything. POLLHUP, POLLERR and
// POLLNVAL, which the host reports whatever is asked, are reported once
// and then the fd is left out of the poll until a re-arm. Waiters see
// every change from not ready to ready; like Linux's pipes they are not
// told again about more data arriving while unread data is still there
// (an edge-triggered epoll waiter that does not drain the console waits),
// and after a read that leaves data behind they are told again, which an
// edge-triggered epoll waiter sees as one more event than Linux gives.
//
// Should the eventfd be unavailable the goroutine polls with a timeout of
// interruptPoll instead, to notice that its waiters left.

// Events that a read or a write can change.
const (
	readEvents  = unix.POLLIN | vfs.PollRdNorm | unix.POLLPRI | unix.POLLRDHUP
	writeEvents = unix.POLLOUT | vfs.PollWrNorm
	// stickyEvents are reported by the host whatever was asked.
	stickyEvents = unix.POLLHUP | unix.POLLERR | unix.POLLNVAL
)

// consoleWatch is the waiter state of a Console.
type consoleWatch struct {
	// mu guards every field below.
	mu sync.Mutex
	// waiters are the registered entries.
	waiters map[*vfs.WaitEntry]struct{}
	// reported are the events notified since they were last re-armed.
	reported uint32
	// running is set while the watching goroutine runs.
	running bool
	// kick is a host eventfd that wakes the goroutine (-1 if none could
	// be made), made on the first registration (kickSet) and kept for the
	// Console's life, as the host fd is.
	kick    int
	kickSet bool
}

// EventRegister implements vfs.Waitable for console files.
func (c *Console) EventRegister(e *vfs.WaitEntry) {
	w := &c.watch
	w.mu.Lock()
	if w.waiters == nil {
		w.waiters = make(map[*vfs.WaitEntry]struct{})
	}
	w.waiters[e] = struct{}{}
	w.reported = 0
	if !w.kickSet {
		w.kickSet = true
		fd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
		if err != nil {
			fd = -1
		}
		w.kick = fd
	}
	start := !w.running
	w.running = true
	kick := w.kick
	w.mu.Unlock()
	if start {
		go c.watchLoop()
	} else {
		wake(kick)
	}
}

// EventUnregister implements vfs.Waitable for console files.
func (c *Console) EventUnregister(e *vfs.WaitEntry) {
	w := &c.watch
	w.mu.Lock()
	delete(w.waiters, e)
	stop := len(w.waiters) == 0 && w.running
	kick := w.kick
	w.mu.Unlock()
	if stop {
		wake(kick)
	}
}

// rearm tells the watcher that events may have changed (after a read or
// a write).
func (c *Console) rearm(events uint32) {
	w := &c.watch
	w.mu.Lock()
	hit := w.running && w.reported&events != 0
	w.reported &^= events
	kick := w.kick
	w.mu.Unlock()
	if hit {
		wake(kick)
	}
}

// watching reports whether the watching goroutine runs (for tests).
func (c *Console) watching() bool {
	c.watch.mu.Lock()
	defer c.watch.mu.Unlock()
	return c.watch.running
}

// wake makes the watching goroutine look at its waiters again.
func wake(kick int) {
	if kick < 0 {
		return
	}
	var one = [8]byte{1}
	_, _ = unix.Write(kick, one[:])
}

// watchLoop is the watching goroutine: it runs until no waiter is left.
func (c *Console) watchLoop() {
	w := &c.watch
	var buf [8]byte
	for {
		w.mu.Lock()
		if len(w.waiters) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		var mask uint32
		for e := range w.waiters {
			mask |= e.Mask
		}
		mask &^= w.reported
		fd := int32(c.fd)
		if w.reported&stickyEvents != 0 {
			fd = -1 // the host would report them again at once
		}
		kick := w.kick
		w.mu.Unlock()

		fds := []unix.PollFd{
			{Fd: fd, Events: int16(mask & 0x7fff)},
			{Fd: int32(kick), Events: unix.POLLIN},
		}
		timeout := -1
		if kick < 0 {
			timeout = interruptPoll
		}
		_, err := unix.Poll(fds, timeout)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			// Cannot watch (should not happen): report an error so that
			// waiters look at the fd themselves, then stop.
			w.mu.Lock()
			w.running = false
			w.mu.Unlock()
			c.notify(unix.POLLERR)
			return
		}
		if fds[1].Revents != 0 {
			_, _ = unix.Read(kick, buf[:])
		}
		got := uint32(uint16(fds[0].Revents))
		if fd < 0 || got == 0 {
			continue
		}
		if got&unix.POLLIN != 0 {
			got |= vfs.PollRdNorm
		}
		if got&unix.POLLOUT != 0 {
			got |= vfs.PollWrNorm
		}
		w.mu.Lock()
		w.reported |= got
		w.mu.Unlock()
		c.notify(got)
	}
}

// notify calls the waiters interested in events (POLLERR and POLLHUP
// reach everybody), without holding the lock.
func (c *Console) notify(events uint32) {
	w := &c.watch
	w.mu.Lock()
	var call []*vfs.WaitEntry
	for e := range w.waiters {
		if e.Mask&events != 0 || events&stickyEvents != 0 {
			call = append(call, e)
		}
	}
	w.mu.Unlock()
	for _, e := range call {
		e.Fire(events)
	}
}

// Readiness implements vfs.Waitable for console stream files: the host
// fd's readiness now, from a non-blocking host poll.
func (s *consoleStream) Readiness(mask uint32) uint32 {
	r := uint32(uint16(s.c.Readiness(int16(mask & 0x7fff))))
	if r&unix.POLLIN != 0 {
		r |= vfs.PollRdNorm
	}
	if r&unix.POLLOUT != 0 {
		r |= vfs.PollWrNorm
	}
	return r & (mask | stickyEvents)
}

// EventRegister implements vfs.Waitable.
func (s *consoleStream) EventRegister(e *vfs.WaitEntry) { s.c.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (s *consoleStream) EventUnregister(e *vfs.WaitEntry) { s.c.EventUnregister(e) }

var _ vfs.Waitable = (*consoleStream)(nil)
