package vfs

import (
	"cmp"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Readiness and waiting, for poll, select and epoll. A file whose readiness
// changes (pipe, socket, terminal, eventfd) has file operations that
// implement Waitable, usually by embedding a WaitQueue and calling Notify
// when data arrives or room frees up. Files whose operations are not
// Waitable (regular files, directories) are always ready to read and write,
// as on Linux.

// Event masks are the POLL* bits of poll(2) (unix.POLLIN, POLLOUT, ...).

// Waitable is implemented by file operations that can report and signal
// readiness.
type Waitable interface {
	// Readiness returns the events of mask that are ready now (POLLERR
	// and POLLHUP may be returned even if not asked for).
	Readiness(mask uint32) uint32
	// EventRegister arranges for e to be notified when any of e.Mask may
	// have become ready; EventUnregister undoes it.
	EventRegister(e *WaitEntry)
	EventUnregister(e *WaitEntry)
}

// WaitEntry is one waiter: poll, select or an epoll instance. Notify
// calls Callback (which must not block) with the events that happened,
// or, for an entry with a Chan and no Callback, sends on Chan without
// blocking (NewChannelEntry), which costs no closure.
//
// An Exclusive entry (an EPOLLEXCLUSIVE epoll item) has WakeOne instead:
// Notify calls the exclusive entries after the others, in the order they
// registered, until one reports that it woke somebody, as Linux's
// exclusive wake-ups (a hang-up wakes them all).
type WaitEntry struct {
	Mask     uint32
	Callback func(events uint32)
	Chan     chan struct{}
	// Waker, if set, is woken after the send on Chan: the sleeper that
	// waits for Chan in Context.Park (NewWakerEntry).
	Waker     Waker
	Exclusive bool
	WakeOne   func(events uint32) bool
	// seq orders exclusive entries; guarded by the queue's mu.
	seq uint64
}

// Fire tells e that events happened: its Callback, or a send on its Chan
// that does not block.
func (e *WaitEntry) Fire(events uint32) {
	if e.Callback != nil {
		e.Callback(events)
		return
	}
	select {
	case e.Chan <- struct{}{}:
	default:
	}
	if e.Waker != nil {
		e.Waker.Wake()
	}
}

// Waker wakes a sleeper in Context.Park; Wake never blocks.
type Waker interface {
	Wake()
}

// NewWakerEntry returns a WaitEntry for mask that signals ch without
// blocking and then wakes w (Context.Waker of the caller that waits for ch
// in Park; nil for none).
func NewWakerEntry(mask uint32, ch chan struct{}, w Waker) *WaitEntry {
	return &WaitEntry{Mask: mask, Chan: ch, Waker: w}
}

// NewChannelEntry returns a WaitEntry for mask that signals ch (a buffered
// channel of capacity 1 works best) without blocking.
func NewChannelEntry(mask uint32, ch chan struct{}) *WaitEntry {
	return &WaitEntry{Mask: mask, Chan: ch}
}

// WaitQueue is a set of waiters; embed it in file operations to get
// EventRegister and EventUnregister.
type WaitQueue struct {
	// n is len(entries), read without mu so that Notify on a queue
	// nobody waits on (most writes) takes no lock.
	n atomic.Int32
	// mu guards entries.
	mu      sync.Mutex
	entries map[*WaitEntry]struct{}
	// seq numbers exclusive entries as they register.
	seq uint64
}

// EventRegister implements Waitable.EventRegister.
func (q *WaitQueue) EventRegister(e *WaitEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.entries == nil {
		q.entries = make(map[*WaitEntry]struct{})
	}
	if e.Exclusive {
		q.seq++
		e.seq = q.seq
	}
	q.entries[e] = struct{}{}
	q.n.Store(int32(len(q.entries)))
}

// Active reports whether anybody waits on q (waitqueue_active).
func (q *WaitQueue) Active() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.entries) > 0
}

// EventUnregister implements Waitable.EventUnregister.
func (q *WaitQueue) EventUnregister(e *WaitEntry) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.entries, e)
	q.n.Store(int32(len(q.entries)))
}

// notifyBatch is how many waiters Notify collects without allocating.
const notifyBatch = 8

// Notify tells the waiters interested in any of events (POLLERR and
// POLLHUP reach everybody) that they happened. The waiters are called
// after q.mu is dropped; a queue without waiters costs one atomic load
// (an entry registered concurrently re-checks readiness after
// registering, so it misses nothing).
func (q *WaitQueue) Notify(events uint32) {
	if q.n.Load() == 0 {
		return
	}
	var callBuf, exclBuf [notifyBatch]*WaitEntry
	call, excl := callBuf[:0], exclBuf[:0]
	q.mu.Lock()
	for e := range q.entries {
		if e.Mask&events != 0 || events&(unix.POLLERR|unix.POLLHUP) != 0 {
			if e.Exclusive {
				excl = append(excl, e)
			} else {
				call = append(call, e)
			}
		}
	}
	q.mu.Unlock()
	for _, e := range call {
		e.Fire(events)
	}
	if len(excl) == 0 {
		return
	}
	if len(excl) > 1 {
		slices.SortFunc(excl, func(a, b *WaitEntry) int { return cmp.Compare(a.seq, b.seq) })
	}
	all := events&unix.POLLHUP != 0
	for _, e := range excl {
		if e.WakeOne(events) && !all {
			return
		}
	}
}

// Poll bits x/sys/unix lacks on amd64 (it has POLLIN, POLLPRI, POLLOUT,
// POLLERR, POLLHUP, POLLNVAL and POLLRDHUP).
const (
	PollRdNorm = 0x40
	PollRdBand = 0x80
	PollWrNorm = 0x100
	PollWrBand = 0x200
)

// alwaysReady is what a file without Waitable operations reports.
const alwaysReady = unix.POLLIN | unix.POLLOUT | PollRdNorm | PollWrNorm

// Readiness returns the events of mask that are ready on f. O_PATH files
// report POLLNVAL, as poll(2) does for an fd it cannot poll.
func (f *File) Readiness(mask uint32) uint32 {
	if f.ops == nil {
		return unix.POLLNVAL
	}
	if w, ok := f.ops.(Waitable); ok {
		return w.Readiness(mask)
	}
	return mask & alwaysReady
}

// EventRegister registers e with f's operations; files that are always
// ready ignore it (Readiness never changes).
func (f *File) EventRegister(e *WaitEntry) {
	if w, ok := f.ops.(Waitable); ok {
		w.EventRegister(e)
	}
}

// EventUnregister undoes EventRegister.
func (f *File) EventUnregister(e *WaitEntry) {
	if w, ok := f.ops.(Waitable); ok {
		w.EventUnregister(e)
	}
}
