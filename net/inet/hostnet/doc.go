// Package hostnet is the one place where kite makes host sockets: the
// sockets of `kite run --net=host` (one host socket per program socket)
// and the host ends of `--net=sandbox` (outbound connections and
// --publish listeners), and the host netlink sockets (NETLINK_ROUTE,
// NETLINK_SOCK_DIAG) through which host mode reads the host's
// interfaces, routes and sockets (netlink.go: queries only; the caller
// passes nothing that changes the host's network). DESIGN.md gives net/inet "host sockets in host
// mode"; they live in this subpackage so that what a program can make the
// host's network do is audited in one small package, as host file access
// is in fs/hostfs.
//
// Every host socket is non-blocking and close-on-exec, and is never
// handed to the program: the program holds a kite socket whose calls
// net/inet decodes and checks (addresses, lengths, options from a fixed
// list, capabilities) before it calls a method here. Nothing here blocks
// a kite goroutine on the network: a Poller (one host epoll instance and
// a goroutine) reports each socket's edge-triggered readiness to a
// callback, and callers wait on their own interruptible queues.
//
// Host calls go through golang.org/x/sys/unix's wrappers (and Go's net
// package for the sandbox's plain TCP/UDP connections); there is no
// unsafe and no raw system call here. The one call x/sys cannot make,
// connect(2) with an AF_UNSPEC address (Disconnect), is platform's
// DisconnectSocket, and a stream's sends and receives through iovecs
// (SendBuffers, RecvBuffers) are platform's SendSocketBuffers and
// RecvSocketBuffers, which allocate nothing where x/sys's do.
//
// Locking: Poller.harvestMu makes taking edges from the host and passing
// them to the sockets' callbacks one step (the poller's goroutine and
// Flush); callbacks run with it held, so whatever they lock comes after
// it, and Flush is called with no lock of the caller's held. Poller.mu
// guards its table of sockets and is a leaf; callbacks run without it.
//
// hostnet imports platform (for those calls), x/sys/unix and the
// standard library.
package hostnet
