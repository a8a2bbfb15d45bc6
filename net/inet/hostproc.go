package inet

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/net/netlink"
)

// The /proc/net socket lists of the host network: the host's INET
// sockets as its SOCK_DIAG dumps show them (a program of the host
// network sees the host namespace's sockets, as in `ss`). The columns
// inet_diag does not give (reference count, kernel address, rto, ato,
// quick-ack, congestion window and slow-start threshold) read as a
// kernel shows them to a user without CAP_SYSLOG or as kite's own stack
// does.

// ProcNet implements net.ProcNeter for the host network: its socket
// lists, and its interfaces and routes (hostifaces.go).
func (f *hostFamily) ProcNet() map[string]func() []byte {
	var files map[string]func() []byte
	if f.domain == unix.AF_INET {
		files = map[string]func() []byte{
			"tcp":   func() []byte { return f.h.procSockets(unix.AF_INET, unix.IPPROTO_TCP) },
			"udp":   func() []byte { return f.h.procSockets(unix.AF_INET, unix.IPPROTO_UDP) },
			"dev":   f.h.procDev,
			"route": f.h.procRoute,
		}
	} else {
		files = map[string]func() []byte{
			"tcp6":     func() []byte { return f.h.procSockets(unix.AF_INET6, unix.IPPROTO_TCP) },
			"udp6":     func() []byte { return f.h.procSockets(unix.AF_INET6, unix.IPPROTO_UDP) },
			"if_inet6": f.h.procIfInet6,
		}
	}
	for _, st := range hostfs.NetStatsFiles() {
		name := st.Name
		switch {
		case st.IPv6 != (f.domain == unix.AF_INET6) || !f.h.hasNetStats(name):
		case st.Sockets:
			files[name] = func() []byte { return f.h.translateProcInodes(f.h.readNetStats(name)) }
		default:
			files[name] = func() []byte { return f.h.readNetStats(name) }
		}
	}
	return files
}

// translateProcInodes gives the sockets of a host /proc/net socket list
// (raw, icmp: the lists no SOCK_DIAG dump gives kite) the inode numbers
// and owners translateInodes gives them: the inode, the tenth column
// after the heading line, becomes the program's kite number or 0, and
// the uid, the eighth, its kite owner.
func (h *Host) translateProcInodes(b []byte) []byte {
	const uidCol, inodeCol = 7, 9
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []byte
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		if i == 0 {
			out = append(out, line...)
			continue
		}
		// Each column's start and end.
		var starts, ends []int
		for j := 0; j < len(line); j++ {
			space := line[j] == ' ' || line[j] == '\n'
			if !space && (j == 0 || line[j-1] == ' ') {
				starts = append(starts, j)
			}
			if !space && (j+1 == len(line) || line[j+1] == ' ' || line[j+1] == '\n') {
				ends = append(ends, j+1)
			}
		}
		if len(ends) <= inodeCol {
			out = append(out, line...)
			continue
		}
		ino, err := strconv.ParseUint(string(line[starts[inodeCol]:ends[inodeCol]]), 10, 64)
		if err != nil {
			out = append(out, line...)
			continue
		}
		own, ok := h.inodes[ino]
		if ok {
			// The uid's column is "%5u".
			out = append(out, line[:starts[uidCol]]...)
			if w := ends[uidCol] - starts[uidCol]; w < 5 {
				out = out[:len(out)-min(5-w, len(out))]
			}
			out = fmt.Appendf(out, "%5d", own.uid)
			out = append(out, line[ends[uidCol]:starts[inodeCol]]...)
		} else {
			out = append(out, line[:starts[inodeCol]]...)
		}
		out = strconv.AppendUint(out, own.ino, 10)
		out = append(out, line[ends[inodeCol]:]...)
	}
	return out
}

// readNetStats is the host network namespace's /proc/net/NAME (one of
// hostfs.NetStatsFiles): its protocol counters, socket counts and raw
// and ping socket lists, which no netlink dump carries, as a program of that
// namespace reads them (empty if the host does not answer).
func (h *Host) readNetStats(name string) []byte {
	var b []byte
	h.p.InNamespace(func() error {
		var err error
		b, err = hostfs.ReadNetStats(name)
		return err
	})
	return b
}

// hasNetStats reports whether the host shows /proc/net/NAME (the IPv6
// files only with IPv6), as found the first time it is asked.
func (h *Host) hasNetStats(name string) bool {
	h.statsOnce.Do(func() {
		h.stats = make(map[string]bool)
		for _, st := range hostfs.NetStatsFiles() {
			h.stats[st.Name] = h.p.InNamespace(func() error {
				_, err := hostfs.ReadNetStats(st.Name)
				return err
			}) == nil
		}
	})
	return h.stats[name]
}

