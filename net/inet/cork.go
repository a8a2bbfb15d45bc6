package inet

import (
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/kite-os/kite/net"
)

// udpCorkOpt is UDP_CORK (SOL_UDP).
const udpCorkOpt = 1

// udpCork is a UDP socket's UDP_CORK option and the datagram its corked
// sends (UDP_CORK set, or MSG_MORE) build, as Linux's udp_sendmsg
// appends to a socket's pending frames: the first corked send's
// destination, control messages and flags are the datagram's, later
// sends only add their data, and the first send that is not corked
// (or clearing the option) sends it.
type udpCork struct {
	// on is UDP_CORK.
	on atomic.Bool
	// hasPending mirrors pending for the send path.
	hasPending atomic.Bool

	// mu is held over a send while data is pending or the send is
	// corked (Linux's socket lock there), and guards the fields below;
	// it comes before socket.sendMu.
	mu sync.Mutex
	// pending says a datagram is being built; v4 says it goes out
	// through IPv4 (Linux's pending AF_INET: an IPv4 socket's, or an
	// IPv6 socket's to an IPv4-mapped address).
	pending bool
	v4      bool
	// to (nil: the connected peer), control and flags are the first
	// send's; data is what the sends gave.
	to      []byte
	control []net.Cmsg
	flags   int
	data    []byte
}

// udpLimit is the most data one UDP datagram carries: 65507 bytes
// through IPv4 (its 16-bit total length less its and UDP's headers),
// 65527 through IPv6 (its payload length less UDP's header).
func udpLimit(v4 bool) int64 {
	if v4 {
		return 0xffff - header.IPv4MinimumSize - header.UDPMinimumSize
	}
	return 0xffff - header.UDPMinimumSize
}

// resetLocked drops the pending datagram (udp_flush_pending_frames).
func (c *udpCork) resetLocked() {
	c.pending, c.v4, c.to, c.control, c.flags, c.data = false, false, nil, nil, 0, nil
	c.hasPending.Store(false)
}

// sendCorked is a UDP send while the socket is corked, the send has
// MSG_MORE or a datagram is pending (udp_sendmsg and udpv6_sendmsg
// with up->pending or corkreq): its data is appended to the pending
// datagram, which is sent unless the send is corked. A send that
// fails (EMSGSIZE past the datagram's limit, EFAULT) drops what was
// pending.
func (s *socket) sendCorked(ctx net.Context, req *net.SendRequest, flags int) (int64, error) {
	c := &s.cork
	c.mu.Lock()
	defer c.mu.Unlock()
	corked := c.on.Load() || flags&unix.MSG_MORE != 0
	if !c.pending && !corked {
		return s.sendNow(ctx, req, flags)
	}
	if !c.pending {
		if err := s.startCork(ctx, req, flags); err != nil {
			return 0, err
		}
	} else if err := s.appendCheck(req); err != nil {
		return 0, err
	}
	if c.v4 && req.Len > 0xffff {
		// udp_sendmsg's first check, before the pending data.
		return 0, unix.EMSGSIZE
	}
	if int64(len(c.data))+req.Len > udpLimit(c.v4) {
		c.resetLocked()
		return 0, unix.EMSGSIZE
	}
	// The datagram grows by req.Len bytes that the source fills (or
	// the whole datagram is dropped): no clearing, no buffer of zeros.
	off := len(c.data)
	c.data = slices.Grow(c.data, int(req.Len))[:off+int(req.Len)]
	for b := c.data[off:]; len(b) > 0; {
		n, err := req.Source(b)
		if err != nil || n == 0 {
			c.resetLocked()
			if err == nil {
				err = unix.EFAULT
			}
			return 0, err
		}
		b = b[n:]
	}
	if corked {
		return req.Len, nil
	}
	if _, err := s.pushLocked(ctx, req.Nonblock || flags&unix.MSG_DONTWAIT != 0, req.Deadline); err != nil {
		return 0, err
	}
	return req.Len, nil
}

