package overlay_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/hostfs"
	"github.com/kite-os/kite/fs/overlay"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

type ctx struct {
	vfs.KernelContext
	uid uint32
}

func (c ctx) Credentials() *auth.Credentials { return auth.New(c.uid, c.uid, nil) }

var root = ctx{}

// tree is one mounted file system seen through the VFS.
type tree struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	fsc *vfs.FSContext
}

func mount(t *testing.T, v *vfs.VirtualFilesystem, fs vfs.Filesystem) *tree {
	t.Helper()
	ns, err := v.NewMountNamespace(root, fs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return &tree{t: t, v: v, fsc: vfs.NewFSContext(ns.Root())}
}

func (tr *tree) cwd() vfs.Path { return tr.fsc.Cwd() }

func (tr *tree) mkdir(path string, mode uint32) {
	tr.t.Helper()
	if err := tr.v.MkdirAt(root, tr.fsc, tr.cwd(), path, mode); err != nil {
		tr.t.Fatalf("mkdir %s: %v", path, err)
	}
}

func (tr *tree) write(path, data string) {
	tr.t.Helper()
	f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(root)
	if _, err := f.Write(root, []byte(data)); err != nil {
		tr.t.Fatalf("write %s: %v", path, err)
	}
}

func (tr *tree) read(path string) (string, error) {
	f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), path, unix.O_RDONLY, 0)
	if err != nil {
		return "", err
	}
	defer f.DecRef(root)
	return readAll(f)
}

func readAll(f *vfs.File) (string, error) {
	var b []byte
	buf := make([]byte, 4096)
	var off int64
	for {
		n, err := f.Pread(root, buf, off)
		if err != nil {
			return "", err
		}
		if n == 0 {
			return string(b), nil
		}
		b = append(b, buf[:n]...)
		off += int64(n)
	}
}

func (tr *tree) mustRead(path string) string {
	tr.t.Helper()
	s, err := tr.read(path)
	if err != nil {
		tr.t.Fatalf("read %s: %v", path, err)
	}
	return s
}

func (tr *tree) stat(path string) (vfs.Stat, error) {
	return tr.v.StatAt(root, tr.fsc, tr.cwd(), path, false)
}

func (tr *tree) mustStat(path string) vfs.Stat {
	tr.t.Helper()
	st, err := tr.stat(path)
	if err != nil {
		tr.t.Fatalf("stat %s: %v", path, err)
	}
	return st
}

func (tr *tree) path(path string) vfs.Path {
	tr.t.Helper()
	p, err := tr.v.GetPath(root, tr.fsc, tr.cwd(), path, false)
	if err != nil {
		tr.t.Fatalf("resolve %s: %v", path, err)
	}
	return p
}

// list returns the names in directory path (without "." and "..") and
// checks that each entry's d_ino is the inode number stat gives.
func (tr *tree) list(path string) []string {
	tr.t.Helper()
	f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		tr.t.Fatalf("opendir %s: %v", path, err)
	}
	defer f.DecRef(root)
	var names []string
	var inos []uint64
	if err := f.Getdents(root, func(e vfs.Dirent) bool {
		if e.Name != "." && e.Name != ".." {
			names = append(names, e.Name)
			inos = append(inos, e.Ino)
		}
		return true
	}); err != nil {
		tr.t.Fatalf("getdents %s: %v", path, err)
	}
	for k, n := range names {
		st := tr.mustStat(path + "/" + n)
		if st.Ino != inos[k] {
			tr.t.Errorf("%s/%s: d_ino %d, st_ino %d", path, n, inos[k], st.Ino)
		}
	}
	sort.Strings(names)
	return names
}

// snapshot describes every file below path: type, mode, owner, size,
// mtime, link target or contents.
func (tr *tree) snapshot(path string) map[string]string {
	tr.t.Helper()
	out := make(map[string]string)
	var walk func(p string)
	walk = func(p string) {
		st := tr.mustStat(p)
		desc := fmt.Sprintf("%o %d:%d %d %d.%d", st.Mode, st.UID, st.GID, st.Nlink, st.Mtime.Sec, st.Mtime.Nsec)
		switch st.Type() {
		case unix.S_IFREG:
			desc += " " + tr.mustRead(p)
		case unix.S_IFLNK:
			l, err := tr.v.ReadlinkAt(root, tr.fsc, tr.cwd(), p)
			if err != nil {
				tr.t.Fatal(err)
			}
			desc += " -> " + l
		case unix.S_IFCHR:
			desc += fmt.Sprintf(" rdev %d", st.Rdev)
		}
		out[p] = desc
		if st.Type() == unix.S_IFDIR {
			for _, n := range tr.list(p) {
				walk(strings.TrimSuffix(p, "/") + "/" + n)
			}
		}
	}
	walk(path)
	return out
}

