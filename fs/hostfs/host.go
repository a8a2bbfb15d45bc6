package hostfs

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// This file is the host side of hostfs: every host system call that touches
// the passed-through tree is here. The rules it keeps:
//
//   - The tree is entered only through a root directory fd (O_PATH). Every
//     later host file is reached from an fd of its parent with one path
//     component that is never "", ".", ".." and never contains "/".
//   - No host call ever follows a symlink: lookups use O_NOFOLLOW, stat uses
//     AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH on the fd itself, and a symlink is
//     reported to kite as its text (readlinkat) for kite's VFS to follow.
//   - Files are opened for I/O read-only, and only regular files and
//     directories; device nodes, FIFOs and sockets are never opened.

// hostOpenFlags are the flags of every O_PATH lookup.
const hostOpenFlags = unix.O_PATH | unix.O_NOFOLLOW | unix.O_CLOEXEC

// validName reports whether name is a single path component that a host
// openat may be given: not empty, not "." or "..", no '/' and no NUL.
func validName(name string) bool {
	if name == "" || name == "." || name == ".." {
		return false
	}
	return !strings.ContainsAny(name, "/\x00")
}

// openRootFD opens the directory at the trusted host path dir (given by the
// user who starts kite) as an O_PATH fd. The path itself is resolved by the
// host normally: it is configuration, not application input.
func openRootFD(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	return fd, nil
}

// lookupAt opens the component name inside the directory dirfd as an O_PATH
// fd without following it if it is a symlink.
func lookupAt(dirfd int, name string) (int, error) {
	if len(name) > unix.NAME_MAX {
		return -1, unix.ENAMETOOLONG
	}
	if !validName(name) {
		return -1, unix.ENOENT
	}
	for {
		fd, err := unix.Openat(dirfd, name, hostOpenFlags, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, err
		}
		return fd, nil
	}
}

