package unix

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

func diagOf(t *testing.T, f *Family, ctx net.Context) map[uint32]netlink.UnixSock {
	t.Helper()
	m := make(map[uint32]netlink.UnixSock)
	for _, so := range f.DiagSockets(ctx) {
		m[so.Inode] = so
	}
	return m
}

func send(t *testing.T, ctx net.Context, s net.Socket, b []byte) {
	t.Helper()
	if n, err := s.SendMsg(ctx, &net.SendRequest{Len: int64(len(b)), Source: func(p []byte) (int, error) { return copy(p, b), nil }}); err != nil || n != int64(len(b)) {
		t.Fatalf("send %d: %d %v", len(b), n, err)
	}
}

// TestDiagSockets checks unix_diag's view: states, peers, queue lengths
// (a datagram socket's first datagram, Linux's truesize as the sender's
// send queue), a datagram socket that another connected to staying
// established until it disconnects itself, and sockets without an inode
// left out.
func TestDiagSockets(t *testing.T) {
	ctx := benchCtx{}
	f := New(vfs.New())
	a, b, err := f.Pair(ctx, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	a.SetFile(nil, 1)
	b.SetFile(nil, 2)
	send(t, ctx, a, []byte("hello"))
	r, _ := f.Socket(ctx, unix.SOCK_DGRAM, 0)
	s, _ := f.Socket(ctx, unix.SOCK_DGRAM, 0)
	r.SetFile(nil, 3)
	s.SetFile(nil, 4)
	name := []byte{unix.AF_UNIX, 0, 0, 'k', 'd'}
	if err := r.Bind(ctx, name); err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(ctx, name, false, net.Deadline{}); err != nil {
		t.Fatal(err)
	}
	send(t, ctx, s, []byte("xyz"))
	send(t, ctx, s, []byte("abcdefgh"))
	// A socket with no file yet is not shown.
	if _, err := f.Socket(ctx, unix.SOCK_STREAM, 0); err != nil {
		t.Fatal(err)
	}
	m := diagOf(t, f, ctx)
	if len(m) != 4 {
		t.Fatalf("%d sockets shown, want 4: %+v", len(m), m)
	}
	if so := m[1]; so.State != tcpEstablished || !so.HasPeer || so.Peer != 2 || so.RQueue != 0 || so.WQueue != 768 || so.UID != 1000 {
		t.Errorf("stream writer %+v, want established, peer 2, Send-Q 768, uid 1000", so)
	}
	if so := m[2]; so.RQueue != 5 || so.WQueue != 0 {
		t.Errorf("stream reader %+v, want Recv-Q 5", so)
	}
	if so := m[3]; so.State != tcpEstablished || so.HasPeer || so.RQueue != 3 || so.Name != "\x00kd" || so.HasVFS {
		t.Errorf("datagram receiver %+v, want established, no peer, Recv-Q 3 (the first datagram), abstract name", so)
	}
	if so := m[4]; so.State != tcpEstablished || so.Peer != 3 || so.WQueue != 1536 {
		t.Errorf("datagram sender %+v, want established, peer 3, Send-Q 1536", so)
	}
	// connect(AF_UNSPEC): the sender closes, the receiver stays.
	if err := s.Connect(ctx, []byte{unix.AF_UNSPEC, 0}, false, net.Deadline{}); err != nil {
		t.Fatal(err)
	}
	m = diagOf(t, f, ctx)
	if m[4].State != tcpClose || m[4].HasPeer || m[3].State != tcpEstablished {
		t.Errorf("after disconnecting: sender %+v, receiver %+v", m[4], m[3])
	}
	if err := a.Shutdown(ctx, unix.SHUT_WR); err != nil {
		t.Fatal(err)
	}
	if m = diagOf(t, f, ctx); m[1].Shutdown != 2 || m[2].Shutdown != 1 {
		t.Errorf("after SHUT_WR: shutdown %d and %d, want 2 and its peer 1", m[1].Shutdown, m[2].Shutdown)
	}
	// Linux 6.18's SIOCOUTQ after one datagram of each size.
	for n, want := range map[int64]int64{0: 768, 200: 1280, 4000: 8448, 16064: 16640, 16065: 20736, 65536: 69888, 200000: 200960} {
		if got := dgramTruesize(n); got != want {
			t.Errorf("dgramTruesize(%d) = %d, want %d", n, got, want)
		}
	}
}
