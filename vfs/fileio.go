package vfs

import "golang.org/x/sys/unix"

// IOChunk is the size of the kernel buffer ReadTo and WriteFrom copy
// through, so that a large read or write never allocates the user's
// length at once.
const IOChunk = 64 << 10

// MaxRWCount is the most one read or write transfers (Linux's
// MAX_RW_COUNT).
const MaxRWCount = 0x7ffff000

// StreamReader is implemented by stream file operations that carry out a
// whole read(2) themselves, copying straight from their buffers to sink
// (pipes: one read returns everything buffered, up to n, not one chunk).
// n is at most MaxRWCount and not zero. It returns the bytes sink took,
// or an error if none.
type StreamReader interface {
	ReadToSink(ctx Context, f *File, n int64, sink func([]byte) (int, error)) (int64, error)
}

// StreamWriter is StreamReader's counterpart for write(2): source fills
// the buffer it is given (fewer bytes and an error when the user memory
// faults).
type StreamWriter interface {
	WriteFromSource(ctx Context, f *File, n int64, source func([]byte) (int, error)) (int64, error)
}

// UserStreamReader and UserStreamWriter are implemented by stream file
// operations that may also move a whole read(2) or write(2) straight
// between their own data and the pages of the program's buffer (a host
// socket receives into them, or sends from them, in place); they are
// used instead of StreamReader and StreamWriter where there is a
// UserBuffer (ReadToUser, WriteFromUser).
type UserStreamReader interface {
	ReadToUserBuffer(ctx Context, f *File, n int64, ub UserBuffer) (int64, error)
}

// UserStreamWriter is UserStreamReader's counterpart for write(2).
type UserStreamWriter interface {
	WriteFromUserBuffer(ctx Context, f *File, n int64, ub UserBuffer) (int64, error)
}

// UserBuffer is the program memory of a read(2) or write(2), which
// regular files copy to or from in place (the kernel's Task over
// mm.MemoryManager.Pin), other files through a kernel buffer. at is a
// byte offset from the buffer's start; errors are EFAULT.
type UserBuffer interface {
	// Pin returns the kernel's views of the buffer's bytes [at, at+n),
	// valid until unpin is called (which must be called even with an
	// error), covering fewer bytes where the memory faults (none, with
	// an error, if it faults at at). write pins the memory for writing
	// into it (a read(2)).
	Pin(at, n int64, write bool) (views [][]byte, unpin func(), err error)
	// CopyOut copies b to the buffer at at; CopyIn copies from it.
	CopyOut(at int64, b []byte) (int, error)
	CopyIn(at int64, b []byte) (int, error)
}

// GetIOBuf returns a kernel buffer of n bytes (at most IOChunk) from the
// file system's pool; PutIOBuf gives it back once the call is done with
// it (file operations do not keep the slices they are handed).
func (f *File) GetIOBuf(n int64) *[]byte {
	n = min(n, IOChunk)
	if f.vfs == nil {
		b := make([]byte, n)
		return &b
	}
	bp, _ := f.vfs.ioBufs.Get().(*[]byte)
	if bp == nil {
		b := make([]byte, IOChunk)
		bp = &b
	}
	*bp = (*bp)[:n]
	return bp
}

// PutIOBuf gives back a buffer of GetIOBuf.
func (f *File) PutIOBuf(bp *[]byte) {
	if f.vfs != nil && cap(*bp) == IOChunk {
		f.vfs.ioBufs.Put(bp)
	}
}

// WriteDiscarder is implemented by the file operations of devices that
// answer every write without looking at its bytes (/dev/null and
// /dev/zero take them: Linux's write_null returns the count without
// reading the buffer, so even a bad buffer is no EFAULT; /dev/full's
// write_full refuses them with ENOSPC, bad buffer or not).
// DiscardWrite returns the error of a write of one byte or more, nil
// when the device takes it whole.
type WriteDiscarder interface {
	DiscardWrite() error
}

// WriteRefuser is implemented by the file operations of file systems
// that check each write a program makes through a descriptor already
// open for writing: ext4 refuses one to a file made immutable since
// (ext4_write_checks' EPERM; the VFS refused only the opens for writing
// after it, and tmpfs takes the write, as on Linux). RefuseWrite returns
// the write's error, nil when it may go on.
type WriteRefuser interface {
	RefuseWrite() error
}

