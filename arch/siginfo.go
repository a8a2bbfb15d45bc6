package arch

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
)

// SignalInfoSize is sizeof(siginfo_t) on every Linux architecture.
const SignalInfoSize = 128

// KernelSignalInfoSize is sizeof(struct kernel_siginfo) on amd64: the
// header and the largest union member the kernel knows. The kernel keeps
// only these bytes of a siginfo and delivers zeros after them.
const KernelSignalInfoSize = 48

// signalInfoFieldsOffset is where the _sifields union starts: after
// si_signo, si_errno, si_code and 4 bytes of padding (the union holds
// pointers and is 8-byte aligned).
const signalInfoFieldsOffset = 16

// Offsets inside siginfo_t on amd64, from the start of the structure.
const (
	siPID      = 16 // _kill, _rt, _sigchld: si_pid
	siUID      = 20 // _kill, _rt, _sigchld: si_uid
	siTimerID  = 16 // _timer: si_timerid
	siOverrun  = 20 // _timer: si_overrun
	siValue    = 24 // _timer, _rt: si_value (union sigval, 8 bytes)
	siStatus   = 24 // _sigchld: si_status
	siUTime    = 32 // _sigchld: si_utime (clock_t)
	siSTime    = 40 // _sigchld: si_stime (clock_t)
	siAddr     = 16 // _sigfault: si_addr
	siAddrLSB  = 24 // _sigfault: si_addr_lsb (short)
	siLower    = 32 // _sigfault._addr_bnd: si_lower
	siUpper    = 40 // _sigfault._addr_bnd: si_upper
	siPkey     = 32 // _sigfault._addr_pkey: si_pkey (after 8 bytes of padding)
	siPerfData = 24 // _sigfault._perf: si_perf_data
	siPerfType = 32 // _sigfault._perf: si_perf_type
	siPerfFlag = 36 // _sigfault._perf: si_perf_flags
	siBand     = 16 // _sigpoll: si_band (long)
	siFD       = 24 // _sigpoll: si_fd
	siCallAddr = 16 // _sigsys: si_call_addr
	siSyscall  = 24 // _sigsys: si_syscall
	siArch     = 28 // _sigsys: si_arch
)

// SignalInfo is Linux's siginfo_t on amd64, kept in its 128-byte wire form
// so that a siginfo supplied by an application (rt_sigqueueinfo) passes
// through unchanged. Signo, Errno and Code are the common header; the
// accessors read and write the union member that the signal and code
// select (see Layout). Which accessor applies is the caller's business,
// exactly as in C.
type SignalInfo struct {
	Signo int32
	Errno int32
	Code  int32
	// Fields holds bytes 12..127: 4 bytes of padding, then the union.
	Fields [SignalInfoSize - 12]byte
}

func (s *SignalInfo) u32(off int) uint32 { return binary.LittleEndian.Uint32(s.Fields[off-12:]) }
func (s *SignalInfo) u64(off int) uint64 { return binary.LittleEndian.Uint64(s.Fields[off-12:]) }
func (s *SignalInfo) put32(off int, v uint32) {
	binary.LittleEndian.PutUint32(s.Fields[off-12:], v)
}
func (s *SignalInfo) put64(off int, v uint64) {
	binary.LittleEndian.PutUint64(s.Fields[off-12:], v)
}

// Encode writes s in siginfo_t form into b[:SignalInfoSize].
func (s *SignalInfo) Encode(b []byte) {
	_ = b[SignalInfoSize-1]
	binary.LittleEndian.PutUint32(b[0:], uint32(s.Signo))
	binary.LittleEndian.PutUint32(b[4:], uint32(s.Errno))
	binary.LittleEndian.PutUint32(b[8:], uint32(s.Code))
	copy(b[12:SignalInfoSize], s.Fields[:])
}

// Bytes returns s in siginfo_t form.
func (s *SignalInfo) Bytes() []byte {
	b := make([]byte, SignalInfoSize)
	s.Encode(b)
	return b
}

