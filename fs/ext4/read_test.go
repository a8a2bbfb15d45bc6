package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func needTool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Skipf("%s not installed", name)
	return ""
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(needTool(t, name), args...)
	cmd.Env = append(os.Environ(), "E2FSPROGS_FAKE_TIME=1700000000")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// buildSourceTree fills dir with every kind of file the reader must handle.
func buildSourceTree(t testing.TB, dir string, manyEntries int) {
	rng := rand.New(rand.NewSource(1))
	randBytes := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	for _, n := range []int{0, 1, 59, 60, 61, 1000, 4095, 4096, 4097, 100000, 3 << 20} {
		writeFile(t, filepath.Join(dir, "files", fmt.Sprintf("f%d", n)), randBytes(n))
	}
	// A sparse file with 12 separate data runs: more than the 4 extents an
	// inode holds, so the tree gets an index level.
	sp, err := os.Create(filepath.Join(dir, "files", "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 12; i++ {
		if _, err := sp.WriteAt(randBytes(5000), int64(i)<<20); err != nil {
			t.Fatal(err)
		}
	}
	if err := sp.Truncate(40 << 20); err != nil { // trailing hole
		t.Fatal(err)
	}
	sp.Close()
	if err := os.Chmod(filepath.Join(dir, "files", "f1"), 0o4755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "deep", "a", "b", "c", "d", "leaf"), []byte("leaf\n"))
	if err := os.Symlink("../files/f1000", filepath.Join(dir, "deep", "short-link")); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x/", 60) + "end"
	if err := os.Symlink(long, filepath.Join(dir, "deep", "long-link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Link(filepath.Join(dir, "files", "f4097"), filepath.Join(dir, "deep", "hard")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < manyEntries; i++ {
		writeFile(t, filepath.Join(dir, "many", fmt.Sprintf("entry-with-a-longish-name-%05d", i)), []byte(fmt.Sprint(i)))
	}
	os.MkdirAll(filepath.Join(dir, "special"), 0o755)
	if err := unix.Mkfifo(filepath.Join(dir, "special", "fifo"), 0o640); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		if err := unix.Mknod(filepath.Join(dir, "special", "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mknod(filepath.Join(dir, "special", "bigdev"), unix.S_IFBLK|0o600, int(unix.Mkdev(259, 70000))); err != nil {
			t.Fatal(err)
		}
	}
	l, err := net.Listen("unix", filepath.Join(dir, "special", "sock"))
	if err == nil {
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close()
	}
	os.Mkdir(filepath.Join(dir, "emptydir"), 0o700)
}

// compareTree checks that every file under src reads back identically
// from the image.
func compareTree(t *testing.T, e *FS, src string, skip ...string) {
	t.Helper()
	inodes := map[uint64]uint32{} // host inode -> image inode, for hard links
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		ipath := "/" + filepath.ToSlash(rel)
		if rel == "." {
			ipath = "/"
		}
		for _, s := range skip {
			if s == ipath {
				return nil
			}
		}
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		ino, err := e.Walk(ipath, false)
		if err != nil {
			t.Errorf("%s: walk: %v", ipath, err)
			return nil
		}
		in, err := e.Stat(ino)
		if err != nil {
			t.Errorf("%s: stat: %v", ipath, err)
			return nil
		}
		if in.Mode != st.Mode {
			t.Errorf("%s: mode 0%o, want 0%o", ipath, in.Mode, st.Mode)
		}
		if rel != "." && (in.UID != st.Uid || in.GID != st.Gid) {
			t.Errorf("%s: owner %d:%d, want %d:%d", ipath, in.UID, in.GID, st.Uid, st.Gid)
		}
		if in.Mtime.Sec != st.Mtim.Sec && rel != "." {
			t.Errorf("%s: mtime %d, want %d", ipath, in.Mtime.Sec, st.Mtim.Sec)
		}
		if prev, ok := inodes[st.Ino]; ok && prev != ino {
			t.Errorf("%s: hard link has inode %d, want %d", ipath, ino, prev)
		}
		inodes[st.Ino] = ino
		switch fi.Mode().Type() {
		case 0:
			if in.Nlink != uint32(st.Nlink) {
				t.Errorf("%s: nlink %d, want %d", ipath, in.Nlink, st.Nlink)
			}
			want, _ := os.ReadFile(path)
			f, err := e.OpenFile(ino)
			if err != nil {
				t.Errorf("%s: open: %v", ipath, err)
				return nil
			}
			got, err := f.ReadAll()
			if err != nil {
				t.Errorf("%s: read: %v", ipath, err)
			} else if !bytes.Equal(got, want) {
				t.Errorf("%s: contents differ (got %d bytes, want %d)", ipath, len(got), len(want))
			}
			// Unaligned reads across block and extent boundaries.
			if len(want) > 5000 {
				p := make([]byte, 7777)
				for _, off := range []int64{1, 4095, 1<<20 - 3, int64(len(want)) - 100} {
					if off < 0 || off >= int64(len(want)) {
						continue
					}
					n, err := f.ReadAt(p, off)
					end := min(off+int64(len(p)), int64(len(want)))
					if (err != nil && err != io.EOF) || !bytes.Equal(p[:n], want[off:end]) {
						t.Errorf("%s: ReadAt(%d) = %d, %v: wrong data", ipath, off, n, err)
					}
				}
			}
		case fs.ModeSymlink:
			want, _ := os.Readlink(path)
			got, err := e.Readlink(ino)
			if err != nil || got != want {
				t.Errorf("%s: readlink = %q, %v; want %q", ipath, got, err, want)
			}
		case fs.ModeDir:
			ents, err := e.ReadDir(ino)
			if err != nil {
				t.Errorf("%s: readdir: %v", ipath, err)
				return nil
			}
			var got []string
			for _, de := range ents {
				if de.Name == "." || de.Name == ".." || rel == "." && de.Name == "lost+found" {
					continue
				}
				got = append(got, de.Name)
			}
			hostEnts, _ := os.ReadDir(path)
			var want []string
			for _, he := range hostEnts {
				want = append(want, he.Name())
			}
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("%s: entries differ: got %d, want %d", ipath, len(got), len(want))
			}
		case fs.ModeDevice, fs.ModeDevice | fs.ModeCharDevice:
			if in.RdevMajor != unix.Major(st.Rdev) || in.RdevMinor != unix.Minor(st.Rdev) {
				t.Errorf("%s: rdev %d:%d, want %d:%d", ipath, in.RdevMajor, in.RdevMinor, unix.Major(st.Rdev), unix.Minor(st.Rdev))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func openImage(t testing.TB, path string) *FS {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	e, err := Open(f, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return e
}

func TestReadMke2fsImages(t *testing.T) {
	needTool(t, "mke2fs")
	src := filepath.Join(t.TempDir(), "src")
	buildSourceTree(t, src, 600)
	configs := []struct {
		name  string
		args  []string
		fsckD bool // rebuild directories as htree with e2fsck -D
		skip  []string
	}{
		{"ext4", []string{"-t", "ext4", "-b", "4096"}, false, nil},
		{"ext4-htree", []string{"-t", "ext4", "-b", "4096"}, true, nil},
		{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}, true, nil},
		{"ext4-nocsum-32bit", []string{"-t", "ext4", "-O", "^metadata_csum,^64bit,uninit_bg"}, false, nil},
		{"ext4-inline", []string{"-t", "ext4", "-O", "inline_data", "-I", "256"}, false,
			// mke2fs 1.47 -d with inline_data drops the trailing hole.
			[]string{"/files/sparse"}},
		{"ext4-metabg", []string{"-t", "ext4", "-O", "meta_bg,^resize_inode", "-b", "1024", "-g", "1024"}, false, nil},
		{"ext3", []string{"-t", "ext3", "-b", "4096"}, true, nil},
		{"ext2-128", []string{"-t", "ext2", "-I", "128"}, false, nil},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			args := append([]string{"-q", "-F", "-E", "root_owner=0:0", "-d", src}, c.args...)
			args = append(args, img, "64M")
			run(t, "mke2fs", args...)
			if c.fsckD {
				cmd := exec.Command(needTool(t, "e2fsck"), "-fyD", img)
				if out, err := cmd.CombinedOutput(); err != nil {
					// Exit status 1 means "errors corrected": -D always reports that.
					if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
						t.Fatalf("e2fsck -D: %v\n%s", err, out)
					}
				}
			}
			e := openImage(t, img)
			compareTree(t, e, src, c.skip...)
			if c.fsckD {
				in, err := e.Stat(mustWalk(t, e, "/many"))
				if err != nil || in.Flags&FlagIndex == 0 {
					t.Fatalf("/many is not an htree directory (flags %#x, %v)", in.Flags, err)
				}
				checkDxLookups(t, e, in)
			}
		})
	}
}

