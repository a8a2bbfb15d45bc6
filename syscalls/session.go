package syscalls

import (
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

func setpgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetPGID(int32(a[0]), int32(a[1]))
}

func getpgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, err := t.GetPGID(int32(a[0]))
	return uintptr(id), err
}

func getpgrp(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	id, err := t.GetPGID(0)
	return uintptr(id), err
}

func getsid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, err := t.GetSID(int32(a[0]))
	return uintptr(id), err
}

func setsid(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	id, err := t.SetSID()
	return uintptr(id), err
}
