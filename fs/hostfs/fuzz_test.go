package hostfs

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func FuzzParseDirents(f *testing.F) {
	rec := make([]byte, 24)
	rec[16] = 24
	copy(rec[19:], "ab")
	f.Add(rec)
	f.Add([]byte{})
	f.Add(make([]byte, 19))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, e := range parseDirents(b, nil) {
			if e.Name == "." || e.Name == ".." {
				t.Fatal("dot entry returned")
			}
			for i := 0; i < len(e.Name); i++ {
				if e.Name[i] == 0 {
					t.Fatal("NUL in name")
				}
			}
		}
	})
}

// FuzzResolveStaysBeneath checks that whatever path Resolve is given, the
// host file it returns is inside the root (the host's own name for the fd,
// from its /proc, starts with the root's name).
func FuzzResolveStaysBeneath(f *testing.F) {
	outer, dir := makeTreeF(f)
	rfd, err := openRootFD(dir)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"..", "../secret", "esc/x", "dir/up/..", "abs/root/dir", "/passwd", "dir/../../..", "dir/sub/../../esc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, err := Resolve(rfd, path)
		if err != nil {
			return
		}
		defer closeFD(r.FD)
		name, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(r.FD))
		if err != nil {
			t.Skip("no host /proc")
		}
		if name != dir && !strings.HasPrefix(name, dir+"/") {
			t.Fatalf("Resolve(%q) reached %q outside %q (outer %q)", path, name, dir, outer)
		}
	})
}

// makeTreeF is makeTree for a fuzz target.
func makeTreeF(f *testing.F) (outer, root string) {
	outer = f.TempDir()
	root = filepath.Join(outer, "root")
	for _, err := range []error{
		os.MkdirAll(filepath.Join(root, "dir", "sub"), 0o755),
		os.WriteFile(filepath.Join(outer, "secret"), []byte("outside\n"), 0o644),
		os.WriteFile(filepath.Join(root, "dir", "file"), []byte("hello\n"), 0o644),
		os.Symlink("../../secret", filepath.Join(root, "dir", "up")),
		os.Symlink("../secret", filepath.Join(root, "esc")),
		os.Symlink("/etc/passwd", filepath.Join(root, "passwd")),
		os.Symlink(outer, filepath.Join(root, "abs")),
	} {
		if err != nil {
			f.Fatal(err)
		}
	}
	return outer, root
}
