package pipe

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// File is the file operations of one open end of a pipe or FIFO (a FIFO
// opened O_RDWR is both).
type File struct {
	vfs.StreamFile
	p              *Pipe
	reader, writer bool
	// hupAfter is the pipe's wCounter when a FIFO was opened for reading
	// with O_NONBLOCK and no writer: POLLHUP is suppressed until a writer
	// has come.
	hupAfter uint64
	// release, if set, runs after the end is closed (the FIFO table
	// forgets pipes nobody has open).
	release func()
}

// Pipe returns the pipe the file is an end of.
func (f *File) Pipe() *Pipe { return f.p }

// Release implements vfs.FileOperations.
func (f *File) Release(vfs.Context) {
	p := f.p
	p.mu.Lock()
	if f.reader {
		p.readers--
	}
	if f.writer {
		p.writers--
	}
	p.files--
	lastSide := (f.reader && p.readers == 0) || (f.writer && p.writers == 0)
	oneSide := (p.readers == 0) != (p.writers == 0)
	p.mu.Unlock()
	if lastSide {
		p.queue.Notify(readableEvents | writableEvents | unix.POLLERR | unix.POLLHUP)
	}
	if oneSide {
		p.asyncReaders.Kill(vfs.PollIn)
		p.asyncWriters.Kill(vfs.PollOut)
	}
	if f.release != nil {
		f.release()
	}
}

// Fasync implements vfs.Fasyncer: a reading end joins the readers'
// list, a writing end the writers' (pipe_fasync).
func (f *File) Fasync(vf *vfs.File, fd int32, on bool) {
	if f.reader {
		f.p.asyncReaders.Fasync(vf, fd, on)
	}
	if f.writer {
		f.p.asyncWriters.Fasync(vf, fd, on)
	}
}

// Read implements vfs.FileOperations.
func (f *File) Read(ctx vfs.Context, vf *vfs.File, dst []byte, _ int64) (int, error) {
	return f.p.read(ctx, len(dst), sliceSink(dst), vf.Flags()&unix.O_NONBLOCK != 0)
}

// Write implements vfs.FileOperations.
func (f *File) Write(ctx vfs.Context, vf *vfs.File, src []byte, _ int64) (int, error) {
	fl := vf.Flags()
	return f.p.write(ctx, len(src), sliceSource(src), fl&unix.O_NONBLOCK != 0, fl&unix.O_DIRECT != 0)
}

// ReadToSink implements vfs.StreamReader: one read returns everything
// buffered up to n, however large the pipe.
func (f *File) ReadToSink(ctx vfs.Context, vf *vfs.File, n int64, sink func([]byte) (int, error)) (int64, error) {
	got, err := f.p.read(ctx, int(n), sink, vf.Flags()&unix.O_NONBLOCK != 0)
	return int64(got), err
}

// WriteFromSource implements vfs.StreamWriter.
func (f *File) WriteFromSource(ctx vfs.Context, vf *vfs.File, n int64, source func([]byte) (int, error)) (int64, error) {
	fl := vf.Flags()
	got, err := f.p.write(ctx, int(n), source, fl&unix.O_NONBLOCK != 0, fl&unix.O_DIRECT != 0)
	return int64(got), err
}

// sliceSink copies into dst, advancing.
func sliceSink(dst []byte) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n := copy(dst, b)
		dst = dst[n:]
		return n, nil
	}
}

// sliceSource copies from src, advancing.
func sliceSource(src []byte) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n := copy(b, src)
		src = src[n:]
		return n, nil
	}
}

// Ioctl implements vfs.FileOperations: FIONREAD.
func (f *File) Ioctl(_ vfs.Context, _ *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != vfs.IoctlFIONREAD {
		return 0, unix.ENOTTY
	}
	v := uint32(f.p.Buffered())
	b := []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
	if _, err := io.CopyOut(arg, b); err != nil {
		return 0, unix.EFAULT
	}
	return 0, nil
}

// Readiness implements vfs.Waitable, as pipe_poll: readable when there is
// data, POLLHUP for a reader when no writer is left, writable when a slot
// is free, POLLERR for a writer when no reader is left.
func (f *File) Readiness(mask uint32) uint32 {
	p := f.p
	var r uint32
	p.mu.Lock()
	if f.reader {
		if p.bufs.len() > 0 {
			r |= readableEvents
		}
		if p.writers == 0 && p.wCounter != f.hupAfter {
			r |= unix.POLLHUP
		}
	}
	if f.writer {
		if !p.full() {
			r |= writableEvents
		}
		if p.readers == 0 {
			r |= unix.POLLERR
		}
	}
	p.mu.Unlock()
	return r & (mask | unix.POLLERR | unix.POLLHUP)
}

// EventRegister implements vfs.Waitable.
func (f *File) EventRegister(e *vfs.WaitEntry) { f.p.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (f *File) EventUnregister(e *vfs.WaitEntry) { f.p.queue.EventUnregister(e) }

// Of returns the pipe behind an open file, or nil if it is not a pipe or
// FIFO end.
func Of(vf *vfs.File) *Pipe {
	if f, ok := vf.Ops().(*File); ok {
		return f.p
	}
	return nil
}

// Fcntl carries out F_GETPIPE_SZ and F_SETPIPE_SZ on vf (EBADF if it is
// not a pipe). privileged is CAP_SYS_RESOURCE.
func Fcntl(vf *vfs.File, cmd int, arg uint32, privileged bool) (int, error) {
	p := Of(vf)
	if p == nil {
		return 0, unix.EBADF
	}
	switch cmd {
	case unix.F_GETPIPE_SZ:
		return p.Size(), nil
	case unix.F_SETPIPE_SZ:
		return p.SetSize(arg, privileged)
	}
	return 0, unix.EINVAL
}
