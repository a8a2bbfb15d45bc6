package overlay_test

import (
	"fmt"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/overlay"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// A lower file changed through a descriptor after its name was removed is
// copied up where the overlay does not show it.
func TestRemovedFileCopyUp(t *testing.T) {
	lower, ov, upperFS := setup(t)
	before := lower.snapshot("/")
	f, err := ov.v.OpenAt(root, ov.fsc, ov.cwd(), "/a/x", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(root)
	if err := ov.v.UnlinkAt(root, ov.fsc, ov.cwd(), "/a/x"); err != nil {
		t.Fatal(err)
	}
	if err := ov.v.Chmod(root, f.Path(), 0o600); err != nil {
		t.Fatalf("fchmod: %v", err)
	}
	st, err := f.Stat(root)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "mode", st.Mode, unix.S_IFREG|0o600)
	got, err := readAll(f)
	eq(t, "data", got, "ax")
	errIs(t, "read", err, nil)
	eq(t, "root", ov.list("/"), []string{"a", "b", "empty", "f", "link"})
	up := mount(t, ov.v, upperFS)
	eq(t, "upper root", up.list("/"), []string{"a"})
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

// wrapFS is an upper layer that cannot make device nodes and has no
// extended attributes, so the overlay keeps whiteouts and opaque marks
// itself.
type wrapFS struct {
	inner vfs.Filesystem
	mu    sync.Mutex
	m     map[vfs.Inode]*wrapInode
}

type wrapInode struct {
	vfs.Inode
	fs *wrapFS
}

func (w *wrapFS) wrap(i vfs.Inode, err error) (vfs.Inode, error) {
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if x := w.m[i]; x != nil {
		return x, nil
	}
	x := &wrapInode{Inode: i, fs: w}
	w.m[i] = x
	return x, nil
}

func unwrap(i vfs.Inode) vfs.Inode {
	if x, ok := i.(*wrapInode); ok {
		return x.Inode
	}
	return i
}

func (w *wrapFS) Name() string                               { return "wrap" }
func (w *wrapFS) Root(ctx vfs.Context) (vfs.Inode, error)    { return w.wrap(w.inner.Root(ctx)) }
func (w *wrapFS) Statfs(ctx vfs.Context) (vfs.Statfs, error) { return w.inner.Statfs(ctx) }

func (x *wrapInode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	return x.fs.wrap(x.Inode.Lookup(ctx, name))
}
func (x *wrapInode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return x.fs.wrap(x.Inode.Create(ctx, name, mode))
}
func (x *wrapInode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return x.fs.wrap(x.Inode.Mkdir(ctx, name, mode))
}
func (x *wrapInode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	if mode&unix.S_IFMT == unix.S_IFCHR {
		return nil, unix.EPERM
	}
	return x.fs.wrap(x.Inode.Mknod(ctx, name, mode, rdev))
}
func (x *wrapInode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return x.fs.wrap(x.Inode.Symlink(ctx, name, target))
}
func (x *wrapInode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	return x.Inode.Link(ctx, name, unwrap(target))
}
func (x *wrapInode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	return x.Inode.Unlink(ctx, name, unwrap(child))
}
func (x *wrapInode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	return x.Inode.Rmdir(ctx, name, unwrap(child))
}
func (x *wrapInode) Rename(ctx vfs.Context, oldName string, child, newDir vfs.Inode, newName string, replaced vfs.Inode, flags uint32) error {
	if replaced != nil {
		replaced = unwrap(replaced)
	}
	return x.Inode.Rename(ctx, oldName, unwrap(child), unwrap(newDir), newName, replaced, flags)
}

func TestInternalMarkers(t *testing.T) {
	v := vfs.New()
	lowerFS := tmpfs.New(v, tmpfs.Options{Mode: 0o755})
	lower := mount(t, v, lowerFS)
	lower.mkdir("/d", 0o755)
	lower.write("/d/a", "a")
	lower.write("/d/b", "b")
	lower.write("/f", "f")
	before := lower.snapshot("/")
	up := &wrapFS{inner: tmpfs.New(v, tmpfs.Options{}), m: make(map[vfs.Inode]*wrapInode)}
	fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, up)
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	for _, p := range []string{"/d/a", "/d/b", "/f"} {
		if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), p); err != nil {
			t.Fatal(err)
		}
	}
	eq(t, "/d", ov.list("/d"), []string{})
	if err := v.RmdirAt(root, ov.fsc, ov.cwd(), "/d"); err != nil {
		t.Fatal(err)
	}
	eq(t, "root", ov.list("/"), []string{})
	_, err = ov.stat("/f")
	errIs(t, "stat /f", err, unix.ENOENT)
	ov.mkdir("/d", 0o755)
	eq(t, "opaque /d", ov.list("/d"), []string{})
	_, err = ov.stat("/d/a")
	errIs(t, "stat /d/a", err, unix.ENOENT)
	ov.write("/f", "new")
	eq(t, "new /f", ov.mustRead("/f"), "new")
	if err := v.RenameAt(root, ov.fsc, ov.cwd(), "/f", ov.cwd(), "/g", 0); err != nil {
		t.Fatal(err)
	}
	eq(t, "root after", ov.list("/"), []string{"d", "g"})
	eq(t, "lower unchanged", lower.snapshot("/"), before)
}

