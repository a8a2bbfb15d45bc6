package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Extended attributes: {,l,f}{get,set,list,remove}xattr and the *xattrat
// calls of Linux 6.13. As in Linux, every call is one of the *at calls:
// the path calls name a path from the cwd (l* without following a final
// symlink), fgetxattr and fsetxattr are the *at calls with AT_EMPTY_PATH
// and a NULL path (so AT_FDCWD names the cwd), and flistxattr and
// fremovexattr take only an open file. The attribute name is read before
// the file is looked up.

// xattrArgsSize is the size of struct xattr_args {u64 value; u32 size;
// u32 flags} (XATTR_ARGS_SIZE_VER0, the only version).
const xattrArgsSize = 16

// xattrAtFlags are the at_flags the *xattrat calls take.
const xattrAtFlags = unix.AT_SYMLINK_NOFOLLOW | unix.AT_EMPTY_PATH

// xattrTarget resolves the file an *xattrat call acts on. With
// AT_EMPTY_PATH a NULL or empty path names dirfd itself: an open file
// that is not O_PATH (EBADF otherwise), or the cwd for AT_FDCWD when
// cwdOK (getxattrat and setxattrat look an empty name up from AT_FDCWD;
// listxattrat and removexattrat take only a file). Without it an empty
// path is ENOENT and a NULL one EFAULT.
func xattrTarget(t *kernel.Task, dirfd, pathAddr uintptr, atFlags uint32, cwdOK bool) (vfs.Path, error) {
	emptyOK := atFlags&unix.AT_EMPTY_PATH != 0
	path := ""
	if pathAddr != 0 || !emptyOK {
		var err error
		if path, err = copyInPath(t, pathAddr); err != nil {
			return vfs.Path{}, err
		}
	}
	if path == "" {
		if !emptyOK {
			return vfs.Path{}, unix.ENOENT
		}
		if cwdOK && int32(dirfd) == atFDCWD {
			return t.FSContext().Cwd(), nil
		}
		return fileTarget(t, dirfd)
	}
	start, err := startPath(t, dirfd, path)
	if err != nil {
		return vfs.Path{}, err
	}
	return t.Kernel().VFS().GetPath(t, t.FSContext(), start, path, atFlags&unix.AT_SYMLINK_NOFOLLOW == 0)
}

// copyInXattrArgs reads a struct xattr_args of usize bytes: value, size
// and flags.
func copyInXattrArgs(t *kernel.Task, addr, usize uintptr) (value uintptr, size uintptr, flags uint32, err error) {
	if usize < xattrArgsSize {
		return 0, 0, 0, unix.EINVAL
	}
	if usize > 4096 { // a page
		return 0, 0, 0, unix.E2BIG
	}
	b, err := copyInStruct(t, addr, xattrArgsSize, int(usize))
	if err != nil {
		return 0, 0, 0, err
	}
	return uintptr(binary.LittleEndian.Uint64(b[0:])), uintptr(binary.LittleEndian.Uint32(b[8:])), binary.LittleEndian.Uint32(b[12:]), nil
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
	return doGetxattr(t, cwdFD, a[0], 0, a[1], a[2], a[3])
}

func lgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetxattr(t, cwdFD, a[0], unix.AT_SYMLINK_NOFOLLOW, a[1], a[2], a[3])
}

func fgetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetxattr(t, a[0], 0, unix.AT_EMPTY_PATH, a[1], a[2], a[3])
}

// getxattrat(dfd, path, at_flags, name, struct xattr_args *, usize).
func getxattrat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	value, size, flags, err := copyInXattrArgs(t, a[4], a[5])
	if err != nil {
		return 0, err
	}
	if flags != 0 {
		return 0, unix.EINVAL
	}
	return doGetxattr(t, a[0], a[1], uint32(a[2]), a[3], value, size)
}

func doGetxattr(t *kernel.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr, buf, size uintptr) (uintptr, error) {
	if atFlags&^xattrAtFlags != 0 {
		return 0, unix.EINVAL
	}
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, true)
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
	return doSetxattr(t, cwdFD, a[0], 0, a[1], a[2], a[3], a[4])
}

func lsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSetxattr(t, cwdFD, a[0], unix.AT_SYMLINK_NOFOLLOW, a[1], a[2], a[3], a[4])
}

func fsetxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSetxattr(t, a[0], 0, unix.AT_EMPTY_PATH, a[1], a[2], a[3], a[4])
}

// setxattrat(dfd, path, at_flags, name, const struct xattr_args *, usize).
func setxattrat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	value, size, flags, err := copyInXattrArgs(t, a[4], a[5])
	if err != nil {
		return 0, err
	}
	return doSetxattr(t, a[0], a[1], uint32(a[2]), a[3], value, size, uintptr(flags))
}

func doSetxattr(t *kernel.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr, value, size, flagsArg uintptr) (uintptr, error) {
	if atFlags&^xattrAtFlags != 0 {
		return 0, unix.EINVAL
	}
	flags := int(int32(flagsArg))
	if flags&^(vfs.XattrCreate|vfs.XattrReplace) != 0 {
		return 0, unix.EINVAL
	}
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	if size > vfs.XattrSizeMax {
		return 0, unix.E2BIG
	}
	val := make([]byte, size)
	if err := copyInFull(t, value, val); err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, true)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().SetXattr(t, p, name, val, flags)
}

func listxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doListxattr(t, cwdFD, a[0], 0, a[1], a[2])
}

func llistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doListxattr(t, cwdFD, a[0], unix.AT_SYMLINK_NOFOLLOW, a[1], a[2])
}

func flistxattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	p, err := fileTarget(t, a[0])
	if err != nil {
		return 0, err
	}
	return listxattrOf(t, p, a[1], a[2])
}

// listxattrat(dfd, path, at_flags, list, size).
func listxattrat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doListxattr(t, a[0], a[1], uint32(a[2]), a[3], a[4])
}

func doListxattr(t *kernel.Task, dirfd, pathAddr uintptr, atFlags uint32, buf, size uintptr) (uintptr, error) {
	if atFlags&^xattrAtFlags != 0 {
		return 0, unix.EINVAL
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, false)
	if err != nil {
		return 0, err
	}
	return listxattrOf(t, p, buf, size)
}

func listxattrOf(t *kernel.Task, p vfs.Path, buf, size uintptr) (uintptr, error) {
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
	return doRemovexattr(t, cwdFD, a[0], 0, a[1])
}

func lremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, cwdFD, a[0], unix.AT_SYMLINK_NOFOLLOW, a[1])
}

// fremovexattr reads the name before it looks at the fd, and takes only
// an open file (AT_FDCWD is EBADF), as removexattrat with AT_EMPTY_PATH.
func fremovexattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, a[0], 0, unix.AT_EMPTY_PATH, a[1])
}

// removexattrat(dfd, path, at_flags, name).
func removexattrat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRemovexattr(t, a[0], a[1], uint32(a[2]), a[3])
}

func doRemovexattr(t *kernel.Task, dirfd, pathAddr uintptr, atFlags uint32, nameAddr uintptr) (uintptr, error) {
	if atFlags&^xattrAtFlags != 0 {
		return 0, unix.EINVAL
	}
	name, err := copyInXattrName(t, nameAddr)
	if err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, dirfd, pathAddr, atFlags, false)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().RemoveXattr(t, p, name)
}
