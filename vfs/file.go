package vfs

import (
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// File is an open file description: what open(2) creates and fds refer
// to. It is reference counted; the last DecRef releases its operations.
type File struct {
	vfs    *VirtualFilesystem
	path   Path
	ops    FileOperations // nil for O_PATH files
	stream bool
	// writer says the file holds write access to its inode (see
	// writeaccess.go), dropped at the last DecRef.
	writer bool
	// reader says the file is a regular file open read-only, counted
	// in the VFS's readCounts until the last DecRef (lease.go).
	reader bool
	// creds are the credentials of the task that opened the file
	// (Linux's f_cred): linkat(AT_EMPTY_PATH) compares them with the
	// caller's.
	creds *auth.Credentials
	// landlockDeny are the rights the opener's Landlock domain refused on
	// the file when it was opened: ftruncate needs TRUNCATE.
	landlockDeny uint64

	refs atomic.Int64
	// flags are the access mode (O_ACCMODE bits, or O_PATH) and status
	// flags (O_APPEND, O_NONBLOCK, ...).
	flags atomic.Int32

	// cache is the page cache the file is attached to (it mapped the
	// file), or nil. Guarded by the VFS's cacheMu.
	cache *fileCache

	// posMu serializes offset-using operations on non-stream files and
	// guards offset.
	posMu  sync.Mutex
	offset int64

	// asyncMu guards async, the owner and signal of F_SETOWN and
	// F_SETSIG (fasync.go), nil until set.
	asyncMu sync.Mutex
	async   *fileAsync

	// detached is the anonymous mount namespace of the detached tree
	// the file was made for (fsmount, open_tree's OPEN_TREE_CLONE): the
	// last DecRef drops it, unmounting the tree unless move_mount
	// attached it (Linux's FMODE_NEED_UNMOUNT). Set before the file is
	// shared.
	detached *MountNamespace
}

// File status flags that fcntl(F_SETFL) may change.
const settableStatusFlags = unix.O_APPEND | unix.O_ASYNC | unix.O_DIRECT | unix.O_NOATIME | unix.O_NONBLOCK

// Flags that open keeps as the file's status flags (others, like O_CREAT
// and O_CLOEXEC, only affect the open call).
const keptOpenFlags = unix.O_ACCMODE | unix.O_PATH | settableStatusFlags | unix.O_DSYNC | unix.O_SYNC | OLargefile | unix.O_DIRECTORY | unix.O_NOFOLLOW

func (v *VirtualFilesystem) newFile(ctx Context, p Path, ops FileOperations, flags int) *File {
	f := &File{vfs: v, path: p, ops: ops, creds: ctx.Credentials()}
	if s, ok := ops.(Streamer); ok && s.Stream() {
		f.stream = true
	}
	f.flags.Store(int32(flags & keptOpenFlags))
	f.refs.Store(1)
	v.notifyOpened(p)
	return f
}

// Credentials returns the credentials of the task that opened the file:
// the same pointer as the task's own as long as neither changed them
// (a set*id call, execve, or fork, which gives the child a copy).
func (f *File) Credentials() *auth.Credentials { return f.creds }

// IncRef takes a reference.
func (f *File) IncRef() { f.refs.Add(1) }

// DecRef drops a reference; the last one releases the file.
func (f *File) DecRef(ctx Context) {
	switch n := f.refs.Add(-1); {
	case n == 0:
		f.vfs.notifyReleased(f)
		if f.cache != nil {
			f.detachCache()
		}
		if f.ops != nil {
			f.releaseAsync()
			f.vfs.releaseFileLocks(f)
			f.vfs.releaseLeases(f)
			f.ops.Release(ctx)
		}
		if f.writer {
			f.vfs.putWriteAccess(f.path.Dentry.inode)
		}
		if f.reader {
			f.vfs.putReadAccess(f.path.Dentry.inode)
		}
		if f.detached != nil {
			f.detached.DecRef()
		}
	case n < 0:
		panic("vfs: File.DecRef of a released file")
	}
}

// VFS returns the VFS the file belongs to.
func (f *File) VFS() *VirtualFilesystem { return f.vfs }

// Path returns where the file was opened (an anonymous dentry with a nil
// Mount for NewAnonymousFile files).
func (f *File) Path() Path { return f.path }

// Dentry returns the file's dentry.
func (f *File) Dentry() *Dentry { return f.path.Dentry }

// Inode returns the file's inode.
func (f *File) Inode() Inode { return f.path.Dentry.inode }

// Ops returns the file's operations (nil for O_PATH files).
func (f *File) Ops() FileOperations { return f.ops }

// Flags returns the access mode and status flags (for F_GETFL).
func (f *File) Flags() int { return int(f.flags.Load()) }

// SetStatusFlags sets the flags fcntl(F_SETFL) may change (O_APPEND,
// O_ASYNC, O_DIRECT, O_NOATIME, O_NONBLOCK) and keeps the others.
func (f *File) SetStatusFlags(flags int) {
	for {
		old := f.flags.Load()
		n := old&^settableStatusFlags | int32(flags&settableStatusFlags)
		if f.flags.CompareAndSwap(old, n) {
			return
		}
	}
}

// IsPath reports whether the file was opened with O_PATH.
func (f *File) IsPath() bool { return f.ops == nil }

// IsStream reports whether the file has no offset (pipes, sockets, ttys).
func (f *File) IsStream() bool { return f.stream }

// Readable reports whether the file was opened for reading.
func (f *File) Readable() bool {
	acc := f.Flags() & unix.O_ACCMODE
	return f.ops != nil && (acc == unix.O_RDONLY || acc == unix.O_RDWR)
}

// Writable reports whether the file was opened for writing.
func (f *File) Writable() bool {
	acc := f.Flags() & unix.O_ACCMODE
	return f.ops != nil && (acc == unix.O_WRONLY || acc == unix.O_RDWR)
}

func (f *File) checkRead() error {
	if !f.Readable() {
		return unix.EBADF
	}
	if f.path.Dentry.IsDir() {
		return unix.EISDIR
	}
	return nil
}

// checkWrite is the check of every write a program makes (write,
// pwrite, their vectored forms, splice, sendfile, copy_file_range),
// zero-length ones too; page-cache writeback does not make it.
func (f *File) checkWrite() error {
	if !f.Writable() {
		return unix.EBADF
	}
	if r, ok := f.ops.(WriteRefuser); ok {
		return r.RefuseWrite()
	}
	return nil
}

// removePrivs drops the file's set-id bits before a write changes it.
func (f *File) removePrivs(ctx Context) error {
	if f.stream || f.vfs == nil || f.path.Dentry == nil {
		return nil
	}
	return f.vfs.removePrivs(ctx, f.path.Dentry)
}

// read is Read without the event it reports.
func (f *File) read(ctx Context, dst []byte) (int, error) {
	if err := f.checkRead(); err != nil {
		return 0, err
	}
	if f.stream {
		return f.ops.Read(ctx, f, dst, 0)
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	n, err := f.readOps(ctx, dst, f.offset)
	f.offset += int64(n)
	return n, err
}

// pread is Pread without the event it reports.
func (f *File) pread(ctx Context, dst []byte, off int64) (int, error) {
	if err := f.checkRead(); err != nil {
		return 0, err
	}
	if f.stream {
		return 0, unix.ESPIPE
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	return f.readOps(ctx, dst, off)
}

// write is Write without the event it reports.
func (f *File) write(ctx Context, src []byte) (int, error) {
	if err := f.checkWrite(); err != nil {
		return 0, err
	}
	if f.stream {
		return f.ops.Write(ctx, f, src, 0)
	}
	if err := f.removePrivs(ctx); err != nil {
		return 0, err
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	if f.Flags()&unix.O_APPEND != 0 {
		if a, ok := f.ops.(Appender); ok {
			n, end, err := f.writeOps(ctx, src, 0, a)
			if n > 0 || err == nil {
				f.offset = end
			}
			return n, err
		}
	}
	n, _, err := f.writeOps(ctx, src, f.offset, nil)
	f.offset += int64(n)
	return n, err
}

// pwrite is Pwrite without the event it reports.
func (f *File) pwrite(ctx Context, src []byte, off int64) (int, error) {
	if err := f.checkWrite(); err != nil {
		return 0, err
	}
	if f.stream {
		return 0, unix.ESPIPE
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if err := f.removePrivs(ctx); err != nil {
		return 0, err
	}
	if f.Flags()&unix.O_APPEND != 0 {
		if a, ok := f.ops.(Appender); ok {
			n, _, err := f.writeOps(ctx, src, 0, a)
			return n, err
		}
	}
	n, _, err := f.writeOps(ctx, src, off, nil)
	return n, err
}

// Seek moves the file offset (lseek(2)).
func (f *File) Seek(ctx Context, off int64, whence int) (int64, error) {
	if f.ops == nil {
		return 0, unix.EBADF
	}
	if f.stream {
		return 0, unix.ESPIPE
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	n, err := f.ops.Seek(ctx, f, f.offset, off, whence)
	if err != nil {
		return 0, err
	}
	f.offset = n
	return n, nil
}

// Offset returns the file offset.
func (f *File) Offset() int64 {
	f.posMu.Lock()
	defer f.posMu.Unlock()
	return f.offset
}

// Stat returns the attributes of the file's inode (fstat(2)).
func (f *File) Stat(ctx Context) (Stat, error) {
	return f.vfs.statDentry(ctx, f.path.Dentry)
}

// getdents is Getdents without the event it reports.
func (f *File) getdents(ctx Context, emit func(Dirent) bool) error {
	if f.ops == nil {
		return unix.EBADF
	}
	d := f.path.Dentry
	if !d.IsDir() {
		return unix.ENOTDIR
	}
	f.posMu.Lock()
	defer f.posMu.Unlock()
	if d.Dead() {
		return unix.ENOENT
	}
	if f.offset == 0 {
		st, err := d.inode.Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(Dirent{Name: ".", Ino: st.Ino, Type: unix.DT_DIR, NextOff: 1}) {
			return nil
		}
		f.offset = 1
	}
	if f.offset == 1 {
		pp := Path{Mount: f.path.Mount, Dentry: d}
		if pp.Mount != nil {
			pp = f.vfs.parentPath(pp, Path{})
		}
		if pp.Dentry.fs != d.fs {
			pp.Dentry = d
		}
		st, err := pp.Dentry.inode.Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(Dirent{Name: "..", Ino: st.Ino, Type: unix.DT_DIR, NextOff: 2}) {
			return nil
		}
		f.offset = 2
	}
	return f.ops.IterDirents(ctx, f, f.offset, func(e Dirent) bool {
		if !emit(e) {
			return false
		}
		f.offset = e.NextOff
		return true
	})
}

// Ioctl carries out ioctl(2) commands other than the fd-table ones
// (FIOCLEX, FIONCLEX), which the caller handles. FIONBIO and FIOASYNC set
// status flags here; FIONREAD on a regular file reports the bytes between
// the offset and the end.
func (f *File) Ioctl(ctx Context, io UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if f.ops == nil {
		return 0, unix.EBADF
	}
	switch cmd {
	case IoctlFIONBIO, IoctlFIOASYNC:
		var b [4]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		on := b != [4]byte{}
		bit := unix.O_NONBLOCK
		if cmd == IoctlFIOASYNC {
			bit = unix.O_ASYNC
		}
		fl := f.Flags()
		if on {
			fl |= bit
		} else {
			fl &^= bit
		}
		f.SetStatusFlags(fl)
		return 0, nil
	case IoctlFIONREAD:
		if f.path.Dentry.typ == unix.S_IFREG {
			st, err := f.Stat(ctx)
			if err != nil {
				return 0, err
			}
			n := st.Size - f.Offset()
			if n < 0 {
				n = 0
			}
			if n > 1<<31-1 {
				n = 1<<31 - 1
			}
			v := uint32(n)
			b := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
			if _, err := io.CopyOut(arg, b); err != nil {
				return 0, err
			}
			return 0, nil
		}
	}
	if r, err, ok := f.attrFlagsIoctl(ctx, io, cmd, arg); ok {
		return r, err
	}
	return f.ops.Ioctl(ctx, f, io, cmd, arg)
}

// Sync flushes the file (fsync(2), fdatasync(2)).
func (f *File) Sync(ctx Context, dataOnly bool) error {
	if f.ops == nil {
		return unix.EBADF
	}
	if c := f.cacheOf(); c != nil {
		if err := c.pages.Writeback(); err != nil {
			return unix.EIO
		}
	}
	return f.ops.Sync(ctx, f, dataOnly)
}

// ReadAt reads len(p) bytes at offset off, as io.ReaderAt (io.EOF when the
// file ends first); package mm uses it to fill private file mappings. It
// does not need the file to be open for reading.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	if f.ops == nil || f.stream {
		return 0, unix.EBADF
	}
	total := 0
	for total < len(p) {
		n, err := f.readOps(KernelContext{}, p[total:], off+int64(total))
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
	}
	return total, nil
}

// IncMapRef takes a reference for a memory mapping of the file (package
// mm keeps the file open while any VMA maps it).
func (f *File) IncMapRef() { f.IncRef() }

// DecMapRef drops a reference taken by IncMapRef.
func (f *File) DecMapRef() { f.DecRef(KernelContext{}) }

// OLargefile is the kernel's O_LARGEFILE (x/sys/unix has glibc's 0 for
// amd64). Every open on 64-bit Linux sets it and F_GETFL reports it.
const OLargefile = 0o100000
