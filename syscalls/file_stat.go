package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// stat, statx, statfs and directory listings.

// userStat returns st with its owner as t's user namespace sees it.
func userStat(t *kernel.Task, st *vfs.Stat) *vfs.Stat {
	st.UID, st.GID = t.UID(st.UID), t.GID(st.GID)
	return st
}

// encodeStat encodes a struct stat (amd64, 144 bytes).
func encodeStat(st *vfs.Stat) []byte {
	b := make([]byte, 144)
	putU64(b, 0, st.Dev)
	putU64(b, 8, st.Ino)
	putU64(b, 16, st.Nlink)
	putU32(b, 24, st.Mode)
	putU32(b, 28, st.UID)
	putU32(b, 32, st.GID)
	putU64(b, 40, st.Rdev)
	putU64(b, 48, uint64(st.Size))
	putU64(b, 56, uint64(st.Blksize))
	putU64(b, 64, uint64(st.Blocks))
	putU64(b, 72, uint64(st.Atime.Sec))
	putU64(b, 80, uint64(st.Atime.Nsec))
	putU64(b, 88, uint64(st.Mtime.Sec))
	putU64(b, 96, uint64(st.Mtime.Nsec))
	putU64(b, 104, uint64(st.Ctime.Sec))
	putU64(b, 112, uint64(st.Ctime.Nsec))
	return b
}

func stat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doStat(t, cwdFD, a[0], a[1], 0)
}

func lstat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doStat(t, cwdFD, a[0], a[1], unix.AT_SYMLINK_NOFOLLOW)
}

func newfstatat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doStat(t, a[0], a[1], a[2], int(int32(a[3])))
}

func fstat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	st, err := f.Stat(t)
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[1], encodeStat(userStat(t, &st)))
}

// statTarget resolves the file stat-like calls describe: path from
// dirfd, or dirfd itself with AT_EMPTY_PATH and an empty (or NULL) path.
func statTarget(t *kernel.Task, dirfd, addr uintptr, flags int) (vfs.Stat, error) {
	st, _, err := statTargetMount(t, dirfd, addr, flags)
	return st, err
}

// statTargetMount is statTarget that also returns the mount the file was
// found on (nil for a file of no mount: a pipe, a socket).
func statTargetMount(t *kernel.Task, dirfd, addr uintptr, flags int) (vfs.Stat, *vfs.Mount, error) {
	var path string
	if addr != 0 || flags&unix.AT_EMPTY_PATH == 0 {
		var err error
		if path, err = copyInPath(t, addr); err != nil {
			return vfs.Stat{}, nil, err
		}
	}
	v := t.Kernel().VFS()
	if path == "" {
		if flags&unix.AT_EMPTY_PATH == 0 {
			return vfs.Stat{}, nil, unix.ENOENT
		}
		if int32(dirfd) == atFDCWD {
			cwd := t.FSContext().Cwd()
			st, err := v.StatPath(t, cwd)
			return st, cwd.Mount, err
		}
		f, err := getFile(t, dirfd)
		if err != nil {
			return vfs.Stat{}, nil, err
		}
		defer f.DecRef(t)
		st, err := f.Stat(t)
		return st, f.Path().Mount, err
	}
	start, err := startPath(t, dirfd, path)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	p, err := v.GetPath(t, t.FSContext(), start, path, flags&unix.AT_SYMLINK_NOFOLLOW == 0)
	if err != nil {
		return vfs.Stat{}, nil, err
	}
	st, err := v.StatPath(t, p)
	return st, p.Mount, err
}

func doStat(t *kernel.Task, dirfd, addr, buf uintptr, flags int) (uintptr, error) {
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT|unix.AT_EMPTY_PATH) != 0 {
		return 0, unix.EINVAL
	}
	st, err := statTarget(t, dirfd, addr, flags)
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, buf, encodeStat(userStat(t, &st)))
}

// statx constants x/sys/unix may lack.
const (
	statxReserved   = 0x80000000
	atStatxSyncType = 0x6000
)

