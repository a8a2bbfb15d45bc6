package strace

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Decoders of sigaltstack, terminal ioctls, socket addresses and poll.

var ssFlags = []flag{
	{1, "SS_ONSTACK"},
	{2, "SS_DISABLE"},
	{1 << 31, "SS_AUTODISARM"},
}

// stackT prints a stack_t: {ss_sp=0x..., ss_flags=0, ss_size=8192}.
func (c *call) stackT(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 24)
	if !ok {
		return ptr(v)
	}
	return "{ss_sp=" + ptr(uintptr(le.Uint64(b))) + ", ss_flags=" + flags(uint64(le.Uint32(b[8:])), ssFlags, "0") +
		", ss_size=" + udec(le.Uint64(b[16:])) + "}"
}

func fStackT(c *call, v uintptr) string { return c.stackT(v) }

func fOutStackT(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.stackT(v)
}

// Terminal ioctl requests that x/sys/unix does not name portably.
const (
	ioctlFIONREAD  = 0x541b
	ioctlFIONBIO   = 0x5421
	ioctlFIONCLEX  = 0x5450
	ioctlFIOCLEX   = 0x5451
	ioctlFIOASYNC  = 0x5452
	ioctlTIOCSCTTY = 0x540e
	ioctlTIOCNOTTY = 0x5422
)

var baudRates = []flag{
	{0, "B0"}, {1, "B50"}, {2, "B75"}, {3, "B110"}, {4, "B134"}, {5, "B150"}, {6, "B200"},
	{7, "B300"}, {8, "B600"}, {9, "B1200"}, {10, "B1800"}, {11, "B2400"}, {12, "B4800"},
	{13, "B9600"}, {14, "B19200"}, {15, "B38400"}, {0x1000, "BOTHER"}, {0x1001, "B57600"},
	{0x1002, "B115200"}, {0x1003, "B230400"}, {0x1004, "B460800"}, {0x1005, "B500000"},
	{0x1006, "B576000"}, {0x1007, "B921600"}, {0x1008, "B1000000"}, {0x1009, "B1152000"},
	{0x100a, "B1500000"}, {0x100b, "B2000000"}, {0x100c, "B2500000"}, {0x100d, "B3000000"},
	{0x100e, "B3500000"}, {0x100f, "B4000000"},
}

// termios prints a struct termios abbreviated as strace does:
// {B38400 opost isig icanon echo ...}, with "-" before cleared flags.
func (c *call) termios(v uintptr) string {
	b, ok := c.readBytes(v, 36)
	if !ok {
		return ptr(v)
	}
	oflag, cflag, lflag := le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])
	on := func(set bool, name string) string {
		if set {
			return " " + name
		}
		return " -" + name
	}
	return "{" + value(uint64(cflag&unix.CBAUD), baudRates, hex) +
		on(oflag&unix.OPOST != 0, "opost") + on(lflag&unix.ISIG != 0, "isig") +
		on(lflag&unix.ICANON != 0, "icanon") + on(lflag&unix.ECHO != 0, "echo") + " ...}"
}

// winsize prints a struct winsize.
func (c *call) winsize(v uintptr) string {
	b, ok := c.readBytes(v, 8)
	if !ok {
		return ptr(v)
	}
	return "{ws_row=" + udec(uint64(le.Uint16(b))) + ", ws_col=" + udec(uint64(le.Uint16(b[2:]))) +
		", ws_xpixel=" + udec(uint64(le.Uint16(b[4:]))) + ", ws_ypixel=" + udec(uint64(le.Uint16(b[6:]))) + "}"
}

// ioctlHasArg says whether ioctl's third argument is printed at exit:
// for every request but those without one.
func ioctlHasArg(c *call) bool {
	switch uint32(c.arg(1)) {
	case unix.TIOCNOTTY, ioctlFIOCLEX, ioctlFIONCLEX, ioctlTIOCSCTTY:
		return false
	}
	return true
}

// fIoctlArg prints ioctl's third argument according to the request. It
// is printed at exit, when results are known.
func fIoctlArg(c *call, v uintptr) string {
	req := uint32(c.arg(1))
	switch req {
	case unix.TIOCNOTTY, ioctlFIOCLEX, ioctlFIONCLEX:
		return skip
	case ioctlTIOCSCTTY:
		return dec(int64(int32(v)))
	}
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	switch req {
	case unix.TCGETS, unix.TCSETS, unix.TCSETSW, unix.TCSETSF:
		return c.termios(v)
	case unix.TIOCGWINSZ, unix.TIOCSWINSZ:
		return c.winsize(v)
	case unix.TIOCGPGRP, unix.TIOCSPGRP, ioctlFIONREAD, unix.TIOCGPTN, unix.TIOCSPTLCK,
		unix.TIOCGSID, ioctlFIONBIO, ioctlFIOASYNC:
		return fOutInt(c, v)
	}
	return ptr(v)
}

