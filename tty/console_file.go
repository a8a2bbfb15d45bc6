package tty

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Name is what /proc/PID/fd shows for the console: "/dev/console" for a
// terminal (the file kite's /dev/console opens), "pipe:[INO]" or
// "socket:[INO]" with the host inode number for a pipe or socket, and
// "/dev/console" otherwise.
func (c *Console) Name() string {
	var st unix.Stat_t
	if err := unix.Fstat(c.fd, &st); err == nil {
		switch c.kind {
		case ConsolePipe:
			return fmt.Sprintf("pipe:[%d]", st.Ino)
		case ConsoleSocket:
			return fmt.Sprintf("socket:[%d]", st.Ino)
		}
	}
	return "/dev/console"
}

// consoleInode answers fstat for a console file.
type consoleInode struct {
	vfs.InodeDefaults
	c *Console
}

// NewConsoleInode returns the inode of an anonymous console file (for
// vfs.VirtualFilesystem.NewAnonymousFile): its Stat is Console.Stat.
func NewConsoleInode(c *Console) vfs.Inode { return &consoleInode{c: c} }

// Stat implements vfs.Inode.
func (i *consoleInode) Stat(vfs.Context) (vfs.Stat, error) {
	st, err := i.c.Stat()
	if err != nil {
		return vfs.Stat{}, err
	}
	return vfs.Stat{
		Ino:     st.Ino,
		Nlink:   st.Nlink,
		Mode:    st.Mode,
		UID:     st.Uid,
		GID:     st.Gid,
		Rdev:    st.Rdev,
		Size:    st.Size,
		Blksize: st.Blksize,
		Blocks:  st.Blocks,
		Atime:   st.Atim,
		Mtime:   st.Mtim,
		Ctime:   st.Ctim,
	}, nil
}

// Reopen implements vfs.Reopener: opening kite's stdio again through
// /dev/stdin or /proc/PID/fd/N gives another file over the same console.
func (i *consoleInode) Reopen(vfs.Context, int) (vfs.FileOperations, error) {
	return NewConsoleFile(i.c), nil
}

// NewConsoleFile returns the file operations of an open console. A
// console over a host regular file reads and writes at the host fd's own
// offset (shared with the host fd's other users, as after `>out 2>&1`), so
// the offset the VFS passes is ignored and lseek moves the host offset;
// every other kind is a stream.
func NewConsoleFile(c *Console) vfs.FileOperations {
	if c.kind == ConsoleFile {
		return &consoleRegular{consoleOps{c: c}}
	}
	return &consoleStream{consoleOps: consoleOps{c: c}}
}

// consoleOps is the behaviour shared by both kinds of console file.
type consoleOps struct {
	c *Console
}

// read reads from the console. A blocking read of a pipe, socket or
// terminal that finds no input sleeps on the console's wait queue (the
// same readiness poll and epoll use) through the task's interruptible
// block, never by polling the host on a timer.
func (o *consoleOps) read(ctx vfs.Context, f *vfs.File, dst []byte) (int, error) {
	nonblock := f.Flags()&unix.O_NONBLOCK != 0
	if nonblock || o.c.Kind() == ConsoleFile {
		return o.c.Read(dst, nonblock, ctx.Interrupted)
	}
	for {
		n, err := o.c.Read(dst, true, nil)
		if err != unix.EAGAIN {
			return n, err
		}
		if err := o.waitFor(ctx, unix.POLLIN); err != nil {
			return 0, err
		}
	}
}

