package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// The new mount API: fsopen, fsconfig, fsmount, fspick, move_mount,
// open_tree, open_tree_attr and mount_setattr, over the VFS's mount
// contexts (vfs/mountctx.go) and detached trees (vfs/mountapi.go); and
// the mount listing calls statmount and listmount.

// mountAPINote is the table note of fsopen, fsconfig and fsmount.
const mountAPINote = "parameters of tmpfs are checked when set; those of other types when FSCONFIG_CMD_CREATE makes the file system; \"ro\" makes the mount read-only (kite has no superblock flags); sync, dirsync, lazytime and mand are EINVAL"

// Constants of linux/mount.h that x/sys/unix lacks.
const (
	fsconfigCmdCreateExcl = 8
	moveMountBeneath      = 0x200
	moveMountMask         = 0x377
	mountAttrSizeVer0     = 32
	mntIDReqSizeVer0      = 24
	mntIDReqSizeVer1      = 32
	lsmtRoot              = ^uint64(0)
	listmountReverse      = 1
	listmountMax          = 1000000
	statmountSize         = 512
)

// statmount's request mask bits (STATMOUNT_*).
const (
	smSBBasic       = 0x1
	smMntBasic      = 0x2
	smPropagateFrom = 0x4
	smMntRoot       = 0x8
	smMntPoint      = 0x10
	smFSType        = 0x20
	smMntNSID       = 0x40
	smFSSubtype     = 0x100
	smSBSource      = 0x200
	smOptSecArray   = 0x800
	smSupportedMask = 0x1000
	smMntUIDMap     = 0x2000
	smMntGIDMap     = 0x4000
	// smSupported are the bits kite answers: not the mount options
	// (STATMOUNT_MNT_OPTS, STATMOUNT_OPT_ARRAY), which kite's file
	// systems do not keep as strings.
	smSupported = smSBBasic | smMntBasic | smPropagateFrom | smMntRoot | smMntPoint | smFSType |
		smMntNSID | smFSSubtype | smSBSource | smOptSecArray | smSupportedMask | smMntUIDMap | smMntGIDMap
)

// copyInParamString reads an fsconfig or fsopen string of at most max-1
// bytes (Linux's strndup_user: EINVAL when longer, EFAULT when
// unreadable).
func copyInParamString(t *kernel.Task, addr uintptr, max int) (string, error) {
	s, err := t.CopyInString(addr, max)
	if err == unix.ENAMETOOLONG {
		return "", unix.EINVAL
	}
	if err != nil {
		return "", unix.EFAULT
	}
	return s, nil
}

func fsopen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[1])
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	if flags&^unix.FSOPEN_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	name, err := copyInParamString(t, a[0], 4096)
	if err != nil {
		return 0, err
	}
	f, err := t.Kernel().VFS().NewMountContext(t, name)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.FSOPEN_CLOEXEC != 0)
}

// mountContext returns the mount context of fd: EBADF for no file,
// EINVAL for another kind of file.
func mountContext(t *kernel.Task, fd uintptr) (*vfs.MountContext, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, err
	}
	defer f.DecRef(t)
	mc := vfs.MountContextOf(f)
	if mc == nil {
		return nil, unix.EINVAL
	}
	return mc, nil
}

