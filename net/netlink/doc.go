// Package netlink is kite's AF_NETLINK family: NETLINK_ROUTE sockets
// that answer RTM_GETLINK, RTM_GETADDR and RTM_GETROUTE (dumps and
// single requests) from a view of the network stack's interfaces and
// carry out RTM_NEWLINK's up and down; NETLINK_SOCK_DIAG sockets that
// dump TCP, UDP (inet_diag) and AF_UNIX (unix_diag) sockets from the
// families' views (Diag), as ss asks; NETLINK_KOBJECT_UEVENT sockets
// that open and stay quiet (kite has no hot-plug events); other
// protocols are EPROTONOSUPPORT. unix_diag answers dumps and the
// single-socket request by inode with every UDIAG_SHOW_* attribute;
// netlink_diag dumps the family's own bound sockets (port ids are per
// protocol, as Linux's); sock_diag requests for families (or INET protocols) kite has no
// handler for are ENOENT, as Linux's. Requests are
// answered when sent: the answers wait in the socket's receive queue,
// one datagram per request as Linux packs a dump that fits.
//
// The package defines the views it shows (Interfaces: links, addresses,
// routes; Diag: sockets); net/inet and net/unix give them.
//
// Locking: a socket's mu guards its queue and address; the family's mu
// guards the port ids in use and the Diag. The family's mu is taken alone.
//
// netlink imports net, vfs and x/sys/unix.
package netlink
