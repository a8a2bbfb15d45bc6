package inet

import (
	"encoding/binary"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// family is AF_INET or AF_INET6 on one Stack.
type family struct {
	st     *Stack
	domain int
	// now is the kernel's realtime clock (the one programs read
	// through the vDSO), which socket timestamps use.
	now func() time.Time
}

// clockOf returns the realtime clock of the VFS sockets of ns live in:
// the kernel's, which may differ from the host's by the clock's slew.
func clockOf(ns *net.Stack) func() time.Time {
	if v := ns.VFS(); v != nil {
		return v.Now
	}
	return time.Now
}

// fromHost converts t, a time of the host's clock (tcpip stamps arrivals
// with it), to the kernel's realtime clock.
func fromHost(now func() time.Time, t time.Time) time.Time {
	return t.Add(now().Sub(time.Now()))
}

func (f *family) netProto() tcpip.NetworkProtocolNumber {
	if f.domain == unix.AF_INET {
		return ipv4.ProtocolNumber
	}
	return ipv6.ProtocolNumber
}

// Socket implements net.Family as inet_create and inet6_create: a type
// without a protocol table is ESOCKTNOSUPPORT, a protocol the type does
// not carry EPROTONOSUPPORT.
func (f *family) Socket(ctx net.Context, typ, protocol int) (net.Socket, error) {
	var tp tcpip.TransportProtocolNumber
	switch typ {
	case unix.SOCK_STREAM:
		if protocol != 0 && protocol != unix.IPPROTO_TCP {
			return nil, unix.EPROTONOSUPPORT
		}
		tp, protocol = tcp.ProtocolNumber, unix.IPPROTO_TCP
	case unix.SOCK_DGRAM:
		switch {
		case protocol == 0 || protocol == unix.IPPROTO_UDP:
			tp, protocol = udp.ProtocolNumber, unix.IPPROTO_UDP
		case f.domain == unix.AF_INET && protocol == unix.IPPROTO_ICMP:
			tp = icmp.ProtocolNumber4
		case f.domain == unix.AF_INET6 && protocol == unix.IPPROTO_ICMPV6:
			tp = icmp.ProtocolNumber6
		default:
			return nil, unix.EPROTONOSUPPORT
		}
		if tp != udp.ProtocolNumber {
			// Ping sockets: for the groups net.ipv4.ping_group_range
			// names ("1 0", nobody, by default, as on Linux).
			c := ctx.Credentials()
			if !f.st.mayPing(c.EffectiveGID, c.Groups) {
				return nil, unix.EACCES
			}
		}
	case unix.SOCK_RAW:
		// Raw sockets need CAP_NET_RAW; kite has the ICMP ones
		// (ping as root).
		if !ctx.Credentials().HasCapability(unix.CAP_NET_RAW) {
			return nil, unix.EPERM
		}
		switch {
		case f.domain == unix.AF_INET && protocol == unix.IPPROTO_ICMP:
			tp = icmp.ProtocolNumber4
		case f.domain == unix.AF_INET6 && protocol == unix.IPPROTO_ICMPV6:
			tp = icmp.ProtocolNumber6
		default:
			return nil, unix.ESOCKTNOSUPPORT
		}
	default:
		return nil, unix.ESOCKTNOSUPPORT
	}
	wq := new(waiter.Queue)
	var ep tcpip.Endpoint
	var err tcpip.Error
	if typ == unix.SOCK_RAW {
		ep, err = f.st.s.NewRawEndpoint(tp, f.netProto(), wq, true)
	} else {
		ep, err = f.st.s.NewEndpoint(tp, f.netProto(), wq)
	}
	if err != nil {
		return nil, errno(err)
	}
	if f.domain == unix.AF_INET6 {
		ep.SocketOptions().SetV6Only(false)
	}
	so := newSocket(f, typ, protocol, ep, wq, net.NewOptions())
	so.uid, so.gid = ctx.Credentials().FSUID, ctx.Credentials().FSGID
	return so, nil
}

// Pair implements net.Family: INET has no socketpair.
func (f *family) Pair(net.Context, int, int) (net.Socket, net.Socket, error) {
	return nil, nil, unix.EOPNOTSUPP
}

// socket is one AF_INET or AF_INET6 socket: a tcpip endpoint.
type socket struct {
	fam      *family
	typ      int
	protocol int
	opts     *net.Options
	// cur is the endpoint; connect(AF_UNSPEC) replaces it (ep reads
	// it).
	cur atomic.Pointer[endpointBox]
	wq  *waiter.Queue
	// bridge passes the endpoint's events to q.
	bridge waiter.Entry
	q      vfs.WaitQueue
	ino    atomic.Uint64
	// uid owns the socket (/proc/net's uid column); gid is its
	// creator's group.
	uid, gid uint32
	// tskey is SOF_TIMESTAMPING_OPT_ID's counter of stamped
	// datagrams; txQueued counts the transmit timestamps waiting on the
	// error queue (POLLERR), txBytes what they count against the
	// receive buffer.
	tskey    atomic.Uint32
	txQueued atomic.Int32
	txBytes  atomic.Int64
	// backlog is listen's backlog (/proc/net's tx_queue of a listener).
	backlog atomic.Int32
	// recvHop and recvHop2292 are IPV6_RECVHOPLIMIT and
	// IPV6_2292HOPLIMIT (which name the hop limit's control message
	// differently).
	recvHop, recvHop2292 atomic.Bool
	// async is O_ASYNC's state.
	async asyncSignals
	// file is the socket's file, whose owner gets SIGURG.
	file atomic.Pointer[vfs.File]
	// gsoSize is a UDP socket's UDP_SEGMENT option: the segment size
	// of its sends without a UDP_SEGMENT message (0: none).
	gsoSize atomic.Int32
	// cork is a UDP socket's UDP_CORK and pending datagram (cork.go).
	cork udpCork

	// sendMu is held for writing by a datagram send whose control
	// messages set the socket's TOS or traffic class for it, and by
	// setsockopt on a datagram socket; other datagram sends hold it for
	// reading.
	sendMu sync.RWMutex

	// mu serialises the replacement of the endpoint by
	// connect(AF_UNSPEC) with the calls that bind or set options on
	// it, and guards the fields below.
	mu sync.Mutex
	// bound is the address bind gave; addrLocked and portLocked say
	// whether it named an address and a port (Linux's
	// SOCK_BINDADDR_LOCK and SOCK_BINDPORT_LOCK): a disconnect keeps
	// what they lock.
	bound                  tcpip.FullAddress
	addrLocked, portLocked bool
	// stale, after a disconnect that gave up the port, is the name
	// getsockname shows until the socket is bound again (a TCP
	// socket's keeps its old port, a UDP socket's has port 0); its
	// address, when bind had named one, is bound (with a new port)
	// before the next connect, listen or send. hasStale mirrors
	// stale != nil for the send path.
	stale    *tcpip.FullAddress
	hasStale atomic.Bool
	// epOpts are the options set on the endpoint, in order, the
	// latest of each: a new endpoint gets them again.
	epOpts []setOpt
	// held are the datagrams a UDP disconnect took off the endpoint
	// it replaced (tcpip cannot move them to the new one), received
	// before the new endpoint's; hasHeld mirrors len(held) > 0 for
	// the receive path. heldBytes is their size, which counts against
	// the receive buffer: the endpoint's is SO_RCVBUF less heldBytes
	// while rcvBuf (written under mu) holds SO_RCVBUF's value, 0 when
	// none are held.
	held      []heldDatagram
	hasHeld   atomic.Bool
	heldBytes int64
	rcvBuf    atomic.Int64
}

// endpointBox holds a socket's endpoint for its atomic pointer.
// errTaken says a call has taken the error of a TCP endpoint in the
// error state (a reset or failed connection): tcpip cannot say whether
// it still holds it, Linux's poll shows POLLERR only until then.
// connFailed says a blocking connect failed on it and the socket
// could not be given a new endpoint: Linux's __inet_stream_connect
// disconnects the socket, which polls as one never connected.
// connected says a connect or accept gave the program the connection
// (Linux's SS_CONNECTED): a failed connection is then no connect's to
// report.
//
// sent and read count the bytes of a TCP endpoint's stream tcpip took
// from sends and gave to reads, and urg is its urgent data (nil until
// a peer sends some): urgent.go.
type endpointBox struct {
	ep                              tcpip.Endpoint
	errTaken, connFailed, connected atomic.Bool
	sent, read                      atomic.Int64
	urg                             atomic.Pointer[urgent]
}

// tookError notes that a call got the error of a TCP endpoint in the
// error state.
func (s *socket) tookError() {
	b := s.cur.Load()
	if s.stream() && tcp.EndpointState(b.ep.State()) == tcp.StateError {
		b.errTaken.Store(true)
	}
}

// ep is the socket's endpoint.
func (s *socket) ep() tcpip.Endpoint { return s.cur.Load().ep }

// setOpt is one setsockopt call that reached the endpoint.
type setOpt struct {
	level, name int
	val         []byte
}

func newSocket(f *family, typ, protocol int, ep tcpip.Endpoint, wq *waiter.Queue, opts *net.Options) *socket {
	s := &socket{fam: f, typ: typ, protocol: protocol, opts: opts, wq: wq}
	box := &endpointBox{ep: ep}
	s.cur.Store(box)
	s.bridge = waiter.NewFunctionEntry(waiter.EventIn|waiter.EventPri|waiter.EventOut|waiter.EventErr|waiter.EventHUp|waiter.EventRdHUp|waiter.EventRdNorm|waiter.EventWrNorm, s.notify)
	wq.EventRegister(&s.bridge)
	f.st.mu.Lock()
	f.st.socks[s] = struct{}{}
	if typ == unix.SOCK_STREAM {
		f.st.takePendingUrgentLocked(box)
	}
	f.st.mu.Unlock()
	return s
}

// notify passes tcpip's events to the socket's waiters, with the
// RDNORM/WRNORM twins tcpip leaves out. tcpip announces a FIN as
// readable only, so a readable event may also be RDHUP: waiters that
// want only RDHUP are woken and re-check readiness.
func (s *socket) notify(m waiter.EventMask) {
	ev := uint32(m)
	if ev&unix.POLLIN != 0 {
		ev |= vfs.PollRdNorm | unix.POLLRDHUP
		if s.cur.Load().urg.Load() != nil {
			// What arrived may be the urgent byte.
			ev |= unix.POLLPRI
		}
	}
	if ev&unix.POLLOUT != 0 {
		ev |= vfs.PollWrNorm
	}
	s.q.Notify(ev)
	s.async.event(ev)
}

// Fasync implements vfs.Fasyncer.
func (s *socket) Fasync(f *vfs.File, fd int32, on bool) { s.async.list.Fasync(f, fd, on) }

func (s *socket) stream() bool { return s.typ == unix.SOCK_STREAM }

// Info implements net.Socket.
func (s *socket) Info() (int, int, int) { return s.fam.domain, s.typ, s.protocol }

// Options implements net.Socket.
func (s *socket) Options() *net.Options { return s.opts }

// SetFile implements net.Socket: the inode number is kept for
// /proc/net.
func (s *socket) SetFile(f *vfs.File, ino uint64) {
	s.file.Store(f)
	s.ino.Store(ino)
}

// Readiness implements vfs.Waitable.
func (s *socket) Readiness(mask uint32) uint32 {
	r := uint32(s.ep().Readiness(waiter.EventMask(mask | unix.POLLERR | unix.POLLHUP | unix.POLLIN | unix.POLLOUT)))
	if s.stream() {
		// tcpip reports a closed or TIME_WAIT endpoint ready for
		// everything; Linux has no error to report there.
		// Its POLLPRI is not urgent data, which kite keeps
		// (urgentReadiness).
		switch tcp.EndpointState(s.ep().State()) {
		case tcp.StateClose, tcp.StateTimeWait:
			r &^= unix.POLLERR | unix.POLLPRI
		case tcp.StateError:
			r &^= unix.POLLPRI
			if b := s.cur.Load(); b.connFailed.Load() {
				r &^= unix.POLLERR | unix.POLLIN | unix.POLLRDHUP
			} else if b.errTaken.Load() {
				r &^= unix.POLLERR
			}
		case tcp.StateInitial, tcp.StateBound:
			// A socket that is not connected (never, or no more
			// after a disconnect) is writable and hung up, as
			// tcp_poll has a TCP_CLOSE socket.
			r |= unix.POLLOUT | unix.POLLHUP
		}
		r = s.urgentReadiness(r)
	}
	if !s.stream() && s.hasHeld.Load() {
		r |= unix.POLLIN
	}
	if s.txQueued.Load() > 0 {
		r |= unix.POLLERR
	}
	if r&unix.POLLIN != 0 {
		r |= vfs.PollRdNorm
	}
	if r&unix.POLLOUT != 0 {
		r |= vfs.PollWrNorm
	}
	return r & (mask | unix.POLLERR | unix.POLLHUP)
}

// EventRegister implements vfs.Waitable.
func (s *socket) EventRegister(e *vfs.WaitEntry) { s.q.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (s *socket) EventUnregister(e *vfs.WaitEntry) { s.q.EventUnregister(e) }

// Release implements net.Socket: close(2). tcpip sends a RST instead of
// a FIN when unread data is left or SO_LINGER has a zero timeout.
func (s *socket) Release(net.Context) {
	s.wq.EventUnregister(&s.bridge)
	s.ep().Close()
	s.fam.st.mu.Lock()
	delete(s.fam.st.socks, s)
	s.fam.st.releaseCountsLocked(s)
	s.fam.st.mu.Unlock()
}

// Bind implements net.Socket.
func (s *socket) Bind(ctx net.Context, b []byte) error {
	fam, err := addrFamily(b)
	if err != nil {
		return err
	}
	if s.fam.domain == unix.AF_INET && fam == unix.AF_UNSPEC && len(b) >= sockaddrInLen {
		// inet_bind takes AF_UNSPEC with INADDR_ANY for old
		// programs.
		if b[4]|b[5]|b[6]|b[7] != 0 {
			return unix.EAFNOSUPPORT
		}
		b = append([]byte{unix.AF_INET, 0}, b[2:]...)
	}
	a, err := decodeAddr(s.fam.domain, b)
	if err != nil {
		return err
	}
	if a.Port != 0 && a.Port < 1024 && !ctx.Credentials().HasCapability(unix.CAP_NET_BIND_SERVICE) {
		// Ports below 1024 need CAP_NET_BIND_SERVICE.
		return unix.EACCES
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ep().Bind(a); err != nil {
		if _, ok := err.(*tcpip.ErrNoPortAvailable); ok {
			// No free port in ip_local_port_range: bind's get_port
			// fails with EADDRINUSE (autobind's is EAGAIN).
			return unix.EADDRINUSE
		}
		return errno(err)
	}
	if s.fam.domain == unix.AF_INET6 && !unspecified(a.Addr) && !isV4Mapped(a.Addr) {
		// A socket bound to an IPv6 address can only be IPv6: Linux
		// sets IPV6_V6ONLY then (__inet6_bind).
		s.ep().SocketOptions().SetV6Only(true)
	}
	s.bound, s.addrLocked, s.portLocked = a, !unspecified(a.Addr), a.Port != 0
	s.stale = nil
	s.hasStale.Store(false)
	return nil
}

// Listen implements net.Socket (the socket layer has clamped the
// backlog to somaxconn).
func (s *socket) Listen(ctx net.Context, backlog int) error {
	if !s.stream() {
		return unix.EOPNOTSUPP
	}
	backlog = max(backlog, 0)
	if err := s.rebindStale(); err != nil {
		return err
	}
	if err := s.ep().Listen(backlog); err != nil {
		return errno(err)
	}
	s.backlog.Store(int32(backlog))
	return nil
}

// Accept implements net.Socket.
func (s *socket) Accept(ctx net.Context, nonblock bool, d net.Deadline) (net.Socket, error) {
	if !s.stream() {
		return nil, unix.EOPNOTSUPP
	}
	var w net.Waiter
	defer w.Unregister()
	for {
		ep, wq, err := s.ep().Accept(nil)
		if err == nil {
			ns := newSocket(s.fam, s.typ, s.protocol, ep, wq, s.opts.Clone())
			ns.cur.Load().connected.Store(true)
			ns.uid, ns.gid = s.uid, s.gid
			// The connection has the listener's options
			// (and keeps them over a disconnect), and the
			// address bind named for it, which a disconnect
			// keeps too; not its port, which the listener
			// holds (Linux's child sockets keep the
			// listener's SOCK_BINDADDR_LOCK only).
			s.mu.Lock()
			ns.epOpts = append([]setOpt(nil), s.epOpts...)
			if s.addrLocked {
				ns.bound = tcpip.FullAddress{Addr: s.bound.Addr, NIC: s.bound.NIC}
				ns.addrLocked = true
			}
			s.mu.Unlock()
			return ns, nil
		}
		if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
			return nil, errno(err)
		}
		if nonblock {
			return nil, unix.EAGAIN
		}
		if !w.Registered() {
			w.Register(&s.q, unix.POLLIN)
			continue
		}
		if err := w.Wait(ctx, d); err != nil {
			return nil, err
		}
	}
}

// Connect implements net.Socket. A blocking connect waits for the
// handshake; restarted after a signal it goes on waiting, as
// __inet_stream_connect does. A timeout (SO_SNDTIMEO) gives EINPROGRESS.
func (s *socket) Connect(ctx net.Context, b []byte, nonblock bool, d net.Deadline) error {
	fam, err := addrFamily(b)
	if err != nil {
		return err
	}
	if fam == unix.AF_UNSPEC {
		if s.replaceable() {
			return s.disconnect()
		}
		s.ep().Disconnect()
		return nil
	}
	if s.fam.domain == unix.AF_INET6 && fam == unix.AF_INET && !s.stream() && len(b) >= sockaddrInLen {
		// A UDPv6 socket connects to an IPv4 address through its
		// mapped form.
		m := make([]byte, sockaddrIn6Len)
		m[0], m[1] = unix.AF_INET6, 0
		copy(m[2:4], b[2:4])
		m[18], m[19] = 0xff, 0xff
		copy(m[20:24], b[4:8])
		b = m
	}
	a, err := decodeAddr(s.fam.domain, b)
	if err != nil {
		return err
	}
	if s.stream() {
		if b := s.cur.Load(); tcp.EndpointState(b.ep.State()) == tcp.StateError {
			return s.connectAfterFailure(b, a)
		}
	}
	if isV4Mapped(a.Addr) && s.ep().SocketOptions().GetV6Only() {
		return unix.ENETUNREACH
	}
	if s.fam.st.downRoute(a.Addr, s.fam.netProto()) {
		return unix.ENETUNREACH
	}
	if err := s.rebindStale(); err != nil {
		return err
	}
	if !s.stream() {
		return errno(s.ep().Connect(a))
	}
	if err := s.pinLocal(a); err != nil {
		return err
	}
	s.async.connecting.Store(true)
	box := s.cur.Load()
	terr := box.ep.Connect(a)
	switch terr.(type) {
	case nil:
		s.async.connecting.Store(false)
		box.connected.Store(true)
		return nil
	case *tcpip.ErrConnectStarted, *tcpip.ErrAlreadyConnecting:
	default:
		s.async.connecting.Store(false)
		return errno(terr)
	}
	if nonblock {
		return errno(terr)
	}
	var w net.Waiter
	w.Register(&s.q, unix.POLLOUT)
	defer w.Unregister()
	for box.ep.Readiness(waiter.EventOut)&waiter.EventOut == 0 {
		if err := w.Wait(ctx, d); err != nil {
			if err == unix.EAGAIN {
				return unix.EINPROGRESS
			}
			return err
		}
	}
	// Connect again to learn the outcome: nil once connected (a
	// later connect is EISCONN), or the error, which it consumes as
	// Linux's connect clears sk_err.
	err = errno(box.ep.Connect(a))
	if err == nil {
		box.connected.Store(true)
		return nil
	}
	box.ep.LastError()
	if tcp.EndpointState(box.ep.State()) == tcp.StateError {
		s.connectFailed(box)
	}
	return err
}

// connectAfterFailure is connect on a TCP socket whose endpoint is in
// the error state. A connection the program was given (connect
// returned 0, or accept) makes it connected for good: EISCONN, as
// Linux's SS_CONNECTED socket. Otherwise the connection failed before
// the program learned it was made (a non-blocking connect refused,
// reset or timed out): Linux's __inet_stream_connect reports the error
// SO_ERROR has not taken, else ECONNABORTED, and disconnects the
// socket, which the next connect connects again.
func (s *socket) connectAfterFailure(b *endpointBox, a tcpip.FullAddress) error {
	if b.connected.Load() {
		return unix.EISCONN
	}
	err := errno(b.ep.Connect(a))
	if err == nil {
		err = unix.ECONNABORTED
	}
	b.ep.LastError()
	s.connectFailed(b)
	return err
}

// connectFailed disconnects a TCP socket whose connection failed on
// b, as __inet_stream_connect's tcp_disconnect: it gets a new endpoint
// with its options; the port bind named stays bound, another is given
// up but getsockname still shows it (with the address bind named), as
// Linux leaves the socket's inet_sport. If the socket cannot get a new
// endpoint it keeps b, polling as one never connected.
func (s *socket) connectFailed(b *endpointBox) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur.Load() != b {
		return
	}
	local, _ := b.ep.GetLocalAddress()
	var stale *tcpip.FullAddress
	if !s.portLocked {
		stale = &tcpip.FullAddress{Addr: s.lockedAddr(), Port: local.Port}
	}
	retire := func() {
		b.ep.Close()
		s.async.connecting.Store(false)
	}
	if err := s.replaceLocked(b.ep, retire, stale); err != nil && s.cur.Load() == b {
		b.connFailed.Store(true)
	}
}

// Shutdown implements net.Socket.
func (s *socket) Shutdown(ctx net.Context, how int) error {
	var f tcpip.ShutdownFlags
	switch how {
	case unix.SHUT_RD:
		f = tcpip.ShutdownRead
	case unix.SHUT_WR:
		f = tcpip.ShutdownWrite
	default:
		f = tcpip.ShutdownRead | tcpip.ShutdownWrite
	}
	return errno(s.ep().Shutdown(f))
}

// Name implements net.Socket.
func (s *socket) Name(net.Context) ([]byte, error) {
	if s.hasStale.Load() {
		if a, ok := s.staleName(); ok {
			return encodeAddr(s.fam.domain, a), nil
		}
	}
	a, err := s.ep().GetLocalAddress()
	if err != nil {
		return nil, errno(err)
	}
	return encodeAddr(s.fam.domain, a), nil
}

// PeerName implements net.Socket.
func (s *socket) PeerName(net.Context) ([]byte, error) {
	a, err := s.ep().GetRemoteAddress()
	if err != nil {
		return nil, errno(err)
	}
	return encodeAddr(s.fam.domain, a), nil
}

// oobIgnored reports whether a MSG_OOB send goes as if the flag were
// not there: udpv6_sendmsg ignores it, unless the datagram goes to an
// IPv4-mapped address (to, or the connected peer's), which udp_sendmsg
// refuses.
func (s *socket) oobIgnored(to []byte) bool {
	if s.fam.domain != unix.AF_INET6 || s.protocol != unix.IPPROTO_UDP {
		return false
	}
	if to != nil {
		if fam, err := addrFamily(to); err == nil && fam == unix.AF_INET6 && len(to) >= sockaddrIn6Len {
			a := tcpip.AddrFrom16Slice(to[8:24])
			return !isV4Mapped(a)
		}
		return true
	}
	peer, err := s.ep().GetRemoteAddress()
	return err != nil || !isV4Mapped(peer.Addr)
}

// payload is the data of one send, read from the user as tcpip takes it.
type payload struct {
	src  func([]byte) (int, error)
	left int64
	err  error
	// last is the last byte read (a MSG_OOB send's urgent byte).
	last byte
}

// Read implements io.Reader.
func (p *payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	if p.left == 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.left {
		b = b[:p.left]
	}
	n, err := p.src(b)
	p.left -= int64(n)
	if n > 0 {
		p.last = b[n-1]
	}
	if err != nil {
		p.err = err
		return n, err
	}
	return n, nil
}

// Len implements tcpip.Payloader.
func (p *payload) Len() int { return int(min(p.left, 1<<31-1)) }

// write is one tcpip write of a datagram, with the TOS or traffic
// class its control messages set: the socket's own is set for it and
// put back, sendMu keeping other sends and setsockopt out meanwhile.
func (s *socket) write(p tcpip.Payloader, wo tcpip.WriteOptions, so sendOpts) (int64, tcpip.Error) {
	if s.stream() {
		return s.ep().Write(p, wo)
	}
	if so.tos < 0 && so.tclass < 0 {
		s.sendMu.RLock()
		defer s.sendMu.RUnlock()
		return s.ep().Write(p, wo)
	}
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	ep := s.ep()
	opt, v := tcpip.IPv4TOSOption, so.tos
	if so.tclass >= 0 {
		opt, v = tcpip.IPv6TrafficClassOption, so.tclass
	}
	old, err := ep.GetSockOptInt(opt)
	if err != nil {
		return 0, err
	}
	if err := ep.SetSockOptInt(opt, v); err != nil {
		return 0, err
	}
	defer ep.SetSockOptInt(opt, old)
	return ep.Write(p, wo)
}

// SendMsg implements net.Socket.
func (s *socket) SendMsg(ctx net.Context, req *net.SendRequest) (int64, error) {
	flags := req.Flags
	if flags&unix.MSG_OOB != 0 && !s.stream() {
		if !s.oobIgnored(req.To) {
			// IPv4's UDP, ping and raw sockets refuse it as
			// Linux's.
			return 0, unix.EOPNOTSUPP
		}
	}
	flags &^= unix.MSG_OOB
	if s.protocol == unix.IPPROTO_UDP && (flags&unix.MSG_MORE != 0 || s.cork.on.Load() || s.cork.hasPending.Load()) {
		return s.sendCorked(ctx, req, flags)
	}
	return s.sendNow(ctx, req, flags)
}

// sendNow is a send that goes out at once (with flags, MSG_OOB
// taken off).
func (s *socket) sendNow(ctx net.Context, req *net.SendRequest, flags int) (int64, error) {
	urgent := req.Flags&unix.MSG_OOB != 0 && s.stream()
	if s.stream() {
		// tcp_sendmsg reports a pending error (a disconnect's
		// ECONNRESET) first.
		if e := s.opts.TakePendingError(); e != 0 {
			return 0, e
		}
	}
	var urgKey connKey
	if urgent {
		// The last byte sent is urgent for the peer, which must be
		// one of kite's sockets (urgent.go); a socket not connected
		// fails as without MSG_OOB.
		key, ok, err := s.sendUrgentPeer()
		if err != nil {
			return 0, err
		}
		urgKey, urgent = key, ok
	}
	nonblock := req.Nonblock || flags&unix.MSG_DONTWAIT != 0
	wo := tcpip.WriteOptions{More: flags&unix.MSG_MORE != 0, Atomic: !s.stream()}
	if req.To != nil && !s.stream() {
		a, err := s.sendAddr(req.To)
		if err != nil {
			return 0, err
		}
		wo.To = a
	}
	if !s.stream() && s.hasStale.Load() {
		if err := s.rebindStale(); err != nil {
			return 0, err
		}
	}
	// udp_sendmsg starts from the socket's UDP_SEGMENT, which a
	// message may override.
	so := sendOpts{tos: -1, tclass: -1, gso: int64(s.gsoSize.Load())}
	if !s.stream() && (len(req.Control.Proto) > 0 || so.gso > 0) {
		dst := s.sendDest(wo.To)
		cm, o, err := s.sendControl(ctx, req.Control.Proto, dst, so)
		if err != nil {
			return 0, err
		}
		wo.ControlMessages, so = cm, o
		if err := s.applySendOpts(&wo, dst, so, req.Len); err != nil {
			return 0, err
		}
	}
	if s.stream() && req.Len == 0 {
		// tcp_sendmsg with nothing to send still reports errors.
		if _, err := s.ep().GetRemoteAddress(); err != nil {
			return 0, s.sendError(ctx, &tcpip.ErrClosedForSend{}, flags)
		}
		return 0, nil
	}
	p := &payload{src: req.Source, left: req.Len}
	// rest is what UDP_SEGMENT leaves for the datagrams after p.
	var rest int64
	if so.gso > 0 && req.Len > so.gso {
		p.left, rest = so.gso, req.Len-so.gso
	}
	var done int64
	if urgent {
		defer func() {
			if done > 0 {
				s.markUrgent(urgKey, s.cur.Load().sent.Load()-1, p.last)
			}
		}()
	}
	var w net.Waiter
	defer w.Unregister()
	for {
		n, err := s.write(p, wo, so)
		done += n
		if s.stream() && n > 0 {
			s.cur.Load().sent.Add(n)
		}
		if err == nil {
			if rest > 0 && p.err == nil {
				p = &payload{src: req.Source, left: min(so.gso, rest)}
				rest -= p.left
				continue
			}
			if !s.stream() || p.left == 0 {
				return done, nil
			}
			if p.err != nil {
				return done, nil
			}
			continue
		}
		if _, ok := err.(*tcpip.ErrWouldBlock); !ok {
			if done > 0 {
				return done, nil
			}
			return 0, s.sendError(ctx, err, flags)
		}
		s.async.nospace.Store(true)
		if nonblock {
			if done > 0 {
				return done, nil
			}
			return 0, unix.EAGAIN
		}
		if !w.Registered() {
			w.Register(&s.q, unix.POLLOUT)
			continue
		}
		if err := w.Wait(ctx, req.Deadline); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// sendError is the errno of a failed send, with SIGPIPE for a broken
// stream unless MSG_NOSIGNAL.
func (s *socket) sendError(ctx net.Context, err tcpip.Error, flags int) error {
	s.tookError()
	e := errno(err)
	if e == unix.EPIPE && s.stream() && flags&unix.MSG_NOSIGNAL == 0 {
		net.SendSIGPIPE(ctx)
	}
	if _, ok := err.(*tcpip.ErrNotConnected); ok && s.stream() {
		return unix.EPIPE
	}
	return e
}

// sendAddr decodes a datagram's destination.
func (s *socket) sendAddr(b []byte) (*tcpip.FullAddress, error) {
	fam, err := addrFamily(b)
	if err != nil {
		return nil, err
	}
	if fam == unix.AF_UNSPEC && s.fam.domain == unix.AF_INET {
		return nil, nil
	}
	if s.fam.domain == unix.AF_INET6 && fam == unix.AF_INET {
		return nil, unix.EAFNOSUPPORT
	}
	a, err := decodeAddr(s.fam.domain, b)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// sinkWriter is an io.Writer into a receive's sink: a stream stops at
// the limit (tcpip keeps the rest); a datagram's excess is discarded.
type sinkWriter struct {
	sink    func([]byte) (int, error)
	left    int64
	discard bool
	// drop discards everything (MSG_TRUNC on a stream).
	drop  bool
	wrote int64
	// skip is how many bytes to discard first (a TCP stream's urgent
	// byte), not counted in wrote nor limited by left.
	skip int64
}

func (w *sinkWriter) Write(b []byte) (int, error) {
	if w.skip > 0 {
		k := min(int64(len(b)), w.skip)
		w.skip -= k
		n, err := w.Write(b[k:])
		return int(k) + n, err
	}
	if w.drop {
		n := min(int64(len(b)), w.left)
		w.left -= n
		w.wrote += n
		if n < int64(len(b)) {
			return int(n), io.ErrShortWrite
		}
		return len(b), nil
	}
	want := len(b)
	if int64(len(b)) > w.left {
		b = b[:w.left]
	}
	n, err := 0, error(nil)
	if len(b) > 0 {
		n, err = w.sink(b)
	}
	w.left -= int64(n)
	w.wrote += int64(n)
	if err != nil {
		return n, err
	}
	if n < want {
		if w.discard {
			return want, nil
		}
		return n, io.ErrShortWrite
	}
	return n, nil
}

// RecvMsg implements net.Socket.
func (s *socket) RecvMsg(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	flags := req.Flags
	if flags&unix.MSG_ERRQUEUE != 0 {
		return s.recvErrQueue(req)
	}
	if flags&unix.MSG_OOB != 0 {
		switch {
		case s.stream():
			return s.recvUrgent(req, flags)
		case s.protocol != unix.IPPROTO_UDP:
			// ping and raw sockets refuse it.
			return net.RecvResult{}, unix.EOPNOTSUPP
		}
		// udp_recvmsg ignores it.
		flags &^= unix.MSG_OOB
	}
	nonblock := req.Nonblock || flags&unix.MSG_DONTWAIT != 0
	peek := flags&unix.MSG_PEEK != 0
	if s.stream() && req.Len == 0 {
		return net.RecvResult{}, nil
	}
	waitall := s.stream() && flags&unix.MSG_WAITALL != 0 && !peek
	ro := tcpip.ReadOptions{Peek: peek, NeedRemoteAddr: !s.stream()}
	var done int64
	var w net.Waiter
	defer w.Unregister()
	for {
		sw := &sinkWriter{sink: req.Sink, left: req.Len - done, discard: !s.stream(), drop: s.stream() && flags&unix.MSG_TRUNC != 0}
		if !s.stream() && s.hasHeld.Load() {
			if r, ok, err := s.recvHeld(req, flags); ok {
				return r, err
			}
		}
		box := s.cur.Load()
		if s.stream() && box.urg.Load() != nil && s.urgentLimit(box, sw, done) {
			// Stopped at the urgent byte.
			return net.RecvResult{N: done}, nil
		}
		res, err := box.ep.Read(sw, ro)
		if err == nil {
			if !s.stream() {
				return s.datagramResult(sw.wrote, res.Total, res.RemoteAddr, res.ControlMessages, flags), nil
			}
			if !peek {
				box.read.Add(int64(res.Count))
			}
			done += sw.wrote
			box.ep.ModerateRecvBuf(res.Count)
			if sw.wrote == 0 && res.Count > 0 && !peek {
				// Only the urgent byte, skipped.
				continue
			}
			if sw.wrote == 0 && res.Count > 0 {
				// A peek at the mark found only the urgent byte,
				// which it skips: nothing to read yet, as
				// tcp_recvmsg's peek waits past the byte for more.
				err = &tcpip.ErrWouldBlock{}
			} else {
				if waitall && done < req.Len && res.Count > 0 {
					continue
				}
				r := net.RecvResult{N: done}
				if done > 0 {
					s.stamp(&r, res.ControlMessages)
				}
				return r, nil
			}
		}
		switch err.(type) {
		case *tcpip.ErrClosedForReceive:
			return net.RecvResult{N: done}, nil
		case *tcpip.ErrWouldBlock:
		default:
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			if _, ok := err.(*tcpip.ErrNotConnected); ok && s.stream() {
				return net.RecvResult{}, unix.ENOTCONN
			}
			s.tookError()
			return net.RecvResult{}, errno(err)
		}
		if done > 0 && !waitall {
			return net.RecvResult{N: done}, nil
		}
		if nonblock {
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			return net.RecvResult{}, unix.EAGAIN
		}
		if !w.Registered() {
			w.Register(&s.q, unix.POLLIN)
			continue
		}
		if err := w.Wait(ctx, req.Deadline); err != nil {
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			return net.RecvResult{}, err
		}
	}
}

// Ioctl implements net.Socket: SIOCINQ (FIONREAD), SIOCOUTQ and
// SIOCATMARK.
func (s *socket) Ioctl(ctx net.Context, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	var opt tcpip.SockOptInt
	switch cmd {
	case unix.SIOCINQ:
		opt = tcpip.ReceiveQueueSizeOption
	case unix.SIOCOUTQ:
		opt = tcpip.SendQueueSizeOption
	case unix.SIOCATMARK:
		if !s.stream() {
			return 0, unix.ENOTTY
		}
		if _, err := io.CopyOut(arg, putInt(boolInt(s.atMark()))); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	default:
		return 0, unix.ENOTTY
	}
	if opt == tcpip.ReceiveQueueSizeOption && s.hasHeld.Load() {
		// The first datagram's size, as udp_ioctl's SIOCINQ.
		if n, ok := s.heldSize(); ok {
			if _, err := io.CopyOut(arg, putInt(int32(n))); err != nil {
				return 0, unix.EFAULT
			}
			return 0, nil
		}
	}
	v, err := s.ep().GetSockOptInt(opt)
	if err != nil {
		return 0, errno(err)
	}
	if opt == tcpip.ReceiveQueueSizeOption && s.stream() {
		v = s.urgentInq(v)
	}
	if _, err := io.CopyOut(arg, putInt(int32(v))); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// controlMessages encodes the control messages a datagram's receive
// delivers, in Linux's order (ip_cmsg_recv_offset: IP_PKTINFO, IP_TTL,
// IP_TOS; ip6_datagram_recv_specific_ctl: IPV6_PKTINFO, IPV6_HOPLIMIT,
// IPV6_TCLASS, then the RFC 2292 IPV6_2292HOPLIMIT). tcpip fills in
// those whose option is on.
func (s *socket) controlMessages(cm tcpip.ReceivableControlMessages) []net.Cmsg {
	var out []net.Cmsg
	le := binary.LittleEndian
	if cm.HasIPPacketInfo {
		b := make([]byte, 12)
		le.PutUint32(b, uint32(cm.PacketInfo.NIC))
		copy(b[4:8], cm.PacketInfo.LocalAddr.AsSlice())
		copy(b[8:12], cm.PacketInfo.DestinationAddr.AsSlice())
		out = append(out, net.Cmsg{Level: unix.SOL_IP, Type: unix.IP_PKTINFO, Data: b})
	}
	if cm.HasTTL {
		out = append(out, net.Cmsg{Level: unix.SOL_IP, Type: unix.IP_TTL, Data: putInt(int32(cm.TTL))})
	}
	if cm.HasTOS {
		out = append(out, net.Cmsg{Level: unix.SOL_IP, Type: unix.IP_TOS, Data: []byte{cm.TOS}})
	}
	if cm.HasIPv6PacketInfo {
		b := make([]byte, 20)
		copy(b, cm.IPv6PacketInfo.Addr.AsSlice())
		le.PutUint32(b[16:], uint32(cm.IPv6PacketInfo.NIC))
		out = append(out, net.Cmsg{Level: unix.SOL_IPV6, Type: unix.IPV6_PKTINFO, Data: b})
	}
	if cm.HasHopLimit && s.recvHop.Load() {
		out = append(out, net.Cmsg{Level: unix.SOL_IPV6, Type: unix.IPV6_HOPLIMIT, Data: putInt(int32(cm.HopLimit))})
	}
	if cm.HasTClass {
		out = append(out, net.Cmsg{Level: unix.SOL_IPV6, Type: unix.IPV6_TCLASS, Data: putInt(int32(cm.TClass))})
	}
	if cm.HasHopLimit && s.recvHop2292.Load() {
		out = append(out, net.Cmsg{Level: unix.SOL_IPV6, Type: unix.IPV6_2292HOPLIMIT, Data: putInt(int32(cm.HopLimit))})
	}
	return out
}

// stamp adds the receive time SO_TIMESTAMP and its kin ask for: tcpip's
// arrival time when it has one, the time of the receive otherwise.
func (s *socket) stamp(r *net.RecvResult, cm tcpip.ReceivableControlMessages) {
	tt, st := s.opts.StampTypes()
	if tt == 0 && st == 0 {
		return
	}
	r.Control.StampType, r.Control.StampingType = tt, st
	r.Control.Stamp = s.fam.now()
	if cm.HasTimestamp {
		r.Control.Stamp = fromHost(s.fam.now, cm.Timestamp)
	}
}

// recvErrQueue is recvmsg with MSG_ERRQUEUE (ip_recv_error): the oldest
// queued error (IP_RECVERR, IPV6_RECVERR) as the errant packet's payload,
// its destination as the address and a sock_extended_err control message
// followed by the offender's address; EAGAIN when none is queued.
func (s *socket) recvErrQueue(req *net.RecvRequest) (net.RecvResult, error) {
	ops := s.ep().SocketOptions()
	var se *tcpip.SockError
	if req.Flags&unix.MSG_PEEK != 0 {
		se = ops.PeekErr()
	} else {
		se = ops.DequeueErr()
		if se != nil && ops.PeekErr() == nil {
			// Reading the last queued error clears the socket's
			// pending error, as ip_recv_error resets sk_err.
			s.ep().LastError()
		}
	}
	if se == nil {
		return net.RecvResult{}, unix.EAGAIN
	}
	if ts, ok := se.Cause.(*txStamp); ok {
		return s.recvTxStamp(req, se, ts)
	}
	var payload []byte
	if se.Payload != nil {
		payload = se.Payload.AsSlice()
	}
	r := net.RecvResult{Flags: unix.MSG_ERRQUEUE}
	n := min(int64(len(payload)), req.Len)
	if n > 0 {
		c, err := req.Sink(payload[:n])
		if err != nil {
			return net.RecvResult{}, err
		}
		r.N = int64(c)
	}
	if int64(len(payload)) > n {
		r.Flags |= unix.MSG_TRUNC
	}
	r.From = encodeAddr(s.fam.domain, se.Dst)
	ee := make([]byte, 16)
	le := binary.LittleEndian
	if e, ok := errno(se.Err).(unix.Errno); ok {
		le.PutUint32(ee, uint32(e))
	}
	ee[4] = uint8(se.Cause.Origin())
	ee[5] = se.Cause.Type()
	ee[6] = se.Cause.Code()
	le.PutUint32(ee[8:], se.Cause.Info())
	level, typ := int32(unix.SOL_IP), int32(unix.IP_RECVERR)
	offDomain := unix.AF_INET
	if se.NetProto == ipv6.ProtocolNumber {
		level, typ, offDomain = unix.SOL_IPV6, unix.IPV6_RECVERR, unix.AF_INET6
	}
	var off []byte
	if se.Cause.Origin() == tcpip.SockExtErrorOriginLocal || se.Offender.Addr.Len() == 0 {
		// A local error has no offender: sa_family AF_UNSPEC.
		if offDomain == unix.AF_INET {
			off = make([]byte, sockaddrInLen)
		} else {
			off = make([]byte, sockaddrIn6Len)
		}
	} else {
		off = encodeAddr(offDomain, tcpip.FullAddress{Addr: se.Offender.Addr})
	}
	r.Control.Proto = []net.Cmsg{{Level: level, Type: typ, Data: append(ee, off...)}}
	return r, nil
}

// recvTxStamp is recvmsg(MSG_ERRQUEUE) of a transmit timestamp, as
// Linux's ip_recv_error gives it: the packet (none with OPT_TSONLY), no
// address, SCM_TIMESTAMPING with the software time when
// SOF_TIMESTAMPING_SOFTWARE reports it, then IP_RECVERR (IPV6_RECVERR)
// with ENOMSG, SO_EE_ORIGIN_TIMESTAMPING, SCM_TSTAMP_SND and the OPT_ID
// key, and an offender of family AF_UNSPEC.
func (s *socket) recvTxStamp(req *net.RecvRequest, se *tcpip.SockError, ts *txStamp) (net.RecvResult, error) {
	if req.Flags&unix.MSG_PEEK == 0 {
		s.txQueued.Add(-1)
		s.txBytes.Add(-ts.size)
	}
	r := net.RecvResult{Flags: unix.MSG_ERRQUEUE}
	if se.Payload != nil {
		payload := append(ts.link, se.Payload.AsSlice()...)
		n := min(int64(len(payload)), req.Len)
		if n > 0 {
			c, err := req.Sink(payload[:n])
			if err != nil {
				return net.RecvResult{}, err
			}
			r.N = int64(c)
		}
		if int64(len(payload)) > n {
			r.Flags |= unix.MSG_TRUNC
		}
	}
	if f, newForm := s.opts.TimestampingFlags(); f&sofSoftware != 0 {
		r.Control.Stamp = ts.at
		r.Control.StampingType = soTimestampingOld
		if newForm {
			r.Control.StampingType = soTimestampingNew
		}
	}
	ee := make([]byte, 16)
	le := binary.LittleEndian
	le.PutUint32(ee, uint32(unix.ENOMSG))
	ee[4] = soEEOriginTime
	le.PutUint32(ee[12:], ts.key)
	level, typ, off := int32(unix.SOL_IP), int32(unix.IP_RECVERR), make([]byte, sockaddrInLen)
	if s.fam.domain == unix.AF_INET6 {
		level, typ, off = unix.SOL_IPV6, unix.IPV6_RECVERR, make([]byte, sockaddrIn6Len)
	}
	r.Control.Proto = []net.Cmsg{{Level: level, Type: typ, Data: append(ee, off...)}}
	return r, nil
}

// datagramResult is what a datagram's receive reports: wrote bytes of
// its total, from, its control messages and receive time, MSG_TRUNC
// when cut (and, asked for with MSG_TRUNC, its whole size).
func (s *socket) datagramResult(wrote int64, total int, from tcpip.FullAddress, cm tcpip.ReceivableControlMessages, flags int) net.RecvResult {
	r := net.RecvResult{N: wrote, From: encodeAddr(s.fam.domain, from)}
	r.Control.Proto = s.controlMessages(cm)
	s.stamp(&r, cm)
	if int64(total) > wrote {
		r.Flags |= unix.MSG_TRUNC
		if flags&unix.MSG_TRUNC != 0 {
			r.N = int64(total)
		}
	}
	return r
}
