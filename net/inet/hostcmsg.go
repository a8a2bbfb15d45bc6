package inet

import (
	"encoding/binary"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

// The IP-level control messages of host sockets' datagrams, both ways.
// A program's messages are checked here and rebuilt for the host's
// sendmsg from the values read (never its bytes passed on); the host's
// received messages are passed to the program only if they are of the
// kinds the options kite passes on ask for.

// hostSendControl checks a datagram's IP-level control messages as
// Linux reads them (ipCmsg) and rebuilds those the host is to apply
// from the values read (never the program's bytes passed on as they
// are), and a UDP socket's UDP_SEGMENT (SOL_UDP). Other levels are the
// socket layer's or ignored, as on Linux;
// SOL_IPV6 messages on IPv4 sockets are ignored. An IPv6 socket reads
// SOL_IP messages (ip_cmsg_send) only when it sends to an IPv4-mapped
// address and SOL_IPV6 ones (ip6_datagram_send_ctl) only when it does
// not, but for IPV6_PKTINFO: a message that fails its check is an error
// only where the host would read it, and is left out otherwise (the
// host ignores the others). to is the destination of a sendto, nil for
// the connected peer's.
func (s *hostSocket) hostSendControl(ctx net.Context, msgs []net.Cmsg, to unix.Sockaddr) ([]byte, error) {
	var oob []byte
	v6 := s.fam.domain == unix.AF_INET6
	raw := ctx.Credentials().HasCapability(unix.CAP_NET_RAW)
	dest := destUnknown
	for _, m := range msgs {
		if m.Level == unix.SOL_UDP && s.protocol == unix.IPPROTO_UDP {
			// udp_cmsg_send: UDP_SEGMENT, a 16-bit segment size
			// (the host checks it against the route and the
			// datagram); other types are EINVAL.
			if m.Type != udpSegment || len(m.Data) != 2 {
				return nil, unix.EINVAL
			}
			oob = net.AppendCmsg(oob, m.Level, m.Type, m.Data)
			continue
		}
		if m.Level != unix.SOL_IP && m.Level != unix.SOL_IPV6 || m.Level == unix.SOL_IPV6 && !v6 {
			continue
		}
		d, err := ipCmsg(m, raw)
		if err != nil {
			if !v6 {
				return nil, err
			}
			if dest == destUnknown {
				dest = s.destOf(to)
			}
			mappedReads := m.Level == unix.SOL_IP || m.Type == unix.IPV6_PKTINFO
			if dest == destMapped && mappedReads || dest == destIPv6 && m.Level == unix.SOL_IPV6 {
				return nil, err
			}
			continue
		}
		oob = net.AppendCmsg(oob, m.Level, m.Type, d)
	}
	return oob, nil
}

// What an IPv6 socket's datagram goes to, for the control messages it
// reads (destOf).
const (
	destUnknown = iota
	// destNone: no destination (the host refuses the send).
	destNone
	destMapped
	destIPv6
)

// destOf classifies an IPv6 socket's destination: to, or the connected
// peer's address.
func (s *hostSocket) destOf(to unix.Sockaddr) int {
	if to == nil {
		var err error
		if to, err = s.hs.PeerName(); err != nil {
			return destNone
		}
	}
	a, ok := to.(*unix.SockaddrInet6)
	if !ok {
		return destNone
	}
	if netip.AddrFrom16(a.Addr).Is4In6() {
		return destMapped
	}
	return destIPv6
}

// ipCmsg checks one IP-level control message of a datagram as Linux's
// ip_cmsg_send (SOL_IP) and ip6_datagram_send_ctl (SOL_IPV6) read it,
// and returns the bytes of it that count, rebuilt: at SOL_IP, IP_TTL
// and IP_PROTOCOL (an int, 1 to 255), IP_TOS (an int or a byte, 0 to
// 255), IP_PKTINFO (a struct in_pktinfo: its interface and source
// address) and IP_RETOPTS (IP options, at most 40 bytes of them, see
// ipOptions); at SOL_IPV6, IPV6_HOPLIMIT and its RFC 2292 form and
// IPV6_TCLASS (an int, -1 to 255), IPV6_DONTFRAG (an int),
// IPV6_PKTINFO and IPV6_2292PKTINFO (a struct in6_pktinfo),
// IPV6_FLOWINFO (a 32-bit flow label), option headers (IPV6_HOPOPTS,
// IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS and the RFC 2292 forms: as long as
// their length byte says, and CAP_NET_RAW, EPERM without) and routing
// headers (IPV6_RTHDR, IPV6_2292RTHDR: type 2, the only one Linux
// sends, with its one segment). A bad length or value, or another
// type, is EINVAL. The host checks what depends on its state
// (interfaces, local addresses, a header given twice).
func ipCmsg(m net.Cmsg, raw bool) ([]byte, error) {
	d := m.Data
	le := binary.LittleEndian
	intIn := func(lo, hi int32) ([]byte, error) {
		if len(d) != 4 {
			return nil, unix.EINVAL
		}
		v := int32(le.Uint32(d))
		if v < lo || v > hi {
			return nil, unix.EINVAL
		}
		return putInt(v), nil
	}
	switch m.Level {
	case unix.SOL_IP:
		switch m.Type {
		case unix.IP_TTL, unix.IP_PROTOCOL:
			return intIn(1, 255)
		case unix.IP_TOS:
			if len(d) == 1 {
				return putInt(int32(d[0])), nil
			}
			return intIn(0, 255)
		case unix.IP_PKTINFO:
			// struct in_pktinfo: ipi_ifindex, ipi_spec_dst (the
			// source), ipi_addr (not read).
			if len(d) != 12 {
				return nil, unix.EINVAL
			}
			info := make([]byte, 12)
			copy(info[:8], d)
			return info, nil
		case unix.IP_RETOPTS:
			return ipOptions(d[:min(len(d), maxIPOptions)], raw)
		}
	case unix.SOL_IPV6:
		switch m.Type {
		case unix.IPV6_HOPLIMIT, unix.IPV6_2292HOPLIMIT, unix.IPV6_TCLASS:
			return intIn(-1, 255)
		case unix.IPV6_DONTFRAG:
			return intIn(-1<<31, 1<<31-1)
		case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
			// struct in6_pktinfo: ipi6_addr, ipi6_ifindex; what
			// follows is not read (but an IPv4-mapped send wants
			// the exact length: it stays).
			if len(d) < 20 {
				return nil, unix.EINVAL
			}
			info := make([]byte, len(d))
			copy(info[:20], d)
			return info, nil
		case ipv6FlowInfo:
			if len(d) < 4 {
				return nil, unix.EINVAL
			}
			return append([]byte(nil), d[:4]...), nil
		case unix.IPV6_HOPOPTS, unix.IPV6_2292HOPOPTS, unix.IPV6_DSTOPTS, unix.IPV6_2292DSTOPTS, unix.IPV6_RTHDRDSTOPTS:
			// struct ipv6_opt_hdr: next header, length in 8-byte
			// units after the first 8; the options themselves are
			// not read on sending.
			if len(d) < 2 || len(d) < extHeaderLen(d) {
				return nil, unix.EINVAL
			}
			if !raw {
				return nil, unix.EPERM
			}
			return append([]byte(nil), d[:extHeaderLen(d)]...), nil
		case unix.IPV6_RTHDR, unix.IPV6_2292RTHDR:
			// struct ipv6_rt_hdr: next header, length, type,
			// segments left.
			const typ2 = 2 // IPV6_SRCRT_TYPE_2
			if len(d) < 4 || d[2] != typ2 || d[1] != 2 || d[3] != 1 || len(d) < extHeaderLen(d) {
				return nil, unix.EINVAL
			}
			return append([]byte(nil), d[:extHeaderLen(d)]...), nil
		}
	}
	return nil, unix.EINVAL
}

// extHeaderLen is the length of the IPv6 extension header at b (at
// least 2 bytes).
func extHeaderLen(b []byte) int { return (int(b[1]) + 1) * 8 }

// maxIPOptions is the room for options in an IPv4 header.
const maxIPOptions = 40

// IPv4 option types (RFC 791 and its successors) that ip_options_compile
// takes from a program without CAP_NET_RAW.
const (
	ipoptEnd       = 0
	ipoptNoop      = 1
	ipoptRR        = 7
	ipoptTimestamp = 68
	ipoptLSRR      = 131
	ipoptSSRR      = 137
	ipoptRA        = 148
)

// ipOptions checks IPv4 options a program sends (IP_RETOPTS) as Linux's
// ip_options_compile walks them: after the end-of-options option
// nothing is read (the host clears it); a no-op is one byte; any other
// option has a length byte of at least 2 that stays within b (EINVAL
// otherwise). Options other than source routes, route recording,
// timestamps and router alerts (security, CIPSO, unassigned ones) need
// CAP_NET_RAW, EINVAL without. The host checks each option's contents
// (pointers, sizes) itself. It returns a copy of b.
func ipOptions(b []byte, raw bool) ([]byte, error) {
	for i := 0; i < len(b); {
		switch b[i] {
		case ipoptEnd:
			return append([]byte(nil), b...), nil
		case ipoptNoop:
			i++
			continue
		}
		if len(b)-i < 2 {
			return nil, unix.EINVAL
		}
		l := int(b[i+1])
		if l < 2 || l > len(b)-i {
			return nil, unix.EINVAL
		}
		switch b[i] {
		case ipoptRR, ipoptTimestamp, ipoptLSRR, ipoptSSRR, ipoptRA:
		default:
			if !raw {
				return nil, unix.EINVAL
			}
		}
		i += l
	}
	return append([]byte(nil), b...), nil
}

// recvControlLen bounds the control messages kite takes from the host
// with a datagram (those hostRecvControl passes on fit: three IPv6
// extension headers of at most 2048 bytes each and a few small ones).
const recvControlLen = 8 << 10

// hostRecvControl returns the control messages of a received datagram
// (oob, in the host's layout) that the program asked for through the
// options kite passes on: IP_PKTINFO, IP_TTL, IP_TOS and the received
// IP options at SOL_IP (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS,
// IP_RECVOPTS, IP_RETOPTS), IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS,
// the received extension headers and their RFC 2292 forms at SOL_IPV6
// (IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS,
// IPV6_RECVHOPOPTS, IPV6_RECVDSTOPTS, IPV6_RECVRTHDR, IPV6_2292*),
// each of its kind's length. The host's own timestamps are left out:
// kite stamps receives itself.
func hostRecvControl(oob []byte) []net.Cmsg {
	if len(oob) == 0 {
		return nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var out []net.Cmsg
	for _, m := range msgs {
		level, typ, n := m.Header.Level, m.Header.Type, len(m.Data)
		ok := false
		switch level {
		case unix.SOL_IP:
			switch typ {
			case unix.IP_PKTINFO:
				ok = n == 12
			case unix.IP_TTL:
				ok = n == 4
			case unix.IP_TOS:
				ok = n == 1
			case unix.IP_RECVOPTS, unix.IP_RETOPTS:
				ok = n <= maxIPOptions
			}
		case unix.SOL_IPV6:
			switch typ {
			case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
				ok = n == 20
			case unix.IPV6_HOPLIMIT, unix.IPV6_2292HOPLIMIT, unix.IPV6_TCLASS:
				ok = n == 4
			case unix.IPV6_HOPOPTS, unix.IPV6_DSTOPTS, unix.IPV6_RTHDR,
				unix.IPV6_2292HOPOPTS, unix.IPV6_2292DSTOPTS, unix.IPV6_2292RTHDR:
				ok = n >= 2 && n == extHeaderLen(m.Data)
			}
		}
		if ok {
			out = append(out, net.Cmsg{Level: level, Type: typ, Data: append([]byte(nil), m.Data...)})
		}
	}
	return out
}

// ipv6FlowInfo is IPV6_FLOWINFO (x/sys lacks it).
const ipv6FlowInfo = 11
