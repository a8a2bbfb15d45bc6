package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Path-name system calls: directories, links, renames, attributes, the
// working directory and the umask.

// pathArg reads a path argument and where it resolves from.
func pathArg(t *kernel.Task, dirfd, addr uintptr) (vfs.Path, string, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return vfs.Path{}, "", err
	}
	if path == "" {
		return vfs.Path{}, "", unix.ENOENT
	}
	start, err := startPath(t, dirfd, path)
	if err != nil {
		return vfs.Path{}, "", err
	}
	return start, path, nil
}

// cwdFD is AT_FDCWD as a syscall argument.
const cwdFD = uintptr(0xffffff9c)

func mkdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doMkdir(t, cwdFD, a[0], uint32(a[1]))
}

func mkdirat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doMkdir(t, a[0], a[1], uint32(a[2]))
}

func doMkdir(t *kernel.Task, dirfd, addr uintptr, mode uint32) (uintptr, error) {
	start, path, err := pathArg(t, dirfd, addr)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().MkdirAt(t, t.FSContext(), start, path, mode)
}

func mknod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doMknod(t, cwdFD, a[0], uint32(a[1]), a[2])
}

func mknodat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doMknod(t, a[0], a[1], uint32(a[2]), a[3])
}

func doMknod(t *kernel.Task, dirfd, addr uintptr, mode uint32, dev uintptr) (uintptr, error) {
	start, path, err := pathArg(t, dirfd, addr)
	if err != nil {
		return 0, err
	}
	// The syscall's dev_t is the 32-bit "new_encode_dev" form.
	d := uint32(dev)
	major, minor := (d&0xfff00)>>8, (d&0xff)|((d>>12)&0xfff00)
	return 0, t.Kernel().VFS().MknodAt(t, t.FSContext(), start, path, mode, unix.Mkdev(major, minor))
}

func rmdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().RmdirAt(t, t.FSContext(), start, path)
}

func unlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().UnlinkAt(t, t.FSContext(), start, path)
}

func unlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[2]))
	if flags&^unix.AT_REMOVEDIR != 0 {
		return 0, unix.EINVAL
	}
	start, path, err := pathArg(t, a[0], a[1])
	if err != nil {
		return 0, err
	}
	if flags&unix.AT_REMOVEDIR != 0 {
		return 0, t.Kernel().VFS().RmdirAt(t, t.FSContext(), start, path)
	}
	return 0, t.Kernel().VFS().UnlinkAt(t, t.FSContext(), start, path)
}

func rename(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRename(t, cwdFD, a[0], cwdFD, a[1], 0)
}

func renameat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRename(t, a[0], a[1], a[2], a[3], 0)
}

func renameat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRename(t, a[0], a[1], a[2], a[3], uint32(a[4]))
}

func doRename(t *kernel.Task, olddirfd, oldAddr, newdirfd, newAddr uintptr, flags uint32) (uintptr, error) {
	if flags&^(vfs.RenameNoReplace|vfs.RenameExchange|vfs.RenameWhiteout) != 0 {
		return 0, unix.EINVAL
	}
	if flags&vfs.RenameNoReplace != 0 && flags&(vfs.RenameExchange|vfs.RenameWhiteout) != 0 {
		return 0, unix.EINVAL
	}
	if flags&vfs.RenameExchange != 0 && flags&vfs.RenameWhiteout != 0 {
		return 0, unix.EINVAL
	}
	oldStart, oldPath, err := pathArg(t, olddirfd, oldAddr)
	if err != nil {
		return 0, err
	}
	newStart, newPath, err := pathArg(t, newdirfd, newAddr)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().RenameAt(t, t.FSContext(), oldStart, oldPath, newStart, newPath, flags)
}

func symlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSymlink(t, a[0], cwdFD, a[1])
}

func symlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSymlink(t, a[0], a[1], a[2])
}

func doSymlink(t *kernel.Task, targetAddr, dirfd, addr uintptr) (uintptr, error) {
	target, err := copyInPath(t, targetAddr)
	if err != nil {
		return 0, err
	}
	start, path, err := pathArg(t, dirfd, addr)
	if err != nil {
		return 0, err
	}
	if target == "" {
		return 0, unix.ENOENT
	}
	return 0, t.Kernel().VFS().SymlinkAt(t, t.FSContext(), target, start, path)
}

func link(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doLink(t, cwdFD, a[0], cwdFD, a[1], 0)
}

func linkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doLink(t, a[0], a[1], a[2], a[3], int(int32(a[4])))
}

