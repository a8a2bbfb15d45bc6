package vfs_test

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// TestDetachNamespaceRoot lazily unmounts a namespace's root: the caller
// keeps its tree (without the mounts below), which leaves the namespace;
// the namespace's root is an empty read-only directory from then on.
func TestDetachNamespaceRoot(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	e.must(e.v.MkdirAt(root, e.fsc, cwd, "/mnt", 0o755))
	e.write("/file", "x")
	mp, err := e.v.GetPath(root, e.fsc, cwd, "/mnt", true)
	e.must(err)
	e.must(e.v.Mount(root, mp, tmpfs.New(e.v, tmpfs.Options{Mode: 0o755}), 0))
	e.write("/mnt/inner", "y")
	top := e.fsc.Root()
	e.must(e.v.UmountTree(root, top))
	if _, err := e.v.StatAt(root, e.fsc, cwd, "/file", true); err != nil {
		t.Errorf("the detached root lost its files: %v", err)
	}
	if _, err := e.v.StatAt(root, e.fsc, cwd, "/mnt/inner", true); err != unix.ENOENT {
		t.Errorf("stat of the detached submount's file = %v, want ENOENT", err)
	}
	if n := len(e.v.Mounts(top)); n != 0 {
		t.Errorf("the detached tree shows %d mounts", n)
	}
	if top.Mount.Namespace() != nil {
		t.Error("the detached root is still in its namespace")
	}
	wantErr(t, "detach again", e.v.UmountTree(root, top), unix.EINVAL)
	nr := e.ns.Root()
	if nr.Mount == top.Mount || nr.Mount.Namespace() != e.ns {
		t.Fatal("the namespace has no new root")
	}
	fsc := vfs.NewFSContext(nr)
	if _, err := e.v.StatAt(root, fsc, nr, "/file", true); err != unix.ENOENT {
		t.Errorf("the new root shows /file: %v", err)
	}
	wantErr(t, "mkdir in the new root", e.v.MkdirAt(root, fsc, nr, "/d", 0o755), unix.EROFS)
	if n := len(e.v.Mounts(nr)); n != 1 {
		t.Errorf("the namespace shows %d mounts, want its root alone", n)
	}
}

// TestRemoveOtherNamespaceMountPoint removes a directory that is a mount
// point in another namespace only: allowed, and the mount goes with it;
// a mount point of the caller's namespace stays EBUSY.
func TestRemoveOtherNamespaceMountPoint(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	e.must(e.v.MkdirAt(root, e.fsc, cwd, "/mp", 0o755))
	e.must(e.v.MkdirAt(root, e.fsc, cwd, "/own", 0o755))
	_, translate := e.v.CloneMountNamespace(e.ns, nil)
	ofsc := vfs.NewFSContext(translate(e.ns.Root()))
	omp, err := e.v.GetPath(root, ofsc, ofsc.Root(), "/mp", true)
	e.must(err)
	e.must(e.v.Mount(root, omp, tmpfs.New(e.v, tmpfs.Options{Mode: 0o755}), 0))
	own, err := e.v.GetPath(root, e.fsc, cwd, "/own", true)
	e.must(err)
	e.must(e.v.Mount(root, own, tmpfs.New(e.v, tmpfs.Options{Mode: 0o755}), 0))
	wantErr(t, "rmdir in the mounting namespace", e.v.RmdirAt(root, ofsc, ofsc.Root(), "/mp"), unix.EBUSY)
	wantErr(t, "rmdir of our own mount point", e.v.RmdirAt(root, e.fsc, cwd, "/own"), unix.EBUSY)
	e.must(e.v.RmdirAt(root, e.fsc, cwd, "/mp"))
	for _, m := range e.v.Mounts(ofsc.Root()) {
		if m.MountPoint == "/mp" {
			t.Error("the other namespace still has its mount on the removed directory")
		}
	}
}
