package netlink

import (
	"encoding/binary"
	"math/bits"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// Link is one network interface as RTM_NEWLINK shows it.
type Link struct {
	Index  int32
	Name   string
	Type   uint16 // ARPHRD_*
	Flags  uint32 // IFF_*
	MTU    uint32
	HWAddr []byte
	// Broadcast is the link-layer broadcast address.
	Broadcast []byte
	TxQLen    uint32
	// Qdisc is the queueing discipline's name ("noop" for a link that
	// was never up).
	Qdisc string
}

// Addr is one interface address as RTM_NEWADDR shows it.
type Addr struct {
	Family    int // AF_INET, AF_INET6
	PrefixLen uint8
	Scope     uint8 // RT_SCOPE_*
	Index     int32
	Addr      []byte
	Label     string
	// Secondary is an IPv4 address in the subnet of an earlier one
	// (IFA_F_SECONDARY).
	Secondary bool
}

// Route is one route as RTM_NEWROUTE shows it.
type Route struct {
	Family   int
	DstLen   uint8
	Table    uint8 // RT_TABLE_*
	Protocol uint8 // RTPROT_*
	Scope    uint8
	Type     uint8 // RTN_*
	Dst      []byte
	PrefSrc  []byte
	// Gateway is the next hop, nil for a directly reached network.
	Gateway  []byte
	OIF      int32
	Priority uint32
}

// Interfaces is the network stack's view netlink shows.
type Interfaces interface {
	Links() []Link
	Addrs() []Addr
	Routes() []Route
	// SetLinkUp brings the link index up or down (ENODEV when there is
	// none).
	SetLinkUp(index int32, up bool) error
	// AddAddr adds an address (Family, PrefixLen, Index, Addr) to its
	// link: EEXIST if the link has it, ENODEV without the link, EINVAL
	// for a malformed one.
	AddAddr(a Addr) error
	// DelAddr removes one: EADDRNOTAVAIL if the link has no such
	// address.
	DelAddr(a Addr) error
}

// Family is AF_NETLINK for one network stack.
type Family struct {
	ifs Interfaces
	// stack is the socket layer f is registered in: its namespace's
	// ids of other namespaces (nsid.go).
	stack *net.Stack

	// mu guards the fields below.
	mu sync.Mutex
	// ports are the port ids in use, per protocol.
	ports map[portKey]bool
	// socks are the open sockets (NETLINK_DIAG lists the bound ones).
	socks map[*socket]struct{}
	diag  Diag
	// host answers for the host's network (SetHost).
	host HostQuery
}

// New returns the AF_NETLINK family showing ifs.
func New(ifs Interfaces) *Family {
	return &Family{ifs: ifs, ports: make(map[portKey]bool), socks: make(map[*socket]struct{})}
}

// Register makes f the AF_NETLINK family of ns.
func (f *Family) Register(ns *net.Stack) {
	f.stack = ns
	ns.Register(unix.AF_NETLINK, f)
}

// Socket implements net.Family.
func (f *Family) Socket(ctx net.Context, typ, protocol int) (net.Socket, error) {
	if typ != unix.SOCK_RAW && typ != unix.SOCK_DGRAM {
		return nil, unix.ESOCKTNOSUPPORT
	}
	switch protocol {
	case unix.NETLINK_ROUTE, unix.NETLINK_KOBJECT_UEVENT, unix.NETLINK_SOCK_DIAG:
	default:
		return nil, unix.EPROTONOSUPPORT
	}
	s := &socket{fam: f, typ: typ, protocol: protocol, opts: net.NewOptions()}
	f.mu.Lock()
	f.socks[s] = struct{}{}
	f.mu.Unlock()
	return s, nil
}

// Pair implements net.Family.
func (f *Family) Pair(net.Context, int, int) (net.Socket, net.Socket, error) {
	return nil, nil, unix.EOPNOTSUPP
}

// portKey is a port id of a protocol: each protocol has its own.
type portKey struct {
	protocol int
	port     uint32
}

// assignPort gives a socket of protocol its port id as netlink_autobind:
// the process id first, then negative numbers counting down.
func (f *Family) assignPort(protocol int, tgid int32, want uint32) (uint32, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if want != 0 {
		if f.ports[portKey{protocol, want}] {
			return 0, unix.EADDRINUSE
		}
		f.ports[portKey{protocol, want}] = true
		return want, nil
	}
	p := uint32(tgid)
	for n := int32(-4096); f.ports[portKey{protocol, p}]; n-- {
		p = uint32(n)
	}
	f.ports[portKey{protocol, p}] = true
	return p, nil
}

func (f *Family) releasePort(protocol int, p uint32) {
	f.mu.Lock()
	delete(f.ports, portKey{protocol, p})
	f.mu.Unlock()
}

// sockaddrNlLen is sizeof(struct sockaddr_nl).
const sockaddrNlLen = 12

func encodeNl(pid, groups uint32) []byte {
	b := make([]byte, sockaddrNlLen)
	binary.LittleEndian.PutUint16(b, unix.AF_NETLINK)
	binary.LittleEndian.PutUint32(b[4:], pid)
	binary.LittleEndian.PutUint32(b[8:], groups)
	return b
}

// socket is one netlink socket.
type socket struct {
	fam      *Family
	typ      int
	protocol int
	opts     *net.Options
	q        vfs.WaitQueue

	// mu guards the fields below.
	mu     sync.Mutex
	port   uint32
	bound  bool
	groups uint32
	recvq  [][]byte
	// sockopts holds the SOL_NETLINK flags set (NETLINK_EXT_ACK...).
	sockopts map[int]int32
	// ino is the socket's inode number (NETLINK_DIAG).
	ino uint64
	// connected, dstPort and dstGroup are what connect set (Linux's
	// NETLINK_CONNECTED state, dst_portid and dst_group).
	connected         bool
	dstPort, dstGroup uint32
}

// Info implements net.Socket.
func (s *socket) Info() (int, int, int) { return unix.AF_NETLINK, s.typ, s.protocol }

// Options implements net.Socket.
func (s *socket) Options() *net.Options { return s.opts }

// SetFile implements net.Socket: the inode number is for NETLINK_DIAG.
func (s *socket) SetFile(_ *vfs.File, ino uint64) {
	s.mu.Lock()
	s.ino = ino
	s.mu.Unlock()
}

// Readiness implements vfs.Waitable.
func (s *socket) Readiness(mask uint32) uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := uint32(unix.POLLOUT | vfs.PollWrNorm)
	if len(s.recvq) > 0 {
		r |= unix.POLLIN | vfs.PollRdNorm
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (s *socket) EventRegister(e *vfs.WaitEntry) { s.q.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (s *socket) EventUnregister(e *vfs.WaitEntry) { s.q.EventUnregister(e) }

// Release implements net.Socket.
func (s *socket) Release(net.Context) {
	s.fam.mu.Lock()
	delete(s.fam.socks, s)
	s.fam.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bound {
		s.fam.releasePort(s.protocol, s.port)
		s.bound = false
	}
}

// autobind gives s a port id if it has none.
//
// Preconditions: s.mu is held.
func (s *socket) autobind(ctx net.Context, want uint32) error {
	if s.bound {
		if want != 0 && want != s.port {
			return unix.EINVAL
		}
		return nil
	}
	p, err := s.fam.assignPort(s.protocol, ctx.ThreadGroupID(), want)
	if err != nil {
		return err
	}
	s.port, s.bound = p, true
	return nil
}

// decodeNl checks a sockaddr_nl.
func decodeNl(b []byte) (pid, groups uint32, err error) {
	if len(b) < sockaddrNlLen {
		return 0, 0, unix.EINVAL
	}
	if binary.LittleEndian.Uint16(b) != unix.AF_NETLINK {
		return 0, 0, unix.EINVAL
	}
	return binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:]), nil
}

// Bind implements net.Socket.
func (s *socket) Bind(ctx net.Context, b []byte) error {
	pid, groups, err := decodeNl(b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.autobind(ctx, pid); err != nil {
		return err
	}
	s.groups = groups
	return nil
}

// Listen implements net.Socket.
func (s *socket) Listen(net.Context, int) error { return unix.EOPNOTSUPP }

// Accept implements net.Socket.
func (s *socket) Accept(net.Context, bool, net.Deadline) (net.Socket, error) {
	return nil, unix.EOPNOTSUPP
}

// Connect implements net.Socket: only the kernel (port 0) is a peer.
func (s *socket) Connect(ctx net.Context, b []byte, _ bool, _ net.Deadline) error {
	if len(b) >= 2 && binary.LittleEndian.Uint16(b) == unix.AF_UNSPEC {
		s.mu.Lock()
		s.connected, s.dstPort, s.dstGroup = false, 0, 0
		s.mu.Unlock()
		return nil
	}
	pid, groups, err := decodeNl(b)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.autobind(ctx, 0); err != nil {
		return err
	}
	s.connected, s.dstPort, s.dstGroup = true, pid, uint32(bits.TrailingZeros32(groups)+1)%33
	return nil
}

// Shutdown implements net.Socket.
func (s *socket) Shutdown(net.Context, int) error { return nil }

// Name implements net.Socket.
func (s *socket) Name(net.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return encodeNl(s.port, s.groups), nil
}

// PeerName implements net.Socket: the kernel.
func (s *socket) PeerName(net.Context) ([]byte, error) { return encodeNl(0, 0), nil }

// SendMsg implements net.Socket: the request is answered at once.
func (s *socket) SendMsg(ctx net.Context, req *net.SendRequest) (int64, error) {
	if req.To != nil {
		pid, _, err := decodeNl(req.To)
		if err != nil {
			return 0, err
		}
		if pid != 0 {
			// Messages to other user sockets are not carried.
			return 0, unix.ECONNREFUSED
		}
	}
	if req.Len > 1<<20 {
		return 0, unix.EMSGSIZE
	}
	b := make([]byte, req.Len)
	n, err := req.Source(b)
	if err != nil {
		return 0, err
	}
	b = b[:n]
	s.mu.Lock()
	if err := s.autobind(ctx, 0); err != nil {
		s.mu.Unlock()
		return 0, err
	}
	port := s.port
	s.mu.Unlock()
	if s.protocol != unix.NETLINK_ROUTE && s.protocol != unix.NETLINK_SOCK_DIAG {
		return int64(n), nil
	}
	var out []byte
	Messages(b, func(_ int, m []byte) bool {
		h, payload := decodeHdr(m), m[unix.NLMSG_HDRLEN:]
		if r, ok := s.askHost(h, payload, port); ok {
			out = append(out, r...)
		} else if s.protocol == unix.NETLINK_SOCK_DIAG {
			out = append(out, s.handleDiag(ctx, h, payload, port)...)
		} else {
			out = append(out, s.handle(ctx, h, payload, port)...)
		}
		return true
	})
	if len(out) > 0 {
		s.mu.Lock()
		s.recvq = append(s.recvq, out)
		s.mu.Unlock()
		s.q.Notify(unix.POLLIN | vfs.PollRdNorm)
	}
	return int64(n), nil
}

// RecvMsg implements net.Socket: one queued datagram.
func (s *socket) RecvMsg(ctx net.Context, req *net.RecvRequest) (net.RecvResult, error) {
	nonblock := req.Nonblock || req.Flags&unix.MSG_DONTWAIT != 0
	var w net.Waiter
	defer w.Unregister()
	for {
		s.mu.Lock()
		if len(s.recvq) > 0 {
			d := s.recvq[0]
			// A long answer (a dump) comes in parts of whole
			// messages, as Linux's netlink_dump fills one buffer of
			// NLMSG_GOODSIZE, or of the receive's size up to 32 KiB,
			// at a time.
			limit := max(goodSize, min(req.Len, maxPart))
			part := wholeMessages(d, int(limit))
			if req.Flags&unix.MSG_PEEK == 0 {
				if part < len(d) {
					s.recvq[0] = d[part:]
				} else {
					s.recvq = s.recvq[1:]
				}
			}
			d = d[:part]
			s.mu.Unlock()
			n := min(int64(len(d)), req.Len)
			if n > 0 {
				if _, err := req.Sink(d[:n]); err != nil {
					return net.RecvResult{}, err
				}
			}
			r := net.RecvResult{N: n, From: encodeNl(0, 0)}
			if int64(len(d)) > n {
				r.Flags |= unix.MSG_TRUNC
				if req.Flags&unix.MSG_TRUNC != 0 {
					r.N = int64(len(d))
				}
			}
			return r, nil
		}
		s.mu.Unlock()
		if nonblock {
			return net.RecvResult{}, unix.EAGAIN
		}
		if !w.Registered() {
			w.Register(&s.q, unix.POLLIN)
			continue
		}
		if err := w.Wait(ctx, req.Deadline); err != nil {
			return net.RecvResult{}, err
		}
	}
}

// The sizes of a dump's parts: NLMSG_GOODSIZE (a page less struct
// skb_shared_info) and SKB_WITH_OVERHEAD(32768), the most a large
// receive buffer lets netlink_dump fill.
const (
	goodSize = 4096 - 320
	maxPart  = 32768 - 320
)

// wholeMessages is the length of the longest run of whole messages at
// the start of b that fits in limit bytes (the first message at least).
func wholeMessages(b []byte, limit int) int {
	full := false
	n := Messages(b, func(off int, m []byte) bool {
		full = off > 0 && off+align4(len(m)) > limit
		return !full
	})
	if !full {
		return len(b)
	}
	return n
}

// SOL_NETLINK options kite records.
var netlinkOpts = map[int]bool{
	unix.NETLINK_ADD_MEMBERSHIP: true, unix.NETLINK_DROP_MEMBERSHIP: true,
	unix.NETLINK_PKTINFO: true, unix.NETLINK_BROADCAST_ERROR: true,
	unix.NETLINK_NO_ENOBUFS: true, unix.NETLINK_LISTEN_ALL_NSID: true,
	unix.NETLINK_CAP_ACK: true, unix.NETLINK_EXT_ACK: true, unix.NETLINK_GET_STRICT_CHK: true,
}

// GetSockOpt implements net.Socket.
func (s *socket) GetSockOpt(ctx net.Context, level, name, optlen int) ([]byte, error) {
	if level != unix.SOL_NETLINK {
		return nil, unix.ENOPROTOOPT
	}
	if !netlinkOpts[name] || name == unix.NETLINK_ADD_MEMBERSHIP || name == unix.NETLINK_DROP_MEMBERSHIP {
		return nil, unix.ENOPROTOOPT
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(s.sockopts[name]))
	return b, nil
}

// SetSockOpt implements net.Socket.
func (s *socket) SetSockOpt(ctx net.Context, level, name int, val []byte) error {
	if level != unix.SOL_NETLINK {
		return unix.ENOPROTOOPT
	}
	if !netlinkOpts[name] {
		return unix.ENOPROTOOPT
	}
	if len(val) < 4 {
		return unix.EINVAL
	}
	v := int32(binary.LittleEndian.Uint32(val))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sockopts == nil {
		s.sockopts = make(map[int]int32)
	}
	if v != 0 {
		v = 1
	}
	s.sockopts[name] = v
	return nil
}

// Ioctl implements net.Socket.
func (s *socket) Ioctl(net.Context, vfs.UserIO, uint32, uintptr) (uintptr, error) {
	return 0, unix.ENOTTY
}