// sockaddr prints a socket address of n bytes at v.
func (c *call) sockaddr(v uintptr, n uint64) string {
	if v == 0 {
		return "NULL"
	}
	if n < 2 || n > 128 {
		return ptr(v)
	}
	b, ok := c.readBytes(v, int(n))
	if !ok {
		return ptr(v)
	}
	family := uint64(le.Uint16(b))
	s := "{sa_family=" + value(family, socketFamilies, udec)
	switch family {
	case unix.AF_UNIX:
		path := b[2:]
		if len(path) > 0 {
			if path[0] == 0 { // abstract
				s += ", sun_path=@" + quote(path[1:])
			} else {
				p, _ := cstring(path)
				s += ", sun_path=" + quote(p)
			}
		}
	case unix.AF_INET:
		if len(b) < 8 {
			break
		}
		addr := netip.AddrFrom4([4]byte(b[4:8]))
		s += ", sin_port=htons(" + udec(uint64(b[2])<<8|uint64(b[3])) + "), sin_addr=inet_addr(\"" + addr.String() + "\")"
	case unix.AF_INET6:
		if len(b) < 28 {
			break
		}
		addr := netip.AddrFrom16([16]byte(b[8:24]))
		s += ", sin6_port=htons(" + udec(uint64(b[2])<<8|uint64(b[3])) + ")" +
			", sin6_flowinfo=htonl(" + udec(uint64(b[4])<<24|uint64(b[5])<<16|uint64(b[6])<<8|uint64(b[7])) + ")" +
			", inet_pton(AF_INET6, \"" + addr.String() + "\", &sin6_addr), sin6_scope_id=" + udec(uint64(le.Uint32(b[24:])))
	case unix.AF_NETLINK:
		if len(b) < 12 {
			break
		}
		s += ", nl_pid=" + udec(uint64(le.Uint32(b[4:]))) + fmt.Sprintf(", nl_groups=%08x", le.Uint32(b[8:]))
	default:
		s += ", sa_data=" + quote(b[2:])
	}
	return s + "}"
}

// fSockaddrIn prints an address the call reads; its length is in lenReg.
func fSockaddrIn(lenReg int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string { return c.sockaddr(v, uint64(uint32(c.arg(lenReg)))) }
}

// fSockaddrOut prints an address the call fills; *lenReg holds its length.
func fSockaddrOut(lenReg int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string {
		if v == 0 {
			return "NULL"
		}
		if c.failed {
			return ptr(v)
		}
		n, ok := c.readU32(c.arg(lenReg))
		if !ok {
			return ptr(v)
		}
		return c.sockaddr(v, uint64(n))
	}
}

var pollEvents = []flag{
	{unix.POLLIN, "POLLIN"},
	{unix.POLLPRI, "POLLPRI"},
	{unix.POLLOUT, "POLLOUT"},
	{unix.POLLERR, "POLLERR"},
	{unix.POLLHUP, "POLLHUP"},
	{unix.POLLNVAL, "POLLNVAL"},
	{0x40, "POLLRDNORM"},
	{0x80, "POLLRDBAND"},
	{0x100, "POLLWRNORM"},
	{0x200, "POLLWRBAND"},
	{0x400, "POLLMSG"},
	{unix.POLLRDHUP, "POLLRDHUP"},
}