// setup builds a tmpfs lower layer with some files and an overlay of a
// fresh tmpfs on it.
func setup(t *testing.T) (lower, ov *tree, upperFS *tmpfs.Filesystem) {
	v := vfs.New()
	lowerFS := tmpfs.New(v, tmpfs.Options{Mode: 0o755})
	lower = mount(t, v, lowerFS)
	lower.mkdir("/a", 0o755)
	lower.write("/a/x", "ax")
	lower.write("/a/y", "ay")
	lower.mkdir("/a/sub", 0o750)
	lower.write("/a/sub/deep", "deep")
	lower.mkdir("/b", 0o755)
	lower.write("/f", "lower f")
	lower.mkdir("/empty", 0o700)
	if err := lower.v.SymlinkAt(root, lower.fsc, "a/x", lower.cwd(), "/link"); err != nil {
		t.Fatal(err)
	}
	if err := lower.v.Chown(root, lower.path("/f"), 123, 456); err != nil {
		t.Fatal(err)
	}
	if err := lower.v.Chmod(root, lower.path("/f"), 0o4751); err != nil {
		t.Fatal(err)
	}
	times := [2]unix.Timespec{{Sec: 1000, Nsec: 5}, {Sec: 2000, Nsec: 7}}
	if err := lower.v.Utimes(root, lower.path("/f"), &times); err != nil {
		t.Fatal(err)
	}
	if err := lower.v.SetXattr(root, lower.path("/f"), "user.color", []byte("blue"), 0); err != nil {
		t.Fatal(err)
	}
	upperFS = tmpfs.New(v, tmpfs.Options{})
	fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, upperFS)
	if err != nil {
		t.Fatal(err)
	}
	ov = mount(t, v, fs)
	return lower, ov, upperFS
}

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func errIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if err != want {
		t.Errorf("%s: got %v, want %v", what, err, want)
	}
}

