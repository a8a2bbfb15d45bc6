package inet

import (
	"sort"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/kite-os/kite/net/netlink"
)

// The stack's interfaces, addresses and routes as netlink (and the
// interface ioctls) show them.

var _ netlink.Interfaces = (*Stack)(nil)

// arphrdLoopback is ARPHRD_LOOPBACK.
const arphrdLoopback = 772

// txQueueLen is the queue length Linux gives lo.
const txQueueLen = 1000

func (st *Stack) nics() []tcpip.NICID {
	var ids []tcpip.NICID
	for id := range st.s.NICInfo() {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// Links implements netlink.Interfaces.
func (st *Stack) Links() []netlink.Link {
	infos := st.s.NICInfo()
	var out []netlink.Link
	for _, id := range st.nics() {
		info := infos[id]
		l := netlink.Link{Index: int32(id), Name: info.Name, MTU: info.MTU, TxQLen: txQueueLen, Qdisc: "noqueue"}
		st.mu.Lock()
		if info.Flags.Loopback && !st.wasUp {
			l.Qdisc = "noop"
		}
		st.mu.Unlock()
		// tcpip calls every interface up; an enabled one is
		// running, and that is Linux's IFF_UP.
		if info.Flags.Running {
			l.Flags |= unix.IFF_UP | unix.IFF_RUNNING | unix.IFF_LOWER_UP
		}
		if info.Flags.Promiscuous {
			l.Flags |= unix.IFF_PROMISC
		}
		if info.Flags.Loopback {
			l.Flags |= unix.IFF_LOOPBACK
			l.Type = arphrdLoopback
			l.HWAddr = make([]byte, 6)
			l.Broadcast = make([]byte, 6)
		} else {
			// The sandbox's eth0: an Ethernet-like link to kite's
			// router.
			l.Flags |= unix.IFF_BROADCAST | unix.IFF_MULTICAST
			l.Type = unix.ARPHRD_ETHER
			l.HWAddr = []byte(info.LinkAddress)
			l.Broadcast = bytesOf(6, 0xff)
		}
		out = append(out, l)
	}
	return out
}

// Addrs implements netlink.Interfaces: IPv4 addresses first, as Linux
// dumps them.
func (st *Stack) Addrs() []netlink.Addr {
	infos := st.s.NICInfo()
	st.mu.Lock()
	wasUp := st.wasUp
	st.mu.Unlock()
	var v4, v6 []ordered
	for _, id := range st.nics() {
		info := infos[id]
		if info.Flags.Loopback && !wasUp {
			continue
		}
		for _, pa := range info.ProtocolAddresses {
			a := netlink.Addr{PrefixLen: uint8(pa.AddressWithPrefix.PrefixLen), Index: int32(id), Label: info.Name}
			a.Addr = append([]byte(nil), pa.AddressWithPrefix.Address.AsSlice()...)
			a.Scope = addrScope(pa.AddressWithPrefix.Address)
			st.mu.Lock()
			seq := st.addrSeq[addrKey{id, pa.AddressWithPrefix.Address}]
			st.mu.Unlock()
			if pa.Protocol == ipv4.ProtocolNumber {
				a.Family = unix.AF_INET
				v4 = append(v4, ordered{a, seq})
			} else {
				a.Family = unix.AF_INET6
				v6 = append(v6, ordered{a, seq})
			}
		}
	}
	// Linux's orders: an interface's IPv4 addresses by scope, widest
	// last, then as they were added, with secondary addresses (in the
	// subnet of an earlier one) after the primaries
	// (__inet_insert_ifa); its IPv6 ones global first, then link-local,
	// then host, the newest first within a scope.
	sort.SliceStable(v4, func(i, j int) bool { return v4[i].seq < v4[j].seq })
	for i := range v4 {
		for j := 0; j < i; j++ {
			if v4[j].Index == v4[i].Index && !v4[j].Secondary && sameSubnet(v4[j].Addr, v4[i].Addr) {
				v4[i].Secondary = true
				break
			}
		}
	}
	sort.SliceStable(v4, func(i, j int) bool {
		a, b := v4[i], v4[j]
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.Secondary != b.Secondary {
			return !a.Secondary
		}
		if !a.Secondary && a.Scope != b.Scope {
			return a.Scope > b.Scope
		}
		return a.seq < b.seq
	})
	sort.SliceStable(v6, func(i, j int) bool {
		a, b := v6[i], v6[j]
		if a.Index != b.Index {
			return a.Index < b.Index
		}
		if a.Scope != b.Scope {
			return a.Scope < b.Scope
		}
		return a.seq > b.seq
	})
	out := make([]netlink.Addr, 0, len(v4)+len(v6))
	for _, a := range append(v4, v6...) {
		out = append(out, a.Addr)
	}
	return out
}

// sameSubnet reports whether b lies in a's network (same prefix).
func sameSubnet(a, b netlink.Addr) bool {
	if a.PrefixLen != b.PrefixLen || len(a.Addr) != len(b.Addr) {
		return false
	}
	for i := range a.Addr {
		bits := max(0, min(8, int(a.PrefixLen)-8*i))
		m := byte(0xff << (8 - bits))
		if a.Addr[i]&m != b.Addr[i]&m {
			return false
		}
	}
	return true
}

// ordered is an address with its number in the order of addition.
type ordered struct {
	netlink.Addr
	seq uint64
}

// addrKey is an address of an interface.
type addrKey struct {
	nic  tcpip.NICID
	addr tcpip.Address
}

// noteAddr numbers an address just added to interface nic.
func (st *Stack) noteAddr(nic tcpip.NICID, a tcpip.Address) {
	st.mu.Lock()
	st.nextAddr++
	st.addrSeq[addrKey{nic, a}] = st.nextAddr
	st.mu.Unlock()
}

// addrScope is the scope ip(8) gives an address it adds (default_scope)
// and Linux gives IPv6 ones (ipv6_addr_scope): host for loopback
// addresses, link for IPv6 link-local ones, universe otherwise.
func addrScope(a tcpip.Address) uint8 {
	b := a.AsSlice()
	switch {
	case len(b) == 4 && b[0] == 127:
		return unix.RT_SCOPE_HOST
	case len(b) == 16 && a == tcpip.AddrFrom16([16]byte{15: 1}):
		return unix.RT_SCOPE_HOST
	case len(b) == 16 && b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return unix.RT_SCOPE_LINK
	}
	return unix.RT_SCOPE_UNIVERSE
}

// Routes implements netlink.Interfaces: the routes Linux has for lo's
// addresses (the local table's local and broadcast routes and the main
// table's IPv6 host route).
func (st *Stack) Routes() []netlink.Route {
	var out []netlink.Route
	for _, r := range st.s.GetRouteTable() {
		if r.Destination.Prefix() == 0 && r.Gateway.Len() == 4 {
			out = append(out, netlink.Route{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_BOOT, Scope: unix.RT_SCOPE_UNIVERSE, Type: unix.RTN_UNICAST, Gateway: r.Gateway.AsSlice(), OIF: int32(r.NIC)})
		}
	}
	infos := st.s.NICInfo()
	for _, a := range st.Addrs() {
		if a.Family == unix.AF_INET && !infos[tcpip.NICID(a.Index)].Flags.Loopback {
			// A network reached directly, in the main table.
			net := make([]byte, 4)
			for i := range 4 {
				bits := max(0, min(8, int(a.PrefixLen)-8*i))
				net[i] = a.Addr[i] & byte(0xff<<(8-bits))
			}
			out = append(out, netlink.Route{Family: unix.AF_INET, DstLen: a.PrefixLen, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_UNICAST, Dst: net, PrefSrc: a.Addr, OIF: a.Index})
		}
	}
	for _, a := range st.Addrs() {
		up := infos[tcpip.NICID(a.Index)].Flags.Running
		if a.Family == unix.AF_INET {
			net := make([]byte, 4)
			bcast := make([]byte, 4)
			for i := range 4 {
				bits := max(0, min(8, int(a.PrefixLen)-8*i))
				mask := byte(0xff << (8 - bits))
				net[i] = a.Addr[i] & mask
				bcast[i] = net[i] | ^mask
			}
			if infos[tcpip.NICID(a.Index)].Flags.Loopback {
				// lo's whole network is local.
				out = append(out, netlink.Route{Family: unix.AF_INET, DstLen: a.PrefixLen, Table: unix.RT_TABLE_LOCAL, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_HOST, Type: unix.RTN_LOCAL, Dst: net, PrefSrc: a.Addr, OIF: a.Index})
			}
			out = append(out, netlink.Route{Family: unix.AF_INET, DstLen: 32, Table: unix.RT_TABLE_LOCAL, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_HOST, Type: unix.RTN_LOCAL, Dst: a.Addr, PrefSrc: a.Addr, OIF: a.Index})
			if up {
				// A link that is down keeps its local routes only.
				out = append(out, netlink.Route{Family: unix.AF_INET, DstLen: 32, Table: unix.RT_TABLE_LOCAL, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_LINK, Type: unix.RTN_BROADCAST, Dst: bcast, PrefSrc: a.Addr, OIF: a.Index})
			}
			continue
		}
		if !infos[tcpip.NICID(a.Index)].Flags.Loopback {
			// Linux 6 has no main-table route for lo's ::1.
			out = append(out, netlink.Route{Family: unix.AF_INET6, DstLen: a.PrefixLen, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_UNIVERSE, Type: unix.RTN_UNICAST, Dst: a.Addr, OIF: a.Index, Priority: 256})
		}
		out = append(out,
			netlink.Route{Family: unix.AF_INET6, DstLen: 128, Table: unix.RT_TABLE_LOCAL, Protocol: unix.RTPROT_KERNEL, Scope: unix.RT_SCOPE_UNIVERSE, Type: unix.RTN_LOCAL, Dst: a.Addr, OIF: a.Index},
		)
	}
	return out
}

// AddAddr implements netlink.Interfaces (RTM_NEWADDR): the address goes
// on link a.Index. EEXIST if the link has it; lo's own 127.0.0.1/8 and
// ::1 before lo first comes up are accepted as new (Linux's lo has no
// address until then; kite's carries them unshown, and they are what lo
// shows once up).
func (st *Stack) AddAddr(a netlink.Addr) error {
	id := tcpip.NICID(a.Index)
	info, ok := st.s.NICInfo()[id]
	if !ok {
		return unix.ENODEV
	}
	pa, err := protocolAddress(a)
	if err != nil {
		return err
	}
	st.mu.Lock()
	wasUp := st.wasUp
	st.mu.Unlock()
	for _, have := range info.ProtocolAddresses {
		if have.AddressWithPrefix.Address == pa.AddressWithPrefix.Address {
			if info.Flags.Loopback && !wasUp && (have == loAddr4 || have == loAddr6) && have == pa {
				return nil
			}
			return unix.EEXIST
		}
	}
	if e := st.s.AddProtocolAddress(id, pa, stack.AddressProperties{}); e != nil {
		return errno(e)
	}
	st.noteAddr(id, pa.AddressWithPrefix.Address)
	return nil
}

// DelAddr implements netlink.Interfaces (RTM_DELADDR):
// EADDRNOTAVAIL if link a.Index has no such address.
func (st *Stack) DelAddr(a netlink.Addr) error {
	id := tcpip.NICID(a.Index)
	if _, ok := st.s.NICInfo()[id]; !ok {
		return unix.ENODEV
	}
	pa, err := protocolAddress(a)
	if err != nil {
		return err
	}
	if e := st.s.RemoveAddress(id, pa.AddressWithPrefix.Address); e != nil {
		return unix.EADDRNOTAVAIL
	}
	return nil
}

// protocolAddress converts a netlink address to tcpip's.
func protocolAddress(a netlink.Addr) (tcpip.ProtocolAddress, error) {
	switch {
	case a.Family == unix.AF_INET && len(a.Addr) == 4 && a.PrefixLen <= 32:
		return tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(a.Addr), PrefixLen: int(a.PrefixLen)}}, nil
	case a.Family == unix.AF_INET6 && len(a.Addr) == 16 && a.PrefixLen <= 128:
		return tcpip.ProtocolAddress{Protocol: ipv6.ProtocolNumber, AddressWithPrefix: tcpip.AddressWithPrefix{Address: tcpip.AddrFromSlice(a.Addr), PrefixLen: int(a.PrefixLen)}}, nil
	}
	return tcpip.ProtocolAddress{}, unix.EINVAL
}