func fsconfig(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, cmd, keyAddr, valAddr, aux := int32(a[0]), uint32(a[1]), a[2], a[3], int32(a[4])
	if fd < 0 {
		return 0, unix.EINVAL
	}
	switch cmd {
	case unix.FSCONFIG_SET_FLAG:
		if keyAddr == 0 || valAddr != 0 || aux != 0 {
			return 0, unix.EINVAL
		}
	case unix.FSCONFIG_SET_STRING:
		if keyAddr == 0 || valAddr == 0 || aux != 0 {
			return 0, unix.EINVAL
		}
	case unix.FSCONFIG_SET_BINARY:
		if keyAddr == 0 || valAddr == 0 || aux <= 0 || aux > 1024*1024 {
			return 0, unix.EINVAL
		}
	case unix.FSCONFIG_SET_PATH, unix.FSCONFIG_SET_PATH_EMPTY:
		if keyAddr == 0 || valAddr == 0 || (aux != atFDCWD && aux < 0) {
			return 0, unix.EINVAL
		}
	case unix.FSCONFIG_SET_FD:
		if keyAddr == 0 || valAddr != 0 || aux < 0 {
			return 0, unix.EINVAL
		}
	case unix.FSCONFIG_CMD_CREATE, unix.FSCONFIG_CMD_RECONFIGURE:
		if keyAddr != 0 || valAddr != 0 || aux != 0 {
			return 0, unix.EINVAL
		}
	default:
		// FSCONFIG_CMD_CREATE_EXCL (Linux 6.6) is refused as an
		// older Linux refuses it.
		return 0, unix.EOPNOTSUPP
	}
	mc, err := mountContext(t, uintptr(fd))
	if err != nil {
		return 0, err
	}
	switch cmd {
	case unix.FSCONFIG_CMD_CREATE:
		return 0, mc.Create(t, mayMount(t))
	case unix.FSCONFIG_CMD_RECONFIGURE:
		return 0, mc.Reconfigure(mayMount(t))
	}
	key, err := copyInParamString(t, keyAddr, 256)
	if err != nil {
		return 0, err
	}
	kind, value := vfs.ParamOther, ""
	switch cmd {
	case unix.FSCONFIG_SET_FLAG:
		kind = vfs.ParamFlag
	case unix.FSCONFIG_SET_STRING:
		kind = vfs.ParamString
		if value, err = copyInParamString(t, valAddr, 256); err != nil {
			return 0, err
		}
	case unix.FSCONFIG_SET_BINARY:
		if err := copyInFull(t, valAddr, make([]byte, aux)); err != nil {
			return 0, err
		}
	case unix.FSCONFIG_SET_PATH, unix.FSCONFIG_SET_PATH_EMPTY:
		// kite's file systems take no path parameter: the name is
		// read, not resolved.
		if _, err := copyInPath(t, valAddr); err != nil && (err != unix.ENOENT || cmd == unix.FSCONFIG_SET_PATH) {
			return 0, err
		}
	case unix.FSCONFIG_SET_FD:
		f, err := getFile(t, uintptr(aux))
		if err != nil {
			return 0, err
		}
		f.DecRef(t)
	}
	return 0, mc.Set(key, kind, value)
}

// mountAttrBits pairs the MOUNT_ATTR_* flags with kite's MS_* mount
// flags (the atime mode's NOATIME among them).
func mountAttrBits() [7]struct {
	attr uint64
	ms   uint32
} {
	return [7]struct {
		attr uint64
		ms   uint32
	}{
		{unix.MOUNT_ATTR_RDONLY, vfs.MountReadOnly},
		{unix.MOUNT_ATTR_NOSUID, vfs.MountNoSUID},
		{unix.MOUNT_ATTR_NODEV, vfs.MountNoDev},
		{unix.MOUNT_ATTR_NOEXEC, vfs.MountNoExec},
		{unix.MOUNT_ATTR_NOATIME, unix.MS_NOATIME},
		{unix.MOUNT_ATTR_NODIRATIME, unix.MS_NODIRATIME},
		{unix.MOUNT_ATTR_NOSYMFOLLOW, vfs.MountNoSymFollow},
	}
}

// mountAttrFlags converts MOUNT_ATTR_* flags other than the atime ones
// into kite's MS_* mount flags.
func mountAttrFlags(attr uint64) uint32 {
	var fl uint32
	for _, m := range mountAttrBits() {
		if attr&m.attr != 0 && m.attr&unix.MOUNT_ATTR__ATIME == 0 {
			fl |= m.ms
		}
	}
	return fl
}

// atimeFlags converts the MOUNT_ATTR__ATIME field into MS_* atime flags;
// false for a value that names no atime mode.
func atimeFlags(attr uint64) (uint32, bool) {
	switch attr & unix.MOUNT_ATTR__ATIME {
	case unix.MOUNT_ATTR_RELATIME:
		return unix.MS_RELATIME, true
	case unix.MOUNT_ATTR_NOATIME:
		return unix.MS_NOATIME, true
	case unix.MOUNT_ATTR_STRICTATIME:
		return 0, true
	}
	return 0, false
}

// fsmountAttrs are the MOUNT_ATTR_* flags fsmount takes.
const fsmountAttrs = unix.MOUNT_ATTR_RDONLY | unix.MOUNT_ATTR_NOSUID | unix.MOUNT_ATTR_NODEV | unix.MOUNT_ATTR_NOEXEC |
	unix.MOUNT_ATTR__ATIME | unix.MOUNT_ATTR_NODIRATIME | unix.MOUNT_ATTR_NOSYMFOLLOW

