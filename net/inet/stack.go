package inet

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/kite-os/kite/net"
)

// loNIC is the loopback interface's index, as on Linux.
const loNIC tcpip.NICID = 1

// Linux's defaults that kite's stack uses too.
const (
	// portLow and portHigh are net.ipv4.ip_local_port_range.
	portLow  = 32768
	portHigh = 60999
	// defaultTTL is net.ipv4.ip_default_ttl (and IPv6's hop limit).
	defaultTTL = 64
	// somaxconn is net.core.somaxconn.
	somaxconn = 4096
	// loMTU is lo's MTU.
	loMTU = 65536
)

// Stack is the TCP/IP stack of one kernel instance.
type Stack struct {
	s *stack.Stack

	// mu guards socks.
	mu sync.Mutex
	// socks is every open socket (for /proc/net).
	socks map[*socket]struct{}
}

// New returns a stack with lo up, holding 127.0.0.1/8 and ::1/128.
func New() (*Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
	})
	st := &Stack{s: s, socks: make(map[*socket]struct{})}
	if err := st.setup(); err != nil {
		s.Close()
		return nil, err
	}
	return st, nil
}

func (st *Stack) setup() error {
	s := st.s
	if err := s.CreateNICWithOptions(loNIC, loopback.New(), stack.NICOptions{Name: "lo"}); err != nil {
		return fmt.Errorf("lo: %s", err)
	}
	for _, a := range []tcpip.ProtocolAddress{
		{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), PrefixLen: 8}},
		{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}},
	} {
		if err := s.AddProtocolAddress(loNIC, a, stack.AddressProperties{}); err != nil {
			return fmt.Errorf("lo address %s: %s", a.AddressWithPrefix, err)
		}
	}
	v4, _ := tcpip.NewSubnet(tcpip.AddrFrom4([4]byte{127, 0, 0, 0}), tcpip.MaskFromBytes([]byte{255, 0, 0, 0}))
	v6, _ := tcpip.NewSubnet(tcpip.AddrFrom16([16]byte{15: 1}), tcpip.MaskFromBytes(bytesOf(16, 0xff)))
	s.SetRouteTable([]tcpip.Route{{Destination: v4, NIC: loNIC}, {Destination: v6, NIC: loNIC}})
	if err := s.SetPortRange(portLow, portHigh); err != nil {
		return fmt.Errorf("port range: %s", err)
	}
	sack := tcpip.TCPSACKEnabled(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); err != nil {
		return fmt.Errorf("SACK: %s", err)
	}
	// Nagle's algorithm is on by default, as on Linux (TCP_NODELAY 0).
	delay := tcpip.TCPDelayEnabled(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &delay); err != nil {
		return fmt.Errorf("TCP delay: %s", err)
	}
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &moderate); err != nil {
		return fmt.Errorf("receive buffer moderation: %s", err)
	}
	for _, p := range []tcpip.NetworkProtocolNumber{ipv4.ProtocolNumber, ipv6.ProtocolNumber} {
		ttl := tcpip.DefaultTTLOption(defaultTTL)
		if err := s.SetNetworkProtocolOption(p, &ttl); err != nil {
			return fmt.Errorf("default TTL: %s", err)
		}
	}
	return nil
}

func bytesOf(n int, v byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

// Close stops the stack's work (timers, protocol goroutines).
func (st *Stack) Close() { st.s.Close() }

// Register makes st's families AF_INET and AF_INET6 of ns.
func (st *Stack) Register(ns *net.Stack) {
	ns.Register(unix.AF_INET, &family{st: st, domain: unix.AF_INET})
	ns.Register(unix.AF_INET6, &family{st: st, domain: unix.AF_INET6})
	ns.SetDeviceIoctl(st.DeviceIoctl)
}
