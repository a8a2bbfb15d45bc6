package syscalls

import (
	"encoding/binary"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/ipc/aio"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Linux AIO (io_setup and the rest); the contexts and their rings are in
// ipc/aio, the per-address-space tables in kernel.

// iocb opcodes and flags (include/uapi/linux/aio_abi.h).
const (
	iocbCmdPread   = 0
	iocbCmdPwrite  = 1
	iocbCmdFsync   = 2
	iocbCmdFdsync  = 3
	iocbCmdPoll    = 5
	iocbCmdNoop    = 6
	iocbCmdPreadv  = 7
	iocbCmdPwritev = 8

	iocbFlagResfd  = 1
	iocbFlagIOPrio = 2

	iocbSize = 64
)

// iocb is struct iocb.
type iocb struct {
	data     uint64
	key      uint32
	rwFlags  uint32
	opcode   uint16
	reqprio  int16
	fd       uint32
	buf      uint64
	nbytes   uint64
	offset   int64
	reserved uint64
	flags    uint32
	resfd    uint32
}

func decodeIocb(b []byte) iocb {
	le := binary.LittleEndian
	return iocb{
		data: le.Uint64(b[0:]), key: le.Uint32(b[8:]), rwFlags: le.Uint32(b[12:]),
		opcode: le.Uint16(b[16:]), reqprio: int16(le.Uint16(b[18:])), fd: le.Uint32(b[20:]),
		buf: le.Uint64(b[24:]), nbytes: le.Uint64(b[32:]), offset: int64(le.Uint64(b[40:])),
		reserved: le.Uint64(b[48:]), flags: le.Uint32(b[56:]), resfd: le.Uint32(b[60:]),
	}
}

func ioSetup(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	nr, ctxp := uint32(a[0]), a[1]
	cur, err := copyInU64(t, ctxp)
	if err != nil {
		return 0, err
	}
	if cur != 0 || nr == 0 {
		return 0, unix.EINVAL
	}
	id, err := t.AIOSetup(nr)
	if err != nil {
		return 0, err
	}
	if err := copyOutU64(t, ctxp, uint64(id)); err != nil {
		t.AIODestroy(id)
		return 0, err
	}
	return 0, nil
}

func ioDestroy(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.AIODestroy(a[0])
}

func ioSubmit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	nr := int64(a[1])
	if nr < 0 {
		return 0, unix.EINVAL
	}
	c, err := t.AIOContext(a[0])
	if err != nil {
		return 0, err
	}
	var i int64
	for ; i < nr; i++ {
		if i > 0 && t.Interrupted() {
			break
		}
		p, e := copyInU64(t, a[2]+uintptr(i)*8)
		if e != nil {
			err = e
			break
		}
		if err = submitOne(t, c, uintptr(p)); err != nil {
			break
		}
	}
	if i > 0 {
		return uintptr(i), nil
	}
	return 0, err
}

// submitOne submits the iocb at addr (Linux's io_submit_one): errors in
// the iocb fail the submission; errors of the I/O itself are the event's
// result.
func submitOne(t *kernel.Task, c *aio.Context, addr uintptr) error {
	b := make([]byte, iocbSize)
	if err := copyInFull(t, addr, b); err != nil {
		return err
	}
	cb := decodeIocb(b)
	if cb.reserved != 0 || int64(cb.nbytes) < 0 {
		return unix.EINVAL
	}
	if err := c.Reserve(); err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			c.Unreserve()
		}
	}()
	f, _, err := t.FDTable().Get(int32(cb.fd))
	if err != nil || int32(cb.fd) < 0 {
		return unix.EBADF
	}
	keep := false
	defer func() {
		if !keep {
			f.DecRef(t)
		}
	}()
	var efd aio.Signaller
	if cb.flags&iocbFlagResfd != 0 {
		ef, _, err := t.FDTable().Get(int32(cb.resfd))
		if err != nil {
			return unix.EBADF
		}
		e := ipc.EventFDOf(ef)
		ef.DecRef(t)
		if e == nil {
			return unix.EINVAL
		}
		efd = e
	}
	// The kernel marks the iocb as its own (aio_key = KIOCB_KEY, 0).
	if err := copyOutU32(t, addr+8, 0); err != nil {
		return err
	}
	ev := aio.Event{Data: cb.data, Obj: uint64(addr)}
	switch cb.opcode {
	case iocbCmdPread, iocbCmdPreadv, iocbCmdPwrite, iocbCmdPwritev:
		res, err := aioReadWrite(t, f, cb)
		if err != nil {
			return err
		}
		ev.Res = res
	case iocbCmdFsync, iocbCmdFdsync:
		if cb.buf != 0 || cb.offset != 0 || cb.nbytes != 0 || cb.rwFlags != 0 {
			return unix.EINVAL
		}
		if err := f.Sync(t, cb.opcode == iocbCmdFdsync); err != nil {
			if err == unix.EINVAL {
				// A file without fsync: Linux refuses the request.
				return err
			}
			ev.Res = -int64(errnoOf(err))
		}
	case iocbCmdPoll:
		if cb.buf > 0xffff || cb.offset != 0 || cb.nbytes != 0 || cb.rwFlags != 0 {
			return unix.EINVAL
		}
		done, keep = true, true
		c.Poll(t, f, uint32(cb.buf)|unix.POLLERR|unix.POLLHUP, ev, efd)
		return nil
	default:
		return unix.EINVAL
	}
	done = true
	c.Complete(ev, efd)
	return nil
}

