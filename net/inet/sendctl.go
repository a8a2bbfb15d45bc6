package inet

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"

	"github.com/kite-os/kite/net"
)

// sendOpts are what a datagram's control messages ask of its send
// beyond tcpip's SendableControlMessages.
type sendOpts struct {
	// tos and tclass are the IPv4 TOS or IPv6 traffic class (-1:
	// none), which tcpip takes only as the socket's, so the send sets
	// it and puts the socket's back.
	tos, tclass int
	// dontFrag is IPV6_DONTFRAG: a datagram larger than the route's
	// MTU is EMSGSIZE instead of fragmented.
	dontFrag bool
	// nic and src are IP_PKTINFO's interface (ipi_ifindex, 0 for
	// none) and source address (ipi_spec_dst, empty for none).
	nic tcpip.NICID
	src tcpip.Address
	// gso is UDP_SEGMENT's segment size (0: none): the data goes as
	// datagrams of that size, the last one shorter.
	gso int64
}

// udpMaxSegments is UDP_MAX_SEGMENTS, the most datagrams one
// UDP_SEGMENT send makes.
const udpMaxSegments = 128

// udpSegment is UDP_SEGMENT (x/sys lacks it).
const udpSegment = 103

// sendControl reads a datagram's IP-level control messages as Linux's
// ip_cmsg_send and ip6_datagram_send_ctl do; dst is the datagram's
// destination (sendDest). An IPv4 socket reads SOL_IP
// messages; so does an IPv6 one sending to an IPv4-mapped address, which
// reads IPV6_PKTINFO (its address must be mapped) as IP_PKTINFO and
// ignores the other SOL_IPV6 messages, as udpv6_sendmsg hands such a
// datagram to udp_sendmsg; an IPv6 socket sending to an IPv6 address
// reads SOL_IPV6 messages. A UDP socket reads SOL_UDP's UDP_SEGMENT
// (other types are EINVAL); other levels' messages are not the
// family's and are ignored, as on Linux. so is what the send has
// before its messages (the socket's UDP_SEGMENT).
func (s *socket) sendControl(ctx net.Context, msgs []net.Cmsg, dst *tcpip.FullAddress, so sendOpts) (tcpip.SendableControlMessages, sendOpts, error) {
	var cm tcpip.SendableControlMessages
	v4 := s.fam.domain == unix.AF_INET || mappedDest(dst)
	var x ext6
	for _, m := range msgs {
		var err error
		switch {
		case v4 && m.Level == unix.SOL_IP:
			err = s.ipv4Control(m, &cm, &so)
		case v4 && m.Level == unix.SOL_IPV6 && s.fam.domain == unix.AF_INET6 && m.Type == unix.IPV6_PKTINFO:
			err = s.mappedPktInfo(m, &so)
		case !v4 && m.Level == unix.SOL_IPV6:
			err = s.ipv6Control(ctx, m, &cm, &so, &x)
		case m.Level == unix.SOL_UDP && s.protocol == unix.IPPROTO_UDP:
			// udp_cmsg_send: UDP_SEGMENT, a 16-bit segment size.
			if m.Type != udpSegment || len(m.Data) != 2 {
				err = unix.EINVAL
				break
			}
			so.gso = int64(binary.LittleEndian.Uint16(m.Data))
		}
		if err != nil {
			return cm, so, err
		}
	}
	if x.any {
		// ip6_datagram_send_ctl took an extension header (hop-by-hop
		// or destination options, a routing header) for the datagram;
		// tcpip sends none.
		return cm, so, unix.EOPNOTSUPP
	}
	return cm, so, nil
}

// sendDest is the destination of a datagram sent to to (nil: the
// connected peer, nil when there is none: the write reports it), as
// the send's checks read it: an IPv6 socket's peer connected to an
// IPv4-mapped address (which tcpip gives in its IPv4 form) in its
// mapped form.
func (s *socket) sendDest(to *tcpip.FullAddress) *tcpip.FullAddress {
	if to != nil {
		return to
	}
	peer, err := s.ep().GetRemoteAddress()
	if err != nil {
		return nil
	}
	if s.fam.domain == unix.AF_INET6 && peer.Addr.Len() == 4 {
		peer.Addr = mapped4(peer.Addr)
	}
	return &peer
}

// mappedDest reports whether a datagram to dst (nil: none) goes to an
// IPv4-mapped address.
func mappedDest(dst *tcpip.FullAddress) bool {
	return dst != nil && isV4Mapped(dst.Addr)
}

// unmapped is a in its IPv4 form when it is IPv4-mapped.
func unmapped(a tcpip.Address) tcpip.Address {
	if isV4Mapped(a) {
		b := a.As16()
		return tcpip.AddrFrom4Slice(b[12:])
	}
	return a
}

