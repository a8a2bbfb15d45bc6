package inet

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/inet/hostnet"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

// Host is the network of `kite run --net=host`: AF_INET and AF_INET6
// sockets are host sockets (hostnet) that kite drives on the program's
// behalf. kite decodes every call as for its own stack (addresses and
// their lengths, flags, options from a fixed list, the capability to
// bind a port below 1024) and makes the host call only then; the program
// never holds a host descriptor, and blocking is kite's (interruptible,
// with the socket timeouts), not the host's.
type Host struct {
	p *hostnet.Poller

	// bufs are buffers of hostChunk bytes that sends and receives
	// carry data in between the program's memory and the host socket
	// (taken and given back per call: allocating them each time cost
	// more than the copies).
	bufs sync.Pool

	// mu guards nl and inodes.
	mu sync.Mutex
	// nl are the host netlink sockets NetlinkQuery opened, by protocol.
	nl map[int]*hostnet.Netlink
	// inodes are the kite inode numbers and owners of the program's
	// sockets by their host sockets' inode numbers (translateInodes).
	inodes map[uint64]ownSocket

	// statsOnce finds stats, the host's /proc/net counter files that
	// exist (hasNetStats).
	statsOnce sync.Once
	stats     map[string]bool
}

// NewHost starts the host network's poller.
func NewHost() (*Host, error) { return NewHostIn("") }

// NewHostIn starts the poller of a host network whose sockets are made in
// the host network namespace at netns ("" for kite's own): a container
// engine's network, so that its addresses and port forwarding apply.
func NewHostIn(netns string) (*Host, error) {
	p, err := hostnet.NewPollerIn(netns)
	if err != nil {
		return nil, err
	}
	h := &Host{p: p}
	h.bufs.New = func() any { b := make([]byte, hostChunk); return &b }
	return h, nil
}

// Close stops the poller and closes the netlink sockets.
func (h *Host) Close() {
	h.mu.Lock()
	for _, n := range h.nl {
		n.Close()
	}
	h.nl = nil
	h.mu.Unlock()
	h.p.Close()
}

// NetlinkQuery asks the host's network one netlink request of protocol
// (NETLINK_ROUTE or NETLINK_SOCK_DIAG) and returns its replies: what
// netlink shows programs of the host network. The caller (net/netlink)
// passes only requests that read state.
func (h *Host) NetlinkQuery(protocol int, req []byte) ([]byte, error) {
	h.mu.Lock()
	n := h.nl[protocol]
	if n == nil {
		var err error
		if n, err = h.p.NewNetlink(protocol); err != nil {
			h.mu.Unlock()
			return nil, err
		}
		if h.nl == nil {
			h.nl = make(map[int]*hostnet.Netlink)
		}
		h.nl[protocol] = n
	}
	h.mu.Unlock()
	out, err := n.Query(req)
	if protocol == unix.NETLINK_SOCK_DIAG {
		h.translateInodes(out)
	}
	return out, err
}

// ownSocket is what the host network's socket lists show of one of the
// program's sockets in place of the host's view.
type ownSocket struct {
	// ino is its kite socket file's inode number.
	ino uint64
	// uid is its owner (the creator's, or for an accepted connection
	// the accepter's, file system uid, as Linux's sk_uid), where the
	// host shows kite's own.
	uid uint32
}

// translateInodes gives the sockets of a SOCK_DIAG answer (inet_diag_msg
// replies) the inode numbers a program of the host network knows them
// by: the program's own sockets their kite socket files' (those its
// /proc/PID/fd links name, so that ss -p and netstat -p find the
// process) and their kite owners, the host's other sockets 0. Their host
// numbers mean nothing inside kite and could be those of other kite
// files.
func (h *Host) translateInodes(b []byte) {
	const uidAt, inodeAt = 64, 68 // idiag_uid, idiag_inode in struct inet_diag_msg
	le := binary.LittleEndian
	h.mu.Lock()
	defer h.mu.Unlock()
	netlink.Messages(b, func(_ int, msg []byte) bool {
		if le.Uint16(msg[4:]) == sockDiagByFamily && len(msg) >= unix.NLMSG_HDRLEN+inodeAt+4 {
			m := msg[unix.NLMSG_HDRLEN:]
			own, ok := h.inodes[uint64(le.Uint32(m[inodeAt:]))]
			le.PutUint32(m[inodeAt:], uint32(own.ino))
			if ok {
				le.PutUint32(m[uidAt:], own.uid)
			}
		}
		return true
	})
}

// sockDiagByFamily is SOCK_DIAG_BY_FAMILY, the type of a socket dump's
// requests and answers.
const sockDiagByFamily = 20

// setInode records that the host socket numbered host is the program's
// socket own; own.ino 0 forgets host.
func (h *Host) setInode(host uint64, own ownSocket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if own.ino == 0 {
		delete(h.inodes, host)
		return
	}
	if h.inodes == nil {
		h.inodes = make(map[uint64]ownSocket)
	}
	h.inodes[host] = own
}

// SetSysctl sets a network sysctl of the host network namespace the
// sockets are made in (NewHostIn's netns); see hostnet.Poller.SetSysctl.
func (h *Host) SetSysctl(key, value string) error { return h.p.SetSysctl(key, value) }

