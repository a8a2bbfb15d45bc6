package inet

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// TestUrgentPeerNotKite checks MSG_OOB on a TCP connection whose peer
// is a tcpip endpoint of the stack that is not one of kite's sockets
// (as a --publish connection is): it cannot carry urgent data, so the
// send is EOPNOTSUPP rather than sent without its mark; an ordinary
// send goes. (No differential test can make such a peer.)
func TestUrgentPeerNotKite(t *testing.T) {
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
	l, err := fam.Socket(ctx, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)
	if err := l.Bind(ctx, sockaddr4(0)); err != nil {
		t.Fatal(err)
	}
	if err := l.Listen(ctx, 4); err != nil {
		t.Fatal(err)
	}
	name, _ := l.Name(ctx)
	port := binary.BigEndian.Uint16(name[2:])

	var wq waiter.Queue
	ep, terr := st.s.NewEndpoint(tcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		t.Fatal(terr)
	}
	defer ep.Close()
	switch terr := ep.Connect(tcpip.FullAddress{Addr: tcpip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: port}); terr.(type) {
	case nil, *tcpip.ErrConnectStarted:
	default:
		t.Fatal(terr)
	}
	a, err := l.Accept(ctx, false, net.Deadline{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release(ctx)
	send := func(flags int) error {
		_, err := a.SendMsg(ctx, &net.SendRequest{
			Len:    1,
			Source: func(b []byte) (int, error) { return copy(b, "x"), nil },
			Flags:  flags,
		})
		return err
	}
	if err := send(unix.MSG_OOB); err != unix.EOPNOTSUPP {
		t.Errorf("MSG_OOB to a peer that is not kite's: %v, want EOPNOTSUPP", err)
	}
	if err := send(0); err != nil {
		t.Errorf("send to a peer that is not kite's: %v, want sent", err)
	}
}
