package pipe

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Data movement for splice(2), tee(2) and vmsplice(2). Linux moves page
// references between pipe buffers; kite copies, which a program cannot
// tell apart except by timing (and by not seeing later changes of a
// spliced file's pages, which Linux's sharing may show).
//
// No function here holds two pipes' locks at once: a transfer waits for
// data in the source and room in the destination (as ipipe_prep and
// opipe_prep), takes the data out of the source, puts it into the
// destination, and gives back to the front of the source what the
// destination did not accept. Two consequences a program could see, both
// only with another reader racing a splice on the same pipe: that reader
// may get later data while earlier data is out for a transfer that then
// gives it back, and data taken from an O_DIRECT (packet) pipe goes back
// as ordinary data. A splice from a packet pipe moves one packet per call,
// as a read does.

// waitUntil sleeps on p.queue for events until cond, called with p.mu
// held, reports done or an error. With nonblock it returns EAGAIN instead
// of sleeping.
func (p *Pipe) waitUntil(ctx vfs.Context, events uint32, nonblock bool, cond func() (bool, error)) error {
	var ch chan struct{}
	var entry *vfs.WaitEntry
	defer func() {
		if entry != nil {
			p.queue.EventUnregister(entry)
		}
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		done, err := cond()
		if done || err != nil {
			return err
		}
		if nonblock {
			return unix.EAGAIN
		}
		if entry == nil {
			ch = make(chan struct{}, 1)
			entry = vfs.NewWakerEntry(events, ch, ctx.Waker())
			p.queue.EventRegister(entry)
			continue // recheck after registering
		}
		if err := p.wait(ctx, ch, nil); err != nil {
			return err
		}
	}
}

// WaitData waits until p holds data or has no writers left, as
// ipipe_prep: EAGAIN with nonblock. It reports whether there is data.
func (p *Pipe) WaitData(ctx vfs.Context, nonblock bool) (bool, error) {
	has := false
	err := p.waitUntil(ctx, readableEvents, nonblock, func() (bool, error) {
		has = p.bufs.len() > 0
		return has || p.writers == 0, nil
	})
	return has, err
}

// WaitRoom waits until p has a free slot, as wait_for_space: no readers
// is SIGPIPE and EPIPE, a full pipe with nonblock EAGAIN. It returns the
// free space in bytes (free slots, a page each).
func (p *Pipe) WaitRoom(ctx vfs.Context, nonblock bool) (int, error) {
	room := 0
	err := p.waitUntil(ctx, writableEvents, nonblock, func() (bool, error) {
		if p.readers == 0 {
			return false, unix.EPIPE
		}
		room = (p.slots - p.bufs.len()) * pageSize
		return room > 0, nil
	})
	if err == unix.EPIPE {
		sendSIGPIPE(ctx)
	}
	return room, err
}

// Read takes up to n bytes out of p into sink as read(2) does (waiting
// for data unless nonblock; 0 at end of file).
func (p *Pipe) Read(ctx vfs.Context, n int, sink func([]byte) (int, error), nonblock bool) (int, error) {
	return p.read(ctx, n, sink, nonblock)
}

// take removes up to n bytes from p without waiting, into scratch when
// it is large enough (a buffer the caller reuses).
func (p *Pipe) take(ctx vfs.Context, n int, scratch []byte) []byte {
	buf := scratch[:0]
	if k := min(n, p.Buffered()); k > cap(scratch) {
		buf = make([]byte, 0, k)
	}
	_, _ = p.read(ctx, n, func(b []byte) (int, error) {
		buf = append(buf, b...)
		return len(b), nil
	}, true)
	return buf
}

// unread puts b back at the front of p (data taken out for a transfer
// that the destination did not accept), beyond the capacity if need be,
// as the data was there before.
func (p *Pipe) unread(b []byte) {
	if len(b) == 0 {
		return
	}
	p.mu.Lock()
	// Newest page first, each in front of the one after it.
	for end := len(b); end > 0; {
		start := (end - 1) &^ (pageSize - 1)
		nb := p.newBuffer()
		nb.n = copy(nb.data[:], b[start:end])
		p.bufs.pushFront(nb)
		end = start
	}
	p.mu.Unlock()
	p.queue.Notify(readableEvents)
}

// peek copies up to n bytes from the front of p without consuming them,
// into scratch when it is large enough.
func (p *Pipe) peek(n int, scratch []byte) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := scratch[:0]
	for i := range p.bufs.len() {
		b := p.bufs.at(i)
		if n <= 0 {
			break
		}
		c := min(b.n, n)
		out = append(out, b.data[b.off:b.off+c]...)
		n -= c
	}
	return out
}

