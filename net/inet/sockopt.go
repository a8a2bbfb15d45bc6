package inet

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/kite-os/kite/net"
)

func putInt(v int32) []byte {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// intVal decodes an int option value: EINVAL when shorter than an int.
func intVal(b []byte) (int32, error) {
	if len(b) < 4 {
		return 0, unix.EINVAL
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

// ipIntVal decodes an IP-level value as do_ip_setsockopt: an int, or a
// single byte when shorter.
func ipIntVal(b []byte) (int32, error) {
	switch {
	case len(b) >= 4:
		return int32(binary.LittleEndian.Uint32(b)), nil
	case len(b) >= 1:
		return int32(b[0]), nil
	}
	return 0, unix.EINVAL
}

// Linux's bounds for the TCP keepalive options.
const (
	maxTCPKeepIdle  = 32767
	maxTCPKeepIntvl = 32767
	maxTCPKeepCnt   = 127
)

// GetSockOpt implements net.Socket; ENOPROTOOPT leaves SOL_SOCKET
// options to the socket layer.
func (s *socket) GetSockOpt(ctx net.Context, level, name, optlen int) ([]byte, error) {
	ops := s.ep().SocketOptions()
	switch level {
	case unix.SOL_SOCKET:
		switch name {
		case unix.SO_ERROR:
			e := errno(s.ep().LastError())
			if e == nil {
				return putInt(0), nil
			}
			// tcpip keeps a failed connection's error twice (hard
			// and last error); SO_ERROR clears it as Linux's
			// sock_error does.
			s.ep().LastError()
			s.tookError()
			return putInt(int32(e.(unix.Errno))), nil
		case unix.SO_ACCEPTCONN:
			return putInt(boolInt(ops.GetAcceptConn())), nil
		case unix.SO_KEEPALIVE:
			return putInt(boolInt(ops.GetKeepAlive())), nil
		case unix.SO_REUSEADDR:
			return putInt(boolInt(ops.GetReuseAddress())), nil
		case unix.SO_REUSEPORT:
			return putInt(boolInt(ops.GetReusePort())), nil
		case unix.SO_BROADCAST:
			return putInt(boolInt(ops.GetBroadcast())), nil
		case unix.SO_SNDBUF:
			return putInt(int32(ops.GetSendBufferSize())), nil
		case unix.SO_RCVBUF:
			return putInt(int32(s.receiveBufferSize())), nil
		case unix.SO_BINDTODEVICE:
			return s.bindToDevice(optlen)
		}
		return nil, unix.ENOPROTOOPT
	case unix.SOL_TCP:
		if !s.stream() {
			return nil, unix.EOPNOTSUPP
		}
		return s.getTCP(name)
	case unix.SOL_IP:
		return s.getIP(name)
	case unix.SOL_IPV6:
		if s.fam.domain != unix.AF_INET6 {
			return nil, unix.EOPNOTSUPP
		}
		return s.getIPv6(name)
	case unix.SOL_UDP:
		if s.protocol == unix.IPPROTO_UDP {
			return s.getUDP(name)
		}
	}
	// ip_getsockopt refuses levels it does not know with EOPNOTSUPP,
	// ipv6_getsockopt with ENOPROTOOPT.
	if s.fam.domain == unix.AF_INET {
		return nil, unix.EOPNOTSUPP
	}
	return nil, unix.ENOPROTOOPT
}

// bindToDevice answers SO_BINDTODEVICE: the interface's name, or
// nothing when unbound.
func (s *socket) bindToDevice(optlen int) ([]byte, error) {
	id := s.ep().SocketOptions().GetBindToDevice()
	if id == 0 {
		return []byte{}, nil
	}
	name := s.fam.st.s.FindNICNameFromID(tcpip.NICID(id))
	b := append([]byte(name), 0)
	if optlen < len(b) {
		return nil, unix.EINVAL
	}
	return b, nil
}

func (s *socket) getTCP(name int) ([]byte, error) {
	ops := s.ep().SocketOptions()
	intOpt := func(o tcpip.SockOptInt) ([]byte, error) {
		v, err := s.ep().GetSockOptInt(o)
		if err != nil {
			return nil, errno(err)
		}
		return putInt(int32(v)), nil
	}
	switch name {
	case unix.TCP_NODELAY:
		return putInt(boolInt(!ops.GetDelayOption())), nil
	case unix.TCP_CORK:
		return putInt(boolInt(ops.GetCorkOption())), nil
	case unix.TCP_QUICKACK:
		return putInt(boolInt(ops.GetQuickAck())), nil
	case unix.TCP_KEEPIDLE:
		var v tcpip.KeepaliveIdleOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		return putInt(int32(time.Duration(v) / time.Second)), nil
	case unix.TCP_KEEPINTVL:
		var v tcpip.KeepaliveIntervalOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		return putInt(int32(time.Duration(v) / time.Second)), nil
	case unix.TCP_KEEPCNT:
		return intOpt(tcpip.KeepaliveCountOption)
	case unix.TCP_USER_TIMEOUT:
		var v tcpip.TCPUserTimeoutOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		return putInt(int32(time.Duration(v) / time.Millisecond)), nil
	case unix.TCP_DEFER_ACCEPT:
		var v tcpip.TCPDeferAcceptOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		return putInt(int32(time.Duration(v) / time.Second)), nil
	case unix.TCP_MAXSEG:
		return intOpt(tcpip.MaxSegOption)
	case unix.TCP_SYNCNT:
		return intOpt(tcpip.TCPSynCountOption)
	case unix.TCP_WINDOW_CLAMP:
		return intOpt(tcpip.TCPWindowClampOption)
	case unix.TCP_LINGER2:
		var v tcpip.TCPLingerTimeoutOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		return putInt(int32(time.Duration(v) / time.Second)), nil
	case unix.TCP_CONGESTION:
		var v tcpip.CongestionControlOption
		if err := s.ep().GetSockOpt(&v); err != nil {
			return nil, errno(err)
		}
		b := make([]byte, 16) // TCP_CA_NAME_MAX
		copy(b, v)
		return b, nil
	case unix.TCP_INFO:
		return s.tcpInfo()
	}
	return nil, unix.ENOPROTOOPT
}

// tcpInfoLen is sizeof(struct tcp_info) in Linux 6.x.
const tcpInfoLen = 248

// tcpInfo encodes struct tcp_info from what tcpip knows; fields it does
// not track stay zero.
func (s *socket) tcpInfo() ([]byte, error) {
	var v tcpip.TCPInfoOption
	if err := s.ep().GetSockOpt(&v); err != nil {
		return nil, errno(err)
	}
	b := make([]byte, tcpInfoLen)
	le := binary.LittleEndian
	b[0] = byte(linuxTCPState(v.State))
	b[1] = byte(v.CcState)
	us := func(d time.Duration) uint32 { return uint32(d / time.Microsecond) }
	le.PutUint32(b[8:], us(v.RTO))
	if mss, err := s.ep().GetSockOptInt(tcpip.MaxSegOption); err == nil {
		le.PutUint32(b[16:], uint32(mss))
		le.PutUint32(b[20:], uint32(mss))
		le.PutUint32(b[84:], uint32(mss))
	}
	le.PutUint32(b[60:], loMTU)
	le.PutUint32(b[68:], us(v.RTT))
	le.PutUint32(b[72:], us(v.RTTVar))
	le.PutUint32(b[76:], v.SndSsthresh)
	le.PutUint32(b[80:], v.SndCwnd)
	le.PutUint32(b[88:], 3) // tcpi_reordering: net.ipv4.tcp_reordering
	return b, nil
}

// linuxTCPState maps tcpip's endpoint state to Linux's TCP_* state
// (TCP_CLOSE for its internal states).
func linuxTCPState(s tcpip.EndpointState) int {
	st := tcp.EndpointState(s)
	// tcpip numbers the protocol states as Linux does (ESTABLISHED 1
	// ... CLOSING 11); its own states (initial, bound, connecting,
	// error) come after.
	switch {
	case st >= tcp.StateEstablished && st <= tcp.StateClosing:
		return int(st)
	case st == tcp.StateConnecting:
		return int(tcp.StateSynSent)
	}
	return int(tcp.StateClose)
}

func (s *socket) getIP(name int) ([]byte, error) {
	ops := s.ep().SocketOptions()
	switch name {
	case unix.IP_TOS:
		v, err := s.ep().GetSockOptInt(tcpip.IPv4TOSOption)
		if err != nil {
			return nil, errno(err)
		}
		return putInt(int32(v)), nil
	case unix.IP_TTL:
		v, err := s.ep().GetSockOptInt(tcpip.IPv4TTLOption)
		if err != nil {
			return nil, errno(err)
		}
		if v <= 0 {
			v = s.fam.st.ipv4TTL()
		}
		return putInt(int32(v)), nil
	case unix.IP_RECVERR:
		return putInt(boolInt(ops.GetIPv4RecvError())), nil
	case unix.IP_PKTINFO:
		return putInt(boolInt(ops.GetReceivePacketInfo())), nil
	case unix.IP_RECVTOS:
		return putInt(boolInt(ops.GetReceiveTOS())), nil
	case unix.IP_RECVTTL:
		return putInt(boolInt(ops.GetReceiveTTL())), nil
	case unix.IP_MTU_DISCOVER:
		v, err := s.ep().GetSockOptInt(tcpip.MTUDiscoverOption)
		if err != nil {
			return nil, errno(err)
		}
		return putInt(int32(v)), nil
	case unix.IP_MULTICAST_TTL:
		v, err := s.ep().GetSockOptInt(tcpip.MulticastTTLOption)
		if err != nil {
			return nil, errno(err)
		}
		return putInt(int32(v)), nil
	case unix.IP_MULTICAST_LOOP:
		return putInt(boolInt(ops.GetMulticastLoop())), nil
	}
	return nil, unix.ENOPROTOOPT
}

func (s *socket) getIPv6(name int) ([]byte, error) {
	ops := s.ep().SocketOptions()
	switch name {
	case unix.IPV6_V6ONLY:
		return putInt(boolInt(ops.GetV6Only())), nil
	case unix.IPV6_TCLASS:
		v, err := s.ep().GetSockOptInt(tcpip.IPv6TrafficClassOption)
		if err != nil {
			return nil, errno(err)
		}
		return putInt(int32(v)), nil
	case unix.IPV6_UNICAST_HOPS:
		v, err := s.ep().GetSockOptInt(tcpip.IPv6HopLimitOption)
		if err != nil {
			return nil, errno(err)
		}
		if v < 0 {
			v = defaultTTL
		}
		return putInt(int32(v)), nil
	case unix.IPV6_RECVPKTINFO:
		return putInt(boolInt(ops.GetIPv6ReceivePacketInfo())), nil
	case unix.IPV6_RECVERR:
		return putInt(boolInt(ops.GetIPv6RecvError())), nil
	case unix.IPV6_RECVTCLASS:
		return putInt(boolInt(ops.GetReceiveTClass())), nil
	case unix.IPV6_RECVHOPLIMIT:
		return putInt(boolInt(s.recvHop.Load())), nil
	case unix.IPV6_2292HOPLIMIT:
		return putInt(boolInt(s.recvHop2292.Load())), nil
	}
	return nil, unix.ENOPROTOOPT
}

// SetSockOpt implements net.Socket. SOL_SOCKET options tcpip also needs
// are applied to the endpoint and answered ENOPROTOOPT, so that the
// socket layer checks and records them too. A TCP or UDP socket keeps
// what it set for the endpoint that replaces this one on a disconnect.
func (s *socket) SetSockOpt(ctx net.Context, level, name int, val []byte) error {
	if level == unix.SOL_UDP && name == udpCorkOpt && s.protocol == unix.IPPROTO_UDP {
		// The option is the socket's, not the endpoint's; clearing
		// it sends (cork.go).
		return s.setCork(ctx, val)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stream() {
		s.sendMu.Lock()
		defer s.sendMu.Unlock()
	}
	err := s.setSockOpt(s.ep(), level, name, val)
	if err == nil && level == unix.SOL_SOCKET && name == unix.SO_RCVBUF && s.rcvBuf.Load() != 0 {
		// The held datagrams count against the new size.
		s.rcvBuf.Store(0)
		s.chargeHeldLocked()
	}
	if (err == nil || err == unix.ENOPROTOOPT && level == unix.SOL_SOCKET) && s.replaceable() {
		s.recordOptLocked(level, name, val)
	}
	return err
}

// recordOptLocked keeps a setsockopt call for a new endpoint: the
// latest of each option, in the order they were set; s.mu is held.
func (s *socket) recordOptLocked(level, name int, val []byte) {
	for i, o := range s.epOpts {
		if o.level == level && o.name == name {
			s.epOpts = append(s.epOpts[:i], s.epOpts[i+1:]...)
			break
		}
	}
	s.epOpts = append(s.epOpts, setOpt{level, name, append([]byte(nil), val...)})
}

// setSockOpt applies an option to the endpoint.
func (s *socket) setSockOpt(ep tcpip.Endpoint, level, name int, val []byte) error {
	switch level {
	case unix.SOL_SOCKET:
		return s.setSocket(ep, name, val)
	case unix.SOL_TCP:
		if !s.stream() {
			return unix.EOPNOTSUPP
		}
		return s.setTCP(ep, name, val)
	case unix.SOL_IP:
		return s.setIP(ep, name, val)
	case unix.SOL_IPV6:
		if s.fam.domain != unix.AF_INET6 {
			return unix.ENOPROTOOPT
		}
		return s.setIPv6(ep, name, val)
	case unix.SOL_UDP:
		if s.protocol == unix.IPPROTO_UDP {
			return s.setUDP(name, val)
		}
	case unix.SOL_ICMPV6:
		return s.setICMPv6(ep, name, val)
	}
	return unix.ENOPROTOOPT
}

// getUDP is udp_lib_getsockopt: UDP_SEGMENT and UDP_CORK (1 when set;
// the socket layer cuts the int to the caller's length). UDP_ENCAP,
// UDP_GRO and
// the UDP_NO_CHECK6 options are not kite's (ENOPROTOOPT).
func (s *socket) getUDP(name int) ([]byte, error) {
	switch name {
	case udpSegment:
		return putInt(s.gsoSize.Load()), nil
	case udpCorkOpt:
		if s.cork.on.Load() {
			return putInt(1), nil
		}
		return putInt(0), nil
	}
	return nil, unix.ENOPROTOOPT
}

// setUDP is udp_lib_setsockopt: the value is an int (shorter is
// EINVAL, whatever the option); UDP_SEGMENT is the segment size of the
// socket's sends without a UDP_SEGMENT message, 0 to 65535 (EINVAL).
func (s *socket) setUDP(name int, val []byte) error {
	v, err := intVal(val)
	if err != nil {
		return err
	}
	if name != udpSegment {
		return unix.ENOPROTOOPT
	}
	if v < 0 || v > 0xffff {
		return unix.EINVAL
	}
	s.gsoSize.Store(v)
	return nil
}

// icmp6Filter is ICMP6_FILTER, struct icmp6_filter's 256 bits (a set
// bit blocks the type).
const icmp6Filter = 1

// setICMPv6 is SOL_ICMPV6's ICMP6_FILTER, for raw ICMPv6 sockets only.
func (s *socket) setICMPv6(ep tcpip.Endpoint, name int, val []byte) error {
	if s.typ != unix.SOCK_RAW || s.fam.domain != unix.AF_INET6 || name != icmp6Filter {
		return unix.ENOPROTOOPT
	}
	if len(val) > 32 {
		val = val[:32]
	}
	var f tcpip.ICMPv6Filter
	b := make([]byte, 32)
	copy(b, val)
	for i := range f.DenyType {
		f.DenyType[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return errno(ep.SetSockOpt(&f))
}

func (s *socket) setSocket(ep tcpip.Endpoint, name int, val []byte) error {
	if name == soTimestampingOld || name == soTimestampingNew {
		return s.setTxTimestamping(ep, name, val)
	}
	ops := ep.SocketOptions()
	if name == unix.SO_BINDTODEVICE {
		n := len(val)
		for i, c := range val {
			if c == 0 {
				n = i
				break
			}
		}
		if n == 0 {
			return errno(ops.SetBindToDevice(0))
		}
		for nid, info := range s.fam.st.s.NICInfo() {
			if info.Name == string(val[:n]) {
				return errno(ops.SetBindToDevice(int32(nid)))
			}
		}
		return unix.ENODEV
	}
	if name == unix.SO_LINGER {
		if len(val) >= 8 {
			on := binary.LittleEndian.Uint32(val) != 0
			secs := int32(binary.LittleEndian.Uint32(val[4:]))
			ops.SetLinger(tcpip.LingerOption{Enabled: on, Timeout: time.Duration(max(secs, 0)) * time.Second})
		}
		return unix.ENOPROTOOPT
	}
	v, err := intVal(val)
	if err != nil {
		return unix.ENOPROTOOPT
	}
	switch name {
	case unix.SO_KEEPALIVE:
		ops.SetKeepAlive(v != 0)
	case unix.SO_REUSEADDR:
		ops.SetReuseAddress(v != 0)
	case unix.SO_REUSEPORT:
		ops.SetReusePort(v != 0)
	case unix.SO_BROADCAST:
		ops.SetBroadcast(v != 0)
	case unix.SO_SNDBUF:
		// The stored value is doubled as sock_setsockopt does.
		ops.SetSendBufferSize(int64(clampBuf(v, net.MinSndBuf)), true)
	case unix.SO_RCVBUF:
		ops.SetReceiveBufferSize(int64(clampBuf(v, net.MinRcvBuf)), true)
	case unix.SO_RCVLOWAT:
		if v < 0 {
			v = 1<<31 - 1
		}
		ops.SetRcvlowat(v)
	}
	return unix.ENOPROTOOPT
}

// clampBuf is SO_SNDBUF/SO_RCVBUF's rule: doubled, clamped to twice the
// maximum and to the minimum.
func clampBuf(v int32, min int) int {
	n := int64(v)
	if n > net.MaxBuf {
		n = net.MaxBuf
	}
	if n < 0 {
		n = 0
	}
	n *= 2
	if n < int64(min) {
		n = int64(min)
	}
	return int(n)
}

func (s *socket) setTCP(ep tcpip.Endpoint, name int, val []byte) error {
	ops := ep.SocketOptions()
	if name == unix.TCP_CONGESTION {
		n := len(val)
		for i, c := range val {
			if c == 0 {
				n = i
				break
			}
		}
		v := tcpip.CongestionControlOption(val[:n])
		if err := ep.SetSockOpt(&v); err != nil {
			return unix.ENOENT
		}
		return nil
	}
	v, err := intVal(val)
	if err != nil {
		return err
	}
	secs := func(d int32) time.Duration { return time.Duration(d) * time.Second }
	switch name {
	case unix.TCP_NODELAY:
		ops.SetDelayOption(v == 0)
	case unix.TCP_CORK:
		ops.SetCorkOption(v != 0)
	case unix.TCP_QUICKACK:
		ops.SetQuickAck(v != 0)
	case unix.TCP_KEEPIDLE:
		if v < 1 || v > maxTCPKeepIdle {
			return unix.EINVAL
		}
		o := tcpip.KeepaliveIdleOption(secs(v))
		return errno(ep.SetSockOpt(&o))
	case unix.TCP_KEEPINTVL:
		if v < 1 || v > maxTCPKeepIntvl {
			return unix.EINVAL
		}
		o := tcpip.KeepaliveIntervalOption(secs(v))
		return errno(ep.SetSockOpt(&o))
	case unix.TCP_KEEPCNT:
		if v < 1 || v > maxTCPKeepCnt {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.KeepaliveCountOption, int(v)))
	case unix.TCP_USER_TIMEOUT:
		if v < 0 {
			return unix.EINVAL
		}
		o := tcpip.TCPUserTimeoutOption(time.Duration(v) * time.Millisecond)
		return errno(ep.SetSockOpt(&o))
	case unix.TCP_DEFER_ACCEPT:
		o := tcpip.TCPDeferAcceptOption(secs(deferAcceptSecs(v)))
		return errno(ep.SetSockOpt(&o))
	case unix.TCP_MAXSEG:
		return errno(ep.SetSockOptInt(tcpip.MaxSegOption, int(v)))
	case unix.TCP_SYNCNT:
		if v < 1 || v > 255 {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.TCPSynCountOption, int(v)))
	case unix.TCP_WINDOW_CLAMP:
		return errno(ep.SetSockOptInt(tcpip.TCPWindowClampOption, int(v)))
	case unix.TCP_LINGER2:
		o := tcpip.TCPLingerTimeoutOption(secs(v))
		return errno(ep.SetSockOpt(&o))
	default:
		return unix.ENOPROTOOPT
	}
	return nil
}

// deferAcceptSecs rounds TCP_DEFER_ACCEPT's seconds as Linux keeps them:
// as a count of SYN-ACK retransmissions (1 s doubling, at most 120 s
// each) and back.
func deferAcceptSecs(secs int32) int32 {
	if secs <= 0 {
		return 0
	}
	retrans, timeout, period := 1, int32(1), int32(1)
	for secs > period && retrans < 255 {
		retrans++
		timeout = min(timeout*2, 120)
		period += timeout
	}
	return period
}

func (s *socket) setIP(ep tcpip.Endpoint, name int, val []byte) error {
	ops := ep.SocketOptions()
	v, err := ipIntVal(val)
	if err != nil {
		return err
	}
	switch name {
	case unix.IP_TOS:
		if s.stream() {
			// The ECN bits stay TCP's own.
			cur, _ := ep.GetSockOptInt(tcpip.IPv4TOSOption)
			v = v&^3 | int32(cur)&3
		}
		return errno(ep.SetSockOptInt(tcpip.IPv4TOSOption, int(v&0xff)))
	case unix.IP_TTL:
		if v == -1 {
			v = 0
		} else if v < 1 || v > 255 {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.IPv4TTLOption, int(v)))
	case unix.IP_RECVERR:
		ops.SetIPv4RecvError(v != 0)
	case unix.IP_PKTINFO:
		ops.SetReceivePacketInfo(v != 0)
	case unix.IP_RECVTOS:
		ops.SetReceiveTOS(v != 0)
	case unix.IP_RECVTTL:
		ops.SetReceiveTTL(v != 0)
	case unix.IP_MTU_DISCOVER:
		if v < 0 || v > 5 {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.MTUDiscoverOption, int(v)))
	case unix.IP_MULTICAST_TTL:
		if v == -1 {
			v = 1
		}
		if v < 0 || v > 255 {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.MulticastTTLOption, int(v)))
	case unix.IP_MULTICAST_LOOP:
		ops.SetMulticastLoop(v != 0)
	default:
		return unix.ENOPROTOOPT
	}
	return nil
}

func (s *socket) setIPv6(ep tcpip.Endpoint, name int, val []byte) error {
	ops := ep.SocketOptions()
	v, err := intVal(val)
	if err != nil {
		return err
	}
	switch name {
	case unix.IPV6_V6ONLY:
		// Only before bind, as inet_sk(sk)->inet_num is checked.
		if a, err := ep.GetLocalAddress(); err == nil && a.Port != 0 {
			return unix.EINVAL
		}
		ops.SetV6Only(v != 0)
	case unix.IPV6_TCLASS:
		if v < -1 || v > 0xff {
			return unix.EINVAL
		}
		if v == -1 {
			v = 0
		}
		return errno(ep.SetSockOptInt(tcpip.IPv6TrafficClassOption, int(v)))
	case unix.IPV6_UNICAST_HOPS:
		if v < -1 || v > 255 {
			return unix.EINVAL
		}
		return errno(ep.SetSockOptInt(tcpip.IPv6HopLimitOption, int(v)))
	case unix.IPV6_RECVPKTINFO:
		ops.SetIPv6ReceivePacketInfo(v != 0)
	case unix.IPV6_RECVERR:
		ops.SetIPv6RecvError(v != 0)
	case unix.IPV6_RECVTCLASS:
		ops.SetReceiveTClass(v != 0)
	case unix.IPV6_RECVHOPLIMIT:
		s.recvHop.Store(v != 0)
		ops.SetReceiveHopLimit(s.recvHop.Load() || s.recvHop2292.Load())
	case unix.IPV6_2292HOPLIMIT:
		s.recvHop2292.Store(v != 0)
		ops.SetReceiveHopLimit(s.recvHop.Load() || s.recvHop2292.Load())
	default:
		return unix.ENOPROTOOPT
	}
	return nil
}
