package inet

import (
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
