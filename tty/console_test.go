package tty

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestConsolePipe(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r, err := NewConsole(p[0])
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewConsole(p[1])
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind() != ConsolePipe || r.IsTerminal() {
		t.Fatalf("kind %v", r.Kind())
	}
	if _, err := r.Termios(); err != unix.ENOTTY {
		t.Errorf("TCGETS on pipe = %v, want ENOTTY", err)
	}
	if err := r.SetTermios(unix.TCSETS, unix.Termios{}); err != unix.ENOTTY {
		t.Errorf("TCSETS on pipe = %v, want ENOTTY", err)
	}
	if _, err := r.Winsize(); err != unix.ENOTTY {
		t.Errorf("TIOCGWINSZ on pipe = %v, want ENOTTY", err)
	}
	if _, err := r.ForegroundPGID(); err != unix.ENOTTY {
		t.Errorf("TIOCGPGRP on pipe = %v, want ENOTTY", err)
	}
	if err := r.SetForegroundPGID(1); err != unix.ENOTTY {
		t.Errorf("TIOCSPGRP on pipe = %v, want ENOTTY", err)
	}
	st, err := r.Stat()
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		t.Errorf("stat mode %#o, %v; want FIFO", st.Mode, err)
	}
	buf := make([]byte, 16)
	if _, err := r.Read(buf, true, nil); err != unix.EAGAIN {
		t.Errorf("nonblocking read of empty pipe = %v, want EAGAIN", err)
	}
	if n, err := w.Write([]byte("hi\n"), false, nil); n != 3 || err != nil {
		t.Fatalf("write = %d, %v", n, err)
	}
	if n, err := r.InputAvailable(); n != 3 || err != nil {
		t.Errorf("FIONREAD = %d, %v", n, err)
	}
	n, err := r.Read(buf, false, nil)
	if err != nil || string(buf[:n]) != "hi\n" {
		t.Errorf("read = %q, %v", buf[:n], err)
	}
}

func TestConsoleReadInterrupted(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r, _ := NewConsole(p[0])
	var stop atomic.Bool
	go func() {
		time.Sleep(20 * time.Millisecond)
		stop.Store(true)
	}()
	if _, err := r.Read(make([]byte, 4), false, stop.Load); err != unix.EINTR {
		t.Errorf("interrupted read = %v, want EINTR", err)
	}
}

