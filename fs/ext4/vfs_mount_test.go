package ext4

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// taskCtx is a Context with a file-system context, as kernel.Task.
type taskCtx struct {
	vctx
	fsc *vfs.FSContext
}

func (c taskCtx) FSContext() *vfs.FSContext { return c.fsc }

func TestRegisterType(t *testing.T) {
	ext4Img := mkImage(t)
	ext2Img := filepath.Join(t.TempDir(), "ext2")
	run(t, "mke2fs", "-q", "-F", "-t", "ext2", ext2Img, "4M")
	devs := map[uint64]string{unix.Mkdev(254, 0): ext4Img, unix.Mkdev(254, 16): ext2Img}
	v := vfs.New()
	mounts := RegisterType(v, func(rdev uint64) (ReadWriterAt, bool, bool) {
		p, ok := devs[rdev]
		if !ok {
			return nil, false, false
		}
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, true, true
	})
	ns, err := v.NewMountNamespace(vroot, tmpfs.New(v, tmpfs.Options{}), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	ctx := taskCtx{fsc: fsc}
	cwd := fsc.Cwd()
	for _, n := range []struct {
		name string
		mode uint32
		rdev uint64
	}{{"/vda", unix.S_IFBLK, unix.Mkdev(254, 0)}, {"/vdb", unix.S_IFBLK, unix.Mkdev(254, 16)},
		{"/vdc", unix.S_IFBLK, unix.Mkdev(254, 32)}, {"/chr", unix.S_IFCHR, unix.Mkdev(254, 0)}} {
		if err := v.MknodAt(ctx, fsc, cwd, n.name, n.mode|0o600, n.rdev); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"/a", "/b", "/c"} {
		if err := v.MkdirAt(ctx, fsc, cwd, d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	at := func(p string) vfs.Path {
		pp, err := v.GetPath(ctx, fsc, cwd, p, true)
		if err != nil {
			t.Fatal(err)
		}
		return pp
	}
	for _, c := range []struct {
		src, opts string
		want      error
	}{
		{"/chr", "", unix.ENOTBLK},
		{"/a", "", unix.ENOTBLK},
		{"/missing", "", unix.ENOENT},
		{"/vdc", "", unix.ENXIO},
		{"/vda", "bogus", unix.EINVAL},
		{"/vdb", "", unix.EROFS}, // ext2 without extents: read-only only
	} {
		if err := v.NewMount(ctx, "ext4", c.src, at("/a"), 0, c.opts); err != c.want {
			t.Errorf("mount %s -o %q: %v, want %v", c.src, c.opts, err, c.want)
		}
	}
	if err := v.NewMount(ctx, "ext2", "/vdb", at("/b"), vfs.MountReadOnly, ""); err != nil {
		t.Fatalf("read-only ext2: %v", err)
	}
	if err := v.NewMount(ctx, "ext4", "/vda", at("/a"), 0, "noatime,errors=remount-ro"); err != nil {
		t.Fatal(err)
	}
	if err := v.NewMount(ctx, "ext4", "/vda", at("/c"), 0, ""); err != nil {
		t.Fatal(err)
	}
	// Both mounts show one file system.
	f, err := v.OpenAt(ctx, fsc, cwd, "/a/new", unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(ctx)
	if _, err := v.StatAt(ctx, fsc, cwd, "/c/new", false); err != nil {
		t.Errorf("second mount does not see the first's file: %v", err)
	}
	if err := mounts.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, ext4Img)
	fsckClean(t, ext2Img)
}
