package inet

import (
	"encoding/binary"
	"fmt"
	"sort"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/kite-os/kite/net/netlink"
)

// The files of /proc/net that the INET families show.

// ProcNet returns the /proc/net files of the stack by name: tcp, tcp6,
// udp, udp6, dev, if_inet6 and route.
func (f *family) ProcNet() map[string]func() []byte {
	st := f.st
	return map[string]func() []byte{
		"tcp":       func() []byte { return st.procSockets(unix.AF_INET, tcp.ProtocolNumber) },
		"tcp6":      func() []byte { return st.procSockets(unix.AF_INET6, tcp.ProtocolNumber) },
		"udp":       func() []byte { return st.procSockets(unix.AF_INET, udp.ProtocolNumber) },
		"udp6":      func() []byte { return st.procSockets(unix.AF_INET6, udp.ProtocolNumber) },
		"dev":       st.procDev,
		"if_inet6":  st.procIfInet6,
		"route":     st.procRoute,
		"sockstat":  func() []byte { return st.procSockstat(false) },
		"sockstat6": func() []byte { return st.procSockstat(true) },
		"snmp":      st.procSnmp,
		"snmp6":     st.procSnmp6,
		"netstat":   st.procNetstat,
	}
}

// sockets returns the open sockets in inode order.
func (st *Stack) sockets() []*socket {
	st.mu.Lock()
	socks := make([]*socket, 0, len(st.socks))
	for s := range st.socks {
		socks = append(socks, s)
	}
	st.mu.Unlock()
	sort.Slice(socks, func(i, j int) bool { return socks[i].ino.Load() < socks[j].ino.Load() })
	return socks
}

// procAddr formats an address as /proc/net/tcp does: the 32-bit words
// of the address as the machine (little-endian) reads them, then the
// port.
func procAddr(domain int, a tcpip.FullAddress) string {
	var b []byte
	if domain == unix.AF_INET {
		b = make([]byte, 4)
		if a.Addr.Len() == 4 {
			v := a.Addr.As4()
			copy(b, v[:])
		}
	} else {
		b = make([]byte, 16)
		switch a.Addr.Len() {
		case 16:
			v := a.Addr.As16()
			copy(b, v[:])
		case 4:
			v := a.Addr.As4()
			b[10], b[11] = 0xff, 0xff
			copy(b[12:], v[:])
		}
	}
	s := ""
	for i := 0; i < len(b); i += 4 {
		s += fmt.Sprintf("%08X", binary.LittleEndian.Uint32(b[i:]))
	}
	return fmt.Sprintf("%s:%04X", s, a.Port)
}

// procSockets is /proc/net/{tcp,tcp6,udp,udp6}: the sockets of domain
// and protocol. UDP sockets show TCP_ESTABLISHED when connected and
// TCP_CLOSE otherwise, as Linux.
func (st *Stack) procSockets(domain int, proto tcpip.TransportProtocolNumber) []byte {
	var b []byte
	if domain == unix.AF_INET {
		b = fmt.Appendf(b, "%-149s\n", "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode")
	} else {
		b = append(b, "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"...)
	}
	n := 0
	for _, s := range st.sockets() {
		if s.fam.domain != domain {
			continue
		}
		isTCP := s.typ == unix.SOCK_STREAM
		if (proto == tcp.ProtocolNumber) != isTCP || (!isTCP && s.protocol != unix.IPPROTO_UDP) {
			continue
		}
		local, remote, state, tx, rx := s.row()
		if isTCP && state == int(tcp.StateListen) {
			// get_tcp4_sock: a listener's tx_queue is its unsent
			// bytes, none (inet_diag's is the backlog; the accept
			// queue's length, Linux's rx_queue, tcpip does not
			// tell).
			tx = 0
		}
		line := fmt.Sprintf("%4d: %s %s %02X %08X:%08X 00:00000000 00000000 %5d %8d %d 1 0000000000000000 100 0 0 10 0",
			n, procAddr(domain, local), procAddr(domain, remote), state, tx, rx, s.uid, 0, s.ino.Load())
		if domain == unix.AF_INET {
			line = fmt.Sprintf("%-149s", line)
		}
		b = append(b, line...)
		b = append(b, '\n')
		n++
	}
	return b
}