// pollfds prints n struct pollfd at v: with revents, only those with
// events returned.
func (c *call) pollfds(v uintptr, n uint64, revents bool) string {
	if v == 0 {
		return "NULL"
	}
	if n > 1024 {
		return ptr(v)
	}
	b, ok := c.readBytes(v, int(8*n))
	if !ok {
		return ptr(v)
	}
	var parts []string
	for i := uint64(0); i < n; i++ {
		if len(parts) == c.maxArrayElems() {
			parts = append(parts, "...")
			break
		}
		fd := int32(le.Uint32(b[8*i:]))
		if revents {
			r := le.Uint16(b[8*i+6:])
			if r == 0 {
				continue
			}
			parts = append(parts, "{fd="+dec(int64(fd))+", revents="+flags(uint64(r), pollEvents, "0")+"}")
			continue
		}
		parts = append(parts, "{fd="+dec(int64(fd))+", events="+flags(uint64(le.Uint16(b[8*i+4:])), pollEvents, "0")+"}")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func fPollfds(c *call, v uintptr) string { return c.pollfds(v, uint64(c.arg(1)), false) }

// retPoll prints poll's result: the count, then the returned events, or
// "(Timeout)".
func retPoll(c *call, v uintptr) string {
	if v == 0 {
		return "0 (Timeout)"
	}
	return dec(int64(v)) + " (" + c.pollfds(c.arg(0), uint64(c.arg(1)), true) + ")"
}

// retPPoll is retPoll with the time left, as strace shows it for ppoll.
func retPPoll(c *call, v uintptr) string {
	if v == 0 {
		return "0 (Timeout)"
	}
	s := dec(int64(v)) + " (" + c.pollfds(c.arg(0), uint64(c.arg(1)), true)
	if c.arg(2) != 0 {
		s += ", left " + c.timespec(c.arg(2))
	}
	return s + ")"
}

// siginfo reads a siginfo_t at v.
func (c *call) siginfo(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 48)
	if !ok {
		return ptr(v)
	}
	si := SignalInfo{
		Signo: int32(le.Uint32(b)),
		Errno: int32(le.Uint32(b[4:])),
		Code:  int32(le.Uint32(b[8:])),
	}
	sig := int(si.Signo)
	switch {
	case si.Code <= 0 && si.Code == -2: // SI_TIMER
		si.TimerID, si.Overrun, si.Value = int32(le.Uint32(b[16:])), int32(le.Uint32(b[20:])), le.Uint64(b[24:])
	case si.Code <= 0:
		si.PID, si.UID, si.Value = int32(le.Uint32(b[16:])), le.Uint32(b[20:]), le.Uint64(b[24:])
	case isFaultSignal(sig):
		si.Addr = uintptr(le.Uint64(b[16:]))
	case sig == int(unix.SIGCHLD):
		si.PID, si.UID, si.Status = int32(le.Uint32(b[16:])), le.Uint32(b[20:]), int32(le.Uint32(b[24:]))
		si.Utime, si.Stime = int64(le.Uint64(b[32:])), int64(le.Uint64(b[40:]))
	case sig == int(unix.SIGIO):
		si.Band, si.FD = int64(le.Uint64(b[16:])), int32(le.Uint32(b[24:]))
	default:
		si.PID, si.UID = int32(le.Uint32(b[16:])), le.Uint32(b[20:])
	}
	return formatSigInfo(si)
}

func fSiginfo(c *call, v uintptr) string { return c.siginfo(v) }

// fOutSiginfo prints a siginfo the call fills (waitid's: empty when
// WNOHANG found no child, which strace shows as {}).
func fOutSiginfo(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	if signo, ok := c.readU32(v); ok && signo == 0 {
		return "{}"
	}
	return c.siginfo(v)
}

var epollEvents = []flag{
	{unix.EPOLLIN, "EPOLLIN"},
	{unix.EPOLLPRI, "EPOLLPRI"},
	{unix.EPOLLOUT, "EPOLLOUT"},
	{unix.EPOLLERR, "EPOLLERR"},
	{unix.EPOLLHUP, "EPOLLHUP"},
	{0x20, "EPOLLNVAL"},
	{unix.EPOLLRDNORM, "EPOLLRDNORM"},
	{unix.EPOLLRDBAND, "EPOLLRDBAND"},
	{unix.EPOLLWRNORM, "EPOLLWRNORM"},
	{unix.EPOLLWRBAND, "EPOLLWRBAND"},
	{unix.EPOLLMSG, "EPOLLMSG"},
	{unix.EPOLLRDHUP, "EPOLLRDHUP"},
	{unix.EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"},
	{unix.EPOLLWAKEUP, "EPOLLWAKEUP"},
	{unix.EPOLLONESHOT, "EPOLLONESHOT"},
	{unix.EPOLLET, "EPOLLET"},
}

var epollCtlOps = []flag{
	{unix.EPOLL_CTL_ADD, "EPOLL_CTL_ADD"},
	{unix.EPOLL_CTL_DEL, "EPOLL_CTL_DEL"},
	{unix.EPOLL_CTL_MOD, "EPOLL_CTL_MOD"},
}

// epollEvent formats one packed struct epoll_event (12 bytes).
func epollEvent(b []byte) string {
	data := le.Uint64(b[4:])
	return "{events=" + flags(uint64(le.Uint32(b)), epollEvents, "0") +
		", data={u32=" + udec(uint64(uint32(data))) + ", u64=" + udec(data) + "}}"
}

func fEpollEvent(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 12)
	if !ok {
		return ptr(v)
	}
	return epollEvent(b)
}

// fOutEpollEvents prints the events epoll_wait returned.
func fOutEpollEvents(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	n := int(c.ret)
	if n > c.maxArrayElems() {
		n = c.maxArrayElems()
	}
	b, ok := c.readBytes(v, 12*n)
	if !ok {
		return ptr(v)
	}
	parts := make([]string, 0, n+1)
	for i := 0; i < n; i++ {
		parts = append(parts, epollEvent(b[12*i:]))
	}
	if int(c.ret) > n {
		parts = append(parts, "...")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func fEpollOp(_ *call, v uintptr) string { return value(uint64(uint32(v)), epollCtlOps, udec) }

func fEpollFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.EPOLL_CLOEXEC, "EPOLL_CLOEXEC"}}, "0")
}
