package unix

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net/netlink"
)

// Linux's TCP_* states that unix_diag reports.
const (
	tcpEstablished = 1
	tcpClose       = 7
	tcpListen      = 10
)

// DiagSockets is NETLINK_SOCK_DIAG's view of the family's sockets
// (netlink.Diag.Unix), in inode order, with unix_diag's queue lengths:
// pending connections and the backlog for a listener, queued and unsent
// bytes otherwise.
func (n *Namespace) DiagSockets() []netlink.UnixSock {
	eps := n.sockets()
	out := make([]netlink.UnixSock, 0, len(eps))
	for _, e := range eps {
		e.mu.Lock()
		so := netlink.UnixSock{Type: uint8(e.typ), State: tcpClose, Inode: uint32(e.ino), UID: e.creds.UID}
		switch {
		case e.state == stateListening:
			so.State = tcpListen
			so.RQueue, so.WQueue = uint32(len(e.recvq)), uint32(e.backlog)
		case e.state == stateConnected || (e.typ == unix.SOCK_DGRAM && e.peer != nil):
			so.State = tcpEstablished
		}
		if e.state != stateListening {
			so.RQueue, so.WQueue = uint32(e.recvBytes), uint32(e.wmem.Load())
		}
		if e.addr != nil {
			so.Name = e.addr.name
		}
		peer := e.peer
		e.mu.Unlock()
		if peer != nil {
			peer.mu.Lock()
			so.Peer = uint32(peer.ino)
			peer.mu.Unlock()
		}
		out = append(out, so)
	}
	return out
}
