package hostfs

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// TestOpenFDCache holds more files and directory listings open than the
// open-fd budget: each still reads its own host file, the host fds stay
// within the budget, and a file the host replaced while its fd was closed
// is stale, never silently another file.
func TestOpenFDCache(t *testing.T) {
	dir := t.TempDir()
	const n = 40
	for i := 0; i < n; i++ {
		if err := os.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(i)), []byte("file "+strconv.Itoa(i)), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Mkdir(filepath.Join(dir, "d"+strconv.Itoa(i)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	v, fsc, fs := mountTree(t, dir, 0)
	fs.maxOpenFDs = 5
	var files, dirs []*vfs.File
	for i := 0; i < n; i++ {
		f, err := v.OpenAt(root, fsc, fsc.Root(), "/f"+strconv.Itoa(i), unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		d, err := v.OpenAt(root, fsc, fsc.Root(), "/d"+strconv.Itoa(i), unix.O_RDONLY|unix.O_DIRECTORY, 0)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	defer func() {
		for _, f := range append(files, dirs...) {
			f.DecRef(root)
		}
	}()
	if got := fs.openLRU.Len(); got > fs.maxOpenFDs {
		t.Errorf("%d open-file host fds, budget %d", got, fs.maxOpenFDs)
	}
	for i := n - 1; i >= 0; i-- {
		buf := make([]byte, 32)
		k, err := files[i].Pread(root, buf, 0)
		if err != nil || string(buf[:k]) != "file "+strconv.Itoa(i) {
			t.Errorf("f%d reads %q, %v", i, buf[:k], err)
		}
		names := 0
		if err := dirs[i].Getdents(root, func(vfs.Dirent) bool { names++; return true }); err != nil || names != 2 {
			t.Errorf("d%d lists %d names, %v", i, names, err)
		}
		if got := fs.openLRU.Len(); got > fs.maxOpenFDs {
			t.Fatalf("%d open-file host fds, budget %d", got, fs.maxOpenFDs)
		}
	}
	// f0's fd is closed now (the loop ended with the others): replace it.
	if err := os.Rename(filepath.Join(dir, "f0"), filepath.Join(dir, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "f0"), []byte("another file"), 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= fs.maxOpenFDs; i++ { // push f0 out of the cache
		files[i].Pread(root, make([]byte, 1), 0)
	}
	if _, err := files[0].Pread(root, make([]byte, 32), 0); err != unix.ESTALE {
		t.Errorf("read of a file replaced on the host = %v, want ESTALE", err)
	}
}
