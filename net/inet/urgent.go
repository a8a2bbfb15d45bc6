package inet

import (
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// TCP urgent data (MSG_OOB) on kite's stack. tcpip's TCP neither sends
// the URG flag nor reads the urgent pointer, but both ends of a
// connection between two of kite's sockets on one stack are kite's, so
// urgent data is carried beside the stream, with Linux's semantics: a
// MSG_OOB send writes its data into the stream as any send and marks
// its last byte urgent in the receiving end's urgent state, by the
// byte's offset in the stream (the sender counts the bytes tcpip took,
// the receiver those it consumed; loopback TCP delivers every byte in
// order). The receiver then does what Linux's tcp_check_urg, tcp_urg,
// tcp_recvmsg, tcp_recv_urg, tcp_poll and tcp_ioctl do with the mark.
// A connection whose peer is not a kite socket (one leaving the sandbox
// through eth0, or a --publish connection from the host) cannot carry
// urgent data: MSG_OOB sends there are EOPNOTSUPP.

// urgent is the urgent data a receiving TCP endpoint was told of
// (Linux's urg_data and urg_seq).
type urgent struct {
	mu sync.Mutex
	// set says a mark is pending (urg_data is not 0): the byte at
	// offset mark of the stream is urgent, b. read says recv(MSG_OOB)
	// took it (TCP_URG_READ): ordinary reads still skip it.
	set, read bool
	mark      int64
	b         byte
}

// connKey names one end of a connection: its local and remote address
// and port, IPv4-mapped addresses in their IPv4 form.
type connKey struct {
	local, remote tcpip.FullAddress
}

func normAddr(a tcpip.FullAddress) tcpip.FullAddress {
	return tcpip.FullAddress{Addr: unmapped(a.Addr), Port: a.Port}
}

// key is the connection key of ep; ok is false when it is not
// connected.
func epKey(ep tcpip.Endpoint) (connKey, bool) {
	l, err := ep.GetLocalAddress()
	if err != nil {
		return connKey{}, false
	}
	r, err := ep.GetRemoteAddress()
	if err != nil || r.Port == 0 {
		return connKey{}, false
	}
	return connKey{normAddr(l), normAddr(r)}, true
}

// maxPendingUrgent bounds the urgent states kept for connections not
// yet accepted.
const maxPendingUrgent = 256

// urgentPeer finds the urgent state of the receiving end of s's
// connection: the kite socket at the other end, or, for a connection a
// kite listener has not accepted yet, a state its accept picks up.
// rs is the receiving socket, or before accept the listener (whose
// options the connection will have). ok is false when the peer is not
// a kite socket of this stack.
func (s *socket) urgentPeer(key connKey) (u *urgent, rbox *endpointBox, rs *socket, ok bool) {
	st := s.fam.st
	peerKey := connKey{local: key.remote, remote: key.local}
	st.mu.Lock()
	defer st.mu.Unlock()
	var listener *socket
	for o := range st.socks {
		if o == s || !o.stream() {
			continue
		}
		b := o.cur.Load()
		if k, ok := epKey(b.ep); ok {
			if k == peerKey {
				u := b.urg.Load()
				if u == nil {
					u = new(urgent)
					b.urg.Store(u)
				}
				return u, b, o, true
			}
			continue
		}
		if tcp.EndpointState(b.ep.State()) != tcp.StateListen {
			continue
		}
		l, err := b.ep.GetLocalAddress()
		if err != nil || l.Port != peerKey.local.Port {
			continue
		}
		if la := normAddr(l).Addr; unspecified(la) || la == peerKey.local.Addr {
			listener = o
		}
	}
	if listener == nil {
		return nil, nil, nil, false
	}
	// Not accepted yet: its accept takes the state (newSocket).
	u = st.pendingUrg[peerKey]
	if u == nil {
		if len(st.pendingUrg) >= maxPendingUrgent {
			for k := range st.pendingUrg {
				delete(st.pendingUrg, k)
				break
			}
		}
		if st.pendingUrg == nil {
			st.pendingUrg = make(map[connKey]*urgent)
		}
		u = new(urgent)
		st.pendingUrg[peerKey] = u
	}
	return u, nil, listener, true
}

// takePendingUrgentLocked gives a socket just accepted the urgent state
// sent to it before; st.mu is held.
func (st *Stack) takePendingUrgentLocked(b *endpointBox) {
	if len(st.pendingUrg) == 0 {
		return
	}
	k, ok := epKey(b.ep)
	if !ok {
		return
	}
	if u := st.pendingUrg[k]; u != nil {
		delete(st.pendingUrg, k)
		b.urg.Store(u)
	}
}

// markUrgent is the receiving end's tcp_check_urg for a MSG_OOB send
// whose last byte, c, is at offset mark of the stream: an older mark
// is replaced (its byte becomes ordinary data, or, when the receiver
// stands at it and more data is there, is skipped), the owner of the
// receiving socket gets SIGURG and its waiters POLLPRI.
func (s *socket) markUrgent(key connKey, mark int64, c byte) {
	u, rbox, rs, ok := s.urgentPeer(key)
	if !ok {
		return
	}
	// The socket layer's options are read without Stack.mu.
	inline := rs.opts.OOBInline()
	var read int64
	if rbox != nil {
		read = rbox.read.Load()
	}
	u.mu.Lock()
	if read > mark || u.set && mark <= u.mark {
		// Read already, or not newer.
		u.mu.Unlock()
		return
	}
	if rbox != nil && u.set && u.mark == read && !inline && rbox.queued() > 0 {
		// The receiver stands at the old urgent byte: it is skipped.
		sw := &sinkWriter{drop: true, left: 1}
		if res, err := rbox.ep.Read(sw, tcpip.ReadOptions{}); err == nil {
			rbox.read.Add(int64(res.Count))
		}
	}
	u.set, u.read, u.mark, u.b = true, false, mark, c
	u.mu.Unlock()
	if rbox == nil {
		// Not accepted yet: no file, no waiters.
		return
	}
	if f := rs.file.Load(); f != nil && f.SendURG() {
		rs.async.list.KillURG()
	}
	rs.q.Notify(unix.POLLPRI | unix.POLLIN)
}

// queued is the number of bytes the endpoint holds to be read.
func (b *endpointBox) queued() int64 {
	v, err := b.ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption)
	if err != nil || v < 0 {
		return 0
	}
	return int64(v)
}

