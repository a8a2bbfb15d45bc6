package strace

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Decoders of socket options and messages.

var msgFlags = []flag{
	{unix.MSG_OOB, "MSG_OOB"},
	{unix.MSG_PEEK, "MSG_PEEK"},
	{unix.MSG_DONTROUTE, "MSG_DONTROUTE"},
	{unix.MSG_CTRUNC, "MSG_CTRUNC"},
	{unix.MSG_PROXY, "MSG_PROXY"},
	{unix.MSG_TRUNC, "MSG_TRUNC"},
	{unix.MSG_DONTWAIT, "MSG_DONTWAIT"},
	{unix.MSG_EOR, "MSG_EOR"},
	{unix.MSG_WAITALL, "MSG_WAITALL"},
	{unix.MSG_FIN, "MSG_FIN"},
	{unix.MSG_SYN, "MSG_SYN"},
	{unix.MSG_CONFIRM, "MSG_CONFIRM"},
	{unix.MSG_RST, "MSG_RST"},
	{unix.MSG_ERRQUEUE, "MSG_ERRQUEUE"},
	{unix.MSG_NOSIGNAL, "MSG_NOSIGNAL"},
	{unix.MSG_MORE, "MSG_MORE"},
	{unix.MSG_WAITFORONE, "MSG_WAITFORONE"},
	{unix.MSG_BATCH, "MSG_BATCH"},
	{unix.MSG_ZEROCOPY, "MSG_ZEROCOPY"},
	{unix.MSG_FASTOPEN, "MSG_FASTOPEN"},
	{unix.MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC"},
}

func fMsgFlags(_ *call, v uintptr) string { return flags(uint64(uint32(v)), msgFlags, "0") }

var sockLevels = []flag{
	{unix.SOL_SOCKET, "SOL_SOCKET"},
	{unix.IPPROTO_IP, "SOL_IP"},
	{unix.IPPROTO_TCP, "SOL_TCP"},
	{unix.IPPROTO_UDP, "SOL_UDP"},
	{unix.IPPROTO_IPV6, "SOL_IPV6"},
	{unix.SOL_NETLINK, "SOL_NETLINK"},
	{unix.SOL_PACKET, "SOL_PACKET"},
}

var solSocketOpts = []flag{
	{unix.SO_DEBUG, "SO_DEBUG"},
	{unix.SO_REUSEADDR, "SO_REUSEADDR"},
	{unix.SO_TYPE, "SO_TYPE"},
	{unix.SO_ERROR, "SO_ERROR"},
	{unix.SO_DONTROUTE, "SO_DONTROUTE"},
	{unix.SO_BROADCAST, "SO_BROADCAST"},
	{unix.SO_SNDBUF, "SO_SNDBUF"},
	{unix.SO_RCVBUF, "SO_RCVBUF"},
	{unix.SO_KEEPALIVE, "SO_KEEPALIVE"},
	{unix.SO_OOBINLINE, "SO_OOBINLINE"},
	{unix.SO_NO_CHECK, "SO_NO_CHECK"},
	{unix.SO_PRIORITY, "SO_PRIORITY"},
	{unix.SO_LINGER, "SO_LINGER"},
	{unix.SO_BSDCOMPAT, "SO_BSDCOMPAT"},
	{unix.SO_REUSEPORT, "SO_REUSEPORT"},
	{unix.SO_PASSCRED, "SO_PASSCRED"},
	{unix.SO_PEERCRED, "SO_PEERCRED"},
	{unix.SO_RCVLOWAT, "SO_RCVLOWAT"},
	{unix.SO_SNDLOWAT, "SO_SNDLOWAT"},
	{unix.SO_RCVTIMEO, "SO_RCVTIMEO_OLD"},
	{unix.SO_SNDTIMEO, "SO_SNDTIMEO_OLD"},
	{unix.SO_BINDTODEVICE, "SO_BINDTODEVICE"},
	{unix.SO_ACCEPTCONN, "SO_ACCEPTCONN"},
	{unix.SO_PEERSEC, "SO_PEERSEC"},
	{unix.SO_SNDBUFFORCE, "SO_SNDBUFFORCE"},
	{unix.SO_RCVBUFFORCE, "SO_RCVBUFFORCE"},
	{unix.SO_PASSSEC, "SO_PASSSEC"},
	{unix.SO_MARK, "SO_MARK"},
	{unix.SO_PROTOCOL, "SO_PROTOCOL"},
	{unix.SO_DOMAIN, "SO_DOMAIN"},
}

var tcpOpts = []flag{
	{unix.TCP_NODELAY, "TCP_NODELAY"},
	{unix.TCP_MAXSEG, "TCP_MAXSEG"},
	{unix.TCP_CORK, "TCP_CORK"},
	{unix.TCP_KEEPIDLE, "TCP_KEEPIDLE"},
	{unix.TCP_KEEPINTVL, "TCP_KEEPINTVL"},
	{unix.TCP_KEEPCNT, "TCP_KEEPCNT"},
	{unix.TCP_SYNCNT, "TCP_SYNCNT"},
	{unix.TCP_LINGER2, "TCP_LINGER2"},
	{unix.TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT"},
	{unix.TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP"},
	{unix.TCP_INFO, "TCP_INFO"},
	{unix.TCP_QUICKACK, "TCP_QUICKACK"},
	{unix.TCP_CONGESTION, "TCP_CONGESTION"},
	{unix.TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT"},
	{unix.TCP_FASTOPEN, "TCP_FASTOPEN"},
}

func fSockLevel(_ *call, v uintptr) string { return value(uint64(uint32(v)), sockLevels, udec) }

// fSockOptName names an option of the level in argument register 1.
func fSockOptName(c *call, v uintptr) string {
	switch c.arg(1) {
	case unix.SOL_SOCKET:
		return value(uint64(uint32(v)), solSocketOpts, udec)
	case unix.IPPROTO_TCP:
		return value(uint64(uint32(v)), tcpOpts, udec)
	}
	return udec(uint64(uint32(v)))
}

// sockOptVal prints an option value of n bytes: [int] for ints.
func (c *call) sockOptVal(v uintptr, n uint64) string {
	if v == 0 {
		return "NULL"
	}
	if n != 4 {
		return c.buf(v, n)
	}
	x, ok := c.readU32(v)
	if !ok {
		return ptr(v)
	}
	return "[" + dec(int64(int32(x))) + "]"
}

func fSetSockOptVal(c *call, v uintptr) string { return c.sockOptVal(v, uint64(uint32(c.arg(4)))) }

func fGetSockOptVal(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	n, ok := c.readU32(c.arg(4))
	if !ok {
		return ptr(v)
	}
	return c.sockOptVal(v, uint64(n))
}

// msghdr prints a struct msghdr; with limit >= 0 (recvmsg) the iovecs
// show at most limit bytes.
func (c *call) msghdr(v uintptr, limit int64) string {
	b, ok := c.readBytes(v, 56)
	if !ok {
		return ptr(v)
	}
	name, namelen := uintptr(le.Uint64(b)), uint64(le.Uint32(b[8:]))
	iov, iovlen := uintptr(le.Uint64(b[16:])), le.Uint64(b[24:])
	control, controllen := le.Uint64(b[32:]), le.Uint64(b[40:])
	var s strings.Builder
	s.WriteString("{msg_name=")
	s.WriteString(c.sockaddr(name, namelen))
	s.WriteString(", msg_namelen=" + udec(namelen))
	s.WriteString(", msg_iov=" + c.iovecs(iov, iovlen, limit))
	s.WriteString(", msg_iovlen=" + udec(iovlen))
	if controllen != 0 {
		s.WriteString(", msg_control=" + hex(control))
	}
	s.WriteString(", msg_controllen=" + udec(controllen))
	s.WriteString(", msg_flags=" + flags(uint64(le.Uint32(b[48:])), msgFlags, "0") + "}")
	return s.String()
}

func fMsghdrIn(c *call, v uintptr) string { return c.msghdr(v, -1) }

func fMsghdrOut(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	return c.msghdr(v, int64(c.ret))
}
