package hostnet

import (
	"encoding/binary"
	"reflect"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// Socket is one host socket (non-blocking, close-on-exec) that the poller
// watches.
type Socket struct {
	p  *Poller
	fd int
	id int32
}

// Allowed socket types and protocols: TCP, UDP and ICMP echo over IPv4
// and IPv6. The caller has checked them already; this is the last line.
func allowed(domain, typ, protocol int) bool {
	if domain != unix.AF_INET && domain != unix.AF_INET6 {
		return false
	}
	switch typ {
	case unix.SOCK_STREAM:
		return protocol == unix.IPPROTO_TCP
	case unix.SOCK_DGRAM:
		return protocol == unix.IPPROTO_UDP || protocol == unix.IPPROTO_ICMP && domain == unix.AF_INET ||
			protocol == unix.IPPROTO_ICMPV6 && domain == unix.AF_INET6
	}
	return false
}

// NewSocket opens a host socket; notify gets its readiness edges (EPOLL*
// bits) from the poller's goroutine.
func (p *Poller) NewSocket(domain, typ, protocol int, notify func(uint32)) (*Socket, error) {
	if !allowed(domain, typ, protocol) {
		return nil, unix.EPROTONOSUPPORT
	}
	socket := unix.Socket
	if p.ns != nil {
		socket = p.ns.socket
	}
	fd, err := socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, err
	}
	return p.adopt(fd, notify)
}

func (p *Poller) adopt(fd int, notify func(uint32)) (*Socket, error) {
	id, err := p.add(fd, notify)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Socket{p: p, fd: fd, id: id}, nil
}

// WatchAll says whether the poller takes the socket's EPOLLIN and
// EPOLLOUT edges (all, as a new socket's) or only its rarer ones
// (EPOLLPRI, EPOLLRDHUP, EPOLLERR, EPOLLHUP). An edge taken is a wake-up
// of the poller's goroutine, a host context switch or two: a socket that
// nobody waits on need not pay one per arriving segment. Asking for all
// edges makes the host look at the socket again: it queues an edge at
// once for what it finds ready (epoll's EPOLL_CTL_MOD), so nothing that
// came before is missed, and a waiter woken by that edge finds nothing
// new.
func (s *Socket) WatchAll(all bool) error {
	ev := uint32(rareEvents)
	if all {
		ev = watchEvents
	}
	return s.p.watch(s.fd, s.id, ev)
}

// Flush passes on the edges the host has queued for the poller (see
// Poller.Flush).
func (s *Socket) Flush() { s.p.Flush() }

// Close closes the host socket.
func (s *Socket) Close() {
	s.p.remove(s.fd, s.id)
	unix.Close(s.fd)
	s.fd = -1
}

