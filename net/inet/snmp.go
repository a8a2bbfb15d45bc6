package inet

import (
	"bytes"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// /proc/net/snmp, snmp6 and netstat: the stack's counters under Linux's
// names, in Linux's order and format. A counter kite's stack does not
// keep is left out rather than shown as 0 (the files name each value,
// so readers such as nstat and netstat -s take the ones that are
// there): IP reassembly and fragmentation, forwarding, unknown
// protocols, ICMP address masks, UDP send-buffer errors and most of
// TcpExt.

// udpCounts are the UDP counters of one family (Linux's UDP_MIB_*).
type udpCounts struct {
	in, out, inErrors, rcvbuf, csum uint64
}

// add adds the counts of a UDP endpoint.
func (c *udpCounts) add(ep tcpip.Endpoint) {
	es, ok := ep.Stats().(*tcpip.TransportEndpointStats)
	if !ok {
		return
	}
	re := &es.ReceiveErrors
	c.in += es.PacketsReceived.Value()
	c.out += es.PacketsSent.Value()
	rcvbuf := re.ReceiveBufferOverflow.Value() + re.ClosedReceiver.Value()
	c.rcvbuf += rcvbuf
	c.csum += re.ChecksumErrors.Value()
	c.inErrors += rcvbuf + re.ChecksumErrors.Value() + re.MalformedPacketsReceived.Value()
}

// udpFamily is 0 for IPv4's UDP counters and 1 for IPv6's.
func udpFamily(domain int) int {
	if domain == unix.AF_INET6 {
		return 1
	}
	return 0
}

// countUnknownPort is the UDP handler of packets no socket takes: it
// counts them as NoPorts of their IP version and leaves them to tcpip
// (which answers with ICMP port unreachable).
func (st *Stack) countUnknownPort(_ stack.TransportEndpointID, pkt *stack.PacketBuffer) bool {
	i := 0
	if pkt.NetworkProtocolNumber == ipv6.ProtocolNumber {
		i = 1
	}
	st.noPorts[i].Add(1)
	return false
}

// releaseCountsLocked keeps the counts of a UDP socket leaving
// st.socks; st.mu is held.
func (st *Stack) releaseCountsLocked(s *socket) {
	if s.typ == unix.SOCK_DGRAM && s.protocol == unix.IPPROTO_UDP {
		st.udpClosed[udpFamily(s.fam.domain)].add(s.ep())
	}
}

// udpTotals are the UDP counts of a family: closed sockets' and open
// ones' (by the socket's family, where Linux goes by each packet's).
func (st *Stack) udpTotals(fam int) udpCounts {
	st.mu.Lock()
	defer st.mu.Unlock()
	c := st.udpClosed[fam]
	for s := range st.socks {
		if s.typ == unix.SOCK_DGRAM && s.protocol == unix.IPPROTO_UDP && udpFamily(s.fam.domain) == fam {
			c.add(s.ep())
		}
	}
	return c
}

// counters are tcpip statistics flattened by field path
// ("IP.PacketsReceived", "ICMP.PacketsSent.EchoRequest": embedded
// structs add no name) and summed over interfaces.
type counters map[string]int64

// get returns the counter name; the names are the code's own, and a
// name tcpip lacks is a bug the package's tests catch.
func (c counters) get(name string) int64 {
	v, ok := c[name]
	if !ok {
		panic("inet: no tcpip counter " + name)
	}
	return v
}

// flatten adds the StatCounters under v (a struct) to c.
func (c counters) flatten(prefix string, v reflect.Value) {
	for i := 0; i < v.NumField(); i++ {
		f, sf := v.Field(i), v.Type().Field(i)
		name := prefix + sf.Name
		if sf.Anonymous {
			name = strings.TrimSuffix(prefix, ".")
			if name != "" {
				name += "."
			}
			c.flatten(name, f)
			continue
		}
		switch {
		case f.Type() == reflect.TypeOf((*tcpip.StatCounter)(nil)):
			if sc, _ := f.Interface().(*tcpip.StatCounter); sc != nil {
				c[name] += int64(sc.Value())
			} else {
				c[name] += 0
			}
		case f.Kind() == reflect.Struct:
			c.flatten(name+".", f)
		}
	}
}

// ipStats sums the per-interface statistics of IPv4 (v6 false) or
// IPv6: IP.*, ICMP.*.
func (st *Stack) ipStats(v6 bool) counters {
	c := counters{}
	var zero any = &ipv4.Stats{}
	if v6 {
		zero = &ipv6.Stats{}
	}
	c.flatten("", reflect.ValueOf(zero).Elem())
	for _, info := range st.s.NICInfo() {
		for _, ns := range info.NetworkStats {
			switch s := ns.(type) {
			case *ipv4.Stats:
				if !v6 {
					c.flatten("", reflect.ValueOf(s).Elem())
				}
			case *ipv6.Stats:
				if v6 {
					c.flatten("", reflect.ValueOf(s).Elem())
				}
			}
		}
	}
	return c
}

// icmpType is one ICMP message type and its name in the snmp files.
type icmpType struct {
	typ   int
	name  string // Linux's: "DestUnreachs"
	field string // tcpip's: "DstUnreachable"
}

// icmp4Types are the ICMP types of Icmp's In and Out columns, in
// Linux's order.
var icmp4Types = []icmpType{
	{3, "DestUnreachs", "DstUnreachable"},
	{11, "TimeExcds", "TimeExceeded"},
	{12, "ParmProbs", "ParamProblem"},
	{4, "SrcQuenchs", "SrcQuench"},
	{5, "Redirects", "Redirect"},
	{8, "Echos", "EchoRequest"},
	{0, "EchoReps", "EchoReply"},
	{13, "Timestamps", "Timestamp"},
	{14, "TimestampReps", "TimestampReply"},
}

// icmp6Types are ICMPv6's, in Linux's order.
var icmp6Types = []icmpType{
	{1, "DestUnreachs", "DstUnreachable"},
	{2, "PktTooBigs", "PacketTooBig"},
	{3, "TimeExcds", "TimeExceeded"},
	{4, "ParmProblems", "ParamProblem"},
	{128, "Echos", "EchoRequest"},
	{129, "EchoReplies", "EchoReply"},
	{130, "GroupMembQueries", "MulticastListenerQuery"},
	{131, "GroupMembResponses", "MulticastListenerReport"},
	{132, "GroupMembReductions", "MulticastListenerDone"},
	{133, "RouterSolicits", "RouterSolicit"},
	{134, "RouterAdvertisements", "RouterAdvert"},
	{135, "NeighborSolicits", "NeighborSolicit"},
	{136, "NeighborAdvertisements", "NeighborAdvert"},
	{137, "Redirects", "RedirectMsg"},
	{143, "MLDv2Reports", "MulticastListenerReportV2"},
}

// icmpMsgs are the ICMP counters Linux shows of a family: the messages
// in and out, per type and in all.
type icmpMsgs struct {
	in, out         map[int]int64
	inMsgs, outMsgs int64
}

func countICMP(c counters, types []icmpType) icmpMsgs {
	m := icmpMsgs{in: map[int]int64{}, out: map[int]int64{}}
	for _, t := range types {
		m.in[t.typ] = c.get("ICMP.PacketsReceived." + t.field)
		m.out[t.typ] = c.get("ICMP.PacketsSent." + t.field)
		m.inMsgs += m.in[t.typ]
		m.outMsgs += m.out[t.typ]
	}
	return m
}

// procSnmp is /proc/net/snmp.
func (st *Stack) procSnmp() []byte {
	c := st.ipStats(false)
	var b bytes.Buffer
	forwarding := int64(2)
	if on, err := st.s.NICForwarding(loNIC, ipv4.ProtocolNumber); err == nil && on {
		forwarding = 1
	}
	table(&b, "Ip", []field{
		{"Forwarding", forwarding},
		{"DefaultTTL", int64(st.ipv4TTL())},
		{"InReceives", c.get("IP.PacketsReceived")},
		{"InHdrErrors", c.get("IP.MalformedPacketsReceived")},
		{"InAddrErrors", c.get("IP.InvalidDestinationAddressesReceived")},
		{"InDelivers", c.get("IP.PacketsDelivered")},
		{"OutRequests", c.get("IP.PacketsSent")},
		{"OutDiscards", c.get("IP.OutgoingPacketErrors")},
		{"OutTransmits", c.get("IP.PacketsSent")},
	})
	m := countICMP(c, icmp4Types)
	inErrs := c.get("ICMP.PacketsReceived.Invalid")
	fs := []field{{"InMsgs", m.inMsgs + inErrs}, {"InErrors", inErrs}}
	for _, t := range icmp4Types {
		fs = append(fs, field{"In" + t.name, m.in[t.typ]})
	}
	fs = append(fs, field{"OutMsgs", m.outMsgs}, field{"OutErrors", c.get("ICMP.PacketsSent.Dropped")},
		field{"OutRateLimitHost", c.get("ICMP.PacketsSent.RateLimited")})
	for _, t := range icmp4Types {
		fs = append(fs, field{"Out" + t.name, m.out[t.typ]})
	}
	table(&b, "Icmp", fs)
	// IcmpMsg lists the message types seen, in type order, inputs
	// first; Linux leaves the lines out when there are none.
	var msg []field
	for _, dir := range []string{"In", "Out"} {
		counts := m.in
		if dir == "Out" {
			counts = m.out
		}
		for _, typ := range sortedTypes(counts) {
			msg = append(msg, field{fmt.Sprintf("%sType%d", dir, typ), counts[typ]})
		}
	}
	if len(msg) > 0 {
		table(&b, "IcmpMsg", msg)
	}
	t := st.s.Stats().TCP
	var minRTO tcpip.TCPMinRTOOption
	var maxRTO tcpip.TCPMaxRTOOption
	st.s.TransportProtocolOption(tcp.ProtocolNumber, &minRTO)
	st.s.TransportProtocolOption(tcp.ProtocolNumber, &maxRTO)
	table(&b, "Tcp", []field{
		{"RtoAlgorithm", 1}, // Van Jacobson's, as tcpip computes it
		{"RtoMin", int64(time.Duration(minRTO) / time.Millisecond)},
		{"RtoMax", int64(time.Duration(maxRTO) / time.Millisecond)},
		{"MaxConn", -1},
		{"ActiveOpens", val(t.ActiveConnectionOpenings)},
		{"PassiveOpens", val(t.PassiveConnectionOpenings)},
		{"AttemptFails", val(t.FailedConnectionAttempts)},
		{"EstabResets", val(t.EstablishedResets)},
		{"CurrEstab", val(t.CurrentEstablished)},
		{"InSegs", val(t.ValidSegmentsReceived) + val(t.InvalidSegmentsReceived)},
		{"OutSegs", val(t.SegmentsSent)},
		{"RetransSegs", val(t.Retransmits)},
		{"InErrs", val(t.InvalidSegmentsReceived)},
		{"OutRsts", val(t.ResetsSent)},
		{"InCsumErrors", val(t.ChecksumErrors)},
	})
	u := st.udpTotals(0)
	table(&b, "Udp", []field{
		{"InDatagrams", int64(u.in)},
		{"NoPorts", int64(st.noPorts[0].Load())},
		{"InErrors", int64(u.inErrors)},
		{"OutDatagrams", int64(u.out)},
		{"RcvbufErrors", int64(u.rcvbuf)},
		{"InCsumErrors", int64(u.csum)},
	})
	return b.Bytes()
}

// sortedTypes returns the types with a count, in order.
func sortedTypes(counts map[int]int64) []int {
	var ts []int
	for typ, n := range counts {
		if n != 0 {
			ts = append(ts, typ)
		}
	}
	sort.Ints(ts)
	return ts
}

// procSnmp6 is /proc/net/snmp6: one "name value" line per counter.
func (st *Stack) procSnmp6() []byte {
	c := st.ipStats(true)
	var b bytes.Buffer
	line := func(name string, v int64) { fmt.Fprintf(&b, "%-32s\t%d\n", name, v) }
	line("Ip6InReceives", c.get("IP.PacketsReceived"))
	line("Ip6InHdrErrors", c.get("IP.MalformedPacketsReceived"))
	line("Ip6InAddrErrors", c.get("IP.InvalidDestinationAddressesReceived"))
	line("Ip6InDelivers", c.get("IP.PacketsDelivered"))
	line("Ip6OutRequests", c.get("IP.PacketsSent"))
	line("Ip6OutDiscards", c.get("IP.OutgoingPacketErrors"))
	line("Ip6OutTransmits", c.get("IP.PacketsSent"))
	m := countICMP(c, icmp6Types)
	inErrs := c.get("ICMP.PacketsReceived.Invalid") + c.get("ICMP.PacketsReceived.Unrecognized")
	line("Icmp6InMsgs", m.inMsgs+inErrs)
	line("Icmp6InErrors", inErrs)
	line("Icmp6OutMsgs", m.outMsgs)
	line("Icmp6OutErrors", c.get("ICMP.PacketsSent.Dropped"))
	line("Icmp6OutRateLimitHost", c.get("ICMP.PacketsSent.RateLimited"))
	for _, t := range icmp6Types {
		line("Icmp6In"+t.name, m.in[t.typ])
	}
	for _, t := range icmp6Types {
		line("Icmp6Out"+t.name, m.out[t.typ])
	}
	for _, typ := range sortedTypes(m.in) {
		line(fmt.Sprintf("Icmp6InType%d", typ), m.in[typ])
	}
	for _, typ := range sortedTypes(m.out) {
		line(fmt.Sprintf("Icmp6OutType%d", typ), m.out[typ])
	}
	u := st.udpTotals(1)
	line("Udp6InDatagrams", int64(u.in))
	line("Udp6NoPorts", int64(st.noPorts[1].Load()))
	line("Udp6InErrors", int64(u.inErrors))
	line("Udp6OutDatagrams", int64(u.out))
	line("Udp6RcvbufErrors", int64(u.rcvbuf))
	line("Udp6InCsumErrors", int64(u.csum))
	return b.Bytes()
}

// procNetstat is /proc/net/netstat: the TcpExt counters tcpip keeps.
func (st *Stack) procNetstat() []byte {
	t := st.s.Stats().TCP
	var b bytes.Buffer
	table(&b, "TcpExt", []field{
		{"SyncookiesSent", val(t.ListenOverflowSynCookieSent)},
		{"SyncookiesRecv", val(t.ListenOverflowSynCookieRcvd)},
		{"SyncookiesFailed", val(t.ListenOverflowInvalidSynCookieRcvd)},
		{"ListenOverflows", val(t.ListenOverflowAckDrop)},
		{"ListenDrops", val(t.ListenOverflowSynDrop) + val(t.ListenOverflowAckDrop)},
		{"TCPRenoRecovery", val(t.FastRecovery)},
		{"TCPSackRecovery", val(t.SACKRecovery)},
		{"TCPFastRetrans", val(t.FastRetransmit)},
		{"TCPSlowStartRetrans", val(t.SlowStartRetransmits)},
		{"TCPTimeouts", val(t.Timeouts)},
		{"TCPLossProbeRecovery", val(t.TLPRecovery)},
		{"TCPDSACKRecv", val(t.SegmentsAckedWithDSACK)},
		{"TCPAbortOnTimeout", val(t.EstablishedTimedout)},
		{"TCPSpuriousRTOs", val(t.SpuriousRTORecovery)},
	})
	return b.Bytes()
}

type field struct {
	name string
	v    int64
}

// table writes a header line of names and a line of values, as
// Linux's snmp_seq_show.
func table(b *bytes.Buffer, prefix string, fs []field) {
	b.WriteString(prefix + ":")
	for _, f := range fs {
		b.WriteString(" " + f.name)
	}
	b.WriteString("\n" + prefix + ":")
	for _, f := range fs {
		fmt.Fprintf(b, " %d", f.v)
	}
	b.WriteString("\n")
}

func val(c *tcpip.StatCounter) int64 {
	if c == nil {
		return 0
	}
	return int64(c.Value())
}