func TestMergedView(t *testing.T) {
	lower, ov, _ := setup(t)
	before := lower.snapshot("/")
	eq(t, "root", ov.list("/"), []string{"a", "b", "empty", "f", "link"})
	eq(t, "/a", ov.list("/a"), []string{"sub", "x", "y"})
	eq(t, "/a/x", ov.mustRead("/a/x"), "ax")
	eq(t, "/link", ov.mustRead("/link"), "ax")
	ov.write("/a/z", "new")
	eq(t, "/a after create", ov.list("/a"), []string{"sub", "x", "y", "z"})
	eq(t, "root mode", ov.mustStat("/").Mode, unix.S_IFDIR|0o755)
	st, err := ov.v.Statfs(root, ov.path("/"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "statfs magic", fmt.Sprintf("%#x", st.Type), "0x794c7630")
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

func TestCopyUpOnWrite(t *testing.T) {
	lower, ov, _ := setup(t)
	before := lower.snapshot("/")
	st0 := ov.mustStat("/f")
	rd, err := ov.v.OpenAt(root, ov.fsc, ov.cwd(), "/f", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.DecRef(root)
	f, err := ov.v.OpenAt(root, ov.fsc, ov.cwd(), "/f", unix.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pwrite(root, []byte("UPPER"), 0); err != nil {
		t.Fatal(err)
	}
	f.DecRef(root)
	eq(t, "data", ov.mustRead("/f"), "UPPER f")
	got, err := readAll(rd)
	eq(t, "data through the fd opened before copy-up", got, "UPPER f")
	st1 := ov.mustStat("/f")
	eq(t, "ino", st1.Ino, st0.Ino)
	eq(t, "dev", st1.Dev, st0.Dev)
	eq(t, "mode", fmt.Sprintf("%o", st1.Mode), fmt.Sprintf("%o", st0.Mode))
	eq(t, "owner", [2]uint32{st1.UID, st1.GID}, [2]uint32{123, 456})
	eq(t, "atime", st1.Atime, st0.Atime)
	x, err := ov.v.GetXattr(root, ov.path("/f"), "user.color")
	eq(t, "xattr", string(x), "blue")
	errIs(t, "xattr err", err, nil)
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

func TestCopyUpOnAttributes(t *testing.T) {
	lower, ov, _ := setup(t)
	before := lower.snapshot("/")
	ino := ov.mustStat("/a/x").Ino
	if err := ov.v.Chmod(root, ov.path("/a/x"), 0o600); err != nil {
		t.Fatal(err)
	}
	eq(t, "chmod", ov.mustStat("/a/x").Mode, unix.S_IFREG|0o600)
	eq(t, "ino after copy-up", ov.mustStat("/a/x").Ino, ino)
	if err := ov.v.Chown(root, ov.path("/a/y"), 7, 8); err != nil {
		t.Fatal(err)
	}
	eq(t, "chown", ov.mustStat("/a/y").UID, 7)
	eq(t, "chown data", ov.mustRead("/a/y"), "ay")
	if err := ov.v.Truncate(root, ov.path("/a/sub/deep"), 2); err != nil {
		t.Fatal(err)
	}
	eq(t, "truncate", ov.mustRead("/a/sub/deep"), "de")
	eq(t, "parent mode after copy-up", ov.mustStat("/a/sub").Mode, unix.S_IFDIR|0o750)
	times := [2]unix.Timespec{{Sec: 1, Nsec: 2}, {Sec: 3, Nsec: 4}}
	if err := ov.v.Utimes(root, ov.path("/b"), &times); err != nil {
		t.Fatal(err)
	}
	eq(t, "utimes", ov.mustStat("/b").Mtime, times[1])
	if err := ov.v.SetXattr(root, ov.path("/empty"), "user.k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	names, _ := ov.v.ListXattr(root, ov.path("/empty"))
	eq(t, "listxattr", names, []string{"user.k"})
	if err := ov.v.SetXattr(root, ov.path("/empty"), "trusted.overlay.opaque", []byte("y"), 0); err != unix.EOPNOTSUPP {
		t.Errorf("set trusted.overlay.*: %v", err)
	}
	f, err := ov.v.OpenAt(root, ov.fsc, ov.cwd(), "/a/x", unix.O_RDWR|unix.O_TRUNC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(root)
	eq(t, "O_TRUNC", ov.mustRead("/a/x"), "")
	eq(t, "lower unchanged", lower.snapshot("/"), before)
	eq(t, "merged listing", ov.list("/a"), []string{"sub", "x", "y"})
}

func TestWhiteouts(t *testing.T) {
	lower, ov, upperFS := setup(t)
	before := lower.snapshot("/")
	v := ov.v
	if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), "/a/x"); err != nil {
		t.Fatal(err)
	}
	_, err := ov.stat("/a/x")
	errIs(t, "stat removed", err, unix.ENOENT)
	eq(t, "/a", ov.list("/a"), []string{"sub", "y"})
	errIs(t, "rmdir non-empty", v.RmdirAt(root, ov.fsc, ov.cwd(), "/a"), unix.ENOTEMPTY)
	for _, p := range []string{"/a/y", "/a/sub/deep"} {
		if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), p); err != nil {
			t.Fatal(err)
		}
	}
	errIs(t, "rmdir non-empty 2", v.RmdirAt(root, ov.fsc, ov.cwd(), "/a"), unix.ENOTEMPTY)
	if err := v.RmdirAt(root, ov.fsc, ov.cwd(), "/a/sub"); err != nil {
		t.Fatal(err)
	}
	if err := v.RmdirAt(root, ov.fsc, ov.cwd(), "/a"); err != nil {
		t.Fatal(err)
	}
	if err := v.RmdirAt(root, ov.fsc, ov.cwd(), "/empty"); err != nil {
		t.Fatal(err)
	}
	eq(t, "root", ov.list("/"), []string{"b", "f", "link"})
	// mkdir over a whiteout makes an opaque directory.
	ov.mkdir("/a", 0o711)
	eq(t, "new /a", ov.list("/a"), []string{})
	ov.write("/a/x", "again")
	eq(t, "recreated", ov.mustRead("/a/x"), "again")
	eq(t, "root after", ov.list("/"), []string{"a", "b", "f", "link"})
	// A file made over a whiteout.
	if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), "/f"); err != nil {
		t.Fatal(err)
	}
	ov.write("/f", "fresh")
	eq(t, "fresh /f", ov.mustRead("/f"), "fresh")
	eq(t, "fresh /f mode", ov.mustStat("/f").Mode, unix.S_IFREG|0o644)
	if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), "/link"); err != nil {
		t.Fatal(err)
	}
	// mknod of a 0/0 character device would be a whiteout: refused.
	errIs(t, "mknod 0/0", v.MknodAt(root, ov.fsc, ov.cwd(), "/wh", unix.S_IFCHR|0o600, 0), unix.EPERM)
	eq(t, "lower unchanged", lower.snapshot("/"), before)

	// The upper layer holds Linux's representation.
	up := mount(t, ov.v, upperFS)
	st := up.mustStat("/link")
	eq(t, "whiteout", fmt.Sprintf("%o %d", st.Mode&unix.S_IFMT, st.Rdev), fmt.Sprintf("%o 0", unix.S_IFCHR))
	x, err := up.v.GetXattr(root, up.path("/a"), "trusted.overlay.opaque")
	eq(t, "opaque xattr", string(x), "y")
	errIs(t, "opaque xattr err", err, nil)
	if _, err := up.stat("/empty"); err != nil {
		t.Errorf("whiteout of /empty: %v", err)
	}
}

