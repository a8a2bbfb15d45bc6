package tty

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/dev"
	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

var root = testCtx{Creds: auth.New(0, 0, nil)}

func setup(t *testing.T, console *Console) (*vfs.VirtualFilesystem, *vfs.FSContext) {
	t.Helper()
	v := vfs.New()
	dev.RegisterDevices(v)
	RegisterDevices(v, console, nil)
	ns, err := v.NewMountNamespace(root, dev.New(time.Unix(1000, 0)), 0)
	if err != nil {
		t.Fatal(err)
	}
	return v, vfs.NewFSContext(ns.Root())
}

func open(t *testing.T, v *vfs.VirtualFilesystem, fsc *vfs.FSContext, path string, flags int) *vfs.File {
	t.Helper()
	f, err := v.OpenAt(root, fsc, fsc.Root(), path, flags, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { f.DecRef(root) })
	return f
}

func TestDevTTYWithoutTerminal(t *testing.T) {
	v, fsc := setup(t, nil)
	if _, err := v.OpenAt(root, fsc, fsc.Root(), "/tty", unix.O_RDWR, 0); err != unix.ENXIO {
		t.Errorf("open tty (no console) = %v, want ENXIO", err)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	c, err := NewConsole(p[1])
	if err != nil {
		t.Fatal(err)
	}
	v, fsc = setup(t, c)
	for _, name := range []string{"/tty", "/console"} {
		if _, err := v.OpenAt(root, fsc, fsc.Root(), name, unix.O_RDWR, 0); err != unix.ENXIO {
			t.Errorf("open %s (pipe stdio) = %v, want ENXIO", name, err)
		}
	}
}

func TestDevTTYOnTerminal(t *testing.T) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no ptmx: %v", err)
	}
	defer unix.Close(m)
	if err := unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0); err != nil {
		t.Skip(err)
	}
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		t.Skip(err)
	}
	s, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip(err)
	}
	defer unix.Close(s)
	c, err := NewConsole(s)
	if err != nil {
		t.Fatal(err)
	}
	v, fsc := setup(t, c)
	f := open(t, v, fsc, "/tty", unix.O_RDWR)
	if n, err := f.Write(root, []byte("ping")); n != 4 || err != nil {
		t.Errorf("write tty = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	got, _ := unix.Read(m, buf)
	if !strings.HasPrefix(string(buf[:got]), "ping") {
		t.Errorf("terminal got %q", buf[:got])
	}
	st, err := f.Stat(root)
	if err != nil || st.Rdev != unix.Mkdev(5, 0) {
		t.Errorf("fstat /dev/tty rdev %d:%d, %v", unix.Major(st.Rdev), unix.Minor(st.Rdev), err)
	}
}

func TestStdioName(t *testing.T) {
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip(err)
	}
	defer unix.Close(null)
	c, _ := NewConsole(null)
	if got := StdioName(c); got != "null" {
		t.Errorf("host /dev/null: %q", got)
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	c, _ = NewConsole(p[0])
	if got := StdioName(c); got != "" {
		t.Errorf("pipe: %q", got)
	}
}

func TestOpenStdio(t *testing.T) {
	m, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("no ptmx: %v", err)
	}
	defer unix.Close(m)
	unix.IoctlSetPointerInt(m, unix.TIOCSPTLCK, 0)
	n, err := unix.IoctlGetUint32(m, unix.TIOCGPTN)
	if err != nil {
		t.Skip(err)
	}
	s, err := unix.Open(fmt.Sprintf("/dev/pts/%d", n), unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip(err)
	}
	defer unix.Close(s)
	term, _ := NewConsole(s)

	// "/" is a host temp dir with an empty dev/, and kite's /dev on it.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dev"), 0o755); err != nil {
		t.Fatal(err)
	}
	hfs, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer hfs.Close()
	v := vfs.New()
	dev.RegisterDevices(v)
	RegisterDevices(v, term, nil)
	ns, err := v.NewMountNamespace(root, hfs, vfs.MountReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())

	// Before /dev is mounted, the fallback is an anonymous file.
	anon, err := OpenStdio(root, v, fsc, term, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer anon.DecRef(root)
	if st, _ := anon.Stat(root); st.Rdev != unix.Mkdev(5, 1) {
		t.Errorf("anonymous terminal rdev %#x", st.Rdev)
	}

	at, err := v.GetPath(root, fsc, fsc.Root(), "/dev", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Mount(root, at, dev.New(time.Unix(1, 0)), 0); err != nil {
		t.Fatal(err)
	}
	f, err := OpenStdio(root, v, fsc, term, unix.O_RDWR)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	if got := v.PathName(fsc.Root(), f.Path()); got != "/dev/console" {
		t.Errorf("terminal stdio at %q", got)
	}
	// fstat of the fd and stat of its /proc/self/fd name agree (ttyname).
	fst, _ := f.Stat(root)
	pst, err := v.StatAt(root, fsc, fsc.Root(), "/dev/console", true)
	if err != nil || fst != pst {
		t.Errorf("fstat %+v, stat /dev/console %+v, %v", fst, pst, err)
	}
	if n, err := f.Write(root, []byte("hi")); n != 2 || err != nil {
		t.Errorf("write %d %v", n, err)
	}

	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	pc, _ := NewConsole(p[1])
	pf, err := OpenStdio(root, v, fsc, pc, unix.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.DecRef(root)
	if st, _ := pf.Stat(root); st.Type() != unix.S_IFIFO {
		t.Errorf("pipe stdio mode %#o", st.Mode)
	}
	if name := v.PathName(fsc.Root(), pf.Path()); !strings.HasPrefix(name, "pipe:[") {
		t.Errorf("pipe stdio named %q", name)
	}
}