// Many tasks copying up, reading, listing and renaming at once (run with
// -race).
func TestConcurrentCopyUp(t *testing.T) {
	v := vfs.New()
	lowerFS := tmpfs.New(v, tmpfs.Options{Mode: 0o755})
	lower := mount(t, v, lowerFS)
	for d := 0; d < 4; d++ {
		lower.mkdir(fmt.Sprintf("/d%d", d), 0o755)
		for i := 0; i < 10; i++ {
			lower.write(fmt.Sprintf("/d%d/f%d", d, i), "0123456789")
		}
	}
	fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, tmpfs.New(v, tmpfs.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 40; i++ {
				p := fmt.Sprintf("/d%d/f%d", (g+i)%4, i%10)
				f, err := v.OpenAt(root, ov.fsc, ov.cwd(), p, unix.O_RDWR, 0)
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := f.Pwrite(root, []byte{'a' + byte(g)}, int64(g)); err != nil {
					t.Error(err)
				}
				f.DecRef(root)
				if _, err := ov.read(fmt.Sprintf("/d%d/f%d", (g+i+1)%4, (i+3)%10)); err != nil {
					t.Error(err)
				}
				d, err := v.OpenAt(root, ov.fsc, ov.cwd(), fmt.Sprintf("/d%d", i%4), unix.O_RDONLY, 0)
				if err != nil {
					t.Error(err)
					return
				}
				n := 0
				d.Getdents(root, func(vfs.Dirent) bool { n++; return true })
				d.DecRef(root)
				if n < 12 {
					t.Errorf("listing of /d%d: %d entries", i%4, n)
				}
			}
		}()
	}
	wg.Wait()
	for d := 0; d < 4; d++ {
		for i := 0; i < 10; i++ {
			s, err := ov.read(fmt.Sprintf("/d%d/f%d", d, i))
			if err != nil || len(s) != 10 {
				t.Errorf("/d%d/f%d: %q %v", d, i, s, err)
			}
			eq(t, "lower", lower.mustRead(fmt.Sprintf("/d%d/f%d", d, i)), "0123456789")
		}
	}
}

// Names of one lower file with several hard links show the same file,
// also after one of them is changed and removed (whichever name the copy
// went to).
func TestLowerHardLinks(t *testing.T) {
	for _, gone := range []string{"/h1", "/h2"} {
		stays := "/h1"
		if gone == "/h1" {
			stays = "/h2"
		}
		v := vfs.New()
		lowerFS := tmpfs.New(v, tmpfs.Options{Mode: 0o755})
		lower := mount(t, v, lowerFS)
		lower.write("/h1", "old")
		if err := v.LinkAt(root, lower.fsc, lower.cwd(), "/h1", lower.cwd(), "/h2", false); err != nil {
			t.Fatal(err)
		}
		fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, tmpfs.New(v, tmpfs.Options{}))
		if err != nil {
			t.Fatal(err)
		}
		ov := mount(t, v, fs)
		eq(t, "same ino", ov.mustStat("/h1").Ino, ov.mustStat("/h2").Ino)
		ov.write("/h1", "new")
		eq(t, "h2 after write", ov.mustRead("/h2"), "new")
		if err := v.UnlinkAt(root, ov.fsc, ov.cwd(), gone); err != nil {
			t.Fatal(err)
		}
		eq(t, stays+" after unlink of "+gone, ov.mustRead(stays), "new")
		eq(t, "root", ov.list("/"), []string{stays[1:]})
		eq(t, "lower", lower.mustRead("/h2"), "old")
	}
}