// DecodeSignalInfo reads a siginfo_t from b, which must hold at least
// SignalInfoSize bytes.
func DecodeSignalInfo(b []byte) (SignalInfo, error) {
	var s SignalInfo
	if len(b) < SignalInfoSize {
		return s, unix.EINVAL
	}
	s.Signo = int32(binary.LittleEndian.Uint32(b[0:]))
	s.Errno = int32(binary.LittleEndian.Uint32(b[4:]))
	s.Code = int32(binary.LittleEndian.Uint32(b[8:]))
	copy(s.Fields[:], b[12:SignalInfoSize])
	return s, nil
}

// SignalInfoFromUser turns the siginfo_t an application passed to
// rt_sigqueueinfo, rt_tgsigqueueinfo or pidfd_send_signal into the one
// the kernel queues, as Linux's copy_siginfo_from_user does: for a
// (signal, code) pair whose layout the kernel knows only the first
// KernelSignalInfoSize bytes are kept (the rest is delivered as zeros);
// for an unknown pair the bytes after them must be zero, or the call
// fails with E2BIG. b must hold SignalInfoSize bytes.
//
// The caller still applies the permission rules of those calls (a
// process may not forge si_code >= 0 or SI_TKILL for another process:
// EPERM) and sets Signo to the signal argument.
func SignalInfoFromUser(b []byte) (SignalInfo, error) {
	s, err := DecodeSignalInfo(b)
	if err != nil {
		return s, err
	}
	tail := s.Fields[KernelSignalInfoSize-12:]
	if !KnownSignalInfoLayout(int(s.Signo), s.Code) {
		for _, c := range tail {
			if c != 0 {
				return SignalInfo{}, unix.E2BIG
			}
		}
		return s, nil
	}
	clear(tail)
	return s, nil
}

// SignalInfoLayout says which member of siginfo_t's union a siginfo uses
// (Linux's enum siginfo_layout).
type SignalInfoLayout int

// Layouts.
const (
	LayoutKill        SignalInfoLayout = iota // si_pid, si_uid
	LayoutTimer                               // si_timerid, si_overrun, si_value
	LayoutPoll                                // si_band, si_fd
	LayoutFault                               // si_addr
	LayoutFaultTrapno                         // si_addr, si_trapno (not on amd64)
	LayoutFaultMCEErr                         // si_addr, si_addr_lsb
	LayoutFaultBndErr                         // si_addr, si_lower, si_upper
	LayoutFaultPkuErr                         // si_addr, si_pkey
	LayoutFaultPerf                           // si_addr, si_perf_*
	LayoutChild                               // si_pid, si_uid, si_status, si_utime, si_stime
	LayoutRT                                  // si_pid, si_uid, si_value
	LayoutSys                                 // si_call_addr, si_syscall, si_arch
)

var layoutNames = [...]string{"kill", "timer", "poll", "fault", "fault-trapno", "fault-mceerr",
	"fault-bnderr", "fault-pkuerr", "fault-perf", "chld", "rt", "sys"}

func (l SignalInfoLayout) String() string {
	if l >= 0 && int(l) < len(layoutNames) {
		return layoutNames[l]
	}
	return "unknown"
}

// signalCodeLimit returns the highest signal-specific si_code of sig and
// its layout, or ok=false if sig has no specific codes.
func signalCodeLimit(sig int) (limit int32, layout SignalInfoLayout, ok bool) {
	switch sig {
	case int(unix.SIGILL):
		return linux.NSIGILL, LayoutFault, true
	case int(unix.SIGFPE):
		return linux.NSIGFPE, LayoutFault, true
	case int(unix.SIGSEGV):
		return linux.NSIGSEGV, LayoutFault, true
	case int(unix.SIGBUS):
		return linux.NSIGBUS, LayoutFault, true
	case int(unix.SIGTRAP):
		return linux.NSIGTRAP, LayoutFault, true
	case int(unix.SIGCHLD):
		return linux.NSIGCHLD, LayoutChild, true
	case int(unix.SIGIO):
		return linux.NSIGPOLL, LayoutPoll, true
	case int(unix.SIGSYS):
		return linux.NSIGSYS, LayoutSys, true
	}
	return 0, 0, false
}