func fsmount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags, attr := uint32(a[1]), uint64(uint32(a[2]))
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	if flags&^unix.FSMOUNT_CLOEXEC != 0 || attr&^fsmountAttrs != 0 {
		return 0, unix.EINVAL
	}
	atime, ok := atimeFlags(attr)
	if !ok {
		return 0, unix.EINVAL
	}
	mc, err := mountContext(t, a[0])
	if err != nil {
		return 0, err
	}
	m, err := mc.Mount(t, mountAttrFlags(attr)|atime, t.Namespaces().Mount.VFS)
	if err != nil {
		return 0, err
	}
	return installFile(t, t.Kernel().VFS().OpenDetached(t, m), flags&unix.FSMOUNT_CLOEXEC != 0)
}

func fspick(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[2])
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	if flags&^(unix.FSPICK_CLOEXEC|unix.FSPICK_SYMLINK_NOFOLLOW|unix.FSPICK_NO_AUTOMOUNT|unix.FSPICK_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	p, err := attrTarget(t, a[0], a[1], flags&unix.FSPICK_SYMLINK_NOFOLLOW == 0, flags&unix.FSPICK_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	if !inCallerNS(t, p) {
		// Reconfiguring is mayMount's right over the caller's own
		// namespace only: a mount of another (reached by a descriptor
		// kept over unshare) is refused, where Linux refuses the
		// reconfigure for want of the capability over its superblock.
		return 0, unix.EPERM
	}
	f, err := t.Kernel().VFS().PickMountContext(t, p)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.FSPICK_CLOEXEC != 0)
}

// inCallerNS reports whether p's mount is in the caller's mount
// namespace (Linux's check_mnt).
func inCallerNS(t *kernel.Task, p vfs.Path) bool {
	return p.Mount != nil && p.Mount.Namespace() == t.Namespaces().Mount.VFS
}

func moveMount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[4])
	if !mayMount(t) {
		return 0, unix.EPERM
	}
	if flags&^moveMountMask != 0 || flags&(unix.MOVE_MOUNT_SET_GROUP|moveMountBeneath) == unix.MOVE_MOUNT_SET_GROUP|moveMountBeneath {
		return 0, unix.EINVAL
	}
	from, err := attrTarget(t, a[0], a[1], flags&unix.MOVE_MOUNT_F_SYMLINKS != 0, flags&unix.MOVE_MOUNT_F_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	to, err := attrTarget(t, a[2], a[3], flags&unix.MOVE_MOUNT_T_SYMLINKS != 0, flags&unix.MOVE_MOUNT_T_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	// A Landlock domain forbids moving mounts (hook_move_mount): a tree
	// moved under an allowed directory would take its rights.
	if err := landlockMount(t); err != nil {
		return 0, err
	}
	if flags&unix.MOVE_MOUNT_SET_GROUP != 0 {
		if !inCallerNS(t, from) || !inCallerNS(t, to) {
			return 0, unix.EINVAL
		}
		return 0, t.Kernel().VFS().SetMountGroup(from, to)
	}
	if flags&moveMountBeneath != 0 {
		// Mounting beneath a mount is not implemented.
		return 0, unix.EINVAL
	}
	// The source is a mount of the caller's namespace or the root of a
	// detached tree; the target is in the caller's namespace.
	if from.Mount == nil || (!inCallerNS(t, from) && !from.Mount.IsDetachedRoot()) || !inCallerNS(t, to) {
		return 0, unix.EINVAL
	}
	return 0, t.Kernel().VFS().MoveMount(t, from, to)
}

// openTreeFlags are the flags open_tree takes.
const openTreeFlags = unix.AT_EMPTY_PATH | unix.AT_NO_AUTOMOUNT | unix.AT_RECURSIVE | unix.AT_SYMLINK_NOFOLLOW |
	unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC

// openTree is open_tree's work, for open_tree and open_tree_attr: the
// file of the path (an O_PATH file), or of a detached copy of its tree
// with OPEN_TREE_CLONE, and the path it is a file of.
func openTree(t *kernel.Task, dirfd, addr uintptr, flags uint32) (*vfs.File, error) {
	if flags&^openTreeFlags != 0 || flags&(unix.AT_RECURSIVE|unix.OPEN_TREE_CLONE) == unix.AT_RECURSIVE {
		return nil, unix.EINVAL
	}
	clone := flags&unix.OPEN_TREE_CLONE != 0
	if clone && !mayMount(t) {
		return nil, unix.EPERM
	}
	p, err := attrTarget(t, dirfd, addr, flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return nil, err
	}
	v := t.Kernel().VFS()
	if !clone {
		return v.OpenPath(t, p, unix.O_PATH)
	}
	if !inCallerNS(t, p) {
		return nil, unix.EINVAL
	}
	m, err := v.CloneTree(p, flags&unix.AT_RECURSIVE != 0, t.MountNamespaceOwner())
	if err != nil {
		return nil, err
	}
	return v.OpenDetached(t, m), nil
}

func openTreeSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[2])
	f, err := openTree(t, a[0], a[1], flags)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.OPEN_TREE_CLOEXEC != 0)
}

