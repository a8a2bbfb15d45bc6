package inet

import (
	"errors"
	"fmt"
	"io"
	stdnet "net"
	"net/netip"
	"sync"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/link/pipe"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/kite-os/kite/net/inet/hostnet"
)

// The sandbox network's addresses, as slirp's: the sandbox is 10.0.2.15
// on eth0, and 10.0.2.2, its gateway, stands for the host's loopback.
var (
	sandboxAddr = tcpip.AddrFrom4([4]byte{10, 0, 2, 15})
	gatewayAddr = tcpip.AddrFrom4([4]byte{10, 0, 2, 2})
	sandboxNet  = netip.MustParsePrefix("10.0.2.0/24")
)

const (
	// ethNIC is eth0's index.
	ethNIC tcpip.NICID = 2
	// ethMTU is eth0's MTU (slirp4netns's largest: kite's link has no
	// wire).
	ethMTU = 65520
	// routerNIC is the router stack's end of the link.
	routerNIC tcpip.NICID = 1
	// udpIdle ends a forwarded UDP flow that carried nothing for that
	// long.
	udpIdle = 2 * time.Minute
)

// Publish is one --publish: connections to Host on the host go to the
// sandbox's Port (on its loopback, as rootlesskit's port driver does).
type Publish struct {
	Host netip.AddrPort
	Port uint16
	UDP  bool
}

// Sandbox is the network of `kite run --net=sandbox`: the stack gets
// eth0 (10.0.2.15/24, default route through 10.0.2.2), linked to a
// second stack, the router, which terminates every connection the
// sandbox opens through eth0 and carries it over a host socket
// (hostnet): to the host's 127.0.0.1 for 10.0.2.2, to the address itself
// otherwise. Published ports are host listeners whose connections kite
// opens into the sandbox.
type Sandbox struct {
	st     *Stack
	router *stack.Stack

	// mu guards the fields below.
	mu      sync.Mutex
	closers map[io.Closer]struct{}
	closed  bool
}

// EnableSandbox adds eth0 and the router to st and starts publishing.
func (st *Stack) EnableSandbox(pubs []Publish) (*Sandbox, error) {
	guestLink, routerLink := pipe.New("\x02\x00\x0a\x00\x02\x0f", "\x02\x00\x0a\x00\x02\x02", ethMTU)
	s := st.s
	if err := s.CreateNICWithOptions(ethNIC, newStampLink(guestLink), stack.NICOptions{Name: "eth0"}); err != nil {
		return nil, fmt.Errorf("eth0: %s", err)
	}
	pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: sandboxAddr, PrefixLen: 24}}
	if err := s.AddProtocolAddress(ethNIC, pa, stack.AddressProperties{}); err != nil {
		return nil, fmt.Errorf("eth0 address: %s", err)
	}
	st.noteAddr(ethNIC, pa.AddressWithPrefix.Address)
	s.AddRoute(tcpip.Route{Destination: pa.AddressWithPrefix.Subnet(), NIC: ethNIC})
	s.AddRoute(tcpip.Route{Destination: header4Any(), Gateway: gatewayAddr, NIC: ethNIC})

	r := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{newTCPProtocol, udp.NewProtocol},
	})
	if err := r.CreateNIC(routerNIC, routerLink); err != nil {
		r.Close()
		return nil, fmt.Errorf("router: %s", err)
	}
	r.SetPromiscuousMode(routerNIC, true)
	r.SetSpoofing(routerNIC, true)
	r.SetRouteTable([]tcpip.Route{{Destination: header4Any(), NIC: routerNIC}})
	sack := tcpip.TCPSACKEnabled(true)
	r.SetTransportProtocolOption(tcp.ProtocolNumber, &sack)
	moderate := tcpip.TCPModerateReceiveBufferOption(true)
	r.SetTransportProtocolOption(tcp.ProtocolNumber, &moderate)

	sb := &Sandbox{st: st, router: r, closers: make(map[io.Closer]struct{})}
	tf := tcp.NewForwarder(r, 0, 1024, sb.forwardTCP)
	r.SetTransportProtocolHandler(tcp.ProtocolNumber, tf.HandlePacket)
	uf := udp.NewForwarder(r, sb.forwardUDP)
	r.SetTransportProtocolHandler(udp.ProtocolNumber, uf.HandlePacket)
	for _, p := range pubs {
		if err := sb.publish(p); err != nil {
			sb.Close()
			return nil, err
		}
	}
	return sb, nil
}

// header4Any is 0.0.0.0/0.
func header4Any() tcpip.Subnet {
	sn, _ := tcpip.NewSubnet(tcpip.AddrFrom4([4]byte{}), tcpip.MaskFromBytes([]byte{0, 0, 0, 0}))
	return sn
}

// track remembers c for Close; false when the sandbox is closed (c is
// closed then).
func (sb *Sandbox) track(c io.Closer) bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		c.Close()
		return false
	}
	sb.closers[c] = struct{}{}
	return true
}

func (sb *Sandbox) untrack(c io.Closer) {
	sb.mu.Lock()
	delete(sb.closers, c)
	sb.mu.Unlock()
	c.Close()
}

// Close stops publishing and forwarding.
func (sb *Sandbox) Close() {
	sb.mu.Lock()
	sb.closed = true
	cs := sb.closers
	sb.closers = nil
	sb.mu.Unlock()
	for c := range cs {
		c.Close()
	}
	sb.router.Close()
}

