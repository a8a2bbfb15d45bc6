package hostnet

import (
	"net"
	"net/netip"
	"time"
)

// dialTimeout bounds an outbound connection's handshake.
const dialTimeout = 30 * time.Second

// DialTCP connects to addr on the host's network (a sandbox's outbound
// connection).
func DialTCP(addr netip.AddrPort) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: dialTimeout}
	c, err := d.Dial("tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// DialUDP makes a UDP socket connected to addr on the host's network.
func DialUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	return net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(addr))
}

// ListenTCP listens at addr on the host (a --publish port).
func ListenTCP(addr netip.AddrPort) (*net.TCPListener, error) {
	return net.ListenTCP("tcp", net.TCPAddrFromAddrPort(addr))
}

// ListenUDP binds a UDP socket at addr on the host (a --publish port).
func ListenUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	return net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
}
