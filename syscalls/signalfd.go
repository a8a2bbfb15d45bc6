package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
)

// signalfd and signalfd4, on package ipc's signal files.

func signalfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSignalfd(t, int32(a[0]), a[1], a[2], 0)
}

func signalfd4(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSignalfd(t, int32(a[0]), a[1], a[2], int(int32(a[3])))
}

// doSignalfd creates a signalfd (fd -1) or changes the mask of the one at
// fd, checking in Linux's order: the mask size, the mask's address, the
// flags, then the fd.
func doSignalfd(t *kernel.Task, fd int32, maskAddr, size uintptr, flags int) (uintptr, error) {
	if size != linux.SignalSetSize {
		return 0, unix.EINVAL
	}
	m, err := copyInU64(t, maskAddr)
	if err != nil {
		return 0, err
	}
	if flags&^(ipc.SFD_CLOEXEC|ipc.SFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	mask := linux.SignalSet(m)
	if fd == -1 {
		f, err := ipc.NewSignalFD(t, t.Kernel().VFS(), t, mask, flags)
		if err != nil {
			return 0, err
		}
		return installFile(t, f, flags&ipc.SFD_CLOEXEC != 0)
	}
	f, err := getFile(t, uintptr(uint32(fd)))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	s := ipc.SignalFDOf(f)
	if s == nil {
		return 0, unix.EINVAL
	}
	s.SetMask(mask)
	return uintptr(fd), nil
}
