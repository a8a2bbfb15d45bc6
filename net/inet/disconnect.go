package inet

import (
	"bytes"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/kite-os/kite/net"
)

// replaceable reports whether a disconnect may replace the socket's
// endpoint: TCP and UDP sockets.
func (s *socket) replaceable() bool {
	return s.stream() || s.protocol == unix.IPPROTO_UDP
}

// disconnect is connect(2) with an AF_UNSPEC address on a TCP or UDP
// socket, as Linux's tcp_disconnect and udp_disconnect. tcpip cannot
// take a TCP endpoint back to the closed state nor give up a UDP
// endpoint's port, so the socket gets a new endpoint then, with the
// options set on the old one and what bind locked (a port the program
// named stays bound; an address it named is bound again before the
// socket next connects, listens or sends).
//
// TCP: a connection is reset (the peer gets a RST) and the socket has
// ECONNRESET pending; a listener stops listening and resets the
// connections not yet accepted; a socket that never connected is left
// as it is. UDP: the peer is forgotten, SO_BINDTODEVICE is cleared,
// and a port the program did not name is given up (its name shows
// port 0); the datagrams queued stay to be received, held by the
// socket since tcpip cannot move them to the new endpoint, and count
// against its receive buffer until they are.
func (s *socket) disconnect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ep()
	local, _ := old.GetLocalAddress()
	if !s.stream() {
		old.SocketOptions().SetBindToDevice(0)
		if s.portLocked || local.Port == 0 {
			return errno(old.Disconnect())
		}
		// The datagrams queued stay to be received: the socket
		// holds them itself.
		s.holdQueuedLocked(old)
		err := s.replaceLocked(old, old.Close, &tcpip.FullAddress{Addr: s.lockedAddr()})
		// The new endpoint has SO_RCVBUF's value again.
		s.rcvBuf.Store(0)
		s.chargeHeldLocked()
		return err
	}
	state := tcp.EndpointState(old.State())
	reset := false
	switch state {
	case tcp.StateInitial, tcp.StateBound:
		return nil
	case tcp.StateEstablished, tcp.StateCloseWait, tcp.StateFinWait1, tcp.StateFinWait2,
		tcp.StateSynRecv, tcp.StateSynSent, tcp.StateConnecting:
		// tcp_disconnect resets these (a SYN_SENT one without a
		// RST) and reports ECONNRESET.
		reset = true
	}
	// Abort resets a connection, Close stops a listener (resetting
	// its unaccepted connections); either gives up the port at once.
	retire := func() {
		if reset {
			s.opts.SetPendingError(unix.ECONNRESET)
		}
		if state == tcp.StateListen {
			old.Close()
		} else {
			old.Abort()
		}
		s.async.connecting.Store(false)
		s.backlog.Store(0)
	}
	var stale *tcpip.FullAddress
	if !s.portLocked {
		stale = &tcpip.FullAddress{Addr: s.lockedAddr(), Port: local.Port}
	}
	return s.replaceLocked(old, retire, stale)
}

// lockedAddr is the address bind named, nil if it named none.
func (s *socket) lockedAddr() tcpip.Address {
	if s.addrLocked {
		return s.bound.Addr
	}
	return tcpip.Address{}
}

// replaceLocked gives the socket a new endpoint in place of old, with
// the options set on old and, when stale is nil, bound where old was
// bound; s.mu is held. The options are set on the new endpoint first:
// if one fails there, the new endpoint is closed and the socket keeps
// old as it was, the call failing with the option's error; otherwise
// retire ends old (closing it gives up its port) and the new endpoint
// takes its place.
func (s *socket) replaceLocked(old tcpip.Endpoint, retire func(), stale *tcpip.FullAddress) error {
	if !s.stream() {
		// No datagram send meanwhile, none with a TOS of its own
		// while the options are set again.
		s.sendMu.Lock()
		defer s.sendMu.Unlock()
	}
	tp := udp.ProtocolNumber
	if s.stream() {
		tp = tcp.ProtocolNumber
	}
	ep, terr := s.fam.st.s.NewEndpoint(tp, s.fam.netProto(), s.wq)
	if terr != nil {
		return errno(terr)
	}
	if s.fam.domain == unix.AF_INET6 {
		ep.SocketOptions().SetV6Only(false)
	}
	for _, o := range s.epOpts {
		if !s.stream() && o.level == unix.SOL_SOCKET && o.name == unix.SO_BINDTODEVICE {
			// udp_disconnect unbinds the device.
			continue
		}
		// SOL_SOCKET options are the endpoint's and the socket
		// layer's: ENOPROTOOPT says the latter's part is left.
		if err := s.setSockOpt(ep, o.level, o.name, o.val); err != nil && (err != unix.ENOPROTOOPT || o.level != unix.SOL_SOCKET) {
			ep.Close()
			return err
		}
	}
	ep.SocketOptions().SetV6Only(old.SocketOptions().GetV6Only())
	st := s.fam.st
	st.mu.Lock()
	st.releaseCountsLocked(s)
	s.cur.Store(&endpointBox{ep: ep})
	st.mu.Unlock()
	retire()
	s.stale = stale
	s.hasStale.Store(stale != nil)
	if stale == nil {
		return errno(ep.Bind(s.bound))
	}
	return nil
}

// rebindStale binds the address a disconnect kept (with a new port)
// before the socket connects, listens or sends, and forgets the stale
// name.
func (s *socket) rebindStale() error {
	if !s.hasStale.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rebindStaleLocked()
}