// TestConsoleReadyNotInterrupted checks that a pending interruption does
// not fail a read that finds data or a write that finds room: only a call
// that would have to wait is interrupted.
func TestConsoleReadyNotInterrupted(t *testing.T) {
	always := func() bool { return true }
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	r, err := NewConsole(p[0])
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewConsole(p[1])
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.Write([]byte("hi\n"), false, always); n != 3 || err != nil {
		t.Errorf("write to a pipe with room, interrupted = %d, %v, want 3", n, err)
	}
	buf := make([]byte, 8)
	if n, err := r.Read(buf, false, always); n != 3 || err != nil {
		t.Errorf("read of a pipe with data, interrupted = %d, %v, want 3", n, err)
	}
	if _, err := r.Read(buf, false, always); err != unix.EINTR {
		t.Errorf("read of an empty pipe, interrupted = %v, want EINTR", err)
	}

	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := NewConsole(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.Write([]byte("abc"), false, always); n != 3 || err != nil {
		t.Errorf("write to a file, interrupted = %d, %v, want 3", n, err)
	}
	if _, err := f.Seek(0, 0); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Read(buf, false, always); n != 3 || err != nil {
		t.Errorf("read of a file, interrupted = %d, %v, want 3", n, err)
	}
	if n, err := c.Read(buf, false, always); n != 0 || err != nil {
		t.Errorf("read at end of a file, interrupted = %d, %v, want 0", n, err)
	}
}

// TestConsoleWriteFullPipe writes more than a blocking host pipe has room
// for: the write takes what fits and never sleeps in the host kernel, so
// a non-blocking write is short, a blocking one interrupted while it waits
// returns what it wrote, and one that wrote nothing returns EINTR.
func TestConsoleWriteFullPipe(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	w, _ := NewConsole(p[1])
	big := make([]byte, 1<<20)
	type res struct {
		n   int
		err error
	}
	write := func(b []byte, nonblock bool, interrupted func() bool) (int, error) {
		ch := make(chan res, 1)
		go func() {
			n, err := w.Write(b, nonblock, interrupted)
			ch <- res{n, err}
		}()
		select {
		case r := <-ch:
			return r.n, r.err
		case <-time.After(2 * time.Minute):
			t.Fatalf("write of %d bytes still blocked in the host after 2 minutes", len(b))
		}
		return 0, nil
	}
	always := func() bool { return true }
	// One byte first: the room left is then less than any power of two
	// above a page.
	if n, err := write(big[:1], true, nil); n != 1 || err != nil {
		t.Fatalf("write of 1 byte = %d, %v", n, err)
	}
	if n, err := write(big, true, nil); n <= 0 || n >= len(big) || err != nil {
		t.Errorf("nonblocking write bigger than the room = %d, %v; want a short count", n, err)
	}
	if n, err := write(big, true, nil); err != unix.EAGAIN {
		t.Errorf("nonblocking write into a full pipe = %d, %v; want EAGAIN", n, err)
	}
	if n, err := write(big, false, always); err != unix.EINTR {
		t.Errorf("blocking write into a full pipe, interrupted = %d, %v; want EINTR", n, err)
	}
	// Reading a page frees one slot: a blocking write takes a page and
	// is interrupted when it has to wait for more.
	if n, err := unix.Read(p[0], make([]byte, 4096)); n != 4096 || err != nil {
		t.Fatalf("read = %d, %v", n, err)
	}
	if n, err := write(big, false, always); n <= 0 || n >= len(big) || err != nil {
		t.Errorf("blocking write with some room, interrupted = %d, %v; want a short count", n, err)
	}
}

func TestConsoleFile(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := NewConsole(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind() != ConsoleFile {
		t.Fatalf("kind %v", c.Kind())
	}
	if _, err := c.Write([]byte("abc"), false, nil); err != nil {
		t.Fatal(err)
	}
	st, err := c.Stat()
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != 3 {
		t.Errorf("stat mode %#o size %d, %v", st.Mode, st.Size, err)
	}
	if _, err := c.Termios(); err != unix.ENOTTY {
		t.Errorf("TCGETS on file = %v, want ENOTTY", err)
	}
}

// openPTY opens a host pseudo-terminal pair for the test, or skips.
func openPTY(t *testing.T) (master, slave int) {
	t.Helper()
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no /dev/ptmx: %v", err)
	}
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		unix.Close(m)
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		unix.Close(m)
		t.Skipf("ptsname: %v", err)
	}
	s, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		unix.Close(m)
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { unix.Close(s); unix.Close(m) })
	return m, s
}

func TestConsoleTerminal(t *testing.T) {
	m, s := openPTY(t)
	c, err := NewConsole(s)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsTerminal() {
		t.Fatalf("kind %v", c.Kind())
	}
	st, err := c.Stat()
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFCHR || unix.Major(st.Rdev) != 5 || unix.Minor(st.Rdev) != 1 {
		t.Errorf("stat mode %#o rdev %d:%d, %v", st.Mode, unix.Major(st.Rdev), unix.Minor(st.Rdev), err)
	}
	if err := c.SetWinsize(unix.Winsize{Row: 33, Col: 101}); err != nil {
		t.Fatal(err)
	}
	ws, err := c.Winsize()
	if err != nil || ws.Row != 33 || ws.Col != 101 {
		t.Errorf("winsize %+v, %v", ws, err)
	}
	tio, err := c.Termios()
	if err != nil {
		t.Fatal(err)
	}
	tio.Lflag &^= unix.ICANON | unix.ECHO
	if err := c.SetTermios(unix.TCSETS, tio); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Termios(); got.Lflag&(unix.ICANON|unix.ECHO) != 0 {
		t.Errorf("lflag %#x after TCSETS", got.Lflag)
	}
	if err := c.SetTermios(0x1234, tio); err != unix.EINVAL {
		t.Errorf("bad request = %v", err)
	}
	if _, err := unix.Write(m, []byte("xy")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	n, err := c.Read(buf, false, nil)
	if err != nil || string(buf[:n]) != "xy" {
		t.Errorf("read %q, %v", buf[:n], err)
	}
	if err := c.SetForegroundPGID(42); err != nil {
		t.Fatal(err)
	}
	if pg, err := c.ForegroundPGID(); pg != 42 || err != nil {
		t.Errorf("pgrp %d, %v", pg, err)
	}
}
