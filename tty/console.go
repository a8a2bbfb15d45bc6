package tty

import (
	"sync"

	"golang.org/x/sys/unix"
)

// ConsoleKind is what a host stdio fd is connected to.
type ConsoleKind int

// The kinds of host stdio fd a Console can wrap.
const (
	ConsoleTerminal ConsoleKind = iota // a terminal (isatty)
	ConsolePipe                        // a FIFO or pipe
	ConsoleFile                        // a regular file
	ConsoleSocket                      // a socket
	ConsoleCharDev                     // a character device that is not a terminal (e.g. /dev/null)
	ConsoleOther                       // anything else (block device, directory)
)

// String names the kind for logs and tests.
func (k ConsoleKind) String() string {
	switch k {
	case ConsoleTerminal:
		return "terminal"
	case ConsolePipe:
		return "pipe"
	case ConsoleFile:
		return "file"
	case ConsoleSocket:
		return "socket"
	case ConsoleCharDev:
		return "chardev"
	}
	return "other"
}

// Device numbers of the console as the application sees it when kite's
// stdio is a terminal: /dev/console is character device 5:1 on Linux.
const (
	ConsoleMajor = 5
	ConsoleMinor = 1
)

// Console is one of kite's own host stdio fds (0, 1 or 2) as a file an
// application can hold. kite never hands the application the host fd: it
// reads and writes it on the application's behalf and answers terminal
// ioctls by passing them to the host fd only when that is a terminal,
// failing them with ENOTTY otherwise, as Linux does on a pipe or a file.
//
// The foreground process group (TIOCGPGRP/TIOCSPGRP) is kite state, not the
// host terminal's: the application's process group ids are kite's, and
// setting the host terminal's foreground group to one of them would act on
// unrelated host processes.
//
// A Console does not close its host fd: kite's stdio belongs to kite.
type Console struct {
	fd   int
	kind ConsoleKind

	// readMu serializes readers so that one poll-then-read is not raced by
	// another kite reader taking the bytes in between.
	readMu sync.Mutex

	// writeMu serializes writers so that a write is not interleaved with
	// another kite writer's partial write.
	writeMu sync.Mutex

	// mu guards fgPGID.
	mu sync.Mutex
	// fgPGID is the foreground process group set by TIOCSPGRP (kite's ids),
	// 0 until set.
	fgPGID int32

	// watch holds poll and epoll waiters and the goroutine that watches
	// the host fd for them (console_watch.go).
	watch consoleWatch

	// async is the O_ASYNC state (console_async.go).
	async consoleAsync
}

// NewConsole wraps the host fd (one of kite's stdio fds). The caller keeps
// ownership of fd.
func NewConsole(fd int) (*Console, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	return &Console{fd: fd, kind: classify(fd, st.Mode)}, nil
}

func classify(fd int, mode uint32) ConsoleKind {
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR:
		if _, err := unix.IoctlGetTermios(fd, unix.TCGETS); err == nil {
			return ConsoleTerminal
		}
		return ConsoleCharDev
	case unix.S_IFIFO:
		return ConsolePipe
	case unix.S_IFREG:
		return ConsoleFile
	case unix.S_IFSOCK:
		return ConsoleSocket
	}
	return ConsoleOther
}

// Kind reports what the host fd is connected to.
func (c *Console) Kind() ConsoleKind { return c.kind }

// IsTerminal reports whether the host fd is a terminal.
func (c *Console) IsTerminal() bool { return c.kind == ConsoleTerminal }

// HostFD is the wrapped host fd, for kite's own bookkeeping (never to be
// given to the application).
func (c *Console) HostFD() int { return c.fd }

// Stat returns the host fd's attributes mapped to what the application
// should see: a terminal is character device 5:1 (/dev/console), a pipe a
// FIFO of size 0, a regular file the host file's attributes. Dev is left 0
// for the caller to fill with its own device number.
func (c *Console) Stat() (unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstat(c.fd, &st); err != nil {
		return st, err
	}
	st.Dev = 0
	switch c.kind {
	case ConsoleTerminal:
		st.Rdev = unix.Mkdev(ConsoleMajor, ConsoleMinor)
		st.Size = 0
		st.Blocks = 0
	case ConsolePipe:
		st.Rdev = 0
		st.Size = 0
		st.Blocks = 0
	case ConsoleFile, ConsoleSocket:
		st.Rdev = 0
	}
	return st, nil
}

