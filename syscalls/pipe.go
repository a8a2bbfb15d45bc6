package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Pipes: pipe and pipe2. FIFOs are opened through the VFS (fs/pipe's
// FIFO opener); F_GETPIPE_SZ and F_SETPIPE_SZ are in fcntl.

// oNotificationPipe is O_NOTIFICATION_PIPE (O_EXCL), for watch queues.
const oNotificationPipe = unix.O_EXCL

func pipeSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doPipe2(t, a[0], 0)
}

func pipe2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doPipe2(t, a[0], int(int32(a[1])))
}

func doPipe2(t *kernel.Task, addr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|unix.O_DIRECT|oNotificationPipe) != 0 {
		return 0, unix.EINVAL
	}
	if flags&oNotificationPipe != 0 {
		return 0, unix.ENOPKG
	}
	r, w, err := pipe.New(t, t.Kernel().VFS(), flags)
	if err != nil {
		return 0, err
	}
	defer r.DecRef(t)
	defer w.DecRef(t)
	fdFlags := 0
	if flags&unix.O_CLOEXEC != 0 {
		fdFlags = vfs.FDCloexec
	}
	tab := fdTable(t)
	rfd, err := tab.NewFD(0, r, fdFlags)
	if err != nil {
		return 0, err
	}
	wfd, err := tab.NewFD(0, w, fdFlags)
	if err != nil {
		tab.Remove(t, rfd)
		return 0, err
	}
	var b [8]byte
	putU32(b[:], 0, uint32(rfd))
	putU32(b[:], 4, uint32(wfd))
	if _, err := t.CopyOut(addr, b[:]); err != nil {
		tab.Remove(t, rfd)
		tab.Remove(t, wfd)
		return 0, unix.EFAULT
	}
	return 0, nil
}

// pipeFcntl carries out F_GETPIPE_SZ and F_SETPIPE_SZ.
func pipeFcntl(t *kernel.Task, f *vfs.File, cmd int, arg uintptr) (uintptr, error) {
	c := t.Credentials()
	privileged := c.HasGlobalCapability(unix.CAP_SYS_RESOURCE) || c.HasGlobalCapability(unix.CAP_SYS_ADMIN)
	n, err := pipe.Fcntl(f, cmd, uint32(arg), privileged)
	return uintptr(n), err
}