// aioReadWrite performs a read or write iocb at once (Linux's aio_read
// and aio_write with buffered I/O): an error before the I/O starts fails
// the submission; the I/O's own result (bytes or -errno) is returned for
// the event.
func aioReadWrite(t *kernel.Task, f *vfs.File, cb iocb) (int64, error) {
	write := cb.opcode == iocbCmdPwrite || cb.opcode == iocbCmdPwritev
	vectored := cb.opcode == iocbCmdPreadv || cb.opcode == iocbCmdPwritev
	if cb.flags&iocbFlagIOPrio != 0 {
		if err := ioprioCheck(t, int(cb.reqprio)); err != nil {
			return 0, err
		}
	}
	mode, err := rwfAppendMode(f, uintptr(cb.rwFlags))
	if err != nil {
		return 0, err
	}
	if write && !f.Writable() || !write && !f.Readable() {
		return 0, unix.EBADF
	}
	if st, err := f.Stat(t); err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return 0, unix.EINVAL // no read_iter
	}
	var iovs []iovec
	var total int64
	if vectored {
		var err error
		if iovs, total, err = copyInIovecs(t, uintptr(cb.buf), uintptr(cb.nbytes)); err != nil {
			return 0, err
		}
	} else {
		if !rangeOK(uintptr(cb.buf), uintptr(cb.nbytes)) {
			return 0, unix.EFAULT
		}
		total = int64(min(cb.nbytes, 0x7ffff000))
		iovs = []iovec{{base: uintptr(cb.buf), len: uintptr(total)}}
	}
	off := cb.offset
	if f.IsStream() {
		off = -1 // pipes and sockets ignore the offset
	} else if off < 0 {
		return 0, unix.EINVAL
	}
	var n int64
	if write {
		n, err = f.WriteFromAppend(t, total, off, iovSource(t, iovs), mode)
	} else {
		n, err = f.ReadTo(t, total, off, iovSink(t, iovs))
	}
	if err != nil && n == 0 {
		e := errnoOf(err)
		if e == kernel.ERESTARTSYS || e == kernel.ERESTARTNOINTR || e == kernel.ERESTARTNOHAND || e == kernel.ERESTART_RESTARTBLOCK {
			e = unix.EINTR
		}
		return -int64(e), nil
	}
	return n, nil
}

// errnoOf returns err as an errno (EIO for anything else).
func errnoOf(err error) unix.Errno {
	if e, ok := err.(unix.Errno); ok {
		return e
	}
	return unix.EIO
}

func ioGetevents(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	n, err := doGetevents(t, a, 0, 0)
	if n == 0 && err == nil && t.Interrupted() {
		return 0, unix.EINTR
	}
	return n, err
}

func ioPgetevents(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var maskAddr, maskSize uintptr
	if a[5] != 0 {
		b := make([]byte, 16)
		if err := copyInFull(t, a[5], b); err != nil {
			return 0, err
		}
		maskAddr, maskSize = uintptr(getU64(b, 0)), uintptr(getU64(b, 8))
	}
	n, err := doGetevents(t, a, maskAddr, maskSize)
	if n == 0 && err == nil && t.Interrupted() {
		return 0, kernel.ERESTARTNOHAND
	}
	return n, err
}

// doGetevents is io_getevents: it waits until min_nr events are in the
// ring (or the timeout passes, or a signal comes) and copies up to nr.
// With maskAddr (io_pgetevents) the signal mask is replaced meanwhile.
func doGetevents(t *kernel.Task, a arch.SyscallArgs, maskAddr, maskSize uintptr) (uintptr, error) {
	minNr, nr, events := int64(a[1]), int64(a[2]), a[3]
	var deadline time.Time
	var timeout, zero bool
	if a[4] != 0 {
		sec, nsec, err := copyInTimespec(t, a[4])
		if err != nil {
			return 0, err
		}
		timeout = true
		zero = sec <= 0 && nsec <= 0
		deadline = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
	}
	if maskAddr != 0 {
		if err := setWaitMask(t, maskAddr, maskSize); err != nil {
			return 0, err
		}
	}
	c, err := t.AIOContext(a[0])
	if err != nil {
		return 0, err
	}
	if minNr < 0 || minNr > nr {
		return 0, unix.EINVAL
	}
	got := int64(0)
	for {
		ch := c.Changed()
		n, err := c.Reap(int(nr-got), func(b []byte) error {
			return copyOutFull(t, events+uintptr(got)*aio.EventSize, b)
		})
		got += int64(n)
		if err != nil {
			if got > 0 {
				return uintptr(got), nil
			}
			return 0, err
		}
		if got >= minNr || zero || got >= nr {
			return uintptr(got), nil
		}
		var werr error
		if timeout {
			werr = t.BlockOnTimeout(ch, deadline)
		} else {
			werr = t.BlockOn(ch)
		}
		if werr != nil {
			return uintptr(got), nil
		}
	}
}

func ioCancel(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	key, err := copyInU32(t, a[1]+8)
	if err != nil {
		return 0, err
	}
	if key != 0 {
		return 0, unix.EINVAL
	}
	c, err := t.AIOContext(a[0])
	if err != nil {
		return 0, err
	}
	if err := c.Cancel(uint64(a[1])); err != nil {
		return 0, err
	}
	return 0, unix.EINPROGRESS
}
