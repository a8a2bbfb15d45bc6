package fat

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func tool(t testing.TB, name string) string {
	t.Helper()
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	t.Skipf("%s not installed", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tool(t, name), args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "LC_ALL=C.UTF-8")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// mkfs makes an image of kib KiB with mkfs.vfat.
func mkfs(t testing.TB, fatType int, kib int) string {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mkfs.vfat", "-C", "-F", fmt.Sprint(fatType), "-n", "KITE", "-i", "12345678", img, fmt.Sprint(kib))
	return img
}

func fsckClean(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command(tool(t, "fsck.vfat"), "-n", "-V", img).CombinedOutput()
	if err != nil || strings.Contains(string(out), "\n  ") {
		t.Fatalf("fsck.vfat -n: %v\n%s", err, out)
	}
}

var configs = []struct {
	fat int
	kib int
}{{12, 2048}, {16, 32768}, {32, 65536}}

func openRW(t *testing.T, img string) *FS {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	fs, err := OpenRW(f, Options{Now: func() time.Time { return time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func TestOpenTypes(t *testing.T) {
	for _, c := range configs {
		img := mkfs(t, c.fat, c.kib)
		fs := openRW(t, img)
		if fs.Type() != c.fat {
			t.Errorf("%d KiB image: FAT%d, want FAT%d", c.kib, fs.Type(), c.fat)
		}
		if ents, err := fs.ReadDir("/"); err != nil || len(ents) != 0 {
			t.Errorf("FAT%d: empty root lists %v, %v", c.fat, ents, err)
		}
	}
}

// TestWriteThenFsck writes through this package and checks the image with
// fsck.vfat and (when installed) mtools.
func TestWriteThenFsck(t *testing.T) {
	for _, c := range configs {
		t.Run(fmt.Sprintf("FAT%d", c.fat), func(t *testing.T) {
			img := mkfs(t, c.fat, c.kib)
			fs := openRW(t, img)
			rng := rand.New(rand.NewSource(int64(c.fat)))
			rb := func(n int) []byte { b := make([]byte, n); rng.Read(b); return b }
			want := map[string][]byte{}
			write := func(p string, data []byte) {
				t.Helper()
				if err := fs.Create(p); err != nil && !errors.Is(err, unix.EEXIST) {
					t.Fatalf("create %s: %v", p, err)
				}
				for off := 0; off < len(data); off += 5000 {
					if _, err := fs.WriteAt(p, data[off:min(off+5000, len(data))], int64(off)); err != nil {
						t.Fatalf("write %s: %v", p, err)
					}
				}
				want[p] = data
			}
			for _, d := range []string{"/DIR", "/Mixed Case Dir", "/Mixed Case Dir/sub", "/DIR/deeper"} {
				if err := fs.Mkdir(d); err != nil {
					t.Fatalf("mkdir %s: %v", d, err)
				}
			}
			write("/README.TXT", []byte("short name only\n"))
			write("/readme lower.txt", []byte("long name\n"))
			write("/Grüße aus Köln.txt", []byte("unicode\n"))
			write("/a very long file name that needs several long name entries.data", rb(70000))
			write("/DIR/deeper/empty", nil)
			write("/Mixed Case Dir/sub/big.bin", rb(300000))
			for i := 0; i < 40; i++ {
				write(fmt.Sprintf("/DIR/file number %03d.txt", i), rb(i*97))
			}
			// Append, overwrite, sparse-style growth, truncation.
			if _, err := fs.WriteAt("/README.TXT", []byte("appended\n"), 16); err != nil {
				t.Fatal(err)
			}
			want["/README.TXT"] = []byte("short name only\nappended\n")
			if _, err := fs.WriteAt("/DIR/deeper/empty", []byte("x"), 10000); err != nil {
				t.Fatal(err)
			}
			want["/DIR/deeper/empty"] = append(make([]byte, 10000), 'x')
			if err := fs.Truncate("/Mixed Case Dir/sub/big.bin", 12345); err != nil {
				t.Fatal(err)
			}
			want["/Mixed Case Dir/sub/big.bin"] = want["/Mixed Case Dir/sub/big.bin"][:12345]
			if err := fs.Truncate("/Mixed Case Dir/sub/big.bin", 20000); err != nil {
				t.Fatal(err)
			}
			want["/Mixed Case Dir/sub/big.bin"] = append(want["/Mixed Case Dir/sub/big.bin"], make([]byte, 20000-12345)...)
			// Renames and removals.
			mv := func(a, b string) {
				t.Helper()
				if err := fs.Rename(a, b); err != nil {
					t.Fatalf("rename %s %s: %v", a, b, err)
				}
				for p, d := range want {
					if p == a || strings.HasPrefix(p, a+"/") {
						delete(want, p)
						want[b+p[len(a):]] = d
					}
				}
			}
			mv("/readme lower.txt", "/renamed with a long name.txt")
			mv("/DIR/file number 001.txt", "/Mixed Case Dir/moved.txt")
			mv("/DIR/deeper", "/Mixed Case Dir/sub/deeper moved")
			mv("/README.TXT", "/readme.txt") // case-only change
			mv("/DIR/file number 002.txt", "/DIR/file number 003.txt")
			for i := 10; i < 20; i++ {
				p := fmt.Sprintf("/DIR/file number %03d.txt", i)
				if err := fs.Remove(p); err != nil {
					t.Fatal(err)
				}
				delete(want, p)
			}
			if err := fs.Remove("/DIR"); !errors.Is(err, unix.ENOTEMPTY) {
				t.Errorf("remove non-empty dir = %v", err)
			}
			if err := fs.Mkdir("/gone"); err != nil {
				t.Fatal(err)
			}
			if err := fs.Remove("/gone"); err != nil {
				t.Fatal(err)
			}
			if err := fs.Rename("/Mixed Case Dir", "/Mixed Case Dir/sub/x"); !errors.Is(err, unix.EINVAL) {
				t.Errorf("rename into itself = %v", err)
			}
			if err := fs.Create("/readme.TXT"); !errors.Is(err, unix.EEXIST) {
				t.Errorf("create case-variant of existing = %v", err)
			}
			old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
			if err := fs.SetTimes("/DIR/file number 000.txt", &old, &old); err != nil {
				t.Fatal(err)
			}
			if err := fs.SetReadOnly("/DIR/file number 000.txt", true); err != nil {
				t.Fatal(err)
			}
			if st, _ := fs.Stat("/DIR/file number 000.txt"); !st.Mtime.Equal(old) || st.Attr&AttrReadOnly == 0 ||
				!st.Atime.Equal(time.Date(2001, 2, 3, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("after SetTimes/SetReadOnly: %+v", st)
			}

			fsckClean(t, img)

			// Read back with a fresh reader.
			f, _ := os.Open(img)
			defer f.Close()
			r, err := Open(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for p, data := range want {
				got, err := r.ReadFile(p)
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("%s: %d bytes, %v; want %d bytes", p, len(got), err, len(data))
				}
			}
			ents, err := r.ReadDir("/")
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range ents {
				names = append(names, e.Name)
			}
			sort.Strings(names)
			wantRoot := "DIR,Grüße aus Köln.txt,Mixed Case Dir,a very long file name that needs several long name entries.data,readme.txt,renamed with a long name.txt"
			if strings.Join(names, ",") != wantRoot {
				t.Errorf("root: %q", names)
			}
			if st, err := r.Stat("/readme.txt"); err != nil || st.Mtime != time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC) {
				t.Errorf("mtime %v, %v", st.Mtime, err)
			}
			// mtools reads the same names and bytes.
			if _, err := exec.LookPath("mcopy"); err == nil {
				for p, data := range want {
					out := filepath.Join(t.TempDir(), "out")
					run(t, "mcopy", "-n", "-i", img, "::"+p, out)
					if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
						t.Errorf("mcopy %s: %d bytes, want %d", p, len(got), len(data))
					}
				}
			}
		})
	}
}

// TestReadMtoolsImage reads files that mtools (a separate FAT
// implementation) wrote.
func TestReadMtoolsImage(t *testing.T) {
	tool(t, "mcopy")
	for _, c := range configs {
		t.Run(fmt.Sprintf("FAT%d", c.fat), func(t *testing.T) {
			img := mkfs(t, c.fat, c.kib)
			src := t.TempDir()
			files := map[string][]byte{
				"/Long Name Directory/inner file with spaces.txt": bytes.Repeat([]byte("x"), 5000),
				"/UPPER.TXT":                           []byte("upper"),
				"/lower.txt":                           []byte("lower"),
				"/übö.bin":                             bytes.Repeat([]byte{1, 2, 3}, 40000), // 8.3 in the OEM code page
				"/Grüße ümlaut.bin":                    []byte("long name with non-ASCII"),
				"/Long Name Directory/NESTED/deep.dat": []byte("deep"),
			}
			run(t, "mmd", "-i", img, "::/Long Name Directory")
			run(t, "mmd", "-i", img, "::/Long Name Directory/NESTED")
			for p, data := range files {
				hp := filepath.Join(src, strings.ReplaceAll(p[1:], "/", "_"))
				os.WriteFile(hp, data, 0o644)
				run(t, "mcopy", "-i", img, hp, "::"+p)
			}
			f, _ := os.Open(img)
			defer f.Close()
			r, err := Open(f, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for p, data := range files {
				got, err := r.ReadFile(p)
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("%s: %d bytes, %v", p, len(got), err)
				}
				st, err := r.Stat(p)
				if err != nil || st.Name != p[strings.LastIndex(p, "/")+1:] {
					t.Errorf("%s: name %q, %v", p, st.Name, err)
				}
			}
			if _, err := r.ReadFile("/long name directory/nested/DEEP.DAT"); err != nil {
				t.Errorf("case-insensitive lookup: %v", err)
			}
		})
	}
}

func TestFixedRootFull(t *testing.T) {
	img := mkfs(t, 12, 1440)
	fs := openRW(t, img)
	var err error
	n := 0
	for ; n < 1000; n++ {
		if err = fs.Create(fmt.Sprintf("/F%d", n)); err != nil {
			break
		}
	}
	if !errors.Is(err, unix.ENOSPC) || n == 0 {
		t.Fatalf("after %d files: %v, want ENOSPC", n, err)
	}
	fsckClean(t, img)
}
