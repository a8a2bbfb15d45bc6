package netlink

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// HostQuery asks the host's network a netlink request of protocol
// (NETLINK_ROUTE or NETLINK_SOCK_DIAG): one message in, the host's
// replies out. With `--net=host` the family shows the host's
// interfaces, addresses, routes and INET sockets through it, as a
// program in the host's network namespace sees them.
type HostQuery func(protocol int, req []byte) ([]byte, error)

// SetHost makes f answer read-only route requests and INET socket dumps
// from the host (nil: from kite's stack). Requests that would change
// the host's network are refused (EPERM), as for a program without
// CAP_NET_ADMIN over it; namespace ids stay kite's.
func (f *Family) SetHost(q HostQuery) {
	f.mu.Lock()
	f.host = q
	f.mu.Unlock()
}

func (f *Family) hostQuery() HostQuery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.host
}

// hostGets are the NETLINK_ROUTE requests passed to the host: those
// that only read.
var hostGets = map[uint16]bool{
	unix.RTM_GETLINK: true, unix.RTM_GETADDR: true, unix.RTM_GETROUTE: true,
	unix.RTM_GETNEIGH: true, unix.RTM_GETRULE: true, unix.RTM_GETNETCONF: true,
	unix.RTM_GETADDRLABEL: true, unix.RTM_GETQDISC: true, unix.RTM_GETSTATS: true,
}

// askHost passes the request h (with payload) to the host and gives
// its replies the program's port; ok is false when the host has no say
// in it.
func (s *socket) askHost(h hdr, payload []byte, port uint32) (out []byte, ok bool) {
	q := s.fam.hostQuery()
	if q == nil {
		return nil, false
	}
	switch s.protocol {
	case unix.NETLINK_ROUTE:
		switch {
		case hostGets[h.Type]:
		case h.Type >= unix.RTM_BASE && h.Type != unix.RTM_GETNSID && h.Type != unix.RTM_NEWNSID && h.Flags&unix.NLM_F_REQUEST != 0:
			return errMsg(h, payload, unix.EPERM, port), true
		default:
			return nil, false
		}
	case unix.NETLINK_SOCK_DIAG:
		if len(payload) < 1 || (payload[0] != unix.AF_INET && payload[0] != unix.AF_INET6) {
			// AF_UNIX sockets are kite's.
			return nil, false
		}
	default:
		return nil, false
	}
	req := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(payload))
	le := binary.LittleEndian
	le.PutUint32(req, uint32(unix.NLMSG_HDRLEN+len(payload)))
	le.PutUint16(req[4:], h.Type)
	le.PutUint16(req[6:], h.Flags)
	le.PutUint32(req[8:], h.Seq)
	req = append(req, payload...)
	reply, err := q(s.protocol, req)
	if err != nil {
		return errMsg(h, payload, errnoOr(err, unix.EIO), port), true
	}
	// The host addressed them to kite's socket.
	Messages(reply, func(_ int, m []byte) bool {
		le.PutUint32(m[12:], port)
		return true
	})
	return reply, true
}
