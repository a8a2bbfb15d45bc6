package syscalls

import (
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
)

// eventfd and eventfd2, on package ipc's event counters.

func eventfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doEventfd(t, uint32(a[0]), 0)
}

func eventfd2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doEventfd(t, uint32(a[0]), int(int32(a[1])))
}

// doEventfd creates an eventfd; the initial value is an unsigned int, as
// in Linux's system call.
func doEventfd(t *kernel.Task, initval uint32, flags int) (uintptr, error) {
	f, err := ipc.NewEventFD(t, t.Kernel().VFS(), uint64(initval), flags)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&ipc.EFD_CLOEXEC != 0)
}