// row is what /proc/net/tcp and inet_diag show of s: its addresses, its
// TCP_* state and its queues.
func (s *socket) row() (local, remote tcpip.FullAddress, state, tx, rx int) {
	isTCP := s.typ == unix.SOCK_STREAM
	local, _ = s.ep().GetLocalAddress()
	remote, _ = s.ep().GetRemoteAddress()
	if isTCP {
		state = linuxTCPState(tcpip.EndpointState(s.ep().State()))
		if tcp.EndpointState(s.ep().State()) == tcp.StateBound || tcp.EndpointState(s.ep().State()) == tcp.StateInitial {
			state = int(tcp.StateClose)
		}
	} else {
		state = int(tcp.StateClose)
		if remote.Port != 0 {
			state = int(tcp.StateEstablished)
		}
	}
	var err tcpip.Error
	if rx, err = s.ep().GetSockOptInt(tcpip.ReceiveQueueSizeOption); err != nil || rx < 0 {
		rx = 0
	}
	if !isTCP {
		// The datagrams a disconnect held are queued too.
		rx += s.heldQueued()
	}
	if tx, err = s.ep().GetSockOptInt(tcpip.SendQueueSizeOption); err != nil || tx < 0 {
		tx = 0
	}
	if isTCP && state == int(tcp.StateListen) {
		// A listener shows its backlog as tx_queue.
		tx = int(s.backlog.Load())
	}
	return local, remote, state, tx, rx
}

// DiagSockets is NETLINK_SOCK_DIAG's view of the sockets of family and
// protocol (netlink.Diag.Inet).
func (st *Stack) DiagSockets(family, protocol int) []netlink.InetSock {
	var out []netlink.InetSock
	for _, s := range st.sockets() {
		if s.fam.domain != family || s.protocol != protocol || s.typ == unix.SOCK_RAW {
			continue
		}
		local, remote, state, tx, rx := s.row()
		so := netlink.InetSock{State: uint8(state), SrcPort: local.Port, DstPort: remote.Port,
			RQueue: uint32(rx), WQueue: uint32(tx), UID: s.uid, Inode: s.ino.Load(),
			V6Only: family == unix.AF_INET6 && s.ep().SocketOptions().GetV6Only()}
		so.Src, so.Dst = diagAddr(family, local.Addr), diagAddr(family, remote.Addr)
		out = append(out, so)
	}
	return out
}

// diagAddr is an address as inet_diag_sockid holds it: 4 bytes for
// AF_INET, 16 (IPv4 mapped) for AF_INET6.
func diagAddr(family int, a tcpip.Address) []byte {
	if family == unix.AF_INET {
		b := make([]byte, 4)
		if a.Len() == 4 {
			v := a.As4()
			copy(b, v[:])
		}
		return b
	}
	b := make([]byte, 16)
	switch a.Len() {
	case 16:
		v := a.As16()
		copy(b, v[:])
	case 4:
		v := a.As4()
		b[10], b[11] = 0xff, 0xff
		copy(b[12:], v[:])
	}
	return b
}

// procDev is /proc/net/dev: each interface's packet counters.
func (st *Stack) procDev() []byte {
	b := []byte("Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n")
	infos := st.s.NICInfo()
	for _, id := range st.nics() {
		info := infos[id]
		rx, tx := info.Stats.Rx, info.Stats.Tx
		b = fmt.Appendf(b, "%6s: %7d %7d %4d %4d %4d %5d %10d %9d %8d %7d %4d %4d %4d %5d %7d %10d\n",
			info.Name, rx.Bytes.Value(), rx.Packets.Value(), 0, 0, 0, 0, 0, 0,
			tx.Bytes.Value(), tx.Packets.Value(), 0, 0, 0, 0, 0, 0)
	}
	return b
}

