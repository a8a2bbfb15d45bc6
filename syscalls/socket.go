package syscalls

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth/landlock"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// Sockets: the socket system calls decode their arguments here and call
// the socket layer (package net), which dispatches to the family.

var _ net.Context = (*kernel.Task)(nil)

// sockaddrStorageLen is sizeof(struct sockaddr_storage): the largest
// address a call takes.
const sockaddrStorageLen = 128

// getSocket returns the socket file at fd (EBADF, ENOTSOCK) with a
// reference the caller drops.
func getSocket(t *kernel.Task, fd uintptr) (*vfs.File, *net.File, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	s := net.Of(f)
	if s == nil {
		f.DecRef(t)
		return nil, nil, unix.ENOTSOCK
	}
	return f, s, nil
}

// copyInSockaddr reads an address argument as move_addr_to_kernel: EINVAL
// for a negative or too large length, nil for length 0.
func copyInSockaddr(t *kernel.Task, addr uintptr, n uintptr) ([]byte, error) {
	l := int32(n)
	if l < 0 || l > sockaddrStorageLen {
		return nil, unix.EINVAL
	}
	if l == 0 {
		return nil, nil
	}
	b := make([]byte, l)
	if err := copyInFull(t, addr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// copyOutSockaddr writes an address as move_addr_to_user: at most the
// caller's *lenAddr bytes, and the full length back to *lenAddr.
func copyOutSockaddr(t *kernel.Task, a []byte, addr, lenAddr uintptr) error {
	ul, err := copyInU32(t, lenAddr)
	if err != nil {
		return err
	}
	l := int32(ul)
	if l < 0 {
		return unix.EINVAL
	}
	n := min(int(l), len(a))
	if n > 0 {
		if err := copyOutFull(t, addr, a[:n]); err != nil {
			return err
		}
	}
	return copyOutU32(t, lenAddr, uint32(len(a)))
}

// installSocket gives f an fd with O_CLOEXEC from flags.
func installSocket(t *kernel.Task, f *vfs.File, flags int) (int32, error) {
	fdFlags := 0
	if flags&unix.SOCK_CLOEXEC != 0 {
		fdFlags = vfs.FDCloexec
	}
	return fdTable(t).NewFD(0, f, fdFlags)
}

func socket(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	typ := int(int32(a[1]))
	f, err := t.NetStack().NewSocket(t, int(int32(a[0])), typ, int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	fd, err := installSocket(t, f, typ)
	return uintptr(fd), err
}

func socketpair(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	typ := int(int32(a[1]))
	fa, fb, err := t.NetStack().NewPair(t, int(int32(a[0])), typ, int(int32(a[2])))
	if err != nil {
		return 0, err
	}
	defer fa.DecRef(t)
	defer fb.DecRef(t)
	tab := fdTable(t)
	fda, err := installSocket(t, fa, typ)
	if err != nil {
		return 0, err
	}
	fdb, err := installSocket(t, fb, typ)
	if err != nil {
		tab.Remove(t, fda)
		return 0, err
	}
	var b [8]byte
	putU32(b[:], 0, uint32(fda))
	putU32(b[:], 4, uint32(fdb))
	if err := copyOutFull(t, a[3], b[:]); err != nil {
		tab.Remove(t, fda)
		tab.Remove(t, fdb)
		return 0, err
	}
	return 0, nil
}

func bind(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	addr, err := copyInSockaddr(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	if err := landlockSocket(t, s.Socket(), addr, landlock.AccessNetBindTCP); err != nil {
		return 0, err
	}
	return 0, s.Socket().Bind(t, addr)
}

func listen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, s.Listen(t, int(int32(a[1])))
}

func accept(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAccept(t, a[0], a[1], a[2], 0)
}

func accept4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAccept(t, a[0], a[1], a[2], int(int32(a[3])))
}

func doAccept(t *kernel.Task, fd, addr, lenAddr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	f, s, err := getSocket(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	so := s.Socket()
	ns, err := so.Accept(t, f.Flags()&unix.O_NONBLOCK != 0, so.Options().RcvTimeo().Deadline())
	if err != nil {
		return 0, err
	}
	nf, err := s.Stack().NewFile(t, ns, flags&unix.SOCK_NONBLOCK != 0)
	if err != nil {
		return 0, err
	}
	defer nf.DecRef(t)
	if addr != 0 {
		name, err := ns.PeerName(t)
		if err != nil {
			return 0, unix.ECONNABORTED
		}
		if err := copyOutSockaddr(t, name, addr, lenAddr); err != nil {
			return 0, err
		}
	}
	nfd, err := installSocket(t, nf, flags)
	return uintptr(nfd), err
}

func connect(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	addr, err := copyInSockaddr(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	s := net.Of(f)
	if s == nil {
		return 0, unix.ENOTSOCK
	}
	so := s.Socket()
	if err := landlockSocket(t, so, addr, landlock.AccessNetConnectTCP); err != nil {
		return 0, err
	}
	return 0, so.Connect(t, addr, f.Flags()&unix.O_NONBLOCK != 0, so.Options().SndTimeo().Deadline())
}

func getsockname(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetName(t, a, false)
}

func getpeername(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetName(t, a, true)
}

func doGetName(t *kernel.Task, a arch.SyscallArgs, peer bool) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	var name []byte
	if peer {
		name, err = s.Socket().PeerName(t)
	} else {
		name, err = s.Socket().Name(t)
	}
	if err != nil {
		return 0, err
	}
	return 0, copyOutSockaddr(t, name, a[1], a[2])
}

func shutdown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	how := int(int32(a[1]))
	if how < unix.SHUT_RD || how > unix.SHUT_RDWR {
		return 0, unix.EINVAL
	}
	return 0, s.Socket().Shutdown(t, how)
}

// maxOptLen bounds the option values kite copies in.
const maxOptLen = 1 << 16

func setsockopt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	level, name, optlen := int(int32(a[1])), int(int32(a[2])), int(int32(a[4]))
	if optlen < 0 {
		return 0, unix.EINVAL
	}
	if level == unix.SOL_SOCKET && optlen < 4 && name != unix.SO_BINDTODEVICE {
		return 0, unix.EINVAL
	}
	val := make([]byte, min(optlen, maxOptLen))
	if err := copyInFull(t, a[3], val); err != nil {
		return 0, err
	}
	return 0, s.SetSockOpt(t, level, name, val)
}

func getsockopt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	level, name := int(int32(a[1])), int(int32(a[2]))
	ul, err := copyInU32(t, a[4])
	if err != nil {
		return 0, err
	}
	optlen := int(int32(ul))
	if optlen < 0 {
		return 0, unix.EINVAL
	}
	v, err := s.GetSockOpt(t, level, name, optlen)
	var re *net.RangeError
	if errors.As(err, &re) {
		if err := copyOutU32(t, a[4], uint32(re.Need)); err != nil {
			return 0, err
		}
		return 0, unix.ERANGE
	}
	if err != nil {
		return 0, err
	}
	if len(v) > optlen {
		v = v[:optlen]
	}
	if err := copyOutFull(t, a[3], v); err != nil {
		return 0, err
	}
	return 0, copyOutU32(t, a[4], uint32(len(v)))
}

