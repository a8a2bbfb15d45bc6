package hostnet

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"
)

// Netlink is a host NETLINK_ROUTE or NETLINK_SOCK_DIAG socket through
// which kite asks the host's network what `--net=host` programs see
// (interfaces, addresses, routes, sockets). The caller passes only
// requests it has checked read nothing but state (GET requests and
// socket dumps); nothing here changes the host's network.
type Netlink struct {
	// mu serialises queries (one request and its replies at a time)
	// and guards fd.
	mu sync.Mutex
	fd int
}

// NewNetlink opens a host netlink socket of protocol in the poller's
// network namespace.
func (p *Poller) NewNetlink(protocol int) (*Netlink, error) {
	if protocol != unix.NETLINK_ROUTE && protocol != unix.NETLINK_SOCK_DIAG {
		return nil, unix.EPROTONOSUPPORT
	}
	socket := unix.Socket
	if p.ns != nil {
		socket = p.ns.socket
	}
	fd, err := socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, protocol)
	if err != nil {
		return nil, err
	}
	return &Netlink{fd: fd}, nil
}

// Close closes the socket.
func (n *Netlink) Close() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd >= 0 {
		unix.Close(n.fd)
		n.fd = -1
	}
}

// Query sends one request message and returns the host's replies to it
// (a dump's parts up to NLMSG_DONE, or an answer and its
// acknowledgement). The host answers such requests at once, and fills
// a dump's next part as each is read, so no read waits.
func (n *Netlink) Query(req []byte) ([]byte, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fd < 0 {
		return nil, unix.EBADF
	}
	if err := unix.Sendto(n.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, err
	}
	var out []byte
	buf := make([]byte, 1<<16)
	for {
		m, _, err := unix.Recvfrom(n.fd, buf, unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if err == unix.EAGAIN {
				return out, nil
			}
			return out, err
		}
		out = append(out, buf[:m]...)
		if ended(buf[:m]) {
			// Whatever follows would be another request's.
			return out, nil
		}
	}
}

// ended reports whether b's last message ends an answer: NLMSG_DONE or
// NLMSG_ERROR (an error or an acknowledgement).
func ended(b []byte) bool {
	last := uint16(0)
	for len(b) >= unix.NLMSG_HDRLEN {
		l := int(binary.LittleEndian.Uint32(b))
		if l < unix.NLMSG_HDRLEN || l > len(b) {
			break
		}
		last = binary.LittleEndian.Uint16(b[4:])
		b = b[min((l+3)&^3, len(b)):]
	}
	return last == unix.NLMSG_DONE || last == unix.NLMSG_ERROR
}
