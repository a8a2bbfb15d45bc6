package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// credNote is the limit every set*id call shares.
const credNote = "privilege is euid 0 until capabilities exist"

func setuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetID(kernel.UserIDs, uint32(a[0]))
}

func setgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetID(kernel.GroupIDs, uint32(a[0]))
}

func setreuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREID(kernel.UserIDs, uint32(a[0]), uint32(a[1]))
}

func setregid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetREID(kernel.GroupIDs, uint32(a[0]), uint32(a[1]))
}

func setresuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESID(kernel.UserIDs, uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

func setresgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.SetRESID(kernel.GroupIDs, uint32(a[0]), uint32(a[1]), uint32(a[2]))
}

func setfsuid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSID(kernel.UserIDs, uint32(a[0]))), nil
}

func setfsgid(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.SetFSID(kernel.GroupIDs, uint32(a[0]))), nil
}

func setgroups(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	n := int(int32(a[0]))
	if n < 0 || n > ngroupsMax {
		return 0, unix.EINVAL
	}
	b := make([]byte, 4*n)
	if err := copyInFull(t, a[1], b); err != nil {
		return 0, err
	}
	groups := make([]uint32, n)
	for i := range groups {
		groups[i] = getU32(b, 4*i)
	}
	return 0, t.SetGroups(groups)
}
