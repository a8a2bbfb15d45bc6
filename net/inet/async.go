package inet

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// asyncSignals is a socket's O_ASYNC state: the files that asked for
// I/O signals and what makes write space worth a POLL_OUT. Linux
// signals data (and connections and FINs) arriving with POLL_IN, an
// error with POLL_ERR alone, a finished connect with POLL_OUT, and new
// write space with POLL_OUT only after a send found the buffer full
// (SOCKWQ_ASYNC_NOSPACE).
type asyncSignals struct {
	list vfs.FasyncList
	// connecting is set while a connect is in progress; nospace once a
	// send found no room.
	connecting, nospace atomic.Bool

	// mu guards the counts below (host sockets' receives, see took).
	mu sync.Mutex
	// signalled counts the POLL_IN signals, taken the arrivals that
	// receives found (a datagram, or a stream's data up to a receive
	// that emptied it), since the socket was last seen empty.
	signalled, taken int64
	// tookAt is the host poller's generation (hostnet.Poller.Gen) when
	// the last receive took something.
	tookAt uint64
}

// edge counts a host socket's readiness edge ev, which the poller took
// in its generation gen, before event signals it: an edge without
// POLLIN says the socket was empty when the poller took it; one with
// POLLIN counts as a signal for an arrival unless a receive took
// something since the poller took it (its POLLIN may be what that
// receive took, which took signalled for already if nothing had: the
// edge's signal goes out but is not counted, so that the next arrival
// is not thought signalled when standard signals merged the two).
func (a *asyncSignals) edge(ev uint32, gen uint64) {
	if a.list.Empty() {
		return
	}
	a.mu.Lock()
	if ev&unix.POLLIN == 0 {
		a.signalled, a.taken = 0, 0
	} else if gen > a.tookAt {
		a.signalled++
	}
	a.mu.Unlock()
}

// took is called when a host socket's receive took something (gen is
// the host poller's generation after it): a datagram (each an arrival),
// or a stream's data (drained: the receive got less than it asked for,
// or the end of the stream). It signals POLL_IN for an arrival no
// signal went out for. A receive of an O_ASYNC host socket first passes
// on the edges the host has queued (Poller.Flush), so an arrival's edge
// has signalled before the receive takes it; but the host reports one
// edge for arrivals that came together, where Linux signals each: two
// datagrams read at once would have one signal. A stream's bytes are
// not arrivals: its first receive since it was seen empty signals if
// nothing did.
func (a *asyncSignals) took(stream, drained bool, gen uint64) {
	if a.list.Empty() {
		return
	}
	a.mu.Lock()
	a.tookAt = gen
	a.taken++
	send := a.taken > a.signalled && (!stream || a.signalled == 0)
	if send {
		a.signalled = a.taken
	}
	if drained {
		a.signalled, a.taken = 0, 0
	}
	a.mu.Unlock()
	if send {
		a.list.Kill(vfs.PollIn)
	}
}

// empty is called when a receive or poll found nothing to read: every
// arrival so far was taken.
func (a *asyncSignals) empty() {
	if a.list.Empty() {
		return
	}
	a.mu.Lock()
	a.signalled, a.taken = 0, 0
	a.mu.Unlock()
}

// event signals the files on the list for the readiness change ev
// (POLL* bits).
func (a *asyncSignals) event(ev uint32) {
	var connected, space bool
	if ev&unix.POLLERR != 0 {
		a.connecting.Store(false)
	} else if ev&unix.POLLOUT != 0 {
		// A TCP socket that never connected is writable and hung up
		// (Linux's tcp_poll in TCP_CLOSE): a host socket's first edge,
		// which the host poller may pass on after connect began, is
		// not a finished connect.
		if ev&unix.POLLHUP == 0 {
			connected = a.connecting.Load() && a.connecting.Swap(false)
		}
		space = a.nospace.Load() && a.nospace.Swap(false)
	}
	if a.list.Empty() {
		return
	}
	if ev&unix.POLLERR != 0 {
		a.list.Kill(vfs.PollErr)
		return
	}
	if ev&unix.POLLIN != 0 {
		a.list.Kill(vfs.PollIn)
	}
	if connected || space {
		a.list.Kill(vfs.PollOut)
	}
}
