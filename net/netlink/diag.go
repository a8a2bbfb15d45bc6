package netlink

import (
	"encoding/binary"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

// NETLINK_SOCK_DIAG's request and answer types and sizes (linux/sock_diag.h,
// inet_diag.h, unix_diag.h).
const (
	sockDiagByFamily = 20
	sockDestroy      = 21
	sockDiagReqLen   = 2  // struct sock_diag_req
	afMax            = 46 // AF_MAX: families sock_diag knows of
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	unixDiagReqLen   = 24 // struct unix_diag_req
	unixDiagMsgLen   = 16 // struct unix_diag_msg

	udiagShowName    = 0x01
	udiagShowVFS     = 0x02
	udiagShowPeer    = 0x04
	udiagShowIcons   = 0x08
	udiagShowRqlen   = 0x10
	udiagShowMeminfo = 0x20
	udiagShowUID     = 0x40

	inetDiagSKV6Only    = 11
	inetDiagReqProtocol = 3

	unixDiagName     = 0
	unixDiagVFS      = 1
	unixDiagPeer     = 2
	unixDiagIcons    = 3
	unixDiagRqlen    = 4
	unixDiagMeminfo  = 5
	unixDiagShutdown = 6
	unixDiagUID      = 7

	// skMeminfoVars is SK_MEMINFO_VARS, the u32s of a MEMINFO
	// attribute.
	skMeminfoVars = 9
)

// InetSock is one TCP or UDP socket as inet_diag shows it.
type InetSock struct {
	// State is the TCP_* state (UDP: TCP_ESTABLISHED when connected,
	// TCP_CLOSE otherwise).
	State            uint8
	SrcPort, DstPort uint16
	// Src and Dst are 4 bytes (AF_INET) or 16 (AF_INET6).
	Src, Dst       []byte
	RQueue, WQueue uint32
	UID            uint32
	Inode          uint64
	// V6Only is IPV6_V6ONLY of an AF_INET6 socket.
	V6Only bool
}

// UnixSock is one AF_UNIX socket as unix_diag shows it.
type UnixSock struct {
	// State is the TCP_* state: TCP_LISTEN, TCP_ESTABLISHED (a
	// connected socket, and a datagram socket another connected to),
	// TCP_CLOSE.
	Type, State uint8
	Inode       uint32
	// HasPeer says the socket has a peer, Peer is the peer's inode (0
	// for a connection not yet accepted).
	HasPeer bool
	Peer    uint32
	// Name is sun_path as bound (a leading NUL for abstract names), ""
	// when unbound.
	Name string
	// HasVFS says the name is a path, whose file is VFSIno on device
	// VFSDev (the kernel's dev_t: major<<20 | minor).
	HasVFS         bool
	VFSIno, VFSDev uint32
	// Icons are, for a listener, the inodes of the sockets whose
	// connections wait to be accepted.
	Icons []uint32
	// RQueue and WQueue are a listener's pending connections and
	// backlog; for other sockets the bytes readable (a datagram
	// socket's first datagram) and the send buffer in use.
	RQueue, WQueue uint32
	// RcvBuf, SndBuf and WMem are for UNIX_DIAG_MEMINFO.
	RcvBuf, SndBuf, WMem uint32
	// Shutdown holds RCV_SHUTDOWN (1) and SEND_SHUTDOWN (2).
	Shutdown uint8
	UID      uint32
}

// Diag is what NETLINK_SOCK_DIAG shows: the sockets of a family and
// protocol (IPPROTO_TCP or IPPROTO_UDP), and the AF_UNIX sockets.
type Diag struct {
	Inet func(family, protocol int) []InetSock
	Unix func(ctx net.Context) []UnixSock
}

// SetDiag makes d what f's NETLINK_SOCK_DIAG sockets show; without it
// they answer every dump with ENOENT.
func (f *Family) SetDiag(d Diag) {
	f.mu.Lock()
	f.diag = d
	f.mu.Unlock()
}

// handleDiag answers one NETLINK_SOCK_DIAG request as sock_diag_rcv_msg:
// SOCK_DIAG_BY_FAMILY dumps of the families kite has a handler for
// (AF_INET and AF_INET6 with TCP or UDP, AF_UNIX), and unix_diag's
// single-socket request by inode; ENOENT for other families, as Linux
// without a handler for them; EINVAL for other message types (the old
// TCPDIAG_GETSOCK and DCCPDIAG_GETSOCK too, as Linux without DCCP).
func (s *socket) handleDiag(ctx net.Context, h hdr, payload []byte, port uint32) []byte {
	if h.Flags&unix.NLM_F_REQUEST == 0 {
		return nil
	}
	if h.Type != sockDiagByFamily && h.Type != sockDestroy {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	if len(payload) < sockDiagReqLen || payload[0] >= afMax {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	s.fam.mu.Lock()
	d := s.fam.diag
	s.fam.mu.Unlock()
	family := int(payload[0])
	switch {
	case family == unix.AF_NETLINK:
		if h.Type == sockDestroy {
			return errMsg(h, payload, unix.EOPNOTSUPP, port)
		}
		return s.netlinkDiag(h, payload, port)
	case (family == unix.AF_INET || family == unix.AF_INET6) && d.Inet != nil:
	case family == unix.AF_UNIX && d.Unix != nil:
	default:
		return errMsg(h, payload, unix.ENOENT, port)
	}
	if h.Type == sockDestroy {
		// No family of kite's destroys sockets on request.
		return errMsg(h, payload, unix.EOPNOTSUPP, port)
	}
	if family == unix.AF_UNIX {
		return s.unixDiag(ctx, d, h, payload, port)
	}
	if len(payload) < inetDiagReqLen {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	proto := int(payload[1])
	// INET_DIAG_REQ_PROTOCOL names a protocol beyond a byte
	// (IPPROTO_MPTCP).
	if a := Attrs(payload[inetDiagReqLen:])[inetDiagReqProtocol]; len(a) >= 4 {
		proto = int(binary.LittleEndian.Uint32(a))
	}
	if proto != unix.IPPROTO_TCP && proto != unix.IPPROTO_UDP {
		return errMsg(h, payload, unix.ENOENT, port)
	}
	if h.Flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
		// inet_diag's single-socket lookup is not carried out.
		return errMsg(h, payload, unix.EOPNOTSUPP, port)
	}
	var out []byte
	states := binary.LittleEndian.Uint32(payload[4:])
	for _, so := range d.Inet(family, proto) {
		if states&(1<<so.State) == 0 {
			continue
		}
		out = append(out, inetDiagMsg(h, port, family, so)...)
	}
	return append(out, done(h, port)...)
}

// unixDiag answers a unix_diag request: a dump of the sockets in the
// states asked for, or (without NLM_F_DUMP) the one socket of
// udiag_ino, whose udiag_cookie must be its cookie or ~0 (ESTALE
// otherwise).
func (s *socket) unixDiag(ctx net.Context, d Diag, h hdr, payload []byte, port uint32) []byte {
	if len(payload) < unixDiagReqLen {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	le := binary.LittleEndian
	states := le.Uint32(payload[4:])
	ino := le.Uint32(payload[8:])
	show := le.Uint32(payload[12:])
	if h.Flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
		if ino == 0 {
			return errMsg(h, payload, unix.EINVAL, port)
		}
		for _, so := range d.Unix(ctx) {
			if so.Inode != ino {
				continue
			}
			c0, c1 := le.Uint32(payload[16:]), le.Uint32(payload[20:])
			if (c0 != ^uint32(0) || c1 != ^uint32(0)) && (c0 != so.Inode || c1 != 0) {
				return errMsg(h, payload, unix.ESTALE, port)
			}
			return unixDiagMsg(h, port, 0, show, so)
		}
		return errMsg(h, payload, unix.ENOENT, port)
	}
	var out []byte
	for _, so := range d.Unix(ctx) {
		if states&(1<<so.State) == 0 {
			continue
		}
		out = append(out, unixDiagMsg(h, port, unix.NLM_F_MULTI, show, so)...)
	}
	return append(out, done(h, port)...)
}

func inetDiagMsg(h hdr, port uint32, family int, so InetSock) []byte {
	b := make([]byte, inetDiagMsgLen)
	b[0] = uint8(family)
	b[1] = so.State
	binary.BigEndian.PutUint16(b[4:], so.SrcPort)
	binary.BigEndian.PutUint16(b[6:], so.DstPort)
	copy(b[8:24], so.Src)
	copy(b[24:40], so.Dst)
	le := binary.LittleEndian
	// idiag_if stays 0; the cookie is the inode, which is unique.
	le.PutUint32(b[44:], uint32(so.Inode))
	le.PutUint32(b[48:], uint32(so.Inode>>32))
	le.PutUint32(b[56:], so.RQueue)
	le.PutUint32(b[60:], so.WQueue)
	le.PutUint32(b[64:], so.UID)
	le.PutUint32(b[68:], uint32(so.Inode))
	m := newMsg(sockDiagByFamily, unix.NLM_F_MULTI, h.Seq, port, b)
	if family == unix.AF_INET6 {
		v := uint8(0)
		if so.V6Only {
			v = 1
		}
		m.u8(inetDiagSKV6Only, v)
	}
	return m.bytes()
}

// unixDiagMsg is so's unix_diag_msg (its cookie is its inode, which
// is unique) with the attributes show asks for and UNIX_DIAG_SHUTDOWN,
// which Linux always gives.
func unixDiagMsg(h hdr, port uint32, flags uint16, show uint32, so UnixSock) []byte {
	b := make([]byte, unixDiagMsgLen)
	b[0] = unix.AF_UNIX
	b[1] = so.Type
	b[2] = so.State
	le := binary.LittleEndian
	le.PutUint32(b[4:], so.Inode)
	le.PutUint32(b[8:], so.Inode)
	m := newMsg(sockDiagByFamily, flags, h.Seq, port, b)
	if show&udiagShowName != 0 && so.Name != "" {
		m.attr(unixDiagName, []byte(so.Name))
	}
	if show&udiagShowVFS != 0 && so.HasVFS {
		v := make([]byte, 8)
		le.PutUint32(v, so.VFSIno)
		le.PutUint32(v[4:], so.VFSDev)
		m.attr(unixDiagVFS, v)
	}
	if show&udiagShowPeer != 0 && so.HasPeer {
		m.u32(unixDiagPeer, so.Peer)
	}
	if show&udiagShowIcons != 0 && so.State == tcpListen {
		v := make([]byte, 4*len(so.Icons))
		for i, ino := range so.Icons {
			le.PutUint32(v[4*i:], ino)
		}
		m.attr(unixDiagIcons, v)
	}
	if show&udiagShowRqlen != 0 {
		q := make([]byte, 8)
		le.PutUint32(q, so.RQueue)
		le.PutUint32(q[4:], so.WQueue)
		m.attr(unixDiagRqlen, q)
	}
	if show&udiagShowMeminfo != 0 {
		// rmem_alloc, rcvbuf, wmem_alloc, sndbuf, then forward
		// allocation, queued, option memory, backlog and drops, which
		// an AF_UNIX socket of kite's does not have.
		v := make([]byte, 4*skMeminfoVars)
		le.PutUint32(v[4:], so.RcvBuf)
		le.PutUint32(v[8:], so.WMem)
		le.PutUint32(v[12:], so.SndBuf)
		m.attr(unixDiagMeminfo, v)
	}
	m.u8(unixDiagShutdown, so.Shutdown)
	if show&udiagShowUID != 0 {
		m.u32(unixDiagUID, so.UID)
	}
	return m.bytes()
}

// tcpListen is TCP_LISTEN.
const tcpListen = 10

// netlink_diag's request and answer (linux/netlink_diag.h).
const (
	netlinkDiagReqLen = 20
	netlinkDiagMsgLen = 28
	ndiagProtoAll     = 255
	maxLinks          = 32

	ndiagShowMeminfo = 1
	ndiagShowGroups  = 2
	ndiagShowFlags   = 8

	netlinkDiagMeminfo = 0
	netlinkDiagGroups  = 1
	netlinkDiagFlags   = 4
)

// ndiagFlags are NETLINK_DIAG_FLAGS' bits for the SOL_NETLINK options.
var ndiagFlags = map[int]uint32{
	unix.NETLINK_PKTINFO: 0x2, unix.NETLINK_BROADCAST_ERROR: 0x4, unix.NETLINK_NO_ENOBUFS: 0x8,
	unix.NETLINK_LISTEN_ALL_NSID: 0x10, unix.NETLINK_CAP_ACK: 0x20,
}

// netlinkDiag answers a netlink_diag dump: the family's bound sockets
// of a protocol (or all), kite's kernel side having no sockets of its
// own to show (Linux shows its kernel sockets, port 0). Linux answers a
// request without NLM_F_DUMP EOPNOTSUPP. A socket's receive memory is
// the bytes of its queued answers (Linux: their sk_buffs' truesize).
func (s *socket) netlinkDiag(h hdr, payload []byte, port uint32) []byte {
	if len(payload) < netlinkDiagReqLen {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	if h.Flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
		return errMsg(h, payload, unix.EOPNOTSUPP, port)
	}
	proto := int(payload[1])
	if proto != ndiagProtoAll && proto >= maxLinks {
		return errMsg(h, payload, unix.ENOENT, port)
	}
	show := binary.LittleEndian.Uint32(payload[8:])
	f := s.fam
	f.mu.Lock()
	socks := make([]*socket, 0, len(f.socks))
	for so := range f.socks {
		socks = append(socks, so)
	}
	f.mu.Unlock()
	type row struct {
		ino                   uint64
		b                     []byte
		groups, flags, rqueue uint32
		so                    *socket
	}
	var rows []row
	le := binary.LittleEndian
	for _, so := range socks {
		if proto != ndiagProtoAll && so.protocol != proto {
			continue
		}
		so.mu.Lock()
		if !so.bound || so.ino == 0 {
			so.mu.Unlock()
			continue
		}
		b := make([]byte, netlinkDiagMsgLen)
		b[0], b[1], b[2] = unix.AF_NETLINK, uint8(so.typ), uint8(so.protocol)
		if so.connected {
			b[3] = 1
		}
		le.PutUint32(b[4:], so.port)
		le.PutUint32(b[8:], so.dstPort)
		le.PutUint32(b[12:], so.dstGroup)
		le.PutUint32(b[16:], uint32(so.ino))
		le.PutUint32(b[20:], uint32(so.ino))
		r := row{ino: so.ino, b: b, groups: so.groups, so: so}
		for opt, bit := range ndiagFlags {
			if so.sockopts[opt] != 0 {
				r.flags |= bit
			}
		}
		for _, d := range so.recvq {
			r.rqueue += uint32(len(d))
		}
		so.mu.Unlock()
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].ino < rows[j].ino })
	// Linux walks its bound sockets, then its multicast listeners
	// (sockets with groups), so that those show twice.
	for _, r := range rows {
		if r.groups != 0 {
			rows = append(rows, r)
		}
	}
	var out []byte
	for _, r := range rows {
		m := newMsg(sockDiagByFamily, unix.NLM_F_MULTI, h.Seq, port, r.b)
		if show&ndiagShowMeminfo != 0 {
			v := make([]byte, 4*skMeminfoVars)
			le.PutUint32(v, r.rqueue)
			le.PutUint32(v[4:], uint32(r.so.opts.RcvBuf()))
			le.PutUint32(v[12:], uint32(r.so.opts.SndBuf()))
			m.attr(netlinkDiagMeminfo, v)
		}
		if show&ndiagShowGroups != 0 && r.groups != 0 {
			// The group bitmap in unsigned longs.
			v := make([]byte, 8)
			le.PutUint32(v, r.groups)
			m.attr(netlinkDiagGroups, v)
		}
		if show&ndiagShowFlags != 0 {
			m.u32(netlinkDiagFlags, r.flags)
		}
		out = append(out, m.bytes()...)
	}
	return append(out, done(h, port)...)
}
