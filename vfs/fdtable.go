package vfs

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"
)

// FD flags (fcntl F_GETFD/F_SETFD).
const FDCloexec = unix.FD_CLOEXEC

// DefaultNoFile is the default RLIMIT_NOFILE soft limit.
const DefaultNoFile = 1024

// MaxFD is the largest fd number a table can hold (Linux's nr_open
// default is 1<<20).
const MaxFD = 1 << 20

type fdEntry struct {
	file  *File
	flags int // FDCloexec
}

// FDTable maps file descriptors to files. It may be shared by threads
// (CLONE_FILES); Fork copies it.
type FDTable struct {
	// mu guards the fields below.
	mu    sync.Mutex
	fds   []fdEntry // index is the fd; nil file means free
	used  int
	limit int32 // RLIMIT_NOFILE: fds must be below it
}

// NewFDTable returns an empty table with the default limit.
func NewFDTable() *FDTable {
	return &FDTable{limit: DefaultNoFile}
}

// SetLimit sets the RLIMIT_NOFILE value that NewFD checks.
func (t *FDTable) SetLimit(n uint64) {
	if n > MaxFD {
		n = MaxFD
	}
	t.mu.Lock()
	t.limit = int32(n)
	t.mu.Unlock()
}

// Limit returns the RLIMIT_NOFILE value in effect.
func (t *FDTable) Limit() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.limit
}

// Get returns the file at fd with a new reference the caller must drop
// with DecRef, and its fd flags; EBADF if fd is not open.
func (t *FDTable) Get(fd int32) (*File, int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.fds) || t.fds[fd].file == nil {
		return nil, 0, unix.EBADF
	}
	e := t.fds[fd]
	e.file.IncRef()
	return e.file, e.flags, nil
}

// NewFD installs f at the lowest free fd >= minFD and returns it; the
// table takes its own reference. EMFILE if no fd below the limit is free,
// EINVAL if minFD is at or above the limit (F_DUPFD's rule).
func (t *FDTable) NewFD(minFD int32, f *File, flags int) (int32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if minFD < 0 || minFD >= t.limit {
		return -1, unix.EINVAL
	}
	fd := minFD
	for int(fd) < len(t.fds) && t.fds[fd].file != nil {
		fd++
	}
	if fd >= t.limit {
		return -1, unix.EMFILE
	}
	t.setLocked(fd, f, flags)
	return fd, nil
}

// setLocked puts f at fd and returns the file that was there.
//
// Preconditions: t.mu is held; 0 <= fd < MaxFD.
func (t *FDTable) setLocked(fd int32, f *File, flags int) *File {
	for int(fd) >= len(t.fds) {
		n := 2 * len(t.fds)
		if n < 8 {
			n = 8
		}
		if n > MaxFD {
			n = MaxFD
		}
		t.fds = append(t.fds, make([]fdEntry, n-len(t.fds))...)
	}
	old := t.fds[fd].file
	if old == nil {
		t.used++
	}
	f.IncRef()
	t.fds[fd] = fdEntry{file: f, flags: flags & FDCloexec}
	return old
}

// SetFD puts f at fd (dup2, dup3), closing what was there. EBADF if fd is
// negative or not below the limit.
func (t *FDTable) SetFD(ctx Context, fd int32, f *File, flags int) error {
	t.mu.Lock()
	if fd < 0 || fd >= t.limit {
		t.mu.Unlock()
		return unix.EBADF
	}
	old := t.setLocked(fd, f, flags)
	t.mu.Unlock()
	if old != nil {
		t.closed(ctx, old)
	}
	return nil
}

// SetFlags sets fd's flags (F_SETFD); EBADF if fd is not open.
func (t *FDTable) SetFlags(fd int32, flags int) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fd < 0 || int(fd) >= len(t.fds) || t.fds[fd].file == nil {
		return unix.EBADF
	}
	t.fds[fd].flags = flags & FDCloexec
	return nil
}

// Remove closes fd (dropping the table's reference to its file); EBADF if
// fd is not open.
func (t *FDTable) Remove(ctx Context, fd int32) error {
	t.mu.Lock()
	if fd < 0 || int(fd) >= len(t.fds) || t.fds[fd].file == nil {
		t.mu.Unlock()
		return unix.EBADF
	}
	f := t.fds[fd].file
	t.fds[fd] = fdEntry{}
	t.used--
	t.mu.Unlock()
	t.closed(ctx, f)
	return nil
}

// closed drops an fd's reference to f, first releasing the POSIX locks
// the closing process holds on f's file and the F_NOTIFY request made
// through t.
func (t *FDTable) closed(ctx Context, f *File) {
	if f.ops != nil {
		f.vfs.ReleaseOwnerLocks(f.path.Dentry.inode, processOwner(ctx))
		f.vfs.dnotifyFlush(f, t)
	}
	f.DecRef(ctx)
}

// Fork returns a copy of t sharing its files (fork without CLONE_FILES).
func (t *FDTable) Fork() *FDTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &FDTable{fds: make([]fdEntry, len(t.fds)), used: t.used, limit: t.limit}
	copy(n.fds, t.fds)
	for _, e := range n.fds {
		if e.file != nil {
			e.file.IncRef()
		}
	}
	return n
}

// CloseOnExec closes every fd marked FD_CLOEXEC (execve).
func (t *FDTable) CloseOnExec(ctx Context) {
	t.closeIf(ctx, 0, math.MaxInt32, func(e fdEntry) bool { return e.flags&FDCloexec != 0 })
}

// RemoveAll closes every fd (exit).
func (t *FDTable) RemoveAll(ctx Context) {
	t.closeIf(ctx, 0, math.MaxInt32, func(fdEntry) bool { return true })
}

// CloseRange closes fds first..last (close_range(2)); with cloexec set it
// marks them FD_CLOEXEC instead.
func (t *FDTable) CloseRange(ctx Context, first, last uint32, cloexec bool) {
	if first > math.MaxInt32 {
		return
	}
	if last > math.MaxInt32 {
		last = math.MaxInt32
	}
	if cloexec {
		t.mu.Lock()
		for fd := int(first); fd <= int(last) && fd < len(t.fds); fd++ {
			if t.fds[fd].file != nil {
				t.fds[fd].flags |= FDCloexec
			}
		}
		t.mu.Unlock()
		return
	}
	t.closeIf(ctx, int32(first), int32(last), func(fdEntry) bool { return true })
}

func (t *FDTable) closeIf(ctx Context, first, last int32, pred func(fdEntry) bool) {
	var files []*File
	t.mu.Lock()
	for fd := int(first); fd <= int(last) && fd < len(t.fds); fd++ {
		e := t.fds[fd]
		if e.file != nil && pred(e) {
			files = append(files, e.file)
			t.fds[fd] = fdEntry{}
			t.used--
		}
	}
	t.mu.Unlock()
	for _, f := range files {
		t.closed(ctx, f)
	}
}

// FDs returns the open fds in increasing order (for /proc/self/fd).
func (t *FDTable) FDs() []int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	fds := make([]int32, 0, t.used)
	for fd, e := range t.fds {
		if e.file != nil {
			fds = append(fds, int32(fd))
		}
	}
	return fds
}

// Count returns the number of open fds.
func (t *FDTable) Count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.used
}

// MaxFDs returns the size of the table as Linux's fdtable max_fds: at
// least 64, a power of two above every fd ever installed. select(2)
// ignores fd-set bits at or above it.
func (t *FDTable) MaxFDs() int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return int32(max(64, len(t.fds)))
}