func sendto(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	buf, n := a[1], a[2]
	if n > vfs.MaxRWCount {
		n = vfs.MaxRWCount
	}
	if !rangeOK(buf, n) {
		return 0, unix.EFAULT
	}
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	var to []byte
	if a[4] != 0 {
		if to, err = copyInSockaddr(t, a[4], a[5]); err != nil {
			return 0, err
		}
	}
	flags := int(int32(a[3]))
	so := s.Socket()
	sent, err := so.SendMsg(t, &net.SendRequest{
		Len:      int64(n),
		Source:   userSource(t, buf),
		User:     userBuffer{t, buf},
		To:       to,
		Flags:    flags,
		Nonblock: f.Flags()&unix.O_NONBLOCK != 0,
		Deadline: so.Options().SndTimeo().Deadline(),
	})
	return uintptr(sent), err
}

func recvfrom(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	buf, n := a[1], a[2]
	if n > vfs.MaxRWCount {
		n = vfs.MaxRWCount
	}
	if !rangeOK(buf, n) {
		return 0, unix.EFAULT
	}
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	so := s.Socket()
	flags := int(int32(a[3]))
	res, err := s.RecvMsg(t, &net.RecvRequest{
		Len:      int64(n),
		Sink:     userSink(t, buf),
		User:     userBuffer{t, buf},
		Flags:    flags,
		Nonblock: f.Flags()&unix.O_NONBLOCK != 0,
		Deadline: so.Options().RcvTimeo().Deadline(),
	})
	res.Control.Release(t)
	if err != nil {
		return 0, err
	}
	if a[4] != 0 {
		if err := copyOutSockaddr(t, res.From, a[4], a[5]); err != nil {
			return 0, err
		}
	}
	return uintptr(res.N), nil
}

