package netlink

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// diagSocks are a listener with one pending connection, its accepted
// socket, and a datagram socket that a shutdown half-closed.
var diagSocks = []UnixSock{
	{Type: unix.SOCK_STREAM, State: tcpListen, Inode: 10, Name: "/s\x00", HasVFS: true, VFSIno: 77, VFSDev: 9,
		Icons: []uint32{12}, RQueue: 1, WQueue: 5, UID: 1000},
	{Type: unix.SOCK_STREAM, State: 1, Inode: 11, HasPeer: true, Peer: 12, Name: "/s\x00", RQueue: 5},
	{Type: unix.SOCK_DGRAM, State: 7, Inode: 13, Name: "\x00abs", Shutdown: 2, WMem: 768, SndBuf: 212992, RcvBuf: 212992},
}

// diagMsg is one message of an answer: its header, its fixed part and
// its attributes by type.
type diagMsg struct {
	h     hdr
	body  []byte
	attrs map[uint16][]byte
}

func diagExchange(t *testing.T, so net.Socket, typ, flags uint16, payload []byte) []diagMsg {
	t.Helper()
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	req := newMsg(typ, flags, 9, 0, payload).bytes()
	if _, err := so.SendMsg(ctx, &net.SendRequest{Len: int64(len(req)), Source: func(b []byte) (int, error) { return copy(b, req), nil }}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	if _, err := so.RecvMsg(ctx, &net.RecvRequest{Len: 1 << 16, Nonblock: true, Sink: func(b []byte) (int, error) { got = append(got, b...); return len(b), nil }}); err != nil {
		t.Fatal(err)
	}
	var ms []diagMsg
	Messages(got, func(_ int, m []byte) bool {
		d := diagMsg{h: decodeHdr(m), body: m[unix.NLMSG_HDRLEN:]}
		if d.h.Type == sockDiagByFamily && len(d.body) >= unixDiagMsgLen {
			d.attrs = Attrs(d.body[unixDiagMsgLen:])
		}
		ms = append(ms, d)
		return true
	})
	return ms
}

// errno is the error a one-message NLMSG_ERROR answer carries, -1 for
// another answer.
func errno(ms []diagMsg) unix.Errno {
	if len(ms) != 1 || ms[0].h.Type != unix.NLMSG_ERROR {
		return ^unix.Errno(0)
	}
	return unix.Errno(-int32(binary.LittleEndian.Uint32(ms[0].body)))
}

func unixReq(states, ino, show uint32, c0, c1 uint32) []byte {
	b := make([]byte, unixDiagReqLen)
	b[0] = unix.AF_UNIX
	le := binary.LittleEndian
	le.PutUint32(b[4:], states)
	le.PutUint32(b[8:], ino)
	le.PutUint32(b[12:], show)
	le.PutUint32(b[16:], c0)
	le.PutUint32(b[20:], c1)
	return b
}

func TestUnixDiag(t *testing.T) {
	up := true
	f := New(fakeIfs{&up})
	f.SetDiag(Diag{Unix: func(net.Context) []UnixSock { return diagSocks }})
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	so, err := f.Socket(ctx, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	dump := uint16(unix.NLM_F_REQUEST | unix.NLM_F_DUMP)

	// A dump of the listening and closed ones with every attribute.
	ms := diagExchange(t, so, sockDiagByFamily, dump, unixReq(1<<tcpListen|1<<7, 0, 0x7f, 0, 0))
	if len(ms) != 3 || ms[2].h.Type != unix.NLMSG_DONE {
		t.Fatalf("dump: %d messages, want 2 and NLMSG_DONE", len(ms))
	}
	l, d := ms[0], ms[1]
	le := binary.LittleEndian
	if l.h.Flags != unix.NLM_F_MULTI || l.body[2] != tcpListen || le.Uint32(l.body[4:]) != 10 || d.body[1] != unix.SOCK_DGRAM || le.Uint32(d.body[4:]) != 13 {
		t.Errorf("dump: listener %x, datagram %x", l.body[:8], d.body[:8])
	}
	if string(l.attrs[unixDiagName]) != "/s\x00" || le.Uint32(l.attrs[unixDiagVFS]) != 77 || le.Uint32(l.attrs[unixDiagVFS][4:]) != 9 {
		t.Errorf("listener name %q vfs %x", l.attrs[unixDiagName], l.attrs[unixDiagVFS])
	}
	if ic := l.attrs[unixDiagIcons]; len(ic) != 4 || le.Uint32(ic) != 12 {
		t.Errorf("listener icons %x, want inode 12", ic)
	}
	if q := l.attrs[unixDiagRqlen]; len(q) != 8 || le.Uint32(q) != 1 || le.Uint32(q[4:]) != 5 {
		t.Errorf("listener rqlen %x, want 1 pending of 5", q)
	}
	if u := l.attrs[unixDiagUID]; len(u) != 4 || le.Uint32(u) != 1000 {
		t.Errorf("listener uid %x", u)
	}
	if _, ok := l.attrs[unixDiagPeer]; ok {
		t.Errorf("listener has a peer attribute")
	}
	if s := d.attrs[unixDiagShutdown]; len(s) != 1 || s[0] != 2 {
		t.Errorf("datagram shutdown %x, want 02", s)
	}
	if m := d.attrs[unixDiagMeminfo]; len(m) != 4*skMeminfoVars || le.Uint32(m[4:]) != 212992 || le.Uint32(m[8:]) != 768 {
		t.Errorf("datagram meminfo %x", m)
	}
	if string(d.attrs[unixDiagName]) != "\x00abs" {
		t.Errorf("datagram name %q", d.attrs[unixDiagName])
	}
	// Without show bits only UNIX_DIAG_SHUTDOWN, which is always there.
	ms = diagExchange(t, so, sockDiagByFamily, dump, unixReq(^uint32(0), 0, 0, 0, 0))
	if len(ms) != 4 || len(ms[1].attrs) != 1 || ms[1].attrs[unixDiagShutdown] == nil {
		t.Errorf("dump without show: %d messages, attributes %v", len(ms), ms[1].attrs)
	}

	// One socket by inode: its cookie (the inode) or ~0.
	ms = diagExchange(t, so, sockDiagByFamily, unix.NLM_F_REQUEST, unixReq(0, 11, udiagShowPeer, ^uint32(0), ^uint32(0)))
	if len(ms) != 1 || ms[0].h.Type != sockDiagByFamily || ms[0].h.Flags != 0 || le.Uint32(ms[0].body[4:]) != 11 || le.Uint32(ms[0].attrs[unixDiagPeer]) != 12 {
		t.Errorf("get inode 11: %+v", ms)
	}
	ms = diagExchange(t, so, sockDiagByFamily, unix.NLM_F_REQUEST, unixReq(0, 13, 0, 13, 0))
	if len(ms) != 1 || ms[0].h.Type != sockDiagByFamily {
		t.Errorf("get inode 13 with its cookie: %+v", ms)
	}
	for _, c := range []struct {
		name string
		typ  uint16
		req  []byte
		want unix.Errno
	}{
		{"stale cookie", sockDiagByFamily, unixReq(0, 11, 0, 0, 0), unix.ESTALE},
		{"no such inode", sockDiagByFamily, unixReq(0, 99, 0, ^uint32(0), ^uint32(0)), unix.ENOENT},
		{"inode 0", sockDiagByFamily, unixReq(0, 0, 0, ^uint32(0), ^uint32(0)), unix.EINVAL},
		{"destroy", sockDestroy, unixReq(0, 11, 0, ^uint32(0), ^uint32(0)), unix.EOPNOTSUPP},
	} {
		if got := errno(diagExchange(t, so, c.typ, unix.NLM_F_REQUEST, c.req)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	for _, c := range []struct {
		name    string
		typ     uint16
		payload []byte
		want    unix.Errno
	}{
		{"short unix_diag_req", sockDiagByFamily, unixReq(0, 0, 0, 0, 0)[:8], unix.EINVAL},
		{"AF_APPLETALK", sockDiagByFamily, append([]byte{unix.AF_APPLETALK}, make([]byte, 55)...), unix.ENOENT},
		{"AF_INET without a handler here", sockDiagByFamily, append([]byte{unix.AF_INET, unix.IPPROTO_TCP}, make([]byte, 54)...), unix.ENOENT},
		{"AF_MAX", sockDiagByFamily, append([]byte{afMax}, make([]byte, 55)...), unix.EINVAL},
		{"sock_diag_req too short", sockDiagByFamily, []byte{unix.AF_UNIX}, unix.EINVAL},
		{"DCCPDIAG_GETSOCK", 19, make([]byte, 60), unix.EINVAL},
	} {
		if got := errno(diagExchange(t, so, c.typ, dump, c.payload)); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestInetDiagProtocolAttr(t *testing.T) {
	up := true
	f := New(fakeIfs{&up})
	var asked []int
	f.SetDiag(Diag{Inet: func(family, protocol int) []InetSock {
		asked = append(asked, protocol)
		return []InetSock{{State: 10, Src: []byte{127, 0, 0, 1}, Dst: make([]byte, 4), SrcPort: 80}}
	}})
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	so, err := f.Socket(ctx, unix.SOCK_RAW, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	req := make([]byte, inetDiagReqLen)
	req[0], req[1] = unix.AF_INET, unix.IPPROTO_TCP
	binary.LittleEndian.PutUint32(req[4:], ^uint32(0))
	dump := uint16(unix.NLM_F_REQUEST | unix.NLM_F_DUMP)
	if ms := diagExchange(t, so, sockDiagByFamily, dump, req); len(ms) != 2 || ms[0].h.Type != sockDiagByFamily {
		t.Errorf("TCP dump: %+v", ms)
	}
	// ss -a asks for MPTCP with sdiag_protocol IPPROTO_TCP and
	// INET_DIAG_REQ_PROTOCOL 262: kite has none.
	mptcp := append(append([]byte{}, req...), 8, 0, inetDiagReqProtocol, 0, 6, 1, 0, 0)
	if got := errno(diagExchange(t, so, sockDiagByFamily, dump, mptcp)); got != unix.ENOENT {
		t.Errorf("MPTCP dump: %v, want ENOENT", got)
	}
	if len(asked) != 1 || asked[0] != unix.IPPROTO_TCP {
		t.Errorf("the view was asked for %v, want TCP once", asked)
	}
}

// TestNetlinkDiag: the bound sockets of a protocol or of all, a socket
// with groups twice, port ids per protocol, unbound sockets left out.
func TestNetlinkDiag(t *testing.T) {
	up := true
	f := New(fakeIfs{&up})
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	mk := func(proto int, ino uint64, groups uint32, bind bool) net.Socket {
		so, err := f.Socket(ctx, unix.SOCK_RAW, proto)
		if err != nil {
			t.Fatal(err)
		}
		so.SetFile(nil, ino)
		if bind {
			if err := so.Bind(ctx, encodeNl(0, groups)); err != nil {
				t.Fatal(err)
			}
		}
		return so
	}
	r := mk(unix.NETLINK_ROUTE, 5, 0, true)
	g := mk(unix.NETLINK_ROUTE, 6, 1, true)
	u := mk(unix.NETLINK_KOBJECT_UEVENT, 7, 0, true)
	mk(unix.NETLINK_ROUTE, 8, 0, false)
	name := func(so net.Socket) uint32 {
		b, _ := so.Name(ctx)
		return binary.LittleEndian.Uint32(b[4:])
	}
	if name(r) != name(u) || name(r) == name(g) {
		t.Errorf("ports: route %d, route with groups %d, uevent %d: want the uevent socket to share the first route socket's", name(r), name(g), name(u))
	}
	req := func(proto uint8) []byte {
		b := make([]byte, netlinkDiagReqLen)
		b[0], b[1] = unix.AF_NETLINK, proto
		binary.LittleEndian.PutUint32(b[8:], ndiagShowMeminfo|ndiagShowGroups|ndiagShowFlags)
		return b
	}
	dump := uint16(unix.NLM_F_REQUEST | unix.NLM_F_DUMP)
	d := mk(unix.NETLINK_SOCK_DIAG, 9, 0, false)
	var inos []uint32
	for _, m := range diagExchange(t, d, sockDiagByFamily, dump, req(ndiagProtoAll)) {
		if m.h.Type == sockDiagByFamily {
			inos = append(inos, binary.LittleEndian.Uint32(m.body[16:]))
		}
	}
	// The diag socket itself is bound by its send.
	if want := []uint32{5, 6, 7, 9, 6}; len(inos) != len(want) || inos[0] != 5 || inos[1] != 6 || inos[2] != 7 || inos[3] != 9 || inos[4] != 6 {
		t.Errorf("all protocols: inodes %v, want %v", inos, want)
	}
	ms := diagExchange(t, d, sockDiagByFamily, dump, req(unix.NETLINK_KOBJECT_UEVENT))
	if len(ms) != 2 || ms[0].body[2] != unix.NETLINK_KOBJECT_UEVENT || binary.LittleEndian.Uint32(ms[0].body[4:]) != name(u) {
		t.Errorf("uevent dump: %+v", ms)
	}
	if got := errno(diagExchange(t, d, sockDiagByFamily, dump, req(40))); got != unix.ENOENT {
		t.Errorf("protocol 40: %v, want ENOENT", got)
	}
	if got := errno(diagExchange(t, d, sockDiagByFamily, unix.NLM_F_REQUEST, req(0))); got != unix.EOPNOTSUPP {
		t.Errorf("get: %v, want EOPNOTSUPP", got)
	}
}
