package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
)

// inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch on
// package ipc's inotify instances; the VFS generates the events.

func inotifyInit(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doInotifyInit(t, 0)
}

func inotifyInit1(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doInotifyInit(t, int(int32(a[0])))
}

func doInotifyInit(t *kernel.Task, flags int) (uintptr, error) {
	if flags&^ipc.InotifyInitFlags != 0 {
		return 0, unix.EINVAL
	}
	ch, err := t.InotifyCharges()
	if err != nil {
		return 0, err
	}
	f, err := ipc.NewInotify(t, t.Kernel().VFS(), flags, ch)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.IN_CLOEXEC != 0)
}

// inotifyOf returns the instance at fd: EBADF for no file, EINVAL for
// another kind of file. The caller drops the file's reference.
func inotifyOf(t *kernel.Task, fd uintptr) (*ipc.Inotify, func(), error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	in := ipc.InotifyOf(f)
	if in == nil {
		f.DecRef(t)
		return nil, nil, unix.EINVAL
	}
	return in, func() { f.DecRef(t) }, nil
}

// inotify_add_watch(fd, pathname, mask): the checks in Linux's order.
func inotifyAddWatch(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	mask := uint32(a[2])
	if mask&ipc.InotifyWatchBits == 0 {
		return 0, unix.EINVAL
	}
	if mask&unix.IN_MASK_ADD != 0 && mask&unix.IN_MASK_CREATE != 0 {
		return 0, unix.EINVAL
	}
	in, put, err := inotifyOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer put()
	p, err := attrTarget(t, cwdFD, a[1], mask&unix.IN_DONT_FOLLOW == 0, false)
	if err != nil {
		return 0, err
	}
	if mask&unix.IN_ONLYDIR != 0 && !p.Dentry.IsDir() {
		return 0, unix.ENOTDIR
	}
	if err := t.Kernel().VFS().CheckPermission(t, p, auth.MayRead); err != nil {
		return 0, err
	}
	if mask&unix.IN_ALL_EVENTS == 0 {
		return 0, unix.EINVAL
	}
	wd, err := in.AddWatch(p.Dentry, mask&ipc.InotifyWatchBits)
	return uintptr(wd), err
}

// inotify_rm_watch(fd, wd).
func inotifyRmWatch(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	in, put, err := inotifyOf(t, a[0])
	if err != nil {
		return 0, err
	}
	defer put()
	return 0, in.RemoveWatch(int32(a[1]))
}
