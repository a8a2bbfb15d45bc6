package inet

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

// The host network's interfaces, as the interface ioctls and
// /proc/net/{dev,route,if_inet6} show them with --net=host: read from
// the host's NETLINK_ROUTE dumps (RTM_GETLINK, RTM_GETADDR,
// RTM_GETROUTE), the same answers netlink passes to programs, so that
// both views agree.

// hostDump asks the host for a dump of typ (RTM_GETLINK...) with the
// fixed part fixed, and returns each reply message's payload of type
// want.
func (h *Host) hostDump(typ, want uint16, fixed []byte) ([][]byte, error) {
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(fixed))
	req = append(req, fixed...)
	le := binary.LittleEndian
	le.PutUint32(req, uint32(len(req)))
	le.PutUint16(req[4:], typ)
	le.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	out, err := h.NetlinkQuery(unix.NETLINK_ROUTE, req)
	if err != nil {
		return nil, err
	}
	var msgs [][]byte
	netlink.Messages(out, func(_ int, m []byte) bool {
		switch le.Uint16(m[4:]) {
		case want:
			msgs = append(msgs, m[unix.NLMSG_HDRLEN:])
		case unix.NLMSG_ERROR:
			if len(m) >= unix.NLMSG_HDRLEN+4 {
				if e := int32(le.Uint32(m[unix.NLMSG_HDRLEN:])); e < 0 {
					err = unix.Errno(-e)
					return false
				}
			}
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return msgs, nil
}

func attrU32(b []byte) uint32 {
	if len(b) < 4 {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

// hostLinks are the host's interfaces in its dump's order (by index).
func (h *Host) hostLinks() ([]ifLink, error) {
	msgs, err := h.hostDump(unix.RTM_GETLINK, unix.RTM_NEWLINK, make([]byte, unix.SizeofIfInfomsg))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var links []ifLink
	for _, m := range msgs {
		if len(m) < unix.SizeofIfInfomsg {
			continue
		}
		var l ifLink
		l.Type = le.Uint16(m[2:])
		l.Index = int32(le.Uint32(m[4:]))
		l.Flags = le.Uint32(m[8:])
		at := netlink.Attrs(m[unix.SizeofIfInfomsg:])
		l.Name = cstring(at[unix.IFLA_IFNAME])
		l.MTU = attrU32(at[unix.IFLA_MTU])
		l.TxQLen = attrU32(at[unix.IFLA_TXQLEN])
		l.HWAddr = at[unix.IFLA_ADDRESS]
		l.Broadcast = at[unix.IFLA_BROADCAST]
		if m := at[unix.IFLA_MAP]; len(m) >= 28 {
			// struct rtnl_link_ifmap (three u64, u16 irq, u8 dma,
			// u8 port) as struct ifmap (two unsigned longs, an
			// unsigned short base address, then irq, dma and port
			// as unsigned chars).
			im := make([]byte, 24)
			copy(im[0:16], m[0:16])
			copy(im[16:18], m[16:18])
			im[18], im[19], im[20] = m[24], m[26], m[27]
			l.ifmap = im
		}
		if s := at[unix.IFLA_STATS64]; len(s) >= 8*23 {
			for i := 0; i+8 <= len(s); i += 8 {
				l.stats = append(l.stats, le.Uint64(s[i:]))
			}
		}
		links = append(links, l)
	}
	return links, nil
}

// hostAddr is one host interface address as RTM_NEWADDR shows it.
type hostAddr struct {
	family    int
	prefixLen uint8
	flags     uint32
	scope     uint8
	index     int32
	// local is IFA_LOCAL (IPv4) and address IFA_ADDRESS (the peer's of
	// a point-to-point link; IPv6's only address).
	local, address, broadcast []byte
	label                     string
}

// hostAddrs are the host's addresses of family in its dump's order
// (each interface's IPv4 addresses as its ifa_list has them).
func (h *Host) hostAddrs(family int) ([]hostAddr, error) {
	fixed := make([]byte, unix.SizeofIfAddrmsg)
	fixed[0] = byte(family)
	msgs, err := h.hostDump(unix.RTM_GETADDR, unix.RTM_NEWADDR, fixed)
	if err != nil {
		return nil, err
	}
	var addrs []hostAddr
	for _, m := range msgs {
		if len(m) < unix.SizeofIfAddrmsg || int(m[0]) != family {
			continue
		}
		at := netlink.Attrs(m[unix.SizeofIfAddrmsg:])
		a := hostAddr{family: int(m[0]), prefixLen: m[1], flags: uint32(m[2]), scope: m[3],
			index: int32(binary.LittleEndian.Uint32(m[4:]))}
		if f := at[unix.IFA_FLAGS]; len(f) >= 4 {
			a.flags = attrU32(f)
		}
		a.local, a.address, a.broadcast = at[unix.IFA_LOCAL], at[unix.IFA_ADDRESS], at[unix.IFA_BROADCAST]
		a.label = cstring(at[unix.IFA_LABEL])
		addrs = append(addrs, a)
	}
	return addrs, nil
}

// hostIfaces is the host network as the interface ioctls see it.
type hostIfaces struct{ h *Host }

// ifView implements ifNetwork.
func (n hostIfaces) ifView() (ifView, error) {
	links, err := n.h.hostLinks()
	if err != nil {
		return ifView{}, err
	}
	addrs, err := n.h.hostAddrs(unix.AF_INET)
	if err != nil {
		return ifView{}, err
	}
	v := ifView{links: links}
	for _, a := range addrs {
		x := ifAddr4{index: a.index, label: a.label, prefixLen: a.prefixLen}
		copy(x.local[:], a.local)
		copy(x.peer[:], a.address)
		copy(x.broadcast[:], a.broadcast)
		if a.local == nil {
			x.local = x.peer
		}
		v.addrs = append(v.addrs, x)
	}
	return v, nil
}

// setFlags implements ifNetwork: the host's interfaces are not the
// program's to change (as netlink refuses).
func (hostIfaces) setFlags(*ifLink, uint16) error { return unix.EPERM }

// DeviceIoctl carries out the interface ioctls on the host's interfaces
// (deviceIoctl); every change is EPERM, as for a program without
// CAP_NET_ADMIN over the host's network namespace.
func (h *Host) DeviceIoctl(ctx net.Context, domain int, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	return deviceIoctl(ctx, hostIfaces{h}, domain, io, cmd, arg, func(*auth.Credentials) bool { return false })
}

// procDev is /proc/net/dev of the host network: each interface's
// counters as dev_seq_printf_stats sums them from struct
// rtnl_link_stats64.
func (h *Host) procDev() []byte {
	b := []byte("Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	links, err := h.hostLinks()
	if err != nil {
		return b
	}
	for _, l := range links {
		s := make([]uint64, 24)
		copy(s, l.stats)
		// rtnl_link_stats64's fields, in order.
		const (
			rxPackets = iota
			txPackets
			rxBytes
			txBytes
			rxErrors
			txErrors
			rxDropped
			txDropped
			multicast
			collisions
			rxLengthErrors
			rxOverErrors
			rxCRCErrors
			rxFrameErrors
			rxFIFOErrors
			rxMissedErrors
			txAbortedErrors
			txCarrierErrors
			txFIFOErrors
			txHeartbeatErrors
			txWindowErrors
			rxCompressed
			txCompressed
		)
		b = fmt.Appendf(b, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
			l.Name, s[rxBytes], s[rxPackets], s[rxErrors], s[rxDropped]+s[rxMissedErrors], s[rxFIFOErrors],
			s[rxLengthErrors]+s[rxOverErrors]+s[rxCRCErrors]+s[rxFrameErrors], s[rxCompressed], s[multicast],
			s[txBytes], s[txPackets], s[txErrors], s[txDropped], s[txFIFOErrors], s[collisions],
			s[txCarrierErrors]+s[txAbortedErrors]+s[txWindowErrors]+s[txHeartbeatErrors], s[txCompressed])
	}
	return b
}

// ipv6Scope is an IPv6 address's scope as /proc/net/if_inet6 shows it
// (IPV6_ADDR_LOOPBACK, _LINKLOCAL, _SITELOCAL; 0 for global), from the
// RT_SCOPE_* netlink gives (rt_scope's inverse).
func ipv6Scope(rt uint8) int {
	switch rt {
	case unix.RT_SCOPE_HOST:
		return 0x10
	case unix.RT_SCOPE_LINK:
		return 0x20
	case unix.RT_SCOPE_SITE:
		return 0x40
	}
	return 0
}

// procIfInet6 is /proc/net/if_inet6 of the host network: address,
// index, prefix length, scope, flags (their low byte) and interface
// name. Linux lists them in the order of a hash table whose seed is
// random; kite lists them as the host's netlink dump does (by
// interface).
func (h *Host) procIfInet6() []byte {
	links, err := h.hostLinks()
	if err != nil {
		return nil
	}
	addrs, err := h.hostAddrs(unix.AF_INET6)
	if err != nil {
		return nil
	}
	var b []byte
	for _, a := range addrs {
		ip := a.address
		if ip == nil {
			ip = a.local
		}
		if len(ip) != 16 {
			continue
		}
		name := ""
		for _, l := range links {
			if l.Index == a.index {
				name = l.Name
			}
		}
		b = fmt.Appendf(b, "%x %02x %02x %02x %02x %8s\n", ip, a.index, a.prefixLen, ipv6Scope(a.scope), uint8(a.flags), name)
	}
	return b
}

// procRoute is /proc/net/route of the host network: the main table's
// IPv4 routes other than broadcast and multicast ones, in the host's
// order (its trie's), as fib_route_seq_show prints them.
func (h *Host) procRoute() []byte {
	b := fmt.Appendf(nil, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT")
	links, err := h.hostLinks()
	if err != nil {
		return b
	}
	fixed := make([]byte, unix.SizeofRtMsg)
	fixed[0] = unix.AF_INET
	msgs, err := h.hostDump(unix.RTM_GETROUTE, unix.RTM_NEWROUTE, fixed)
	if err != nil {
		return b
	}
	le := binary.LittleEndian
	for _, m := range msgs {
		if len(m) < unix.SizeofRtMsg || m[0] != unix.AF_INET {
			continue
		}
		dstLen, typ := m[1], m[7]
		at := netlink.Attrs(m[unix.SizeofRtMsg:])
		table := uint32(m[4])
		if t := at[unix.RTA_TABLE]; len(t) >= 4 {
			table = attrU32(t)
		}
		if table != unix.RT_TABLE_MAIN || typ == unix.RTN_BROADCAST || typ == unix.RTN_MULTICAST {
			continue
		}
		dst := make([]byte, 4)
		copy(dst, at[unix.RTA_DST])
		gw := make([]byte, 4)
		copy(gw, at[unix.RTA_GATEWAY])
		oif := int32(attrU32(at[unix.RTA_OIF]))
		if mp := at[unix.RTA_MULTIPATH]; len(mp) >= 8 {
			// The first next hop's (struct rtnexthop, then its
			// attributes).
			oif = int32(le.Uint32(mp[4:]))
			if l := int(le.Uint16(mp)); l >= 8 && l <= len(mp) {
				copy(gw, netlink.Attrs(mp[8:l])[unix.RTA_GATEWAY])
			}
		}
		flags := uint32(unix.RTF_UP)
		if typ == unix.RTN_UNREACHABLE || typ == unix.RTN_PROHIBIT {
			flags |= unix.RTF_REJECT
		}
		if le.Uint32(gw) != 0 {
			flags |= unix.RTF_GATEWAY
		}
		if dstLen == 32 {
			flags |= unix.RTF_HOST
		}
		mask := make([]byte, 4)
		binary.BigEndian.PutUint32(mask, prefixMask(dstLen))
		metrics := netlink.Attrs(at[unix.RTA_METRICS])
		mtu := attrU32(metrics[unix.RTAX_ADVMSS])
		if mtu != 0 {
			mtu += 40
		}
		name := "*"
		for _, l := range links {
			if l.Index == oif {
				name = l.Name
			}
		}
		b = fmt.Appendf(b, "%-127s\n", fmt.Sprintf("%s\t%08X\t%08X\t%04X\t%d\t%d\t%d\t%08X\t%d\t%d\t%d",
			name, le.Uint32(dst), le.Uint32(gw), flags, 0, 0, attrU32(at[unix.RTA_PRIORITY]), le.Uint32(mask),
			mtu, attrU32(metrics[unix.RTAX_WINDOW]), attrU32(metrics[unix.RTAX_RTT])>>3))
	}
	return b
}
