package hostfs

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// makeTree builds, inside a temp dir, a root directory "root" next to a
// "secret" file outside it, with symlinks inside root that try to escape.
func makeTree(t *testing.T) (outer, root string) {
	t.Helper()
	outer = t.TempDir()
	root = filepath.Join(outer, "root")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "dir", "sub"), 0o755))
	must(os.WriteFile(filepath.Join(outer, "secret"), []byte("outside\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "dir", "file"), []byte("hello hostfs\n"), 0o640))
	must(os.Symlink("../../secret", filepath.Join(root, "dir", "up")))
	must(os.Symlink("../secret", filepath.Join(root, "esc")))
	must(os.Symlink("/etc/passwd", filepath.Join(root, "passwd")))
	must(os.Symlink(outer, filepath.Join(root, "abs")))
	must(os.Symlink("file", filepath.Join(root, "dir", "rel")))
	must(unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	return outer, root
}

func openRoot(t *testing.T, root string) int {
	t.Helper()
	fd, err := openRootFD(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeFD(fd) })
	return fd
}

func TestLookupAtRejectsBadNames(t *testing.T) {
	_, root := makeTree(t)
	rfd := openRoot(t, root)
	for _, name := range []string{"", ".", "..", "dir/file", "a\x00b", "../secret"} {
		if fd, err := lookupAt(rfd, name); err == nil {
			closeFD(fd)
			t.Errorf("lookupAt(%q) succeeded", name)
		}
	}
	long := strings.Repeat("x", 256)
	if _, err := lookupAt(rfd, long); err != unix.ENAMETOOLONG {
		t.Errorf("lookupAt(long) = %v, want ENAMETOOLONG", err)
	}
}

func TestLookupSymlinkNotFollowed(t *testing.T) {
	_, root := makeTree(t)
	rfd := openRoot(t, root)
	for name, want := range map[string]string{
		"esc":    "../secret",
		"passwd": "/etc/passwd",
	} {
		fd, err := lookupAt(rfd, name)
		if err != nil {
			t.Fatalf("lookupAt(%q): %v", name, err)
		}
		st, err := statFD(fd)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			t.Errorf("%s: mode %#o, want a symlink", name, st.Mode)
		}
		got, err := readlinkFD(fd)
		if err != nil || got != want {
			t.Errorf("readlink %s = %q, %v; want %q", name, got, err, want)
		}
		closeFD(fd)
	}
}

func TestResolveStopsAtSymlinks(t *testing.T) {
	outer, root := makeTree(t)
	rfd := openRoot(t, root)
	cases := []struct {
		path, link, rest string
	}{
		{"esc", "../secret", ""},
		{"/passwd", "/etc/passwd", ""},
		{"dir/up", "../../secret", ""},
		{"abs/secret", outer, "secret"},
		{"dir/rel", "file", ""},
		{"dir/../dir/up/x/y", "../../secret", "x/y"},
	}
	for _, c := range cases {
		r, err := Resolve(rfd, c.path)
		if err != nil {
			t.Errorf("Resolve(%q): %v", c.path, err)
			continue
		}
		if r.Link != c.link || r.Rest != c.rest {
			t.Errorf("Resolve(%q) = link %q rest %q; want %q %q", c.path, r.Link, r.Rest, c.link, c.rest)
		}
		st, _ := statFD(r.FD)
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			t.Errorf("Resolve(%q): fd is not the symlink", c.path)
		}
		closeFD(r.FD)
	}
}