// hostSock is one inet_diag_msg.
type hostSock struct {
	state, timer, retrans uint8
	sport, dport          uint16
	src, dst              []byte
	expires, rq, wq, uid  uint32
	inode                 uint32
}

// diagDump asks the host for its sockets of family and protocol.
func (h *Host) diagDump(family, protocol int) []hostSock {
	const reqLen = 56 // struct inet_diag_req_v2
	req := make([]byte, unix.NLMSG_HDRLEN+reqLen)
	le := binary.LittleEndian
	le.PutUint32(req, uint32(len(req)))
	le.PutUint16(req[4:], sockDiagByFamily)
	le.PutUint16(req[6:], unix.NLM_F_REQUEST|unix.NLM_F_DUMP)
	p := req[unix.NLMSG_HDRLEN:]
	p[0], p[1] = byte(family), byte(protocol)
	le.PutUint32(p[4:], 0xffffffff) // every state
	out, err := h.NetlinkQuery(unix.NETLINK_SOCK_DIAG, req)
	if err != nil {
		return nil
	}
	var socks []hostSock
	alen := 4
	if family == unix.AF_INET6 {
		alen = 16
	}
	netlink.Messages(out, func(_ int, msg []byte) bool {
		m := msg[unix.NLMSG_HDRLEN:]
		if le.Uint16(msg[4:]) == sockDiagByFamily && len(m) >= 72 {
			socks = append(socks, hostSock{
				state: m[1], timer: m[2], retrans: m[3],
				sport: binary.BigEndian.Uint16(m[4:]), dport: binary.BigEndian.Uint16(m[6:]),
				src: append([]byte(nil), m[8:8+alen]...), dst: append([]byte(nil), m[24:24+alen]...),
				expires: le.Uint32(m[52:]), rq: le.Uint32(m[56:]), wq: le.Uint32(m[60:]),
				uid: le.Uint32(m[64:]), inode: le.Uint32(m[68:]),
			})
		}
		return true
	})
	return socks
}

// hexAddr is an address as /proc/net/tcp shows it: its 32-bit words as
// the machine reads them, then the port.
func hexAddr(a []byte, port uint16) string {
	s := ""
	for i := 0; i+4 <= len(a); i += 4 {
		s += fmt.Sprintf("%08X", binary.LittleEndian.Uint32(a[i:]))
	}
	return fmt.Sprintf("%s:%04X", s, port)
}

// procSockets is /proc/net/{tcp,udp,tcp6,udp6} of the host network, in
// the widths Linux's tcp4_seq_show, udp4_seq_show and their IPv6 kin
// print. A listener shows its accept queue as rx_queue.
func (h *Host) procSockets(family, protocol int) []byte {
	const head = "local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	const head6 = "local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
	udp := protocol == unix.IPPROTO_UDP
	var b []byte
	switch {
	case family == unix.AF_INET && udp:
		b = fmt.Appendf(b, "%-127s\n", "   sl  "+head+" ref pointer drops")
	case family == unix.AF_INET:
		b = fmt.Appendf(b, "%-149s\n", "  sl  "+head)
	case udp:
		b = append(b, "  sl  "+head6+" ref pointer drops\n"...)
	default:
		b = append(b, "  sl  "+head6+"\n"...)
	}
	for n, s := range h.diagDump(family, protocol) {
		tx, rx := s.wq, s.rq
		if !udp && s.state == 10 { // TCP_LISTEN
			tx = 0
		}
		// inet_diag's expires is in milliseconds; the file shows
		// clock ticks (USER_HZ 100).
		sl := "%4d"
		if udp {
			sl = "%5d"
		}
		line := fmt.Sprintf(sl+": %s %s %02X %08X:%08X %02X:%08X %08X %5d %8d %d", n, hexAddr(s.src, s.sport), hexAddr(s.dst, s.dport),
			s.state, tx, rx, s.timer, s.expires/10, s.retrans, s.uid, 0, s.inode)
		if udp {
			line += " 2 0000000000000000 0"
		} else {
			line += " 1 0000000000000000 100 0 0 10 0"
		}
		switch {
		case family == unix.AF_INET && udp:
			line = fmt.Sprintf("%-127s", line)
		case family == unix.AF_INET:
			line = fmt.Sprintf("%-149s", line)
		}
		b = append(b, line...)
		b = append(b, '\n')
	}
	return b
}
