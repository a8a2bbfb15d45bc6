package dev

import (
	"bytes"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

var root = testCtx{Creds: auth.New(0, 0, nil)}

func setup(t *testing.T, _ any) (*vfs.VirtualFilesystem, *vfs.FSContext) {
	t.Helper()
	v := vfs.New()
	RegisterDevices(v)
	ns, err := v.NewMountNamespace(root, New(time.Unix(1000, 0)), 0)
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

func TestNodesStat(t *testing.T) {
	v, fsc := setup(t, nil)
	for _, c := range []struct {
		name         string
		major, minor uint32
		perm, gid    uint32
	}{
		{"null", 1, 3, 0o666, 0},
		{"zero", 1, 5, 0o666, 0},
		{"full", 1, 7, 0o666, 0},
		{"random", 1, 8, 0o666, 0},
		{"urandom", 1, 9, 0o666, 0},
		{"tty", 5, 0, 0o666, 5},
		{"console", 5, 1, 0o600, 0},
		{"ptmx", 5, 2, 0o666, 5},
	} {
		st, err := v.StatAt(root, fsc, fsc.Root(), "/"+c.name, true)
		if err != nil {
			t.Errorf("stat %s: %v", c.name, err)
			continue
		}
		if st.Type() != unix.S_IFCHR || unix.Major(st.Rdev) != c.major || unix.Minor(st.Rdev) != c.minor ||
			st.Mode&0o7777 != c.perm || st.UID != 0 || st.GID != c.gid || st.Size != 0 {
			t.Errorf("%s: mode %#o rdev %d:%d uid %d gid %d", c.name, st.Mode,
				unix.Major(st.Rdev), unix.Minor(st.Rdev), st.UID, st.GID)
		}
	}
	for name, want := range map[string]string{
		"fd": "/proc/self/fd", "stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		got, err := v.ReadlinkAt(root, fsc, fsc.Root(), "/"+name)
		if err != nil || got != want {
			t.Errorf("readlink %s = %q, %v", name, got, err)
		}
	}
	for name, perm := range map[string]uint32{"pts": 0o755, "shm": 0o1777} {
		st, err := v.StatAt(root, fsc, fsc.Root(), "/"+name, true)
		if err != nil || st.Type() != unix.S_IFDIR || st.Mode&0o7777 != perm {
			t.Errorf("stat %s = %#o, %v", name, st.Mode, err)
		}
	}
	if _, err := v.StatAt(root, fsc, fsc.Root(), "/sda", true); err != unix.ENOENT {
		t.Errorf("stat /sda = %v", err)
	}
}

func TestMemoryDevices(t *testing.T) {
	v, fsc := setup(t, nil)
	null := open(t, v, fsc, "/null", unix.O_RDWR|unix.O_TRUNC)
	if n, err := null.Write(root, []byte("hello")); n != 5 || err != nil {
		t.Errorf("write null = %d, %v", n, err)
	}
	buf := make([]byte, 64)
	if n, err := null.Read(root, buf); n != 0 || err != nil {
		t.Errorf("read null = %d, %v", n, err)
	}
	if off, err := null.Seek(root, 100, unix.SEEK_SET); off != 0 || err != nil {
		t.Errorf("lseek null = %d, %v", off, err)
	}

	zero := open(t, v, fsc, "/zero", unix.O_RDWR)
	for i := range buf {
		buf[i] = 0xff
	}
	if n, err := zero.Read(root, buf); n != len(buf) || err != nil || !bytes.Equal(buf, make([]byte, len(buf))) {
		t.Errorf("read zero = %d, %v, %x", n, err, buf)
	}
	if n, err := zero.Pread(root, buf[:8], 1<<40); n != 8 || err != nil {
		t.Errorf("pread zero = %d, %v", n, err)
	}
	if n, err := zero.Write(root, buf[:10]); n != 10 || err != nil {
		t.Errorf("write zero = %d, %v", n, err)
	}

	full := open(t, v, fsc, "/full", unix.O_RDWR)
	if n, err := full.Write(root, []byte("x")); n != 0 || err != unix.ENOSPC {
		t.Errorf("write full = %d, %v; want ENOSPC", n, err)
	}
	buf[0] = 1
	if n, err := full.Read(root, buf[:16]); n != 16 || err != nil || buf[0] != 0 {
		t.Errorf("read full = %d, %v", n, err)
	}

	for _, name := range []string{"/random", "/urandom"} {
		r := open(t, v, fsc, name, unix.O_RDWR)
		a, b := make([]byte, 32), make([]byte, 32)
		if n, err := r.Read(root, a); n != 32 || err != nil {
			t.Errorf("read %s = %d, %v", name, n, err)
		}
		r.Read(root, b)
		if bytes.Equal(a, b) || bytes.Equal(a, make([]byte, 32)) {
			t.Errorf("%s gave repeated or zero bytes", name)
		}
		if n, err := r.Write(root, []byte("seed")); n != 4 || err != nil {
			t.Errorf("write %s = %d, %v", name, n, err)
		}
	}
	ro := open(t, v, fsc, "/null", unix.O_RDONLY)
	if _, err := ro.Write(root, []byte("x")); err != unix.EBADF {
		t.Errorf("write to read-only null = %v, want EBADF", err)
	}
}

func TestDirAndChanges(t *testing.T) {
	v, fsc := setup(t, nil)
	f := open(t, v, fsc, "/", unix.O_RDONLY|unix.O_DIRECTORY)
	var names []string
	if err := f.Getdents(root, func(d vfs.Dirent) bool {
		names = append(names, d.Name)
		return true
	}); err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	want := ". .. console fd full kmsg null ptmx pts random shm stderr stdin stdout tty urandom zero"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("ls /dev = %q", got)
	}
	if _, err := v.OpenAt(root, fsc, fsc.Root(), "/newfile", unix.O_CREAT|unix.O_WRONLY, 0o644); err != unix.EPERM {
		t.Errorf("create in /dev = %v, want EPERM", err)
	}
	nf := open(t, v, fsc, "/null", unix.O_RDONLY)
	ino := nf.Inode()
	if err := ino.SetStat(root, &vfs.SetStat{Mask: unix.STATX_MODE, Mode: 0o600}); err != nil {
		t.Fatal(err)
	}
	st, _ := ino.Stat(root)
	if st.Mode != unix.S_IFCHR|0o600 {
		t.Errorf("mode after chmod %#o", st.Mode)
	}
	if err := ino.SetStat(root, &vfs.SetStat{Mask: unix.STATX_SIZE}); err != unix.EINVAL {
		t.Errorf("truncate null = %v, want EINVAL", err)
	}
}

func TestRegisterType(t *testing.T) {
	v, fsc := setup(t, nil)
	RegisterType(v, nil)
	at, err := v.GetPath(root, fsc, fsc.Root(), "/shm", true)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.NewMount(root, "devtmpfs", "devtmpfs", at, 0, ""); err != nil {
		t.Fatal(err)
	}
	st, err := v.StatAt(root, fsc, fsc.Root(), "/shm/null", true)
	if err != nil || st.Rdev != unix.Mkdev(1, 3) {
		t.Errorf("stat /shm/null = %+v, %v", st, err)
	}
}

// TestIOAllocs keeps writes to /dev/null free of a kernel buffer, and
// reads and writes of other devices on the file system's pooled buffers
// instead of a new 64 KiB buffer per call.
func TestIOAllocs(t *testing.T) {
	v, fsc := setup(t, nil)
	null := open(t, v, fsc, "/null", unix.O_WRONLY)
	rnd := open(t, v, fsc, "/urandom", unix.O_RDWR)
	src := make([]byte, vfs.IOChunk)
	source := func(b []byte) (int, error) { return copy(b, src), nil }
	sink := func(b []byte) (int, error) { return len(b), nil }
	var ctx vfs.Context = root
	for _, c := range []struct {
		name string
		op   func() (int64, error)
	}{
		{"write /dev/null", func() (int64, error) { return null.WriteFrom(ctx, vfs.IOChunk, -1, source) }},
		{"write /dev/urandom", func() (int64, error) { return rnd.WriteFrom(ctx, vfs.IOChunk, -1, source) }},
		{"read /dev/urandom", func() (int64, error) { return rnd.ReadTo(ctx, vfs.IOChunk, -1, sink) }},
	} {
		allocs := testing.AllocsPerRun(100, func() {
			if n, err := c.op(); n != vfs.IOChunk || err != nil {
				t.Fatalf("%s: %d, %v", c.name, n, err)
			}
		})
		// The pool may lose a buffer to a collection (or, under the race
		// detector, at random), never most of them.
		if allocs >= 0.5 {
			t.Errorf("%s: %.2f allocations per call", c.name, allocs)
		}
	}
}
