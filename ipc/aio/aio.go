package aio

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// Ring layout (struct aio_ring, struct io_event).
const (
	RingMagic        = 0xa10a10a1
	ringHeaderLength = 32
	EventSize        = 32
	ringCompat       = 1
	offNr            = 4
	offHead          = 8
	offTail          = 12
)

// MaxEvents is Linux's default /proc/sys/fs/aio-max-nr.
const MaxEvents = 65536

// Event is one struct io_event.
type Event struct {
	Data uint64 // the iocb's aio_data
	Obj  uint64 // the iocb's address
	Res  int64
	Res2 int64
}

func (e Event) bytes() []byte {
	var b [EventSize]byte
	binary.LittleEndian.PutUint64(b[0:], e.Data)
	binary.LittleEndian.PutUint64(b[8:], e.Obj)
	binary.LittleEndian.PutUint64(b[16:], uint64(e.Res))
	binary.LittleEndian.PutUint64(b[24:], uint64(e.Res2))
	return b[:]
}

// Context is one AIO context (Linux's struct kioctx).
type Context struct {
	// Ring is the completion ring the process maps at ID.
	Ring *mm.SharedMemory
	// ID is the context id io_setup returned: the ring's address.
	ID uintptr
	// MapSize is the length of the ring mapping.
	MapSize uintptr
	// MaxReqs is what io_setup asked for (counted against MaxEvents).
	MaxReqs uint32
	// nr is the number of event slots of the ring.
	nr uint32

	mu sync.Mutex
	// tail is the next slot to fill. Guarded by mu.
	tail uint32
	// inflight counts submitted requests not yet in the ring. Guarded
	// by mu.
	inflight int
	// polls are the poll requests waiting for their file, by iocb
	// address. Guarded by mu.
	polls map[uint64]*pollReq
	// dead is set by io_destroy. Guarded by mu.
	dead bool
	// changed is closed (and replaced) when an event is added or the
	// context dies. Guarded by mu.
	changed chan struct{}
}

// RingSize returns the size in bytes of the ring for io_setup(nr) on a
// machine with ncpu CPUs, and its number of event slots (Linux's
// ioctx_alloc and aio_setup_ring); EINVAL if nr is too large.
func RingSize(nr uint32, ncpu int) (size uintptr, slots uint32, err error) {
	n := max(uint64(nr), uint64(ncpu)*4) * 2
	if n > 0x10000000/EventSize {
		return 0, 0, unix.EINVAL
	}
	n += 2
	size = uintptr((ringHeaderLength + EventSize*n + 4095) &^ 4095)
	return size, uint32((uint64(size) - ringHeaderLength) / EventSize), nil
}

// NewContext returns a context over a ring of size bytes (from RingSize)
// in mf; the caller maps Ring at ID and sets ID and index with SetID.
func NewContext(mf *mm.MemoryFile, size uintptr, slots, maxReqs uint32) *Context {
	c := &Context{
		Ring:    mm.NewSharedMemory(mf, uint64(size)),
		MapSize: size,
		MaxReqs: maxReqs,
		nr:      slots,
		polls:   map[uint64]*pollReq{},
		changed: make(chan struct{}),
	}
	return c
}

// Init writes the ring header: index is the context's slot in the
// process's table (the ring's id field).
func (c *Context) Init(id uintptr, index uint32) error {
	c.ID = id
	var h [ringHeaderLength]byte
	binary.LittleEndian.PutUint32(h[0:], index)
	binary.LittleEndian.PutUint32(h[offNr:], c.nr)
	binary.LittleEndian.PutUint32(h[16:], RingMagic)
	binary.LittleEndian.PutUint32(h[20:], ringCompat)
	binary.LittleEndian.PutUint32(h[28:], ringHeaderLength)
	_, err := c.Ring.WriteAt(h[:], 0)
	return err
}

// readU32 reads a header word of the ring.
func (c *Context) readU32(off uint64) uint32 {
	var b [4]byte
	c.Ring.ReadAt(b[:], off)
	return binary.LittleEndian.Uint32(b[:])
}

func (c *Context) writeU32(off uint64, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	c.Ring.WriteAt(b[:], off)
}

// occupancyLocked is the number of events in the ring not yet reaped,
// with the head as the application left it (taken modulo the size, as
// Linux does).
//
// Preconditions: c.mu is held.
func (c *Context) occupancyLocked() uint32 {
	head := c.readU32(offHead) % c.nr
	return (c.tail + c.nr - head) % c.nr
}

// Reserve accounts for one request about to be submitted: EAGAIN when the
// ring could not hold its completion besides those already due, EINVAL
// once the context is destroyed.
func (c *Context) Reserve() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return unix.EINVAL
	}
	if uint32(c.inflight)+c.occupancyLocked() >= c.nr-1 {
		return unix.EAGAIN
	}
	c.inflight++
	return nil
}

// Unreserve gives back a reservation whose request was never submitted.
func (c *Context) Unreserve() {
	c.mu.Lock()
	c.inflight--
	c.mu.Unlock()
}

