package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// NETLINK_SOCK_DIAG's request and answer types and sizes (linux/sock_diag.h,
// inet_diag.h, unix_diag.h).
const (
	sockDiagByFamily = 20
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	unixDiagReqLen   = 24 // struct unix_diag_req
	unixDiagMsgLen   = 16 // struct unix_diag_msg

	udiagShowName  = 0x01
	udiagShowPeer  = 0x04
	udiagShowRqlen = 0x10
	udiagShowUID   = 0x40

	inetDiagSKV6Only = 11

	unixDiagName  = 0
	unixDiagPeer  = 2
	unixDiagRqlen = 4
	unixDiagUID   = 7
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
	Type, State uint8
	Inode, Peer uint32
	// Name is sun_path as bound (a leading NUL for abstract names), ""
	// when unbound.
	Name           string
	RQueue, WQueue uint32
	UID            uint32
}

// Diag is what NETLINK_SOCK_DIAG shows: the sockets of a family and
// protocol (IPPROTO_TCP or IPPROTO_UDP), and the AF_UNIX sockets.
type Diag struct {
	Inet func(family, protocol int) []InetSock
	Unix func() []UnixSock
}

// SetDiag makes d what f's NETLINK_SOCK_DIAG sockets show; without it
// they answer every dump with ENOENT.
func (f *Family) SetDiag(d Diag) {
	f.mu.Lock()
	f.diag = d
	f.mu.Unlock()
}

// handleDiag answers one NETLINK_SOCK_DIAG request: SOCK_DIAG_BY_FAMILY
// dumps (a single-socket lookup by cookie is not carried out).
func (s *socket) handleDiag(h hdr, payload []byte, port uint32) []byte {
	if h.Flags&unix.NLM_F_REQUEST == 0 {
		return nil
	}
	if h.Type != sockDiagByFamily || len(payload) < 2 {
		return errMsg(h, payload, unix.EINVAL, port)
	}
	if h.Flags&unix.NLM_F_DUMP != unix.NLM_F_DUMP {
		return errMsg(h, payload, unix.EOPNOTSUPP, port)
	}
	s.fam.mu.Lock()
	d := s.fam.diag
	s.fam.mu.Unlock()
	var out []byte
	switch family := int(payload[0]); family {
	case unix.AF_INET, unix.AF_INET6:
		if len(payload) < inetDiagReqLen || d.Inet == nil {
			return errMsg(h, payload, unix.EINVAL, port)
		}
		proto := int(payload[1])
		if proto != unix.IPPROTO_TCP && proto != unix.IPPROTO_UDP {
			return errMsg(h, payload, unix.ENOENT, port)
		}
		states := binary.LittleEndian.Uint32(payload[4:])
		for _, so := range d.Inet(family, proto) {
			if states&(1<<so.State) == 0 {
				continue
			}
			out = append(out, inetDiagMsg(h, port, family, so)...)
		}
	case unix.AF_UNIX:
		if len(payload) < unixDiagReqLen || d.Unix == nil {
			return errMsg(h, payload, unix.EINVAL, port)
		}
		states := binary.LittleEndian.Uint32(payload[4:])
		show := binary.LittleEndian.Uint32(payload[12:])
		for _, so := range d.Unix() {
			if states&(1<<so.State) == 0 {
				continue
			}
			out = append(out, unixDiagMsg(h, port, show, so)...)
		}
	default:
		return errMsg(h, payload, unix.ENOENT, port)
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

func unixDiagMsg(h hdr, port, show uint32, so UnixSock) []byte {
	b := make([]byte, unixDiagMsgLen)
	b[0] = unix.AF_UNIX
	b[1] = so.Type
	b[2] = so.State
	le := binary.LittleEndian
	le.PutUint32(b[4:], so.Inode)
	le.PutUint32(b[8:], so.Inode)
	m := newMsg(sockDiagByFamily, unix.NLM_F_MULTI, h.Seq, port, b)
	if show&udiagShowName != 0 && so.Name != "" {
		m.attr(unixDiagName, []byte(so.Name))
	}
	if show&udiagShowPeer != 0 && so.Peer != 0 {
		m.u32(unixDiagPeer, so.Peer)
	}
	if show&udiagShowRqlen != 0 {
		q := make([]byte, 8)
		le.PutUint32(q, so.RQueue)
		le.PutUint32(q[4:], so.WQueue)
		m.attr(unixDiagRqlen, q)
	}
	if show&udiagShowUID != 0 {
		m.u32(unixDiagUID, so.UID)
	}
	return m.bytes()
}
