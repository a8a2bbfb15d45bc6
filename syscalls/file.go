package syscalls

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// File I/O and file-descriptor system calls. Path-name calls are in fs.go,
// stat and directory listings in file_stat.go.

// fdTable returns the task's fd table with its limit set to the process's
// current RLIMIT_NOFILE, which Linux reads whenever it allocates an fd.
func fdTable(t *kernel.Task) *vfs.FDTable {
	tab := t.FDTable()
	tab.SetLimit(t.ThreadGroup().Limits().Get(unix.RLIMIT_NOFILE).Cur)
	return tab
}

// getFile returns the file at fd with a reference the caller drops.
func getFile(t *kernel.Task, fd uintptr) (*vfs.File, error) {
	f, _, err := t.FDTable().Get(int32(fd))
	return f, err
}

// userSink copies read data to application memory at addr, advancing.
func userSink(t *kernel.Task, addr uintptr) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n, err := t.CopyOut(addr, b)
		addr += uintptr(n)
		if err != nil {
			return n, unix.EFAULT
		}
		return n, nil
	}
}

// userSource copies data to write from application memory at addr.
func userSource(t *kernel.Task, addr uintptr) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n, err := t.CopyIn(addr, b)
		addr += uintptr(n)
		if err != nil {
			return n, unix.EFAULT
		}
		return n, nil
	}
}

// userBuffer is the application memory at addr as a vfs.UserBuffer.
type userBuffer struct {
	t    *kernel.Task
	addr uintptr
}

// Pin implements vfs.UserBuffer.
func (u userBuffer) Pin(at, n int64, write bool) ([][]byte, func(), error) {
	views, unpin, err := u.t.MemoryManager().Pin(u.addr+uintptr(at), int(n), write)
	if err != nil {
		err = unix.EFAULT
	}
	return views, unpin, err
}

// CopyOut implements vfs.UserBuffer.
func (u userBuffer) CopyOut(at int64, b []byte) (int, error) {
	return userSink(u.t, u.addr+uintptr(at))(b)
}

// CopyIn implements vfs.UserBuffer.
func (u userBuffer) CopyIn(at int64, b []byte) (int, error) {
	return userSource(u.t, u.addr+uintptr(at))(b)
}

// maxUserAddr bounds user pointers: Linux's access_ok rejects ranges that
// reach the kernel half before doing anything else.
const maxUserAddr = 1 << 47

func rangeOK(addr, n uintptr) bool {
	return addr <= maxUserAddr && n <= maxUserAddr-addr
}

func read(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doRead(t, a[0], a[1], a[2], -1)
}

func pread64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		// Linux checks the offset before the fd.
		return 0, unix.EINVAL
	}
	return doRead(t, a[0], a[1], a[2], int64(a[3]))
}

func doRead(t *kernel.Task, fd, addr, count uintptr, off int64) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if !f.Readable() {
		return 0, unix.EBADF
	}
	if !rangeOK(addr, count) {
		return 0, unix.EFAULT
	}
	n, err := f.ReadToUser(t, int64(count), off, userBuffer{t, addr})
	return uintptr(n), err
}

func write(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doWrite(t, a[0], a[1], a[2], -1)
}

func pwrite64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		// Linux checks the offset before the fd.
		return 0, unix.EINVAL
	}
	return doWrite(t, a[0], a[1], a[2], int64(a[3]))
}

func doWrite(t *kernel.Task, fd, addr, count uintptr, off int64) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if !f.Writable() {
		return 0, unix.EBADF
	}
	if !rangeOK(addr, count) {
		return 0, unix.EFAULT
	}
	n, err := f.WriteFromUser(t, int64(count), off, userBuffer{t, addr})
	return uintptr(n), err
}

// iovec is one struct iovec.
type iovec struct {
	base, len uintptr
}

// uioMaxIOV is UIO_MAXIOV.
const uioMaxIOV = 1024

