package inet

import (
	"encoding/binary"
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

// hostOpt is how an option of the host network is carried.
type hostOpt int

const (
	// optInt is an int both ways (the host checks the value).
	optInt hostOpt = iota
	// optIntGet is an int that can only be read.
	optIntGet
	// optLinger is SO_LINGER's struct linger.
	optLinger
	// optString is a NUL-terminated name (TCP_CONGESTION).
	optString
	// optTCPInfo is TCP_INFO, read only.
	optTCPInfo
)

type optKey struct{ level, name int }

// hostOpts are the options passed to host sockets; the rest are the
// socket layer's (SO_RCVTIMEO, SO_TYPE, SO_TIMESTAMP: kite stamps a
// receive with the time it took the data from the host) or refused.
// Options whose effect is a control message on a received datagram
// (IP_PKTINFO, IP_RECVTTL, IP_RECVOPTS, IPV6_RECVTCLASS...) go to the host, whose
// messages of those kinds kite passes on (hostRecvControl), as it does
// the error queue's (IP_RECVERR, SO_TIMESTAMPING's transmit times).
var hostOpts = map[optKey]hostOpt{
	{unix.SOL_SOCKET, unix.SO_REUSEADDR}:  optInt,
	{unix.SOL_SOCKET, unix.SO_REUSEPORT}:  optInt,
	{unix.SOL_SOCKET, unix.SO_KEEPALIVE}:  optInt,
	{unix.SOL_SOCKET, unix.SO_BROADCAST}:  optInt,
	{unix.SOL_SOCKET, unix.SO_SNDBUF}:     optInt,
	{unix.SOL_SOCKET, unix.SO_RCVBUF}:     optInt,
	{unix.SOL_SOCKET, unix.SO_OOBINLINE}:  optInt,
	{unix.SOL_SOCKET, unix.SO_RCVLOWAT}:   optInt,
	{unix.SOL_SOCKET, unix.SO_DONTROUTE}:  optInt,
	{unix.SOL_SOCKET, unix.SO_PRIORITY}:   optInt,
	{unix.SOL_SOCKET, unix.SO_LINGER}:     optLinger,
	{unix.SOL_SOCKET, unix.SO_ERROR}:      optIntGet,
	{unix.SOL_SOCKET, unix.SO_ACCEPTCONN}: optIntGet,

	{unix.SOL_TCP, unix.TCP_NODELAY}:       optInt,
	{unix.SOL_TCP, unix.TCP_CORK}:          optInt,
	{unix.SOL_TCP, unix.TCP_KEEPIDLE}:      optInt,
	{unix.SOL_TCP, unix.TCP_KEEPINTVL}:     optInt,
	{unix.SOL_TCP, unix.TCP_KEEPCNT}:       optInt,
	{unix.SOL_TCP, unix.TCP_USER_TIMEOUT}:  optInt,
	{unix.SOL_TCP, unix.TCP_DEFER_ACCEPT}:  optInt,
	{unix.SOL_TCP, unix.TCP_QUICKACK}:      optInt,
	{unix.SOL_TCP, unix.TCP_MAXSEG}:        optInt,
	{unix.SOL_TCP, unix.TCP_SYNCNT}:        optInt,
	{unix.SOL_TCP, unix.TCP_WINDOW_CLAMP}:  optInt,
	{unix.SOL_TCP, unix.TCP_LINGER2}:       optInt,
	{unix.SOL_TCP, unix.TCP_NOTSENT_LOWAT}: optInt,
	{unix.SOL_TCP, unix.TCP_FASTOPEN}:      optInt,
	{unix.SOL_TCP, unix.TCP_CONGESTION}:    optString,
	{unix.SOL_TCP, unix.TCP_INFO}:          optTCPInfo,

	{unix.SOL_UDP, udpSegment}: optInt,
	{unix.SOL_UDP, udpCorkOpt}: optInt,

	{unix.SOL_IP, unix.IP_TOS}:                  optInt,
	{unix.SOL_IP, unix.IP_TTL}:                  optInt,
	{unix.SOL_IP, unix.IP_MTU_DISCOVER}:         optInt,
	{unix.SOL_IP, unix.IP_MTU}:                  optIntGet,
	{unix.SOL_IP, unix.IP_MULTICAST_TTL}:        optInt,
	{unix.SOL_IP, unix.IP_MULTICAST_LOOP}:       optInt,
	{unix.SOL_IP, unix.IP_FREEBIND}:             optInt,
	{unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT}: optInt,
	{unix.SOL_IP, unix.IP_RECVERR}:              optInt,
	{unix.SOL_IP, unix.IP_PKTINFO}:              optInt,
	{unix.SOL_IP, unix.IP_RECVTTL}:              optInt,
	{unix.SOL_IP, unix.IP_RECVTOS}:              optInt,
	{unix.SOL_IP, unix.IP_RECVOPTS}:             optInt,
	{unix.SOL_IP, unix.IP_RECVRETOPTS}:          optInt,

	{unix.SOL_IPV6, unix.IPV6_V6ONLY}:         optInt,
	{unix.SOL_IPV6, unix.IPV6_UNICAST_HOPS}:   optInt,
	{unix.SOL_IPV6, unix.IPV6_TCLASS}:         optInt,
	{unix.SOL_IPV6, unix.IPV6_MTU_DISCOVER}:   optInt,
	{unix.SOL_IPV6, unix.IPV6_MULTICAST_HOPS}: optInt,
	{unix.SOL_IPV6, unix.IPV6_MULTICAST_LOOP}: optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVERR}:        optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVPKTINFO}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVHOPLIMIT}:   optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVTCLASS}:     optInt,
	{unix.SOL_IPV6, unix.IPV6_2292PKTINFO}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_2292HOPLIMIT}:   optInt,
	{unix.SOL_IPV6, unix.IPV6_DONTFRAG}:       optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVHOPOPTS}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVDSTOPTS}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_RECVRTHDR}:      optInt,
	{unix.SOL_IPV6, unix.IPV6_2292HOPOPTS}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_2292DSTOPTS}:    optInt,
	{unix.SOL_IPV6, unix.IPV6_2292RTHDR}:      optInt,
}

