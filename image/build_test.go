package image

import (
	"bytes"
	"fmt"
	"io/fs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
)

func tool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(dir, name); pathExists(p) {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("%s not installed", name)
	return ""
}

func pathExists(p string) bool { _, err := os.Stat(p); return err == nil }

// fsck runs e2fsck -fn and fails the test on any complaint.
func fsck(t testing.TB, img string) {
	t.Helper()
	out, err := exec.Command(tool(t, "e2fsck"), "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
}

func mkfile(t testing.TB, p string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
}

func sourceTree(t testing.TB, dir string, many int) {
	rng := rand.New(rand.NewSource(2))
	rb := func(n int) []byte { b := make([]byte, n); rng.Read(b); return b }
	for _, n := range []int{0, 1, 59, 60, 4095, 4096, 4097, 123456, 2 << 20} {
		mkfile(t, filepath.Join(dir, "files", fmt.Sprintf("f%d", n)), rb(n), 0o644)
	}
	sp, err := os.Create(filepath.Join(dir, "files", "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		sp.WriteAt(rb(3000), int64(i)*300000)
	}
	sp.Truncate(30 << 20)
	sp.Close()
	mkfile(t, filepath.Join(dir, "files", "zeros"), make([]byte, 50000), 0o600)
	os.Chmod(filepath.Join(dir, "files", "f1"), 0o4755)
	mkfile(t, filepath.Join(dir, "a", "b", "c", "leaf"), []byte("leaf"), 0o644)
	os.Symlink("../files/f1", filepath.Join(dir, "a", "short"))
	os.Symlink(strings.Repeat("long/", 30), filepath.Join(dir, "a", "long"))
	os.Link(filepath.Join(dir, "files", "f4097"), filepath.Join(dir, "a", "hard1"))
	os.Link(filepath.Join(dir, "files", "f4097"), filepath.Join(dir, "a", "b", "hard2"))
	for i := 0; i < many; i++ {
		mkfile(t, filepath.Join(dir, "many", fmt.Sprintf("file-number-%06d", i)), []byte(fmt.Sprint(i)), 0o644)
	}
	os.MkdirAll(filepath.Join(dir, "special"), 0o755)
	unix.Mkfifo(filepath.Join(dir, "special", "fifo"), 0o600)
	if os.Geteuid() == 0 {
		unix.Mknod(filepath.Join(dir, "special", "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3)))
		unix.Mknod(filepath.Join(dir, "special", "big"), unix.S_IFBLK|0o660, int(unix.Mkdev(300, 70000)))
		os.Lchown(filepath.Join(dir, "a", "short"), 1234, 5678)
		os.Chown(filepath.Join(dir, "a", "b"), 100000, 100001)
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o711)
}

func openImage(t testing.TB, img string) *ext4.FS {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	e, err := ext4.Open(f, ext4.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// compare checks every file under src against the image.
func compare(t *testing.T, e *ext4.FS, src string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		ip := "/" + filepath.ToSlash(rel)
		fi, _ := os.Lstat(p)
		st := fi.Sys().(*syscall.Stat_t)
		ino, err := e.Walk(ip, false)
		if err != nil {
			t.Errorf("%s: %v", ip, err)
			return nil
		}
		in, err := e.Stat(ino)
		if err != nil {
			t.Errorf("%s: %v", ip, err)
			return nil
		}
		if in.Mode != st.Mode || in.UID != st.Uid || in.GID != st.Gid || in.Mtime.Sec != st.Mtim.Sec || in.Mtime.Nsec != st.Mtim.Nsec {
			t.Errorf("%s: mode/owner/mtime 0%o %d:%d %v, want 0%o %d:%d %v", ip, in.Mode, in.UID, in.GID, in.Mtime, st.Mode, st.Uid, st.Gid, st.Mtim)
		}
		switch fi.Mode().Type() {
		case 0:
			f, err := e.OpenFile(ino)
			if err != nil {
				t.Errorf("%s: %v", ip, err)
				return nil
			}
			got, err := f.ReadAll()
			want, _ := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, want) {
				t.Errorf("%s: contents differ (%d vs %d bytes, %v)", ip, len(got), len(want), err)
			}
			if in.Nlink != uint32(st.Nlink) {
				t.Errorf("%s: nlink %d want %d", ip, in.Nlink, st.Nlink)
			}
		case fs.ModeSymlink:
			want, _ := os.Readlink(p)
			if got, err := e.Readlink(ino); got != want || err != nil {
				t.Errorf("%s: readlink %q %v want %q", ip, got, err, want)
			}
		case fs.ModeDir:
			ents, err := e.ReadDir(ino)
			if err != nil {
				t.Errorf("%s: %v", ip, err)
				return nil
			}
			var got []string
			for _, de := range ents {
				if de.Name != "." && de.Name != ".." && !(rel == "." && de.Name == "lost+found") {
					got = append(got, de.Name)
				}
			}
			sort.Strings(got)
			hs, _ := os.ReadDir(p)
			var want []string
			for _, h := range hs {
				want = append(want, h.Name())
			}
			if strings.Join(got, "/") != strings.Join(want, "/") {
				t.Errorf("%s: entries differ (%d vs %d)", ip, len(got), len(want))
			}
		case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			if in.RdevMajor != unix.Major(st.Rdev) || in.RdevMinor != unix.Minor(st.Rdev) {
				t.Errorf("%s: rdev %d:%d", ip, in.RdevMajor, in.RdevMinor)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBuildFromDir(t *testing.T) {
	tool(t, "e2fsck")
	src := filepath.Join(t.TempDir(), "src")
	sourceTree(t, src, 300)
	for _, bs := range []int{4096, 1024} {
		t.Run(fmt.Sprint(bs), func(t *testing.T) {
			tree, err := FromDir(src)
			if err != nil {
				t.Fatal(err)
			}
			img := filepath.Join(t.TempDir(), "img")
			if err := BuildFile(tree, img, Options{BlockSize: bs, Label: "root"}); err != nil {
				t.Fatal(err)
			}
			fsck(t, img)
			e := openImage(t, img)
			if e.Label() != "root" {
				t.Errorf("label %q", e.Label())
			}
			compare(t, e, src)
		})
	}
}

func unixTime(sec int64) unix.Timespec { return unix.Timespec{Sec: sec} }

// TestHtreeTwoLevels builds a directory whose index needs an interior
// level (1 KiB blocks: the root holds 123 leaves) and checks it with
// e2fsck and the reader.
func TestHtreeTwoLevels(t *testing.T) {
	tool(t, "e2fsck")
	tree := NewTree()
	const n = 9000
	for i := 0; i < n; i++ {
		if err := tree.AddBytes(fmt.Sprintf("big/entry-%05d", i), nil, 0o644, 0, 0, unixTime(1)); err != nil {
			t.Fatal(err)
		}
	}
	tree.AddBytes("small/one", []byte("1"), 0o644, 0, 0, unixTime(1))
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{BlockSize: 1024}); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	e := openImage(t, img)
	dir := mustWalk(t, e, "/big")
	in, _ := e.Stat(dir)
	if in.Flags&ext4.FlagIndex == 0 {
		t.Fatal("/big is not indexed")
	}
	f, _ := e.OpenFile(dir)
	root := make([]byte, 1024)
	f.ReadAt(root, 0)
	if root[30] != 1 {
		t.Errorf("indirect levels %d, want 1", root[30])
	}
	for i := 0; i < n; i += 97 {
		if _, err := e.Walk(fmt.Sprintf("/big/entry-%05d", i), false); err != nil {
			t.Errorf("entry %d: %v", i, err)
		}
	}
	if s, _ := e.Stat(mustWalk(t, e, "/small")); s.Flags&ext4.FlagIndex != 0 {
		t.Error("one-block directory indexed")
	}
}