func statx(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	dirfd, addr, flags, mask, buf := a[0], a[1], int(int32(a[2])), uint32(a[3]), a[4]
	if flags&^(unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT|unix.AT_EMPTY_PATH|atStatxSyncType) != 0 {
		return 0, unix.EINVAL
	}
	if flags&atStatxSyncType == atStatxSyncType {
		return 0, unix.EINVAL
	}
	if mask&statxReserved != 0 {
		return 0, unix.EINVAL
	}
	st, mnt, err := statTargetMount(t, dirfd, addr, flags&^atStatxSyncType)
	if err != nil {
		return 0, err
	}
	b := make([]byte, 256)
	got := uint32(unix.STATX_BASIC_STATS)
	if st.Btime != (unix.Timespec{}) {
		got |= unix.STATX_BTIME
	}
	// The mount id, the unique one if asked for (a file of no mount,
	// a pipe or socket, has none in kite; Linux names its internal
	// mount).
	if mnt != nil {
		if mask&unix.STATX_MNT_ID_UNIQUE != 0 {
			got |= unix.STATX_MNT_ID_UNIQUE
			putU64(b, 144, mnt.UniqueID())
		} else {
			got |= unix.STATX_MNT_ID
			putU64(b, 144, mnt.ID())
		}
	}
	putU32(b, 0, got)
	putU32(b, 4, uint32(st.Blksize))
	putU32(b, 16, uint32(st.Nlink))
	putU32(b, 20, t.UID(st.UID))
	putU32(b, 24, t.GID(st.GID))
	putU16(b, 28, uint16(st.Mode))
	putU64(b, 32, st.Ino)
	putU64(b, 40, uint64(st.Size))
	putU64(b, 48, uint64(st.Blocks))
	putTS := func(off int, ts unix.Timespec) {
		putU64(b, off, uint64(ts.Sec))
		putU32(b, off+8, uint32(ts.Nsec))
	}
	putTS(64, st.Atime)
	if got&unix.STATX_BTIME != 0 {
		putTS(80, st.Btime)
	}
	putTS(96, st.Ctime)
	putTS(112, st.Mtime)
	putU32(b, 128, unix.Major(st.Rdev))
	putU32(b, 132, unix.Minor(st.Rdev))
	putU32(b, 136, unix.Major(st.Dev))
	putU32(b, 140, unix.Minor(st.Dev))
	return 0, copyOutFull(t, buf, b)
}

func getdents64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetdents(t, a[0], a[1], a[2], true)
}

func getdents(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doGetdents(t, a[0], a[1], a[2], false)
}

// maxDentsBuf bounds the kernel buffer of one getdents call.
const maxDentsBuf = 256 << 10

func doGetdents(t *kernel.Task, fd, addr, count uintptr, is64 bool) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	size := int(min(uint64(uint32(count)), maxDentsBuf))
	if !rangeOK(addr, uintptr(size)) {
		return 0, unix.EFAULT
	}
	buf := make([]byte, 0, size)
	tooSmall := false
	err = f.Getdents(t, func(d vfs.Dirent) bool {
		var rec []byte
		if is64 {
			reclen := (19 + len(d.Name) + 1 + 7) &^ 7
			rec = make([]byte, reclen)
			putU64(rec, 0, d.Ino)
			putU64(rec, 8, uint64(d.NextOff))
			putU16(rec, 16, uint16(reclen))
			rec[18] = d.Type
			copy(rec[19:], d.Name)
		} else {
			reclen := (18 + len(d.Name) + 2 + 7) &^ 7
			rec = make([]byte, reclen)
			putU64(rec, 0, d.Ino)
			putU64(rec, 8, uint64(d.NextOff))
			putU16(rec, 16, uint16(reclen))
			copy(rec[18:], d.Name)
			rec[reclen-1] = d.Type
		}
		if len(buf)+len(rec) > size {
			tooSmall = len(buf) == 0
			return false
		}
		buf = append(buf, rec...)
		return true
	})
	if err != nil {
		return 0, err
	}
	if tooSmall {
		return 0, unix.EINVAL
	}
	if err := copyOutFull(t, addr, buf); err != nil {
		return 0, err
	}
	return uintptr(len(buf)), nil
}

// stValid is ST_VALID, which Linux sets in every statfs answer.
const stValid = 0x20

func encodeStatfs(s *vfs.Statfs) []byte {
	b := make([]byte, 120)
	putU64(b, 0, uint64(s.Type))
	putU64(b, 8, uint64(s.Bsize))
	putU64(b, 16, s.Blocks)
	putU64(b, 24, s.Bfree)
	putU64(b, 32, s.Bavail)
	putU64(b, 40, s.Files)
	putU64(b, 48, s.Ffree)
	putU64(b, 64, uint64(s.NameLen))
	putU64(b, 72, uint64(s.Frsize))
	putU64(b, 80, uint64(s.Flags|stValid))
	return b
}

func statfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	start, path, err := pathArg(t, cwdFD, a[0])
	if err != nil {
		return 0, err
	}
	v := t.Kernel().VFS()
	p, err := v.GetPath(t, t.FSContext(), start, path, true)
	if err != nil {
		return 0, err
	}
	s, err := v.Statfs(t, p)
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[1], encodeStatfs(&s))
}

func fstatfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	p := f.Path()
	var s vfs.Statfs
	if p.Mount == nil {
		s, err = p.Dentry.Filesystem().Statfs(t)
	} else {
		s, err = t.Kernel().VFS().Statfs(t, p)
	}
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[1], encodeStatfs(&s))
}
