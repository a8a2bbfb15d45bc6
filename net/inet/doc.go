// Package inet is kite's AF_INET and AF_INET6 families: TCP and UDP
// sockets over a user-space TCP/IP stack, gVisor's pkg/tcpip, the one
// part of gVisor kite imports (only this package may import it).
//
// A Stack is the network stack of one kernel instance (one network
// namespace later): a tcpip stack with the loopback interface lo
// (127.0.0.1/8 and ::1) and the TCP, UDP and ICMP protocols. Register
// puts its two families in a net.Stack. Each socket wraps one tcpip
// endpoint: the socket layer's calls (bind, connect, sendmsg...) become
// endpoint calls, tcpip's errors become Linux errno values (errno.go),
// and its wait queue feeds the socket's vfs.WaitQueue so poll, epoll and
// blocking calls see its events. Blocking is kite's: the endpoint never
// blocks, the socket waits through net.Waiter (interruptible, with
// SO_RCVTIMEO/SO_SNDTIMEO).
//
// Socket options are Linux's SOL_SOCKET, SOL_TCP, SOL_IP and SOL_IPV6
// options carried out by the endpoint (sockopt.go); SOL_SOCKET options
// that the endpoint also needs (SO_KEEPALIVE, SO_REUSEADDR, SO_LINGER...)
// are applied to it and then left to the socket layer to record.
//
// The families show /proc/net/{tcp,tcp6,udp,udp6,dev,if_inet6,route,
// sockstat,sockstat6} (ProcNet) and the counters of snmp, snmp6 and
// netstat (snmp.go), netlink's view of the interfaces (ifaces.go) and the
// interface ioctls every socket takes (ioctl.go).
//
// Host is the network of `kite run --net=host` (host.go, hostopt.go):
// its families make host sockets through the subpackage hostnet, the only
// code that touches the host's network, and carry each call out on them
// after the same decoding and checks as on kite's stack. Its netlink
// view, /proc/net files and interface ioctls are the host's
// (NetlinkQuery, hostproc.go, hostifaces.go); connect(AF_UNSPEC) is the
// host's (hostnet's Disconnect). Sandbox (sandbox.go) is
// `--net=sandbox`: the stack gets eth0, piped to a second tcpip stack
// (the router) whose TCP and UDP forwarders carry each connection the
// sandbox opens over a hostnet connection, and --publish listeners on
// the host dial into the stack's loopback.
//
// TCP urgent data (MSG_OOB, urgent.go) is kite's: tcpip has none, so
// a MSG_OOB send between two of kite's sockets on a stack marks its
// last byte in the receiving end's urgent state, by stream offset.
//
// connect(AF_UNSPEC) on a TCP or UDP socket (disconnect.go) gives it a
// new endpoint when tcpip cannot take the old one back to an unconnected
// state: the options set on the old one are set again, the port bind
// named is bound again.
//
// Locking: tcpip endpoints are safe for concurrent use; socket.mu
// serialises the replacement of a socket's endpoint with bind, listen
// and setsockopt, and guards what they record. socket.sendMu keeps
// other sends out while a datagram send sets the socket's TOS or
// traffic class for itself and puts it back (held for writing there and
// by setsockopt and an endpoint's replacement, for reading by other
// sends); it comes after socket.mu and before Stack.mu. udpCork.mu (a
// UDP socket's pending corked datagram) is held over a corked send and
// the send of the pending datagram, taken without socket.mu and before
// socket.sendMu. Stack.mu guards
// the set of open sockets (taken under socket.mu when an endpoint is
// replaced),
// urgent.mu a receiving end's urgent mark (taken without Stack.mu;
// tcpip's endpoint locks come after it),
// Sandbox.mu its forwarded connections, hostSocket.mu a host socket's
// unread data (held while that data is copied to the program: mm's
// locks come after it) and hostSocket.urgMu its urgent-data flag (held
// over a host poll or receive and the SIGURG it sends: the kernel's
// signal locks come after it); these are taken without the others, as
// is the socket layer's Options lock. asyncSignals.mu (a host socket's
// O_ASYNC counts) is a leaf: signals are sent after it is let go. A
// host socket's readiness callback (hostSocket.notify) runs under its
// poller's harvestMu, which comes before hostSocket.urgMu, asyncSignals.mu
// and the waiters' locks; RecvMsg flushes the poller holding none.
//
// inet imports net, vfs, auth, net/inet/hostnet, fs/hostfs (the host's
// /proc/net counter files for host mode), x/sys/unix and
// gvisor.dev/gvisor/pkg/tcpip
// (with gvisor.dev/gvisor/pkg/waiter, the wait queue tcpip's API uses).
package inet