func doLink(t *kernel.Task, olddirfd, oldAddr, newdirfd, newAddr uintptr, flags int) (uintptr, error) {
	if flags&^(unix.AT_SYMLINK_FOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	v, fsc := t.Kernel().VFS(), t.FSContext()
	oldPath, err := copyInPath(t, oldAddr)
	if err != nil {
		return 0, err
	}
	var old vfs.Path
	if oldPath == "" && flags&unix.AT_EMPTY_PATH != 0 {
		p, f, err := fdPath(t, olddirfd)
		if err != nil {
			return 0, err
		}
		// Linking an fd needs the credentials that opened it (the
		// same credentials: not changed since, not a forked child's)
		// or CAP_DAC_READ_SEARCH over their user namespace, as Linux
		// 6.10's LOOKUP_LINKAT_EMPTY. AT_FDCWD names the working
		// directory, which link refuses.
		if f != nil {
			opener, c := f.Credentials(), t.Credentials()
			f.DecRef(t)
			if opener != c && (opener == nil || !c.HasCapabilityIn(unix.CAP_DAC_READ_SEARCH, opener.UserNamespace)) {
				return 0, unix.ENOENT
			}
		}
		old = p
	} else {
		if oldPath == "" {
			return 0, unix.ENOENT
		}
		start, err := startPath(t, olddirfd, oldPath)
		if err != nil {
			return 0, err
		}
		old, err = v.GetPath(t, fsc, start, oldPath, flags&unix.AT_SYMLINK_FOLLOW != 0)
		if err != nil {
			return 0, err
		}
	}
	newStart, newPath, err := pathArg(t, newdirfd, newAddr)
	if err != nil {
		return 0, err
	}
	return 0, v.LinkPath(t, fsc, old, newStart, newPath)
}

func readlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doReadlink(t, cwdFD, a[0], a[1], a[2])
}

func readlinkat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doReadlink(t, a[0], a[1], a[2], a[3])
}

func doReadlink(t *kernel.Task, dirfd, addr, buf, size uintptr) (uintptr, error) {
	if int32(size) <= 0 {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return 0, err
	}
	v := t.Kernel().VFS()
	var target string
	if path == "" {
		// An empty path reads dirfd itself (an O_PATH|O_NOFOLLOW
		// symlink); anything else is ENOENT.
		p, f, err := fdPath(t, dirfd)
		if err != nil {
			return 0, err
		}
		if f != nil {
			f.DecRef(t)
		}
		if !p.Dentry.IsSymlink() {
			return 0, unix.ENOENT
		}
		target, err = v.Readlink(t, p)
		if err != nil {
			return 0, err
		}
	} else {
		start, err := startPath(t, dirfd, path)
		if err != nil {
			return 0, err
		}
		target, err = v.ReadlinkAt(t, t.FSContext(), start, path)
		if err != nil {
			return 0, err
		}
	}
	b := []byte(target)
	if uintptr(len(b)) > uintptr(int32(size)) {
		b = b[:int32(size)]
	}
	if err := copyOutFull(t, buf, b); err != nil {
		return 0, err
	}
	return uintptr(len(b)), nil
}

func access(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAccess(t, cwdFD, a[0], a[1], 0)
}

func faccessat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAccess(t, a[0], a[1], a[2], 0)
}

func faccessat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAccess(t, a[0], a[1], a[2], int(int32(a[3])))
}

func doAccess(t *kernel.Task, dirfd, addr, mode uintptr, flags int) (uintptr, error) {
	if mode&^7 != 0 {
		return 0, unix.EINVAL
	}
	if flags&^(unix.AT_EACCESS|unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, addr)
	if err != nil {
		return 0, err
	}
	if path == "" {
		if flags&unix.AT_EMPTY_PATH == 0 {
			return 0, unix.ENOENT
		}
		path = "."
		if p, f, err := fdPath(t, dirfd); err != nil {
			return 0, err
		} else {
			if f != nil {
				f.DecRef(t)
			}
			if !p.Dentry.IsDir() {
				return 0, accessPath(t, p, uint32(mode), flags)
			}
		}
	}
	start, err := startPath(t, dirfd, path)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().AccessAt(t, t.FSContext(), start, path, uint32(mode), flags)
}

// accessPath checks access to an already-resolved non-directory (an fd
// with AT_EMPTY_PATH).
func accessPath(t *kernel.Task, p vfs.Path, mode uint32, flags int) error {
	if mode == 0 {
		return nil
	}
	want := 0
	if mode&unix.R_OK != 0 {
		want |= 4
	}
	if mode&unix.W_OK != 0 {
		want |= 2
	}
	if mode&unix.X_OK != 0 {
		want |= 1
	}
	return t.Kernel().VFS().CheckPermission(t, p, want)
}