// InPlaceIO is implemented by the file operations of devices whose Read
// and Write neither block nor look at any address space (/dev/zero,
// /dev/urandom), so that reads and writes may hand them the pages of the
// program's buffer as regular files are.
type InPlaceIO interface {
	InPlaceIO()
}

// VectorReader is implemented by file operations that read into several
// buffers at once, as if they were one (the views of a pinned program
// buffer), so that a run of the file's pages is copied into all the
// buffers it spans at once (tmpfs: one host call). It reads as Read, and
// is used only for files without a page cache.
type VectorReader interface {
	ReadVec(ctx Context, f *File, dst [][]byte, off int64) (int, error)
}

// VectorWriter is VectorReader's counterpart for writes: WriteVec writes
// src at off, or at the end of the file if appending (as Appender), and
// returns the count and where the write ended. It applies the caller's
// file size limit (RLIMIT_FSIZE) itself, as Write's callers do for Write
// (LimitWrite).
type VectorWriter interface {
	WriteVec(ctx Context, f *File, src [][]byte, off int64, appending bool) (n int, end int64, err error)
}

// viewsLen returns the total length of views.
func viewsLen(views [][]byte) int {
	n := 0
	for _, v := range views {
		n += len(v)
	}
	return n
}

// pinChunk is the most of a program's buffer a read or write pins at once.
const pinChunk = 1 << 20

// ReadToUser is ReadTo for read(2) and pread(2): a regular file's data
// is copied straight into ub's pages, other files' through a buffer.
func (f *File) ReadToUser(ctx Context, n int64, off int64, ub UserBuffer) (int64, error) {
	m, err := f.readTo(ctx, n, off, nil, ub)
	if m > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InAccess)
	}
	if m > 0 || err == nil {
		f.accessed(ctx, n)
	}
	return m, err
}

// WriteFromUser is WriteFrom for write(2) and pwrite(2): a regular
// file's data is copied straight from ub's pages, other files' through a
// buffer.
func (f *File) WriteFromUser(ctx Context, n int64, off int64, ub UserBuffer) (int64, error) {
	return f.WriteFromUserAppend(ctx, n, off, ub, AppendAsOpened)
}

// AppendMode says whether a write appends: as the file's O_APPEND says,
// or always or never whatever it says (pwritev2's RWF_APPEND and
// RWF_NOAPPEND).
type AppendMode int

// AppendMode values.
const (
	AppendAsOpened AppendMode = iota
	AppendAlways
	AppendNever
)

// WriteFromUserAppend is WriteFromUser with the write's O_APPEND given
// by mode.
func (f *File) WriteFromUserAppend(ctx Context, n int64, off int64, ub UserBuffer, mode AppendMode) (int64, error) {
	m, err := f.writeFrom(ctx, n, off, nil, ub, mode)
	if m > 0 {
		f.vfs.notifyDentry(f.path.Dentry, InModify)
	}
	return m, err
}

// ubSink copies to ub from byte start on (where the pinned part of a
// read ended), advancing.
func ubSink(ub UserBuffer, start int64) func([]byte) (int, error) {
	at := start
	return func(b []byte) (int, error) {
		k, err := ub.CopyOut(at, b)
		at += int64(k)
		return k, err
	}
}

// ubSource copies from ub as ubSink copies to it.
func ubSource(ub UserBuffer, start int64) func([]byte) (int, error) {
	at := start
	return func(b []byte) (int, error) {
		k, err := ub.CopyIn(at, b)
		at += int64(k)
		return k, err
	}
}

// pinnable reports whether reads and writes of f may use the pages of
// the program's buffer in place: regular files whose data comes from
// memory or storage (not generated files, which may look at the very
// address space, and not streams), and devices that say so (InPlaceIO).
func (f *File) pinnable() bool {
	if _, ok := f.ops.(InPlaceIO); ok && !f.stream {
		return true
	}
	if f.stream || f.path.Dentry == nil || f.path.Dentry.typ != unix.S_IFREG {
		return false
	}
	_, gen := f.ops.(Unmappable)
	return !gen
}