// copyInIovecs reads cnt struct iovecs at addr with Linux's checks
// (EINVAL for too many or a negative total, EFAULT for bad memory).
func copyInIovecs(t *kernel.Task, addr uintptr, cnt uintptr) ([]iovec, int64, error) {
	if int64(cnt) < 0 || cnt > uioMaxIOV {
		return nil, 0, unix.EINVAL
	}
	if cnt == 0 {
		return nil, 0, nil
	}
	b := make([]byte, 16*cnt)
	if err := copyInFull(t, addr, b); err != nil {
		return nil, 0, err
	}
	iovs := make([]iovec, cnt)
	var total int64
	for i := range iovs {
		iovs[i] = iovec{uintptr(getU64(b, 16*i)), uintptr(getU64(b, 16*i+8))}
		if int64(iovs[i].len) < 0 {
			return nil, 0, unix.EINVAL
		}
		if !rangeOK(iovs[i].base, iovs[i].len) {
			return nil, 0, unix.EFAULT
		}
		total += int64(iovs[i].len)
		if total < 0 {
			return nil, 0, unix.EINVAL
		}
		if total > vfs.MaxRWCount {
			// Linux truncates the vector at MAX_RW_COUNT.
			iovs[i].len -= uintptr(total - vfs.MaxRWCount)
			total = vfs.MaxRWCount
			return iovs[:i+1], total, nil
		}
	}
	return iovs, total, nil
}

// iovSink scatters read data over iovs.
func iovSink(t *kernel.Task, iovs []iovec) func([]byte) (int, error) {
	i, done := 0, uintptr(0)
	return func(b []byte) (int, error) {
		n := 0
		for n < len(b) && i < len(iovs) {
			room := iovs[i].len - done
			if room == 0 {
				i, done = i+1, 0
				continue
			}
			chunk := b[n:]
			if uintptr(len(chunk)) > room {
				chunk = chunk[:room]
			}
			c, err := t.CopyOut(iovs[i].base+done, chunk)
			n += c
			done += uintptr(c)
			if err != nil {
				return n, unix.EFAULT
			}
		}
		return n, nil
	}
}

// iovSource gathers data to write from iovs.
func iovSource(t *kernel.Task, iovs []iovec) func([]byte) (int, error) {
	i, done := 0, uintptr(0)
	return func(b []byte) (int, error) {
		n := 0
		for n < len(b) && i < len(iovs) {
			room := iovs[i].len - done
			if room == 0 {
				i, done = i+1, 0
				continue
			}
			chunk := b[n:]
			if uintptr(len(chunk)) > room {
				chunk = chunk[:room]
			}
			c, err := t.CopyIn(iovs[i].base+done, chunk)
			n += c
			done += uintptr(c)
			if err != nil {
				return n, unix.EFAULT
			}
		}
		return n, nil
	}
}

// iovBuffer is the application memory of a vector of iovecs as one
// vfs.UserBuffer, so that readv(2), writev(2), sendmsg(2) and recvmsg(2)
// move their bytes in place as read(2) and write(2) do: byte at is in
// the iovec where the lengths of those before it add up past at.
type iovBuffer struct {
	t    *kernel.Task
	iovs []iovec
	// ends[i] is the buffer offset just past iovs[i], so that a chunk
	// finds its first iovec by binary search: a transfer in chunks
	// costs O(chunks × log iovecs), not a scan from the first iovec
	// per chunk. nil for fewer than iovSearchMin iovecs (scanned).
	ends []int64
}

// iovSearchMin is the iovec count from which a buffer keeps ends for a
// binary search; a shorter vector (most calls have one to a few iovecs)
// is scanned, which costs no allocation per call.
const iovSearchMin = 16

// newIOVBuffer returns the buffer of iovs, whose total length the
// caller has checked (copyInIovecs).
func newIOVBuffer(t *kernel.Task, iovs []iovec) iovBuffer {
	if len(iovs) < iovSearchMin {
		return iovBuffer{t: t, iovs: iovs}
	}
	ends := make([]int64, len(iovs))
	var end int64
	for i, v := range iovs {
		end += int64(v.len)
		ends[i] = end
	}
	return iovBuffer{t: t, iovs: iovs, ends: ends}
}