// route is the route of a datagram from src (empty: any) to a
// (IPv4's for an IPv4 or IPv4-mapped address) through nic (0: the
// socket's SO_BINDTODEVICE interface, if any): its local address and
// its MTU; ok is false when there is none (the write reports it).
func (s *socket) route(nic tcpip.NICID, src, a tcpip.Address) (local tcpip.Address, mtu int64, ok bool) {
	proto := s.fam.netProto()
	if a.Len() == 4 || isV4Mapped(a) {
		proto, a = ipv4.ProtocolNumber, unmapped(a)
	}
	if nic == 0 {
		nic = tcpip.NICID(s.ep().SocketOptions().GetBindToDevice())
	}
	r, err := s.fam.st.s.FindRoute(nic, src, a, proto, false)
	if err != nil {
		return tcpip.Address{}, 0, false
	}
	defer r.Release()
	return r.LocalAddress(), int64(r.MTU()), true
}

// mapped4 is a, an IPv4 address, in its IPv4-mapped IPv6 form.
func mapped4(a tcpip.Address) tcpip.Address {
	var m [16]byte
	m[10], m[11] = 0xff, 0xff
	b := a.As4()
	copy(m[12:], b[:])
	return tcpip.AddrFrom16(m)
}

func cmsgInt(m net.Cmsg) (int32, bool) {
	if len(m.Data) != 4 {
		return 0, false
	}
	return int32(binary.LittleEndian.Uint32(m.Data)), true
}

// ipv4Control is one SOL_IP message, as ip_cmsg_send reads it: IP_TTL
// (an int, 1 to 255), IP_TOS (an int or a byte, 0 to 255), IP_PKTINFO
// (a struct in_pktinfo: its interface must exist, ENODEV, and its
// source address ipi_spec_dst be local, ENETUNREACH) and IP_PROTOCOL
// (an int, 1 to 255: a raw socket's must be its own protocol, the
// others' is not used). A bad length or value is EINVAL, as are
// IP_RETOPTS (tcpip sends no IP options) and types ip_cmsg_send does
// not know.
func (s *socket) ipv4Control(m net.Cmsg, cm *tcpip.SendableControlMessages, so *sendOpts) error {
	le := binary.LittleEndian
	switch m.Type {
	case unix.IP_TTL:
		v, ok := cmsgInt(m)
		if !ok || v < 1 || v > 255 {
			return unix.EINVAL
		}
		cm.HasTTL, cm.TTL = true, uint8(v)
	case unix.IP_TOS:
		v, ok := cmsgInt(m)
		if len(m.Data) == 1 {
			v, ok = int32(m.Data[0]), true
		}
		if !ok || v < 0 || v > 255 {
			return unix.EINVAL
		}
		so.tos = int(v)
	case unix.IP_PKTINFO:
		// struct in_pktinfo: ipi_ifindex, ipi_spec_dst, ipi_addr.
		if len(m.Data) != 12 {
			return unix.EINVAL
		}
		return s.setPktInfo(so, tcpip.NICID(le.Uint32(m.Data)), tcpip.AddrFrom4Slice(m.Data[4:8]))
	case unix.IP_PROTOCOL:
		v, ok := cmsgInt(m)
		if !ok || v < 1 || v > 255 {
			return unix.EINVAL
		}
		if s.typ == unix.SOCK_RAW && int(v) != s.protocol {
			// raw_sendmsg: only the socket's own protocol.
			return unix.EINVAL
		}
	default:
		// IP_RETOPTS among them: tcpip sends no IP options.
		return unix.EINVAL
	}
	return nil
}

// mappedPktInfo is IPV6_PKTINFO on a datagram of an IPv6 socket to an
// IPv4-mapped address: ip_cmsg_send takes its mapped address as
// IP_PKTINFO's source (another address is EINVAL) and its interface.
func (s *socket) mappedPktInfo(m net.Cmsg, so *sendOpts) error {
	if len(m.Data) < 20 {
		return unix.EINVAL
	}
	a := tcpip.AddrFrom16Slice(m.Data[:16])
	if !isV4Mapped(a) {
		return unix.EINVAL
	}
	b := a.As16()
	return s.setPktInfo(so, tcpip.NICID(binary.LittleEndian.Uint32(m.Data[16:])), tcpip.AddrFrom4Slice(b[12:]))
}