func (s *socket) rebindStaleLocked() error {
	st := s.stale
	if st == nil {
		return nil
	}
	s.stale = nil
	s.hasStale.Store(false)
	if st.Addr.Len() == 0 {
		return nil
	}
	if a, err := s.ep().GetLocalAddress(); err == nil && a.Port != 0 {
		return nil
	}
	return errno(s.ep().Bind(tcpip.FullAddress{Addr: st.Addr, NIC: st.NIC}))
}

// staleName is getsockname's address after a disconnect that gave up
// the port, until the socket is bound again.
func (s *socket) staleName() (tcpip.FullAddress, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stale == nil {
		return tcpip.FullAddress{}, false
	}
	if a, err := s.ep().GetLocalAddress(); err == nil && a.Port != 0 {
		return tcpip.FullAddress{}, false
	}
	return *s.stale, true
}

// pinLocal, before a TCP socket bound to the any address connects to
// a, binds it to the local address the connection will have, with the
// same port, as Linux moves such a socket's port to that address on
// connect. tcpip gives a connection's port back under its local
// address, not the any address it was reserved under, so without this
// the port would stay taken after close. The socket gets a new
// endpoint (the old one, only bound, gives the port back) with its
// options; what bind named is kept for a later disconnect.
func (s *socket) pinLocal(a tcpip.FullAddress) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.ep()
	if tcp.EndpointState(old.State()) != tcp.StateBound {
		return nil
	}
	local, err := old.GetLocalAddress()
	if err != nil || local.Port == 0 || !unspecified(local.Addr) {
		return nil
	}
	addr, _, ok := s.route(a.NIC, tcpip.Address{}, a.Addr)
	if !ok {
		// connect reports it.
		return nil
	}
	if s.fam.domain == unix.AF_INET6 && isV4Mapped(a.Addr) {
		addr = mapped4(addr)
	}
	if err := s.replaceLocked(old, old.Close, &tcpip.FullAddress{}); err != nil {
		return err
	}
	s.stale = nil
	s.hasStale.Store(false)
	if err := s.ep().Bind(tcpip.FullAddress{Addr: addr, NIC: local.NIC, Port: local.Port}); err != nil {
		if _, ok := err.(*tcpip.ErrPortInUse); ok {
			return unix.EADDRINUSE
		}
		return errno(err)
	}
	return nil
}

// heldDatagram is a datagram taken off a replaced endpoint, with what
// its receive reports.
type heldDatagram struct {
	data []byte
	from tcpip.FullAddress
	cm   tcpip.ReceivableControlMessages
}

// holdQueuedLocked takes the datagrams queued on old, which a
// disconnect replaces, into s.held; s.mu is held.
func (s *socket) holdQueuedLocked(old tcpip.Endpoint) {
	for {
		var b bytes.Buffer
		res, err := old.Read(&b, tcpip.ReadOptions{NeedRemoteAddr: true})
		if err != nil {
			break
		}
		s.held = append(s.held, heldDatagram{data: b.Bytes(), from: res.RemoteAddr, cm: res.ControlMessages})
		s.heldBytes += int64(b.Len())
	}
	s.hasHeld.Store(len(s.held) > 0)
}

// chargeHeldLocked makes the held datagrams count against the receive
// buffer as Linux's queued ones count in sk_rmem_alloc: the endpoint
// (tcpip counts its own datagrams' bytes) gets SO_RCVBUF less their
// size, and its own SO_RCVBUF back once they are read; s.mu is held.
// A datagram arriving while they fill the buffer is dropped.
func (s *socket) chargeHeldLocked() {
	ops := s.ep().SocketOptions()
	nominal := s.rcvBuf.Load()
	if s.heldBytes == 0 {
		if nominal != 0 {
			ops.SetReceiveBufferSize(nominal, false)
			s.rcvBuf.Store(0)
		}
		return
	}
	if nominal == 0 {
		nominal = ops.GetReceiveBufferSize()
		s.rcvBuf.Store(nominal)
	}
	ops.SetReceiveBufferSize(max(nominal-s.heldBytes, 0), false)
}

// receiveBufferSize is SO_RCVBUF's value.
func (s *socket) receiveBufferSize() int64 {
	if v := s.rcvBuf.Load(); v != 0 {
		return v
	}
	return s.ep().SocketOptions().GetReceiveBufferSize()
}

// heldQueued is the size of the held datagrams (/proc/net/udp's
// rx_queue counts them).
func (s *socket) heldQueued() int {
	if !s.hasHeld.Load() {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.heldBytes)
}

// recvHeld receives the oldest held datagram (MSG_PEEK leaves it);
// ok is false when none is held.
func (s *socket) recvHeld(req *net.RecvRequest, flags int) (r net.RecvResult, ok bool, err error) {
	s.mu.Lock()
	if len(s.held) == 0 {
		s.mu.Unlock()
		return net.RecvResult{}, false, nil
	}
	d := s.held[0]
	if flags&unix.MSG_PEEK == 0 {
		s.held[0] = heldDatagram{}
		s.held = s.held[1:]
		s.hasHeld.Store(len(s.held) > 0)
		s.heldBytes -= int64(len(d.data))
		s.chargeHeldLocked()
	}
	s.mu.Unlock()
	n := min(int64(len(d.data)), req.Len)
	var wrote int64
	if n > 0 {
		c, err := req.Sink(d.data[:n])
		if err != nil {
			// udp_recvmsg drops a datagram it could not copy.
			return net.RecvResult{}, true, err
		}
		wrote = int64(c)
	}
	return s.datagramResult(wrote, len(d.data), d.from, d.cm, flags), true, nil
}

// heldSize is the size of the oldest held datagram.
func (s *socket) heldSize() (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.held) == 0 {
		return 0, false
	}
	return len(s.held[0].data), true
}
