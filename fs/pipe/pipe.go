package pipe

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Sizes, as Linux's.
const (
	pageSize = 4096
	// PipeBuf is PIPE_BUF: writes of at most this many bytes are atomic.
	PipeBuf = 4096
	// DefaultSize is the capacity of a new pipe (16 pages).
	DefaultSize = 16 * pageSize
	// MaxSize is /proc/sys/fs/pipe-max-size: the largest capacity
	// F_SETPIPE_SZ gives without CAP_SYS_RESOURCE.
	MaxSize = 1 << 20
)

// Events a pipe reports and notifies (POLLIN and POLLRDNORM for data,
// POLLOUT and POLLWRNORM for room).
const (
	readableEvents = unix.POLLIN | vfs.PollRdNorm
	writableEvents = unix.POLLOUT | vfs.PollWrNorm
)

// buffer is one slot of the ring: at most a page of data.
type buffer struct {
	data [pageSize]byte
	off  int
	n    int
	// packet is set for buffers written in O_DIRECT mode: a read takes
	// at most one and discards what it does not take.
	packet bool
}

// Pipe is the shared state of a pipe or FIFO: the buffer, the counts of
// open ends, and the wait queue that readers, writers, poll and epoll
// wait on.
type Pipe struct {
	queue vfs.WaitQueue
	// asyncReaders and asyncWriters are the ends with O_ASYNC: writes
	// signal readers POLL_IN, reads signal writers POLL_OUT.
	asyncReaders, asyncWriters vfs.FasyncList
	// readSpin and writeSpin let readers waiting for data and writers
	// waiting for room spin before they sleep (vfs.Spinner).
	readSpin, writeSpin vfs.Spinner

	// mu guards every field below.
	mu sync.Mutex
	// bufs holds the occupied slots, oldest first.
	bufs ring
	// spare is a freed buffer kept for the next write (others go back
	// to bufPool).
	spare *buffer
	// slots is the capacity in pages (F_SETPIPE_SZ).
	slots int
	// readers and writers count the open files that read and write.
	readers, writers int
	// rCounter and wCounter count every open for reading and writing
	// (a FIFO open waits for the other one to change).
	rCounter, wCounter uint64
	// files counts open files of any mode (a FIFO's pipe is dropped
	// when it reaches zero).
	files int

	// onWrite, if set, is called after a write transferred data
	// (without mu held).
	onWrite func()
}

func newPipe() *Pipe {
	return &Pipe{slots: DefaultSize / pageSize}
}

// buffered returns the number of bytes in the pipe.
//
// Preconditions: p.mu is held.
func (p *Pipe) buffered() int {
	n := 0
	for i := range p.bufs.len() {
		n += p.bufs.at(i).n
	}
	return n
}

// full reports whether every slot is taken.
//
// Preconditions: p.mu is held.
func (p *Pipe) full() bool { return p.bufs.len() >= p.slots }

// bufPool holds the page buffers pipes freed: a pipe moving data in
// large writes frees and takes a buffer per page, and allocating each
// anew made the garbage collector a tenth of kite's CPU time moving 1 GiB
// through a pipe.
var bufPool = sync.Pool{New: func() any { return new(buffer) }}

// newBuffer returns an empty buffer.
//
// Preconditions: p.mu is held.
func (p *Pipe) newBuffer() *buffer {
	b := p.spare
	if b == nil {
		b = bufPool.Get().(*buffer)
	} else {
		p.spare = nil
	}
	b.off, b.n, b.packet = 0, 0, false
	return b
}

// freeBuffer keeps b, which is no longer in the ring, for the next write.
//
// Preconditions: p.mu is held.
func (p *Pipe) freeBuffer(b *buffer) {
	if p.spare == nil {
		p.spare = b
		return
	}
	bufPool.Put(b)
}

// wait sleeps until e's channel is signalled, spinning first with s. It
// drops p.mu while sleeping and takes it again.
//
// Preconditions: p.mu is held; e is registered on p.queue.
func (p *Pipe) wait(ctx vfs.Context, ch chan struct{}, s *vfs.Spinner) error {
	p.mu.Unlock()
	err := s.Park(ctx, ch)
	p.mu.Lock()
	return err
}

func sendSIGPIPE(ctx vfs.Context) {
	ctx.SignalSelf(int(unix.SIGPIPE))
}

