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
		s.WriteString(", msg_control=" + c.cmsgs(uintptr(control), controllen))
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

var shutdownHow = []flag{
	{unix.SHUT_RD, "SHUT_RD"},
	{unix.SHUT_WR, "SHUT_WR"},
	{unix.SHUT_RDWR, "SHUT_RDWR"},
}

func fShutdownHow(_ *call, v uintptr) string { return value(uint64(uint32(v)), shutdownHow, udec) }

var scmTypes = []flag{
	{unix.SCM_RIGHTS, "SCM_RIGHTS"},
	{unix.SCM_CREDENTIALS, "SCM_CREDENTIALS"},
}

// cmsgs prints a control buffer as strace does: each cmsghdr with its
// SCM_RIGHTS descriptors or SCM_CREDENTIALS.
func (c *call) cmsgs(v uintptr, n uint64) string {
	if n > 4096 {
		n = 4096
	}
	b, ok := c.readBytes(v, int(n))
	if !ok {
		return ptr(v)
	}
	var s strings.Builder
	s.WriteString("[")
	for off := 0; len(b)-off >= 16; {
		clen := le.Uint64(b[off:])
		level, typ := uint64(le.Uint32(b[off+8:])), uint64(le.Uint32(b[off+12:]))
		if off > 0 {
			s.WriteString(", ")
		}
		s.WriteString("{cmsg_len=" + udec(clen) + ", cmsg_level=" + value(level, sockLevels, udec))
		if level == unix.SOL_SOCKET {
			s.WriteString(", cmsg_type=" + value(typ, scmTypes, hex))
		} else {
			s.WriteString(", cmsg_type=" + hex(typ))
		}
		if clen < 16 || clen > uint64(len(b)-off) {
			s.WriteString("}")
			break
		}
		data := b[off+16 : off+int(clen)]
		switch {
		case level == unix.SOL_SOCKET && typ == unix.SCM_RIGHTS:
			s.WriteString(", cmsg_data=[")
			for i := 0; i+4 <= len(data); i += 4 {
				if i > 0 {
					s.WriteString(", ")
				}
				s.WriteString(dec(int64(int32(le.Uint32(data[i:])))))
			}
			s.WriteString("]")
		case level == unix.SOL_SOCKET && typ == unix.SCM_CREDENTIALS && len(data) >= 12:
			s.WriteString(", cmsg_data={pid=" + dec(int64(int32(le.Uint32(data)))) +
				", uid=" + udec(uint64(le.Uint32(data[4:]))) + ", gid=" + udec(uint64(le.Uint32(data[8:]))) + "}")
		}
		s.WriteString("}")
		off += int((clen + 7) &^ 7)
	}
	s.WriteString("]")
	return s.String()
}

// mmsgs prints an array of struct mmsghdr (64 bytes each); limit < 0
// shows the iovecs in full (sendmmsg), else each msg_len bounds them.
func (c *call) mmsgs(v uintptr, count uint64, out bool) string {
	if v == 0 {
		return "NULL"
	}
	if count > 8 {
		count = 8
	}
	var s strings.Builder
	s.WriteString("[")
	for i := uint64(0); i < count; i++ {
		e := v + uintptr(i)*64
		l, ok := c.readU32(e + 56)
		if !ok {
			return ptr(v)
		}
		if i > 0 {
			s.WriteString(", ")
		}
		limit := int64(-1)
		if out {
			limit = int64(l)
		}
		s.WriteString("{msg_hdr=" + c.msghdr(e, limit) + ", msg_len=" + udec(uint64(l)) + "}")
	}
	s.WriteString("]")
	return s.String()
}

func fMmsgIn(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	return c.mmsgs(v, uint64(c.ret), false)
}

func fMmsgOut(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	return c.mmsgs(v, uint64(c.ret), true)
}
