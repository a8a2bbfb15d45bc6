package inet

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// TestPktInfoSource checks IP_PKTINFO's source address on kite's stack,
// which cannot send a datagram from another address than its route's
// (tcpip has no per-datagram IPv4 source): that address is taken, a
// local one that differs is EOPNOTSUPP rather than silently not used
// (Linux would send from 127.0.0.2, so no differential test shows it).
func TestPktInfoSource(t *testing.T) {
	st, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetLinkUp(int32(loNIC), true); err != nil {
		t.Fatal(err)
	}
	ctx := vfs.KernelContext{Creds: auth.New(1000, 1000, nil)}
	fam := &family{st: st, domain: unix.AF_INET}
	peer, err := fam.Socket(ctx, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Release(ctx)
	if err := peer.Bind(ctx, sockaddr4(0)); err != nil {
		t.Fatal(err)
	}
	name, _ := peer.Name(ctx)
	so, err := fam.Socket(ctx, unix.SOCK_DGRAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer so.Release(ctx)
	send := func(src [4]byte) error {
		info := make([]byte, 12)
		copy(info[4:8], src[:])
		req := &net.SendRequest{
			Len:     1,
			Source:  func(b []byte) (int, error) { return copy(b, "x"), nil },
			To:      name,
			Control: net.Control{Proto: []net.Cmsg{{Level: unix.SOL_IP, Type: unix.IP_PKTINFO, Data: info}}},
		}
		_, err := so.SendMsg(ctx, req)
		return err
	}
	if err := send([4]byte{127, 0, 0, 1}); err != nil {
		t.Errorf("IP_PKTINFO from 127.0.0.1 to 127.0.0.1: %v, want sent", err)
	}
	if err := send([4]byte{127, 0, 0, 2}); err != unix.EOPNOTSUPP {
		t.Errorf("IP_PKTINFO from 127.0.0.2 to 127.0.0.1: %v, want EOPNOTSUPP", err)
	}
	if err := send([4]byte{192, 0, 2, 1}); err != unix.ENETUNREACH {
		t.Errorf("IP_PKTINFO from 192.0.2.1 (not local): %v, want ENETUNREACH", err)
	}
}