// write writes to the console; a blocking write waits for room the same
// way read waits for input, and returns what it wrote if interrupted after
// writing some.
func (o *consoleOps) write(ctx vfs.Context, f *vfs.File, src []byte) (int, error) {
	nonblock := f.Flags()&unix.O_NONBLOCK != 0
	if nonblock || o.c.Kind() == ConsoleFile {
		return o.c.Write(src, nonblock, ctx.Interrupted)
	}
	done := 0
	for {
		n, err := o.c.Write(src[done:], true, nil)
		done += n
		if err != nil && err != unix.EAGAIN {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		if done == len(src) {
			return done, nil
		}
		if err := o.waitFor(ctx, unix.POLLOUT); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
	}
}

// waitFor sleeps until the console may report one of events (or an error
// or hang-up), or the task is interrupted (ERESTARTSYS from the context's BlockOn).
func (o *consoleOps) waitFor(ctx vfs.Context, events int16) error {
	ch := make(chan struct{}, 1)
	e := vfs.NewChannelEntry(uint32(events)|unix.POLLERR|unix.POLLHUP, ch)
	o.c.EventRegister(e)
	defer o.c.EventUnregister(e)
	if o.c.Readiness(events)&(events|unix.POLLERR|unix.POLLHUP) != 0 {
		return nil
	}
	return ctx.BlockOn(ch)
}

// ioctl carries out the terminal ioctls on the console.
func (o *consoleOps) ioctl(io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	c := o.c
	switch cmd {
	case unix.TCGETS:
		t, err := c.Termios()
		if err != nil {
			return 0, err
		}
		_, err = io.CopyOut(arg, encodeTermios(t, termiosSize))
		return 0, err
	case unix.TCSETS, unix.TCSETSW, unix.TCSETSF:
		if !c.IsTerminal() {
			return 0, unix.ENOTTY
		}
		b := make([]byte, termiosSize)
		if _, err := io.CopyIn(arg, b); err != nil {
			return 0, err
		}
		return 0, c.SetTermios(uint(cmd), decodeTermios(b, unix.Termios{}))
	case unix.TIOCGWINSZ:
		w, err := c.Winsize()
		if err != nil {
			return 0, err
		}
		var b [8]byte
		binary.LittleEndian.PutUint16(b[0:], w.Row)
		binary.LittleEndian.PutUint16(b[2:], w.Col)
		binary.LittleEndian.PutUint16(b[4:], w.Xpixel)
		binary.LittleEndian.PutUint16(b[6:], w.Ypixel)
		_, err = io.CopyOut(arg, b[:])
		return 0, err
	case unix.TIOCSWINSZ:
		if !c.IsTerminal() {
			return 0, unix.ENOTTY
		}
		var b [8]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		return 0, c.SetWinsize(unix.Winsize{
			Row:    binary.LittleEndian.Uint16(b[0:]),
			Col:    binary.LittleEndian.Uint16(b[2:]),
			Xpixel: binary.LittleEndian.Uint16(b[4:]),
			Ypixel: binary.LittleEndian.Uint16(b[6:]),
		})
	case unix.TIOCGPGRP:
		pg, err := c.ForegroundPGID()
		if err != nil {
			return 0, err
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(pg))
		_, err = io.CopyOut(arg, b[:])
		return 0, err
	case unix.TIOCSPGRP:
		if !c.IsTerminal() {
			return 0, unix.ENOTTY
		}
		var b [4]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, err
		}
		return 0, c.SetForegroundPGID(int32(binary.LittleEndian.Uint32(b[:])))
	case unix.TIOCINQ: // FIONREAD
		n, err := c.InputAvailable()
		if err != nil {
			return 0, err
		}
		var b [4]byte
		binary.LittleEndian.PutUint32(b[:], uint32(int32(n)))
		_, err = io.CopyOut(arg, b[:])
		return 0, err
	case unix.TCSBRK, unix.TCFLSH, unix.TCXONC:
		// tcdrain, tcflush and tcflow take their argument by value and
		// act only on kite's own terminal.
		if !c.IsTerminal() {
			return 0, unix.ENOTTY
		}
		return 0, unix.IoctlSetInt(c.fd, uint(cmd), int(arg))
	}
	return 0, unix.ENOTTY
}

// consoleStream is a console over a terminal, pipe, socket or device.
type consoleStream struct {
	vfs.StreamFile
	consoleOps
}

// Read implements vfs.FileOperations.
func (s *consoleStream) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	return s.read(ctx, f, dst)
}

// Write implements vfs.FileOperations.
func (s *consoleStream) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	return s.write(ctx, f, src)
}

// Ioctl implements vfs.FileOperations.
func (s *consoleStream) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	return s.ioctl(io, cmd, arg)
}

// Sync implements vfs.FileOperations: Linux's fsync on a terminal or pipe
// is EINVAL.
func (s *consoleStream) Sync(vfs.Context, *vfs.File, bool) error { return unix.EINVAL }

// consoleRegular is a console over a host regular file.
type consoleRegular struct {
	consoleOps
}

// Release implements vfs.FileOperations; the host fd stays kite's.
func (r *consoleRegular) Release(vfs.Context) {}

// Read implements vfs.FileOperations at the host fd's offset.
func (r *consoleRegular) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	return r.read(ctx, f, dst)
}

// Write implements vfs.FileOperations at the host fd's offset (or its
// end, if kite's stdout was opened with O_APPEND).
func (r *consoleRegular) Write(ctx vfs.Context, f *vfs.File, src []byte, _ int64) (int, error) {
	return r.write(ctx, f, src)
}

// Seek implements vfs.FileOperations by moving the host fd's offset.
func (r *consoleRegular) Seek(ctx vfs.Context, f *vfs.File, _, off int64, whence int) (int64, error) {
	return unix.Seek(r.c.fd, off, whence)
}

// IterDirents implements vfs.FileOperations.
func (r *consoleRegular) IterDirents(vfs.Context, *vfs.File, int64, func(vfs.Dirent) bool) error {
	return unix.ENOTDIR
}

// Ioctl implements vfs.FileOperations.
func (r *consoleRegular) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	return r.ioctl(io, cmd, arg)
}

// Sync implements vfs.FileOperations.
func (r *consoleRegular) Sync(_ vfs.Context, _ *vfs.File, dataOnly bool) error {
	if dataOnly {
		return unix.Fdatasync(r.c.fd)
	}
	return unix.Fsync(r.c.fd)
}

// Append implements vfs.Appender: the application asked for O_APPEND
// (which the host fd may lack), so the host offset moves to the end first.
func (r *consoleRegular) Append(ctx vfs.Context, f *vfs.File, src []byte) (int, int64, error) {
	if _, err := unix.Seek(r.c.fd, 0, unix.SEEK_END); err != nil {
		return 0, 0, err
	}
	n, err := r.write(ctx, f, src)
	end, serr := unix.Seek(r.c.fd, 0, unix.SEEK_CUR)
	if err == nil && serr != nil {
		err = serr
	}
	return n, end, err
}
