package sys

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

func TestTree(t *testing.T) {
	ctx := testCtx{}
	v := vfs.New()
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0)), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	for _, d := range []string{"/devices", "/kernel", "/fs", "/class"} {
		st, err := v.StatAt(ctx, fsc, fsc.Root(), d, true)
		if err != nil || st.Type() != unix.S_IFDIR || st.Mode&0o777 != 0o755 {
			t.Errorf("stat %s = %#o, %v", d, st.Mode, err)
		}
	}
	if _, err := v.StatAt(ctx, fsc, fsc.Root(), "/devices/system/cpu", true); err != unix.ENOENT {
		t.Errorf("stat cpu = %v, want ENOENT", err)
	}
	f, err := v.OpenAt(ctx, fsc, fsc.Root(), "/", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.DecRef(ctx)
	var names []string
	f.Getdents(ctx, func(d vfs.Dirent) bool { names = append(names, d.Name); return true })
	if got := strings.Join(names, " "); got != ". .. block bus class dev devices firmware fs kernel module power" {
		t.Errorf("ls /sys = %q", got)
	}
	if _, err := v.OpenAt(ctx, fsc, fsc.Root(), "/kernel/x", unix.O_CREAT|unix.O_WRONLY, 0o644); err != unix.EPERM {
		t.Errorf("create = %v, want EPERM", err)
	}
	s, err := v.Statfs(ctx, fsc.Root())
	if err != nil || s.Type != unix.SYSFS_MAGIC {
		t.Errorf("statfs %+v %v", s, err)
	}
}

func TestRegisterType(t *testing.T) {
	ctx := testCtx{}
	v := vfs.New()
	RegisterType(v)
	ns, err := v.NewMountNamespace(ctx, New(time.Unix(5, 0)), 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	var devs []uint64
	for _, at := range []string{"/kernel", "/fs"} {
		p, err := v.GetPath(ctx, fsc, fsc.Root(), at, true)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.NewMount(ctx, "sysfs", "sysfs", p, 0, ""); err != nil {
			t.Fatal(err)
		}
		st, err := v.StatAt(ctx, fsc, fsc.Root(), at+"/devices", true)
		if err != nil {
			t.Fatal(err)
		}
		devs = append(devs, st.Dev)
	}
	if devs[0] != devs[1] {
		t.Error("two sysfs mounts have different devices")
	}
	p, _ := v.GetPath(ctx, fsc, fsc.Root(), "/power", true)
	if err := v.NewMount(ctx, "sysfs", "sysfs", p, 0, "bogus"); err != unix.EINVAL {
		t.Errorf("mount with options = %v", err)
	}
}