// setPktInfo records IP_PKTINFO's interface and source address: the
// interface must exist (ENODEV) and the address be local (else there is
// no route from it, ip_route_output's ENETUNREACH).
func (s *socket) setPktInfo(so *sendOpts, nic tcpip.NICID, src tcpip.Address) error {
	st := s.fam.st.s
	if nic != 0 && !st.HasNIC(nic) {
		return unix.ENODEV
	}
	if !unspecified(src) && st.CheckLocalAddress(0, ipv4.ProtocolNumber, src) == 0 {
		return unix.ENETUNREACH
	}
	if nic != 0 {
		so.nic = nic
	}
	so.src = tcpip.Address{}
	if !unspecified(src) {
		so.src = src
	}
	return nil
}

// ext6 is what a datagram's IPv6 extension-header messages set.
type ext6 struct {
	any, hop, dst1 bool
}

// ipv6Control is one SOL_IPV6 message, as ip6_datagram_send_ctl reads
// it: IPV6_HOPLIMIT and IPV6_2292HOPLIMIT (an int, -1, the socket's
// own, to 255), IPV6_TCLASS (likewise), IPV6_DONTFRAG (an int, 0 or 1),
// IPV6_PKTINFO and IPV6_2292PKTINFO (a struct in6_pktinfo: the
// interface and the source address, which must be local, EINVAL),
// IPV6_FLOWINFO (a 32-bit flow label: tcpip cannot send one, so a
// nonzero label is EOPNOTSUPP; the traffic-class bits are ignored as on
// Linux) and the extension headers, which are checked (their length,
// CAP_NET_RAW for options: EPERM) and then refused by sendControl. A
// bad length or value, or a type Linux does not know, is EINVAL.
func (s *socket) ipv6Control(ctx net.Context, m net.Cmsg, cm *tcpip.SendableControlMessages, so *sendOpts, x *ext6) error {
	le := binary.LittleEndian
	st := s.fam.st.s
	switch m.Type {
	case unix.IPV6_HOPLIMIT, unix.IPV6_2292HOPLIMIT:
		v, ok := cmsgInt(m)
		if !ok || v < -1 || v > 255 {
			return unix.EINVAL
		}
		cm.HasHopLimit, cm.HopLimit = v >= 0, uint8(max(v, 0))
	case unix.IPV6_TCLASS:
		v, ok := cmsgInt(m)
		if !ok || v < -1 || v > 255 {
			return unix.EINVAL
		}
		so.tclass = int(v)
	case unix.IPV6_DONTFRAG:
		v, ok := cmsgInt(m)
		if !ok || v < 0 || v > 1 {
			return unix.EINVAL
		}
		so.dontFrag = v == 1
	case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
		// struct in6_pktinfo: ipi6_addr, ipi6_ifindex.
		if len(m.Data) < 20 {
			return unix.EINVAL
		}
		addr := tcpip.AddrFrom16Slice(m.Data[:16])
		nic := tcpip.NICID(le.Uint32(m.Data[16:]))
		if bound := tcpip.NICID(s.ep().SocketOptions().GetBindToDevice()); nic != 0 && bound != 0 && nic != bound {
			// Another interface than the socket is bound to.
			return unix.EINVAL
		}
		if nic != 0 && !st.HasNIC(nic) {
			return unix.ENODEV
		}
		if nic == 0 && isLinkLocal(addr) {
			// A link-local source needs its interface.
			return unix.EINVAL
		}
		if unspecified(addr) {
			addr = tcpip.Address{}
		} else if st.CheckLocalAddress(nic, ipv6.ProtocolNumber, addr) == 0 {
			return unix.EINVAL
		}
		cm.HasIPv6PacketInfo = true
		cm.IPv6PacketInfo = tcpip.IPv6PacketInfo{Addr: addr, NIC: nic}
	case ipv6FlowInfo:
		if len(m.Data) < 4 {
			return unix.EINVAL
		}
		if binary.BigEndian.Uint32(m.Data)&0xfffff != 0 {
			// tcpip sends every datagram with its own flow label.
			return unix.EOPNOTSUPP
		}
	case unix.IPV6_HOPOPTS, unix.IPV6_2292HOPOPTS, unix.IPV6_2292DSTOPTS, unix.IPV6_DSTOPTS, unix.IPV6_RTHDRDSTOPTS:
		// struct ipv6_opt_hdr: next header, length in 8-byte units
		// beyond the first 8.
		if len(m.Data) < 2 || (m.Type == unix.IPV6_HOPOPTS || m.Type == unix.IPV6_2292HOPOPTS) && x.hop {
			return unix.EINVAL
		}
		if len(m.Data) < (int(m.Data[1])+1)*8 {
			return unix.EINVAL
		}
		if !ctx.Credentials().HasCapability(unix.CAP_NET_RAW) {
			return unix.EPERM
		}
		switch m.Type {
		case unix.IPV6_HOPOPTS, unix.IPV6_2292HOPOPTS:
			x.hop = true
		case unix.IPV6_2292DSTOPTS:
			if x.dst1 {
				return unix.EINVAL
			}
			x.dst1 = true
		}
		x.any = true
	case unix.IPV6_RTHDR, unix.IPV6_2292RTHDR:
		// struct ipv6_rt_hdr: next header, length, type, segments
		// left. Only type 2 (Mobile IPv6), with one segment, is taken.
		if len(m.Data) < 4 {
			return unix.EINVAL
		}
		n, typ, left := int(m.Data[1]), m.Data[2], int(m.Data[3])
		if typ != 2 || n != 2 || left != 1 || len(m.Data) < (n+1)*8 || n>>1 != left {
			return unix.EINVAL
		}
		x.any = true
	default:
		return unix.EINVAL
	}
	return nil
}