func TestResolveDotDotClampedAtRoot(t *testing.T) {
	_, root := makeTree(t)
	rfd := openRoot(t, root)
	var rootSt unix.Stat_t
	if err := unix.Fstat(rfd, &rootSt); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"..", "../..", "dir/../..", "../../../", "dir/sub/../../../.."} {
		r, err := Resolve(rfd, p)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", p, err)
		}
		st, _ := statFD(r.FD)
		if st.Ino != rootSt.Ino || st.Dev != rootSt.Dev || r.Link != "" {
			t.Errorf("Resolve(%q) left the root", p)
		}
		closeFD(r.FD)
	}
	// "../secret" names the root's (missing) "secret", never the outer one.
	if r, err := Resolve(rfd, "../secret"); err != unix.ENOENT {
		closeFD(r.FD)
		t.Errorf("Resolve(../secret) = %v, want ENOENT", err)
	}
	if r, err := Resolve(rfd, "dir/file/x"); err != unix.ENOTDIR {
		closeFD(r.FD)
		t.Errorf("Resolve(dir/file/x) = %v, want ENOTDIR", err)
	}
	r, err := Resolve(rfd, "dir/sub/../file")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statFD(r.FD)
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != int64(len("hello hostfs\n")) {
		t.Errorf("dir/sub/../file: mode %#o size %d", st.Mode, st.Size)
	}
	closeFD(r.FD)
}

func TestResolveByComponentMatches(t *testing.T) {
	_, root := makeTree(t)
	rfd := openRoot(t, root)
	r, err := resolveByComponent(rfd, "dir/up/more")
	if err != nil {
		t.Fatal(err)
	}
	if r.Link != "../../secret" || r.Rest != "more" {
		t.Errorf("got %+v", r)
	}
	closeFD(r.FD)
	r, err = resolveByComponent(rfd, "../../esc")
	if err != nil || r.Link != "../secret" {
		t.Errorf("../../esc: %+v %v", r, err)
	}
	closeFD(r.FD)
}

func TestReadDirAndPread(t *testing.T) {
	_, root := makeTree(t)
	rfd := openRoot(t, root)
	dfd, err := lookupAt(rfd, "dir")
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(dfd)
	ofd, err := openDirFD(dfd)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := readDirFD(ofd)
	closeFD(ofd)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, ","); got != "file,rel,sub,up" {
		t.Errorf("entries %q", got)
	}
	ffd, err := lookupAt(dfd, "file")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statFD(ffd)
	closeFD(ffd)
	fd, err := openRegularAt(dfd, "file", st.Dev, st.Ino)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFD(fd)
	buf := make([]byte, 6)
	n, err := preadFD(fd, buf, 6)
	if err != nil || string(buf[:n]) != "hostfs" {
		t.Errorf("pread = %q, %v", buf[:n], err)
	}
	// A symlink to the file cannot be opened as it (O_NOFOLLOW).
	if fd2, err := openRegularAt(dfd, "rel", st.Dev, st.Ino); err == nil {
		closeFD(fd2)
		t.Error("openRegularAt followed a symlink")
	}
	// A different file under the same name is refused.
	if fd2, err := openRegularAt(dfd, "file", st.Dev, st.Ino+1); err != unix.ESTALE {
		closeFD(fd2)
		t.Errorf("openRegularAt(wrong ino) = %v, want ESTALE", err)
	}
}

func TestParseDirents(t *testing.T) {
	// One record "ab" with reclen 24, then a truncated record.
	rec := make([]byte, 24)
	rec[0] = 7
	rec[16] = 24
	rec[18] = unix.DT_REG
	copy(rec[19:], "ab")
	ents := parseDirents(append(rec, 1, 2, 3), nil)
	if len(ents) != 1 || ents[0].Name != "ab" || ents[0].Ino != 7 || ents[0].Type != unix.DT_REG {
		t.Errorf("got %+v", ents)
	}
}

func TestSealedProc(t *testing.T) {
	fd, err := unix.Open("/proc", unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skip("no host /proc")
	}
	defer closeFD(fd)
	sealed, err := sealedFD(fd)
	if err != nil || !sealed {
		t.Errorf("host /proc sealed = %v, %v", sealed, err)
	}
	dir := t.TempDir()
	tfd := openRoot(t, dir)
	if sealed, _ := sealedFD(tfd); sealed {
		t.Error("temp dir reported sealed")
	}
}
