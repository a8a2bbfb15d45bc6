package inet

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/link/loopback"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/raw"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
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
	// loMTU is lo's MTU.
	loMTU = 65536
)

// Stack is the TCP/IP stack of one kernel instance.
type Stack struct {
	s *stack.Stack

	// mu guards the fields below.
	mu sync.Mutex
	// socks is every open socket (for /proc/net).
	socks map[*socket]struct{}
	// pendingUrg is the urgent data sent to connections kite's
	// listeners have not accepted yet, by the receiving end's key
	// (urgent.go).
	pendingUrg map[connKey]*urgent
	// wasUp is set once lo has been up (its queueing discipline is
	// "noop" before).
	wasUp bool
	// pingLow and pingHigh are net.ipv4.ping_group_range: the groups
	// that may make ICMP echo sockets ("1 0", nobody, by default).
	pingLow, pingHigh uint32
	// addrSeq numbers the interfaces' addresses in the order they
	// were added (Linux lists them so), nextAddr the next number.
	addrSeq  map[addrKey]uint64
	nextAddr uint64
	// sysctlRaw are the values last written to /proc/sys/net files
	// whose text tcpip's setting does not keep (tcp_sack 2 is on).
	sysctlRaw map[string]int64
	// udpClosed are the UDP counts of closed sockets, IPv4's then
	// IPv6's (/proc/net/snmp and snmp6).
	udpClosed [2]udpCounts

	// noPorts counts UDP packets no socket took, IPv4's then IPv6's.
	noPorts [2]atomic.Uint64
}

// New returns a stack with lo up, holding 127.0.0.1/8 and ::1/128.
func New() (*Stack, error) {
	st, err := newStack()
	if err != nil {
		return nil, err
	}
	if err := st.SetLinkUp(int32(loNIC), true); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// NewIsolated returns the stack of a new network namespace: lo only,
// down and without addresses until it is brought up, as Linux's.
func NewIsolated() (*Stack, error) { return newStack() }

func newStack() (*Stack, error) {
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{newTCPProtocol, udp.NewProtocol, icmp.NewProtocol4, icmp.NewProtocol6},
		HandleLocal:        true,
		RawFactory:         raw.EndpointFactory{},
	})
	st := &Stack{s: s, socks: make(map[*socket]struct{}), sysctlRaw: make(map[string]int64), addrSeq: make(map[addrKey]uint64), pingLow: 1, pingHigh: 0}
	s.SetTransportProtocolHandler(udp.ProtocolNumber, st.countUnknownPort)
	if err := st.setup(); err != nil {
		s.Close()
		return nil, err
	}
	return st, nil
}

// Loopback addresses lo gets when it comes up.
var (
	loAddr4 = tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), PrefixLen: 8}}
	loAddr6 = tcpip.ProtocolAddress{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFrom16([16]byte{15: 1}), PrefixLen: 128}}
)

// SetLinkUp brings the interface index up or down (RTM_NEWLINK,
// SIOCSIFFLAGS's IFF_UP) as Linux does for lo: up, it gets 127.0.0.1/8
// (kept when it goes down) and ::1 (removed when it goes down).
func (st *Stack) SetLinkUp(index int32, up bool) error {
	id := tcpip.NICID(index)
	info, ok := st.s.NICInfo()[id]
	if !ok {
		return unix.ENODEV
	}
	if !up {
		if err := st.s.DisableNIC(id); err != nil {
			return errno(err)
		}
		if info.Flags.Loopback {
			st.s.RemoveAddress(id, loAddr6.AddressWithPrefix.Address)
		}
		return nil
	}
	if info.Flags.Loopback {
		have := map[tcpip.Address]bool{}
		for _, pa := range info.ProtocolAddresses {
			have[pa.AddressWithPrefix.Address] = true
		}
		for _, a := range []tcpip.ProtocolAddress{loAddr4, loAddr6} {
			if have[a.AddressWithPrefix.Address] {
				continue
			}
			if err := st.s.AddProtocolAddress(id, a, stack.AddressProperties{}); err != nil {
				return fmt.Errorf("lo address %s: %s", a.AddressWithPrefix, err)
			}
			st.noteAddr(id, a.AddressWithPrefix.Address)
		}
	}
	st.mu.Lock()
	st.wasUp = true
	st.mu.Unlock()
	return errno(st.s.EnableNIC(id))
}

// downRoute reports whether the route to a goes through an interface
// that is down (tcpip would still send through it: Linux has no route
// then, ENETUNREACH).
func (st *Stack) downRoute(a tcpip.Address, proto tcpip.NetworkProtocolNumber) bool {
	if unspecified(a) {
		return false
	}
	if isV4Mapped(a) {
		b := a.As16()
		a, proto = tcpip.AddrFrom4Slice(b[12:]), ipv4.ProtocolNumber
	}
	r, err := st.s.FindRoute(0, tcpip.Address{}, a, proto, false)
	if err != nil {
		return false
	}
	defer r.Release()
	return !st.s.CheckNIC(r.NICID())
}

func (st *Stack) setup() error {
	s := st.s
	if err := s.CreateNICWithOptions(loNIC, newStampLink(loopback.New()), stack.NICOptions{Name: "lo", Disabled: true}); err != nil {
		return fmt.Errorf("lo: %s", err)
	}
	// Linux binds 127.0.0.1 even before lo has ever been up (and shows
	// no address then): the address is there from the start, hidden
	// until lo comes up (Addrs).
	if err := s.AddProtocolAddress(loNIC, loAddr4, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("lo address: %s", err)
	}
	st.noteAddr(loNIC, loAddr4.AddressWithPrefix.Address)
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

// tcpProcsMu serialises newTCPProtocol's change of GOMAXPROCS.
var tcpProcsMu sync.Mutex

// newTCPProtocol is tcpip's TCP with one processor goroutine (the
// goroutines that handle every arriving segment) per four CPUs, at
// least one, where tcpip makes one per P: it takes the count from
// GOMAXPROCS when the protocol is made, so GOMAXPROCS is lowered for
// that moment. An endpoint's segments go to the processor its
// addresses hash to, so the two ends of a loopback connection share one
// only by chance when there are several: every segment's ACK then
// wakes a second goroutine (a host futex wake when it sleeps). With one
// processor the ACK is handled in the same wake-up: on 2 CPUs, 1 GiB
// over 127.0.0.1 took 1.7-1.8 s of kite's CPU instead of 2.2-2.7 s and
// 32-40k futex calls instead of 47-82k (bench/README.md).
//
// tcpip offers no other way to choose the count: tcp.NewProtocol reads
// runtime.GOMAXPROCS(0) once, and neither a protocol option nor an
// exported method sets the dispatcher's processors. The change stops
// the world twice, once per stack made (kite's and each network
// namespace's), and goroutines that start meanwhile may run on fewer
// Ps for that moment; nothing else in kite reads GOMAXPROCS after
// start-up (cmd/kite sets it before any stack is made).
func newTCPProtocol(s *stack.Stack) stack.TransportProtocol {
	n := max(1, runtime.NumCPU()/4)
	tcpProcsMu.Lock()
	defer tcpProcsMu.Unlock()
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	return tcp.NewProtocol(s)
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
	now := clockOf(ns)
	ns.Register(unix.AF_INET, &family{st: st, domain: unix.AF_INET, now: now})
	ns.Register(unix.AF_INET6, &family{st: st, domain: unix.AF_INET6, now: now})
	ns.SetDeviceIoctl(func(ctx net.Context, domain int, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
		return st.DeviceIoctl(ctx, domain, io, cmd, arg, ns.NetAdmin)
	})
}
