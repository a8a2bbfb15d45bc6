package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
)

func align4(n int) int { return (n + 3) &^ 3 }

// hdr is a struct nlmsghdr.
type hdr struct {
	Len   uint32
	Type  uint16
	Flags uint16
	Seq   uint32
	Pid   uint32
}

func decodeHdr(b []byte) hdr {
	le := binary.LittleEndian
	return hdr{Len: le.Uint32(b), Type: le.Uint16(b[4:]), Flags: le.Uint16(b[6:]), Seq: le.Uint32(b[8:]), Pid: le.Uint32(b[12:])}
}

// msg builds one netlink message.
type msg struct {
	b []byte
}

func newMsg(typ, flags uint16, seq, pid uint32, fixed []byte) *msg {
	m := &msg{b: make([]byte, unix.NLMSG_HDRLEN, 256)}
	le := binary.LittleEndian
	le.PutUint16(m.b[4:], typ)
	le.PutUint16(m.b[6:], flags)
	le.PutUint32(m.b[8:], seq)
	le.PutUint32(m.b[12:], pid)
	m.b = append(m.b, fixed...)
	m.pad()
	return m
}

func (m *msg) pad() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

// attr appends an rtattr.
func (m *msg) attr(typ uint16, data []byte) {
	h := make([]byte, 4)
	binary.LittleEndian.PutUint16(h, uint16(4+len(data)))
	binary.LittleEndian.PutUint16(h[2:], typ)
	m.b = append(m.b, h...)
	m.b = append(m.b, data...)
	m.pad()
}

func (m *msg) u32(typ uint16, v uint32) {
	b := make([]byte, 4)
	binary.LittleEndian.PutUint32(b, v)
	m.attr(typ, b)
}

func (m *msg) u8(typ uint16, v uint8) { m.attr(typ, []byte{v}) }

func (m *msg) str(typ uint16, s string) { m.attr(typ, append([]byte(s), 0)) }

func (m *msg) bytes() []byte {
	binary.LittleEndian.PutUint32(m.b, uint32(len(m.b)))
	return m.b
}

// errMsg is an NLMSG_ERROR answering req (errno 0 is an ACK).
func errMsg(h hdr, req []byte, errno unix.Errno, port uint32) []byte {
	p := make([]byte, 4)
	binary.LittleEndian.PutUint32(p, uint32(-int32(errno)))
	orig := make([]byte, unix.NLMSG_HDRLEN)
	le := binary.LittleEndian
	le.PutUint32(orig, h.Len)
	le.PutUint16(orig[4:], h.Type)
	le.PutUint16(orig[6:], h.Flags)
	le.PutUint32(orig[8:], h.Seq)
	le.PutUint32(orig[12:], h.Pid)
	p = append(p, orig...)
	if errno != 0 {
		p = append(p, req...)
	}
	flags := uint16(0)
	if errno == 0 {
		flags = unix.NLM_F_CAPPED
	}
	return newMsg(unix.NLMSG_ERROR, flags, h.Seq, port, p).bytes()
}

// done is NLMSG_DONE ending a dump.
func done(h hdr, port uint32) []byte {
	return newMsg(unix.NLMSG_DONE, unix.NLM_F_MULTI, h.Seq, port, make([]byte, 4)).bytes()
}

// Attrs parses the rtattrs (or nlattrs) of b by type, the nested flag
// cleared; a malformed attribute ends the parse.
func Attrs(b []byte) map[uint16][]byte {
	m := make(map[uint16][]byte)
	for len(b) >= 4 {
		l := int(binary.LittleEndian.Uint16(b))
		t := binary.LittleEndian.Uint16(b[2:])
		if l < 4 || l > len(b) {
			break
		}
		m[t&^unix.NLA_F_NESTED] = b[4:l]
		b = b[min(align4(l), len(b)):]
	}
	return m
}

