package hostsys

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// Thin wrappers around the host system calls the platforms use. ptrace
// requests never block, so they use RawSyscall (no scheduler hand-off);
// wait4 and FUTEX_WAIT block, so they use Syscall and let the Go scheduler
// run other goroutines on this P meanwhile. Pointers are converted in the
// system call's own argument list, so that they stay valid during the
// call.

const (
	ptraceGetRegs = 12 // PTRACE_GETREGS
	ptraceSetRegs = 13 // PTRACE_SETREGS

	// PtraceEventStop is PTRACE_EVENT_STOP: a group-stop or a
	// PTRACE_INTERRUPT stop of a PTRACE_SEIZEd thread.
	PtraceEventStop = 128
)

func errno(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// Ptrace makes ptrace request req on tid.
func Ptrace(req int, tid int, addr, data uintptr) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	return errno(e)
}

// GetRegs reads tid's registers (PTRACE_GETREGS).
func GetRegs(tid int, r *arch.Registers) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, ptraceGetRegs, uintptr(tid), 0, uintptr(unsafe.Pointer(r)), 0, 0)
	return errno(e)
}

// SetRegs loads tid's registers (PTRACE_SETREGS).
func SetRegs(tid int, r *arch.Registers) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, ptraceSetRegs, uintptr(tid), 0, uintptr(unsafe.Pointer(r)), 0, 0)
	return errno(e)
}

// raxOffset is rax's offset in the host's user_regs_struct (the
// PTRACE_POKEUSER address).
const raxOffset = 10 * 8

// SetRax loads tid's rax alone (PTRACE_POKEUSER).
func SetRax(tid int, rax uint64) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_POKEUSR, uintptr(tid), raxOffset, uintptr(rax), 0, 0)
	return errno(e)
}

// GetRegset reads the register set nt of tid into buf and returns how many
// bytes the kernel filled.
func GetRegset(tid int, nt int, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), uintptr(nt), uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(iov.Len), nil
}

// SetRegset loads the register set nt of tid from buf.
func SetRegset(tid int, nt int, buf []byte) error {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGSET, uintptr(tid), uintptr(nt), uintptr(unsafe.Pointer(&iov)), 0, 0)
	return errno(e)
}

// Siginfo is the start of struct siginfo on amd64: what a fault needs.
type Siginfo struct {
	Signo int32
	Errno int32
	Code  int32
	_     int32
	Addr  uint64 // si_addr for SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP
	_     [128 - 24]byte
}

// GetSiginfo reads the siginfo of tid's signal-delivery-stop.
func GetSiginfo(tid int, si *Siginfo) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETSIGINFO, uintptr(tid), 0, uintptr(unsafe.Pointer(si)), 0, 0)
	return errno(e)
}

// PtraceEvent is the PTRACE_EVENT_* of a ptrace stop's wait status, 0
// for none. (x/sys's TrapCause gives it for SIGTRAP stops only, and a
// PTRACE_EVENT_STOP group-stop's signal is the stopping one.)
func PtraceEvent(ws unix.WaitStatus) int { return int(ws >> 16) }

// Wait4 waits for a state change of pid (a tid, or -pgid), retrying on
// EINTR, and returns which thread changed.
func Wait4(pid int, flags int) (int, unix.WaitStatus, error) {
	for {
		var ws unix.WaitStatus
		r, err := unix.Wait4(pid, &ws, flags, nil)
		if err != unix.EINTR {
			return r, ws, err
		}
	}
}

// Wait waits for a state change of thread tid.
func Wait(tid int) (unix.WaitStatus, error) {
	_, ws, err := Wait4(tid, unix.WALL)
	return ws, err
}

// OwnerWaiter waits, on an owner's OS thread, for that thread's own
// tracees in one stub: the main thread and threads just cloned. It waits
// on the stub's process group with __WNOTHREAD rather than on one tid: if
// the stub is killed while a thread it just cloned is a zombie traced by
// the owner, waiting on the main thread alone would block forever (a
// leader is reported only once its other threads are reaped). Reports for
// other threads are kept for their own wait. Tracees of other kite threads
// are never seen (__WNOTHREAD).
type OwnerWaiter struct {
	pgid  int
	stash map[int]unix.WaitStatus
}

// NewOwnerWaiter returns a waiter for the stub whose process group is pgid.
func NewOwnerWaiter(pgid int) *OwnerWaiter { return &OwnerWaiter{pgid: pgid} }

// Wait waits for the next state change of tid.
func (w *OwnerWaiter) Wait(tid int) (unix.WaitStatus, error) {
	if ws, ok := w.stash[tid]; ok {
		delete(w.stash, tid)
		return ws, nil
	}
	for {
		pid, ws, err := Wait4(-w.pgid, unix.WALL|unix.WNOTHREAD)
		if err != nil {
			return 0, err
		}
		if pid == tid {
			return ws, nil
		}
		if w.stash == nil {
			w.stash = make(map[int]unix.WaitStatus)
		}
		w.stash[pid] = ws
	}
}

// Getcpu returns the CPU the calling thread runs on: from the per-CPU
// segment as the vDSO reads it, else by the system call.
func Getcpu() int {
	cpu, ok := lslCPU()
	if ok {
		return int(cpu)
	}
	unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	return int(cpu)
}

// PinThread restricts host thread tid (0: the calling one) to cpu.
func PinThread(tid, cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	return unix.SchedSetaffinity(tid, &set)
}

// kernelSigaction is the kernel's struct sigaction on amd64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const saNoCldStop = 1 // SA_NOCLDSTOP

// QuietChildStops adds SA_NOCLDSTOP to kite's SIGCHLD disposition, keeping
// the handler (the Go runtime's). Without it every ptrace stop of every
// stub also sends kite a SIGCHLD, whose delivery costs about 2us of each
// 10us system call round trip; wait4 is woken either way. Exits still
// raise SIGCHLD. An ignored SIGCHLD is left alone (SA_NOCLDSTOP is moot).
func QuietChildStops() error {
	var sa kernelSigaction
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
		return e
	}
	if sa.handler == 1 /* SIG_IGN */ || sa.flags&saNoCldStop != 0 {
		return nil
	}
	sa.flags |= saNoCldStop
	_, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	return errno(e)
}

// ioprioWhoProcess is IOPRIO_WHO_PROCESS: the who of ioprio_set is a
// thread id.
const ioprioWhoProcess = 1

// SetIOPrio sets host thread tid's I/O priority (0: none, from its nice
// value).
func SetIOPrio(tid, prio int) error {
	_, _, e := unix.RawSyscall(unix.SYS_IOPRIO_SET, ioprioWhoProcess, uintptr(tid), uintptr(prio))
	return errno(e)
}

// FUTEX_WAIT and FUTEX_WAKE without FUTEX_PRIVATE_FLAG: the words are in
// memory shared with a stub.
const (
	FutexWait = 0
	FutexWake = 1
)

// FutexWaitShared sleeps while *addr == val, for at most timeout (a
// shared futex: the word is in a memfd the stub maps too). It returns
// early on a wake-up, a signal or a changed value.
func FutexWaitShared(addr *uint32, val uint32, timeout *unix.Timespec) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), FutexWait, uintptr(val), uintptr(unsafe.Pointer(timeout)), 0, 0)
}

// FutexWakeShared wakes one waiter on addr.
func FutexWakeShared(addr *uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), FutexWake, 1, 0, 0, 0)
}
