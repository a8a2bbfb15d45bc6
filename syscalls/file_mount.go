package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
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

// msIgnoredForType are the flags path_mount strips before it looks at
// the operation: the per-mount flags and kernel-internal ones.
const msIgnoredForType = unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV | unix.MS_ACTIVE | unix.MS_BORN |
	unix.MS_NOATIME | unix.MS_NODIRATIME | unix.MS_RELATIME | unix.MS_KERNMOUNT | unix.MS_STRICTATIME |
	unix.MS_NOREMOTELOCK | unix.MS_NOSYMFOLLOW

func mount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	srcAddr, targetAddr, typeAddr, flags, dataAddr := a[0], a[1], a[2], uint32(a[3]), a[4]
	if flags&msMgcMsk == msMgcVal {
		flags &^= msMgcMsk
	}
	v := t.Kernel().VFS()
	target, err := attrTarget(t, cwdFD, targetAddr, true, false)
	if err != nil {
		return 0, err
	}
	if flags&unix.MS_NOUSER != 0 {
		return 0, unix.EINVAL
	}
	if err := landlockMount(t); err != nil {
		return 0, err
	}
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	ns := t.Namespaces().Mount.VFS
	ours := func(p vfs.Path) bool { return p.Mount != nil && p.Mount.Namespace() == ns }
	// A target on a lazily unmounted tree is ENOENT, one in another
	// namespace EINVAL (Linux 6's lock_mount, then check_mnt).
	targetErr := func() error {
		if target.Mount != nil && target.Mount.Namespace() == nil {
			return unix.ENOENT
		}
		return unix.EINVAL
	}
	op := flags &^ msIgnoredForType
	switch {
	case op&unix.MS_REMOUNT != 0:
		return 0, v.Remount(t, target, flags)
	case op&unix.MS_BIND != 0:
		src, err := mountSource(t, srcAddr)
		if err != nil {
			return 0, err
		}
		// A file of no mount (an nsfs file) may be bound if its
		// inode allows it (vfs.PseudoBindable).
		if !ours(target) {
			return 0, targetErr()
		}
		if src.Mount != nil && !ours(src) {
			return 0, unix.EINVAL
		}
		return 0, v.BindMountTree(t, src, target, flags&unix.MS_REC != 0)
	case op&msPropagation != 0:
		// Exactly one propagation type, with MS_REC and MS_SILENT
		// only (Linux's flags_to_propagation_type; MS_NOSUID and the
		// other per-mount flags are refused too).
		if target.Mount == nil || target.Dentry != target.Mount.Root().Dentry {
			return 0, unix.EINVAL
		}
		typ := flags &^ (unix.MS_REC | unix.MS_SILENT)
		if typ&(typ-1) != 0 || typ&^msPropagation != 0 {
			return 0, unix.EINVAL
		}
		return 0, v.SetPropagation(target, typ, op&unix.MS_REC != 0)
	case op&unix.MS_MOVE != 0:
		src, err := mountSource(t, srcAddr)
		if err != nil {
			return 0, err
		}
		if !ours(src) {
			return 0, unix.EINVAL
		}
		if !ours(target) {
			return 0, targetErr()
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
	if !ours(target) {
		return 0, targetErr()
	}
	return 0, v.NewMount(t, fstype, source, target, flags, data)
}

// mountSource resolves the source path of a bind or move (EINVAL when
// there is none, as Linux's do_loopback and do_move_mount_old).
func mountSource(t *kernel.Task, addr uintptr) (vfs.Path, error) {
	if addr == 0 {
		return vfs.Path{}, unix.EINVAL
	}
	s, err := copyInOptString(t, addr)
	if err != nil {
		return vfs.Path{}, err
	}
	if s == "" {
		return vfs.Path{}, unix.EINVAL
	}
	return attrTarget(t, cwdFD, addr, true, false)
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
	// As Linux's ksys_umount: the path first, then the privilege, then
	// what is mounted there, then the flags' combinations.
	target, err := attrTarget(t, cwdFD, a[0], flags&umountNoFollow == 0, false)
	if err != nil {
		return 0, err
	}
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	v := t.Kernel().VFS()
	// umount looks at what is mounted on the path (LOOKUP_MOUNTPOINT):
	// "." after pivot_root(".", ".") is the old root on top of the cwd.
	target = v.FollowMounts(target)
	if target.Mount == nil || target.Mount.Namespace() != t.Namespaces().Mount.VFS || target.Dentry != target.Mount.Root().Dentry {
		return 0, unix.EINVAL
	}
	if err := landlockMount(t); err != nil {
		return 0, err
	}
	if flags&mntExpire != 0 {
		if flags&(mntForce|mntDetach) != 0 {
			return 0, unix.EINVAL
		}
		// Expiry marks need two calls and an unused mount; kite does
		// not track use, so the first call answers as Linux's does.
		return 0, unix.EAGAIN
	}
	if flags&mntDetach != 0 {
		return 0, v.UmountTree(t, target)
	}
	if target.Mount == t.FSContext().Root().Mount {
		// The mount of the caller's root is made read-only instead
		// (umount / at shutdown), as Linux.
		return 0, v.RemountRootReadOnly(target)
	}
	return 0, v.Umount(t, target)
}

// mayMount is Linux's may_mount: CAP_SYS_ADMIN over the user namespace
// that owns the caller's mount namespace.
func mayMount(t *kernel.Task) bool {
	return t.Credentials().HasCapabilityIn(unix.CAP_SYS_ADMIN, t.MountNamespaceOwner())
}

// dirPath resolves a path that must name a directory (LOOKUP_DIRECTORY).
func dirPath(t *kernel.Task, addr uintptr) (vfs.Path, error) {
	p, err := attrTarget(t, cwdFD, addr, true, false)
	if err != nil {
		return vfs.Path{}, err
	}
	if !p.Dentry.IsDir() {
		return vfs.Path{}, unix.ENOTDIR
	}
	return p, nil
}

// pivotRoot is pivot_root(2): the mount at new_root becomes the root of
// the caller's mount namespace, the old root goes on put_old, and every
// process whose root or cwd was the old root moves to the new one.
func pivotRoot(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	newRoot, err := dirPath(t, a[0])
	if err != nil {
		return 0, err
	}
	putOld, err := dirPath(t, a[1])
	if err != nil {
		return 0, err
	}
	if err := landlockMount(t); err != nil {
		return 0, err
	}
	v := t.Kernel().VFS()
	root := t.FSContext().Root()
	if err := v.PivotRoot(t.Namespaces().Mount.VFS, root, newRoot, v.FollowMounts(putOld)); err != nil {
		return 0, err
	}
	t.Kernel().ChrootFSRefs(root, newRoot)
	return 0, nil
}