// Register makes h's families AF_INET and AF_INET6 of ns, and the
// interface ioctls ns's sockets take the host's.
func (h *Host) Register(ns *net.Stack) {
	now := clockOf(ns)
	ns.Register(unix.AF_INET, &hostFamily{h: h, domain: unix.AF_INET, now: now})
	ns.Register(unix.AF_INET6, &hostFamily{h: h, domain: unix.AF_INET6, now: now})
	ns.SetDeviceIoctl(h.DeviceIoctl)
}

type hostFamily struct {
	h      *Host
	domain int
	// now is the kernel's realtime clock, for socket timestamps.
	now func() time.Time
}

// Socket implements net.Family with inet_create's checks.
func (f *hostFamily) Socket(ctx net.Context, typ, protocol int) (net.Socket, error) {
	switch typ {
	case unix.SOCK_STREAM:
		if protocol != 0 && protocol != unix.IPPROTO_TCP {
			return nil, unix.EPROTONOSUPPORT
		}
		protocol = unix.IPPROTO_TCP
	case unix.SOCK_DGRAM:
		switch {
		case protocol == 0 || protocol == unix.IPPROTO_UDP:
			protocol = unix.IPPROTO_UDP
		case f.domain == unix.AF_INET && protocol == unix.IPPROTO_ICMP,
			f.domain == unix.AF_INET6 && protocol == unix.IPPROTO_ICMPV6:
			// Ping sockets: the host's ping_group_range decides.
		default:
			return nil, unix.EPROTONOSUPPORT
		}
	case unix.SOCK_RAW:
		if !ctx.Credentials().HasCapability(unix.CAP_NET_RAW) {
			return nil, unix.EPERM
		}
		return nil, unix.ESOCKTNOSUPPORT
	default:
		return nil, unix.ESOCKTNOSUPPORT
	}
	s := &hostSocket{fam: f, typ: typ, protocol: protocol, opts: net.NewOptions(), uid: ctx.Credentials().FSUID}
	hs, err := f.h.p.NewSocket(f.domain, typ, protocol, s.notify)
	if err != nil {
		return nil, err
	}
	s.hs = hs
	return s, nil
}

// Pair implements net.Family: INET has no socketpair.
func (f *hostFamily) Pair(net.Context, int, int) (net.Socket, net.Socket, error) {
	return nil, nil, unix.EOPNOTSUPP
}

// hostSocket is one program socket of the host network.
type hostSocket struct {
	fam      *hostFamily
	typ      int
	protocol int
	opts     *net.Options
	hs       *hostnet.Socket
	q        vfs.WaitQueue
	// edges is which readiness edges the poller takes for the socket.
	edges edgeWatch
	// hostIno is the host socket's inode number, set once by SetFile
	// before the program can use the socket.
	hostIno uint64
	// uid owns the socket (ownSocket.uid), set when it is made.
	uid uint32

	// mu guards the fields below.
	mu sync.Mutex
	// unread is stream data kite took from the host that a receive
	// could not copy to the program (a bad buffer): Linux leaves it
	// queued, so the next receive gets it first.
	unread []byte
	// kept says whether unread holds anything: written under mu, read
	// without it, so that a receive or poll finding nothing kept does
	// not take mu.
	kept atomic.Bool

	// async is O_ASYNC's state.
	async asyncSignals
	// file is the socket's file, whose owner gets SIGURG.
	file atomic.Pointer[vfs.File]
	// urgMu serializes what the urgent flag is decided from: a host
	// poll and the flag's update from it, against a MSG_OOB receive
	// and its clearing of the flag.
	urgMu sync.Mutex
	// urgent is set while the host reports urgent data (POLLPRI).
	// Written with urgMu held, read without it.
	urgent atomic.Bool
}

// Fasync implements vfs.Fasyncer.
func (s *hostSocket) Fasync(f *vfs.File, fd int32, on bool) {
	if on && s.pinEdges() {
		// The host has queued an edge for what was ready already:
		// it goes out while nobody asks for signals, as Linux
		// signals only what comes after.
		s.hs.Flush()
	}
	s.async.list.Fasync(f, fd, on)
	s.async.empty()
}

// edgeWatch is whether the poller takes a host socket's EPOLLIN and
// EPOLLOUT edges (hostnet.Socket.WatchAll). A stream moving data makes
// one for nearly every segment, which wakes the poller's goroutine (on
// loopback, 1 GiB in 64 KiB writes: about 10,000 edges, 7 in 10 with
// nobody waiting). They are needed while a receive or send of the
// socket's own waits for them (watch, unwatch), and always once the
// socket is on a poll, select or epoll (EventRegister), asks for I/O
// signals (Fasync) or has had urgent data (pollUrgent), which pin them:
// those read every edge, and a pinned socket is never turned back.
type edgeWatch struct {
	// mu guards the fields below; it is taken after urgMu and the
	// poller's harvestMu, and the host call is made with it held, so
	// that the host's watch is always the one last decided.
	mu sync.Mutex
	// waiters counts the socket's own waits registered on q.
	waiters int
	// pinned is set for good when all edges are needed whoever waits.
	pinned bool
	// rare is set while the host is told of the rarer edges only.
	rare bool
}