func mustWalk(t testing.TB, e *FS, p string) uint32 {
	t.Helper()
	ino, err := e.Walk(p, false)
	if err != nil {
		t.Fatalf("walk %s: %v", p, err)
	}
	return ino
}

func TestWalkErrors(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "file"), []byte("x"))
	os.Symlink("loop2", filepath.Join(src, "loop1"))
	os.Symlink("loop1", filepath.Join(src, "loop2"))
	os.Symlink("/file", filepath.Join(src, "abs"))
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-d", src, img, "8M")
	e := openImage(t, img)
	for _, c := range []struct {
		path string
		err  error
	}{
		{"/nope", unix.ENOENT},
		{"/file/x", unix.ENOTDIR},
		{"/loop1", unix.ELOOP},
		{"/loop1/x", unix.ELOOP},
	} {
		if _, err := e.Walk(c.path, true); !errors.Is(err, c.err) {
			t.Errorf("Walk(%s) = %v, want %v", c.path, err, c.err)
		}
	}
	a, err := e.Walk("/abs", true)
	b := mustWalk(t, e, "/file")
	if err != nil || a != b {
		t.Errorf("Walk(/abs) = %d, %v; want %d", a, err, b)
	}
	if e.Label() != "" || e.BlockSize() != 1024 && e.BlockSize() != 4096 {
		t.Errorf("label %q block size %d", e.Label(), e.BlockSize())
	}
}

