package hostfs

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"
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
	if !validName(name) {
		return -1, unix.ENOENT
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
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