// watch notes a wait of the socket's own registered on q (the caller
// has registered it) and has the poller take all edges. The host queues
// an edge for what is ready already: the waiter, which tries once more
// before it sleeps (wait), may be woken for nothing.
func (s *hostSocket) watch() {
	e := &s.edges
	e.mu.Lock()
	defer e.mu.Unlock()
	e.waiters++
	if e.rare && s.hs.WatchAll(true) == nil {
		e.rare = false
	}
}

// unwatch undoes watch once the wait has left q: with no waiter left and
// nothing pinned, the poller takes the rarer edges only.
func (s *hostSocket) unwatch() {
	e := &s.edges
	e.mu.Lock()
	defer e.mu.Unlock()
	e.waiters--
	if e.waiters == 0 && !e.pinned && !e.rare && s.hs.WatchAll(false) == nil {
		e.rare = true
	}
}

// pinEdges has the poller take all edges for good; it reports whether
// the host had been told of the rarer ones only (it has queued an edge
// for what is ready already, see hostnet.Socket.WatchAll).
func (s *hostSocket) pinEdges() bool {
	e := &s.edges
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pinned = true
	if e.rare {
		if err := s.hs.WatchAll(true); err == nil {
			e.rare = false
			return true
		}
	}
	return false
}

// register registers w on q for mask, as one of the socket's own waits
// (watch); unregister undoes it.
func (s *hostSocket) register(w *net.Waiter, mask uint32) {
	w.Register(&s.q, mask)
	s.watch()
}

func (s *hostSocket) unregister(w *net.Waiter) {
	if w.Registered() {
		w.Unregister()
		s.unwatch()
	}
}

// notify passes the host's readiness edges to the socket's waiters.
func (s *hostSocket) notify(ev uint32) {
	if ev&unix.EPOLLIN != 0 {
		ev |= vfs.PollRdNorm
	}
	if ev&unix.EPOLLOUT != 0 {
		ev |= vfs.PollWrNorm
	}
	if s.stream() && (ev&unix.EPOLLPRI != 0 || ev&unix.EPOLLIN != 0 && s.urgent.Load()) {
		// The edge says what the host reported when the poller took
		// it, which may be before the program read the urgent byte
		// (the poller's goroutine runs late under load): decide from
		// what the host says now.
		s.pollUrgent(unix.POLLIN | unix.POLLPRI)
	}
	// Signals go before the wake-ups: a waiter woken that polls
	// finds this edge's signal sent (asyncSignals.arrived).
	s.async.edge(ev, s.fam.h.p.Gen())
	s.async.event(ev)
	s.q.Notify(ev)
}

// pollUrgent polls the host socket for events and notes urgent data
// from the answer: it sends SIGURG to the owner (sk_send_sigurg) when
// the host first shows urgent data (POLLPRI), once until the mark has
// been read; whichever sees it first sends it, the poller's edge or a
// poll of the program's, so that a program woken by POLLPRI has had its
// signal. (Linux sends it on arrival, in tcp_check_urg, before the byte
// shows as POLLPRI; either is when kite learns of the arrival.) The
// poll, the flag's update and the signal are one step under urgMu: a
// MSG_OOB receive (recvOOB) cannot come between them (a POLLPRI seen
// before the urgent byte was read would otherwise mark the flag again
// after the receive cleared it, and the next urgent byte would get no
// signal), and a poll of the program's that finds the flag already set
// returns only once the signal that set it has been sent.
func (s *hostSocket) pollUrgent(events int16) uint32 {
	s.urgMu.Lock()
	defer s.urgMu.Unlock()
	r := uint32(uint16(s.hs.Poll(events)))
	if r&unix.POLLPRI != 0 {
		if !s.urgent.Swap(true) {
			// The flag is cleared by what the poller's POLLIN
			// edges find (notify): they are needed from now on.
			s.pinEdges()
			if f := s.file.Load(); f != nil && f.SendURG() {
				s.async.list.KillURG()
			}
		}
	} else if r&unix.POLLIN != 0 {
		s.urgent.Store(false)
	}
	return r
}

// recvOOB is the host receive of a MSG_OOB recv: once it takes the
// urgent byte, the next one is new urgent data, with a SIGURG of its
// own. The receive and the flag's clearing are one step under urgMu
// (see pollUrgent).
func (s *hostSocket) recvOOB(buf, oob []byte, flags int) (n, oobn, recvflags int, from unix.Sockaddr, err error) {
	s.urgMu.Lock()
	defer s.urgMu.Unlock()
	n, oobn, recvflags, from, err = s.hs.Recv(buf, oob, flags)
	if err == nil && (n > 0 || recvflags&unix.MSG_OOB != 0) {
		// Taken (into no room too: MSG_TRUNC).
		s.urgent.Store(false)
	}
	return n, oobn, recvflags, from, err
}

func (s *hostSocket) stream() bool { return s.typ == unix.SOCK_STREAM }

// Info implements net.Socket.
func (s *hostSocket) Info() (int, int, int) { return s.fam.domain, s.typ, s.protocol }