func TestRename(t *testing.T) {
	lower, ov, _ := setup(t)
	before := lower.snapshot("/")
	v := ov.v
	ino := ov.mustStat("/a/x").Ino
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/a/x", ov.cwd(), "/b/moved", 0); err != nil {
		t.Fatal(err)
	}
	eq(t, "moved data", ov.mustRead("/b/moved"), "ax")
	eq(t, "moved ino", ov.mustStat("/b/moved").Ino, ino)
	eq(t, "/a", ov.list("/a"), []string{"sub", "y"})
	eq(t, "/b", ov.list("/b"), []string{"moved"})
	// Replacing a lower file.
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/b/moved", ov.cwd(), "/a/y", 0); err != nil {
		t.Fatal(err)
	}
	eq(t, "replaced", ov.mustRead("/a/y"), "ax")
	eq(t, "/a after replace", ov.list("/a"), []string{"sub", "y"})
	// A directory a lower layer has cannot move.
	errIs(t, "rename lower dir", v.RenameAt(root, ov.fsc, ov.cwd(), "/a/sub", ov.cwd(), "/sub2", 0), unix.EXDEV)
	// An upper-only directory can, also over an empty lower one.
	ov.mkdir("/new", 0o755)
	ov.write("/new/in", "in")
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/new", ov.cwd(), "/empty", 0); err != nil {
		t.Fatal(err)
	}
	eq(t, "/empty", ov.list("/empty"), []string{"in"})
	// Over a non-empty lower one: ENOTEMPTY.
	ov.mkdir("/new2", 0o755)
	errIs(t, "rename over non-empty", v.RenameAt(root, ov.fsc, ov.cwd(), "/new2", ov.cwd(), "/a", 0), unix.ENOTEMPTY)
	// Exchange of two lower files.
	ov.write("/g", "g")
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/g", ov.cwd(), "/f", vfs.RenameExchange); err != nil {
		t.Fatal(err)
	}
	eq(t, "exchanged f", ov.mustRead("/f"), "g")
	eq(t, "exchanged g", ov.mustRead("/g"), "lower f")
	// A symlink.
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/link", ov.cwd(), "/b/link", 0); err != nil {
		t.Fatal(err)
	}
	l, err := v.ReadlinkAt(root, ov.fsc, ov.cwd(), "/b/link")
	eq(t, "moved link", l, "a/x")
	errIs(t, "readlink", err, nil)
	eq(t, "root", ov.list("/"), []string{"a", "b", "empty", "f", "g", "new2"})
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

