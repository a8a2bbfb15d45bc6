package hostfs

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

var root = testCtx{Creds: auth.New(0, 0, nil)}

// mountTree mounts a hostfs of dir as the root of a new VFS, mounted
// read-write so that hostfs itself (not the mount flag) must refuse
// changes.
func mountTree(t *testing.T, dir string, flags uint32) (*vfs.VirtualFilesystem, *vfs.FSContext, *Filesystem) {
	t.Helper()
	fs, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fs.Close)
	v := vfs.New()
	ns, err := v.NewMountNamespace(root, fs, flags)
	if err != nil {
		t.Fatal(err)
	}
	return v, vfs.NewFSContext(ns.Root()), fs
}

// mountFS mounts fs as the root of a new VFS.
func mountFS(t testing.TB, fs *Filesystem) (*vfs.VirtualFilesystem, *vfs.FSContext) {
	t.Helper()
	v := vfs.New()
	ns, err := v.NewMountNamespace(root, fs, vfs.MountReadOnly)
	if err != nil {
		t.Fatal(err)
	}
	return v, vfs.NewFSContext(ns.Root())
}

func readAll(t *testing.T, f *vfs.File) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 5)
	for {
		n, err := f.Read(root, buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return b.String()
		}
		b.Write(buf[:n])
	}
}

func TestVFSReadAndSymlinksStayInside(t *testing.T) {
	outer, dir := makeTree(t)
	// A file named like the escape targets, inside the tree, so that a
	// kite-side resolution of the links finds these and not the host's.
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("inside\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "passwd"), []byte("kite:x:0:0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	v, fsc, _ := mountTree(t, dir, 0)
	start := fsc.Root()
	for path, want := range map[string]string{
		"/dir/file":       "hello hostfs\n",
		"/dir/rel":        "hello hostfs\n",
		"/esc":            "inside\n",     // ../secret, clamped at kite's root
		"/dir/up":         "inside\n",     // ../../secret
		"/passwd":         "kite:x:0:0\n", // /etc/passwd of the tree, not the host's
		"/../../dir/file": "hello hostfs\n",
	} {
		f, err := v.OpenAt(root, fsc, start, path, unix.O_RDONLY, 0)
		if err != nil {
			t.Errorf("open %s: %v", path, err)
			continue
		}
		if got := readAll(t, f); got != want {
			t.Errorf("%s = %q, want %q", path, got, want)
		}
		f.DecRef(root)
	}
	// The absolute link to the outer directory resolves inside kite's root,
	// where that host path does not exist.
	if _, err := v.OpenAt(root, fsc, start, "/abs/secret", unix.O_RDONLY, 0); err != unix.ENOENT {
		t.Errorf("open /abs/secret = %v, want ENOENT (link text %q)", err, outer)
	}
	for path, want := range map[string]string{"/esc": "../secret", "/passwd": "/etc/passwd", "/abs": outer} {
		got, err := v.ReadlinkAt(root, fsc, start, path)
		if err != nil || got != want {
			t.Errorf("readlink %s = %q, %v; want %q", path, got, err, want)
		}
	}
	st, err := v.StatAt(root, fsc, start, "/passwd", false)
	if err != nil || st.Type() != unix.S_IFLNK || st.Size != int64(len("/etc/passwd")) {
		t.Errorf("lstat /passwd = %+v, %v", st, err)
	}
}

func TestVFSStat(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, fs := mountTree(t, dir, 0)
	st, err := v.StatAt(root, fsc, fsc.Root(), "/dir/file", true)
	if err != nil {
		t.Fatal(err)
	}
	var host unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "dir", "file"), &host); err != nil {
		t.Fatal(err)
	}
	if st.Ino != host.Ino || st.Mode != host.Mode || st.Size != host.Size || st.Nlink != host.Nlink ||
		st.UID != host.Uid || st.GID != host.Gid || st.Mtime != host.Mtim {
		t.Errorf("stat %+v, host %+v", st, host)
	}
	if st.Dev != v.FilesystemDevice(fs) || st.Dev == host.Dev {
		t.Errorf("dev %#x, want kite's %#x", st.Dev, v.FilesystemDevice(fs))
	}
	fst, err := v.StatAt(root, fsc, fsc.Root(), "/fifo", true)
	if err != nil || fst.Type() != unix.S_IFIFO {
		t.Errorf("stat fifo: %+v %v", fst, err)
	}
	s, err := v.Statfs(root, fsc.Root())
	if err != nil || s.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs %+v, %v", s, err)
	}
}

