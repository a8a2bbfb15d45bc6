package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// Copying between files (sendfile, copy_file_range), space allocation
// (fallocate), advice (fadvise64, readahead) and page cache statistics
// (cachestat).

// copyData moves up to n bytes from in to out through a bounded buffer.
// inOff and outOff are explicit offsets, or nil to use (and advance) the
// file offset. It returns the bytes written, or the first error if none
// were.
func copyData(t *kernel.Task, out, in *vfs.File, inOff, outOff *int64, n int64) (int64, error) {
	if n > vfs.MaxRWCount {
		n = vfs.MaxRWCount
	}
	bp := in.GetIOBuf(n)
	defer in.PutIOBuf(bp)
	buf := *bp
	var total int64
	for total < n {
		chunk := buf[:min(n-total, int64(len(buf)))]
		var r int
		var err error
		if inOff != nil {
			r, err = in.Pread(t, chunk, *inOff)
		} else {
			r, err = in.Read(t, chunk)
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			break
		}
		if r == 0 {
			break
		}
		w, err := writeFileFully(out, chunk[:r], func(b []byte) (int, error) {
			if outOff != nil {
				w, err := out.Pwrite(t, b, *outOff)
				*outOff += int64(max(w, 0))
				return w, err
			}
			return out.Write(t, b)
		})
		w = max(w, 0)
		total += int64(w)
		if inOff != nil {
			*inOff += int64(w)
		} else if w < r && !in.IsStream() {
			// Give back what was read but not written.
			_, _ = in.Seek(t, int64(w-r), unix.SEEK_CUR)
		}
		if err != nil {
			if total == 0 {
				return 0, err
			}
			break
		}
		if w < r || r < len(chunk) || in.IsStream() {
			break
		}
	}
	return total, nil
}

// copyInOffset reads an optional loff_t argument.
func copyInOffset(t *kernel.Task, addr uintptr) (*int64, error) {
	if addr == 0 {
		return nil, nil
	}
	v, err := copyInU64(t, addr)
	if err != nil {
		return nil, err
	}
	off := int64(v)
	return &off, nil
}

func sendfile(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	in, err := getFile(t, a[1])
	if err != nil {
		return 0, err
	}
	defer in.DecRef(t)
	out, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer out.DecRef(t)
	if !in.Readable() || !out.Writable() {
		return 0, unix.EBADF
	}
	if out.Flags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	if in.Dentry().IsDir() {
		return 0, unix.EINVAL
	}
	off, err := copyInOffset(t, a[2])
	if err != nil {
		return 0, err
	}
	if off != nil {
		if in.IsStream() {
			return 0, unix.ESPIPE
		}
		if *off < 0 {
			return 0, unix.EINVAL
		}
	}
	count := int64(a[3])
	if count < 0 {
		return 0, unix.EINVAL
	}
	if typ := in.Dentry().Type(); pipe.Of(out) == nil && typ != unix.S_IFREG && typ != unix.S_IFBLK {
		// splice_direct_to_actor reads only seekable files (a
		// socket or pipe goes to a pipe only, through splice).
		return 0, unix.EINVAL
	}
	n, err := copyData(t, out, in, off, nil, count)
	if off != nil && err == nil {
		if err := copyOutU64(t, a[2], uint64(*off)); err != nil {
			return 0, err
		}
	}
	return uintptr(n), err
}