// Complete adds ev to the ring for a reserved request, wakes waiters and
// signals efd (IOCB_FLAG_RESFD) if not nil.
func (c *Context) Complete(ev Event, efd Signaller) {
	c.mu.Lock()
	c.inflight--
	if !c.dead {
		c.Ring.WriteAt(ev.bytes(), ringHeaderLength+uint64(c.tail)*EventSize)
		c.tail = (c.tail + 1) % c.nr
		c.writeU32(offTail, c.tail)
		close(c.changed)
		c.changed = make(chan struct{})
	}
	c.mu.Unlock()
	if efd != nil {
		efd.Signal()
	}
}

// Signaller is an eventfd an AIO completion signals.
type Signaller interface{ Signal() }

// Changed returns a channel closed when the ring gains an event or the
// context dies.
func (c *Context) Changed() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.changed
}

// Reap takes up to max events from the ring and passes their bytes to
// copyOut (which copies them to the application); the head advances past
// what copyOut accepted. It returns the number of events taken, EINVAL
// once the context is destroyed.
func (c *Context) Reap(max int, copyOut func([]byte) error) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead {
		return 0, unix.EINVAL
	}
	head := c.readU32(offHead)
	if head == c.tail {
		return 0, nil
	}
	head %= c.nr
	got := 0
	for got < max && head != c.tail {
		end := c.tail
		if head > c.tail {
			end = c.nr
		}
		n := min(int(end-head), max-got)
		b := make([]byte, n*EventSize)
		c.Ring.ReadAt(b, ringHeaderLength+uint64(head)*EventSize)
		if err := copyOut(b); err != nil {
			if got == 0 {
				return 0, unix.EFAULT
			}
			break
		}
		got += n
		head = (head + uint32(n)) % c.nr
	}
	c.writeU32(offHead, head)
	return got, nil
}

// Kill marks the context destroyed, cancels its poll requests and wakes
// its waiters (io_destroy, and the end of the address space).
func (c *Context) Kill() {
	c.mu.Lock()
	if c.dead {
		c.mu.Unlock()
		return
	}
	c.dead = true
	polls := c.polls
	c.polls = map[uint64]*pollReq{}
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	for _, p := range polls {
		p.stop()
	}
	c.Ring.DecRef()
}

// pollReq is an IOCB_CMD_POLL request waiting for its file.
type pollReq struct {
	c      *Context
	ctx    vfs.Context // the submitter, for the file's release
	f      *vfs.File
	events uint32
	ev     Event
	efd    Signaller
	entry  *vfs.WaitEntry

	once sync.Once
}

// stop unregisters the request from its file and drops the file.
func (p *pollReq) stop() {
	p.once.Do(func() {
		p.f.EventUnregister(p.entry)
		p.f.DecRef(p.ctx)
	})
}

// Poll submits a reserved poll request for events on f (which the
// request keeps a reference to): it completes at once if f is ready,
// else when it becomes ready or is cancelled.
func (c *Context) Poll(ctx vfs.Context, f *vfs.File, events uint32, ev Event, efd Signaller) {
	if m := f.Readiness(events); m != 0 {
		f.DecRef(ctx)
		ev.Res = int64(m)
		c.Complete(ev, efd)
		return
	}
	p := &pollReq{c: c, ctx: ctx, f: f, events: events, ev: ev, efd: efd}
	p.entry = &vfs.WaitEntry{Mask: events, Callback: func(ev uint32) { go p.fire(ev) }}
	c.mu.Lock()
	c.polls[ev.Obj] = p
	c.mu.Unlock()
	f.EventRegister(p.entry)
	// A wake-up between the first check and the registration is not
	// lost: look again.
	p.fire(0)
}

// fire handles a wake-up with events ev: like Linux's aio_poll_wake, the
// result is the wake-up's events when it names some (whether or not
// asked for beyond the one that matched), else the file's readiness.
func (p *pollReq) fire(ev uint32) {
	if ev != 0 {
		if ev&p.events == 0 {
			return
		}
		p.complete(ev)
		return
	}
	if m := p.f.Readiness(p.events); m != 0 {
		p.complete(m)
	}
}

// complete completes p with result m, once only.
func (p *pollReq) complete(m uint32) bool {
	c := p.c
	c.mu.Lock()
	if c.polls[p.ev.Obj] != p {
		c.mu.Unlock()
		return false
	}
	delete(c.polls, p.ev.Obj)
	c.mu.Unlock()
	p.stop()
	ev := p.ev
	ev.Res = int64(m)
	c.Complete(ev, p.efd)
	return true
}

// Cancel cancels the request submitted from the iocb at obj: only poll
// requests can be cancelled; the event still goes to the ring. EINVAL if
// there is no such request.
func (c *Context) Cancel(obj uint64) error {
	c.mu.Lock()
	p := c.polls[obj]
	c.mu.Unlock()
	if p == nil || !p.complete(p.f.Readiness(p.events)) {
		return unix.EINVAL
	}
	return nil
}