// mountAttr is a struct mount_attr read and checked (Linux's
// mount_kattr): MS_* flags to set and clear, a propagation type (0:
// none).
type mountAttr struct {
	set, clr, prop uint32
}

// copyInMountAttr reads and checks mount_setattr's struct mount_attr of
// usize bytes. nop says it changes nothing (and the call then does
// nothing, not even resolve its path).
func copyInMountAttr(t *kernel.Task, addr uintptr, usize uintptr) (attr mountAttr, nop bool, err error) {
	if usize > 4096 {
		return attr, false, unix.E2BIG
	}
	if usize < mountAttrSizeVer0 {
		return attr, false, unix.EINVAL
	}
	if !mayMount(t) {
		return attr, false, unix.EPERM
	}
	b, err := copyInStruct(t, addr, mountAttrSizeVer0, int(usize))
	if err != nil {
		return attr, false, err
	}
	set, clr, prop, usernsFD := getU64(b, 0), getU64(b, 8), getU64(b, 16), getU64(b, 24)
	if set == 0 && clr == 0 && prop == 0 {
		return attr, true, nil
	}
	if prop&^uint64(msPropagation) != 0 || prop&(prop-1) != 0 {
		return attr, false, unix.EINVAL
	}
	valid := uint64(fsmountAttrs | unix.MOUNT_ATTR_IDMAP)
	if (set|clr)&^valid != 0 {
		return attr, false, unix.EINVAL
	}
	attr = mountAttr{set: mountAttrFlags(set), clr: mountAttrFlags(clr), prop: uint32(prop)}
	if clr&unix.MOUNT_ATTR__ATIME != 0 {
		// The atime modes are an enumeration: changing it clears the
		// whole field and sets one mode.
		if clr&unix.MOUNT_ATTR__ATIME != unix.MOUNT_ATTR__ATIME {
			return attr, false, unix.EINVAL
		}
		a, ok := atimeFlags(set)
		if !ok {
			return attr, false, unix.EINVAL
		}
		attr.clr |= unix.MS_RELATIME | unix.MS_NOATIME
		attr.set |= a
	} else if set&unix.MOUNT_ATTR__ATIME != 0 {
		return attr, false, unix.EINVAL
	}
	if (set|clr)&unix.MOUNT_ATTR_IDMAP != 0 {
		if clr&unix.MOUNT_ATTR_IDMAP != 0 || usernsFD > 1<<31-1 {
			return attr, false, unix.EINVAL
		}
		f, err := getFile(t, uintptr(usernsFD))
		if err != nil {
			return attr, false, err
		}
		f.DecRef(t)
		// kite has no idmapped mounts: as Linux for a file system
		// that does not allow them.
		return attr, false, unix.EINVAL
	}
	return attr, false, nil
}

// setMountAttr applies attr to the mount at p (and below it with
// recursive), which must be a mount of the caller's namespace or the
// root of a detached tree.
func setMountAttr(t *kernel.Task, p vfs.Path, attr mountAttr, recursive bool) error {
	if p.Mount == nil || (!inCallerNS(t, p) && !p.Mount.IsDetachedRoot()) {
		return unix.EINVAL
	}
	return t.Kernel().VFS().SetMountAttr(p, attr.set, attr.clr, attr.prop, recursive)
}

func mountSetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[2])
	if flags&^(unix.AT_EMPTY_PATH|unix.AT_RECURSIVE|unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT) != 0 {
		return 0, unix.EINVAL
	}
	attr, nop, err := copyInMountAttr(t, a[3], a[4])
	if err != nil || nop {
		return 0, err
	}
	p, err := attrTarget(t, a[0], a[1], flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	return 0, setMountAttr(t, p, attr, flags&unix.AT_RECURSIVE != 0)
}