// readPinned reads into ub's pages in place from byte total of the
// transfer on, advancing total and *pos. done is false if the buffer
// faulted where nothing was read yet: the caller goes on through a kernel
// buffer (which gets the file's answer first: a read at the end of the
// file returns 0 even into a bad buffer, as on Linux).
func (f *File) readPinned(ctx Context, n, total int64, pos *int64, useOffset bool, ub UserBuffer) (int64, bool, error) {
	for total < n {
		views, unpin, perr := ub.Pin(total, min(n-total, pinChunk), true)
		var err error
		short := false
		if vr, ok := f.ops.(VectorReader); ok && f.cacheOf() == nil {
			want := viewsLen(views)
			m, rerr := vr.ReadVec(ctx, f, views, *pos)
			total += int64(m)
			*pos += int64(m)
			if useOffset {
				f.offset = *pos
			}
			err = rerr
			short = rerr != nil || m < want
			views = nil
		}
		for _, v := range views {
			m, rerr := f.readOps(ctx, v, *pos)
			total += int64(m)
			*pos += int64(m)
			if useOffset {
				f.offset = *pos
			}
			if err = rerr; err != nil || m < len(v) {
				short = true
				break
			}
		}
		unpin()
		if short {
			return total, true, err
		}
		if perr != nil {
			return total, false, nil
		}
	}
	return total, true, nil
}

// writePinned writes from ub's pages in place, as readPinned reads.
func (f *File) writePinned(ctx Context, n, total int64, pos *int64, useOffset bool, app Appender, ub UserBuffer) (int64, bool, error) {
	for total < n {
		views, unpin, perr := ub.Pin(total, min(n-total, pinChunk), false)
		var err error
		short := false
		if vw, ok := f.ops.(VectorWriter); ok && f.cacheOf() == nil {
			want := viewsLen(views)
			w, end, werr := vw.WriteVec(ctx, f, views, *pos, app != nil)
			if app == nil || w > 0 || werr == nil {
				*pos = end
			}
			total += int64(w)
			if useOffset {
				f.offset = *pos
			}
			err = werr
			short = werr != nil || w < want
			views = nil
		}
		for _, v := range views {
			var w int
			if app != nil {
				var end int64
				w, end, err = f.writeOps(ctx, v, 0, app)
				if w > 0 || err == nil {
					*pos = end
				}
			} else {
				w, _, err = f.writeOps(ctx, v, *pos, nil)
				*pos += int64(w)
			}
			total += int64(w)
			if useOffset {
				f.offset = *pos
			}
			if err != nil || w < len(v) {
				short = true
				break
			}
		}
		unpin()
		if short {
			return total, true, err
		}
		if perr != nil {
			return total, false, nil
		}
	}
	return total, true, nil
}