// handle answers one NETLINK_ROUTE request.
func (s *socket) handle(ctx net.Context, h hdr, payload []byte, port uint32) []byte {
	if h.Flags&unix.NLM_F_REQUEST == 0 {
		return nil
	}
	if h.Type >= unix.RTM_BASE && h.Type <= unix.RTM_MAX && len(payload) < unix.SizeofRtGenmsg {
		// Linux's rtnetlink_rcv_msg accepts a request too short for
		// its family byte and does nothing with it: at most an ack.
		if h.Flags&unix.NLM_F_ACK != 0 {
			return errMsg(h, payload, 0, port)
		}
		return nil
	}
	if h.Type >= unix.RTM_BASE && h.Type <= unix.RTM_MAX && (h.Type-unix.RTM_BASE)&3 != 2 && !s.netAdmin(ctx) {
		// Every request but a RTM_GET* needs CAP_NET_ADMIN, checked
		// before the request is read (rtnetlink_rcv_msg).
		return errMsg(h, payload, unix.EPERM, port)
	}
	dump := h.Flags&unix.NLM_F_DUMP == unix.NLM_F_DUMP
	var out []byte
	var errno unix.Errno
	switch h.Type {
	case unix.RTM_GETLINK:
		out, errno = s.getLink(h, payload, port, dump)
	case unix.RTM_GETADDR:
		if !dump {
			errno = unix.EOPNOTSUPP
			break
		}
		out = s.dumpAddrs(h, payload, port)
	case unix.RTM_GETROUTE:
		if !dump {
			errno = unix.EOPNOTSUPP
			break
		}
		out = s.dumpRoutes(h, payload, port)
	case unix.RTM_NEWLINK:
		errno = s.setLink(ctx, payload)
	case unix.RTM_NEWADDR, unix.RTM_DELADDR:
		errno = s.changeAddr(ctx, h, payload)
	case unix.RTM_GETNSID:
		out, errno = s.getNSID(ctx, h, payload, port, dump)
	case unix.RTM_NEWNSID:
		errno = s.newNSID(ctx, payload)
	case unix.NLMSG_NOOP, unix.NLMSG_DONE:
		return nil
	default:
		// Other changes (RTM_NEWROUTE...) are not
		// carried out; other requests are unknown to kite.
		errno = unix.EOPNOTSUPP
	}
	if errno != 0 {
		return errMsg(h, payload, errno, port)
	}
	if dump {
		return append(out, done(h, port)...)
	}
	if h.Flags&unix.NLM_F_ACK != 0 {
		out = append(out, errMsg(h, payload, 0, port)...)
	}
	return out
}

// setLink is RTM_NEWLINK on an existing link: only IFF_UP may change
// (`ip link set DEV up|down`); creating links, renaming them and other
// flags or attributes are not carried out (EOPNOTSUPP). Changing a link
// needs CAP_NET_ADMIN.
func (s *socket) setLink(ctx net.Context, payload []byte) unix.Errno {
	if len(payload) < unix.SizeofIfInfomsg {
		return unix.EINVAL
	}
	if !s.netAdmin(ctx) {
		return unix.EPERM
	}
	le := binary.LittleEndian
	idx := int32(le.Uint32(payload[4:]))
	flags := le.Uint32(payload[8:])
	change := le.Uint32(payload[12:])
	at := Attrs(payload[unix.SizeofIfInfomsg:])
	var link *Link
	links := s.fam.ifs.Links()
	for i := range links {
		l := &links[i]
		if idx > 0 && l.Index == idx {
			link = l
		} else if idx <= 0 && at[unix.IFLA_IFNAME] != nil && l.Name == cstr(at[unix.IFLA_IFNAME]) {
			link = l
		}
	}
	if link == nil {
		return unix.ENODEV
	}
	if change == 0 {
		change = 0xffffffff
	}
	// The flags that would change besides IFF_UP (those the kernel
	// computes, like IFF_RUNNING, are ignored as dev_change_flags
	// does).
	const computed = unix.IFF_RUNNING | unix.IFF_LOWER_UP | unix.IFF_DORMANT | unix.IFF_LOOPBACK | unix.IFF_BROADCAST | unix.IFF_MULTICAST | unix.IFF_POINTOPOINT
	mask := change &^ (computed | unix.IFF_UP)
	if (flags^link.Flags)&mask != 0 {
		return unix.EOPNOTSUPP
	}
	for t := range at {
		if t != unix.IFLA_IFNAME {
			return unix.EOPNOTSUPP
		}
	}
	if change&unix.IFF_UP == 0 {
		return 0
	}
	return errnoOr(s.fam.ifs.SetLinkUp(link.Index, flags&unix.IFF_UP != 0), unix.EINVAL)
}