func TestLinks(t *testing.T) {
	lower, ov, _ := setup(t)
	before := lower.snapshot("/")
	v := ov.v
	if err := v.LinkAt(root, ov.fsc, ov.cwd(), "/a/x", ov.cwd(), "/b/hard", false); err != nil {
		t.Fatal(err)
	}
	s1, s2 := ov.mustStat("/a/x"), ov.mustStat("/b/hard")
	eq(t, "same ino", s1.Ino, s2.Ino)
	eq(t, "nlink", s2.Nlink, 2)
	f, err := v.OpenAt(root, ov.fsc, ov.cwd(), "/b/hard", unix.O_WRONLY|unix.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(root, []byte("+"))
	f.DecRef(root)
	eq(t, "shared data", ov.mustRead("/a/x"), "ax+")
	if err := v.SymlinkAt(root, ov.fsc, "../f", ov.cwd(), "/b/sl"); err != nil {
		t.Fatal(err)
	}
	eq(t, "symlink", ov.mustRead("/b/sl"), "lower f")
	if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), "/a/x"); err != nil {
		t.Fatal(err)
	}
	eq(t, "link survives", ov.mustRead("/b/hard"), "ax+")
	eq(t, "nlink after", ov.mustStat("/b/hard").Nlink, 1)
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

