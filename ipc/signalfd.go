package ipc

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/vfs"
)

// signalfd flags.
const (
	SFD_CLOEXEC  = unix.O_CLOEXEC
	SFD_NONBLOCK = unix.O_NONBLOCK
)

// SignalfdSiginfoSize is sizeof(struct signalfd_siginfo).
const SignalfdSiginfoSize = 128

// errRestartSys is the kernel's ERESTARTSYS: a blocking signalfd read
// that a signal interrupts is restarted if the handler has SA_RESTART.
const errRestartSys = unix.Errno(512)

// SignalSource is what a signalfd needs of a thread's signals
// (vfs.Context's Signals; kernel.Task implements it).
type SignalSource = vfs.Signals

// SignalFD is the file operations of a signalfd: reads take pending
// signals of its mask from the reading task and return them as struct
// signalfd_siginfo records.
//
// Readiness is that of the task that created the file (Linux's is that
// of the task polling, and epoll's that of the task that added the file;
// both are the creator unless the file crosses a fork). Waiters register
// on the file's own queue (mask changes) and on the source's signal queue.
type SignalFD struct {
	eventFileOps
	source SignalSource
	queue  vfs.WaitQueue

	// mu guards mask.
	mu   sync.Mutex
	mask linux.SignalSet
}

// NewSignalFD returns a signalfd for the signals of mask (SIGKILL and
// SIGSTOP are dropped from it) whose readiness is that of source. flags
// may hold SFD_NONBLOCK and SFD_CLOEXEC (which the caller applies).
func NewSignalFD(ctx vfs.Context, v *vfs.VirtualFilesystem, source SignalSource, mask linux.SignalSet, flags int) (*vfs.File, error) {
	if flags&^(SFD_CLOEXEC|SFD_NONBLOCK) != 0 {
		return nil, unix.EINVAL
	}
	s := &SignalFD{source: source, mask: mask &^ linux.UnblockableSignals}
	return newAnonFile(ctx, v, "signalfd", s, flags)
}

// SignalFDOf returns the signalfd behind f, or nil.
func SignalFDOf(f *vfs.File) *SignalFD {
	s, _ := f.Ops().(*SignalFD)
	return s
}

// Mask returns the signals the file reads.
func (s *SignalFD) Mask() linux.SignalSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mask
}

// SetMask changes the signals the file reads (signalfd on an existing
// signalfd) and wakes its waiters.
func (s *SignalFD) SetMask(mask linux.SignalSet) {
	s.mu.Lock()
	s.mask = mask &^ linux.UnblockableSignals
	s.mu.Unlock()
	s.queue.Notify(unix.POLLIN)
}

// Read implements vfs.FileOperations: it takes pending signals of the mask
// from the reading task, as many as dst has room for records, waiting for
// the first unless the file is non-blocking (EAGAIN). A buffer smaller
// than one record is EINVAL. A wait that a signal interrupts returns
// ERESTARTSYS.
func (s *SignalFD) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	n := len(dst) / SignalfdSiginfoSize
	if n == 0 {
		return 0, unix.EINVAL
	}
	// Reads take the reading thread's signals, as Linux's current; a
	// context without a thread (the kernel's) reads the creator's.
	src := ctx.Signals()
	if src == nil {
		src = s.source
	}
	mask := s.Mask()
	got := 0
	for got < n {
		var info *arch.SignalInfo
		if got > 0 || nonblocking(f) {
			info = src.DequeueSignal(mask)
		} else {
			var err error
			info, err = src.SigTimedWait(mask, nil)
			if err == unix.EINTR {
				return 0, errRestartSys
			}
			if err != nil {
				return 0, err
			}
		}
		if info == nil {
			break
		}
		EncodeSignalfdSiginfo(dst[got*SignalfdSiginfoSize:], info)
		got++
	}
	if got == 0 {
		return 0, unix.EAGAIN
	}
	return got * SignalfdSiginfoSize, nil
}

// Readiness implements vfs.Waitable: readable while a signal of the mask
// is pending for the creating task.
func (s *SignalFD) Readiness(mask uint32) uint32 {
	if s.source.PendingSignals()&s.Mask() != 0 {
		return mask & unix.POLLIN
	}
	return 0
}

// EventRegister implements vfs.Waitable.
func (s *SignalFD) EventRegister(e *vfs.WaitEntry) {
	s.queue.EventRegister(e)
	s.source.SignalWaitQueue().EventRegister(e)
}

// EventUnregister implements vfs.Waitable.
func (s *SignalFD) EventUnregister(e *vfs.WaitEntry) {
	s.queue.EventUnregister(e)
	s.source.SignalWaitQueue().EventUnregister(e)
}

// EncodeSignalfdSiginfo writes info as a struct signalfd_siginfo into
// b[:SignalfdSiginfoSize], filling the fields its layout has, as Linux's
// signalfd_copyinfo.
func EncodeSignalfdSiginfo(b []byte, info *arch.SignalInfo) {
	b = b[:SignalfdSiginfoSize]
	clear(b)
	le := binary.LittleEndian
	le.PutUint32(b[0:], uint32(info.Signo))
	le.PutUint32(b[4:], uint32(info.Errno))
	le.PutUint32(b[8:], uint32(info.Code))
	const (
		pid, uid, fd, tid, band, overrun, status, sint = 12, 16, 20, 24, 28, 32, 40, 44
		ptr, utime, stime, addr, addrLSB, syscall      = 48, 56, 64, 72, 80, 84
		callAddr, archOff                              = 88, 96
	)
	switch info.Layout() {
	case arch.LayoutKill:
		le.PutUint32(b[pid:], uint32(info.PID()))
		le.PutUint32(b[uid:], info.UID())
	case arch.LayoutTimer:
		le.PutUint32(b[tid:], uint32(info.TimerID()))
		le.PutUint32(b[overrun:], uint32(info.Overrun()))
		le.PutUint64(b[ptr:], info.Value())
		le.PutUint32(b[sint:], uint32(info.Value()))
	case arch.LayoutPoll:
		le.PutUint32(b[band:], uint32(info.Band()))
		le.PutUint32(b[fd:], uint32(info.FD()))
	case arch.LayoutFault, arch.LayoutFaultTrapno, arch.LayoutFaultBndErr, arch.LayoutFaultPkuErr, arch.LayoutFaultPerf:
		le.PutUint64(b[addr:], info.Addr())
	case arch.LayoutFaultMCEErr:
		le.PutUint64(b[addr:], info.Addr())
		le.PutUint16(b[addrLSB:], uint16(info.AddrLSB()))
	case arch.LayoutChild:
		le.PutUint32(b[pid:], uint32(info.PID()))
		le.PutUint32(b[uid:], info.UID())
		le.PutUint32(b[status:], uint32(info.Status()))
		le.PutUint64(b[utime:], uint64(info.UTime()))
		le.PutUint64(b[stime:], uint64(info.STime()))
	case arch.LayoutRT:
		le.PutUint32(b[pid:], uint32(info.PID()))
		le.PutUint32(b[uid:], info.UID())
		le.PutUint64(b[ptr:], info.Value())
		le.PutUint32(b[sint:], uint32(info.Value()))
	case arch.LayoutSys:
		le.PutUint64(b[callAddr:], info.CallAddr())
		le.PutUint32(b[syscall:], uint32(info.Syscall()))
		le.PutUint32(b[archOff:], info.Arch())
	}
}

// NowaitIO implements vfs.NowaitIO: reads can be tried without waiting
// (RWF_NOWAIT); a write is EINVAL, as without it.
func (s *SignalFD) NowaitIO(bool) bool { return true }