// Layout returns the union member a siginfo with this signal and code
// uses, as Linux's siginfo_layout decides it.
func (s *SignalInfo) Layout() SignalInfoLayout {
	return SignalInfoLayoutOf(int(s.Signo), s.Code)
}

// SignalInfoLayoutOf is Linux's siginfo_layout(sig, code).
func SignalInfoLayoutOf(sig int, code int32) SignalInfoLayout {
	if code > linux.SI_USER && code < linux.SI_KERNEL {
		limit, layout, ok := signalCodeLimit(sig)
		switch {
		case ok && code <= limit:
			switch {
			case sig == int(unix.SIGBUS) && (code == linux.BUS_MCEERR_AR || code == linux.BUS_MCEERR_AO):
				return LayoutFaultMCEErr
			case sig == int(unix.SIGSEGV) && code == linux.SEGV_BNDERR:
				return LayoutFaultBndErr
			case sig == int(unix.SIGSEGV) && code == linux.SEGV_PKUERR:
				return LayoutFaultPkuErr
			case sig == int(unix.SIGTRAP) && code == linux.TRAP_PERF:
				return LayoutFaultPerf
			}
			return layout
		case code <= linux.NSIGPOLL:
			return LayoutPoll
		}
		return LayoutKill
	}
	switch {
	case code == linux.SI_TIMER:
		return LayoutTimer
	case code == linux.SI_SIGIO:
		return LayoutPoll
	case code < 0:
		return LayoutRT
	}
	return LayoutKill
}

// KnownSignalInfoLayout is Linux's known_siginfo_layout: whether the
// kernel understands the (signal, code) pair well enough to keep only
// KernelSignalInfoSize bytes of it.
func KnownSignalInfoLayout(sig int, code int32) bool {
	switch {
	case code == linux.SI_KERNEL:
		return true
	case code > linux.SI_USER:
		if limit, _, ok := signalCodeLimit(sig); ok {
			return code <= limit
		}
		return code <= linux.NSIGPOLL
	case code >= linux.SI_DETHREAD:
		return true
	}
	return code == linux.SI_ASYNCNL
}

// PID is si_pid (kill, rt, SIGCHLD layouts).
func (s *SignalInfo) PID() int32 { return int32(s.u32(siPID)) }

// SetPID sets si_pid.
func (s *SignalInfo) SetPID(pid int32) { s.put32(siPID, uint32(pid)) }

// UID is si_uid (kill, rt, SIGCHLD layouts).
func (s *SignalInfo) UID() uint32 { return s.u32(siUID) }

// SetUID sets si_uid.
func (s *SignalInfo) SetUID(uid uint32) { s.put32(siUID, uid) }

// TimerID is si_timerid (timer layout).
func (s *SignalInfo) TimerID() int32 { return int32(s.u32(siTimerID)) }

// SetTimerID sets si_timerid.
func (s *SignalInfo) SetTimerID(id int32) { s.put32(siTimerID, uint32(id)) }

// Overrun is si_overrun (timer layout).
func (s *SignalInfo) Overrun() int32 { return int32(s.u32(siOverrun)) }

// SetOverrun sets si_overrun.
func (s *SignalInfo) SetOverrun(n int32) { s.put32(siOverrun, uint32(n)) }

// Value is si_value, the union sigval (timer and rt layouts): si_int is
// its low 32 bits, si_ptr all 64.
func (s *SignalInfo) Value() uint64 { return s.u64(siValue) }

// SetValue sets si_value.
func (s *SignalInfo) SetValue(v uint64) { s.put64(siValue, v) }

// Status is si_status (SIGCHLD layout): the exit code for CLD_EXITED, the
// signal number otherwise.
func (s *SignalInfo) Status() int32 { return int32(s.u32(siStatus)) }

