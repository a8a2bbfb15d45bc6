package netlink

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

type fakeIfs struct{ up *bool }

func (f fakeIfs) Links() []Link {
	l := Link{Index: 1, Name: "lo", Type: 772, Flags: unix.IFF_LOOPBACK, MTU: 65536}
	if *f.up {
		l.Flags |= unix.IFF_UP
	}
	return []Link{l}
}
func (fakeIfs) Addrs() []Addr {
	return []Addr{{Family: unix.AF_INET, PrefixLen: 8, Index: 1, Addr: []byte{127, 0, 0, 1}, Label: "lo"}}
}
func (fakeIfs) Routes() []Route { return nil }

// AddAddr has lo's 127.0.0.1 already and takes nothing else.
func (fakeIfs) AddAddr(a Addr) error {
	if a.Index != 1 {
		return unix.ENODEV
	}
	if a.Family == unix.AF_INET && string(a.Addr) == "\x7f\x00\x00\x01" {
		return unix.EEXIST
	}
	return unix.EINVAL
}
func (fakeIfs) DelAddr(a Addr) error { return unix.EADDRNOTAVAIL }
func (f fakeIfs) SetLinkUp(index int32, up bool) error {
	if index != 1 {
		return unix.ENODEV
	}
	*f.up = up
	return nil
}

// exchange sends one request and returns the messages of the answer.
func exchange(t *testing.T, so net.Socket, typ, flags uint16, payload []byte) []hdr {
	t.Helper()
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	req := newMsg(typ, flags, 9, 0, payload).bytes()
	if _, err := so.SendMsg(ctx, &net.SendRequest{Len: int64(len(req)), Source: func(b []byte) (int, error) { return copy(b, req), nil }}); err != nil {
		t.Fatal(err)
	}
	var got []byte
	r, err := so.RecvMsg(ctx, &net.RecvRequest{Len: 1 << 16, Nonblock: true, Sink: func(b []byte) (int, error) { got = append(got, b...); return len(b), nil }})
	if err != nil {
		t.Fatal(err)
	}
	if r.N != int64(len(got)) {
		t.Fatalf("recv %d bytes, sink got %d", r.N, len(got))
	}
	var hs []hdr
	for len(got) >= unix.NLMSG_HDRLEN {
		h := decodeHdr(got)
		if h.Seq != 9 {
			t.Errorf("reply seq %d, want 9", h.Seq)
		}
		hs = append(hs, h)
		if h.Type == unix.NLMSG_ERROR {
			hs[len(hs)-1].Pid = binary.LittleEndian.Uint32(got[unix.NLMSG_HDRLEN:]) // the errno, negated
		}
		got = got[align4(int(h.Len)):]
	}
	return hs
}

func TestRoute(t *testing.T) {
	up := true
	f := New(fakeIfs{&up})
	ctx := vfs.KernelContext{Creds: auth.New(0, 0, nil)}
	so, err := f.Socket(ctx, unix.SOCK_RAW, unix.NETLINK_ROUTE)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	hs := exchange(t, so, unix.RTM_GETADDR, unix.NLM_F_REQUEST|unix.NLM_F_DUMP, make([]byte, unix.SizeofIfAddrmsg))
	if len(hs) != 2 || hs[0].Type != unix.RTM_NEWADDR || hs[1].Type != unix.NLMSG_DONE || hs[0].Flags&unix.NLM_F_MULTI == 0 {
		t.Errorf("RTM_GETADDR dump = %+v, want one RTM_NEWADDR and NLMSG_DONE", hs)
	}
	info := make([]byte, unix.SizeofIfInfomsg)
	binary.LittleEndian.PutUint32(info[4:], 1)
	hs = exchange(t, so, unix.RTM_GETLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, info)
	if len(hs) != 2 || hs[0].Type != unix.RTM_NEWLINK || hs[1].Type != unix.NLMSG_ERROR || hs[1].Pid != 0 {
		t.Errorf("RTM_GETLINK index 1 with ACK = %+v", hs)
	}
	binary.LittleEndian.PutUint32(info[4:], 7)
	hs = exchange(t, so, unix.RTM_GETLINK, unix.NLM_F_REQUEST, info)
	if len(hs) != 1 || hs[0].Type != unix.NLMSG_ERROR || int32(hs[0].Pid) != -int32(unix.ENODEV) {
		t.Errorf("RTM_GETLINK index 7 = %+v, want ENODEV", hs)
	}
	// RTM_NEWADDR of lo's 127.0.0.1/8: EEXIST, unless NLM_F_REPLACE.
	ifa := make([]byte, unix.SizeofIfAddrmsg, unix.SizeofIfAddrmsg+8)
	ifa[0], ifa[1] = unix.AF_INET, 8
	binary.LittleEndian.PutUint32(ifa[4:], 1)
	ifa = append(ifa, 8, 0, unix.IFA_LOCAL, 0, 127, 0, 0, 1)
	hs = exchange(t, so, unix.RTM_NEWADDR, unix.NLM_F_REQUEST|unix.NLM_F_CREATE|unix.NLM_F_EXCL, ifa)
	if len(hs) != 1 || hs[0].Type != unix.NLMSG_ERROR || int32(hs[0].Pid) != -int32(unix.EEXIST) {
		t.Errorf("RTM_NEWADDR of an address lo has = %+v, want EEXIST", hs)
	}
	hs = exchange(t, so, unix.RTM_NEWADDR, unix.NLM_F_REQUEST|unix.NLM_F_REPLACE|unix.NLM_F_ACK, ifa)
	if len(hs) != 1 || hs[0].Type != unix.NLMSG_ERROR || hs[0].Pid != 0 {
		t.Errorf("RTM_NEWADDR with NLM_F_REPLACE = %+v, want an ACK", hs)
	}
	hs = exchange(t, so, unix.RTM_NEWADDR, unix.NLM_F_REQUEST, make([]byte, unix.SizeofIfAddrmsg))
	if len(hs) != 1 || hs[0].Type != unix.NLMSG_ERROR || int32(hs[0].Pid) != -int32(unix.ENODEV) {
		t.Errorf("RTM_NEWADDR on index 0 = %+v, want ENODEV", hs)
	}
	// ip link set lo down: ifi_change IFF_UP, ifi_flags 0.
	binary.LittleEndian.PutUint32(info[4:], 1)
	binary.LittleEndian.PutUint32(info[12:], unix.IFF_UP)
	hs = exchange(t, so, unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, info)
	if len(hs) != 1 || hs[0].Type != unix.NLMSG_ERROR || hs[0].Pid != 0 || up {
		t.Errorf("RTM_NEWLINK lo down = %+v (up %v), want an ACK and lo down", hs, up)
	}
	// Other flags are not carried out.
	binary.LittleEndian.PutUint32(info[8:], unix.IFF_PROMISC)
	binary.LittleEndian.PutUint32(info[12:], unix.IFF_PROMISC)
	hs = exchange(t, so, unix.RTM_NEWLINK, unix.NLM_F_REQUEST|unix.NLM_F_ACK, info)
	if len(hs) != 1 || int32(hs[0].Pid) != -int32(unix.EOPNOTSUPP) {
		t.Errorf("RTM_NEWLINK promisc = %+v, want EOPNOTSUPP", hs)
	}
	if _, err := f.Socket(ctx, unix.SOCK_RAW, unix.NETLINK_AUDIT); err != unix.EPROTONOSUPPORT {
		t.Errorf("NETLINK_AUDIT: %v, want EPROTONOSUPPORT", err)
	}
}
