package overlay_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/overlay"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// taskCtx is a caller with a file-system context, as kernel.Task.
type taskCtx struct {
	vfs.KernelContext
	fsc *vfs.FSContext
}

func (c taskCtx) FSContext() *vfs.FSContext { return c.fsc }

func TestParseOptions(t *testing.T) {
	o, err := overlay.ParseOptions(`lowerdir=/a\:b:/c,upperdir=/u,workdir=/w,redirect_dir=off,index=off,xino=auto`)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "lower", o.LowerDirs, []string{"/a:b", "/c"})
	eq(t, "upper", o.UpperDir, "/u")
	for _, bad := range []string{"", "upperdir=/u,workdir=/w", "lowerdir=/a,upperdir=/u", "lowerdir=/a,index=on",
		"lowerdir=/a,bogus", "lowerdir=/a::/b", "lowerdir=/a,userxattr"} {
		if _, err := overlay.ParseOptions(bad); err != unix.EINVAL {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestMountSyscall(t *testing.T) {
	v := vfs.New()
	overlay.RegisterType(v)
	tr := mount(t, v, tmpfs.New(v, tmpfs.Options{Mode: 0o755}))
	for _, d := range []string{"/lower", "/lower2", "/upper", "/work", "/merged", "/ro", "/u2", "/u2/inner"} {
		tr.mkdir(d, 0o755)
	}
	tr.write("/lower/a", "a")
	tr.write("/lower2/a", "hidden")
	tr.write("/lower2/b", "b")
	c := taskCtx{fsc: tr.fsc}
	at := func(p string) vfs.Path { return tr.path(p) }
	for data, want := range map[string]error{
		"lowerdir=/lower,upperdir=/u2,workdir=/u2/inner": unix.EINVAL,
		"lowerdir=/lower,upperdir=/u2/inner,workdir=/u2": unix.EINVAL,
		"lowerdir=/nowhere":                         unix.ENOENT,
		"lowerdir=/lower/a":                         unix.ENOTDIR,
		"lowerdir=/lower,upperdir=/upper":           unix.EINVAL,
		"lowerdir=/lower,upperdir=/x,workdir=/work": unix.ENOENT,
	} {
		errIs(t, data, v.NewMount(c, "overlay", "overlay", at("/merged"), 0, data), want)
	}
	if err := v.NewMount(c, "overlay", "overlay", at("/merged"), 0, "lowerdir=/lower:/lower2,upperdir=/upper,workdir=/work"); err != nil {
		t.Fatal(err)
	}
	eq(t, "merged", tr.list("/merged"), []string{"a", "b"})
	eq(t, "a", tr.mustRead("/merged/a"), "a")
	tr.write("/merged/b", "changed")
	if err := v.UnlinkAt(root, tr.fsc, tr.cwd(), "/merged/a"); err != nil {
		t.Fatal(err)
	}
	eq(t, "merged after", tr.list("/merged"), []string{"b"})
	eq(t, "upper b", tr.mustRead("/upper/b"), "changed")
	st := tr.mustStat("/upper/a")
	eq(t, "whiteout", st.Mode&unix.S_IFMT, unix.S_IFCHR)
	eq(t, "lower2 b", tr.mustRead("/lower2/b"), "b")
	eq(t, "lower a", tr.mustRead("/lower/a"), "a")
	sf, err := v.Statfs(root, at("/merged"))
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "statfs", sf.Type, 0x794c7630)

	// Without upperdir: read-only.
	if err := v.NewMount(c, "overlay", "overlay", at("/ro"), 0, "lowerdir=/lower:/lower2"); err != nil {
		t.Fatal(err)
	}
	eq(t, "ro", tr.list("/ro"), []string{"a", "b"})
	_, err = v.OpenAt(root, tr.fsc, tr.cwd(), "/ro/a", unix.O_WRONLY, 0)
	errIs(t, "write ro", err, unix.EROFS)
	errIs(t, "unlink ro", v.UnlinkAt(root, tr.fsc, tr.cwd(), "/ro/a"), unix.EROFS)
	errIs(t, "mkdir ro", v.MkdirAt(root, tr.fsc, tr.cwd(), "/ro/d", 0o755), unix.EROFS)
	errIs(t, "chmod ro", v.Chmod(root, at("/ro/b"), 0o600), unix.EROFS)
	eq(t, "ro still", tr.list("/ro"), []string{"a", "b"})
}