// changeAddr is RTM_NEWADDR and RTM_DELADDR (`ip addr add|del`, bwrap
// setting up lo): an ifaddrmsg (family, prefix length, flags, scope,
// index) with IFA_LOCAL or IFA_ADDRESS. An address the link has already
// is EEXIST unless NLM_F_REPLACE without NLM_F_EXCL (then it stays as
// it is), as Linux's inet_rtm_newaddr. Needs CAP_NET_ADMIN.
func (s *socket) changeAddr(ctx net.Context, h hdr, payload []byte) unix.Errno {
	if len(payload) < unix.SizeofIfAddrmsg {
		return unix.EINVAL
	}
	if !s.netAdmin(ctx) {
		return unix.EPERM
	}
	at := Attrs(payload[unix.SizeofIfAddrmsg:])
	addr := at[unix.IFA_LOCAL]
	if addr == nil {
		addr = at[unix.IFA_ADDRESS]
	}
	a := Addr{Family: int(payload[0]), PrefixLen: payload[1], Index: int32(binary.LittleEndian.Uint32(payload[4:])), Addr: addr}
	var err error
	if h.Type == unix.RTM_DELADDR {
		err = s.fam.ifs.DelAddr(a)
	} else {
		err = s.fam.ifs.AddAddr(a)
		if err == unix.EEXIST && h.Flags&unix.NLM_F_REPLACE != 0 && h.Flags&unix.NLM_F_EXCL == 0 {
			err = nil
		}
	}
	return errnoOr(err, unix.EINVAL)
}

// errnoOr is the errno a netlink error message carries for err: 0 for
// nil, err itself if it is an errno, else other.
func errnoOr(err error, other unix.Errno) unix.Errno {
	if err == nil {
		return 0
	}
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return other
}