// ranges returns the memory of the buffer's bytes [at, at+n).
func (u iovBuffer) ranges(at, n int64) []mm.Range {
	var rs []mm.Range
	i := 0
	if u.ends != nil {
		i, _ = slices.BinarySearch(u.ends, at+1) // first iovec ending past at
		if i < len(u.iovs) {
			at -= u.ends[i] - int64(u.iovs[i].len) // offset within iovs[i]
		}
	}
	for ; i < len(u.iovs) && n > 0; i++ {
		l := int64(u.iovs[i].len)
		if at >= l { // an empty iovec
			at -= l
			continue
		}
		k := min(l-at, n)
		rs = append(rs, mm.Range{Addr: u.iovs[i].base + uintptr(at), Len: int(k)})
		at, n = 0, n-k
	}
	return rs
}

// Pin implements vfs.UserBuffer: the iovecs' memory is pinned at once,
// under one hold of the lock that keeps fork off (mm.PinRanges).
func (u iovBuffer) Pin(at, n int64, write bool) ([][]byte, func(), error) {
	views, unpin, err := u.t.MemoryManager().PinRanges(u.ranges(at, n), write)
	if err != nil {
		err = unix.EFAULT
	}
	return views, unpin, err
}

// CopyOut implements vfs.UserBuffer.
func (u iovBuffer) CopyOut(at int64, b []byte) (int, error) {
	done := 0
	for _, r := range u.ranges(at, int64(len(b))) {
		c, err := u.t.CopyOut(r.Addr, b[done:done+r.Len])
		done += c
		if err != nil {
			return done, unix.EFAULT
		}
	}
	return done, nil
}

// CopyIn implements vfs.UserBuffer.
func (u iovBuffer) CopyIn(at int64, b []byte) (int, error) {
	done := 0
	for _, r := range u.ranges(at, int64(len(b))) {
		c, err := u.t.CopyIn(r.Addr, b[done:done+r.Len])
		done += c
		if err != nil {
			return done, unix.EFAULT
		}
	}
	return done, nil
}

func readv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doReadv(t, a[0], a[1], a[2], -1, 0)
}

func writev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doWritev(t, a[0], a[1], a[2], -1, 0)
}

func preadv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		// Linux checks the offset before the fd.
		return 0, unix.EINVAL
	}
	return doReadv(t, a[0], a[1], a[2], int64(a[3]), 0)
}

func pwritev(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if int64(a[3]) < 0 {
		// Linux checks the offset before the fd.
		return 0, unix.EINVAL
	}
	return doWritev(t, a[0], a[1], a[2], int64(a[3]), 0)
}

// RWF_* flags of preadv2/pwritev2.
const (
	rwfHipri    = 0x1
	rwfDsync    = 0x2
	rwfSync     = 0x4
	rwfNowait   = 0x8
	rwfAppend   = 0x10
	rwfNoappend = 0x20
)

// preadv2 and pwritev2 take the offset in a[3] (-1: the file offset) and
// flags in a[5].
func preadv2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, unix.EINVAL
	}
	return doReadv(t, a[0], a[1], a[2], off, a[5])
}

func pwritev2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	off := int64(a[3])
	if off < -1 {
		return 0, unix.EINVAL
	}
	return doWritev(t, a[0], a[1], a[2], off, a[5])
}

// rwfAppendMode checks the RWF_* flags of a preadv2, pwritev2 or aio iocb on f as
// Linux's kiocb_set_rw_flags does and returns how a write appends:
// RWF_APPEND appends whatever the file's O_APPEND says, RWF_NOAPPEND
// writes at the offset even with O_APPEND, except on an append-only
// file (EPERM; reads are refused the same, as on Linux, where the
// flags are checked before the direction). RWF_NOWAIT is not supported
// here (aio's EOPNOTSUPP): preadv2 and pwritev2 take it off (nowaitContext).
func rwfAppendMode(f *vfs.File, flags uintptr) (vfs.AppendMode, error) {
	if flags&^(rwfHipri|rwfDsync|rwfSync|rwfAppend|rwfNoappend) != 0 {
		return vfs.AppendAsOpened, unix.EOPNOTSUPP
	}
	switch {
	case flags&rwfAppend != 0 && flags&rwfNoappend != 0:
		return vfs.AppendAsOpened, unix.EINVAL
	case flags&rwfAppend != 0:
		return vfs.AppendAlways, nil
	case flags&rwfNoappend != 0 && f.Flags()&unix.O_APPEND != 0:
		if f.IsAppendOnly() {
			return vfs.AppendAsOpened, unix.EPERM
		}
		return vfs.AppendNever, nil
	}
	return vfs.AppendAsOpened, nil
}