// SetStatus sets si_status.
func (s *SignalInfo) SetStatus(v int32) { s.put32(siStatus, uint32(v)) }

// UTime is si_utime in clock ticks (SIGCHLD layout).
func (s *SignalInfo) UTime() int64 { return int64(s.u64(siUTime)) }

// SetUTime sets si_utime.
func (s *SignalInfo) SetUTime(v int64) { s.put64(siUTime, uint64(v)) }

// STime is si_stime in clock ticks (SIGCHLD layout).
func (s *SignalInfo) STime() int64 { return int64(s.u64(siSTime)) }

// SetSTime sets si_stime.
func (s *SignalInfo) SetSTime(v int64) { s.put64(siSTime, uint64(v)) }

// Addr is si_addr (fault layouts).
func (s *SignalInfo) Addr() uint64 { return s.u64(siAddr) }

// SetAddr sets si_addr.
func (s *SignalInfo) SetAddr(a uint64) { s.put64(siAddr, a) }

// AddrLSB is si_addr_lsb (BUS_MCEERR_*): the log2 of the corrupted
// range's size.
func (s *SignalInfo) AddrLSB() int16 {
	return int16(binary.LittleEndian.Uint16(s.Fields[siAddrLSB-12:]))
}

// SetAddrLSB sets si_addr_lsb.
func (s *SignalInfo) SetAddrLSB(v int16) {
	binary.LittleEndian.PutUint16(s.Fields[siAddrLSB-12:], uint16(v))
}

// Bounds are si_lower and si_upper (SEGV_BNDERR).
func (s *SignalInfo) Bounds() (lower, upper uint64) { return s.u64(siLower), s.u64(siUpper) }

// SetBounds sets si_lower and si_upper.
func (s *SignalInfo) SetBounds(lower, upper uint64) {
	s.put64(siLower, lower)
	s.put64(siUpper, upper)
}

// Pkey is si_pkey (SEGV_PKUERR).
func (s *SignalInfo) Pkey() uint32 { return s.u32(siPkey) }

// SetPkey sets si_pkey.
func (s *SignalInfo) SetPkey(k uint32) { s.put32(siPkey, k) }

// PerfEvent returns si_perf_data, si_perf_type and si_perf_flags
// (TRAP_PERF).
func (s *SignalInfo) PerfEvent() (data uint64, typ, flags uint32) {
	return s.u64(siPerfData), s.u32(siPerfType), s.u32(siPerfFlag)
}

// Band is si_band (poll layout): the POLL* event bits.
func (s *SignalInfo) Band() int64 { return int64(s.u64(siBand)) }

// SetBand sets si_band.
func (s *SignalInfo) SetBand(b int64) { s.put64(siBand, uint64(b)) }

// FD is si_fd (poll layout).
func (s *SignalInfo) FD() int32 { return int32(s.u32(siFD)) }

// SetFD sets si_fd.
func (s *SignalInfo) SetFD(fd int32) { s.put32(siFD, uint32(fd)) }

// CallAddr is si_call_addr (SIGSYS): the address after the system call
// instruction.
func (s *SignalInfo) CallAddr() uint64 { return s.u64(siCallAddr) }

// SetCallAddr sets si_call_addr.
func (s *SignalInfo) SetCallAddr(a uint64) { s.put64(siCallAddr, a) }

// Syscall is si_syscall (SIGSYS).
func (s *SignalInfo) Syscall() int32 { return int32(s.u32(siSyscall)) }

// SetSyscall sets si_syscall.
func (s *SignalInfo) SetSyscall(nr int32) { s.put32(siSyscall, uint32(nr)) }

// Arch is si_arch (SIGSYS): an AUDIT_ARCH_* value.
func (s *SignalInfo) Arch() uint32 { return s.u32(siArch) }

// SetArch sets si_arch.
func (s *SignalInfo) SetArch(a uint32) { s.put32(siArch, a) }