// levelErr is the errno of an option kite does not pass at level: the
// socket layer takes SOL_SOCKET's; ip_getsockopt refuses other levels
// with EOPNOTSUPP on IPv4 sockets, ipv6's with ENOPROTOOPT.
func (s *hostSocket) levelErr(level int) error {
	switch level {
	case unix.SOL_SOCKET, unix.SOL_IP, unix.SOL_IPV6:
		return unix.ENOPROTOOPT
	case unix.SOL_TCP:
		if !s.stream() {
			return unix.EOPNOTSUPP
		}
		return unix.ENOPROTOOPT
	case unix.SOL_UDP:
		if s.stream() {
			return unix.EOPNOTSUPP
		}
		return unix.ENOPROTOOPT
	}
	if s.fam.domain == unix.AF_INET {
		return unix.EOPNOTSUPP
	}
	return unix.ENOPROTOOPT
}

// GetSockOpt implements net.Socket.
func (s *hostSocket) GetSockOpt(ctx net.Context, level, name, optlen int) ([]byte, error) {
	kind, ok := hostOpts[optKey{level, name}]
	if !ok {
		return nil, s.levelErr(level)
	}
	switch kind {
	case optLinger:
		return s.hs.Linger()
	case optString:
		v, err := s.hs.GetString(level, name)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 16) // TCP_CA_NAME_MAX
		copy(b, v)
		return b, nil
	case optTCPInfo:
		return s.hs.TCPInfo()
	}
	v, err := s.hs.GetInt(level, name)
	if err != nil {
		return nil, err
	}
	return putInt(int32(v)), nil
}

// SetSockOpt implements net.Socket. The layer's own SOL_SOCKET options
// (timeouts, SO_PASSCRED...) come back ENOPROTOOPT; SO_LINGER goes to
// the host and to the layer, which reports it too.
func (s *hostSocket) SetSockOpt(ctx net.Context, level, name int, val []byte) error {
	if level == unix.SOL_SOCKET && (name == soTimestampingOld || name == soTimestampingNew) {
		return s.setTimestamping(name, val)
	}
	kind, ok := hostOpts[optKey{level, name}]
	if !ok {
		return s.levelErr(level)
	}
	switch kind {
	case optIntGet, optTCPInfo:
		return unix.ENOPROTOOPT
	}
	if len(val) == 0 {
		return unix.EINVAL
	}
	if err := s.hs.SetBytes(level, name, val); err != nil {
		return err
	}
	if level == unix.SOL_SOCKET && name == unix.SO_LINGER {
		return unix.ENOPROTOOPT
	}
	return nil
}

// SO_TIMESTAMPING's option numbers (the old and the _NEW one).
const (
	soTimestampingOld = 37
	soTimestampingNew = 65
)

// setTimestamping is SO_TIMESTAMPING: the host socket takes the flags
// (and checks them as Linux does: unknown flags, OPT_ID on an
// unconnected TCP socket...), so that its transmit timestamps come on
// its error queue, which recvmsg(MSG_ERRQUEUE) passes on; the socket
// layer records them for the receive times kite adds and for
// getsockopt.
func (s *hostSocket) setTimestamping(name int, val []byte) error {
	if len(val) < 4 {
		return unix.EINVAL
	}
	if err := s.hs.SetBytes(unix.SOL_SOCKET, name, val); err != nil {
		return err
	}
	s.opts.SetTimestamping(name, binary.LittleEndian.Uint32(val))
	return nil
}