// scratchPool holds the buffers pipe-to-pipe transfers (splice, tee)
// carry their data in.
var scratchPool = sync.Pool{New: func() any {
	b := make([]byte, DefaultSize)
	return &b
}}

// WriteSome is vmsplice into a pipe: it waits for room (WaitRoom) and
// writes as much of n bytes from source as fits then, without waiting
// again.
func (p *Pipe) WriteSome(ctx vfs.Context, n int, source func([]byte) (int, error), nonblock bool) (int, error) {
	room, err := p.WaitRoom(ctx, nonblock)
	if err != nil {
		return 0, err
	}
	return p.write(ctx, min(n, room), source, true, false)
}

// ToFile moves up to n bytes from p to a file through write, as splice
// from a pipe: it waits for data (0 at end of file, EAGAIN with nonblock),
// takes what is buffered up to n and writes it; what write does not
// accept goes back to the pipe. It returns the bytes written, or write's
// error if none were. The data is taken into scratch when it is large
// enough.
func (p *Pipe) ToFile(ctx vfs.Context, n int, nonblock bool, scratch []byte, write func([]byte) (int, error)) (int, error) {
	for {
		has, err := p.WaitData(ctx, nonblock)
		if err != nil || !has {
			return 0, err
		}
		data := p.take(ctx, n, scratch)
		if len(data) == 0 {
			continue // another reader took it
		}
		w, err := write(data)
		w = max(w, 0)
		p.unread(data[w:])
		if w > 0 {
			return w, nil
		}
		return 0, err
	}
}

// FromFile moves up to n bytes from a file to p through read, as splice
// into a pipe: it waits for room (WaitRoom), reads at most the free space
// and writes what it read without waiting again. It returns the bytes put
// into the pipe and the bytes read (more, if another writer took the room
// in between; the caller gives those back to the file), or read's error.
// read reads into scratch when it is large enough (a buffer the caller
// reuses), else into a new buffer.
func (p *Pipe) FromFile(ctx vfs.Context, n int, nonblock bool, scratch []byte, read func([]byte) (int, error)) (written, got int, err error) {
	room, err := p.WaitRoom(ctx, nonblock)
	if err != nil {
		return 0, 0, err
	}
	var buf []byte
	if k := min(n, room); k <= len(scratch) {
		buf = scratch[:k]
	} else {
		buf = make([]byte, k)
	}
	got, err = read(buf)
	if got <= 0 {
		return 0, 0, err
	}
	w, werr := p.write(ctx, got, sliceSource(buf[:got]), true, false)
	if w == 0 {
		return 0, got, werr
	}
	return w, got, nil
}

// Splice moves up to n bytes from src to dst (two different pipes), as
// splice_pipe_to_pipe: wait for data in src, then for room in dst; no
// reader of dst is SIGPIPE and EPIPE; src empty with no writers is 0.
func Splice(ctx vfs.Context, src, dst *Pipe, n int, nonblock bool) (int, error) {
	return pipeToPipe(ctx, src, dst, n, nonblock, false)
}

// Tee copies up to n bytes from src to dst (two different pipes) without
// consuming them, with Splice's waiting rules.
func Tee(ctx vfs.Context, src, dst *Pipe, n int, nonblock bool) (int, error) {
	return pipeToPipe(ctx, src, dst, n, nonblock, true)
}

func pipeToPipe(ctx vfs.Context, src, dst *Pipe, n int, nonblock, keep bool) (int, error) {
	sp := scratchPool.Get().(*[]byte)
	defer scratchPool.Put(sp)
	for {
		if _, err := src.WaitData(ctx, nonblock); err != nil {
			return 0, err
		}
		room, err := dst.WaitRoom(ctx, nonblock)
		if err != nil {
			return 0, err
		}
		dst.mu.Lock()
		noReaders := dst.readers == 0
		dst.mu.Unlock()
		if noReaders {
			sendSIGPIPE(ctx)
			return 0, unix.EPIPE
		}
		src.mu.Lock()
		eof := src.bufs.len() == 0 && src.writers == 0
		src.mu.Unlock()
		if eof {
			return 0, nil
		}
		var data []byte
		if keep {
			data = src.peek(min(n, room), *sp)
		} else {
			data = src.take(ctx, min(n, room), *sp)
		}
		if len(data) == 0 {
			continue // another reader took it
		}
		if cap(data) > cap(*sp) && cap(data) <= MaxSize {
			*sp = data[:cap(data)] // grown: keep the larger buffer
		}
		w, err := dst.write(ctx, len(data), sliceSource(data), true, false)
		w = max(w, 0)
		if !keep {
			src.unread(data[w:])
		}
		if w > 0 {
			return w, nil
		}
		if err != unix.EAGAIN {
			return 0, err
		}
		// Another writer filled dst in between: wait again.
	}
}