// nowaitContext returns the context a preadv2 or pwritev2 (write) with flags
// runs in: one that never waits with RWF_NOWAIT (EOPNOTSUPP on a file
// that cannot be tried so, which Linux checks after unknown flags and
// before the others), t otherwise.
func nowaitContext(t *kernel.Task, f *vfs.File, flags uintptr, write bool) (vfs.Context, error) {
	if flags&rwfNowait == 0 || flags&^(rwfHipri|rwfDsync|rwfSync|rwfNowait|rwfAppend|rwfNoappend) != 0 {
		return t, nil
	}
	if !f.CanNowait(write) {
		return nil, unix.EOPNOTSUPP
	}
	return vfs.NowaitContext(t), nil
}

// doReadv and doWritev check their arguments in Linux's order
// (do_preadv, vfs_readv): ESPIPE for an offset on a stream, the
// descriptor's mode, the iovecs, then nothing at all for an empty
// transfer, and only then the RWF_* flags.
func doReadv(t *kernel.Task, fd, addr, cnt uintptr, off int64, flags uintptr) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if off >= 0 && f.IsStream() {
		return 0, unix.ESPIPE
	}
	if !f.Readable() {
		return 0, unix.EBADF
	}
	iovs, total, err := copyInIovecs(t, addr, cnt)
	if err != nil || total == 0 {
		return 0, err
	}
	ctx, err := nowaitContext(t, f, flags, false)
	if err != nil {
		return 0, err
	}
	if _, err := rwfAppendMode(f, flags&^rwfNowait); err != nil {
		return 0, err
	}
	n, err := f.ReadToUser(ctx, total, off, newIOVBuffer(t, iovs))
	return uintptr(n), err
}

func doWritev(t *kernel.Task, fd, addr, cnt uintptr, off int64, flags uintptr) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if off >= 0 && f.IsStream() {
		return 0, unix.ESPIPE
	}
	if !f.Writable() {
		return 0, unix.EBADF
	}
	iovs, total, err := copyInIovecs(t, addr, cnt)
	if err != nil || total == 0 {
		return 0, err
	}
	ctx, err := nowaitContext(t, f, flags, true)
	if err != nil {
		return 0, err
	}
	mode, err := rwfAppendMode(f, flags&^rwfNowait)
	if err != nil {
		return 0, err
	}
	n, err := f.WriteFromUserAppend(ctx, total, off, newIOVBuffer(t, iovs), mode)
	if err == nil && flags&(rwfDsync|rwfSync) != 0 && n > 0 {
		if serr := f.Sync(t, flags&rwfSync == 0); serr != nil && serr != unix.EINVAL {
			return 0, serr
		}
	}
	return uintptr(n), err
}

// pathMax is the size limit of a path argument, NUL included.
const pathMax = vfs.PathMax

// copyInPath reads a path argument (EFAULT, ENAMETOOLONG).
func copyInPath(t *kernel.Task, addr uintptr) (string, error) {
	s, err := t.CopyInString(addr, pathMax)
	if err != nil {
		if err == unix.ENAMETOOLONG {
			return "", err
		}
		return "", unix.EFAULT
	}
	return s, nil
}

// atDirfd is AT_FDCWD as the int32 the syscall sees.
const atFDCWD = int32(unix.AT_FDCWD)

// startPath returns where a *at call resolves a relative path: the cwd
// for AT_FDCWD, else dirfd's directory (EBADF, ENOTDIR). Absolute paths
// ignore dirfd.
func startPath(t *kernel.Task, dirfd uintptr, path string) (vfs.Path, error) {
	fsc := t.FSContext()
	if len(path) > 0 && path[0] == '/' {
		return fsc.Cwd(), nil
	}
	if int32(dirfd) == atFDCWD {
		return fsc.Cwd(), nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return vfs.Path{}, err
	}
	defer f.DecRef(t)
	p := f.Path()
	if path == "" {
		return p, nil
	}
	if p.Mount == nil || !p.Dentry.IsDir() {
		return vfs.Path{}, unix.ENOTDIR
	}
	return p, nil
}

