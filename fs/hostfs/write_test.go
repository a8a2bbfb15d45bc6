package hostfs

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// writableTree mounts a writable hostfs of a new host directory.
func writableTree(t *testing.T) (string, *vfs.VirtualFilesystem, *vfs.FSContext) {
	t.Helper()
	dir := t.TempDir()
	fs, err := NewWritable(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fs.Close)
	v := vfs.New()
	ns, err := v.NewMountNamespace(root, fs, 0)
	if err != nil {
		t.Fatal(err)
	}
	return dir, v, vfs.NewFSContext(ns.Root())
}

func hostRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestWritableTreeChangesReachHost(t *testing.T) {
	dir, v, fsc := writableTree(t)
	start := fsc.Root()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(v.MkdirAt(root, fsc, start, "/d", 0o750))
	f, err := v.OpenAt(root, fsc, start, "/d/f", unix.O_CREAT|unix.O_WRONLY|unix.O_EXCL, 0o640)
	must(err)
	if _, err := f.Write(root, []byte("hello ")); err != nil {
		t.Fatal(err)
	}
	f.DecRef(root)
	f, err = v.OpenAt(root, fsc, start, "/d/f", unix.O_WRONLY|unix.O_APPEND, 0)
	must(err)
	if _, err := f.Write(root, []byte("world\n")); err != nil {
		t.Fatal(err)
	}
	must(f.Sync(root, false))
	f.DecRef(root)
	if got := hostRead(t, filepath.Join(dir, "d", "f")); got != "hello world\n" {
		t.Errorf("host file = %q", got)
	}
	st, err := os.Stat(filepath.Join(dir, "d"))
	must(err)
	if st.Mode().Perm() != 0o750 || !st.IsDir() {
		t.Errorf("host dir mode %v, want drwxr-x---", st.Mode())
	}
	st, err = os.Stat(filepath.Join(dir, "d", "f"))
	must(err)
	if st.Mode().Perm() != 0o640 {
		t.Errorf("host file mode %v, want 0640 whatever kite's umask", st.Mode())
	}

	must(v.SymlinkAt(root, fsc, "f", start, "/d/link"))
	if l, err := os.Readlink(filepath.Join(dir, "d", "link")); err != nil || l != "f" {
		t.Errorf("host symlink %q, %v", l, err)
	}
	must(v.LinkAt(root, fsc, start, "/d/f", start, "/hard", false))
	must(v.RenameAt(root, fsc, start, "/d/f", start, "/moved", 0))
	if got := hostRead(t, filepath.Join(dir, "moved")); got != "hello world\n" {
		t.Errorf("renamed host file = %q", got)
	}
	// The renamed inode is reached under its new name afterwards.
	p, err := v.GetPath(root, fsc, start, "/moved", true)
	must(err)
	must(v.Chmod(root, p, 0o600))
	must(v.Truncate(root, p, 5))
	if got := hostRead(t, filepath.Join(dir, "hard")); got != "hello" {
		t.Errorf("hard link after truncate = %q", got)
	}
	st, err = os.Stat(filepath.Join(dir, "moved"))
	must(err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("chmod: host mode %v", st.Mode())
	}
	must(v.UnlinkAt(root, fsc, start, "/moved"))
	must(v.UnlinkAt(root, fsc, start, "/d/link"))
	must(v.RmdirAt(root, fsc, start, "/d"))
	ents, err := os.ReadDir(dir)
	must(err)
	if len(ents) != 1 || ents[0].Name() != "hard" {
		t.Errorf("host dir after removals: %v", ents)
	}
	s, err := v.Statfs(root, fsc.Root())
	if err != nil || s.Flags&unix.ST_RDONLY != 0 {
		t.Errorf("statfs of a writable tree %+v, %v", s, err)
	}
}

func TestWritableTreeNoDevicesNoEscape(t *testing.T) {
	dir, v, fsc := writableTree(t)
	start := fsc.Root()
	outside := t.TempDir()
	target := filepath.Join(outside, "victim")
	if err := os.Symlink(target, filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	if err := v.MknodAt(root, fsc, start, "/null", unix.S_IFCHR|0o666, unix.Mkdev(1, 3)); err != unix.EPERM {
		t.Errorf("mknod of a character device = %v, want EPERM", err)
	}
	if err := v.MknodAt(root, fsc, start, "/fifo", unix.S_IFIFO|0o644, 0); err != nil {
		t.Errorf("mkfifo: %v", err)
	}
	if st, err := os.Lstat(filepath.Join(dir, "fifo")); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("host fifo: %v %v", st, err)
	}
	// kite follows the symlink itself, inside the tree: the absolute
	// target names a path of kite's tree, not the host's.
	f, err := v.OpenAt(root, fsc, start, "/escape", unix.O_CREAT|unix.O_WRONLY, 0o644)
	if err == nil {
		f.DecRef(root)
	}
	if _, err := os.Lstat(target); !os.IsNotExist(err) {
		t.Errorf("a write through a symlink reached outside the tree: %v", err)
	}
}

func TestWritableTreeOwnerOfNewFiles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root on the host to give files the program's owner")
	}
	dir, v, fsc := writableTree(t)
	start := fsc.Root()
	if err := os.Mkdir(filepath.Join(dir, "pub"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "pub"), 0o777); err != nil {
		t.Fatal(err)
	}
	user := vfs.KernelContext{Creds: auth.New(1000, 1000, nil)}
	f, err := v.OpenAt(user, fsc, start, "/pub/mine", unix.O_CREAT|unix.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(user)
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(dir, "pub", "mine"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 1000 {
		t.Errorf("host owner %d:%d, want 1000:1000", st.Uid, st.Gid)
	}
	if err := v.MkdirAt(user, fsc, start, "/pub/mine/x", 0o755); err != unix.ENOTDIR {
		t.Errorf("mkdir under a file = %v, want ENOTDIR", err)
	}
}
