package inet

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

func sockaddr4(port uint16) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint16(b, unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], port)
	copy(b[4:], []byte{127, 0, 0, 1})
	return b
}

// TestDisconnectReplayFails checks that a disconnect whose options
// cannot be set on the new endpoint fails with the option's error and
// leaves the socket as it was, and succeeds once they can.
func TestDisconnectReplayFails(t *testing.T) {
	st, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := vfs.KernelContext{Creds: auth.New(1000, 1000, nil)}
	fam := &family{st: st, domain: unix.AF_INET}
	unspec := make([]byte, 16)
	// A value the endpoint refuses (IP_TTL 0), as if it had been
	// taken by the old endpoint.
	bad := setOpt{unix.SOL_IP, unix.IP_TTL, putInt(0)}

	peer, err := fam.Socket(ctx, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Release(ctx)
	if err := peer.Bind(ctx, sockaddr4(0)); err != nil {
		t.Fatal(err)
	}
	name, _ := peer.Name(ctx)
	port := binary.BigEndian.Uint16(name[2:])
	so, err := fam.Socket(ctx, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	if err := so.Connect(ctx, sockaddr4(port), false, net.Deadline{}); err != nil {
		t.Fatal(err)
	}
	s := so.(*socket)
	s.epOpts = append(s.epOpts, bad)
	if err := so.Connect(ctx, unspec, false, net.Deadline{}); err != unix.EINVAL {
		t.Errorf("UDP disconnect with an option the new endpoint refuses: %v, want EINVAL", err)
	}
	if _, err := so.PeerName(ctx); err != nil {
		t.Errorf("UDP socket after the failed disconnect: PeerName %v, want still connected", err)
	}
	s.epOpts = s.epOpts[:len(s.epOpts)-1]
	if err := so.Connect(ctx, unspec, false, net.Deadline{}); err != nil {
		t.Errorf("UDP disconnect: %v", err)
	}
	if _, err := so.PeerName(ctx); err != unix.ENOTCONN {
		t.Errorf("UDP socket after the disconnect: PeerName %v, want ENOTCONN", err)
	}

	ln, err := fam.Socket(ctx, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Release(ctx)
	if err := ln.Bind(ctx, sockaddr4(0)); err != nil {
		t.Fatal(err)
	}
	if err := ln.Listen(ctx, 5); err != nil {
		t.Fatal(err)
	}
	l := ln.(*socket)
	l.epOpts = append(l.epOpts, bad)
	if err := ln.Connect(ctx, unspec, false, net.Deadline{}); err != unix.EINVAL {
		t.Errorf("TCP listener's disconnect with an option the new endpoint refuses: %v, want EINVAL", err)
	}
	if got := tcp.EndpointState(l.ep().State()); got != tcp.StateListen {
		t.Errorf("TCP listener after the failed disconnect: state %v, want listening", got)
	}
	l.epOpts = l.epOpts[:len(l.epOpts)-1]
	if err := ln.Connect(ctx, unspec, false, net.Deadline{}); err != nil {
		t.Errorf("TCP listener's disconnect: %v", err)
	}
	if got := tcp.EndpointState(l.ep().State()); got == tcp.StateListen {
		t.Errorf("TCP listener after the disconnect: still listening")
	}
}