// NewKillSignalInfo is the siginfo of a signal a process sent with kill
// (code SI_USER), tkill/tgkill (SI_TKILL) or that the kernel sent on a
// process's behalf: pid and uid are the sender's tgid (in the receiver's
// pid namespace) and real uid (in the receiver's user namespace).
func NewKillSignalInfo(sig int, code int32, pid int32, uid uint32) SignalInfo {
	s := SignalInfo{Signo: int32(sig), Code: code}
	s.SetPID(pid)
	s.SetUID(uid)
	return s
}

// NewKernelSignalInfo is the siginfo of a signal the kernel raises with no
// further detail (SI_KERNEL; si_pid and si_uid are 0).
func NewKernelSignalInfo(sig int) SignalInfo {
	return SignalInfo{Signo: int32(sig), Code: linux.SI_KERNEL}
}

// NewTimerSignalInfo is the siginfo of a POSIX timer's expiry (SI_TIMER).
func NewTimerSignalInfo(sig int, timerID, overrun int32, value uint64) SignalInfo {
	s := SignalInfo{Signo: int32(sig), Code: linux.SI_TIMER}
	s.SetTimerID(timerID)
	s.SetOverrun(overrun)
	s.SetValue(value)
	return s
}

// NewQueueSignalInfo is the siginfo of a signal carrying a value: sigqueue
// (SI_QUEUE), a POSIX message queue notification (SI_MESGQ) or an AIO
// completion (SI_ASYNCIO).
func NewQueueSignalInfo(sig int, code int32, pid int32, uid uint32, value uint64) SignalInfo {
	s := NewKillSignalInfo(sig, code, pid, uid)
	s.SetValue(value)
	return s
}

// NewChildSignalInfo is the SIGCHLD siginfo (also what waitid reports):
// code is one of CLD_*, status the exit code (CLD_EXITED) or signal number,
// utime and stime the child's CPU times in clock ticks.
func NewChildSignalInfo(code int32, pid int32, uid uint32, status int32, utime, stime int64) SignalInfo {
	s := NewKillSignalInfo(int(unix.SIGCHLD), code, pid, uid)
	s.SetStatus(status)
	s.SetUTime(utime)
	s.SetSTime(stime)
	return s
}

// NewFaultSignalInfo is the siginfo of a synchronous fault (SIGSEGV,
// SIGBUS, SIGILL, SIGFPE, SIGTRAP) with code (SEGV_MAPERR, ...) at addr:
// the faulting data address for SIGSEGV and SIGBUS, the faulting
// instruction for SIGILL and SIGFPE. Use SetAddrLSB, SetPkey or SetBounds
// for the codes that carry more.
func NewFaultSignalInfo(sig int, code int32, addr uint64) SignalInfo {
	s := SignalInfo{Signo: int32(sig), Code: code}
	s.SetAddr(addr)
	return s
}

// NewSeccompSignalInfo is the SIGSYS siginfo of a system call that a
// seccomp filter trapped (SECCOMP_RET_TRAP): si_errno carries the
// filter's SECCOMP_RET_DATA, si_call_addr the address after the syscall
// instruction, si_arch AUDIT_ARCH_X86_64.
func NewSeccompSignalInfo(callAddr uint64, nr int32, data int32) SignalInfo {
	s := SignalInfo{Signo: int32(unix.SIGSYS), Errno: data, Code: linux.SYS_SECCOMP}
	s.SetCallAddr(callAddr)
	s.SetSyscall(nr)
	s.SetArch(unix.AUDIT_ARCH_X86_64)
	return s
}

// NewPollSignalInfo is the siginfo of an I/O readiness signal (F_SETSIG):
// code is one of POLL_*, band the poll events, fd the descriptor.
func NewPollSignalInfo(sig int, code int32, band int64, fd int32) SignalInfo {
	s := SignalInfo{Signo: int32(sig), Code: code}
	s.SetBand(band)
	s.SetFD(fd)
	return s
}
