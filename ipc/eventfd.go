package ipc

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// eventfd flags.
const (
	EFD_SEMAPHORE = 1
	EFD_CLOEXEC   = unix.O_CLOEXEC
	EFD_NONBLOCK  = unix.O_NONBLOCK
)

// eventFDMax is the largest value an eventfd counter holds; a write that
// would pass it blocks (ULLONG_MAX is reserved for overflow).
const eventFDMax = 1<<64 - 2

// EventFD is the file operations of an eventfd: a 64-bit counter that
// writes add to and reads take (all of it, or 1 in semaphore mode).
type EventFD struct {
	eventFileOps
	queue     vfs.WaitQueue
	semaphore bool

	// mu guards count.
	mu    sync.Mutex
	count uint64
}

// NewEventFD returns an eventfd file with counter initval (eventfd2).
// flags may hold EFD_SEMAPHORE, EFD_NONBLOCK and EFD_CLOEXEC (which the
// caller applies to the fd); others are EINVAL.
func NewEventFD(ctx vfs.Context, v *vfs.VirtualFilesystem, initval uint64, flags int) (*vfs.File, error) {
	if flags&^(EFD_SEMAPHORE|EFD_CLOEXEC|EFD_NONBLOCK) != 0 {
		return nil, unix.EINVAL
	}
	e := &EventFD{count: initval, semaphore: flags&EFD_SEMAPHORE != 0}
	return newAnonFile(ctx, v, "eventfd", e, flags)
}

// EventFDOf returns the eventfd behind f, or nil.
func EventFDOf(f *vfs.File) *EventFD {
	e, _ := f.Ops().(*EventFD)
	return e
}

// Count returns the counter (for /proc/pid/fdinfo's eventfd-count).
func (e *EventFD) Count() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.count
}

// Read implements vfs.FileOperations: it takes the counter (or 1 of it in
// semaphore mode) and returns it as 8 bytes; it waits while the counter
// is 0 (EAGAIN with O_NONBLOCK). A buffer under 8 bytes is EINVAL.
func (e *EventFD) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	var w *waiter
	defer func() {
		if w != nil {
			w.done()
		}
	}()
	for {
		e.mu.Lock()
		if e.count > 0 {
			v := e.count
			if e.semaphore {
				v = 1
			}
			e.count -= v
			e.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, v)
			e.queue.Notify(unix.POLLOUT)
			return 8, nil
		}
		e.mu.Unlock()
		if nonblocking(f) {
			return 0, unix.EAGAIN
		}
		if w == nil {
			w = newWaiter(&e.queue, unix.POLLIN, ctx.Waker())
			continue // check again now that a wake-up cannot be missed
		}
		if err := ctx.Park(w.ch); err != nil {
			return 0, err
		}
	}
}

// Write implements vfs.FileOperations: it adds the 8-byte value in src to
// the counter, waiting while the sum would pass the maximum (EAGAIN with
// O_NONBLOCK). A buffer of other than 8 bytes (Linux 6.18 takes no
// more), or the value 2^64-1, is EINVAL.
func (e *EventFD) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	if len(src) != 8 {
		return 0, unix.EINVAL
	}
	v := binary.LittleEndian.Uint64(src)
	if v == 1<<64-1 {
		return 0, unix.EINVAL
	}
	var w *waiter
	defer func() {
		if w != nil {
			w.done()
		}
	}()
	for {
		e.mu.Lock()
		if eventFDMax-e.count >= v {
			e.count += v
			e.mu.Unlock()
			// Linux wakes readers even for 0, so an edge-triggered
			// epoll reports a ready counter again.
			e.queue.Notify(unix.POLLIN)
			return 8, nil
		}
		e.mu.Unlock()
		if nonblocking(f) {
			return 0, unix.EAGAIN
		}
		if w == nil {
			w = newWaiter(&e.queue, unix.POLLOUT, ctx.Waker())
			continue
		}
		if err := ctx.Park(w.ch); err != nil {
			return 0, err
		}
	}
}

// Readiness implements vfs.Waitable: POLLIN while the counter is above 0,
// POLLOUT while 1 more fits. Like Linux's, an eventfd reports neither
// POLLRDNORM nor POLLWRNORM.
func (e *EventFD) Readiness(mask uint32) uint32 {
	e.mu.Lock()
	c := e.count
	e.mu.Unlock()
	var r uint32
	if c > 0 {
		r |= unix.POLLIN
	}
	if c < eventFDMax {
		r |= unix.POLLOUT
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (e *EventFD) EventRegister(w *vfs.WaitEntry) { e.queue.EventRegister(w) }

// EventUnregister implements vfs.Waitable.
func (e *EventFD) EventUnregister(w *vfs.WaitEntry) { e.queue.EventUnregister(w) }

// Signal adds 1 to the counter without waiting (Linux's eventfd_signal,
// which AIO completions use); the counter saturates at 2^64-1.
func (e *EventFD) Signal() {
	e.mu.Lock()
	if e.count < 1<<64-1 {
		e.count++
	}
	e.mu.Unlock()
	e.queue.Notify(unix.POLLIN)
}

// NowaitIO implements vfs.NowaitIO: reads can be tried without waiting
// (RWF_NOWAIT), writes cannot (Linux's eventfd has no write_iter).
func (e *EventFD) NowaitIO(write bool) bool { return !write }