// hostTarget is where a connection to dst goes on the host: the host's
// loopback for the gateway; nothing for the sandbox's other own
// addresses.
func hostTarget(dst tcpip.Address, port uint16) (netip.AddrPort, bool) {
	if dst == gatewayAddr {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port), true
	}
	a, ok := netip.AddrFromSlice(dst.AsSlice())
	if !ok || sandboxNet.Contains(a) || a.IsUnspecified() || a.IsMulticast() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, port), true
}

// forwardTCP carries one connection the sandbox opened: the handshake
// completes only once the host connection is made, and a refused or
// failed host connection resets the sandbox's.
func (sb *Sandbox) forwardTCP(req *tcp.ForwarderRequest) {
	id := req.ID()
	to, ok := hostTarget(id.LocalAddress, id.LocalPort)
	if !ok {
		req.Complete(true)
		return
	}
	hc, err := hostnet.DialTCP(to)
	if err != nil {
		req.Complete(true)
		return
	}
	var wq waiter.Queue
	ep, terr := req.CreateEndpoint(&wq)
	if terr != nil {
		req.Complete(true)
		hc.Close()
		return
	}
	req.Complete(false)
	ep.SocketOptions().SetDelayOption(false)
	splice(sb, gonet.NewTCPConn(&wq, ep), hc)
}

// halfCloser is a connection with a write side of its own.
type halfCloser interface {
	stdnet.Conn
	CloseWrite() error
}

// splice copies a to b and b to a until both directions end, passing
// half-closes on; an error (a reset) ends both.
func splice(sb *Sandbox, a, b halfCloser) {
	if !sb.track(a) {
		b.Close()
		return
	}
	if !sb.track(b) {
		sb.untrack(a)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src halfCloser) {
		_, err := io.Copy(dst, src)
		if err != nil {
			a.Close()
			b.Close()
		} else {
			dst.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(a, b)
	go pipe(b, a)
	<-done
	<-done
	sb.untrack(a)
	sb.untrack(b)
}

// forwardUDP carries one UDP flow (source and destination) the sandbox
// started.
func (sb *Sandbox) forwardUDP(req *udp.ForwarderRequest) bool {
	id := req.ID()
	to, ok := hostTarget(id.LocalAddress, id.LocalPort)
	if !ok {
		return false
	}
	hc, err := hostnet.DialUDP(to)
	if err != nil {
		return false
	}
	var wq waiter.Queue
	ep, terr := req.CreateEndpoint(&wq)
	if terr != nil {
		hc.Close()
		return false
	}
	gc := gonet.NewUDPConn(&wq, ep)
	go relayUDP(sb, gc, hc)
	return true
}

// relayUDP copies datagrams both ways between two connected sockets
// until one fails or the flow is idle for udpIdle.
func relayUDP(sb *Sandbox, a, b stdnet.Conn) {
	if !sb.track(a) {
		b.Close()
		return
	}
	if !sb.track(b) {
		sb.untrack(a)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src stdnet.Conn) {
		buf := make([]byte, 65536)
		for {
			src.SetReadDeadline(time.Now().Add(udpIdle))
			n, err := src.Read(buf)
			if err != nil {
				break
			}
			dst.Write(buf[:n])
		}
		a.Close()
		b.Close()
		done <- struct{}{}
	}
	go pipe(a, b)
	go pipe(b, a)
	<-done
	<-done
	sb.untrack(a)
	sb.untrack(b)
}

// publish starts forwarding p.
func (sb *Sandbox) publish(p Publish) error {
	target := tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: p.Port}
	if p.UDP {
		pc, err := hostnet.ListenUDP(p.Host)
		if err != nil {
			return fmt.Errorf("--publish %s/udp: %w", p.Host, err)
		}
		if !sb.track(pc) {
			return errors.New("sandbox closed")
		}
		go sb.publishUDP(pc, target)
		return nil
	}
	l, err := hostnet.ListenTCP(p.Host)
	if err != nil {
		return fmt.Errorf("--publish %s: %w", p.Host, err)
	}
	if !sb.track(l) {
		return errors.New("sandbox closed")
	}
	go func() {
		for {
			hc, err := l.AcceptTCP()
			if err != nil {
				return
			}
			go func() {
				gc, err := gonet.DialTCP(sb.st.s, target, ipv4.ProtocolNumber)
				if err != nil {
					hc.SetLinger(0)
					hc.Close()
					return
				}
				splice(sb, gc, hc)
			}()
		}
	}()
	return nil
}

// publishUDP forwards datagrams from host clients to the sandbox's port,
// one sandbox socket per client, and the replies back.
func (sb *Sandbox) publishUDP(pc *stdnet.UDPConn, target tcpip.FullAddress) {
	var mu sync.Mutex
	flows := make(map[netip.AddrPort]*gonet.UDPConn)
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		mu.Lock()
		gc := flows[from]
		if gc == nil {
			gc, err = gonet.DialUDP(sb.st.s, nil, &target, ipv4.ProtocolNumber)
			if err != nil {
				mu.Unlock()
				continue
			}
			flows[from] = gc
			if !sb.track(gc) {
				mu.Unlock()
				return
			}
			go func() {
				rb := make([]byte, 65536)
				for {
					gc.SetReadDeadline(time.Now().Add(udpIdle))
					n, err := gc.Read(rb)
					if err != nil {
						break
					}
					pc.WriteToUDPAddrPort(rb[:n], from)
				}
				mu.Lock()
				delete(flows, from)
				mu.Unlock()
				sb.untrack(gc)
			}()
		}
		mu.Unlock()
		gc.Write(buf[:n])
	}
}