// A getdents loop in small steps sees every entry once while entries are
// removed and added.
func TestGetdentsLoop(t *testing.T) {
	v := vfs.New()
	lowerFS := tmpfs.New(v, tmpfs.Options{})
	lower := mount(t, v, lowerFS)
	lower.mkdir("/d", 0o755)
	want := map[string]bool{}
	for i := 0; i < 100; i++ {
		lower.write(fmt.Sprintf("/d/l%03d", i), "")
		want[fmt.Sprintf("l%03d", i)] = true
	}
	fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, tmpfs.New(v, tmpfs.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	for i := 0; i < 100; i++ {
		ov.write(fmt.Sprintf("/d/u%03d", i), "")
		want[fmt.Sprintf("u%03d", i)] = true
	}
	f, err := v.OpenAt(root, ov.fsc, ov.cwd(), "/d", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	seen := map[string]bool{}
	for step := 0; ; step++ {
		n := 0
		if err := f.Getdents(root, func(e vfs.Dirent) bool {
			if n == 7 {
				return false
			}
			n++
			if e.Name == "." || e.Name == ".." {
				return true
			}
			if seen[e.Name] {
				t.Errorf("%s twice", e.Name)
			}
			seen[e.Name] = true
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		// Remove entries not listed yet and add new ones.
		name := fmt.Sprintf("/d/l%03d", 99-step)
		if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), name); err == nil {
			delete(want, name[3:])
		}
		ov.write(fmt.Sprintf("/d/new%d", step), "")
	}
	for n := range want {
		if !seen[n] && n[0] == 'u' {
			t.Errorf("%s not listed", n)
		}
	}
	// Seeking back to 0 takes a fresh listing.
	if _, err := f.Seek(root, 0, unix.SEEK_SET); err != nil {
		t.Fatal(err)
	}
	count := 0
	f.Getdents(root, func(vfs.Dirent) bool { count++; return true })
	eq(t, "entries after rewind", count, len(ov.list("/d"))+2)
}

// A host directory as the lower layer is never written.
func TestHostLower(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "conf"), []byte("host"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("etc/conf", filepath.Join(dir, "ln")); err != nil {
		t.Fatal(err)
	}
	// A whiteout in a host lower layer (an unpacked image layer) hides
	// nothing below it but itself; making one needs root.
	whiteout := unix.Mknod(filepath.Join(dir, "etc", "wh"), unix.S_IFCHR|0o600, 0) == nil
	h, err := hostfs.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	v := vfs.New()
	fs, err := overlay.New(root, v, []vfs.Filesystem{h}, tmpfs.New(v, tmpfs.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	eq(t, "root", ov.list("/"), []string{"etc", "ln"})
	if whiteout {
		_, err := ov.stat("/etc/wh")
		errIs(t, "host whiteout", err, unix.ENOENT)
		eq(t, "host /etc", ov.list("/etc"), []string{"conf"})
	}
	eq(t, "via link", ov.mustRead("/ln"), "host")
	ino := ov.mustStat("/etc/conf").Ino
	ov.write("/etc/conf", "kite")
	ov.write("/etc/new", "n")
	eq(t, "overlay data", ov.mustRead("/etc/conf"), "kite")
	eq(t, "ino", ov.mustStat("/etc/conf").Ino, ino)
	if err := ov.v.UnlinkAt(root, ov.fsc, ov.cwd(), "/ln"); err != nil {
		t.Fatal(err)
	}
	ov.mkdir("/tmp", 0o1777)
	ov.write("/tmp/x", "x")
	eq(t, "root after", ov.list("/"), []string{"etc", "tmp"})
	eq(t, "/etc", ov.list("/etc"), []string{"conf", "new"})
	b, err := os.ReadFile(filepath.Join(dir, "etc", "conf"))
	if err != nil || string(b) != "host" {
		t.Errorf("host file: %q %v", b, err)
	}
	ents, _ := os.ReadDir(dir)
	eq(t, "host dir", len(ents), 2)
	if _, err := os.Lstat(filepath.Join(dir, "ln")); err != nil {
		t.Errorf("host link: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "etc", "new")); !os.IsNotExist(err) {
		t.Errorf("host got a new file: %v", err)
	}
}

// Two lower layers: the top one's whiteouts and non-directories hide the
// bottom one's entries; directories merge.
func TestTwoLowers(t *testing.T) {
	v := vfs.New()
	topFS, botFS := tmpfs.New(v, tmpfs.Options{}), tmpfs.New(v, tmpfs.Options{})
	top, bot := mount(t, v, topFS), mount(t, v, botFS)
	bot.mkdir("/d", 0o755)
	bot.write("/d/b", "bot")
	bot.write("/d/gone", "bot")
	bot.write("/d/same", "bot")
	bot.mkdir("/x", 0o755)
	bot.write("/x/in", "")
	top.mkdir("/d", 0o755)
	top.write("/d/t", "top")
	top.write("/d/same", "top")
	if err := top.v.MknodAt(root, top.fsc, top.cwd(), "/d/gone", unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	top.write("/x", "file")
	bot.mkdir("/o", 0o755)
	bot.write("/o/hidden", "")
	top.mkdir("/o", 0o755)
	top.write("/o/shown", "")
	if err := top.v.SetXattr(root, top.path("/o"), "trusted.overlay.opaque", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	fs, err := overlay.New(root, v, []vfs.Filesystem{topFS, botFS}, tmpfs.New(v, tmpfs.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	eq(t, "/d", ov.list("/d"), []string{"b", "same", "t"})
	eq(t, "same", ov.mustRead("/d/same"), "top")
	eq(t, "opaque lower /o", ov.list("/o"), []string{"shown"})
	eq(t, "opaque xattr hidden", len(ov.mustList(ov.path("/o"))), 0)
	if err := ov.v.UnlinkAt(root, ov.fsc, ov.cwd(), "/o/shown"); err != nil {
		t.Fatal(err)
	}
	if err := ov.v.RmdirAt(root, ov.fsc, ov.cwd(), "/o"); err != nil {
		t.Fatal(err)
	}
	eq(t, "x is a file", ov.mustStat("/x").Mode&unix.S_IFMT, unix.S_IFREG)
	eq(t, "merged nlink", ov.mustStat("/d").Nlink, 1)
	ov.write("/d/b", "changed")
	eq(t, "b", ov.mustRead("/d/b"), "changed")
	eq(t, "bottom b", bot.mustRead("/d/b"), "bot")
}

// Permissions are checked by the VFS on the overlay's attributes.
func TestPermissions(t *testing.T) {
	_, ov, _ := setup(t)
	user := ctx{uid: 1000}
	_, err := ov.v.OpenAt(user, ov.fsc, ov.cwd(), "/a/x", unix.O_WRONLY, 0)
	errIs(t, "write other's file", err, unix.EACCES)
	_, err = ov.v.OpenAt(user, ov.fsc, ov.cwd(), "/a/sub/deep", unix.O_RDONLY, 0)
	errIs(t, "search 0750 dir", err, unix.EACCES)
	errIs(t, "unlink in 0755 dir", ov.v.UnlinkAt(user, ov.fsc, ov.cwd(), "/a/x"), unix.EACCES)
	eq(t, "still there", ov.mustRead("/a/x"), "ax")
}

func (tr *tree) mustList(p vfs.Path) []string {
	tr.t.Helper()
	names, err := tr.v.ListXattr(root, p)
	if err != nil {
		tr.t.Fatal(err)
	}
	return names
}