func TestRefuseUnknownIncompat(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", img, "8M")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, SuperblockSize)
	f.ReadAt(buf, SuperblockOffset)
	sb, _ := DecodeSuperblock(buf)
	sb.FeatureIncompat |= IncompatEncrypt | 0x80000000
	sb.SetChecksum()
	f.WriteAt(sb.Encode(), SuperblockOffset)
	_, err = Open(f, Options{})
	if err == nil || !strings.Contains(err.Error(), "encrypt") || !errors.Is(err, unix.EINVAL) {
		t.Fatalf("Open = %v, want an unsupported-feature error naming encrypt", err)
	}
	// A flipped bit without fixing the checksum is corruption.
	sb.FeatureIncompat &^= IncompatEncrypt | 0x80000000
	sb.SetChecksum()
	b := sb.Encode()
	b[0x20] ^= 1
	f.WriteAt(b, SuperblockOffset)
	if _, err = Open(f, Options{}); !errors.Is(err, unix.EUCLEAN) {
		t.Fatalf("Open with bad checksum = %v, want EUCLEAN", err)
	}
}

func TestLayoutSizes(t *testing.T) {
	if n := len((&Superblock{}).Encode()); n != SuperblockSize {
		t.Fatalf("superblock encodes to %d bytes", n)
	}
	if n := len((&GroupDesc{}).Encode(64)); n != 64 {
		t.Fatalf("group descriptor encodes to %d bytes", n)
	}
	b := make([]byte, 256)
	(&RawInode{ExtraIsize: ExtraIsize, Projid: 0x01020304}).EncodeInto(b)
	if b[0x9C] != 4 || b[0x9F] != 1 {
		t.Fatalf("i_projid not at 0x9C")
	}
}

// checkDxLookups checks that every name of an htree directory is found
// through the index (not the linear fallback), and a missing one is not.
func checkDxLookups(t *testing.T, e *FS, in *Inode) {
	t.Helper()
	f, err := e.openInode(in)
	if err != nil {
		t.Fatal(err)
	}
	ents, err := e.readDir(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range ents {
		if de.Name == "." || de.Name == ".." {
			continue
		}
		ino, ok, err := e.dxLookup(in, f, de.Name, nil)
		if !ok || err != nil || ino != de.Ino {
			t.Fatalf("dxLookup(%q) = %d, %v, %v; want %d", de.Name, ino, ok, err, de.Ino)
		}
	}
	if _, ok, err := e.dxLookup(in, f, "no-such-name", nil); !ok || !errors.Is(err, unix.ENOENT) {
		t.Errorf("dxLookup(missing) = %v, %v", ok, err)
	}
}
