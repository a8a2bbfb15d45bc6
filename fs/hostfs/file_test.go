package hostfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// TestFileBoundOverFile binds a host file over a file of a writable tree
// (a container's /etc/hosts): reads and writes reach the bound host
// file, not the file it covers; a read-only one refuses writes, and a directory is no file.
func TestFileBoundOverFile(t *testing.T) {
	dir, v, fsc := writableTree(t)
	start := fsc.Root()
	hostDir := t.TempDir()
	hosts := filepath.Join(hostDir, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "hosts"), []byte("covered\n"), 0o644)
	for _, writable := range []bool{true, false} {
		fs, err := NewFile(hosts, writable)
		if err != nil {
			t.Fatal(err)
		}
		defer fs.Close()
		at, err := v.GetPath(root, fsc, start, "/hosts", true)
		if err != nil {
			t.Fatal(err)
		}
		flags := uint32(0)
		if !writable {
			flags = vfs.MountReadOnly
		}
		if err := v.Mount(root, at, fs, flags); err != nil {
			t.Fatalf("mounting a file on a file: %v", err)
		}
		f, err := v.OpenAt(root, fsc, start, "/hosts", unix.O_WRONLY|unix.O_APPEND, 0)
		if !writable {
			if err != unix.EROFS {
				t.Errorf("writing a read-only bound file: %v, want EROFS", err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(root, []byte("10.0.0.1 box\n")); err != nil {
			t.Fatal(err)
		}
		f.DecRef(root)
		if got := hostRead(t, hosts); got != "127.0.0.1 localhost\n10.0.0.1 box\n" {
			t.Errorf("the host file holds %q", got)
		}
		if got := hostRead(t, filepath.Join(dir, "hosts")); got != "covered\n" {
			t.Errorf("the covered file holds %q", got)
		}
	}
	fs, err := NewFile(hostDir, true)
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	if _, err := fs.Root(root); err != unix.ENOTDIR {
		t.Errorf("a directory as a file tree's root: %v, want ENOTDIR", err)
	}
}
