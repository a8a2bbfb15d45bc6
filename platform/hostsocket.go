package platform

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// DisconnectSocket is connect(2) on the host socket fd with an AF_UNSPEC
// address: Linux's disconnect of a socket (udp_disconnect forgets a
// datagram socket's peer, tcp_disconnect aborts a stream). x/sys/unix's
// Connect takes only addresses of real families, so host-network code
// (net/inet/hostnet) makes this one call here, with the raw system calls.
func DisconnectSocket(fd int) error {
	var sa unix.RawSockaddr // Family 0: AF_UNSPEC
	_, _, e := unix.Syscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa)), unsafe.Sizeof(sa))
	if e != 0 {
		return e
	}
	return nil
}

// MaxSocketBuffers is the most buffers SendSocketBuffers and
// RecvSocketBuffers pass to the host in one call (one iovec each).
const MaxSocketBuffers = 64

// SendSocketBuffers is sendmsg(2) on the host socket fd of the bytes of
// bufs (at most MaxSocketBuffers of them: the rest are not sent), with
// no address and no control data. Unlike x/sys/unix's SendmsgBuffers
// it allocates nothing: the iovecs and the message header are on the
// stack (host mode sends every write of a stream through it).
func SendSocketBuffers(fd int, bufs [][]byte, flags int) (int, error) {
	var iov [MaxSocketBuffers]unix.Iovec
	var msg unix.Msghdr
	msg.Iov, msg.Iovlen = &iov[0], uint64(fillIovecs(&iov, bufs))
	n, _, e := unix.Syscall(unix.SYS_SENDMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

// RecvSocketBuffers is recvmsg(2) on the host socket fd into bufs (at
// most MaxSocketBuffers of them), with no address and no control data
// asked for; it returns the count and the message flags and allocates
// nothing.
func RecvSocketBuffers(fd int, bufs [][]byte, flags int) (n, recvflags int, err error) {
	var iov [MaxSocketBuffers]unix.Iovec
	var msg unix.Msghdr
	msg.Iov, msg.Iovlen = &iov[0], uint64(fillIovecs(&iov, bufs))
	r, _, e := unix.Syscall(unix.SYS_RECVMSG, uintptr(fd), uintptr(unsafe.Pointer(&msg)), uintptr(flags))
	if e != 0 {
		return 0, 0, e
	}
	return int(r), int(msg.Flags), nil
}

// fillIovecs points iov at bufs (as many as fit) and returns how many.
func fillIovecs(iov *[MaxSocketBuffers]unix.Iovec, bufs [][]byte) int {
	n := 0
	for _, b := range bufs {
		if n == len(iov) {
			break
		}
		if len(b) == 0 {
			continue
		}
		iov[n].Base = &b[0]
		iov[n].SetLen(len(b))
		n++
	}
	return n
}