// Options implements net.Socket.
func (s *hostSocket) Options() *net.Options { return s.opts }

// SetFile implements net.Socket: the host network's socket lists show
// the socket with its kite inode number ino.
func (s *hostSocket) SetFile(f *vfs.File, ino uint64) {
	s.file.Store(f)
	if hino, err := s.hs.Inode(); err == nil {
		s.hostIno = hino
		s.fam.h.setInode(hino, ownSocket{ino: ino, uid: s.uid})
	}
}

// Readiness implements vfs.Waitable: the host socket's.
func (s *hostSocket) Readiness(mask uint32) uint32 {
	events := int16(mask | unix.POLLIN | unix.POLLOUT | unix.POLLRDHUP | unix.POLLPRI)
	var r uint32
	if s.stream() {
		r = s.pollUrgent(events)
	} else {
		r = uint32(uint16(s.hs.Poll(events)))
	}
	if s.kept.Load() {
		r |= unix.POLLIN
	}
	if r&unix.POLLIN == 0 {
		s.async.empty()
	}
	if r&unix.POLLIN != 0 {
		r |= vfs.PollRdNorm
	}
	if r&unix.POLLOUT != 0 {
		r |= vfs.PollWrNorm
	}
	return r & (mask | unix.POLLERR | unix.POLLHUP)
}

// EventRegister implements vfs.Waitable. Polls, selects and epolls read
// every edge: the socket's are pinned (edgeWatch) before the entry is
// registered, so that the edge the host queues for what is ready already
// goes mostly to nobody (it may come after the registration: the entry
// is then told of readiness it has seen).
func (s *hostSocket) EventRegister(e *vfs.WaitEntry) {
	s.pinEdges()
	s.q.EventRegister(e)
}

// EventUnregister implements vfs.Waitable.
func (s *hostSocket) EventUnregister(e *vfs.WaitEntry) { s.q.EventUnregister(e) }

// Release implements net.Socket.
func (s *hostSocket) Release(net.Context) {
	if s.hostIno != 0 {
		s.fam.h.setInode(s.hostIno, ownSocket{})
	}
	s.hs.Close()
}

// hostAddr decodes a program's address for the host: the checks are
// decodeAddr's; the result is x/sys's form.
func (s *hostSocket) hostAddr(b []byte) (unix.Sockaddr, error) {
	a, err := decodeAddr(s.fam.domain, b)
	if err != nil {
		return nil, err
	}
	if s.fam.domain == unix.AF_INET {
		sa := &unix.SockaddrInet4{Port: int(a.Port)}
		if a.Addr.Len() == 4 {
			sa.Addr = a.Addr.As4()
		}
		return sa, nil
	}
	sa := &unix.SockaddrInet6{Port: int(a.Port), ZoneId: uint32(a.NIC)}
	if a.Addr.Len() == 16 {
		sa.Addr = a.Addr.As16()
	}
	return sa, nil
}

// progAddr encodes a host address as the program's socket reports it.
func (s *hostSocket) progAddr(sa unix.Sockaddr) []byte {
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		if s.fam.domain == unix.AF_INET6 {
			b := make([]byte, sockaddrIn6Len)
			binary.LittleEndian.PutUint16(b, unix.AF_INET6)
			binary.BigEndian.PutUint16(b[2:], uint16(a.Port))
			b[18], b[19] = 0xff, 0xff
			copy(b[20:], a.Addr[:])
			return b
		}
		b := make([]byte, sockaddrInLen)
		binary.LittleEndian.PutUint16(b, unix.AF_INET)
		binary.BigEndian.PutUint16(b[2:], uint16(a.Port))
		copy(b[4:], a.Addr[:])
		return b
	case *unix.SockaddrInet6:
		b := make([]byte, sockaddrIn6Len)
		binary.LittleEndian.PutUint16(b, unix.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], uint16(a.Port))
		copy(b[8:], a.Addr[:])
		binary.LittleEndian.PutUint32(b[24:], a.ZoneId)
		return b
	}
	return nil
}

// Bind implements net.Socket.
func (s *hostSocket) Bind(ctx net.Context, b []byte) error {
	fam, err := addrFamily(b)
	if err != nil {
		return err
	}
	if s.fam.domain == unix.AF_INET && fam == unix.AF_UNSPEC && len(b) >= sockaddrInLen {
		if b[4]|b[5]|b[6]|b[7] != 0 {
			return unix.EAFNOSUPPORT
		}
		b = append([]byte{unix.AF_INET, 0}, b[2:]...)
	}
	sa, err := s.hostAddr(b)
	if err != nil {
		return err
	}
	port := binary.BigEndian.Uint16(b[2:])
	if port != 0 && port < 1024 && !ctx.Credentials().HasCapability(unix.CAP_NET_BIND_SERVICE) {
		return unix.EACCES
	}
	return s.hs.Bind(sa)
}

// Listen implements net.Socket.
func (s *hostSocket) Listen(ctx net.Context, backlog int) error {
	return s.hs.Listen(backlog)
}