// fdPath returns the location of dirfd itself (AT_EMPTY_PATH): the cwd
// for AT_FDCWD.
func fdPath(t *kernel.Task, dirfd uintptr) (vfs.Path, *vfs.File, error) {
	if int32(dirfd) == atFDCWD {
		return t.FSContext().Cwd(), nil, nil
	}
	f, err := getFile(t, dirfd)
	if err != nil {
		return vfs.Path{}, nil, err
	}
	return f.Path(), f, nil
}

func open(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doOpen(t, cwdFD, a[0], int(a[1]), uint32(a[2]))
}

func openat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doOpen(t, a[0], a[1], int(a[2]), uint32(a[3]))
}

func creat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doOpen(t, cwdFD, a[0], unix.O_CREAT|unix.O_WRONLY|unix.O_TRUNC, uint32(a[1]))
}

func doOpen(t *kernel.Task, dirfd, pathAddr uintptr, flags int, mode uint32) (uintptr, error) {
	flags = int(int32(flags))
	path, err := copyInPath(t, pathAddr)
	if err != nil {
		return 0, err
	}
	if flags&(unix.O_CREAT|unix.O_TMPFILE&^unix.O_DIRECTORY) == 0 {
		mode = 0
	}
	return openAndInstall(t, dirfd, path, flags, mode&0o7777)
}

func openAndInstall(t *kernel.Task, dirfd uintptr, path string, flags int, mode uint32) (uintptr, error) {
	return openAndInstall2(t, dirfd, path, flags, mode, 0)
}

func openAndInstall2(t *kernel.Task, dirfd uintptr, path string, flags int, mode uint32, resolve uint64) (uintptr, error) {
	var start vfs.Path
	var err error
	if resolve&(vfs.ResolveBeneath|vfs.ResolveInRoot) != 0 && len(path) > 0 && path[0] == '/' {
		// Absolute names are relative to dirfd (IN_ROOT) or refused
		// (BENEATH): dirfd matters even for them.
		start, err = startPath(t, dirfd, ".")
	} else {
		start, err = startPath(t, dirfd, path)
	}
	if err != nil {
		return 0, err
	}
	f, err := t.Kernel().VFS().OpenAt2(t, t.FSContext(), start, path, flags, mode, resolve)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	fdFlags := 0
	if flags&unix.O_CLOEXEC != 0 {
		fdFlags = vfs.FDCloexec
	}
	fd, err := fdTable(t).NewFD(0, f, fdFlags)
	if err != nil {
		return 0, err
	}
	return uintptr(fd), nil
}

// Valid flags of openat2 (Linux's VALID_OPEN_FLAGS).
const validOpenFlags = unix.O_RDONLY | unix.O_WRONLY | unix.O_RDWR | unix.O_CREAT | unix.O_EXCL |
	unix.O_NOCTTY | unix.O_TRUNC | unix.O_APPEND | unix.O_NDELAY | unix.O_NONBLOCK | unix.O_DSYNC |
	unix.O_ASYNC | unix.O_DIRECT | vfs.OLargefile | unix.O_DIRECTORY | unix.O_NOFOLLOW |
	unix.O_NOATIME | unix.O_CLOEXEC | unix.O_PATH | unix.O_TMPFILE | unix.O_SYNC

