package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// splice, tee and vmsplice: moving data to and from pipes (fs/pipe does
// the moving; kite copies where Linux passes page references).

// spliceFAll is SPLICE_F_ALL: MOVE, NONBLOCK, MORE and GIFT.
const spliceFAll = unix.SPLICE_F_MOVE | unix.SPLICE_F_NONBLOCK | unix.SPLICE_F_MORE | unix.SPLICE_F_GIFT

// spliceCount limits a transfer as rw_verify_area does for a file side:
// a negative ssize_t is EINVAL, an offset plus count past the largest
// loff_t is EINVAL, and a count is cut at MAX_RW_COUNT.
func spliceCount(n uintptr, off *int64) (int, error) {
	if int64(n) < 0 {
		return 0, unix.EINVAL
	}
	if off != nil && (*off < 0 || *off+int64(n) < 0) {
		return 0, unix.EINVAL
	}
	return int(min(int64(n), vfs.MaxRWCount)), nil
}

// pipeCount cuts a pipe-to-pipe count at MAX_RW_COUNT.
func pipeCount(n uintptr) int { return int(min(uint64(n), uint64(vfs.MaxRWCount))) }

func splice(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	offInAddr, offOutAddr, length, flags := a[1], a[3], a[4], uint32(a[5])
	if length == 0 {
		return 0, nil
	}
	if flags&^spliceFAll != 0 {
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
	if in.IsPath() || out.IsPath() {
		// fdget ignores O_PATH files.
		return 0, unix.EBADF
	}
	ipipe, opipe := pipe.Of(in), pipe.Of(out)
	if (ipipe != nil && offInAddr != 0) || (opipe != nil && offOutAddr != 0) {
		return 0, unix.ESPIPE
	}
	offOut, err := copyInOffset(t, offOutAddr)
	if err != nil {
		return 0, err
	}
	offIn, err := copyInOffset(t, offInAddr)
	if err != nil {
		return 0, err
	}
	if !in.Readable() || !out.Writable() {
		return 0, unix.EBADF
	}
	nonblock := flags&unix.SPLICE_F_NONBLOCK != 0
	var n int
	switch {
	case ipipe != nil && opipe != nil:
		if ipipe == opipe {
			return 0, unix.EINVAL
		}
		if (in.Flags()|out.Flags())&unix.O_NONBLOCK != 0 {
			nonblock = true
		}
		n, err = pipe.Splice(t, ipipe, opipe, pipeCount(length), nonblock)
	case ipipe != nil:
		n, err = spliceFromPipe(t, ipipe, in, out, offOut, length, nonblock)
	case opipe != nil:
		n, err = spliceToPipe(t, opipe, in, out, offIn, length, nonblock)
	default:
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	if offOut != nil {
		if err := copyOutU64(t, offOutAddr, uint64(*offOut)); err != nil {
			return 0, err
		}
	}
	if offIn != nil {
		if err := copyOutU64(t, offInAddr, uint64(*offIn)); err != nil {
			return 0, err
		}
	}
	return uintptr(n), nil
}

// spliceFromPipe moves data from the pipe ipipe (the file in) to out, at
// *off if off is set (and advances it), else at out's file offset.
func spliceFromPipe(t *kernel.Task, ipipe *pipe.Pipe, in, out *vfs.File, off *int64, length uintptr, nonblock bool) (int, error) {
	if off != nil && out.IsStream() {
		return 0, unix.EINVAL
	}
	if out.Flags()&unix.O_APPEND != 0 {
		return 0, unix.EINVAL
	}
	n, err := spliceCount(length, off)
	if err != nil {
		return 0, err
	}
	if in.Flags()&unix.O_NONBLOCK != 0 {
		nonblock = true
	}
	bp := out.GetIOBuf(int64(n))
	defer out.PutIOBuf(bp)
	return ipipe.ToFile(t, n, nonblock, *bp, func(b []byte) (int, error) {
		return writeFileFully(out, b, func(b []byte) (int, error) {
			if off == nil {
				return out.Write(t, b)
			}
			w, err := out.Pwrite(t, b, *off)
			*off += int64(max(w, 0))
			return w, err
		})
	})
}

// writeFileFully writes b with write, and into a regular file goes on
// after a short write until all is written or a write fails, as Linux's
// iter_file_splice_write does: a write cut short at RLIMIT_FSIZE is
// followed by one that raises SIGXFSZ. It returns what was written, or
// the error if nothing was.
func writeFileFully(out *vfs.File, b []byte, write func([]byte) (int, error)) (int, error) {
	w, err := write(b)
	if out.Dentry().Type() != unix.S_IFREG {
		return w, err
	}
	total := max(w, 0)
	for err == nil && w > 0 && total < len(b) {
		w, err = write(b[total:])
		total += max(w, 0)
	}
	if err != nil && total > 0 {
		err = nil
	}
	return total, err
}

// spliceToPipe moves data from in, at *off if off is set (and advances
// it), else at in's file offset, to the pipe opipe (the file out).
func spliceToPipe(t *kernel.Task, opipe *pipe.Pipe, in, out *vfs.File, off *int64, length uintptr, nonblock bool) (int, error) {
	if off != nil && in.IsStream() {
		return 0, unix.EINVAL
	}
	if in.Dentry().IsDir() {
		return 0, unix.EINVAL
	}
	n, err := spliceCount(length, off)
	if err != nil {
		return 0, err
	}
	if out.Flags()&unix.O_NONBLOCK != 0 {
		nonblock = true
	}
	bp := in.GetIOBuf(int64(n))
	defer in.PutIOBuf(bp)
	w, got, err := opipe.FromFile(t, n, nonblock, *bp, func(b []byte) (int, error) {
		if off != nil {
			return in.Pread(t, b, *off)
		}
		if nonblock && in.IsStream() && in.Readiness(unix.POLLIN)&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) == 0 {
			// A socket's splice_read honours SPLICE_F_NONBLOCK (or the
			// pipe's O_NONBLOCK) as a non-blocking read.
			return 0, unix.EAGAIN
		}
		return in.Read(t, b)
	})
	if off != nil {
		*off += int64(w)
	} else if got > w && !in.IsStream() {
		// Give back what was read but did not fit.
		_, _ = in.Seek(t, int64(w-got), unix.SEEK_CUR)
	}
	return w, err
}

func tee(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	length, flags := a[2], uint32(a[3])
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	if length == 0 {
		return 0, nil
	}
	in, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer in.DecRef(t)
	out, err := getFile(t, a[1])
	if err != nil {
		return 0, err
	}
	defer out.DecRef(t)
	if in.IsPath() || out.IsPath() || !in.Readable() || !out.Writable() {
		return 0, unix.EBADF
	}
	ipipe, opipe := pipe.Of(in), pipe.Of(out)
	if ipipe == nil || opipe == nil || ipipe == opipe {
		return 0, unix.EINVAL
	}
	nonblock := flags&unix.SPLICE_F_NONBLOCK != 0 || (in.Flags()|out.Flags())&unix.O_NONBLOCK != 0
	n, err := pipe.Tee(t, ipipe, opipe, pipeCount(length), nonblock)
	return uintptr(n), err
}

func vmsplice(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint32(a[3])
	if flags&^spliceFAll != 0 {
		return 0, unix.EINVAL
	}
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	// A file open for writing is written to, else one open for reading
	// is read from.
	toPipe := f.Writable()
	if f.IsPath() || (!toPipe && !f.Readable()) {
		return 0, unix.EBADF
	}
	iovs, total, err := copyInIovecs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	if total == 0 {
		return 0, nil
	}
	p := pipe.Of(f)
	if p == nil {
		return 0, unix.EBADF
	}
	nonblock := flags&unix.SPLICE_F_NONBLOCK != 0
	var n int
	if toPipe {
		n, err = p.WriteSome(t, int(total), iovSource(t, iovs), nonblock)
	} else {
		n, err = p.Read(t, int(total), iovSink(t, iovs), nonblock)
	}
	return uintptr(n), err
}