// interruptPoll is how often a wait on a host fd checks whether the
// waiting task has been interrupted. Host poll cannot wait on kite's
// signal state, so a blocked console read wakes this often to look.
const interruptPoll = 50 // milliseconds

// waitFD waits until fd reports one of events, or returns EINTR once
// interrupted (if not nil) reports true while it would have to wait: a fd
// that is ready already (a regular file always is) is never interrupted,
// as Linux never fails a read that finds data or a write that finds room
// with EINTR. It returns the revents.
func waitFD(fd int, events int16, interrupted func() bool) (int16, error) {
	timeout := -1
	if interrupted != nil {
		timeout = interruptPoll
	}
	for {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		n, err := unix.Poll(fds, 0)
		if err == nil && n > 0 {
			return fds[0].Revents, nil
		}
		if err != nil && err != unix.EINTR {
			return 0, err
		}
		if interrupted != nil && interrupted() {
			return 0, unix.EINTR
		}
		n, err = unix.Poll(fds, timeout)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			return 0, err
		}
		return fds[0].Revents, nil
	}
}

// Readiness returns which of events (POLLIN, POLLOUT, ...) the host fd
// reports now, without waiting.
func (c *Console) Readiness(events int16) int16 {
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: events}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return 0
	}
	return fds[0].Revents
}

// Read reads from the host fd, advancing the host file offset (shared with
// whoever started kite, as for any inherited stdio). If nonblock is set and
// no input is ready it returns EAGAIN; otherwise it waits for input, and
// returns EINTR as soon as interrupted (if not nil) reports true (the
// caller turns that into a syscall restart or EINTR).
func (c *Console) Read(p []byte, nonblock bool, interrupted func() bool) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.readMu.Lock()
	defer c.readMu.Unlock()
	if nonblock {
		if c.Readiness(unix.POLLIN)&(unix.POLLIN|unix.POLLHUP|unix.POLLERR) == 0 {
			return 0, unix.EAGAIN
		}
	} else if _, err := waitFD(c.fd, unix.POLLIN, interrupted); err != nil {
		return 0, err
	}
	defer c.rearm(readEvents)
	defer c.readDone()
	for {
		n, err := unix.Read(c.fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, err
		}
		return n, nil
	}
}

// pollOutRoom is how much a host pipe that reports POLLOUT takes in one
// write without blocking: Linux's pipe_poll reports POLLOUT while one
// buffer slot (a page) is free, and pipe_write fills a free slot with up to
// a page (PIPE_BUF) at once. The host stdio fds stay blocking (their file
// descriptions are shared with whoever started kite), so a write of more
// than this would sleep in the host kernel until a reader drains the pipe,
// where no signal to the application, no SIGKILL and no shutdown of kite
// could cut it short. Sockets and terminals are written in the same
// chunks: their POLLOUT promises some room, not room for any size, so
// this makes a wait in the host kernel unlikely there, not impossible.
const pollOutRoom = 4096

// Write writes all of p to the host fd unless an error stops it, returning
// how much was written. Except on a regular file (which never makes a
// write wait) it writes at most pollOutRoom bytes after each POLLOUT, so
// kite's goroutine never sleeps in a host write. A closed reader gives EPIPE (kite's Go runtime does
// not die of SIGPIPE for raw writes); the caller sends SIGPIPE to the
// application as Linux would. If nonblock is set and the fd cannot take
// data, it returns what was written so far, or EAGAIN if nothing; a
// blocking write stops the same way when interrupted reports true.
func (c *Console) Write(p []byte, nonblock bool, interrupted func() bool) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	defer c.rearm(writeEvents)
	done := 0
	for done < len(p) {
		if nonblock {
			if c.Readiness(unix.POLLOUT)&(unix.POLLOUT|unix.POLLERR|unix.POLLHUP) == 0 {
				c.writeFull()
				if done > 0 {
					return done, nil
				}
				return 0, unix.EAGAIN
			}
		} else if _, err := waitFD(c.fd, unix.POLLOUT, interrupted); err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		chunk := p[done:]
		if c.kind != ConsoleFile && len(chunk) > pollOutRoom {
			chunk = chunk[:pollOutRoom]
		}
		n, err := unix.Write(c.fd, chunk)
		if err == unix.EAGAIN || err == nil && n < len(chunk) {
			c.writeFull()
		}
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			if done > 0 {
				return done, nil
			}
			return 0, err
		}
		done += n
	}
	return done, nil
}