// urgentStatus reports b's urgent state: pending says a mark is set
// (SIOCATMARK's urg_data) and toMark is how far the next byte to read
// is from it; valid says the urgent byte has arrived and recv(MSG_OOB)
// has not taken it (TCP_URG_VALID: POLLPRI). A mark the reads have
// passed is cleared.
func (b *endpointBox) urgentStatus() (pending, valid bool, toMark int64, c byte) {
	u := b.urg.Load()
	if u == nil {
		return false, false, 0, 0
	}
	read := b.read.Load()
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.set {
		return false, false, 0, 0
	}
	if read > u.mark {
		u.set, u.read = false, false
		return false, false, 0, 0
	}
	toMark = u.mark - read
	valid = !u.read && toMark < b.queued()
	return true, valid, toMark, u.b
}

// urgentLimit is tcp_recvmsg's handling of the mark before a read of
// the stream: a read stops before the urgent byte (stop when it has
// data already); at the mark, without SO_OOBINLINE, the byte is
// skipped.
func (s *socket) urgentLimit(b *endpointBox, sw *sinkWriter, done int64) (stop bool) {
	pending, _, toMark, _ := b.urgentStatus()
	if !pending {
		return false
	}
	if toMark > 0 {
		sw.left = min(sw.left, toMark)
		return false
	}
	if done > 0 {
		return true
	}
	if !s.opts.OOBInline() {
		sw.skip = 1
	}
	return false
}

