package unix

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
)

// Linux's TCP_* states that unix_diag reports.
const (
	tcpEstablished = 1
	tcpClose       = 7
	tcpListen      = 10
)

// DiagSockets is NETLINK_SOCK_DIAG's view of the family's sockets
// (netlink.Diag.Unix), in inode order, as unix_diag shows them: not the
// connections nobody accepted yet (they have no inode), a datagram socket
// that another connected to as established, the listener's pending
// connections and backlog as a listener's queue lengths, the first
// datagram's length as a datagram socket's readable bytes.
func (n *Namespace) DiagSockets(ctx net.Context) []netlink.UnixSock {
	eps := n.sockets()
	out := make([]netlink.UnixSock, 0, len(eps))
	for _, e := range eps {
		e.mu.Lock()
		if e.ino == 0 {
			e.mu.Unlock()
			continue
		}
		so := netlink.UnixSock{
			Type: uint8(e.typ), State: tcpClose, Inode: uint32(e.ino), UID: e.uid,
			Shutdown: uint8(e.shutdown),
			RcvBuf:   uint32(e.opts.RcvBuf()), SndBuf: uint32(e.opts.SndBuf()),
			WMem: uint32(e.wmem.Load()),
		}
		var conns []*endpoint
		switch {
		case e.state == stateListening:
			so.State = tcpListen
			so.RQueue, so.WQueue = uint32(len(e.recvq)), uint32(e.backlog)
			for _, m := range e.recvq {
				if m.conn != nil {
					conns = append(conns, m.conn)
				}
			}
		case e.state == stateConnected || e.peer != nil || e.dgramEst:
			so.State = tcpEstablished
		}
		if e.state != stateListening {
			so.RQueue, so.WQueue = uint32(e.recvBytes), so.WMem
			if e.typ == unix.SOCK_DGRAM {
				so.RQueue = 0
				if len(e.recvq) > 0 {
					so.RQueue = uint32(e.recvq[0].len())
				}
			}
		}
		path := e.path
		if e.addr != nil {
			// A path name with its NUL, as the address's length
			// counts it.
			so.Name = e.addr.name + "\x00"
			if e.addr.abstract {
				so.Name = e.addr.name
				path.Dentry = nil
			}
		}
		peer := e.peer
		e.mu.Unlock()
		if peer != nil {
			so.HasPeer = true
			peer.mu.Lock()
			so.Peer = uint32(peer.ino)
			peer.mu.Unlock()
		}
		for _, c := range conns {
			// The connecting socket's inode.
			c.mu.Lock()
			p := c.peer
			c.mu.Unlock()
			ino := uint32(0)
			if p != nil {
				p.mu.Lock()
				ino = uint32(p.ino)
				p.mu.Unlock()
			}
			so.Icons = append(so.Icons, ino)
		}
		if path.Ok() {
			if st, err := n.f.v.StatPath(ctx, path); err == nil {
				so.HasVFS = true
				so.VFSIno = uint32(st.Ino)
				so.VFSDev = uint32(unix.Major(st.Dev)<<20 | unix.Minor(st.Dev))
			}
		}
		out = append(out, so)
	}
	return out
}