// Inode is the host socket's inode number (what the host's socket
// dumps and /proc/net files show for it).
func (s *Socket) Inode() (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(s.fd, &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}

// Bind is bind(2).
func (s *Socket) Bind(sa unix.Sockaddr) error { return unix.Bind(s.fd, sa) }

// Listen is listen(2).
func (s *Socket) Listen(backlog int) error { return unix.Listen(s.fd, backlog) }

// Accept takes a connection without waiting (EAGAIN when there is none).
func (s *Socket) Accept(notify func(uint32)) (*Socket, unix.Sockaddr, error) {
	fd, sa, err := unix.Accept4(s.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	ns, err := s.p.adopt(fd, notify)
	return ns, sa, err
}

// Connect starts a connection (EINPROGRESS, EALREADY while it goes on).
func (s *Socket) Connect(sa unix.Sockaddr) error { return unix.Connect(s.fd, sa) }

// Shutdown is shutdown(2).
func (s *Socket) Shutdown(how int) error { return unix.Shutdown(s.fd, how) }

// Name and PeerName are getsockname(2) and getpeername(2).
func (s *Socket) Name() (unix.Sockaddr, error)     { return unix.Getsockname(s.fd) }
func (s *Socket) PeerName() (unix.Sockaddr, error) { return unix.Getpeername(s.fd) }

// Send sends p with the control messages oob (built by the caller from
// checked values) without waiting; flags get MSG_DONTWAIT and
// MSG_NOSIGNAL (kite, not the host, raises SIGPIPE).
func (s *Socket) Send(p, oob []byte, to unix.Sockaddr, flags int) (int, error) {
	return unix.SendmsgN(s.fd, p, oob, to, flags|unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
}

// Recv receives into p and oob without waiting.
func (s *Socket) Recv(p, oob []byte, flags int) (n, oobn, recvflags int, from unix.Sockaddr, err error) {
	return unix.Recvmsg(s.fd, p, oob, flags|unix.MSG_DONTWAIT)
}

// MaxBuffers is the most buffers SendBuffers and RecvBuffers take.
const MaxBuffers = platform.MaxSocketBuffers

// SendBuffers sends the bytes of bufs (at most MaxBuffers of them) in
// order, as Send does p: one sendmsg(2) with an iovec per buffer, so
// that the host takes them from wherever they are (the pages of the
// program's buffer), made by the platform without allocating.
func (s *Socket) SendBuffers(bufs [][]byte, flags int) (int, error) {
	return platform.SendSocketBuffers(s.fd, bufs, flags|unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL)
}

// RecvBuffers receives into bufs (at most MaxBuffers of them) in order
// without waiting, as Recv does into p.
func (s *Socket) RecvBuffers(bufs [][]byte, flags int) (n, recvflags int, err error) {
	return platform.RecvSocketBuffers(s.fd, bufs, flags|unix.MSG_DONTWAIT)
}

// Poll returns the socket's readiness for events (POLL* bits).
func (s *Socket) Poll(events int16) int16 {
	fds := []unix.PollFd{{Fd: int32(s.fd), Events: events}}
	for {
		_, err := unix.Poll(fds, 0)
		if err != unix.EINTR {
			break
		}
	}
	return fds[0].Revents
}

// GetInt and SetInt are int-valued socket options.
func (s *Socket) GetInt(level, name int) (int, error) { return unix.GetsockoptInt(s.fd, level, name) }
func (s *Socket) SetInt(level, name, v int) error     { return unix.SetsockoptInt(s.fd, level, name, v) }

// SetBytes sets an option to val as the host reads it (the host checks
// its length); val must not be empty.
func (s *Socket) SetBytes(level, name int, val []byte) error {
	if len(val) == 0 {
		return unix.EINVAL
	}
	return unix.SetsockoptString(s.fd, level, name, string(val))
}

// GetString is a string option (TCP_CONGESTION).
func (s *Socket) GetString(level, name int) (string, error) {
	return unix.GetsockoptString(s.fd, level, name)
}

// Linger is SO_LINGER as struct linger's bytes.
func (s *Socket) Linger() ([]byte, error) {
	l, err := unix.GetsockoptLinger(s.fd, unix.SOL_SOCKET, unix.SO_LINGER)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 8)
	binary.LittleEndian.PutUint32(b, uint32(l.Onoff))
	binary.LittleEndian.PutUint32(b[4:], uint32(l.Linger))
	return b, nil
}

// TCPInfo is TCP_INFO as struct tcp_info's bytes, laid out with C's
// alignment from x/sys's struct (which has no field for the window-scale
// and app-limited bit fields: those bytes read 0).
func (s *Socket) TCPInfo() ([]byte, error) {
	ti, err := unix.GetsockoptTCPInfo(s.fd, unix.IPPROTO_TCP, unix.TCP_INFO)
	if err != nil {
		return nil, err
	}
	var b []byte
	v := reflect.ValueOf(ti).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		size := int(f.Type().Size())
		for len(b)%size != 0 {
			b = append(b, 0)
		}
		switch f.Kind() {
		case reflect.Uint8:
			b = append(b, uint8(f.Uint()))
		case reflect.Uint16:
			b = binary.LittleEndian.AppendUint16(b, uint16(f.Uint()))
		case reflect.Uint32:
			b = binary.LittleEndian.AppendUint32(b, uint32(f.Uint()))
		case reflect.Uint64:
			b = binary.LittleEndian.AppendUint64(b, f.Uint())
		}
	}
	for len(b)%8 != 0 {
		b = append(b, 0)
	}
	return b, nil
}

// Queued is SIOCINQ, SIOCOUTQ or SIOCATMARK.
func (s *Socket) Queued(req uint) (int, error) {
	switch req {
	case unix.SIOCINQ, unix.SIOCOUTQ, unix.SIOCATMARK:
		return unix.IoctlGetInt(s.fd, req)
	}
	return 0, unix.ENOTTY
}

// Disconnect is connect(2) with an AF_UNSPEC address (the platform
// makes it: x/sys's Connect cannot pass that address).
func (s *Socket) Disconnect() error { return platform.DisconnectSocket(s.fd) }
