package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// epoll: epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait
// and epoll_pwait2, on package ipc's epoll instances.

func epollCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int32(a[0]) <= 0 {
		return 0, unix.EINVAL
	}
	return doEpollCreate(t, 0)
}

func epollCreate1(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[0]))
	if flags&^unix.EPOLL_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	return doEpollCreate(t, flags)
}

func doEpollCreate(t *kernel.Task, flags int) (uintptr, error) {
	f, err := ipc.NewEpoll(t, t.Kernel().VFS())
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.O_CLOEXEC != 0)
}

// installFile puts f at the lowest free fd and drops the caller's
// reference.
func installFile(t *kernel.Task, f *vfs.File, cloexec bool) (uintptr, error) {
	defer f.DecRef(t)
	fdFlags := 0
	if cloexec {
		fdFlags = vfs.FDCloexec
	}
	fd, err := fdTable(t).NewFD(0, f, fdFlags)
	return uintptr(fd), err
}

func epollCtl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	epfd, op, fd, evAddr := a[0], int(int32(a[1])), int32(a[2]), a[3]
	var ev ipc.EpollEvent
	if op != ipc.EpollCtlDel {
		var b [ipc.EpollEventSize]byte
		if err := copyInFull(t, evAddr, b[:]); err != nil {
			return 0, err
		}
		ev = ipc.EpollEvent{Events: getU32(b[:], 0), Data: getU64(b[:], 4)}
		// As Linux's ep_take_care_of_epollwakeup: without
		// CAP_BLOCK_SUSPEND the flag is dropped. With it, it is
		// kept (fdinfo shows it); kite never suspends, so there is
		// no suspend for it to hold off.
		if ev.Events&ipc.EPOLLWAKEUP != 0 && !t.Credentials().HasGlobalCapability(unix.CAP_BLOCK_SUSPEND) {
			ev.Events &^= ipc.EPOLLWAKEUP
		}
	}
	epf, err := getFile(t, epfd)
	if err != nil {
		return 0, err
	}
	defer epf.DecRef(t)
	tf, err := getFile(t, uintptr(fd))
	if err != nil {
		return 0, err
	}
	defer tf.DecRef(t)
	return 0, ipc.Ctl(epf, op, fd, tf, ev)
}

func epollWait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doEpollWait(t, a[0], a[1], int(int32(a[2])), msTimeout(int32(a[3])))
}

func epollPwait(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doEpollPwait(t, a, msTimeout(int32(a[3])))
}

func epollPwait2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var timeout *time.Duration
	if a[3] != 0 {
		sec, nsec, err := copyInTimespec(t, a[3])
		if err != nil {
			return 0, err
		}
		d := timespecDuration(sec, nsec)
		timeout = &d
	}
	return doEpollPwait(t, a, timeout)
}

// timespecDuration converts a valid timespec to a Duration, saturating.
func timespecDuration(sec, nsec int64) time.Duration {
	const maxSec = int64(1<<63-1) / 1e9
	if sec >= maxSec {
		return 1<<63 - 1
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec)
}

// msTimeout converts epoll_wait's millisecond timeout: negative waits
// forever (nil).
func msTimeout(ms int32) *time.Duration {
	if ms < 0 {
		return nil
	}
	d := time.Duration(ms) * time.Millisecond
	return &d
}

// doEpollPwait installs epoll_pwait's signal mask for the wait, as
// Linux's set_user_sigmask; the old mask comes back when the call
// returns, or after the handler when a signal interrupted it.
func doEpollPwait(t *kernel.Task, a arch.SyscallArgs, timeout *time.Duration) (uintptr, error) {
	maskAddr, size := a[4], a[5]
	if maskAddr == 0 {
		return doEpollWait(t, a[0], a[1], int(int32(a[2])), timeout)
	}
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	m, err := copyInU64(t, maskAddr)
	if err != nil {
		return 0, err
	}
	// The kernel puts the old mask back on the way to user mode, or
	// through the frame of a handler the temporary mask let run.
	t.SetTemporarySignalMask(linux.SignalSet(m))
	return doEpollWait(t, a[0], a[1], int(int32(a[2])), timeout)
}

// doEpollWait is epoll_wait with a timeout (nil: forever).
func doEpollWait(t *kernel.Task, epfd, addr uintptr, maxEvents int, timeout *time.Duration) (uintptr, error) {
	// Linux 6.18 looks the fd up first.
	f, err := getFile(t, epfd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if maxEvents <= 0 || maxEvents > ipc.MaxEpollEvents {
		return 0, unix.EINVAL
	}
	if !rangeOK(addr, uintptr(maxEvents)*ipc.EpollEventSize) {
		return 0, unix.EFAULT
	}
	ep := ipc.EpollOf(f)
	if ep == nil {
		return 0, unix.EINVAL
	}
	put := func(ev ipc.EpollEvent) bool {
		var b [ipc.EpollEventSize]byte
		putU32(b[:], 0, ev.Events)
		putU64(b[:], 4, ev.Data)
		if _, err := t.CopyOut(addr, b[:]); err != nil {
			return false
		}
		addr += ipc.EpollEventSize
		return true
	}
	n, err := ep.Wait(maxEvents, t, sleeper(t, timeout), put)
	return uintptr(n), err
}

// sleeper returns how a task waits with timeout (nil: forever) for the
// channel it is given: nil for a zero timeout, which does not wait.
func sleeper(t *kernel.Task, timeout *time.Duration) func(ch <-chan struct{}) error {
	switch {
	case timeout == nil:
		return t.Park
	case *timeout <= 0:
		return nil
	}
	deadline := time.Now().Add(*timeout)
	return func(ch <-chan struct{}) error { return t.ParkTimeout(ch, deadline) }
}