// wait waits for events on the socket; the caller has tried once since
// registering w.
func (s *hostSocket) wait(ctx net.Context, w *net.Waiter, mask uint32, d net.Deadline) (bool, error) {
	if !w.Registered() {
		s.register(w, mask|unix.POLLERR|unix.POLLHUP)
		return true, nil
	}
	return true, w.Wait(ctx, d)
}

// Accept implements net.Socket.
func (s *hostSocket) Accept(ctx net.Context, nonblock bool, d net.Deadline) (net.Socket, error) {
	if !s.async.list.Empty() {
		// A connection's edge signals before the accept takes it,
		// as a receive's (RecvMsg).
		s.hs.Flush()
	}
	var w net.Waiter
	defer s.unregister(&w)
	for {
		ns := &hostSocket{fam: s.fam, typ: s.typ, protocol: s.protocol, opts: s.opts.Clone(), uid: ctx.Credentials().FSUID}
		hs, _, err := s.hs.Accept(ns.notify)
		if err == nil {
			ns.hs = hs
			return ns, nil
		}
		if err != unix.EAGAIN {
			return nil, err
		}
		if nonblock {
			return nil, unix.EAGAIN
		}
		if _, err := s.wait(ctx, &w, unix.POLLIN, d); err != nil {
			return nil, err
		}
	}
}

// Connect implements net.Socket: a blocking connect waits in kite for
// the handshake (and goes on waiting when restarted after a signal, as
// Linux does); a timeout gives EINPROGRESS.
func (s *hostSocket) Connect(ctx net.Context, b []byte, nonblock bool, d net.Deadline) error {
	fam, err := addrFamily(b)
	if err != nil {
		return err
	}
	if fam == unix.AF_UNSPEC {
		return s.disconnect()
	}
	if s.fam.domain == unix.AF_INET6 && fam == unix.AF_INET && !s.stream() && len(b) >= sockaddrInLen {
		m := make([]byte, sockaddrIn6Len)
		m[0] = unix.AF_INET6
		copy(m[2:4], b[2:4])
		m[18], m[19] = 0xff, 0xff
		copy(m[20:24], b[4:8])
		b = m
	}
	sa, err := s.hostAddr(b)
	if err != nil {
		return err
	}
	if s.stream() {
		s.async.connecting.Store(true)
	}
	err = s.hs.Connect(sa)
	if !s.stream() || (err != unix.EINPROGRESS && err != unix.EALREADY) {
		s.async.connecting.Store(false)
		return err
	}
	if nonblock {
		return err
	}
	var w net.Waiter
	s.register(&w, unix.POLLOUT|unix.POLLERR|unix.POLLHUP)
	defer s.unregister(&w)
	for s.hs.Poll(unix.POLLOUT)&(unix.POLLOUT|unix.POLLERR|unix.POLLHUP) == 0 {
		if err := w.Wait(ctx, d); err != nil {
			if err == unix.EAGAIN {
				return unix.EINPROGRESS
			}
			return err
		}
	}
	// Connecting again says how it ended: 0 once connected (the
	// host's socket becomes connected for good, so that a later
	// connect is EISCONN), or the error, which it consumes as Linux's
	// connect clears sk_err.
	return s.hs.Connect(sa)
}

// disconnect is connect(AF_UNSPEC): the host's (udp_disconnect forgets
// a datagram socket's peer and gives up an automatic port;
// tcp_disconnect aborts a stream with a reset, drops what it had
// received and leaves it unconnected, a listener no longer listening).
// The stream data kite had taken from the host and kept goes with the
// host's.
func (s *hostSocket) disconnect() error {
	if err := s.hs.Disconnect(); err != nil {
		return err
	}
	if s.stream() {
		s.mu.Lock()
		s.unread = nil
		s.keptChangedLocked()
		s.mu.Unlock()
		s.async.connecting.Store(false)
		s.urgMu.Lock()
		s.urgent.Store(false)
		s.urgMu.Unlock()
	}
	return nil
}

// keptChangedLocked sets kept after unread changed.
//
// Preconditions: s.mu is held.
func (s *hostSocket) keptChangedLocked() {
	s.kept.Store(len(s.unread) > 0)
}

// Shutdown implements net.Socket.
func (s *hostSocket) Shutdown(ctx net.Context, how int) error { return s.hs.Shutdown(how) }

// Name implements net.Socket.
func (s *hostSocket) Name(net.Context) ([]byte, error) {
	sa, err := s.hs.Name()
	if err != nil {
		return nil, err
	}
	return s.progAddr(sa), nil
}

// PeerName implements net.Socket.
func (s *hostSocket) PeerName(net.Context) ([]byte, error) {
	sa, err := s.hs.PeerName()
	if err != nil {
		return nil, err
	}
	return s.progAddr(sa), nil
}

// hostChunk bounds one host send or receive of a stream.
const hostChunk = 256 << 10

// maxDatagram bounds a datagram kite passes to the host (IPv6's largest
// payload without jumbograms).
const maxDatagram = 65535

// sendFlags are the MSG_* flags passed to the host.
const sendFlags = unix.MSG_OOB | unix.MSG_DONTROUTE | unix.MSG_MORE | unix.MSG_EOR | unix.MSG_CONFIRM