func TestVFSReadOnly(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	start := fsc.Root()
	for _, c := range []struct {
		path  string
		flags int
	}{
		{"/dir/file", unix.O_WRONLY},
		{"/dir/file", unix.O_RDWR},
		{"/dir/file", unix.O_RDONLY | unix.O_TRUNC},
		{"/dir/new", unix.O_WRONLY | unix.O_CREAT},
	} {
		f, err := v.OpenAt(root, fsc, start, c.path, c.flags, 0o644)
		if err != unix.EROFS {
			if f != nil {
				f.DecRef(root)
			}
			t.Errorf("open %s %#x = %v, want EROFS", c.path, c.flags, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dir", "new")); !os.IsNotExist(err) {
		t.Error("a file was created on the host")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dir", "file")); string(b) != "hello hostfs\n" {
		t.Error("host file changed")
	}
}

func TestVFSHostFIFONotOpened(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	// The VFS sends FIFOs to its FIFO opener (none here): hostfs never
	// opens the host FIFO, so this must not block or reach the host.
	if _, err := v.OpenAt(root, fsc, fsc.Root(), "/fifo", unix.O_RDONLY, 0); err != unix.ENXIO {
		t.Errorf("open fifo = %v, want ENXIO", err)
	}
	fs, _ := New(dir)
	defer fs.Close()
	r, _ := fs.Root(root)
	ino, err := r.Lookup(root, "fifo")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ino.Open(root, unix.O_RDONLY); err != unix.ENXIO {
		t.Errorf("hostfs Open(fifo) = %v, want ENXIO", err)
	}
}

func TestVFSGetdents(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	f, err := v.OpenAt(root, fsc, fsc.Root(), "/dir", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	list := func() []string {
		var names []string
		if err := f.Getdents(root, func(d vfs.Dirent) bool {
			names = append(names, d.Name)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return names
	}
	names := list()
	sort.Strings(names)
	if got := strings.Join(names, ","); got != ".,..,file,rel,sub,up" {
		t.Errorf("entries %q", got)
	}
	if again := list(); len(again) != 0 {
		t.Errorf("second getdents gave %v", again)
	}
	if _, err := f.Seek(root, 0, unix.SEEK_SET); err != nil {
		t.Fatal(err)
	}
	if again := list(); len(again) != 6 {
		t.Errorf("after rewind: %v", again)
	}
}

func TestVFSRevalidate(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	start := fsc.Root()
	if _, err := v.StatAt(root, fsc, start, "/dir/file", true); err != nil {
		t.Fatal(err)
	}
	// Replace the file on the host: kite must see the new one.
	p := filepath.Join(dir, "dir", "file")
	os.Remove(p)
	if err := os.WriteFile(p, []byte("new content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := v.OpenAt(root, fsc, start, "/dir/file", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	if got := readAll(t, f); got != "new content\n" {
		t.Errorf("read %q after host replaced the file", got)
	}
	os.Remove(p)
	if _, err := v.StatAt(root, fsc, start, "/dir/file", true); err != unix.ENOENT {
		t.Errorf("stat removed file = %v, want ENOENT", err)
	}
}

func TestVFSSealedProc(t *testing.T) {
	if _, err := os.Stat("/proc/self"); err != nil {
		t.Skip("no host /proc")
	}
	v, fsc, _ := mountTree(t, "/", vfs.MountReadOnly)
	start := fsc.Root()
	if _, err := v.StatAt(root, fsc, start, "/proc", false); err != nil {
		t.Errorf("stat /proc: %v", err)
	}
	if _, err := v.StatAt(root, fsc, start, "/proc/self", false); err != unix.EACCES {
		t.Errorf("stat host /proc/self = %v, want EACCES", err)
	}
	if _, err := v.OpenAt(root, fsc, start, "/proc", unix.O_RDONLY, 0); err != unix.EACCES {
		t.Errorf("open host /proc = %v, want EACCES", err)
	}
}

func TestVFSMmapReadAt(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	f, err := v.OpenAt(root, fsc, fsc.Root(), "/dir/file", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	buf := make([]byte, 6)
	if n, err := f.ReadAt(buf, 6); n != 6 || err != nil || string(buf) != "hostfs" {
		t.Errorf("ReadAt = %d %v %q", n, err, buf)
	}
	if end, err := f.Seek(root, 0, unix.SEEK_END); err != nil || end != 13 {
		t.Errorf("SEEK_END = %d, %v", end, err)
	}
}

func TestKiteInoAcrossDevices(t *testing.T) {
	fs := &Filesystem{devIndex: map[uint64]uint64{10: 0}}
	a := fs.kiteIno(10, 5)
	b := fs.kiteIno(11, 5)
	if a != 5 || b == 5 || fs.kiteIno(11, 5) != b {
		t.Errorf("kiteIno: %d %d", a, b)
	}
}

func TestConcurrentLookupsShareInodes(t *testing.T) {
	_, dir := makeTree(t)
	if err := os.Link(filepath.Join(dir, "dir", "file"), filepath.Join(dir, "hardlink")); err != nil {
		t.Fatal(err)
	}
	fs, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	r, err := fs.Root(root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Lookup(root, "dir")
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan vfs.Inode, 32)
	for i := 0; i < 16; i++ {
		go func() {
			a, _ := d.Lookup(root, "file")
			results <- a
		}()
		go func() {
			b, _ := r.Lookup(root, "hardlink")
			results <- b
		}()
	}
	first := <-results
	for i := 1; i < 32; i++ {
		if got := <-results; got != first || got == nil {
			t.Fatal("lookups of one host file gave different inodes")
		}
	}
}

// openDirFDs counts the directory inodes of fs holding an fd.
func openDirFDs(fs *Filesystem) int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	n := 0
	for _, ino := range fs.inodes {
		ino.mu.Lock()
		if ino.dirFD >= 0 {
			n++
		}
		ino.mu.Unlock()
	}
	return n
}

func TestDirFDCache(t *testing.T) {
	dir := t.TempDir()
	for a := 0; a < 6; a++ {
		for b := 0; b < 6; b++ {
			d := filepath.Join(dir, "a"+strconv.Itoa(a), "b"+strconv.Itoa(b))
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(d, "f"), []byte(filepath.Join(d, "f")), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, fsc, fs := mountTree(t, dir, 0)
	fs.maxDirFDs = 3
	read := func(path string) string {
		t.Helper()
		f, err := v.OpenAt(root, fsc, fsc.Root(), path, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		defer f.DecRef(root)
		return readAll(t, f)
	}
	for round := 0; round < 2; round++ {
		for a := 0; a < 6; a++ {
			for b := 0; b < 6; b++ {
				rel := "/a" + strconv.Itoa(a) + "/b" + strconv.Itoa(b) + "/f"
				if got := read(rel); got != filepath.Join(dir, rel) {
					t.Fatalf("%s = %q", rel, got)
				}
				// The root's fd plus at most maxDirFDs others.
				if n := openDirFDs(fs); n > 1+fs.maxDirFDs {
					t.Fatalf("%d directory fds open, budget %d", n, fs.maxDirFDs)
				}
			}
		}
	}
	// A directory whose fd was closed and that the host then replaced is
	// stale, not silently another directory.
	old, err := v.GetPath(root, fsc, fsc.Root(), "/a0/b0", true)
	if err != nil {
		t.Fatal(err)
	}
	for a := 1; a < 6; a++ { // push a0/b0 out of the cache
		read("/a" + strconv.Itoa(a) + "/b1/f")
	}
	if err := os.Rename(filepath.Join(dir, "a0", "b0"), filepath.Join(dir, "a0", "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "a0", "b0"), 0o755); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * statTTL) // past the attribute cache
	if _, err := old.Dentry.Inode().Stat(root); err != unix.ESTALE {
		t.Errorf("stat of replaced evicted dir = %v, want ESTALE", err)
	}
	// A fresh lookup finds the new directory.
	if st, err := v.StatAt(root, fsc, fsc.Root(), "/a0/b0", true); err != nil || st.Type() != unix.S_IFDIR {
		t.Errorf("stat new a0/b0: %v", err)
	}
	if _, err := v.StatAt(root, fsc, fsc.Root(), "/a0/moved/f", true); err != nil {
		t.Errorf("stat moved file: %v", err)
	}
}

func TestDirFDBudget(t *testing.T) {
	if n := dirFDBudget(); n < 64 || n > 4096 {
		t.Errorf("budget %d", n)
	}
}

func TestDirFDCacheConcurrent(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for a := 0; a < 8; a++ {
		d := filepath.Join(dir, "d"+strconv.Itoa(a), "e")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		rel := "/d" + strconv.Itoa(a) + "/e/f"
		if err := os.WriteFile(filepath.Join(dir, rel), []byte(rel), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, rel)
	}
	v, fsc, fs := mountTree(t, dir, 0)
	fs.maxDirFDs = 2
	errs := make(chan string, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			buf := make([]byte, 64)
			for i := 0; i < 200; i++ {
				rel := paths[(g+i)%len(paths)]
				f, err := v.OpenAt(root, fsc, fsc.Root(), rel, unix.O_RDONLY, 0)
				if err != nil {
					errs <- rel + ": " + err.Error()
					return
				}
				n, _ := f.Pread(root, buf, 0)
				f.DecRef(root)
				if string(buf[:n]) != rel {
					errs <- rel + " read " + string(buf[:n])
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestHostChangesSeenAfterTTL(t *testing.T) {
	_, dir := makeTree(t)
	v, fsc, _ := mountTree(t, dir, 0)
	p := filepath.Join(dir, "dir", "file")
	st, err := v.StatAt(root, fsc, fsc.Root(), "/dir/file", true)
	if err != nil || st.Mode&0o777 != 0o640 {
		t.Fatalf("stat %#o %v", st.Mode, err)
	}
	if err := os.Chmod(p, 0o604); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte("longer content now\n"), 0o604); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * statTTL)
	st, err = v.StatAt(root, fsc, fsc.Root(), "/dir/file", true)
	if err != nil || st.Mode&0o777 != 0o604 || st.Size != int64(len("longer content now\n")) {
		t.Errorf("after host change: mode %#o size %d, %v", st.Mode, st.Size, err)
	}
}