func openTreeAttr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags, uattr, usize := uint32(a[2]), a[3], a[4]
	if uattr == 0 && usize != 0 {
		return 0, unix.EINVAL
	}
	f, err := openTree(t, a[0], a[1], flags)
	if err != nil {
		return 0, err
	}
	if uattr != 0 {
		attr, nop, err := copyInMountAttr(t, uattr, usize)
		if err == nil && !nop {
			err = setMountAttr(t, f.Path(), attr, flags&unix.AT_RECURSIVE != 0)
		}
		if err != nil {
			f.DecRef(t)
			return 0, err
		}
	}
	return installFile(t, f, flags&unix.OPEN_TREE_CLOEXEC != 0)
}

// mntIDReq is a struct mnt_id_req read and checked.
type mntIDReq struct {
	mntID, param, nsID uint64
}

// copyInMntIDReq reads statmount's and listmount's request as Linux's
// copy_mnt_id_req: E2BIG for a size over a page (or bytes past kite's
// struct that are not zero), EINVAL for one under the first version, a
// spare field set or a mount id that is not a unique one.
func copyInMntIDReq(t *kernel.Task, addr uintptr) (mntIDReq, error) {
	var sz [4]byte
	if err := copyInFull(t, addr, sz[:]); err != nil {
		return mntIDReq{}, err
	}
	usize := int(getU32(sz[:], 0))
	if usize > 4096 {
		return mntIDReq{}, unix.E2BIG
	}
	if usize < mntIDReqSizeVer0 {
		return mntIDReq{}, unix.EINVAL
	}
	b, err := copyInStruct(t, addr, mntIDReqSizeVer1, usize)
	if err != nil {
		return mntIDReq{}, err
	}
	r := mntIDReq{mntID: getU64(b, 8), param: getU64(b, 16), nsID: getU64(b, 24)}
	if getU32(b, 4) != 0 || r.mntID <= vfs.MountUniqueIDOffset {
		return mntIDReq{}, unix.EINVAL
	}
	return r, nil
}

// requestedNS returns the mount namespace a request names: the caller's
// (mnt_ns_id 0 or its id); ENOENT for any other id, as for a namespace
// that does not exist (kite looks up no other namespace).
func requestedNS(t *kernel.Task, r mntIDReq) (*vfs.MountNamespace, error) {
	ns := t.Namespaces().Mount.VFS
	if r.nsID != 0 && r.nsID != ns.ID() {
		return nil, unix.ENOENT
	}
	return ns, nil
}

// mountAttrOf returns the MOUNT_ATTR_* flags of MS_* mount flags.
func mountAttrOf(flags uint32) uint64 {
	var attr uint64
	for _, m := range mountAttrBits() {
		if flags&m.ms != 0 {
			attr |= m.attr
		}
	}
	if flags&(unix.MS_NOATIME|unix.MS_RELATIME) == 0 {
		attr |= unix.MOUNT_ATTR_STRICTATIME
	}
	return attr
}