// statFD returns the host attributes of the file fd refers to (the file
// itself, even when it is a symlink opened with O_PATH|O_NOFOLLOW).
func statFD(fd int) (unix.Stat_t, error) {
	var st unix.Stat_t
	err := unix.Fstatat(fd, "", &st, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

// flagsFD returns the host's attribute flags (FS_IOC_GETFLAGS) of the
// file fd, a regular file or directory opened for reading.
func flagsFD(fd int) (uint32, error) {
	return unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
}

// attrIoctlFD carries out FS_IOC_GETFLAGS, FS_IOC_SETFLAGS (4 bytes of
// arg), FS_IOC_FSGETXATTR or FS_IOC_FSSETXATTR (a struct fsxattr, 28
// bytes) on the host file fd, reading or filling arg.
func attrIoctlFD(fd int, cmd uint32, arg []byte) error {
	switch cmd {
	case vfs.IoctlFSGetFlags:
		fl, err := unix.IoctlGetUint32(fd, unix.FS_IOC_GETFLAGS)
		if err == nil {
			binary.LittleEndian.PutUint32(arg, fl)
		}
		return err
	case vfs.IoctlFSSetFlags:
		return unix.IoctlSetPointerInt(fd, unix.FS_IOC_SETFLAGS, int(int32(binary.LittleEndian.Uint32(arg))))
	case vfs.IoctlFSGetXattr:
		// x/sys/unix has no fsxattr ioctl. Its termios ioctls pass a
		// pointer to a struct of 44 bytes of plain fields, which carry
		// struct fsxattr's 28 (hostfs may not import unsafe).
		t, err := unix.IoctlGetTermios(fd, vfs.IoctlFSGetXattr)
		if err == nil {
			copy(arg, termiosBytes(t))
		}
		return err
	case vfs.IoctlFSSetXattr:
		return unix.IoctlSetTermios(fd, vfs.IoctlFSSetXattr, bytesTermios(arg))
	}
	return unix.ENOTTY
}

// termiosBytes returns the bytes of t in memory order (amd64).
func termiosBytes(t *unix.Termios) []byte {
	b := make([]byte, 0, 44)
	for _, v := range [...]uint32{t.Iflag, t.Oflag, t.Cflag, t.Lflag} {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	b = append(b, t.Line)
	b = append(b, t.Cc[:]...)
	b = binary.LittleEndian.AppendUint32(b, t.Ispeed)
	return binary.LittleEndian.AppendUint32(b, t.Ospeed)
}

// bytesTermios is termiosBytes's inverse, for the first len(b) bytes (at
// most 44; the rest are zero).
func bytesTermios(b []byte) *unix.Termios {
	var m [44]byte
	copy(m[:], b)
	u := func(off int) uint32 { return binary.LittleEndian.Uint32(m[off:]) }
	t := &unix.Termios{Iflag: u(0), Oflag: u(4), Cflag: u(8), Lflag: u(12), Line: m[16], Ispeed: u(36), Ospeed: u(40)}
	copy(t.Cc[:], m[17:36])
	return t
}

// readlinkFD returns the text of the symlink fd refers to (an O_PATH fd
// opened with O_NOFOLLOW). Nothing is resolved.
func readlinkFD(fd int) (string, error) {
	for size := 256; ; size *= 2 {
		buf := make([]byte, size)
		n, err := unix.Readlinkat(fd, "", buf)
		if err != nil {
			return "", err
		}
		if n < size {
			return string(buf[:n]), nil
		}
		if size > unix.PathMax*4 {
			return "", unix.ENAMETOOLONG
		}
	}
}

// openDirFD opens the directory that the O_PATH fd pathFD refers to for
// reading its entries. "." of an O_PATH directory fd names that directory,
// so no name is resolved again.
func openDirFD(pathFD int) (int, error) {
	return unix.Openat(pathFD, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
}

// openRegularAt opens name in the directory dirfd read-only for I/O and
// checks that it is still the regular file (dev, ino) that was looked up,
// so that a host-side rename between lookup and open cannot hand kite a
// different file. O_NONBLOCK keeps the open from blocking if a FIFO was
// swapped in; such a file is closed again at once.
func openRegularAt(dirfd int, name string, dev, ino uint64) (int, error) {
	return openCheckedAt(dirfd, name, unix.O_RDONLY, dev, ino)
}

// openCheckedAt is openRegularAt with the access mode acc (O_WRONLY or
// O_RDWR only in a writable tree).
func openCheckedAt(dirfd int, name string, acc int, dev, ino uint64) (int, error) {
	if !validName(name) {
		return -1, unix.ENOENT
	}
	fd, err := unix.Openat(dirfd, name, acc|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return -1, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Dev != dev || st.Ino != ino {
		unix.Close(fd)
		return -1, unix.ESTALE
	}
	return fd, nil
}

// preadFD reads from fd at off, retrying on EINTR.
func preadFD(fd int, p []byte, off int64) (int, error) {
	for {
		n, err := unix.Pread(fd, p, off)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

// closeFD closes a host fd owned by hostfs.
func closeFD(fd int) {
	if fd >= 0 {
		unix.Close(fd)
	}
}

// hostDirent is one entry read from a host directory.
type hostDirent struct {
	Ino  uint64
	Type uint8 // DT_* value
	Name string
}

// readDirFD reads every entry of the open directory fd (opened with
// openDirFD), except "." and "..", which kite's VFS supplies itself.
func readDirFD(fd int) ([]hostDirent, error) {
	var ents []hostDirent
	buf := make([]byte, 32<<10)
	for {
		n, err := unix.Getdents(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return ents, nil
		}
		ents = parseDirents(buf[:n], ents)
	}
}

// parseDirents decodes linux_dirent64 records:
//
//	u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[];
func parseDirents(b []byte, ents []hostDirent) []hostDirent {
	const hdr = 19
	for len(b) >= hdr {
		reclen := int(binary.LittleEndian.Uint16(b[16:18]))
		if reclen < hdr || reclen > len(b) {
			break
		}
		name := b[hdr:reclen]
		if i := indexNUL(name); i >= 0 {
			name = name[:i]
		}
		if s := string(name); s != "." && s != ".." {
			ents = append(ents, hostDirent{
				Ino:  binary.LittleEndian.Uint64(b[0:8]),
				Type: b[18],
				Name: s,
			})
		}
		b = b[reclen:]
	}
	return ents
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// sealedFSTypes are host file systems that hostfs never enters even when
// they are mounted inside the passed-through tree: kite has its own /proc,
// /sys and /dev/pts, and these would expose host kernel state.
var sealedFSTypes = map[int64]bool{
	unix.PROC_SUPER_MAGIC:    true,
	unix.SYSFS_MAGIC:         true,
	unix.DEVPTS_SUPER_MAGIC:  true,
	unix.DEBUGFS_MAGIC:       true,
	unix.TRACEFS_MAGIC:       true,
	unix.SECURITYFS_MAGIC:    true,
	unix.BPF_FS_MAGIC:        true,
	unix.CGROUP_SUPER_MAGIC:  true,
	unix.CGROUP2_SUPER_MAGIC: true,
	unix.EFIVARFS_MAGIC:      true,
	unix.PSTOREFS_MAGIC:      true,
}

// sealedFD reports whether fd is on a host file system that hostfs must not
// enter (see sealedFSTypes).
func sealedFD(fd int) (bool, error) {
	var sfs unix.Statfs_t
	if err := unix.Fstatfs(fd, &sfs); err != nil {
		return false, err
	}
	return sealedFSTypes[int64(sfs.Type)], nil
}

// Resolution is the result of Resolve.
type Resolution struct {
	// FD is an O_PATH fd of the last component reached; the caller owns it.
	FD int
	// Link is the symlink text when the walk stopped at a symlink (FD then
	// refers to the symlink itself), else "".
	Link string
	// Rest is the part of the path after the symlink, not yet walked.
	Rest string
}

// Resolve walks the relative slash-separated path from the directory rootFD
// without ever leaving the tree below rootFD and without following any
// symlink: ".." at the root stays at the root, as in a chroot, and the walk
// stops at the first symlink, returning it with its text and the rest of
// the path so that the caller (kite's VFS) can follow it by its own rules.
//
// It first tries one openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
// RESOLVE_NO_MAGICLINKS; when openat2 is missing, or the path has a symlink
// in the middle or a ".." that climbs above the root, it walks one
// component at a time with openat(O_PATH|O_NOFOLLOW), which finds where.
func Resolve(rootFD int, path string) (Resolution, error) {
	if strings.IndexByte(path, 0) >= 0 {
		return Resolution{FD: -1}, unix.EINVAL
	}
	trimmed := strings.Trim(path, "/")
	if trimmed != "" {
		how := unix.OpenHow{
			Flags:   hostOpenFlags,
			Resolve: unix.RESOLVE_BENEATH | unix.RESOLVE_NO_SYMLINKS | unix.RESOLVE_NO_MAGICLINKS,
		}
		fd, err := unix.Openat2(rootFD, trimmed, &how)
		if err == nil {
			st, serr := statFD(fd)
			if serr != nil {
				closeFD(fd)
				return Resolution{FD: -1}, serr
			}
			if st.Mode&unix.S_IFMT != unix.S_IFLNK {
				return Resolution{FD: fd}, nil
			}
			link, lerr := readlinkFD(fd)
			if lerr != nil {
				closeFD(fd)
				return Resolution{FD: -1}, lerr
			}
			return Resolution{FD: fd, Link: link}, nil
		}
		switch err {
		case unix.ENOSYS, unix.ELOOP, unix.EXDEV, unix.EAGAIN, unix.EPERM, unix.E2BIG, unix.EINTR:
			// Walk by hand below to find the symlink or clamp the "..".
		default:
			return Resolution{FD: -1}, err
		}
	}
	return resolveByComponent(rootFD, trimmed)
}

// resolveByComponent is Resolve one component at a time. stack holds the
// fds of the directories walked so far, stack[0] being a dup of rootFD, so
// that ".." pops instead of asking the host.
func resolveByComponent(rootFD int, path string) (Resolution, error) {
	first, err := unix.Openat(rootFD, ".", hostOpenFlags|unix.O_DIRECTORY, 0)
	if err != nil {
		return Resolution{FD: -1}, err
	}
	stack := []int{first}
	release := func(keep int) {
		for _, fd := range stack {
			if fd != keep {
				closeFD(fd)
			}
		}
	}
	comps := strings.Split(path, "/")
	for i, c := range comps {
		switch c {
		case "", ".":
			continue
		case "..":
			if len(stack) > 1 {
				closeFD(stack[len(stack)-1])
				stack = stack[:len(stack)-1]
			}
			continue
		}
		top := stack[len(stack)-1]
		st, err := statFD(top)
		if err != nil {
			release(-1)
			return Resolution{FD: -1}, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			release(-1)
			return Resolution{FD: -1}, unix.ENOTDIR
		}
		fd, err := lookupAt(top, c)
		if err != nil {
			release(-1)
			return Resolution{FD: -1}, err
		}
		stack = append(stack, fd)
		st, err = statFD(fd)
		if err != nil {
			release(-1)
			return Resolution{FD: -1}, err
		}
		if st.Mode&unix.S_IFMT == unix.S_IFLNK {
			link, err := readlinkFD(fd)
			if err != nil {
				release(-1)
				return Resolution{FD: -1}, err
			}
			release(fd)
			return Resolution{FD: fd, Link: link, Rest: strings.Join(comps[i+1:], "/")}, nil
		}
	}
	last := stack[len(stack)-1]
	release(last)
	return Resolution{FD: last}, nil
}

// The calls below change the tree; only a Filesystem made with
// NewWritable makes them. They keep the same rules: one checked component
// relative to a directory fd, never following a symlink, and attributes
// changed on an O_PATH fd of the file itself (fchmodat2, fchownat and
// utimensat with AT_EMPTY_PATH), so a name swapped on the host between a
// lookup and a change can redirect nothing outside the tree. Device nodes
// are never made on the host.

// owner is who a file made on the host belongs to and whether hostfs
// changes it (only when kite runs as the host's root; otherwise the host
// gives new files kite's own user).
type owner struct {
	uid, gid uint32
	chown    bool
}

// setOwner gives the file fd (an O_PATH or open fd) the owner o.
func setOwner(fd int, o owner) error {
	if !o.chown {
		return nil
	}
	return chownFD(fd, int(o.uid), int(o.gid))
}

// chmodFD sets the permission bits of the file fd refers to, exactly
// (the host's umask plays no part).
func chmodFD(fd int, mode uint32) error {
	// fchmodat2 (Linux 6.6): chmod of the fd's own file, whatever it is.
	return unix.Fchmodat(fd, "", mode&0o7777, unix.AT_EMPTY_PATH)
}

// chownFD changes the owner and group of the file fd refers to; -1 keeps
// one.
func chownFD(fd, uid, gid int) error {
	return unix.Fchownat(fd, "", uid, gid, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
}

// utimesFD sets the access and modification times of the file fd refers
// to (a symlink's own times for a symlink); UTIME_OMIT keeps one.
func utimesFD(fd int, atime, mtime unix.Timespec) error {
	return unix.UtimesNanoAt(fd, "", []unix.Timespec{atime, mtime}, unix.AT_EMPTY_PATH|unix.AT_SYMLINK_NOFOLLOW)
}

// createFileAt makes the regular file name in dirfd (EEXIST if anything
// is there, a symlink included) with exactly mode and owner o, and
// returns its attributes.
func createFileAt(dirfd int, name string, mode uint32, o owner) (unix.Stat_t, error) {
	var st unix.Stat_t
	fd, err := unix.Openat(dirfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_WRONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return st, err
	}
	defer closeFD(fd)
	if err := finishNew(fd, mode, o); err != nil {
		unix.Unlinkat(dirfd, name, 0)
		return st, err
	}
	err = unix.Fstat(fd, &st)
	return st, err
}

// finishNew gives a file just made its owner and then its exact mode
// (after the owner: a chown by root clears set-id bits).
func finishNew(fd int, mode uint32, o owner) error {
	if err := setOwner(fd, o); err != nil {
		return err
	}
	return chmodFD(fd, mode)
}

// makeAt makes a directory (typ S_IFDIR), FIFO or socket name in dirfd
// with exactly mode and owner o, and returns an O_PATH fd of it (which
// the caller owns) with its attributes. A symlink's target is made with
// symlinkAt.
func makeAt(dirfd int, name string, typ, mode uint32, o owner) (int, unix.Stat_t, error) {
	var st unix.Stat_t
	var err error
	switch typ {
	case unix.S_IFDIR:
		err = unix.Mkdirat(dirfd, name, 0o700)
	case unix.S_IFIFO, unix.S_IFSOCK:
		err = unix.Mknodat(dirfd, name, typ|0o600, 0)
	default:
		return -1, st, unix.EPERM
	}
	if err != nil {
		return -1, st, err
	}
	fd, st, err := newNodeFD(dirfd, name, typ)
	if err == nil {
		if err = finishNew(fd, mode, o); err == nil {
			st, err = statFD(fd)
		}
	}
	if err != nil {
		closeFD(fd)
		flags := 0
		if typ == unix.S_IFDIR {
			flags = unix.AT_REMOVEDIR
		}
		unix.Unlinkat(dirfd, name, flags)
		return -1, st, err
	}
	return fd, st, nil
}

// newNodeFD opens the file just made as name in dirfd (O_PATH, not
// following) and checks its type.
func newNodeFD(dirfd int, name string, typ uint32) (int, unix.Stat_t, error) {
	fd, err := lookupAt(dirfd, name)
	if err != nil {
		return -1, unix.Stat_t{}, err
	}
	st, err := statFD(fd)
	if err == nil && st.Mode&unix.S_IFMT != typ {
		err = unix.ESTALE
	}
	if err != nil {
		closeFD(fd)
		return -1, st, err
	}
	return fd, st, nil
}

// symlinkAt makes the symlink name in dirfd with the text target (never
// resolved by the host) and owner o.
func symlinkAt(dirfd int, name, target string, o owner) (unix.Stat_t, error) {
	if err := unix.Symlinkat(target, dirfd, name); err != nil {
		return unix.Stat_t{}, err
	}
	fd, st, err := newNodeFD(dirfd, name, unix.S_IFLNK)
	if err == nil {
		if err = setOwner(fd, o); err == nil {
			st, err = statFD(fd)
		}
		closeFD(fd)
	}
	if err != nil {
		unix.Unlinkat(dirfd, name, 0)
	}
	return st, err
}

// entryIs reports whether name in dirfd is still the host file key (ESTALE
// if the host replaced or removed it), with its attributes.
func entryIs(dirfd int, name string, key fileKey) (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			err = unix.ESTALE
		}
		return st, err
	}
	if st.Dev != key.dev || st.Ino != key.ino {
		return st, unix.ESTALE
	}
	return st, nil
}

// pwriteFD writes to fd at off, retrying on EINTR and short writes.
func pwriteFD(fd int, p []byte, off int64) (int, error) {
	done := 0
	for done < len(p) {
		n, err := unix.Pwrite(fd, p[done:], off+int64(done))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if n == 0 {
			break
		}
		done += n
	}
	return done, nil
}

// appendFD writes p at the end of the file fd atomically (RWF_APPEND, as
// O_APPEND does, whoever else writes the host file) and returns the
// bytes written and the file's size just after.
func appendFD(fd int, p []byte) (int, int64, error) {
	for {
		n, err := unix.Pwritev2(fd, [][]byte{p}, -1, unix.RWF_APPEND)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, 0, err
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			return n, 0, err
		}
		return n, st.Size, nil
	}
}
