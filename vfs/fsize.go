package vfs

import "golang.org/x/sys/unix"

// RLIMIT_FSIZE, as Linux's generic_write_check_limits and
// inode_newsize_ok apply it to regular files.

// noFileSizeLimit is RLIM_INFINITY.
const noFileSizeLimit = ^uint64(0)

// limitWrite cuts a write of n bytes at pos short at the caller's file
// size limit; a non-empty write starting at or past it raises SIGXFSZ
// and fails with EFBIG.
func limitWrite(ctx Context, pos int64, n int) (int, error) {
	lim := ctx.FileSizeLimit()
	if lim == noFileSizeLimit || n == 0 {
		return n, nil
	}
	if uint64(pos) >= lim {
		ctx.SignalSelf(int(unix.SIGXFSZ))
		return 0, unix.EFBIG
	}
	if rest := lim - uint64(pos); uint64(n) > rest {
		n = int(rest)
	}
	return n, nil
}

// checkGrow refuses to grow a file of size bytes to newSize beyond the
// caller's file size limit (SIGXFSZ and EFBIG); shrinking is always
// allowed.
func checkGrow(ctx Context, size, newSize int64) error {
	lim := ctx.FileSizeLimit()
	if lim == noFileSizeLimit || newSize <= size || uint64(newSize) <= lim {
		return nil
	}
	ctx.SignalSelf(int(unix.SIGXFSZ))
	return unix.EFBIG
}

// limitWriteOf applies limitWrite to a write of src into f at off, or at
// the end of the file with app set; files other than regular ones have
// no size limit.
func (f *File) limitWriteOf(ctx Context, src []byte, off int64, app Appender) ([]byte, error) {
	n, err := f.limitCall(ctx, int64(len(src)), off, app != nil)
	if err != nil {
		return nil, err
	}
	return src[:n], nil
}

// LimitWrite cuts a write of n bytes at pos into f short at the caller's
// file size limit, or fails with EFBIG and SIGXFSZ when pos is at or
// past it, for callers that check a whole transfer before moving data in
// pieces (copy_file_range).
func LimitWrite(ctx Context, f *File, pos, n int64) (int64, error) {
	if n == 0 || f.path.Dentry == nil || f.path.Dentry.typ != unix.S_IFREG {
		return n, nil
	}
	lim := ctx.FileSizeLimit()
	if lim == noFileSizeLimit {
		return n, nil
	}
	if uint64(pos) >= lim {
		ctx.SignalSelf(int(unix.SIGXFSZ))
		return 0, unix.EFBIG
	}
	return min(n, int64(min(lim-uint64(pos), 1<<62))), nil
}
