package systrap

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// Thin wrappers around the host system calls the platform uses. ptrace
// requests never block, so they use RawSyscall (no scheduler hand-off);
// wait4 blocks, so it uses Syscall and lets the Go scheduler run other
// goroutines on this P meanwhile.

const (
	ptraceGetRegs = 12 // PTRACE_GETREGS
	ptraceSetRegs = 13 // PTRACE_SETREGS

	// ptraceOptions are set on every stub thread. EXITKILL: a stub thread
	// whose tracer thread dies is killed, so a kite crash never leaves a
	// stub running application code.
	ptraceOptions = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACECLONE
)

func ptrace(req int, tid int, addr, data uintptr) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), addr, data, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func getRegs(tid int, r *arch.Registers) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, ptraceGetRegs, uintptr(tid), 0, uintptr(unsafe.Pointer(r)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

func setRegs(tid int, r *arch.Registers) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, ptraceSetRegs, uintptr(tid), 0, uintptr(unsafe.Pointer(r)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// getRegset reads the register set nt of tid into buf and returns how many
// bytes the kernel filled.
func getRegset(tid int, nt int, buf []byte) (int, error) {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GETREGSET, uintptr(tid), uintptr(nt), uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(iov.Len), nil
}

func setRegset(tid int, nt int, buf []byte) error {
	iov := unix.Iovec{Base: &buf[0]}
	iov.SetLen(len(buf))
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_SETREGSET, uintptr(tid), uintptr(nt), uintptr(unsafe.Pointer(&iov)), 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// waitStatus is a decoded wait4 status.
type waitStatus uint32

func (s waitStatus) stopped() bool  { return s&0xff == 0x7f }
func (s waitStatus) stopSig() int   { return int(s>>8) & 0xff }
func (s waitStatus) event() int     { return int(s >> 16) }
func (s waitStatus) exited() bool   { return s&0x7f == 0 }
func (s waitStatus) signaled() bool { return !s.stopped() && s&0x7f != 0 && s&0x7f != 0x7f }

// wait4 waits for a state change of pid (a tid, or -pgid), retrying on
// EINTR, and returns which thread changed.
func wait4(pid int, flags int) (int, waitStatus, error) {
	for {
		var ws uint32
		r, _, e := unix.Syscall6(unix.SYS_WAIT4, uintptr(pid), uintptr(unsafe.Pointer(&ws)), uintptr(flags), 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return 0, 0, e
		}
		return int(r), waitStatus(ws), nil
	}
}

// wait waits for a state change of thread tid.
func wait(tid int) (waitStatus, error) {
	_, ws, err := wait4(tid, unix.WALL)
	return ws, err
}

// ownerWaiter waits, on an owner's OS thread, for that thread's own
// tracees in one stub: the main thread and threads just cloned. It waits
// on the stub's process group with __WNOTHREAD rather than on one tid: if
// the stub is killed while a thread it just cloned is a zombie traced by
// the owner, waiting on the main thread alone would block forever (a
// leader is reported only once its other threads are reaped). Reports for
// other threads are kept for their own wait. Tracees of other kite threads
// are never seen (__WNOTHREAD).
type ownerWaiter struct {
	pgid  int
	stash map[int]waitStatus
}

func (w *ownerWaiter) wait(tid int) (waitStatus, error) {
	if ws, ok := w.stash[tid]; ok {
		delete(w.stash, tid)
		return ws, nil
	}
	for {
		pid, ws, err := wait4(-w.pgid, unix.WALL|unix.WNOTHREAD)
		if err != nil {
			return 0, err
		}
		if pid == tid {
			return ws, nil
		}
		if w.stash == nil {
			w.stash = make(map[int]waitStatus)
		}
		w.stash[pid] = ws
	}
}

func gettid() int {
	tid, _, _ := unix.RawSyscall(unix.SYS_GETTID, 0, 0, 0)
	return int(tid)
}

func tgkill(tgid, tid int, sig unix.Signal) error {
	_, _, e := unix.RawSyscall(unix.SYS_TGKILL, uintptr(tgid), uintptr(tid), uintptr(sig))
	if e != 0 {
		return e
	}
	return nil
}

// kernelSigaction is the kernel's struct sigaction on amd64.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

const saNoCldStop = 1 // SA_NOCLDSTOP

// quietChildStops adds SA_NOCLDSTOP to kite's SIGCHLD disposition, keeping
// the handler (the Go runtime's). Without it every ptrace stop of every
// stub also sends kite a SIGCHLD, whose delivery costs about 2us of each
// 10us system call round trip; wait4 is woken either way. Exits still
// raise SIGCHLD. An ignored SIGCHLD is left alone (SA_NOCLDSTOP is moot).
func quietChildStops() error {
	var sa kernelSigaction
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0); e != 0 {
		return e
	}
	if sa.handler == 1 /* SIG_IGN */ || sa.flags&saNoCldStop != 0 {
		return nil
	}
	sa.flags |= saNoCldStop
	if _, _, e := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGCHLD), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0); e != 0 {
		return e
	}
	return nil
}

// futexWaitShared sleeps while *addr == val, for at most timeout (a
// shared futex: the word is in a memfd the stub maps too). It returns
// early on a wake-up, a signal or a changed value.
func futexWaitShared(addr *uint32, val uint32, timeout *unix.Timespec) {
	unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWait, uintptr(val), uintptr(unsafe.Pointer(timeout)), 0, 0)
}

// futexWakeShared wakes one waiter on addr.
func futexWakeShared(addr *uint32) {
	unix.RawSyscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)), futexWake, 1, 0, 0, 0)
}

// getcpu returns the CPU the calling thread runs on.
func getcpu() int {
	var cpu uint32
	unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
	return int(cpu)
}