// ifinfomsg is 16 bytes: family, pad, type, index, flags, change.
func (s *socket) getLink(h hdr, payload []byte, port uint32, dump bool) ([]byte, unix.Errno) {
	links := s.fam.ifs.Links()
	var out []byte
	flags := uint16(0)
	if dump {
		flags = unix.NLM_F_MULTI
		for _, l := range links {
			out = append(out, linkMsg(l, h.Seq, port, flags)...)
		}
		return out, 0
	}
	if len(payload) < unix.SizeofIfInfomsg {
		return nil, unix.EINVAL
	}
	idx := int32(binary.LittleEndian.Uint32(payload[4:]))
	name := ""
	if n, ok := Attrs(payload[unix.SizeofIfInfomsg:])[unix.IFLA_IFNAME]; ok {
		name = cstr(n)
	}
	for _, l := range links {
		if (idx > 0 && l.Index == idx) || (idx <= 0 && name != "" && l.Name == name) {
			return linkMsg(l, h.Seq, port, 0), 0
		}
	}
	return nil, unix.ENODEV
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func linkMsg(l Link, seq, port uint32, flags uint16) []byte {
	fixed := make([]byte, unix.SizeofIfInfomsg)
	le := binary.LittleEndian
	le.PutUint16(fixed[2:], l.Type)
	le.PutUint32(fixed[4:], uint32(l.Index))
	le.PutUint32(fixed[8:], l.Flags)
	m := newMsg(unix.RTM_NEWLINK, flags, seq, port, fixed)
	m.str(unix.IFLA_IFNAME, l.Name)
	m.u32(unix.IFLA_TXQLEN, l.TxQLen)
	m.u8(unix.IFLA_OPERSTATE, operState(l))
	m.u8(unix.IFLA_LINKMODE, 0)
	m.u32(unix.IFLA_MTU, l.MTU)
	m.u32(unix.IFLA_MIN_MTU, 0)
	m.u32(unix.IFLA_MAX_MTU, 0)
	m.u32(unix.IFLA_GROUP, 0)
	m.u32(unix.IFLA_PROMISCUITY, 0)
	m.u32(unix.IFLA_NUM_TX_QUEUES, 1)
	m.u32(unix.IFLA_NUM_RX_QUEUES, 1)
	m.u8(unix.IFLA_CARRIER, 1)
	m.str(unix.IFLA_QDISC, l.Qdisc)
	if l.HWAddr != nil {
		m.attr(unix.IFLA_ADDRESS, l.HWAddr)
		m.attr(unix.IFLA_BROADCAST, l.Broadcast)
	}
	return m.bytes()
}

// operState is IF_OPER_DOWN for a link that is down, IF_OPER_UNKNOWN
// for loopback that is up (as Linux reports lo), IF_OPER_UP otherwise.
func operState(l Link) uint8 {
	switch {
	case l.Flags&unix.IFF_UP == 0:
		return 2
	case l.Flags&unix.IFF_LOOPBACK != 0:
		return 0
	}
	return 6
}

func (s *socket) dumpAddrs(h hdr, payload []byte, port uint32) []byte {
	fam := 0
	if len(payload) >= 1 {
		fam = int(payload[0])
	}
	var out []byte
	for _, a := range s.fam.ifs.Addrs() {
		if fam != 0 && fam != a.Family {
			continue
		}
		fixed := make([]byte, unix.SizeofIfAddrmsg)
		fixed[0] = uint8(a.Family)
		fixed[1] = a.PrefixLen
		flags := uint32(unix.IFA_F_PERMANENT)
		if a.Secondary {
			flags |= unix.IFA_F_SECONDARY
		}
		fixed[2] = uint8(flags)
		fixed[3] = a.Scope
		binary.LittleEndian.PutUint32(fixed[4:], uint32(a.Index))
		m := newMsg(unix.RTM_NEWADDR, unix.NLM_F_MULTI, h.Seq, port, fixed)
		m.attr(unix.IFA_ADDRESS, a.Addr)
		if a.Family == unix.AF_INET {
			m.attr(unix.IFA_LOCAL, a.Addr)
			m.str(unix.IFA_LABEL, a.Label)
		}
		m.u32(unix.IFA_FLAGS, flags)
		ci := make([]byte, 16)
		binary.LittleEndian.PutUint32(ci, 0xffffffff)
		binary.LittleEndian.PutUint32(ci[4:], 0xffffffff)
		m.attr(unix.IFA_CACHEINFO, ci)
		out = append(out, m.bytes()...)
	}
	return out
}

func (s *socket) dumpRoutes(h hdr, payload []byte, port uint32) []byte {
	fam := 0
	if len(payload) >= 1 {
		fam = int(payload[0])
	}
	var out []byte
	for _, r := range s.fam.ifs.Routes() {
		if fam != 0 && fam != r.Family {
			continue
		}
		fixed := make([]byte, unix.SizeofRtMsg)
		fixed[0] = uint8(r.Family)
		fixed[1] = r.DstLen
		fixed[4] = r.Table
		fixed[5] = r.Protocol
		fixed[6] = r.Scope
		fixed[7] = r.Type
		m := newMsg(unix.RTM_NEWROUTE, unix.NLM_F_MULTI, h.Seq, port, fixed)
		m.u32(unix.RTA_TABLE, uint32(r.Table))
		if r.Dst != nil {
			m.attr(unix.RTA_DST, r.Dst)
		}
		if r.Family == unix.AF_INET6 || r.Priority != 0 {
			m.u32(unix.RTA_PRIORITY, r.Priority)
		}
		if r.PrefSrc != nil {
			m.attr(unix.RTA_PREFSRC, r.PrefSrc)
		}
		if r.Gateway != nil {
			m.attr(unix.RTA_GATEWAY, r.Gateway)
		}
		m.u32(unix.RTA_OIF, uint32(r.OIF))
		if r.Family == unix.AF_INET6 {
			m.u8(unix.RTA_PREF, 0)
		}
		out = append(out, m.bytes()...)
	}
	return out
}
