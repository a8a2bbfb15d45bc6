package vfs_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// TestMountContext takes a tmpfs through the phases of a file system
// context: parameters checked when set, creation, one detached mount
// that lives as long as its file, and an attached one.
func TestMountContext(t *testing.T) {
	e := newEnv(t)
	tmpfs.RegisterType(e.v)
	e.mkdir("/m")
	_, err := e.v.NewMountContext(root, "nosuchfs")
	wantErr(t, "unknown type", err, unix.ENODEV)
	f, err := e.v.NewMountContext(root, "tmpfs")
	e.must(err)
	defer f.DecRef(root)
	mc := vfs.MountContextOf(f)
	wantErr(t, "unknown key", mc.Set("bogus", vfs.ParamString, "1"), unix.EINVAL)
	wantErr(t, "bad size", mc.Set("size", vfs.ParamString, "x"), unix.EINVAL)
	wantErr(t, "mode as a flag", mc.Set("mode", vfs.ParamFlag, ""), unix.EINVAL)
	buf := make([]byte, 64)
	n, err := f.Ops().Read(root, f, buf, 0)
	if err != nil || string(buf[:n]) != "e tmpfs: Unknown parameter 'bogus'\n" {
		t.Fatalf("first message %q, %v", buf[:n], err)
	}
	e.must(mc.Set("mode", vfs.ParamString, "700"))
	_, err = mc.Mount(root, 0, e.ns)
	wantErr(t, "mount before create", err, unix.EINVAL)
	wantErr(t, "create unprivileged", mc.Create(root, false), unix.EPERM)
	e.must(mc.Create(root, true))
	wantErr(t, "create twice", mc.Create(root, true), unix.EBUSY)
	wantErr(t, "set after create", mc.Set("size", vfs.ParamString, "1m"), unix.EBUSY)
	m, err := mc.Mount(root, vfs.MountNoExec, e.ns)
	e.must(err)
	_, err = mc.Mount(root, 0, e.ns)
	wantErr(t, "second mount", err, unix.EBUSY)
	if !m.IsDetachedRoot() || m.Flags()&vfs.MountNoExec == 0 {
		t.Fatalf("detached %v flags %x", m.IsDetachedRoot(), m.Flags())
	}
	mf := e.v.OpenDetached(root, m)
	if len(e.v.Mounts(e.fsc.Root())) != 1 {
		t.Fatal("a detached mount is listed")
	}
	e.must(e.v.MoveMount(root, mf.Path(), mustPath(e, "/m")))
	if m.IsDetachedRoot() || m.Namespace() != e.ns {
		t.Fatal("move_mount did not attach the mount")
	}
	mf.DecRef(root)
	if m.Namespace() != e.ns {
		t.Fatal("closing the file unmounted the attached mount")
	}
	st, err := e.v.StatMount(e.ns, m.UniqueID(), e.fsc.Root())
	e.must(err)
	if st.MountPoint != "/m" || st.FSType != "tmpfs" || st.Source != "none" || !st.Reachable || st.ParentID != e.fsc.Root().Mount.UniqueID() {
		t.Fatalf("statmount %+v", st)
	}
	ids, err := e.v.ListMounts(e.ns, 0, e.fsc.Root(), 0, false, 10)
	e.must(err)
	if len(ids) != 2 || ids[1] != m.UniqueID() {
		t.Fatalf("listmount %v", ids)
	}
}

// TestDetachedTree clones a tree into a detached one that goes away with
// its file, and checks mount_setattr's locked flags.
func TestDetachedTree(t *testing.T) {
	e := newEnv(t)
	tmpfs.RegisterType(e.v)
	e.mkdir("/a")
	e.mkdir("/b")
	e.must(e.v.NewMount(root, "tmpfs", "x", mustPath(e, "/a"), 0, ""))
	e.mkdir("/a/sub")
	e.must(e.v.NewMount(root, "tmpfs", "y", mustPath(e, "/a/sub"), 0, ""))
	c, err := e.v.CloneTree(mustPath(e, "/a"), true, nil)
	e.must(err)
	f := e.v.OpenDetached(root, c)
	p, err := e.v.GetPath(root, e.fsc, f.Path(), "sub", true)
	e.must(err)
	sub := p.Mount
	if sub == c || sub.Namespace() != c.Namespace() {
		t.Fatal("the recursive copy lacks the submount")
	}
	e.must(e.v.SetMountAttr(f.Path(), vfs.MountReadOnly, 0, 0, true))
	if !sub.ReadOnly() {
		t.Fatal("recursive mount_setattr missed the submount")
	}
	e.mkdir("/a/dir")
	wantErr(t, "setattr of a directory", e.v.SetMountAttr(mustPath(e, "/a/dir"), vfs.MountReadOnly, 0, 0, false), unix.EINVAL)
	f.DecRef(root)
	if c.Namespace() != nil || sub.Namespace() != nil {
		t.Fatal("closing the file left the detached tree mounted")
	}
}