// readMsghdr reads a struct msghdr and its iovecs as copy_msghdr_from_user
// and import_iovec.
func readMsghdr(t *kernel.Task, addr uintptr) (net.Msghdr, []iovec, int64, error) {
	b := make([]byte, net.MsghdrSize)
	if err := copyInFull(t, addr, b); err != nil {
		return net.Msghdr{}, nil, 0, err
	}
	m := net.DecodeMsghdr(b)
	if m.Name == 0 {
		m.NameLen = 0
	}
	if int32(m.NameLen) < 0 {
		return m, nil, 0, unix.EINVAL
	}
	if m.NameLen > sockaddrStorageLen {
		m.NameLen = sockaddrStorageLen
	}
	if m.IovLen > uioMaxIOV {
		return m, nil, 0, unix.EMSGSIZE
	}
	iovs, total, err := copyInIovecs(t, m.Iov, uintptr(m.IovLen))
	return m, iovs, total, err
}

func sendmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	n, err := doSendmsg(t, f, s, a[1], int(int32(a[2])))
	return uintptr(n), err
}

// optmemMax is net.core.optmem_max: the largest control buffer.
const optmemMax = 131072

func doSendmsg(t *kernel.Task, f *vfs.File, s *net.File, addr uintptr, flags int) (int64, error) {
	m, iovs, total, err := readMsghdr(t, addr)
	if err != nil {
		return 0, err
	}
	var to []byte
	if m.NameLen > 0 {
		if to, err = copyInSockaddr(t, m.Name, uintptr(m.NameLen)); err != nil {
			return 0, err
		}
	}
	so := s.Socket()
	req := &net.SendRequest{
		Len:      total,
		Source:   iovSource(t, iovs),
		User:     newIOVBuffer(t, iovs),
		To:       to,
		Flags:    flags,
		Nonblock: f.Flags()&unix.O_NONBLOCK != 0,
		Deadline: so.Options().SndTimeo().Deadline(),
	}
	if m.ControlLen > 1<<31-1 {
		return 0, unix.ENOBUFS
	}
	if m.ControlLen > 0 {
		if m.ControlLen > optmemMax {
			return 0, unix.ENOBUFS
		}
		cb := make([]byte, m.ControlLen)
		if err := copyInFull(t, m.Control, cb); err != nil {
			return 0, err
		}
		fam, _, _ := so.Info()
		req.Control, err = net.ParseControl(t, t.FDTable(), cb, fam == unix.AF_UNIX)
		if err != nil {
			return 0, err
		}
	}
	n, err := so.SendMsg(t, req)
	req.Control.Release(t)
	return n, err
}

func recvmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	n, err := doRecvmsg(t, f, s, a[1], int(int32(a[2])), false)
	return uintptr(n), err
}

// doRecvmsg is one recvmsg; forceNonblock makes it MSG_DONTWAIT
// (recvmmsg after the first message with MSG_WAITFORONE).
func doRecvmsg(t *kernel.Task, f *vfs.File, s *net.File, addr uintptr, flags int, forceNonblock bool) (int64, error) {
	n, _, err := doRecvmsgFlags(t, f, s, addr, flags, forceNonblock)
	return n, err
}