func copyFileRange(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[5] != 0 {
		return 0, unix.EINVAL
	}
	in, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer in.DecRef(t)
	out, err := getFile(t, a[2])
	if err != nil {
		return 0, err
	}
	defer out.DecRef(t)
	if !in.Readable() || !out.Writable() || out.Flags()&unix.O_APPEND != 0 {
		return 0, unix.EBADF
	}
	if in.Dentry().IsDir() || out.Dentry().IsDir() {
		return 0, unix.EISDIR
	}
	if in.Dentry().Type() != unix.S_IFREG || out.Dentry().Type() != unix.S_IFREG {
		return 0, unix.EINVAL
	}
	inOff, err := copyInOffset(t, a[1])
	if err != nil {
		return 0, err
	}
	outOff, err := copyInOffset(t, a[3])
	if err != nil {
		return 0, err
	}
	if (inOff != nil && *inOff < 0) || (outOff != nil && *outOff < 0) {
		return 0, unix.EINVAL
	}
	if out.IsImmutable() { // as generic_copy_file_checks, before a count of 0
		return 0, unix.EPERM
	}
	count := uint64(a[4])
	if count == 0 {
		return 0, nil
	}
	ip, op := in.Offset(), out.Offset()
	if inOff != nil {
		ip = *inOff
	}
	if outOff != nil {
		op = *outOff
	}
	// As generic_copy_file_checks: offsets must not wrap with the count
	// (an unsigned size_t), which is then cut to the input's end and
	// to the file size limit, so the copy stops there quietly.
	if uint64(ip)+count < uint64(ip) || uint64(op)+count < uint64(op) {
		return 0, unix.EOVERFLOW
	}
	st, err := in.Stat(t)
	if err != nil {
		return 0, err
	}
	n := int64(0)
	if ip < st.Size {
		n = int64(min(count, uint64(st.Size-ip)))
	}
	if n, err = vfs.LimitWrite(t, out, op, n); err != nil {
		return 0, err
	}
	// Overlapping ranges of one file are refused.
	if in.Inode() == out.Inode() && ip < op+n && op < ip+n {
		return 0, unix.EINVAL
	}
	if n == 0 {
		return 0, nil
	}
	done, err := copyData(t, out, in, inOff, outOff, n)
	if err != nil {
		return 0, err
	}
	if inOff != nil {
		if err := copyOutU64(t, a[1], uint64(*inOff)); err != nil {
			return 0, err
		}
	}
	if outOff != nil {
		if err := copyOutU64(t, a[3], uint64(*outOff)); err != nil {
			return 0, err
		}
	}
	return uintptr(done), nil
}

func fallocate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, f.Allocate(t, uint32(a[1]), int64(a[2]), int64(a[3]))
}

// fadvise64 checks its arguments as Linux does; with no page cache yet
// there is nothing to act on.
func fadvise64(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	if f.IsStream() || f.Dentry().Type() == unix.S_IFIFO {
		return 0, unix.ESPIPE
	}
	if int64(a[2]) < 0 || uint32(a[3]) > unix.FADV_NOREUSE {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// readahead checks its arguments; there is no page cache to fill yet.
func readahead(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if !f.Readable() {
		return 0, unix.EBADF
	}
	if f.Dentry().Type() != unix.S_IFREG {
		return 0, unix.EINVAL
	}
	return 0, nil
}

// cachestat reports how much of a range of a file is in memory: the pages
// of a tmpfs or memfd file, or of the page cache a mapping gave a file kept
// elsewhere (kite caches no other file data). Nothing is ever under
// writeback or evicted: kite writes back synchronously and drops a page
// cache whole with its last user.
func cachestat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, uintptr(uint32(a[0])))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if f.IsPath() {
		return 0, unix.EBADF
	}
	var rng [16]byte
	if err := copyInFull(t, a[1], rng[:]); err != nil {
		return 0, err
	}
	// No file of kite is hugetlbfs's (Linux: EOPNOTSUPP for those).
	if err := mayCachestat(t, f); err != nil {
		return 0, err
	}
	if uint32(a[3]) != 0 {
		return 0, unix.EINVAL
	}
	off, length := getU64(rng[:], 0), getU64(rng[:], 8)
	first, last := off>>12, ^uint64(0) // last inclusive, as Linux's
	if length != 0 {
		last = (off + length - 1) >> 12
	}
	var cached, dirty uint64
	if p := f.CachedPages(); p != nil && first <= last {
		end := last + 1
		if end == 0 {
			end = last // the page at 2^64-1 is never cached
		}
		cached, dirty = p.CacheStat(first, end)
	}
	var out [40]byte
	putU64(out[:], 0, cached)
	putU64(out[:], 8, dirty)
	return 0, copyOutFull(t, a[2], out[:])
}

// mayCachestat is Linux's can_do_cachestat: a file open for writing, one
// the caller owns (or has CAP_FOWNER over), or one it may write.
func mayCachestat(t *kernel.Task, f *vfs.File) error {
	if f.Writable() {
		return nil
	}
	st, err := f.Stat(t)
	if err != nil {
		return err
	}
	if t.Credentials().IsOwnerOrCapable(st.UID) {
		return nil
	}
	if t.Kernel().VFS().CheckPermission(t, f.Path(), auth.MayWrite) != nil {
		return unix.EPERM
	}
	return nil
}