// applySendOpts carries out what tcpip's write options cannot say of a
// datagram to dst (sendDest; its sendto address is wo.To): IP_PKTINFO's
// interface becomes the destination's (tcpip's route then leaves
// through it, as Linux's oif); its source address must be the one the
// datagram leaves from anyway (the bound address, or the route's):
// tcpip has no per-datagram IPv4 source, so another is EOPNOTSUPP
// rather than silently not used. With IPV6_DONTFRAG a datagram larger
// than the route's MTU is EMSGSIZE.
func (s *socket) applySendOpts(wo *tcpip.WriteOptions, dst *tcpip.FullAddress, so sendOpts, n int64) error {
	if so.gso > 0 {
		if err := s.checkSegments(dst, so, n); err != nil {
			return err
		}
		n = min(n, so.gso)
	}
	if so.nic == 0 && so.src.Len() == 0 && !so.dontFrag || dst == nil {
		// Without a destination the write reports it.
		return nil
	}
	if so.dontFrag {
		return s.checkDontFrag(dst, wo.ControlMessages, n)
	}
	if so.src.Len() != 0 {
		nic := so.nic
		if nic == 0 {
			nic = dst.NIC
		}
		var from tcpip.Address
		if local, err := s.ep().GetLocalAddress(); err == nil && !unspecified(local.Addr) {
			from = unmapped(local.Addr)
		} else if addr, _, ok := s.route(nic, tcpip.Address{}, dst.Addr); ok {
			from = addr
		}
		if from != so.src {
			return unix.EOPNOTSUPP
		}
	}
	if so.nic != 0 {
		wo.To = &tcpip.FullAddress{NIC: so.nic, Addr: dst.Addr, Port: dst.Port}
	}
	return nil
}

// checkDontFrag is IPV6_DONTFRAG's check of an n-byte datagram to dst:
// EMSGSIZE when it and its transport header (UDP's; ping and raw
// sockets' data has its ICMPv6 header) exceed the route's MTU.
func (s *socket) checkDontFrag(dst *tcpip.FullAddress, cm tcpip.SendableControlMessages, n int64) error {
	if isV4Mapped(dst.Addr) {
		return nil
	}
	nic := dst.NIC
	if cm.HasIPv6PacketInfo && cm.IPv6PacketInfo.NIC != 0 {
		nic = cm.IPv6PacketInfo.NIC
	}
	_, mtu, ok := s.route(nic, cm.IPv6PacketInfo.Addr, dst.Addr)
	if !ok {
		// The write reports it.
		return nil
	}
	if s.protocol == unix.IPPROTO_UDP {
		n += header.UDPMinimumSize
	}
	if n > mtu {
		return unix.EMSGSIZE
	}
	return nil
}

// checkSegments is udp_send_skb's check of a UDP_SEGMENT send of n
// bytes to dst (sendDest): no more than UDP_MAX_SEGMENTS datagrams
// (EINVAL), each within the route's MTU and the whole no larger than
// one datagram may be (EMSGSIZE).
func (s *socket) checkSegments(dst *tcpip.FullAddress, so sendOpts, n int64) error {
	limit := int64(0xffff - header.UDPMinimumSize - header.IPv4MinimumSize)
	if s.fam.domain == unix.AF_INET6 && !mappedDest(dst) {
		limit = 0xffff - header.UDPMinimumSize
	}
	if n > limit {
		return unix.EMSGSIZE
	}
	if n > so.gso*udpMaxSegments {
		return unix.EINVAL
	}
	if dst == nil {
		// The write reports the missing destination.
		return nil
	}
	_, mtu, ok := s.route(dst.NIC, tcpip.Address{}, dst.Addr)
	if !ok {
		// The write reports it.
		return nil
	}
	if min(n, so.gso)+header.UDPMinimumSize > mtu {
		return unix.EMSGSIZE
	}
	return nil
}