// doRecvmsgFlags is doRecvmsg that also reports MSG_OOB in the message's
// flags.
func doRecvmsgFlags(t *kernel.Task, f *vfs.File, s *net.File, addr uintptr, flags int, forceNonblock bool) (int64, bool, error) {
	m, iovs, total, err := readMsghdr(t, addr)
	if err != nil {
		return 0, false, err
	}
	so := s.Socket()
	if forceNonblock {
		flags |= unix.MSG_DONTWAIT
	}
	res, err := s.RecvMsg(t, &net.RecvRequest{
		Len:       total,
		Sink:      iovSink(t, iovs),
		User:      newIOVBuffer(t, iovs),
		Flags:     flags,
		Nonblock:  f.Flags()&unix.O_NONBLOCK != 0,
		Deadline:  so.Options().RcvTimeo().Deadline(),
		WantCreds: so.Options().PassCred(),
	})
	if err != nil {
		res.Control.Release(t)
		return 0, false, err
	}
	if m.Name != 0 {
		if err := copyOutSockaddr(t, res.From, m.Name, addr+8); err != nil {
			res.Control.Release(t)
			return 0, false, err
		}
	}
	outFlags := res.Flags | flags&unix.MSG_CMSG_CLOEXEC
	var used uint64
	if !res.Control.Empty() {
		space := int(min(m.ControlLen, 1<<31-1))
		if m.Control == 0 {
			space = 0
		}
		out := net.BuildControl(t, fdTable(t), &res.Control, space, flags&unix.MSG_CMSG_CLOEXEC != 0)
		if out.Truncated {
			outFlags |= unix.MSG_CTRUNC
		}
		if len(out.Buf) > 0 {
			if err := copyOutFull(t, m.Control, out.Buf); err != nil {
				return 0, false, err
			}
		}
		used = uint64(len(out.Buf))
	}
	if err := copyOutU32(t, addr+48, uint32(outFlags)); err != nil {
		return 0, false, err
	}
	if err := copyOutU64(t, addr+40, used); err != nil {
		return 0, false, err
	}
	return res.N, outFlags&unix.MSG_OOB != 0, nil
}

// mmsghdr is struct mmsghdr: a msghdr and the length, 64 bytes.
const mmsghdrSize = 64

func sendmmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	vlen := uint32(a[2])
	if vlen > uioMaxIOV {
		vlen = uioMaxIOV
	}
	flags := int(int32(a[3]))
	var done uint32
	for done < vlen {
		entry := a[1] + uintptr(done)*mmsghdrSize
		n, err := doSendmsg(t, f, s, entry, flags)
		if err != nil {
			if done == 0 {
				return 0, err
			}
			break
		}
		if err := copyOutU32(t, entry+56, uint32(n)); err != nil {
			if done == 0 {
				return 0, err
			}
			break
		}
		done++
	}
	return uintptr(done), nil
}

func recvmmsg(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, s, err := getSocket(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	// The timeout is checked only after each message, as Linux does
	// (a call that has some and waits for more may wait past it).
	var end time.Time
	if a[4] != 0 {
		sec, nsec, err := copyInTimespec(t, a[4])
		if err != nil {
			return 0, err
		}
		end = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
	}
	vlen := uint32(a[2])
	if vlen > uioMaxIOV {
		vlen = uioMaxIOV
	}
	flags := int(int32(a[3]))
	var done uint32
	var left time.Duration
	for done < vlen {
		entry := a[1] + uintptr(done)*mmsghdrSize
		n, oob, err := doRecvmsgFlags(t, f, s, entry, flags&^unix.MSG_WAITFORONE, done > 0 && flags&unix.MSG_WAITFORONE != 0)
		if err == nil {
			err = copyOutU32(t, entry+56, uint32(n))
		}
		if err != nil {
			if done == 0 {
				return 0, err
			}
			// The messages received are returned; the error waits
			// for the next receive or SO_ERROR, unless it only says
			// there is no more (Linux's do_recvmmsg sets sk_err).
			if e, ok := err.(unix.Errno); ok && e != unix.EAGAIN {
				s.Socket().Options().SetPendingError(e)
			}
			break
		}
		done++
		if a[4] != 0 {
			if left = time.Until(end); left <= 0 {
				left = 0
				break
			}
		}
		if oob {
			// Out-of-band data returns at once.
			break
		}
	}
	if a[4] != 0 && done > 0 {
		// What is left of the timeout goes back to the caller.
		var b [16]byte
		putU64(b[:], 0, uint64(left/time.Second))
		putU64(b[:], 8, uint64(left%time.Second))
		if err := copyOutFull(t, a[4], b[:]); err != nil {
			return 0, err
		}
	}
	return uintptr(done), nil
}