// startCork checks the first corked send as a datagram's send would be
// (its destination, its control messages) and makes its destination,
// control messages and flags the pending datagram's.
func (s *socket) startCork(ctx net.Context, req *net.SendRequest, flags int) error {
	c := &s.cork
	var to *tcpip.FullAddress
	if req.To != nil {
		a, err := s.sendAddr(req.To)
		if err != nil {
			return err
		}
		to = a
	}
	if s.hasStale.Load() {
		if err := s.rebindStale(); err != nil {
			return err
		}
	}
	dst := s.sendDest(to)
	if dst == nil {
		return unix.EDESTADDRREQ
	}
	v4 := s.fam.domain == unix.AF_INET || mappedDest(dst)
	if v4 && req.Len > 0xffff || req.Len > udpLimit(v4) {
		return unix.EMSGSIZE
	}
	so := sendOpts{tos: -1, tclass: -1, gso: int64(s.gsoSize.Load())}
	if _, _, err := s.sendControl(ctx, req.Control.Proto, dst, so); err != nil {
		return err
	}
	c.pending, c.v4, c.flags = true, v4, flags&^(unix.MSG_MORE|unix.MSG_DONTWAIT)
	if to != nil {
		c.to = append([]byte(nil), req.To...)
	}
	for _, m := range req.Control.Proto {
		c.control = append(c.control, net.Cmsg{Level: m.Level, Type: m.Type, Data: append([]byte(nil), m.Data...)})
	}
	c.data = make([]byte, 0, req.Len)
	c.hasPending.Store(true)
	return nil
}

// appendCheck is what a send appending to a pending datagram checks:
// an IPv4 one ignores the send's address; an IPv6 socket's reads it
// (udpv6_sendmsg), refusing one that is not an IPv6 address (EINVAL)
// and, while its datagram goes through IPv6, an IPv4-mapped one
// (udp_sendmsg's EINVAL for a pending datagram of the other family).
func (s *socket) appendCheck(req *net.SendRequest) error {
	if s.fam.domain != unix.AF_INET6 || req.To == nil {
		return nil
	}
	fam, err := addrFamily(req.To)
	if err != nil {
		return unix.EINVAL
	}
	switch fam {
	case unix.AF_UNSPEC:
		return nil
	case unix.AF_INET6:
		if len(req.To) < sockaddrIn6MinLen {
			return unix.EINVAL
		}
		if !s.cork.v4 && isV4Mapped(tcpip.AddrFrom16Slice(req.To[8:24])) {
			return unix.EINVAL
		}
		return nil
	case unix.AF_INET:
		if !s.cork.v4 {
			return unix.EINVAL
		}
		return nil
	}
	return unix.EINVAL
}

// pushLocked sends the pending datagram (udp_push_pending_frames) and
// drops it whatever the outcome; c.mu is held.
func (s *socket) pushLocked(ctx net.Context, nonblock bool, deadline net.Deadline) (int64, error) {
	c := &s.cork
	data := c.data
	r := &net.SendRequest{
		Len:      int64(len(data)),
		To:       c.to,
		Control:  net.Control{Proto: c.control},
		Flags:    c.flags,
		Nonblock: nonblock,
		Deadline: deadline,
	}
	r.Source = func(b []byte) (int, error) {
		n := copy(b, data)
		data = data[n:]
		return n, nil
	}
	c.resetLocked()
	return s.sendNow(ctx, r, r.Flags)
}

// setCork is setsockopt(UDP_CORK): clearing it sends the pending
// datagram (its errors are not setsockopt's, as on Linux).
func (s *socket) setCork(ctx net.Context, val []byte) error {
	v, err := intVal(val)
	if err != nil {
		return err
	}
	c := &s.cork
	if v != 0 {
		c.on.Store(true)
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on.Store(false)
	if c.pending {
		s.pushLocked(ctx, true, net.Deadline{})
	}
	return nil
}