// procIfInet6 is /proc/net/if_inet6: address, index, prefix length,
// scope, flags (IFA_F_PERMANENT) and name.
func (st *Stack) procIfInet6() []byte {
	var b []byte
	for _, a := range st.Addrs() {
		if a.Family != unix.AF_INET6 {
			continue
		}
		scope := 0
		if a.Scope == unix.RT_SCOPE_HOST {
			scope = 0x10 // IPV6_ADDR_LOOPBACK
		}
		b = fmt.Appendf(b, "%x %02x %02x %02x %02x %8s\n", a.Addr, a.Index, a.PrefixLen, scope, unix.IFA_F_PERMANENT, a.Label)
	}
	return b
}

// procRoute is /proc/net/route: the main table's IPv4 routes (lo's
// routes live in the local table, which it does not show).
func (st *Stack) procRoute() []byte {
	b := fmt.Appendf(nil, "%-127s\n", "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT")
	for _, r := range st.Routes() {
		if r.Family != unix.AF_INET || r.Table != unix.RT_TABLE_MAIN {
			continue
		}
		mask := uint32(0xffffffff) << (32 - r.DstLen)
		if r.DstLen == 0 {
			mask = 0
		}
		m := make([]byte, 4)
		binary.BigEndian.PutUint32(m, mask)
		name := ""
		for _, l := range st.Links() {
			if l.Index == r.OIF {
				name = l.Name
			}
		}
		b = fmt.Appendf(b, "%-127s\n", fmt.Sprintf("%s\t%08X\t%08X\t%04X\t%d\t%d\t%d\t%08X\t%d\t%d\t%d",
			name, binary.LittleEndian.Uint32(r.Dst), 0, 1, 0, 0, r.Priority, binary.LittleEndian.Uint32(m), 0, 0, 0))
	}
	return b
}

// procSockstat is /proc/net/sockstat (v6 false) or sockstat6: the
// namespace's sockets in use per protocol as Linux counts them (TCP
// sockets that are listening or connected, UDP and raw sockets once
// bound). "sockets: used" counts the namespace's INET sockets (Linux's
// counts every socket of the machine); kite's stack shows no orphans,
// no UDP-Lite and no fragment queues, and "mem" is the pages the
// sockets' queued bytes fill.
func (st *Stack) procSockstat(v6 bool) []byte {
	domain := unix.AF_INET
	if v6 {
		domain = unix.AF_INET6
	}
	var used, tcpUse, tcpAlloc, tw, udpUse, raw int
	var tcpBytes, udpBytes int
	for _, s := range st.sockets() {
		used++
		if s.fam.domain != domain {
			continue
		}
		local, _, state, tx, rx := s.row()
		switch {
		case s.typ == unix.SOCK_STREAM:
			tcpAlloc++
			tcpBytes += tx + rx
			switch tcp.EndpointState(state) {
			case tcp.StateClose:
			case tcp.StateTimeWait:
				tw++
			default:
				tcpUse++
			}
		case s.typ == unix.SOCK_RAW:
			raw++
		case s.protocol == unix.IPPROTO_UDP:
			udpBytes += tx + rx
			if local.Port != 0 {
				udpUse++
			}
		}
	}
	pages := func(n int) int { return (n + 4095) / 4096 }
	if v6 {
		return fmt.Appendf(nil, "TCP6: inuse %d\nUDP6: inuse %d\nUDPLITE6: inuse 0\nRAW6: inuse %d\nFRAG6: inuse 0 memory 0\n",
			tcpUse, udpUse, raw)
	}
	return fmt.Appendf(nil, "sockets: used %d\nTCP: inuse %d orphan 0 tw %d alloc %d mem %d\nUDP: inuse %d mem %d\nUDPLITE: inuse 0\nRAW: inuse %d\nFRAG: inuse 0 memory 0\n",
		used, tcpUse, tw, tcpAlloc, pages(tcpBytes), udpUse, pages(udpBytes), raw)
}