// Termios returns the terminal's settings (TCGETS), ENOTTY if the host fd
// is not a terminal.
func (c *Console) Termios() (unix.Termios, error) {
	if !c.IsTerminal() {
		return unix.Termios{}, unix.ENOTTY
	}
	t, err := unix.IoctlGetTermios(c.fd, unix.TCGETS)
	if err != nil {
		return unix.Termios{}, err
	}
	return *t, nil
}

// SetTermios applies t with req, one of TCSETS, TCSETSW or TCSETSF; ENOTTY
// if the host fd is not a terminal.
func (c *Console) SetTermios(req uint, t unix.Termios) error {
	if !c.IsTerminal() {
		return unix.ENOTTY
	}
	switch req {
	case unix.TCSETS, unix.TCSETSW, unix.TCSETSF:
	default:
		return unix.EINVAL
	}
	return unix.IoctlSetTermios(c.fd, req, &t)
}

// Winsize returns the terminal's window size (TIOCGWINSZ); ENOTTY if the
// host fd is not a terminal.
func (c *Console) Winsize() (unix.Winsize, error) {
	if !c.IsTerminal() {
		return unix.Winsize{}, unix.ENOTTY
	}
	w, err := unix.IoctlGetWinsize(c.fd, unix.TIOCGWINSZ)
	if err != nil {
		return unix.Winsize{}, err
	}
	return *w, nil
}

// SetWinsize sets the terminal's window size (TIOCSWINSZ); ENOTTY if the
// host fd is not a terminal.
func (c *Console) SetWinsize(w unix.Winsize) error {
	if !c.IsTerminal() {
		return unix.ENOTTY
	}
	return unix.IoctlSetWinsize(c.fd, unix.TIOCSWINSZ, &w)
}

// InputAvailable answers FIONREAD: the bytes ready to read. Linux answers
// it for terminals, pipes and regular files (size minus offset), so the
// host fd is asked whatever its kind; a kind Linux refuses gives ENOTTY.
func (c *Console) InputAvailable() (int, error) {
	switch c.kind {
	case ConsoleTerminal, ConsolePipe, ConsoleFile, ConsoleSocket:
		return unix.IoctlGetInt(c.fd, unix.TIOCINQ) // FIONREAD
	}
	return 0, unix.ENOTTY
}

// ForegroundPGID answers TIOCGPGRP from kite's own state (see Console);
// ENOTTY if the host fd is not a terminal.
func (c *Console) ForegroundPGID() (int32, error) {
	if !c.IsTerminal() {
		return 0, unix.ENOTTY
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fgPGID, nil
}

// SetForegroundPGID answers TIOCSPGRP: it records pgid (a kite process
// group id, which the caller has checked belongs to the caller's session)
// as the foreground group; ENOTTY if the host fd is not a terminal.
func (c *Console) SetForegroundPGID(pgid int32) error {
	if !c.IsTerminal() {
		return unix.ENOTTY
	}
	if pgid < 0 {
		return unix.EINVAL
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fgPGID = pgid
	return nil
}

// MakeRaw puts the host terminal in raw mode (cfmakeraw) and returns the
// function that restores its settings; ENOTTY if it is not a terminal.
func (c *Console) MakeRaw() (restore func(), err error) {
	old, err := c.Termios()
	if err != nil {
		return nil, err
	}
	raw := old
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Oflag &^= unix.OPOST
	raw.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN] = 1
	raw.Cc[unix.VTIME] = 0
	if err := c.SetTermios(unix.TCSETSW, raw); err != nil {
		return nil, err
	}
	return func() { _ = c.SetTermios(unix.TCSETSW, old) }, nil
}