// readTo is ReadTo without the event it reports; with ub set (and sink
// nil) it is ReadToUser's.
func (f *File) readTo(ctx Context, n int64, off int64, sink func([]byte) (int, error), ub UserBuffer) (int64, error) {
	if err := f.checkRead(); err != nil {
		return 0, err
	}
	if off >= 0 && f.stream {
		return 0, unix.ESPIPE
	}
	if n > MaxRWCount {
		n = MaxRWCount
	}
	if n == 0 {
		return 0, nil
	}
	if ur, ok := f.ops.(UserStreamReader); ok && f.stream && ub != nil {
		return ur.ReadToUserBuffer(ctx, f, n, ub)
	}
	var total int64
	if sr, ok := f.ops.(StreamReader); ok && f.stream {
		if ub != nil {
			sink = ubSink(ub, 0)
		}
		return sr.ReadToSink(ctx, f, n, sink)
	}
	pos := off
	if !f.stream && off < 0 {
		f.posMu.Lock()
		defer f.posMu.Unlock()
		pos = f.offset
	}
	if ub != nil && f.pinnable() {
		var done bool
		var err error
		total, done, err = f.readPinned(ctx, n, total, &pos, !f.stream && off < 0, ub)
		if done {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
	}
	if ub != nil {
		sink = ubSink(ub, total)
	}
	bp := f.GetIOBuf(n - total)
	defer f.PutIOBuf(bp)
	buf := *bp
	for total < n {
		chunk := buf[:min(n-total, int64(len(buf)))]
		m, err := f.readOps(ctx, chunk, pos)
		if m > 0 {
			took, serr := sink(chunk[:m])
			total += int64(took)
			pos += int64(took)
			if !f.stream && off < 0 {
				f.offset = pos
			}
			if serr != nil {
				if total == 0 {
					return 0, serr
				}
				return total, nil
			}
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
		if m < len(chunk) || f.stream {
			break
		}
	}
	return total, nil
}

// limitCall cuts a write of n bytes at pos (at the end of the file when
// appending) short at the caller's file size limit, or fails with EFBIG
// and SIGXFSZ when pos is at or past it; files other than regular ones
// have no size limit.
func (f *File) limitCall(ctx Context, n, pos int64, appending bool) (int64, error) {
	if n == 0 || f.path.Dentry == nil || f.path.Dentry.typ != unix.S_IFREG || ctx.FileSizeLimit() == noFileSizeLimit {
		return n, nil
	}
	if appending {
		st, err := f.path.Dentry.inode.Stat(ctx)
		if err != nil {
			return 0, err
		}
		pos = st.Size
	}
	m, err := limitWrite(ctx, pos, int(n))
	return int64(m), err
}

// writeFrom is WriteFrom without the event it reports; with ub set (and
// source nil) it is WriteFromUser's.
func (f *File) writeFrom(ctx Context, n int64, off int64, source func([]byte) (int, error), ub UserBuffer, mode AppendMode) (int64, error) {
	if err := f.checkWrite(); err != nil {
		return 0, err
	}
	if off >= 0 && f.stream {
		return 0, unix.ESPIPE
	}
	if n > MaxRWCount {
		n = MaxRWCount
	}
	if n == 0 {
		return 0, nil
	}
	if d, ok := f.ops.(WriteDiscarder); ok {
		if err := d.DiscardWrite(); err != nil {
			return 0, err
		}
		return n, nil
	}
	if uw, ok := f.ops.(UserStreamWriter); ok && f.stream && ub != nil {
		return uw.WriteFromUserBuffer(ctx, f, n, ub)
	}
	var total int64
	if sw, ok := f.ops.(StreamWriter); ok && f.stream {
		if ub != nil {
			source = ubSource(ub, 0)
		}
		return sw.WriteFromSource(ctx, f, n, source)
	}
	if err := f.removePrivs(ctx); err != nil {
		return 0, err
	}
	useOffset := !f.stream && off < 0
	pos := off
	if useOffset {
		f.posMu.Lock()
		defer f.posMu.Unlock()
		pos = f.offset
	}
	app, _ := f.ops.(Appender)
	appending := app != nil && !f.stream && (mode == AppendAlways || mode == AppendAsOpened && f.Flags()&unix.O_APPEND != 0)
	// RLIMIT_FSIZE cuts the call short once, as Linux's
	// generic_write_check_limits: the pieces below then never start
	// at the limit, which would send SIGXFSZ to a call that wrote.
	// (Each piece still checks, under its inode's lock.)
	n, lerr := f.limitCall(ctx, n, pos, appending)
	if lerr != nil {
		return 0, lerr
	}
	if ub != nil && f.pinnable() {
		var done bool
		var err error
		var a Appender
		if appending {
			a = app
		}
		total, done, err = f.writePinned(ctx, n, total, &pos, useOffset, a, ub)
		if done {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
	}
	if ub != nil {
		source = ubSource(ub, total)
	}
	bp := f.GetIOBuf(n - total)
	defer f.PutIOBuf(bp)
	buf := *bp
	for total < n {
		filled, serr := source(buf[:min(n-total, int64(len(buf)))])
		var w int
		var err error
		if filled > 0 {
			if appending {
				var end int64
				w, end, err = f.writeOps(ctx, buf[:filled], 0, app)
				if w > 0 || err == nil {
					pos = end
				}
			} else {
				w, _, err = f.writeOps(ctx, buf[:filled], pos, nil)
				pos += int64(w)
			}
			total += int64(w)
			if useOffset {
				f.offset = pos
			}
		}
		if err == nil && serr != nil && total == 0 {
			err = serr
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			return total, nil
		}
		if serr != nil || w < filled || filled == 0 {
			break
		}
	}
	return total, nil
}