func statmount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	bufAddr, bufSize, flags := a[1], a[2], uint32(a[3])
	if flags != 0 {
		return 0, unix.EINVAL
	}
	r, err := copyInMntIDReq(t, a[0])
	if err != nil {
		return 0, err
	}
	ns, err := requestedNS(t, r)
	if err != nil {
		return 0, err
	}
	root := t.FSContext().Root()
	st, err := t.Kernel().VFS().StatMount(ns, r.mntID, root)
	if err != nil {
		return 0, err
	}
	if !st.Reachable && !mayMount(t) {
		return 0, unix.EPERM
	}
	hdr := make([]byte, statmountSize)
	var strs []byte
	var mask uint64
	// A string goes in the string area with its offset in the header.
	// As Linux's, the area starts with a NUL (offset 0 names no
	// string) once a string is asked for, and an empty string is left
	// out and not reported.
	putStr := func(off int, bit uint64, s string) {
		if len(strs) == 0 {
			strs = append(strs, 0)
		}
		if s == "" {
			return
		}
		putU32(hdr, off, uint32(len(strs)))
		mask |= bit
		strs = append(append(strs, s...), 0)
	}
	want := r.param
	if want&smSBBasic != 0 {
		mask |= smSBBasic
		putU32(hdr, 16, unix.Major(st.Dev))
		putU32(hdr, 20, unix.Minor(st.Dev))
		if sfs, err := st.Filesystem.Statfs(t); err == nil {
			putU64(hdr, 24, uint64(sfs.Type))
		}
		// sb_flags stay 0: kite's file systems have no superblock
		// flags (read-only is a mount flag).
	}
	if want&smMntBasic != 0 {
		mask |= smMntBasic
		putU64(hdr, 40, st.ID)
		putU64(hdr, 48, st.ParentID)
		putU32(hdr, 56, uint32(st.OldID))
		putU32(hdr, 60, uint32(st.OldParentID))
		putU64(hdr, 64, mountAttrOf(st.Flags))
		var prop uint64
		if st.Shared != 0 {
			prop |= unix.MS_SHARED
		}
		if st.Master != 0 {
			prop |= unix.MS_SLAVE
		}
		if st.Unbindable {
			prop |= unix.MS_UNBINDABLE
		}
		if prop == 0 {
			prop = unix.MS_PRIVATE
		}
		putU64(hdr, 72, prop)
		putU64(hdr, 80, uint64(st.Shared))
		putU64(hdr, 88, uint64(st.Master))
	}
	if want&smPropagateFrom != 0 {
		mask |= smPropagateFrom
		putU64(hdr, 96, uint64(st.PropagateFrom))
	}
	if want&smFSType != 0 {
		putStr(36, smFSType, st.FSType)
	}
	if want&smMntRoot != 0 {
		putStr(104, smMntRoot, st.Root)
	}
	if want&smMntPoint != 0 {
		point := st.MountPoint
		if !st.Reachable {
			point = ""
		}
		putStr(108, smMntPoint, point)
	}
	if want&smOptSecArray != 0 {
		putStr(140, smOptSecArray, "") // no security module options
	}
	if want&smFSSubtype != 0 {
		putStr(120, smFSSubtype, "") // no subtypes (FUSE)
	}
	if want&smSBSource != 0 {
		putStr(124, smSBSource, st.Source)
	}
	if want&smMntUIDMap != 0 {
		putStr(156, smMntUIDMap, "") // no idmapped mounts
	}
	if want&smMntGIDMap != 0 {
		putStr(164, smMntGIDMap, "")
	}
	if want&smMntNSID != 0 {
		mask |= smMntNSID
		putU64(hdr, 112, st.NamespaceID)
	}
	if want&smSupportedMask != 0 {
		mask |= smSupportedMask
		putU64(hdr, 144, smSupported)
	}
	area := uintptr(0)
	if bufSize > statmountSize {
		area = bufSize - statmountSize
	}
	if uintptr(len(strs)) > area {
		return 0, unix.EOVERFLOW
	}
	if len(strs) > 0 {
		if err := copyOutFull(t, bufAddr+statmountSize, strs); err != nil {
			return 0, err
		}
	}
	n := min(bufSize, statmountSize)
	putU32(hdr, 0, uint32(n)+uint32(len(strs)))
	putU64(hdr, 8, mask)
	return 0, copyOutFull(t, bufAddr, hdr[:n])
}

func listmount(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	idsAddr, nr, flags := a[1], a[2], uint32(a[3])
	if flags&^listmountReverse != 0 {
		return 0, unix.EINVAL
	}
	if nr == 0 {
		return 0, nil
	}
	if nr > listmountMax {
		return 0, unix.EOVERFLOW
	}
	r, err := copyInMntIDReq(t, a[0])
	if err != nil {
		return 0, err
	}
	ns, err := requestedNS(t, r)
	if err != nil {
		return 0, err
	}
	parent := r.mntID
	if parent == lsmtRoot {
		parent = 0
	}
	v := t.Kernel().VFS()
	root := t.FSContext().Root()
	ids, err := v.ListMounts(ns, parent, root, r.param, flags&listmountReverse != 0, int(nr))
	if err != nil {
		return 0, err
	}
	if !v.MountReachable(ns, parent, root) && !mayMount(t) {
		return 0, unix.EPERM
	}
	b := make([]byte, 8*len(ids))
	for i, id := range ids {
		putU64(b, 8*i, id)
	}
	if err := copyOutFull(t, idsAddr, b); err != nil {
		return 0, err
	}
	return uintptr(len(ids)), nil
}
