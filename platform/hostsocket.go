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
