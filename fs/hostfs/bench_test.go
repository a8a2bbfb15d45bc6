package hostfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkStatDeepPath measures one stat of a five-component path through
// the VFS, all dentries cached (revalidation included).
func BenchmarkStatDeepPath(b *testing.B) {
	dir := b.TempDir()
	deep := filepath.Join(dir, "a", "b", "c", "d")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(deep, "f"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	fs, err := New(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	v, fsc := mountFS(b, fs)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := v.StatAt(root, fsc, fsc.Root(), "/a/b/c/d/f", false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHostLstat is the host's own lstat of the same kind of path,
// for comparison.
func BenchmarkHostLstat(b *testing.B) {
	dir := b.TempDir()
	deep := filepath.Join(dir, "a", "b", "c", "d")
	os.MkdirAll(deep, 0o755)
	p := filepath.Join(deep, "f")
	os.WriteFile(p, nil, 0o644)
	var st unix.Stat_t
	for i := 0; i < b.N; i++ {
		unix.Lstat(p, &st)
	}
}