func getcwd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fsc := t.FSContext()
	v := t.Kernel().VFS()
	cwd, root := fsc.Cwd(), fsc.Root()
	if cwd.Dentry.Dead() {
		return 0, unix.ENOENT
	}
	name := v.PathName(root, cwd)
	if !v.IsReachable(root, cwd) {
		name = "(unreachable)" + name
	}
	b := append([]byte(name), 0)
	if uintptr(len(b)) > a[1] {
		return 0, unix.ERANGE
	}
	if err := copyOutFull(t, a[0], b); err != nil {
		return 0, err
	}
	return uintptr(len(b)), nil
}

func chdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	v, fsc := t.Kernel().VFS(), t.FSContext()
	p, err := v.GetPath(t, fsc, start, path, true)
	if err != nil {
		return 0, err
	}
	return 0, v.Chdir(t, fsc, p)
}

func fchdir(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	p := f.Path()
	if p.Mount == nil {
		return 0, unix.ENOTDIR
	}
	return 0, t.Kernel().VFS().Chdir(t, t.FSContext(), p)
}

func chroot(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	v, fsc := t.Kernel().VFS(), t.FSContext()
	p, err := v.GetPath(t, fsc, start, path, true)
	if err != nil {
		return 0, err
	}
	if !p.Dentry.IsDir() {
		return 0, unix.ENOTDIR
	}
	if err := v.CheckPermission(t, p, auth.MayExec); err != nil {
		return 0, err
	}
	if !t.Credentials().HasCapability(unix.CAP_SYS_CHROOT) {
		return 0, unix.EPERM
	}
	fsc.SetRoot(p)
	return 0, nil
}

func umask(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return uintptr(t.FSContext().SwapUmask(uint32(a[0]) & 0o777)), nil
}

func truncate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	v := t.Kernel().VFS()
	if int64(a[1]) < 0 {
		return 0, unix.EINVAL
	}
	p, err := v.GetPath(t, t.FSContext(), start, path, true)
	if err != nil {
		return 0, err
	}
	return 0, v.Truncate(t, p, int64(a[1]))
}

// attrTarget resolves the file a chmod/chown/utimes-style call acts on:
// a path (following a final symlink if follow), or dirfd itself with
// AT_EMPTY_PATH and an empty path.
func attrTarget(t *kernel.Task, dirfd, addr uintptr, follow, emptyPath bool) (vfs.Path, error) {
	path, err := copyInPath(t, addr)
	if err != nil {
		return vfs.Path{}, err
	}
	if path == "" {
		if !emptyPath {
			return vfs.Path{}, unix.ENOENT
		}
		p, f, err := fdPath(t, dirfd)
		if err != nil {
			return vfs.Path{}, err
		}
		if f != nil {
			f.DecRef(t)
		}
		return p, nil
	}
	start, err := startPath(t, dirfd, path)
	if err != nil {
		return vfs.Path{}, err
	}
	return t.Kernel().VFS().GetPath(t, t.FSContext(), start, path, follow)
}

// fileTarget returns the location of an open file for fchmod/fchown
// (O_PATH files give EBADF).
func fileTarget(t *kernel.Task, fd uintptr) (vfs.Path, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return vfs.Path{}, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return vfs.Path{}, unix.EBADF
	}
	return f.Path(), nil
}

func chmod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := attrTarget(t, cwdFD, a[0], true, false)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chmod(t, p, uint32(a[1]))
}

func fchmod(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := fileTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chmod(t, p, uint32(a[1]))
}

func fchmodat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := attrTarget(t, a[0], a[1], true, false)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chmod(t, p, uint32(a[2]))
}

func fchmodat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[3]))
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	p, err := attrTarget(t, a[0], a[1], flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	if p.Dentry.IsSymlink() {
		// Linux has no modes for symbolic links to change.
		return 0, unix.EOPNOTSUPP
	}
	return 0, t.Kernel().VFS().Chmod(t, p, uint32(a[2]))
}

// ownerArg turns a uid_t/gid_t argument into the int64 Chown takes
// (-1 keeps the current value).
func ownerArg(v uintptr) int64 {
	if uint32(v) == ^uint32(0) {
		return -1
	}
	return int64(uint32(v))
}