// recvUrgent is recv(MSG_OOB) on a TCP socket, as tcp_recv_urg: the
// urgent byte once (MSG_PEEK leaves it), with MSG_OOB in the flags;
// EINVAL with SO_OOBINLINE or no urgent byte to read, EAGAIN (without
// blocking) when it has not arrived, 0 once the stream has ended.
func (s *socket) recvUrgent(req *net.RecvRequest, flags int) (net.RecvResult, error) {
	b := s.cur.Load()
	if s.opts.OOBInline() {
		return net.RecvResult{}, unix.EINVAL
	}
	pending, valid, _, c := b.urgentStatus()
	u := b.urg.Load()
	if !pending {
		return net.RecvResult{}, unix.EINVAL
	}
	u.mu.Lock()
	if u.read {
		u.mu.Unlock()
		return net.RecvResult{}, unix.EINVAL
	}
	if !valid {
		u.mu.Unlock()
		switch tcp.EndpointState(b.ep.State()) {
		case tcp.StateEstablished, tcp.StateFinWait1, tcp.StateFinWait2:
			return net.RecvResult{}, unix.EAGAIN
		}
		return net.RecvResult{}, nil
	}
	if flags&unix.MSG_PEEK == 0 {
		u.read = true
	}
	u.mu.Unlock()
	r := net.RecvResult{Flags: unix.MSG_OOB}
	if req.Len == 0 {
		r.Flags |= unix.MSG_TRUNC
		return r, nil
	}
	if flags&unix.MSG_TRUNC == 0 {
		if _, err := req.Sink([]byte{c}); err != nil {
			return net.RecvResult{}, err
		}
	}
	r.N = 1
	return r, nil
}

// sendUrgentPeer checks, before a MSG_OOB send on a connected TCP
// socket, that its peer is a kite socket that can take urgent data:
// ok is false for a connection that is not connected (the send reports
// that); EOPNOTSUPP when the peer is outside kite's stack.
func (s *socket) sendUrgentPeer() (key connKey, ok bool, err error) {
	key, ok = epKey(s.ep())
	if !ok {
		return key, false, nil
	}
	if _, _, _, found := s.urgentPeer(key); !found {
		return key, false, unix.EOPNOTSUPP
	}
	return key, true, nil
}

// urgentReadiness adds tcp_poll's view of the mark to r, a TCP
// socket's readiness: POLLPRI while the urgent byte is there unread;
// at the mark without SO_OOBINLINE the urgent byte alone is nothing to
// read (tcp_poll's target++), until the stream ends.
func (s *socket) urgentReadiness(r uint32) uint32 {
	b := s.cur.Load()
	if b.urg.Load() == nil {
		return r
	}
	pending, valid, toMark, _ := b.urgentStatus()
	if valid {
		r |= unix.POLLPRI
	}
	if pending && toMark == 0 && !s.opts.OOBInline() && b.queued() == 1 {
		switch tcp.EndpointState(b.ep.State()) {
		case tcp.StateEstablished, tcp.StateFinWait1, tcp.StateFinWait2:
			r &^= unix.POLLIN | vfs.PollRdNorm
		}
	}
	return r
}

// urgentInq is SIOCINQ with urgent data (tcp_inq): without
// SO_OOBINLINE, the bytes before an urgent byte that has arrived.
func (s *socket) urgentInq(n int) int {
	b := s.cur.Load()
	if b.urg.Load() == nil || s.opts.OOBInline() {
		return n
	}
	if pending, _, toMark, _ := b.urgentStatus(); pending && toMark < int64(n) {
		return int(toMark)
	}
	return n
}

// atMark is SIOCATMARK: a mark is pending and the next byte to read is
// the urgent one.
func (s *socket) atMark() bool {
	pending, _, toMark, _ := s.cur.Load().urgentStatus()
	return pending && toMark == 0
}
