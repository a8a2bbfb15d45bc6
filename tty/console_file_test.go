package tty

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// fakeMem is application memory for ioctl arguments.
type fakeMem []byte

func (m fakeMem) CopyIn(addr uintptr, dst []byte) (int, error) {
	if int(addr)+len(dst) > len(m) {
		return 0, unix.EFAULT
	}
	return copy(dst, m[addr:]), nil
}

func (m fakeMem) CopyOut(addr uintptr, src []byte) (int, error) {
	if int(addr)+len(src) > len(m) {
		return 0, unix.EFAULT
	}
	return copy(m[addr:], src), nil
}

func consoleVFSFile(t *testing.T, c *Console, flags int) *vfs.File {
	t.Helper()
	v := vfs.New()
	f, err := v.NewAnonymousFile(root, c.Name(), NewConsoleInode(c), NewConsoleFile(c), flags)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.DecRef(root) })
	return f
}

func TestConsoleFileOnPipe(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	c, _ := NewConsole(p[0])
	f := consoleVFSFile(t, c, unix.O_RDONLY)
	mem := make(fakeMem, 64)
	for _, cmd := range []uint32{unix.TCGETS, unix.TCSETS, unix.TIOCGWINSZ, unix.TIOCGPGRP, unix.TIOCSPGRP, unix.TCSBRK} {
		if _, err := f.Ioctl(root, mem, cmd, 0); err != unix.ENOTTY {
			t.Errorf("ioctl %#x on pipe = %v, want ENOTTY", cmd, err)
		}
	}
	if _, err := f.Seek(root, 0, unix.SEEK_SET); err != unix.ESPIPE {
		t.Errorf("lseek pipe = %v, want ESPIPE", err)
	}
	st, err := f.Stat(root)
	if err != nil || st.Type() != unix.S_IFIFO {
		t.Errorf("fstat %+v %v", st, err)
	}
	unix.Write(p[1], []byte("abc"))
	if _, err := f.Ioctl(root, mem, unix.TIOCINQ, 8); err != nil || binary.LittleEndian.Uint32(mem[8:]) != 3 {
		t.Errorf("FIONREAD = %d, %v", binary.LittleEndian.Uint32(mem[8:]), err)
	}
	buf := make([]byte, 8)
	if n, err := f.Read(root, buf); err != nil || string(buf[:n]) != "abc" {
		t.Errorf("read %q %v", buf[:n], err)
	}
	if c.Name() == "/dev/console" || c.Name()[:5] != "pipe:" {
		t.Errorf("name %q", c.Name())
	}
}

func TestConsoleFileOnTerminal(t *testing.T) {
	_, s := openPTY(t)
	c, _ := NewConsole(s)
	f := consoleVFSFile(t, c, unix.O_RDWR)
	mem := make(fakeMem, 128)
	if _, err := f.Ioctl(root, mem, unix.TCGETS, 0); err != nil {
		t.Fatal(err)
	}
	want, _ := unix.IoctlGetTermios(s, unix.TCGETS)
	if got := decodeTermios(mem[:termiosSize], unix.Termios{}); got.Lflag != want.Lflag || got.Cc != want.Cc || got.Cflag != want.Cflag {
		t.Errorf("TCGETS %+v, want %+v", got, *want)
	}
	tio := decodeTermios(mem[:termiosSize], unix.Termios{})
	tio.Lflag &^= unix.ECHO
	copy(mem[64:], encodeTermios(tio, termiosSize))
	if _, err := f.Ioctl(root, mem, unix.TCSETSW, 64); err != nil {
		t.Fatal(err)
	}
	if now, _ := unix.IoctlGetTermios(s, unix.TCGETS); now.Lflag&unix.ECHO != 0 {
		t.Error("TCSETSW did not reach the terminal")
	}
	binary.LittleEndian.PutUint16(mem[100:], 40)
	binary.LittleEndian.PutUint16(mem[102:], 120)
	if _, err := f.Ioctl(root, mem, unix.TIOCSWINSZ, 100); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Ioctl(root, mem, unix.TIOCGWINSZ, 0); err != nil ||
		binary.LittleEndian.Uint16(mem[0:]) != 40 || binary.LittleEndian.Uint16(mem[2:]) != 120 {
		t.Errorf("TIOCGWINSZ %v %v", mem[:4], err)
	}
	if _, err := f.Ioctl(root, mem, unix.TCGETS, 126); err != unix.EFAULT {
		t.Errorf("TCGETS to bad address = %v, want EFAULT", err)
	}
	st, err := f.Stat(root)
	if err != nil || st.Type() != unix.S_IFCHR || st.Rdev != unix.Mkdev(5, 1) {
		t.Errorf("fstat %+v %v", st, err)
	}
	if n, err := f.Write(root, []byte("out")); n != 3 || err != nil {
		t.Errorf("write %d %v", n, err)
	}
}

func TestConsoleFileOnRegularFile(t *testing.T) {
	path := t.TempDir() + "/out"
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	c, _ := NewConsole(fd)
	// Two files over one host fd, as stdout and stderr after `>out 2>&1`.
	out := consoleVFSFile(t, c, unix.O_RDWR)
	errf := consoleVFSFile(t, c, unix.O_WRONLY)
	out.Write(root, []byte("one "))
	errf.Write(root, []byte("two "))
	out.Write(root, []byte("three"))
	b := make([]byte, 32)
	n, _ := unix.Pread(fd, b, 0)
	if string(b[:n]) != "one two three" {
		t.Errorf("file holds %q", b[:n])
	}
	if off, err := out.Seek(root, 4, unix.SEEK_SET); off != 4 || err != nil {
		t.Fatalf("lseek = %d, %v", off, err)
	}
	if n, err := out.Read(root, b[:3]); string(b[:n]) != "two" || err != nil {
		t.Errorf("read after lseek %q %v", b[:n], err)
	}
	if off, _ := errf.Seek(root, 0, unix.SEEK_CUR); off != 7 {
		t.Errorf("shared offset %d, want 7", off)
	}
	out.SetStatusFlags(unix.O_APPEND)
	out.Seek(root, 0, unix.SEEK_SET)
	out.Write(root, []byte("!"))
	n, _ = unix.Pread(fd, b, 0)
	if string(b[:n]) != "one two three!" {
		t.Errorf("after append: %q", b[:n])
	}
}
