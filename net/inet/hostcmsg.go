package inet

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

// The IP-level control messages of host sockets' datagrams, both ways.
// A program's messages are checked here and rebuilt for the host's
// sendmsg from the values read (never its bytes passed on); the host's
// received messages are passed to the program only if they are of the
// kinds the options kite passes on ask for.

// appendCmsg appends one control message of level and typ carrying
// data, in the host's layout (struct cmsghdr, then data, padded).
func appendCmsg(b []byte, level, typ int, data []byte) []byte {
	m := make([]byte, unix.CmsgSpace(len(data)))
	le := binary.LittleEndian
	le.PutUint64(m, uint64(unix.CmsgLen(len(data))))
	le.PutUint32(m[8:], uint32(level))
	le.PutUint32(m[12:], uint32(typ))
	copy(m[unix.CmsgLen(0):], data)
	return append(b, m...)
}

// hostSendControl checks a datagram's control messages as Linux's
// ip_cmsg_send and ip6_datagram_send_ctl read them and rebuilds those
// the host is to apply: at SOL_IP, IP_TTL and IP_PROTOCOL (an int),
// IP_TOS (an int or a byte) and IP_PKTINFO (a struct in_pktinfo: its
// interface and source address); at SOL_IPV6 on IPv6 sockets,
// IPV6_HOPLIMIT, IPV6_TCLASS and IPV6_DONTFRAG (an int), IPV6_PKTINFO
// and IPV6_2292PKTINFO (a struct in6_pktinfo) and IPV6_FLOWINFO (a
// 32-bit flow label). A bad length is EINVAL as on Linux; the host checks
// the values (ranges, interfaces, local source addresses) and gives
// Linux's errors itself. Other SOL_IP types are EINVAL on IPv4 sockets
// (IP_RETOPTS too: kite passes no IP options) and left out on IPv6 ones,
// which take SOL_IP messages only for IPv4-mapped destinations; other
// SOL_IPV6 types (extension headers) are EINVAL; other levels are the
// socket layer's or ignored, as on Linux.
func (s *hostSocket) hostSendControl(msgs []net.Cmsg) ([]byte, error) {
	var oob []byte
	le := binary.LittleEndian
	v6 := s.fam.domain == unix.AF_INET6
	for _, m := range msgs {
		d := m.Data
		switch m.Level {
		case unix.SOL_IP:
			switch m.Type {
			case unix.IP_TTL, unix.IP_PROTOCOL:
				if len(d) != 4 {
					return nil, unix.EINVAL
				}
				oob = appendCmsg(oob, unix.SOL_IP, int(m.Type), putInt(int32(le.Uint32(d))))
			case unix.IP_TOS:
				var v int32
				switch len(d) {
				case 4:
					v = int32(le.Uint32(d))
				case 1:
					v = int32(d[0])
				default:
					return nil, unix.EINVAL
				}
				oob = appendCmsg(oob, unix.SOL_IP, unix.IP_TOS, putInt(v))
			case unix.IP_PKTINFO:
				// struct in_pktinfo: ipi_ifindex, ipi_spec_dst
				// (the source), ipi_addr (not read).
				if len(d) != 12 {
					return nil, unix.EINVAL
				}
				info := make([]byte, 12)
				le.PutUint32(info, le.Uint32(d))
				copy(info[4:8], d[4:8])
				oob = appendCmsg(oob, unix.SOL_IP, unix.IP_PKTINFO, info)
			default:
				if !v6 {
					return nil, unix.EINVAL
				}
			}
		case unix.SOL_IPV6:
			if !v6 {
				continue
			}
			switch m.Type {
			case unix.IPV6_HOPLIMIT, unix.IPV6_TCLASS, unix.IPV6_DONTFRAG:
				if len(d) != 4 {
					return nil, unix.EINVAL
				}
				oob = appendCmsg(oob, unix.SOL_IPV6, int(m.Type), putInt(int32(le.Uint32(d))))
			case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
				// struct in6_pktinfo: ipi6_addr, ipi6_ifindex.
				if len(d) < 20 {
					return nil, unix.EINVAL
				}
				info := make([]byte, 20)
				copy(info[:16], d[:16])
				le.PutUint32(info[16:], le.Uint32(d[16:]))
				oob = appendCmsg(oob, unix.SOL_IPV6, int(m.Type), info)
			case ipv6FlowInfo:
				if len(d) < 4 {
					return nil, unix.EINVAL
				}
				oob = appendCmsg(oob, unix.SOL_IPV6, ipv6FlowInfo, append([]byte(nil), d[:4]...))
			default:
				return nil, unix.EINVAL
			}
		}
	}
	return oob, nil
}

// recvControlLen bounds the control messages kite takes from the host
// with a datagram (those hostRecvControl passes on fit many times).
const recvControlLen = 512

// hostRecvControl returns the control messages of a received datagram
// (oob, in the host's layout) that the program asked for through the
// options kite passes on: IP_PKTINFO, IP_TTL and IP_TOS at SOL_IP
// (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS), IPV6_PKTINFO, IPV6_HOPLIMIT,
// IPV6_TCLASS and their RFC 2292 forms at SOL_IPV6 (IPV6_RECVPKTINFO,
// IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, IPV6_2292PKTINFO,
// IPV6_2292HOPLIMIT), each of its kind's length. The host's own
// timestamps are left out: kite stamps receives itself.
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
			}
		case unix.SOL_IPV6:
			switch typ {
			case unix.IPV6_PKTINFO, unix.IPV6_2292PKTINFO:
				ok = n == 20
			case unix.IPV6_HOPLIMIT, unix.IPV6_2292HOPLIMIT, unix.IPV6_TCLASS:
				ok = n == 4
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