func openat2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	size := a[3]
	if size < 24 {
		return 0, unix.EINVAL
	}
	if size > 4096 {
		return 0, unix.E2BIG
	}
	b, err := copyInStruct(t, a[2], 24, int(size)) // struct open_how
	if err != nil {
		return 0, err
	}
	flags, mode, resolve := getU64(b, 0), getU64(b, 8), getU64(b, 16)
	if flags&^uint64(validOpenFlags) != 0 {
		return 0, unix.EINVAL
	}
	if flags&(unix.O_CREAT|unix.O_TMPFILE&^unix.O_DIRECTORY) == 0 && mode != 0 {
		return 0, unix.EINVAL
	}
	if mode&^0o7777 != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.O_PATH != 0 && flags&^uint64(unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	const validResolve = vfs.ResolveNoXdev | vfs.ResolveNoMagiclinks | vfs.ResolveNoSymlinks |
		vfs.ResolveBeneath | vfs.ResolveInRoot | vfs.ResolveCached
	if resolve&^validResolve != 0 {
		return 0, unix.EINVAL
	}
	if resolve&vfs.ResolveBeneath != 0 && resolve&vfs.ResolveInRoot != 0 {
		return 0, unix.EINVAL
	}
	path, err := copyInPath(t, a[1])
	if err != nil {
		return 0, err
	}
	return openAndInstall2(t, a[0], path, int(flags), uint32(mode), resolve)
}

func closeFD(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.FDTable().Remove(t, int32(a[0]))
}

// close_range flags.
const (
	closeRangeUnshare = 1 << 1
	closeRangeCloexec = 1 << 2
)

func closeRange(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	first, last, flags := uint32(a[0]), uint32(a[1]), uint32(a[2])
	if flags&^(closeRangeUnshare|closeRangeCloexec) != 0 || first > last {
		return 0, unix.EINVAL
	}
	if flags&closeRangeUnshare != 0 {
		// A table shared with CLONE_FILES is copied first, so the
		// close applies to this task's copy only.
		t.UnshareFDTable()
	}
	t.FDTable().CloseRange(t, first, last, flags&closeRangeCloexec != 0)
	return 0, nil
}

func lseek(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	whence := int(uint32(a[2]))
	if whence > unix.SEEK_HOLE {
		return 0, unix.EINVAL
	}
	n, err := f.Seek(t, int64(a[1]), whence)
	return uintptr(n), err
}

func fcntl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd := int32(a[0])
	f, fdFlags, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	cmd := int(uint32(a[1]))
	switch cmd {
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC:
		tab := fdTable(t)
		if int64(a[2]) < 0 || uint64(a[2]) >= uint64(tab.Limit()) {
			return 0, unix.EINVAL
		}
		fl := 0
		if cmd == unix.F_DUPFD_CLOEXEC {
			fl = vfs.FDCloexec
		}
		nfd, err := tab.NewFD(int32(a[2]), f, fl)
		return uintptr(nfd), err
	case unix.F_GETFD:
		return uintptr(fdFlags), nil
	case unix.F_SETFD:
		return 0, t.FDTable().SetFlags(fd, int(a[2])&vfs.FDCloexec)
	case unix.F_GETFL:
		return uintptr(f.Flags()), nil
	case unix.F_SETFL:
		if f.IsPath() {
			return 0, unix.EBADF
		}
		if (uint32(a[2])^uint32(f.Flags()))&unix.O_APPEND != 0 && f.IsAppendOnly() {
			return 0, unix.EPERM
		}
		setStatusFlags(t, f, fd, int(uint32(a[2])))
		return 0, nil
	case unix.F_SETOWN, unix.F_GETOWN, unix.F_SETOWN_EX, unix.F_GETOWN_EX, unix.F_SETSIG, unix.F_GETSIG:
		return fcntlOwner(t, f, cmd, a[2])
	case unix.F_GETLK, unix.F_SETLK, unix.F_SETLKW, fOFDGetLk, fOFDSetLk, fOFDSetLkW:
		return fcntlLock(t, f, cmd, a[2])
	case unix.F_GETPIPE_SZ, unix.F_SETPIPE_SZ:
		return pipeFcntl(t, f, cmd, a[2])
	case unix.F_ADD_SEALS, unix.F_GET_SEALS:
		return fcntlSeals(f, cmd, a[2])
	case unix.F_SETLEASE, unix.F_GETLEASE:
		return fcntlLease(t, f, fd, cmd, a[2])
	case unix.F_NOTIFY:
		return fcntlNotify(t, f, fd, a[2])
	}
	return 0, unix.EINVAL
}

func dup(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	fd, err := fdTable(t).NewFD(0, f, 0)
	return uintptr(fd), err
}

