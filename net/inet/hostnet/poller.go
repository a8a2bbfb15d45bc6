package hostnet

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Poller watches host sockets with one host epoll instance and tells each
// socket's callback of its readiness edges.
type Poller struct {
	epfd int
	// wake is an eventfd that ends the poll goroutine.
	wake int
	done chan struct{}
	// ns, if not nil, makes the sockets inside a host network namespace
	// other than kite's (NewPollerIn).
	ns *nsMaker

	// gen counts the times edges were taken from the host (see Gen).
	gen atomic.Uint64

	// harvestMu makes taking edges from the host and passing them on
	// one step (see Flush). Callbacks run with it held; it is taken
	// before mu.
	harvestMu sync.Mutex

	// mu guards the fields below.
	mu     sync.Mutex
	next   int32
	notify map[int32]func(events uint32)
	closed bool
}

// NewPollerIn starts a poller whose sockets are made in the host network
// namespace at netns (a path such as /run/netns/NAME); "" is kite's own.
func NewPollerIn(netns string) (*Poller, error) {
	if netns == "" {
		return NewPoller()
	}
	m, err := newNSMaker(netns)
	if err != nil {
		return nil, err
	}
	p, err := NewPoller()
	if err != nil {
		m.stop()
		return nil, err
	}
	p.ns = m
	return p, nil
}

// NewPoller starts a poller.
func NewPoller() (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wake, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wake)
		return nil, err
	}
	p := &Poller{epfd: epfd, wake: wake, done: make(chan struct{}), notify: make(map[int32]func(uint32))}
	go p.loop()
	return p, nil
}

func (p *Poller) loop() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 128)
	ready := []unix.PollFd{{Fd: int32(p.epfd), Events: unix.POLLIN}}
	for {
		// Wait until the host has queued an edge, then take the edges
		// and pass them on as one step under harvestMu (see Flush).
		if _, err := unix.Poll(ready, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		p.harvestMu.Lock()
		ok := p.harvest(events)
		p.harvestMu.Unlock()
		if !ok {
			return
		}
	}
}

// harvest takes the edges the host has queued (without waiting) and
// passes them on; it reports false at the wake event that ends the
// poller, or when the host's epoll fails. It is called with harvestMu
// held. The generation grows before the edges are taken: a receive that
// reads the new value (after this harvest began) may have come before
// the host looked at its socket for an edge taken here.
func (p *Poller) harvest(events []unix.EpollEvent) bool {
	for {
		p.gen.Add(1)
		n, err := unix.EpollWait(p.epfd, events, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return false
		}
		return p.dispatch(events[:n])
	}
}

// dispatch passes events to their sockets' callbacks; it reports false
// at the wake event that ends the poller.
func (p *Poller) dispatch(events []unix.EpollEvent) bool {
	for _, ev := range events {
		if ev.Fd == -1 {
			return false
		}
		p.mu.Lock()
		f := p.notify[ev.Fd]
		p.mu.Unlock()
		if f != nil {
			f(ev.Events)
		}
	}
	return true
}

// Gen is the poller's generation: it grows each time edges are taken
// from the host, before they are taken. A callback reading g passes on
// an edge taken after g was reached: something a caller did after
// reading a smaller value came before the host looked at the socket for
// that edge, which is about the socket after it; something done after
// reading g may have come before that look (the edge may then be about
// what it consumed).
func (p *Poller) Gen() uint64 { return p.gen.Load() }

// Flush passes on, from the caller's goroutine, the edges the host has
// already queued that nobody has passed on yet. The host drops a queued
// edge whose readiness is gone by the time it is taken (epoll polls the
// socket again then), so a caller that must not lose an edge flushes
// before it consumes what made the socket ready. Taking edges and
// passing them on is one step under harvestMu, for the poller's
// goroutine too: an edge that goroutine has taken is passed on before
// Flush returns.
func (p *Poller) Flush() {
	var events [16]unix.EpollEvent
	p.harvestMu.Lock()
	defer p.harvestMu.Unlock()
	for {
		p.gen.Add(1)
		n, err := unix.EpollWait(p.epfd, events[:], 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		for _, ev := range events[:n] {
			// The wake event is level-triggered: it stays for the
			// poller's goroutine.
			if ev.Fd != -1 {
				p.dispatch([]unix.EpollEvent{ev})
			}
		}
		if n < len(events) {
			return
		}
	}
}

// Close stops the poller; the sockets must have been closed.
func (p *Poller) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	unix.Write(p.wake, []byte{1, 0, 0, 0, 0, 0, 0, 0})
	<-p.done
	unix.Close(p.epfd)
	unix.Close(p.wake)
	if p.ns != nil {
		p.ns.stop()
	}
}

// watchEvents are the edges a socket is told of; rareEvents those of a
// socket that does not want EPOLLIN and EPOLLOUT edges (Socket.WatchAll).
const (
	watchEvents = unix.EPOLLIN | unix.EPOLLOUT | rareEvents
	rareEvents  = unix.EPOLLPRI | unix.EPOLLRDHUP | unix.EPOLLERR | unix.EPOLLHUP | unix.EPOLLET
)

// add registers fd with notify.
func (p *Poller) add(fd int, notify func(uint32)) (int32, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return 0, unix.EBADF
	}
	p.next++
	if p.next < 0 {
		p.next = 1
	}
	id := p.next
	ev := unix.EpollEvent{Events: watchEvents, Fd: id}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return 0, err
	}
	p.notify[id] = notify
	return id, nil
}

// watch changes the edges fd (registered as id) is watched for.
func (p *Poller) watch(fd int, id int32, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: id}
	return unix.EpollCtl(p.epfd, unix.EPOLL_CTL_MOD, fd, &ev)
}

// remove forgets fd (registered as id).
func (p *Poller) remove(fd int, id int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
	delete(p.notify, id)
}
