package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Extended attributes: {,l,f}{get,set,list,remove}xattr.

// xattrPath resolves the path argument of the path-based calls.
func xattrPath(t *kernel.Task, addr uintptr, follow bool) (vfs.Path, error) {
	return attrTarget(t, cwdFD, addr, follow, false)
}

// xattrFile returns the location of an fd (O_PATH fds give EBADF).
func xattrFile(t *kernel.Task, fd uintptr) (vfs.Path, error) {
	return fileTarget(t, fd)
}

// copyInXattrName reads an attribute name (ERANGE when too long).
func copyInXattrName(t *kernel.Task, addr uintptr) (string, error) {
	s, err := t.CopyInString(addr, vfs.XattrNameMax+1)
	if err != nil {
		if err == unix.ENAMETOOLONG {
			return "", unix.ERANGE
		}
		return "", unix.EFAULT
	}
	if s == "" {
		return "", unix.ERANGE
	}
	return s, nil
}

func getxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrPath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	return doGetxattr(t, p, a[1], a[2], a[3])
}

func lgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrPath(t, a[0], false)
	if err != nil {
		return 0, err
	}
	return doGetxattr(t, p, a[1], a[2], a[3])
}

func fgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrFile(t, a[0])
	if err != nil {
		return 0, err
	}
	return doGetxattr(t, p, a[1], a[2], a[3])
}

func doGetxattr(t *kernel.Task, p vfs.Path, nameAddr, buf, size uintptr) (uintptr, error) {
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	val, err := t.Kernel().VFS().GetXattr(t, p, name)
	if err != nil {
		return 0, err
	}
	if size == 0 {
		return uintptr(len(val)), nil
	}
	if uintptr(len(val)) > size {
		return 0, unix.ERANGE
	}
	if err := copyOutFull(t, buf, val); err != nil {
		return 0, err
	}
	return uintptr(len(val)), nil
}

func setxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSetxattr(t, a, func() (vfs.Path, error) { return xattrPath(t, a[0], true) })
}

func lsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSetxattr(t, a, func() (vfs.Path, error) { return xattrPath(t, a[0], false) })
}

func fsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSetxattr(t, a, func() (vfs.Path, error) { return xattrFile(t, a[0]) })
}

func doSetxattr(t *kernel.Task, a arch.SyscallArgs, target func() (vfs.Path, error)) (uintptr, error) {
	flags := int(int32(a[4]))
	if flags&^(vfs.XattrCreate|vfs.XattrReplace) != 0 {
		return 0, unix.EINVAL
	}
	name, err := copyInXattrName(t, a[1])
	if err != nil {
		return 0, err
	}
	size := a[3]
	if size > vfs.XattrSizeMax {
		return 0, unix.E2BIG
	}
	val := make([]byte, size)
	if err := copyInFull(t, a[2], val); err != nil {
		return 0, err
	}
	p, err := target()
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().SetXattr(t, p, name, val, flags)
}

func listxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrPath(t, a[0], true)
	if err != nil {
		return 0, err
	}
	return doListxattr(t, p, a[1], a[2])
}

func llistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrPath(t, a[0], false)
	if err != nil {
		return 0, err
	}
	return doListxattr(t, p, a[1], a[2])
}

func flistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := xattrFile(t, a[0])
	if err != nil {
		return 0, err
	}
	return doListxattr(t, p, a[1], a[2])
}

func doListxattr(t *kernel.Task, p vfs.Path, buf, size uintptr) (uintptr, error) {
	names, err := t.Kernel().VFS().ListXattr(t, p)
	if err != nil {
		return 0, err
	}
	var b []byte
	for _, n := range names {
		b = append(append(b, n...), 0)
	}
	if len(b) > vfs.XattrListMax {
		return 0, unix.E2BIG
	}
	if size == 0 {
		return uintptr(len(b)), nil
	}
	if uintptr(len(b)) > size {
		return 0, unix.ERANGE
	}
	if err := copyOutFull(t, buf, b); err != nil {
		return 0, err
	}
	return uintptr(len(b)), nil
}

func removexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, a[1], func() (vfs.Path, error) { return xattrPath(t, a[0], true) })
}

func lremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, a[1], func() (vfs.Path, error) { return xattrPath(t, a[0], false) })
}

func fremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, a[1], func() (vfs.Path, error) { return xattrFile(t, a[0]) })
}

func doRemovexattr(t *kernel.Task, nameAddr uintptr, target func() (vfs.Path, error)) (uintptr, error) {
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	p, err := target()
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().RemoveXattr(t, p, name)
}