func dup2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if int32(a[0]) == int32(a[1]) {
		return uintptr(int32(a[1])), nil
	}
	return doDup3(t, f, a[1], 0)
}

func dup3(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(int32(a[2]))
	if flags&^unix.O_CLOEXEC != 0 {
		return 0, unix.EINVAL
	}
	if int32(a[0]) == int32(a[1]) {
		return 0, unix.EINVAL
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	fl := 0
	if flags&unix.O_CLOEXEC != 0 {
		fl = vfs.FDCloexec
	}
	return doDup3(t, f, a[1], fl)
}

func doDup3(t *kernel.Task, f *vfs.File, newfd uintptr, fl int) (uintptr, error) {
	if err := fdTable(t).SetFD(t, int32(newfd), f, fl); err != nil {
		return 0, err
	}
	return uintptr(int32(newfd)), nil
}

func ioctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd := int32(a[0])
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	cmd := uint32(a[1])
	if err := landlockIoctl(f, cmd); err != nil {
		return 0, err
	}
	switch cmd {
	case vfs.IoctlFIOCLEX:
		return 0, t.FDTable().SetFlags(fd, vfs.FDCloexec)
	case vfs.IoctlFIONCLEX:
		return 0, t.FDTable().SetFlags(fd, 0)
	case unix.TIOCGPTPEER:
		return openPTYPeer(t, f, int(a[2]))
	case vfs.IoctlFIOASYNC:
		return 0, fioAsync(t, f, fd, a[2])
	}
	if net.Of(f) != nil {
		if r, ok, err := socketOwnerIoctl(t, f, cmd, a[2]); ok {
			return r, err
		}
	}
	return f.Ioctl(t, t, cmd, a[2])
}

func fsync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSync(t, a[0], false)
}

func fdatasync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSync(t, a[0], true)
}

func doSync(t *kernel.Task, fd uintptr, dataOnly bool) (uintptr, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, f.Sync(t, dataOnly)
}

// sync writes back the page caches of mapped files and commits the file
// systems that hold changes in memory (ext4's journal).
func sync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.Kernel().VFS().WritebackAll(nil)
	return 0, nil
}

func syncfs(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if err := t.Kernel().VFS().WritebackAll(f.Dentry().Filesystem()); err != nil {
		return 0, unix.EIO
	}
	return 0, nil
}

// sync_file_range flags.
const syncFileRangeFlags = 0x1 | 0x2 | 0x4

// syncFileRange writes back the file's page cache (the whole file: the
// range is a hint) when asked to write.
func syncFileRange(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	off, n, flags := int64(a[1]), int64(a[2]), uint32(a[3])
	if flags&^syncFileRangeFlags != 0 || off < 0 || n < 0 || off > 1<<63-1-n {
		return 0, unix.EINVAL
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	switch f.Dentry().Type() {
	case unix.S_IFREG, unix.S_IFBLK, unix.S_IFDIR, unix.S_IFLNK:
		if flags&0x2 != 0 { // SYNC_FILE_RANGE_WRITE
			return 0, f.WritebackCache()
		}
		return 0, nil
	}
	return 0, unix.ESPIPE
}

func ftruncate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, t.Kernel().VFS().Ftruncate(t, f, int64(a[1]))
}

// openPTYPeer is TIOCGPTPEER: a new fd for the slave of the master f,
// opened with flags (O_RDWR, O_NOCTTY, O_CLOEXEC...).
func openPTYPeer(t *kernel.Task, f *vfs.File, flags int) (uintptr, error) {
	if flags&^(unix.O_ACCMODE|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC) != 0 {
		return 0, unix.EINVAL
	}
	peer, err := tty.OpenPeer(t, t.FSContext(), f, flags&^unix.O_CLOEXEC)
	if err != nil {
		return 0, err
	}
	defer peer.DecRef(t)
	fdFlags := 0
	if flags&unix.O_CLOEXEC != 0 {
		fdFlags = vfs.FDCloexec
	}
	nfd, err := t.FDTable().NewFD(0, peer, fdFlags)
	return uintptr(nfd), err
}