// SendMsg implements net.Socket.
func (s *hostSocket) SendMsg(ctx net.Context, req *net.SendRequest) (int64, error) {
	flags := req.Flags
	nonblock := req.Nonblock || flags&unix.MSG_DONTWAIT != 0
	var to unix.Sockaddr
	if req.To != nil && !s.stream() {
		fam, err := addrFamily(req.To)
		if err != nil {
			return 0, err
		}
		if s.fam.domain == unix.AF_INET6 && fam == unix.AF_INET {
			return 0, unix.EAFNOSUPPORT
		}
		if !(fam == unix.AF_UNSPEC && s.fam.domain == unix.AF_INET) {
			if to, err = s.hostAddr(req.To); err != nil {
				return 0, err
			}
		}
	}
	var oob []byte
	if !s.stream() && len(req.Control.Proto) > 0 {
		// TCP ignores IP-level control messages, as Linux's.
		var err error
		if oob, err = s.hostSendControl(ctx, req.Control.Proto, to); err != nil {
			return 0, err
		}
	}
	if s.stream() && req.User != nil && req.Len > 0 {
		return s.sendPinned(ctx, req, flags, nonblock)
	}
	size := req.Len
	if s.stream() {
		size = min(size, hostChunk)
	} else if size > maxDatagram {
		return 0, unix.EMSGSIZE
	}
	bp := s.fam.h.bufs.Get().(*[]byte)
	defer s.fam.h.bufs.Put(bp)
	buf := (*bp)[:size]
	var done int64
	var pending []byte
	var w net.Waiter
	defer s.unregister(&w)
	for {
		if len(pending) == 0 {
			left := req.Len - done
			if done > 0 && left == 0 {
				return done, nil
			}
			n, err := req.Source(buf[:min(int64(len(buf)), left)])
			if n == 0 && err != nil {
				if done > 0 {
					return done, nil
				}
				return 0, err
			}
			pending = buf[:n]
		}
		n, err := s.hs.Send(pending, oob, to, flags&sendFlags)
		if err == nil {
			done += int64(n)
			pending = pending[n:]
			if !s.stream() || done == req.Len {
				return done, nil
			}
			continue
		}
		if again, err := s.sendFailed(ctx, &w, err, done > 0, flags, nonblock, req.Deadline); !again {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// sendFailed is what a send that has sent some bytes (sent) or none
// does when the host says err: again after a wait for room, or else the
// error to give when nothing was sent (a SIGPIPE sent with EPIPE).
func (s *hostSocket) sendFailed(ctx net.Context, w *net.Waiter, err error, sent bool, flags int, nonblock bool, d net.Deadline) (again bool, _ error) {
	if err != unix.EAGAIN {
		if !sent && err == unix.EPIPE && s.stream() && flags&unix.MSG_NOSIGNAL == 0 {
			net.SendSIGPIPE(ctx)
		}
		return false, err
	}
	s.async.nospace.Store(true)
	if nonblock {
		return false, unix.EAGAIN
	}
	if _, err := s.wait(ctx, w, unix.POLLOUT, d); err != nil {
		return false, err
	}
	return true, nil
}

// sendPinned is SendMsg on a stream from the program's buffer of a
// write(2): the host socket takes the bytes from its pages in place
// (sendmsg over the memory file's views of them), hostChunk at a time,
// without a copy through a kite buffer. The pin is let go before any
// wait.
func (s *hostSocket) sendPinned(ctx net.Context, req *net.SendRequest, flags int, nonblock bool) (int64, error) {
	var done int64
	var w net.Waiter
	defer s.unregister(&w)
	for done < req.Len {
		views, unpin, err := req.User.Pin(done, min(req.Len-done, hostChunk), false)
		n := 0
		if len(views) > 0 {
			// A buffer that faults part way sends what comes
			// before; the next pin reports the fault.
			n, err = s.hs.SendBuffers(views, flags&sendFlags)
		}
		unpin()
		if err == nil {
			done += int64(n)
			continue
		}
		if again, err := s.sendFailed(ctx, &w, err, done > 0, flags, nonblock, req.Deadline); !again {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
	return done, nil
}

// recvFlags are the MSG_* flags passed to the host.
const recvFlags = unix.MSG_OOB | unix.MSG_PEEK | unix.MSG_TRUNC

// RecvMsg implements net.Socket.
func (s *hostSocket) RecvMsg(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	if !s.async.list.Empty() {
		// An arrival's edge signals before the receive takes what it
		// was about: the host drops an edge whose readiness is gone
		// by the time the poller takes it (see asyncSignals.took).
		s.hs.Flush()
	}
	r, err := s.recvMsg(ctx, req)
	if req.Flags&(unix.MSG_ERRQUEUE|unix.MSG_OOB|unix.MSG_PEEK) == 0 && !s.async.list.Empty() {
		switch {
		case err == unix.EAGAIN:
			s.async.empty()
		case err != nil, s.stream() && req.Len == 0:
		default:
			s.async.took(s.stream(), s.stream() && r.N < req.Len, s.fam.h.p.Gen())
		}
	}
	return r, err
}

func (s *hostSocket) recvMsg(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	flags := req.Flags
	if flags&unix.MSG_ERRQUEUE != 0 {
		return s.recvErrQueue(req)
	}
	nonblock := req.Nonblock || flags&unix.MSG_DONTWAIT != 0
	peek := flags&unix.MSG_PEEK != 0
	waitall := s.stream() && flags&unix.MSG_WAITALL != 0 && !peek
	hflags := flags & recvFlags
	size := req.Len
	if s.stream() {
		size = min(size, hostChunk)
	} else {
		// The host says how long the datagram was.
		hflags |= unix.MSG_TRUNC
		size = min(size, maxDatagram)
	}
	if s.stream() && req.User != nil && flags&(unix.MSG_OOB|unix.MSG_TRUNC) == 0 {
		return s.recvPinned(ctx, req, flags, nonblock)
	}
	bp := s.fam.h.bufs.Get().(*[]byte)
	defer s.fam.h.bufs.Put(bp)
	buf := (*bp)[:max(size, 0)]
	// A datagram's control messages go after its largest size in
	// the pool's buffer.
	var oob []byte
	if !s.stream() {
		oob = (*bp)[maxDatagram : maxDatagram+recvControlLen]
	}
	var done int64
	if s.stream() && flags&unix.MSG_OOB == 0 {
		n, err := s.takeUnread(req.Len, req.Sink, peek)
		if err != nil || n > 0 && (!waitall || n == req.Len) {
			return net.RecvResult{N: n}, err
		}
		done = n
	}
	var w net.Waiter
	defer s.unregister(&w)
	for {
		want := min(int64(len(buf)), req.Len-done)
		var n, oobn, rflags int
		var from unix.Sockaddr
		var err error
		if flags&unix.MSG_OOB != 0 && !peek && s.stream() {
			n, oobn, rflags, from, err = s.recvOOB(buf[:want], oob, hflags)
		} else {
			n, oobn, rflags, from, err = s.hs.Recv(buf[:want], oob, hflags)
		}
		if err == nil {
			if !s.stream() {
				got := min(int64(n), want)
				if got > 0 {
					if c, err := req.Sink(buf[:got]); err != nil {
						return net.RecvResult{N: int64(c)}, err
					}
				}
				r := net.RecvResult{N: got, Flags: rflags & (unix.MSG_TRUNC | unix.MSG_EOR)}
				s.stamp(&r)
				r.Control.Proto = hostRecvControl(oob[:oobn])
				if from != nil {
					r.From = s.progAddr(from)
				}
				if flags&unix.MSG_TRUNC != 0 {
					r.N = int64(n)
				}
				return r, nil
			}
			if n > 0 && flags&unix.MSG_TRUNC == 0 {
				c, err := req.Sink(buf[:n])
				done += int64(c)
				if err != nil {
					if !peek && flags&unix.MSG_OOB == 0 {
						s.keepUnread(buf[c:n])
					}
					if done > 0 {
						return net.RecvResult{N: done}, nil
					}
					return net.RecvResult{}, err
				}
			} else {
				done += int64(n)
			}
			if n > 0 && !peek && done < req.Len && (waitall || int64(n) == want) {
				continue
			}
			r := net.RecvResult{N: done, Flags: rflags & unix.MSG_OOB}
			if flags&unix.MSG_OOB != 0 {
				// tcp_recv_urg into no room: MSG_TRUNC.
				r.Flags |= rflags & unix.MSG_TRUNC
			}
			if done > 0 {
				s.stamp(&r)
			}
			return r, nil
		}
		if again, err := s.recvFailed(ctx, &w, err, done > 0, waitall, nonblock || flags&unix.MSG_OOB != 0, req.Deadline); !again {
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			return net.RecvResult{}, err
		}
	}
}

// recvPinned is RecvMsg on a stream into the program's buffer of a
// read(2) (without MSG_OOB or MSG_TRUNC): the host socket puts the bytes
// in its pages in place (recvmsg over the memory file's views of them),
// without a copy through a kite buffer. The pin is let go before any
// wait.
func (s *hostSocket) recvPinned(ctx net.Context, req *net.RecvRequest, flags int, nonblock bool) (net.RecvResult, error) {
	peek := flags&unix.MSG_PEEK != 0
	waitall := flags&unix.MSG_WAITALL != 0 && !peek
	ub := req.User
	var done int64
	if s.kept.Load() {
		var err error
		done, err = s.takeUnread(req.Len, func(b []byte) (int, error) { return ub.CopyOut(0, b) }, peek)
		if err != nil || done > 0 && (!waitall || done == req.Len) {
			return net.RecvResult{N: done}, err
		}
	}
	var w net.Waiter
	defer s.unregister(&w)
	for {
		views, unpin, _ := ub.Pin(done, min(req.Len-done, hostChunk), true)
		if len(views) == 0 {
			unpin()
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			// The buffer faults at its start: the buffered path
			// has the host's answer first (0 at the end of the
			// stream) and keeps the data the program could not
			// take.
			r := *req
			r.User = nil
			// Its sink advances: it may be called more than once
			// where CopyOut succeeds though Pin did not.
			var at int64
			r.Sink = func(b []byte) (int, error) {
				n, err := ub.CopyOut(at, b)
				at += int64(n)
				return n, err
			}
			return s.recvMsg(ctx, &r)
		}
		// The host takes at most MaxBuffers of them at a time.
		views = views[:min(len(views), hostnet.MaxBuffers)]
		pinned := 0
		for _, v := range views {
			pinned += len(v)
		}
		n, _, err := s.hs.RecvBuffers(views, flags&recvFlags)
		unpin()
		if err == nil {
			done += int64(n)
			if n > 0 && !peek && done < req.Len && (waitall || n == pinned) {
				continue
			}
			r := net.RecvResult{N: done}
			if done > 0 {
				s.stamp(&r)
			}
			return r, nil
		}
		if again, err := s.recvFailed(ctx, &w, err, done > 0, waitall, nonblock, req.Deadline); !again {
			if done > 0 {
				return net.RecvResult{N: done}, nil
			}
			return net.RecvResult{}, err
		}
	}
}

// recvFailed is what a receive that has some bytes (got) or none
// does when the host says err: again after a wait for data, or else the
// error to give when it has none.
func (s *hostSocket) recvFailed(ctx net.Context, w *net.Waiter, err error, got, waitall, nonblock bool, d net.Deadline) (again bool, _ error) {
	if err != unix.EAGAIN || got && !waitall {
		return false, err
	}
	if nonblock {
		return false, unix.EAGAIN
	}
	if _, err := s.wait(ctx, w, unix.POLLIN|unix.POLLRDHUP, d); err != nil {
		return false, err
	}
	return true, nil
}

// takeUnread gives a receive of up to n bytes the data an earlier one
// could not copy, through sink.
func (s *hostSocket) takeUnread(n int64, sink func([]byte) (int, error), peek bool) (int64, error) {
	if !s.kept.Load() {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.unread) == 0 {
		return 0, nil
	}
	n = min(int64(len(s.unread)), n)
	c, err := sink(s.unread[:n])
	if !peek {
		s.unread = s.unread[c:]
		s.keptChangedLocked()
	}
	if c == 0 && err != nil {
		return 0, err
	}
	return int64(c), nil
}

// keepUnread puts data the program did not take in front of the stream.
func (s *hostSocket) keepUnread(b []byte) {
	s.mu.Lock()
	s.unread = append(append([]byte(nil), b...), s.unread...)
	s.keptChangedLocked()
	s.mu.Unlock()
	s.q.Notify(unix.POLLIN | vfs.PollRdNorm)
}

// Ioctl implements net.Socket: SIOCINQ, SIOCOUTQ and SIOCATMARK.
func (s *hostSocket) Ioctl(ctx net.Context, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case unix.SIOCINQ, unix.SIOCOUTQ, unix.SIOCATMARK:
	default:
		return 0, unix.ENOTTY
	}
	v, err := s.hs.Queued(uint(cmd))
	if err != nil {
		return 0, err
	}
	if cmd == unix.SIOCINQ {
		s.mu.Lock()
		v += len(s.unread)
		s.mu.Unlock()
	}
	if _, err := io.CopyOut(arg, putInt(int32(v))); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// stamp adds the receive time SO_TIMESTAMP and its kin ask for: when
// kite took the data from the host.
func (s *hostSocket) stamp(r *net.RecvResult) {
	tt, st := s.opts.StampTypes()
	if tt != 0 || st != 0 {
		r.Control.StampType, r.Control.StampingType = tt, st
		r.Control.Stamp = s.fam.now()
	}
}

// errQueueControl bounds the control messages of one error-queue
// message kite takes from the host (sock_extended_err with its
// offender, SCM_TIMESTAMPING, and what SOF_TIMESTAMPING_OPT_CMSG and
// OPT_STATS add).
const errQueueControl = 1024

// recvErrQueue is recvmsg(MSG_ERRQUEUE): the host socket's oldest
// error-queue message (an ICMP error with IP_RECVERR, a transmit
// timestamp with SO_TIMESTAMPING), its data, address and control
// messages as the host gives them; EAGAIN when there is none (it never
// waits).
func (s *hostSocket) recvErrQueue(req *net.RecvRequest) (net.RecvResult, error) {
	buf := make([]byte, min(max(req.Len, 0), maxDatagram))
	oob := make([]byte, errQueueControl)
	n, oobn, rflags, from, err := s.hs.Recv(buf, oob, unix.MSG_ERRQUEUE|req.Flags&unix.MSG_PEEK)
	if err != nil {
		return net.RecvResult{}, err
	}
	r := net.RecvResult{Flags: rflags & (unix.MSG_ERRQUEUE | unix.MSG_TRUNC)}
	if n > 0 {
		c, err := req.Sink(buf[:n])
		if err != nil {
			return net.RecvResult{}, err
		}
		r.N = int64(c)
	}
	if from != nil {
		r.From = s.progAddr(from)
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return r, nil
	}
	for _, m := range msgs {
		r.Control.Proto = append(r.Control.Proto, net.Cmsg{Level: m.Header.Level, Type: m.Header.Type, Data: m.Data})
	}
	return r, nil
}