// read reads up to n bytes into sink as pipe_read: it takes data from as
// many buffers as n allows (one packet at most), returns 0 at end of file
// (no writers), EAGAIN when empty and nonblock, and otherwise waits for
// data. sink copies out and returns how much it took (fewer, with an
// error, when the destination faults).
func (p *Pipe) read(ctx vfs.Context, n int, sink func([]byte) (int, error), nonblock bool) (int, error) {
	if n == 0 {
		return 0, nil
	}
	var ch chan struct{}
	var entry *vfs.WaitEntry
	defer func() {
		if entry != nil {
			p.queue.EventUnregister(entry)
		}
	}()
	p.mu.Lock()
	ret := 0
	var err error
	// Writers are told about room only when the pipe was full, as
	// pipe_read does: an edge-triggered waiter sees EPOLLOUT when a full
	// pipe drains, not on every read.
	wasFull := false
	for {
		wasFull = wasFull || p.full()
		for p.bufs.len() > 0 && n > 0 {
			b := p.bufs.first()
			took, serr := sink(b.data[b.off : b.off+min(b.n, n)])
			ret += took
			n -= took
			b.off += took
			b.n -= took
			if serr != nil {
				if ret == 0 {
					err = serr
				}
				n = 0
				break
			}
			if b.packet {
				b.n = 0
				n = 0
			}
			if b.n == 0 {
				p.freeBuffer(p.bufs.pop())
			}
		}
		if n == 0 || ret > 0 || p.writers == 0 {
			break
		}
		if nonblock {
			err = unix.EAGAIN
			break
		}
		if entry == nil {
			ch = make(chan struct{}, 1)
			entry = vfs.NewWakerEntry(readableEvents, ch, ctx.Waker())
			p.queue.EventRegister(entry)
			continue // recheck after registering
		}
		p.mu.Unlock()
		p.asyncWriters.Kill(vfs.PollOut)
		p.mu.Lock()
		if werr := p.wait(ctx, ch, &p.readSpin); werr != nil {
			err = werr
			break
		}
	}
	p.mu.Unlock()
	// pipe_read signals O_ASYNC writers whenever it returns.
	defer p.asyncWriters.Kill(vfs.PollOut)
	if ret > 0 {
		if wasFull {
			p.queue.Notify(writableEvents)
		}
		return ret, nil
	}
	return 0, err
}

// write writes n bytes that source supplies, as pipe_write: data that
// fits in the last buffer is merged into it (unless in packet mode), the
// rest fills new page buffers; a write of at most PipeBuf bytes is never
// split. With nonblock it writes what fits (EAGAIN if nothing); otherwise
// it waits for room until everything is written. No readers: SIGPIPE and
// EPIPE. source fills its argument and returns how much it filled (fewer,
// with an error, when the user memory faults).
func (p *Pipe) write(ctx vfs.Context, n int, source func([]byte) (int, error), nonblock, packet bool) (int, error) {
	if n == 0 {
		return 0, nil
	}
	var ch chan struct{}
	var entry *vfs.WaitEntry
	defer func() {
		if entry != nil {
			p.queue.EventUnregister(entry)
		}
	}()
	// pipe_write signals O_ASYNC readers whenever it returns, EPIPE
	// included.
	defer p.asyncReaders.Kill(vfs.PollIn)
	p.mu.Lock()
	if p.readers == 0 {
		p.mu.Unlock()
		sendSIGPIPE(ctx)
		return 0, unix.EPIPE
	}
	ret := 0
	var err error
	if chars := n & (pageSize - 1); chars != 0 && p.bufs.len() > 0 {
		b := p.bufs.last()
		if end := b.off + b.n; !b.packet && end+chars <= pageSize {
			got, serr := source(b.data[end : end+chars])
			b.n += got
			ret += got
			n -= got
			if serr != nil {
				err = serr
				n = 0
			}
		}
	}
	for n > 0 {
		if p.readers == 0 {
			p.mu.Unlock()
			sendSIGPIPE(ctx)
			p.mu.Lock()
			err = unix.EPIPE
			break
		}
		if !p.full() {
			b := p.newBuffer()
			got, serr := source(b.data[:min(n, pageSize)])
			if got > 0 {
				b.n = got
				b.packet = packet
				p.bufs.push(b)
				ret += got
				n -= got
			} else {
				p.freeBuffer(b)
			}
			if serr != nil {
				err = serr
				break
			}
			continue
		}
		if nonblock {
			err = unix.EAGAIN
			break
		}
		if entry == nil {
			ch = make(chan struct{}, 1)
			entry = vfs.NewWakerEntry(writableEvents, ch, ctx.Waker())
			p.queue.EventRegister(entry)
			continue // recheck after registering
		}
		if ret > 0 {
			// Let readers drain what is there while we wait.
			p.mu.Unlock()
			p.queue.Notify(readableEvents)
			p.asyncReaders.Kill(vfs.PollIn)
			p.mu.Lock()
			if !p.full() {
				continue
			}
		}
		if werr := p.wait(ctx, ch, &p.writeSpin); werr != nil {
			err = werr
			break
		}
	}
	p.mu.Unlock()
	if ret > 0 {
		p.queue.Notify(readableEvents)
		if p.onWrite != nil {
			p.onWrite()
		}
		return ret, nil
	}
	return 0, err
}

// Size returns the capacity in bytes (F_GETPIPE_SZ).
func (p *Pipe) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.slots * pageSize
}

// SetSize changes the capacity as F_SETPIPE_SZ: size is rounded up to a
// power-of-two number of pages (at least one); more than MaxSize needs
// privileged; EBUSY if the data in the pipe would not fit. It returns the
// new capacity.
func (p *Pipe) SetSize(size uint32, privileged bool) (int, error) {
	if size > 1<<31 {
		return 0, unix.EINVAL
	}
	rounded := uint64(pageSize)
	for rounded < uint64(size) {
		rounded <<= 1
	}
	slots := int(rounded / pageSize)
	p.mu.Lock()
	if slots > p.slots && rounded > MaxSize && !privileged {
		p.mu.Unlock()
		return 0, unix.EPERM
	}
	if slots < p.bufs.len() {
		p.mu.Unlock()
		return 0, unix.EBUSY
	}
	grew := slots > p.slots
	p.slots = slots
	p.mu.Unlock()
	if grew {
		p.queue.Notify(writableEvents)
	}
	return slots * pageSize, nil
}

// Buffered returns the number of bytes waiting to be read (FIONREAD).
func (p *Pipe) Buffered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.buffered()
}
