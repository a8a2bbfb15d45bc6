package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// pidfd_getfd, file handles and sysfs(2): small families.

// pidfdTask returns the leader of the live process pidfd fd names: the
// fd's errors, PIDFDProcess's for a file that is no pidfd, ESRCH once the
// process has exited.
func pidfdTask(t *kernel.Task, fd int32) (*kernel.Task, error) {
	pf, _, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, err
	}
	tg, err := kernel.PIDFDProcess(pf)
	pf.DecRef(t)
	if err != nil {
		return nil, err
	}
	x := t.Kernel().TaskByID(tg.ID())
	if x == nil || x.ThreadGroup() != tg {
		return nil, unix.ESRCH
	}
	return x, nil
}

func pidfdGetfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[2] != 0 {
		return 0, unix.EINVAL
	}
	x, err := pidfdTask(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	// PTRACE_MODE_ATTACH_REALCREDS: the read rule's credential part.
	if !mayReadTask(t, x) {
		return 0, unix.EPERM
	}
	fdt := x.FDTable()
	if fdt == nil {
		return 0, unix.ESRCH
	}
	f, _, err := fdt.Get(int32(a[1]))
	if err != nil {
		return 0, unix.EBADF
	}
	defer f.DecRef(t)
	fd, err := t.FDTable().NewFD(0, f, unix.FD_CLOEXEC)
	return uintptr(fd), err
}

// name_to_handle_at flags.
const (
	atHandleFID         = 0x200
	atHandleMntIDUnique = 0x001
	atHandleConnectable = 0x002
	maxHandleSize       = 128
)

func nameToHandleAt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(a[4])
	if flags&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH|atHandleFID|atHandleMntIDUnique|atHandleConnectable) != 0 {
		return 0, unix.EINVAL
	}
	if flags&(atHandleFID|atHandleConnectable) == atHandleFID|atHandleConnectable {
		return 0, unix.EINVAL
	}
	statFlags := flags & unix.AT_EMPTY_PATH
	if flags&unix.AT_SYMLINK_FOLLOW == 0 {
		statFlags |= unix.AT_SYMLINK_NOFOLLOW
	}
	if _, err := statTarget(t, a[0], a[1], statFlags); err != nil {
		return 0, err
	}
	// No file system of kite can encode a handle (as Linux's procfs).
	return 0, unix.EOPNOTSUPP
}

func openByHandleAt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	b := make([]byte, 8)
	if err := copyInFull(t, a[1], b); err != nil {
		return 0, err
	}
	n, typ := getU32(b, 0), int32(getU32(b, 4))
	if n > maxHandleSize || n == 0 || typ < 0 || typ>>16&^0x3 != 0 {
		return 0, unix.EINVAL
	}
	h := make([]byte, n)
	if err := copyInFull(t, a[1]+8, h); err != nil {
		return 0, err
	}
	if int32(a[0]) != atFDCWD {
		f, err := getFile(t, a[0])
		if err != nil {
			return 0, err
		}
		f.DecRef(t)
	}
	if !t.Credentials().HasGlobalCapability(unix.CAP_DAC_READ_SEARCH) {
		return 0, unix.EPERM
	}
	// kite gives out no handles, so none decodes: the file is stale.
	return 0, unix.ESTALE
}

func sysfsSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	types := t.Kernel().VFS().FilesystemTypes()
	switch int32(a[0]) {
	case 1:
		name, err := t.CopyInString(a[1], 256)
		if err != nil {
			return 0, err
		}
		for i, ty := range types {
			if ty == name {
				return uintptr(i), nil
			}
		}
		return 0, unix.EINVAL
	case 2:
		i := a[1]
		if i >= uintptr(len(types)) {
			return 0, unix.EINVAL
		}
		return 0, copyOutFull(t, a[2], append([]byte(types[i]), 0))
	case 3:
		return uintptr(len(types)), nil
	}
	return 0, unix.EINVAL
}
