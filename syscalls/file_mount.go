package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// mount(2) and umount2(2).

// mount flags x/sys/unix spells differently or lacks.
const (
	msMgcMsk      = 0xffff0000
	msMgcVal      = 0xc0ed0000
	msPropagation = unix.MS_SHARED | unix.MS_PRIVATE | unix.MS_SLAVE | unix.MS_UNBINDABLE
)

// copyInOptString reads mount's source, fstype or data string (at most a
// page, as Linux copies them).
func copyInOptString(t *kernel.Task, addr uintptr) (string, error) {
	if addr == 0 {
		return "", nil
	}
	s, err := t.CopyInString(addr, 4096)
	if err != nil && err != unix.ENAMETOOLONG {
		return "", unix.EFAULT
	}
	return s, nil
}

func mount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	srcAddr, targetAddr, typeAddr, flags, dataAddr := a[0], a[1], a[2], uint32(a[3]), a[4]
	if flags&msMgcMsk == msMgcVal {
		flags &^= msMgcMsk
	}
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	v := t.Kernel().VFS()
	target, err := attrTarget(t, cwdFD, targetAddr, true, false)
	if err != nil {
		return 0, err
	}
	switch {
	case flags&unix.MS_REMOUNT != 0:
		return 0, v.Remount(t, target, flags)
	case flags&unix.MS_BIND != 0:
		src, err := attrTarget(t, cwdFD, srcAddr, true, false)
		if err != nil {
			return 0, err
		}
		return 0, v.BindMountTree(t, src, target, flags, flags&unix.MS_REC != 0)
	case flags&msPropagation != 0:
		// Exactly one propagation type may be given.
		p := flags & msPropagation
		if p&(p-1) != 0 {
			return 0, unix.EINVAL
		}
		if target.Mount == nil || target.Dentry != target.Mount.Root().Dentry {
			return 0, unix.EINVAL
		}
		return 0, nil
	case flags&unix.MS_MOVE != 0:
		src, err := attrTarget(t, cwdFD, srcAddr, true, false)
		if err != nil {
			return 0, err
		}
		return 0, v.MoveMount(t, src, target)
	}
	fstype, err := copyInOptString(t, typeAddr)
	if err != nil {
		return 0, err
	}
	source, err := copyInOptString(t, srcAddr)
	if err != nil {
		return 0, err
	}
	data, err := copyInOptString(t, dataAddr)
	if err != nil {
		return 0, err
	}
	return 0, v.NewMount(t, fstype, source, target, flags, data)
}

// umount2 flags.
const (
	mntForce       = 1
	mntDetach      = 2
	mntExpire      = 4
	umountNoFollow = 8
)

func umount2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[1]))
	if flags&^(mntForce|mntDetach|mntExpire|umountNoFollow) != 0 {
		return 0, unix.EINVAL
	}
	if flags&mntExpire != 0 && flags&(mntForce|mntDetach) != 0 {
		return 0, unix.EINVAL
	}
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	target, err := attrTarget(t, cwdFD, a[0], flags&umountNoFollow == 0, false)
	if err != nil {
		return 0, err
	}
	if flags&mntExpire != 0 {
		// Expiry marks need two calls and an unused mount; kite does
		// not track use, so the first call answers as Linux's does.
		return 0, unix.EAGAIN
	}
	v := t.Kernel().VFS()
	if flags&mntDetach != 0 {
		return 0, v.UmountTree(t, target)
	}
	return 0, v.Umount(t, target)
}

// mayMount is Linux's may_mount: CAP_SYS_ADMIN over the user namespace
// that owns the caller's mount namespace.
func mayMount(t *kernel.Task) bool {
	return t.Credentials().HasCapabilityIn(unix.CAP_SYS_ADMIN, t.MountNamespaceOwner())
}