// chownIDs maps chown's uid and gid (-1: unchanged) from t's user
// namespace to kernel ids; an unmapped id is EINVAL.
func chownIDs(t *kernel.Task, u, g uintptr) (int64, int64, error) {
	uid, gid := ownerArg(u), ownerArg(g)
	ns := t.UserNamespace()
	if uid != -1 {
		k, ok := ns.MapUIDToKernel(uint32(uid))
		if !ok {
			return 0, 0, unix.EINVAL
		}
		uid = int64(k)
	}
	if gid != -1 {
		k, ok := ns.MapGIDToKernel(uint32(gid))
		if !ok {
			return 0, 0, unix.EINVAL
		}
		gid = int64(k)
	}
	return uid, gid, nil
}

func chown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := attrTarget(t, cwdFD, a[0], true, false)
	if err != nil {
		return 0, err
	}
	uid, gid, err := chownIDs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chown(t, p, uid, gid)
}

func lchown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := attrTarget(t, cwdFD, a[0], false, false)
	if err != nil {
		return 0, err
	}
	uid, gid, err := chownIDs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chown(t, p, uid, gid)
}

func fchown(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := fileTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	uid, gid, err := chownIDs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chown(t, p, uid, gid)
}

func fchownat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[4]))
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	p, err := attrTarget(t, a[0], a[1], flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	if err != nil {
		return 0, err
	}
	uid, gid, err := chownIDs(t, a[2], a[3])
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Chown(t, p, uid, gid)
}

func utimensat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[3]))
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	var times *[2]unix.Timespec
	if a[2] != 0 {
		var b [32]byte
		if err := copyInFull(t, a[2], b[:]); err != nil {
			return 0, err
		}
		times = &[2]unix.Timespec{
			{Sec: int64(getU64(b[:], 0)), Nsec: int64(getU64(b[:], 8))},
			{Sec: int64(getU64(b[:], 16)), Nsec: int64(getU64(b[:], 24))},
		}
		for _, ts := range times {
			if ts.Nsec != vfs.UtimeNow && ts.Nsec != vfs.UtimeOmit && (ts.Nsec < 0 || ts.Nsec >= 1e9) {
				return 0, unix.EINVAL
			}
		}
		if times[0].Nsec == vfs.UtimeOmit && times[1].Nsec == vfs.UtimeOmit {
			return 0, nil
		}
	}
	var p vfs.Path
	var err error
	if a[1] == 0 {
		// futimens: a NULL path means dirfd itself.
		if int32(a[0]) == atFDCWD {
			return 0, unix.EFAULT
		}
		if flags&unix.AT_SYMLINK_NOFOLLOW != 0 {
			return 0, unix.EINVAL
		}
		p, err = fileTarget(t, a[0])
	} else {
		p, err = attrTarget(t, a[0], a[1], flags&unix.AT_SYMLINK_NOFOLLOW == 0, flags&unix.AT_EMPTY_PATH != 0)
	}
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Utimes(t, p, times)
}

// copyInTimevals reads a struct timeval[2] into timespecs (EINVAL for
// microseconds out of range).
func copyInTimevals(t *kernel.Task, addr uintptr) (*[2]unix.Timespec, error) {
	if addr == 0 {
		return nil, nil
	}
	var b [32]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return nil, err
	}
	var ts [2]unix.Timespec
	for i := range ts {
		sec, usec := int64(getU64(b[:], 16*i)), int64(getU64(b[:], 16*i+8))
		if usec < 0 || usec >= 1e6 {
			return nil, unix.EINVAL
		}
		ts[i] = unix.Timespec{Sec: sec, Nsec: usec * 1000}
	}
	return &ts, nil
}

func utimes(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doUtimes(t, cwdFD, a[0], a[1])
}

func futimesat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doUtimes(t, a[0], a[1], a[2])
}

func doUtimes(t *kernel.Task, dirfd, addr, tv uintptr) (uintptr, error) {
	times, err := copyInTimevals(t, tv)
	if err != nil {
		return 0, err
	}
	var p vfs.Path
	if addr == 0 {
		// futimesat with a NULL path acts on dirfd (futimes).
		p, err = fileTarget(t, dirfd)
	} else {
		p, err = attrTarget(t, dirfd, addr, true, false)
	}
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Utimes(t, p, times)
}

func utime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var times *[2]unix.Timespec
	if a[1] != 0 {
		var b [16]byte
		if err := copyInFull(t, a[1], b[:]); err != nil {
			return 0, err
		}
		times = &[2]unix.Timespec{{Sec: int64(getU64(b[:], 0))}, {Sec: int64(getU64(b[:], 8))}}
	}
	p, err := attrTarget(t, cwdFD, a[0], true, false)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().Utimes(t, p, times)
}
