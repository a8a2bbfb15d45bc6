package tmpfs_test

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

type ctx = vfs.KernelContext

func setup(t *testing.T, opts tmpfs.Options) (*vfs.VirtualFilesystem, *vfs.FSContext) {
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx{}, tmpfs.New(v, opts), 0)
	if err != nil {
		t.Fatal(err)
	}
	return v, vfs.NewFSContext(ns.Root())
}

// Concurrent O_APPEND writers through separate file descriptions never
// overwrite each other.
func TestConcurrentAppend(t *testing.T) {
	v, fsc := setup(t, tmpfs.Options{})
	const writers, writes = 4, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/log", unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND, 0o644)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.DecRef(ctx{})
			for i := 0; i < writes; i++ {
				if _, err := f.Write(ctx{}, []byte("0123456789")); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	st, err := v.StatAt(ctx{}, fsc, fsc.Cwd(), "/log", true)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size != writers*writes*10 {
		t.Fatalf("size %d, want %d", st.Size, writers*writes*10)
	}
}

// Renames, creates, unlinks and listings running at once keep the tree
// consistent (run with -race).
func TestConcurrentNamespace(t *testing.T) {
	v, fsc := setup(t, tmpfs.Options{})
	for _, d := range []string{"/a", "/b"} {
		if err := v.MkdirAt(ctx{}, fsc, fsc.Cwd(), d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				name := fmt.Sprintf("/a/f%d-%d", g, i)
				f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), name, unix.O_RDWR|unix.O_CREAT, 0o644)
				if err != nil {
					t.Error(err)
					return
				}
				f.DecRef(ctx{})
				dst := fmt.Sprintf("/b/f%d-%d", g, i)
				if err := v.RenameAt(ctx{}, fsc, fsc.Cwd(), name, fsc.Cwd(), dst, 0); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if err := v.UnlinkAt(ctx{}, fsc, fsc.Cwd(), dst); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50; i++ {
			f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/b", unix.O_RDONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			_ = f.Getdents(ctx{}, func(vfs.Dirent) bool { return true })
			f.DecRef(ctx{})
		}
	}()
	wg.Wait()
	f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/b", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx{})
	n := 0
	if err := f.Getdents(ctx{}, func(vfs.Dirent) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	if n != 2+4*50 {
		t.Fatalf("%d entries in /b, want %d", n, 2+4*50)
	}
}

// A size limit gives ENOSPC, and removing a file gives the space back
// once it is closed.
func TestSizeLimit(t *testing.T) {
	v, fsc := setup(t, tmpfs.Options{MaxBytes: 8192})
	f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/f", unix.O_RDWR|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	n, err := f.Write(ctx{}, make([]byte, 10000))
	if n != 8192 || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if _, err := f.Write(ctx{}, []byte{1}); err != unix.ENOSPC {
		t.Fatalf("full: %v", err)
	}
	if err := v.UnlinkAt(ctx{}, fsc, fsc.Cwd(), "/f"); err != nil {
		t.Fatal(err)
	}
	f.DecRef(ctx{})
	g, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/g", unix.O_RDWR|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer g.DecRef(ctx{})
	if n, err := g.Write(ctx{}, make([]byte, 8192)); n != 8192 || err != nil {
		t.Fatalf("space not returned: %d %v", n, err)
	}
}

// TestStatfsLimits: statfs reports the limits actually enforced and what
// is left of them; without a size or inode limit (size=0, nr_inodes=0,
// memfd's file system) those fields are 0, as Linux reports them, not a
// made-up size.
func TestStatfsLimits(t *testing.T) {
	v := vfs.New()
	if s, err := tmpfs.New(v, tmpfs.Options{}).Statfs(ctx{}); err != nil || s.Blocks != 0 || s.Bfree != 0 || s.Bavail != 0 || s.Files != 0 || s.Ffree != 0 {
		t.Fatalf("unlimited: %+v, %v", s, err)
	}
	fs := tmpfs.New(v, tmpfs.Options{MaxBytes: 1 << 20, MaxInodes: 10})
	ns, err := v.NewMountNamespace(ctx{}, fs, 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	f, err := v.OpenAt(ctx{}, fsc, fsc.Cwd(), "/f", unix.O_RDWR|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx{})
	if _, err := f.Write(ctx{}, make([]byte, 5000)); err != nil {
		t.Fatal(err)
	}
	s, err := fs.Statfs(ctx{})
	if err != nil || s.Blocks != 256 || s.Bfree != 254 || s.Bavail != 254 || s.Files != 10 || s.Ffree != 8 {
		t.Fatalf("limited, a 2-page file: %+v, %v", s, err)
	}
}
