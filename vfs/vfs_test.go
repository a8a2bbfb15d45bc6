package vfs_test

import (
	"errors"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

type testCtx = vfs.KernelContext

var root = testCtx{Creds: auth.New(0, 0, nil)}

type env struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	ns  *vfs.MountNamespace
	fsc *vfs.FSContext
}

func newEnv(t *testing.T) *env {
	v := vfs.New()
	ns, err := v.NewMountNamespace(root, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), 0)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, v: v, ns: ns, fsc: vfs.NewFSContext(ns.Root())}
}

func (e *env) must(err error) {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
}

func wantErr(t *testing.T, what string, got, want error) {
	t.Helper()
	if want == nil && got == nil {
		return
	}
	if !errors.Is(got, want) {
		t.Errorf("%s: got %v, want %v", what, got, want)
	}
}

func (e *env) open(path string, flags int, mode uint32) (*vfs.File, error) {
	return e.v.OpenAt(root, e.fsc, e.fsc.Cwd(), path, flags, mode)
}

func (e *env) write(path, data string) {
	e.t.Helper()
	f, err := e.open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0o644)
	e.must(err)
	defer f.DecRef(root)
	n, err := f.Write(root, []byte(data))
	e.must(err)
	if n != len(data) {
		e.t.Fatalf("short write %d", n)
	}
}

func (e *env) read(path string) string {
	e.t.Helper()
	f, err := e.open(path, unix.O_RDONLY, 0)
	e.must(err)
	defer f.DecRef(root)
	var b strings.Builder
	buf := make([]byte, 7)
	for {
		n, err := f.Read(root, buf)
		e.must(err)
		if n == 0 {
			return b.String()
		}
		b.Write(buf[:n])
	}
}

func (e *env) mkdir(path string) {
	e.t.Helper()
	e.must(e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), path, 0o755))
}

func (e *env) symlink(target, path string) {
	e.t.Helper()
	e.must(e.v.SymlinkAt(root, e.fsc, target, e.fsc.Cwd(), path))
}

func (e *env) list(path string) []string {
	e.t.Helper()
	f, err := e.open(path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	e.must(err)
	defer f.DecRef(root)
	var names []string
	e.must(f.Getdents(root, func(d vfs.Dirent) bool { names = append(names, d.Name); return true }))
	sort.Strings(names)
	return names
}

func TestReadWriteStat(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "hello, world")
	if got := e.read("/f"); got != "hello, world" {
		t.Fatalf("read %q", got)
	}
	st, err := e.v.StatAt(root, e.fsc, e.fsc.Cwd(), "/f", true)
	e.must(err)
	if st.Size != 12 || st.Mode != unix.S_IFREG|0o644 || st.Nlink != 1 || st.Dev == 0 {
		t.Fatalf("stat %+v", st)
	}
	// umask applies.
	e.fsc.SwapUmask(0o077)
	e.write("/g", "")
	st, err = e.v.StatAt(root, e.fsc, e.fsc.Cwd(), "/g", true)
	e.must(err)
	if st.Mode&0o777 != 0o600 {
		t.Fatalf("mode %o", st.Mode)
	}
}

func TestAppendAndOffsets(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "abc")
	f, err := e.open("/f", unix.O_WRONLY|unix.O_APPEND, 0)
	e.must(err)
	defer f.DecRef(root)
	_, err = f.Pwrite(root, []byte("de"), 0) // O_APPEND wins over the offset, as on Linux
	e.must(err)
	if got := e.read("/f"); got != "abcde" {
		t.Fatalf("%q", got)
	}
	_, err = f.Read(root, make([]byte, 1))
	wantErr(t, "read of O_WRONLY", err, unix.EBADF)
	off, err := f.Seek(root, 0, unix.SEEK_END)
	e.must(err)
	if off != 5 {
		t.Fatalf("seek end %d", off)
	}
	_, err = f.Seek(root, -10, unix.SEEK_CUR)
	wantErr(t, "seek negative", err, unix.EINVAL)
}

func TestSparse(t *testing.T) {
	e := newEnv(t)
	e.write("/s", "")
	f, err := e.open("/s", unix.O_RDWR, 0)
	e.must(err)
	defer f.DecRef(root)
	e.must(e.v.Ftruncate(root, f, 1<<40))
	_, err = f.Pwrite(root, []byte("x"), 1<<20)
	e.must(err)
	st, err := f.Stat(root)
	e.must(err)
	if st.Size != 1<<40 || st.Blocks != 8 {
		t.Fatalf("size %d blocks %d", st.Size, st.Blocks)
	}
	b := make([]byte, 3)
	n, err := f.Pread(root, b, 1<<20-1)
	e.must(err)
	if n != 3 || string(b) != "\x00x\x00" {
		t.Fatalf("pread %q", b[:n])
	}
	off, err := f.Seek(root, 0, unix.SEEK_DATA)
	e.must(err)
	if off != 1<<20 {
		t.Fatalf("SEEK_DATA %d", off)
	}
	off, err = f.Seek(root, 1<<20, unix.SEEK_HOLE)
	e.must(err)
	if off != 1<<20+4096 {
		t.Fatalf("SEEK_HOLE %d", off)
	}
}

func TestSymlinks(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.write("/d/f", "data")
	e.symlink("d/f", "/rel")
	e.symlink("/d", "/abs")
	e.symlink("loop2", "/loop1")
	e.symlink("loop1", "/loop2")
	e.symlink("/nonexistent", "/dangling")
	if got := e.read("/rel"); got != "data" {
		t.Fatalf("rel: %q", got)
	}
	if got := e.read("/abs/f"); got != "data" {
		t.Fatalf("abs: %q", got)
	}
	_, err := e.open("/loop1", unix.O_RDONLY, 0)
	wantErr(t, "loop", err, unix.ELOOP)
	_, err = e.open("/rel", unix.O_RDONLY|unix.O_NOFOLLOW, 0)
	wantErr(t, "O_NOFOLLOW", err, unix.ELOOP)
	_, err = e.open("/dangling", unix.O_RDONLY, 0)
	wantErr(t, "dangling", err, unix.ENOENT)
	_, err = e.open("/dangling", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o600)
	wantErr(t, "O_EXCL dangling", err, unix.EEXIST)
	f, err := e.open("/rel", unix.O_PATH|unix.O_NOFOLLOW, 0)
	e.must(err)
	st, err := f.Stat(root)
	e.must(err)
	if st.Type() != unix.S_IFLNK {
		t.Fatalf("O_PATH|O_NOFOLLOW stat type %o", st.Type())
	}
	_, err = f.Read(root, make([]byte, 1))
	wantErr(t, "read O_PATH", err, unix.EBADF)
	f.DecRef(root)
	// O_CREAT through a dangling symlink creates its target.
	e.symlink("/d/new", "/tonew")
	f, err = e.open("/tonew", unix.O_RDWR|unix.O_CREAT, 0o600)
	e.must(err)
	f.DecRef(root)
	if _, err := e.v.StatAt(root, e.fsc, e.fsc.Cwd(), "/d/new", false); err != nil {
		t.Fatal(err)
	}
	// Exactly 40 links resolve; 41 do not.
	e.symlink("/d/f", "/c0")
	for i := 1; i <= 40; i++ {
		e.symlink("/c"+itoa(i-1), "/c"+itoa(i))
	}
	if _, err := e.open("/c39", unix.O_RDONLY, 0); err != nil {
		t.Fatalf("40 links: %v", err)
	}
	_, err = e.open("/c40", unix.O_RDONLY, 0)
	wantErr(t, "41 links", err, unix.ELOOP)
	s, err := e.v.ReadlinkAt(root, e.fsc, e.fsc.Cwd(), "/rel")
	e.must(err)
	if s != "d/f" {
		t.Fatalf("readlink %q", s)
	}
	_, err = e.v.ReadlinkAt(root, e.fsc, e.fsc.Cwd(), "/d")
	wantErr(t, "readlink dir", err, unix.EINVAL)
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestPathErrors(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	e.write("/f", "")
	_, err := e.open("/f/", unix.O_RDONLY, 0)
	wantErr(t, "trailing slash on file", err, unix.ENOTDIR)
	_, err = e.open("/f/x", unix.O_RDONLY, 0)
	wantErr(t, "file as dir", err, unix.ENOTDIR)
	_, err = e.open("/f", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	wantErr(t, "O_DIRECTORY", err, unix.ENOTDIR)
	_, err = e.open("/d", unix.O_RDWR, 0)
	wantErr(t, "write dir", err, unix.EISDIR)
	_, err = e.open("/d", unix.O_RDONLY|unix.O_CREAT, 0o644)
	wantErr(t, "O_CREAT dir", err, unix.EISDIR)
	_, err = e.open("/new/", unix.O_RDWR|unix.O_CREAT, 0o644)
	wantErr(t, "O_CREAT trailing slash", err, unix.EISDIR)
	_, err = e.open("/"+strings.Repeat("a", 256), unix.O_RDONLY, 0)
	wantErr(t, "NAME_MAX", err, unix.ENAMETOOLONG)
	_, err = e.open("/"+strings.Repeat("a/", 2048), unix.O_RDONLY, 0)
	wantErr(t, "PATH_MAX", err, unix.ENAMETOOLONG)
	_, err = e.open("", unix.O_RDONLY, 0)
	wantErr(t, "empty", err, unix.ENOENT)
	_, err = e.open("/f", unix.O_RDWR|unix.O_CREAT|unix.O_EXCL, 0o644)
	wantErr(t, "O_EXCL", err, unix.EEXIST)
	tf, err := e.open("/d", unix.O_RDWR|unix.O_TMPFILE, 0o644)
	if err != nil {
		t.Fatalf("O_TMPFILE: %v", err)
	}
	if st, _ := tf.Stat(root); st.Nlink != 0 || !tf.Dentry().Dead() {
		t.Fatalf("O_TMPFILE file: nlink %d, dead %v", st.Nlink, tf.Dentry().Dead())
	}
	tf.DecRef(root)
	_, err = e.open("/f", unix.O_RDWR|unix.O_TMPFILE, 0o644)
	wantErr(t, "O_TMPFILE on a file", err, unix.ENOTDIR)
	_, err = e.open("/d", unix.O_RDONLY|unix.O_TMPFILE, 0o644)
	wantErr(t, "O_TMPFILE read-only", err, unix.EINVAL)
	wantErr(t, "mkdir exists", e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), "/d", 0o755), unix.EEXIST)
	wantErr(t, "mkdir .", e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), "/d/.", 0o755), unix.EEXIST)
	wantErr(t, "mkdir /", e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), "/", 0o755), unix.EEXIST)
	wantErr(t, "mkdir no parent", e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), "/x/y", 0o755), unix.ENOENT)
	e.must(e.v.MkdirAt(root, e.fsc, e.fsc.Cwd(), "/d2/", 0o755))
	wantErr(t, "symlink trailing slash", e.v.SymlinkAt(root, e.fsc, "x", e.fsc.Cwd(), "/sl/"), unix.ENOENT)
	wantErr(t, "unlink dir", e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/d"), unix.EISDIR)
	wantErr(t, "rmdir file", e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/f"), unix.ENOTDIR)
	wantErr(t, "rmdir .", e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/d/."), unix.EINVAL)
	wantErr(t, "rmdir ..", e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/d/.."), unix.ENOTEMPTY)
	wantErr(t, "rmdir /", e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/"), unix.EBUSY)
	wantErr(t, "unlink f/", e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/f/"), unix.ENOTDIR)
	e.write("/d/x", "")
	wantErr(t, "rmdir nonempty", e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/d"), unix.ENOTEMPTY)
	e.must(e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/d/x"))
	e.must(e.v.RmdirAt(root, e.fsc, e.fsc.Cwd(), "/d/"))
}

func TestUnlinkOpenFile(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "still here")
	f, err := e.open("/f", unix.O_RDWR, 0)
	e.must(err)
	defer f.DecRef(root)
	e.must(e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/f"))
	b := make([]byte, 20)
	n, err := f.Read(root, b)
	e.must(err)
	if string(b[:n]) != "still here" {
		t.Fatalf("%q", b[:n])
	}
	st, err := f.Stat(root)
	e.must(err)
	if st.Nlink != 0 {
		t.Fatalf("nlink %d", st.Nlink)
	}
	_, err = e.open("/f", unix.O_RDONLY, 0)
	wantErr(t, "reopen", err, unix.ENOENT)
}

func TestRename(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	ren := func(a, b string, flags uint32) error {
		return e.v.RenameAt(root, e.fsc, cwd, a, cwd, b, flags)
	}
	e.mkdir("/a")
	e.mkdir("/a/sub")
	e.mkdir("/b")
	e.write("/b/x", "")
	e.write("/f", "F")
	e.write("/g", "G")
	wantErr(t, "into own subdir", ren("/a", "/a/sub/a", 0), unix.EINVAL)
	wantErr(t, "onto itself subdir", ren("/a", "/a/sub", 0), unix.EINVAL)
	wantErr(t, "dir over nonempty", ren("/a", "/b", 0), unix.ENOTEMPTY)
	wantErr(t, "file over dir", ren("/f", "/a", 0), unix.EISDIR)
	wantErr(t, "dir over file", ren("/a", "/f", 0), unix.ENOTDIR)
	wantErr(t, "noreplace", ren("/f", "/g", vfs.RenameNoReplace), unix.EEXIST)
	wantErr(t, "exchange missing", ren("/f", "/nope", vfs.RenameExchange), unix.ENOENT)
	wantErr(t, "both flags", ren("/f", "/g", vfs.RenameExchange|vfs.RenameNoReplace), unix.EINVAL)
	wantErr(t, "missing", ren("/nope", "/g", 0), unix.ENOENT)
	wantErr(t, "dot", ren("/a/.", "/z", 0), unix.EBUSY)
	wantErr(t, "file trailing slash", ren("/f/", "/z", 0), unix.ENOTDIR)
	e.must(ren("/f", "/f", 0))
	e.must(ren("/f", "/g", vfs.RenameExchange))
	if e.read("/f") != "G" || e.read("/g") != "F" {
		t.Fatal("exchange did not swap")
	}
	e.must(ren("/f", "/g", 0))
	if e.read("/g") != "G" {
		t.Fatal("rename over file")
	}
	_, err := e.open("/f", unix.O_RDONLY, 0)
	wantErr(t, "old name gone", err, unix.ENOENT)
	e.must(ren("/a/sub", "/b/sub", 0))
	st, err := e.v.StatAt(root, e.fsc, cwd, "/a", true)
	e.must(err)
	if st.Nlink != 2 {
		t.Fatalf("/a nlink %d after moving its subdir out", st.Nlink)
	}
	st, err = e.v.StatAt(root, e.fsc, cwd, "/b", true)
	e.must(err)
	if st.Nlink != 3 {
		t.Fatalf("/b nlink %d", st.Nlink)
	}
	e.mkdir("/empty")
	e.must(ren("/a", "/empty", 0))
	if got := e.list("/"); strings.Join(got, " ") != ". .. b empty g" {
		t.Fatalf("list %v", got)
	}
	// Hard links to the same inode: rename is a no-op.
	e.must(e.v.LinkAt(root, e.fsc, cwd, "/g", cwd, "/h", false))
	e.must(ren("/g", "/h", 0))
	if got := e.list("/"); strings.Join(got, " ") != ". .. b empty g h" {
		t.Fatalf("list %v", got)
	}
}

func TestMountsAndDotDot(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	e.mkdir("/mnt")
	e.write("/under", "")
	at, err := e.v.GetPath(root, e.fsc, cwd, "/mnt", true)
	e.must(err)
	sub := tmpfs.New(e.v, tmpfs.Options{})
	e.must(e.v.Mount(root, at, sub, 0))
	e.write("/mnt/inner", "in")
	rootSt, _ := e.v.StatAt(root, e.fsc, cwd, "/", true)
	mntSt, _ := e.v.StatAt(root, e.fsc, cwd, "/mnt", true)
	if rootSt.Dev == mntSt.Dev {
		t.Fatal("mounted fs has the root's device number")
	}
	st, err := e.v.StatAt(root, e.fsc, cwd, "/mnt/..", true)
	e.must(err)
	if st.Ino != rootSt.Ino || st.Dev != rootSt.Dev {
		t.Fatal("/mnt/.. is not /")
	}
	if _, err := e.v.StatAt(root, e.fsc, cwd, "/mnt/../under", true); err != nil {
		t.Fatal(err)
	}
	st, err = e.v.StatAt(root, e.fsc, cwd, "/../../..", true)
	e.must(err)
	if st.Ino != rootSt.Ino {
		t.Fatal("/.. left the root")
	}
	wantErr(t, "rename across mounts", e.v.RenameAt(root, e.fsc, cwd, "/under", cwd, "/mnt/x", 0), unix.EXDEV)
	wantErr(t, "link across mounts", e.v.LinkAt(root, e.fsc, cwd, "/under", cwd, "/mnt/x", false), unix.EXDEV)
	wantErr(t, "rmdir mount point", e.v.RmdirAt(root, e.fsc, cwd, "/mnt"), unix.EBUSY)

	// A process rooted at /mnt cannot climb out.
	mp, err := e.v.GetPath(root, e.fsc, cwd, "/mnt", true)
	e.must(err)
	jail := vfs.NewFSContext(mp)
	if _, err := e.v.StatAt(root, jail, jail.Cwd(), "/../../inner", true); err != nil {
		t.Fatalf("jail: %v", err)
	}
	_, err = e.v.StatAt(root, jail, jail.Cwd(), "/../under", true)
	wantErr(t, "jail escape", err, unix.ENOENT)
	if name := e.v.PathName(jail.Root(), mp); name != "/" {
		t.Fatalf("PathName in jail %q", name)
	}
	in, _ := e.v.GetPath(root, e.fsc, cwd, "/mnt/inner", true)
	if name := e.v.PathName(e.fsc.Root(), in); name != "/mnt/inner" {
		t.Fatalf("PathName %q", name)
	}

	// Read-only mounts.
	e.mkdir("/ro")
	at, err = e.v.GetPath(root, e.fsc, cwd, "/ro", true)
	e.must(err)
	rofs := tmpfs.New(e.v, tmpfs.Options{})
	e.must(e.v.Mount(root, at, rofs, vfs.MountReadOnly))
	_, err = e.open("/ro/x", unix.O_RDWR|unix.O_CREAT, 0o644)
	wantErr(t, "create on ro", err, unix.EROFS)
	wantErr(t, "mkdir on ro", e.v.MkdirAt(root, e.fsc, cwd, "/ro/d", 0o755), unix.EROFS)
	_, err = e.open("/ro", unix.O_RDONLY, 0)
	wantErr(t, "read-only open on ro", err, nil)

	// Umount.
	mnt, err := e.v.GetPath(root, e.fsc, cwd, "/mnt", true)
	e.must(err)
	e.must(e.v.Umount(root, mnt))
	_, err = e.v.StatAt(root, e.fsc, cwd, "/mnt/inner", true)
	wantErr(t, "after umount", err, unix.ENOENT)
	if got := e.v.Mounts(e.fsc.Root()); len(got) != 2 || got[1].MountPoint != "/ro" {
		t.Fatalf("mounts %+v", got)
	}
}

func TestPermissions(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	user := testCtx{Creds: auth.New(1000, 1000, nil)}
	e.mkdir("/locked")
	e.write("/locked/f", "")
	e.must(e.v.Chmod(root, mustPath(e, "/locked"), 0o700))
	_, err := e.v.OpenAt(user, e.fsc, cwd, "/locked/f", unix.O_RDONLY, 0)
	wantErr(t, "search denied", err, unix.EACCES)
	e.write("/ro", "")
	_, err = e.v.OpenAt(user, e.fsc, cwd, "/ro", unix.O_WRONLY, 0)
	wantErr(t, "write denied", err, unix.EACCES)
	_, err = e.v.OpenAt(user, e.fsc, cwd, "/ro", unix.O_RDONLY|unix.O_TRUNC, 0)
	wantErr(t, "O_TRUNC needs write", err, unix.EACCES)
	wantErr(t, "chmod not owner", e.v.Chmod(user, mustPath(e, "/ro"), 0o777), unix.EPERM)
	wantErr(t, "chown not root", e.v.Chown(user, mustPath(e, "/ro"), 1000, -1), unix.EPERM)
	wantErr(t, "access W", e.v.AccessAt(user, e.fsc, cwd, "/ro", unix.W_OK, 0), unix.EACCES)
	e.must(e.v.AccessAt(user, e.fsc, cwd, "/ro", unix.R_OK, 0))
	wantErr(t, "access X root", e.v.AccessAt(root, e.fsc, cwd, "/ro", unix.X_OK, 0), unix.EACCES)
	// Sticky /tmp: a user cannot remove another's file.
	e.must(e.v.MkdirAt(root, e.fsc, cwd, "/tmp", 0o777))
	e.must(e.v.Chmod(root, mustPath(e, "/tmp"), 0o1777))
	e.write("/tmp/rootfile", "")
	wantErr(t, "sticky", e.v.UnlinkAt(user, e.fsc, cwd, "/tmp/rootfile"), unix.EPERM)
	f, err := e.v.OpenAt(user, e.fsc, cwd, "/tmp/mine", unix.O_RDWR|unix.O_CREAT, 0o600)
	e.must(err)
	st, err := f.Stat(user)
	e.must(err)
	if st.UID != 1000 || st.GID != 1000 {
		t.Fatalf("owner %d:%d", st.UID, st.GID)
	}
	f.DecRef(user)
	e.must(e.v.UnlinkAt(user, e.fsc, cwd, "/tmp/mine"))
}

func mustPath(e *env, p string) vfs.Path {
	e.t.Helper()
	r, err := e.v.GetPath(root, e.fsc, e.fsc.Cwd(), p, true)
	e.must(err)
	return r
}

func TestGetdentsStableOffsets(t *testing.T) {
	e := newEnv(t)
	e.mkdir("/d")
	for i := 0; i < 10; i++ {
		e.write("/d/f"+itoa(i), "")
	}
	f, err := e.open("/d", unix.O_RDONLY, 0)
	e.must(err)
	defer f.DecRef(root)
	var got []string
	n := 0
	e.must(f.Getdents(root, func(d vfs.Dirent) bool {
		if n == 5 {
			return false
		}
		n++
		got = append(got, d.Name)
		return true
	}))
	// Remove entries already listed and not yet listed.
	e.must(e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/d/f0"))
	e.must(e.v.UnlinkAt(root, e.fsc, e.fsc.Cwd(), "/d/f5"))
	e.must(f.Getdents(root, func(d vfs.Dirent) bool { got = append(got, d.Name); return true }))
	want := ". .. f0 f1 f2 f3 f4 f6 f7 f8 f9"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %v", got)
	}
	_, err = f.Seek(root, 0, unix.SEEK_SET)
	e.must(err)
	got = nil
	e.must(f.Getdents(root, func(d vfs.Dirent) bool { got = append(got, d.Name); return true }))
	if len(got) != 10 {
		t.Fatalf("after rewind %v", got)
	}
}

func TestHardLinks(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	e.write("/a", "x")
	e.must(e.v.LinkAt(root, e.fsc, cwd, "/a", cwd, "/b", false))
	st, err := e.v.StatAt(root, e.fsc, cwd, "/b", true)
	e.must(err)
	if st.Nlink != 2 {
		t.Fatalf("nlink %d", st.Nlink)
	}
	e.mkdir("/d")
	wantErr(t, "link dir", e.v.LinkAt(root, e.fsc, cwd, "/d", cwd, "/d2", false), unix.EPERM)
	wantErr(t, "link exists", e.v.LinkAt(root, e.fsc, cwd, "/a", cwd, "/b", false), unix.EEXIST)
	e.must(e.v.UnlinkAt(root, e.fsc, cwd, "/a"))
	if e.read("/b") != "x" {
		t.Fatal("data lost")
	}
}

func TestFDTable(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "")
	f, err := e.open("/f", unix.O_RDONLY, 0)
	e.must(err)
	tab := vfs.NewFDTable()
	tab.SetLimit(4)
	for want := int32(0); want < 4; want++ {
		fd, err := tab.NewFD(0, f, 0)
		e.must(err)
		if fd != want {
			t.Fatalf("fd %d want %d", fd, want)
		}
	}
	_, err = tab.NewFD(0, f, 0)
	wantErr(t, "EMFILE", err, unix.EMFILE)
	_, err = tab.NewFD(4, f, 0)
	wantErr(t, "minfd >= limit", err, unix.EINVAL)
	e.must(tab.Remove(root, 1))
	wantErr(t, "remove twice", tab.Remove(root, 1), unix.EBADF)
	fd, err := tab.NewFD(0, f, vfs.FDCloexec)
	e.must(err)
	if fd != 1 {
		t.Fatalf("reuse %d", fd)
	}
	wantErr(t, "SetFD beyond limit", tab.SetFD(root, 4, f, 0), unix.EBADF)
	child := tab.Fork()
	tab.CloseOnExec(root)
	if _, _, err := tab.Get(1); err == nil {
		t.Fatal("cloexec fd survived")
	}
	g, fl, err := child.Get(1)
	e.must(err)
	if fl != vfs.FDCloexec {
		t.Fatal("flags not copied")
	}
	g.DecRef(root)
	child.CloseRange(root, 0, ^uint32(0), true)
	if _, fl, _ := child.Get(0); fl != vfs.FDCloexec {
		t.Fatal("CLOSE_RANGE_CLOEXEC")
	}
	child.RemoveAll(root)
	tab.RemoveAll(root)
	if child.Count() != 0 || tab.Count() != 0 {
		t.Fatal("not empty")
	}
	f.DecRef(root)
}

func TestLocksBlockAndRelease(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "x")
	a, err := e.open("/f", unix.O_RDWR, 0)
	e.must(err)
	b, err := e.open("/f", unix.O_RDWR, 0)
	e.must(err)
	e.must(a.Flock(root, unix.LOCK_EX))
	got := make(chan error)
	go func() { got <- b.Flock(root, unix.LOCK_EX) }()
	select {
	case err := <-got:
		t.Fatalf("flock did not block: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	a.DecRef(root) // releasing the description drops its flock
	if err := <-got; err != nil {
		t.Fatal(err)
	}

	// A POSIX write lock of one owner blocks another until the owner's
	// fd is closed.
	ino := b.Inode()
	p1 := vfs.LockOwner{PID: 1}
	p2 := vfs.LockOwner{PID: 2}
	e.must(e.v.SetLock(root, ino, vfs.RecordLock{Owner: p1, Write: true, Start: 0, End: 10}, false, false))
	wantErr(t, "conflict", e.v.SetLock(root, ino, vfs.RecordLock{Owner: p2, Start: 5, End: 6}, false, false), unix.EAGAIN)
	go func() { got <- e.v.SetLock(root, ino, vfs.RecordLock{Owner: p2, Start: 5, End: 6}, false, true) }()
	time.Sleep(10 * time.Millisecond)
	e.v.ReleaseOwnerLocks(ino, p1)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if c := e.v.TestLock(ino, vfs.RecordLock{Owner: p1, Write: true, Start: 0, End: 100}); c == nil || c.Owner != p2 || c.Start != 5 || c.End != 6 {
		t.Fatalf("TestLock %+v", c)
	}
	b.DecRef(root)
}

type waitableOps struct {
	vfs.StreamFile
	vfs.WaitQueue
	mu    sync.Mutex
	ready uint32
}

func (w *waitableOps) Readiness(mask uint32) uint32 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ready & mask
}

func (w *waitableOps) set(ev uint32) {
	w.mu.Lock()
	w.ready = ev
	w.mu.Unlock()
	w.Notify(ev)
}

type anonInode struct{ vfs.InodeDefaults }

func (anonInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: unix.S_IFIFO | 0o600}, nil
}

func TestReadiness(t *testing.T) {
	e := newEnv(t)
	e.write("/f", "x")
	f, err := e.open("/f", unix.O_RDONLY, 0)
	e.must(err)
	if got := f.Readiness(unix.POLLIN | unix.POLLOUT | unix.POLLPRI); got != unix.POLLIN|unix.POLLOUT {
		t.Fatalf("regular file readiness %#x", got)
	}
	f.DecRef(root)

	ops := &waitableOps{}
	w, err := e.v.NewAnonymousFile(root, "pipe:[1]", anonInode{}, ops, unix.O_RDONLY)
	e.must(err)
	defer w.DecRef(root)
	if got := w.Readiness(unix.POLLIN); got != 0 {
		t.Fatalf("not ready: %#x", got)
	}
	ch := make(chan struct{}, 1)
	entry := vfs.NewChannelEntry(unix.POLLIN, ch)
	w.EventRegister(entry)
	ops.set(unix.POLLOUT) // not interesting to the entry
	select {
	case <-ch:
		t.Fatal("notified for POLLOUT")
	default:
	}
	ops.set(unix.POLLIN)
	select {
	case <-ch:
	default:
		t.Fatal("not notified for POLLIN")
	}
	if got := w.Readiness(unix.POLLIN); got != unix.POLLIN {
		t.Fatalf("ready: %#x", got)
	}
	w.EventUnregister(entry)
	ops.set(unix.POLLIN)
	select {
	case <-ch:
		t.Fatal("notified after unregister")
	default:
	}
	if w.Path().Dentry == nil || e.v.PathName(e.fsc.Root(), w.Path()) != "pipe:[1]" {
		t.Fatal("anonymous file name")
	}
	if _, err := w.Seek(root, 0, unix.SEEK_SET); err != unix.ESPIPE {
		t.Fatalf("seek on stream: %v", err)
	}
}

func TestMountOperations(t *testing.T) {
	e := newEnv(t)
	cwd := e.fsc.Cwd()
	tmpfs.RegisterType(e.v)
	for _, d := range []string{"/a", "/a/sub", "/b", "/c"} {
		e.mkdir(d)
	}
	wantErr(t, "unknown type", e.v.NewMount(root, "nosuchfs", "x", mustPath(e, "/a"), 0, ""), unix.ENODEV)
	wantErr(t, "bad option", e.v.NewMount(root, "tmpfs", "x", mustPath(e, "/a"), 0, "bogus=1"), unix.EINVAL)
	e.must(e.v.NewMount(root, "tmpfs", "scratch", mustPath(e, "/a/sub"), vfs.MountNoExec, "mode=700,size=1m"))
	e.write("/a/sub/x", "inner")
	st, err := e.v.StatAt(root, e.fsc, cwd, "/a/sub", true)
	e.must(err)
	if st.Mode&0o7777 != 0o700 {
		t.Fatalf("mode option: %o", st.Mode)
	}
	sf, err := e.v.Statfs(root, mustPath(e, "/a/sub"))
	e.must(err)
	if sf.Blocks != 256 || sf.Flags&unix.ST_NOEXEC == 0 {
		t.Fatalf("statfs %+v", sf)
	}

	// A recursive bind copies the tmpfs mount below /a.
	e.must(e.v.BindMountTree(root, mustPath(e, "/a"), mustPath(e, "/b"), true))
	if e.read("/b/sub/x") != "inner" {
		t.Fatal("rbind did not copy the submount")
	}
	e.must(e.v.BindMountTree(root, mustPath(e, "/a"), mustPath(e, "/c"), false))
	if _, err := e.v.StatAt(root, e.fsc, cwd, "/c/sub/x", true); err != unix.ENOENT {
		t.Fatalf("plain bind copied a submount: %v", err)
	}

	// The mount table as /proc/self/mounts lists it.
	var got []string
	for _, m := range e.v.Mounts(e.fsc.Root()) {
		got = append(got, m.MountPoint+":"+m.Source+":"+m.Root)
	}
	want := "/:tmpfs:/ /a/sub:scratch:/ /b:tmpfs:/a /b/sub:scratch:/ /c:tmpfs:/a"
	if strings.Join(got, " ") != want {
		t.Fatalf("mounts\n got %v\nwant %v", got, want)
	}

	// A cloned namespace is independent.
	ns2, translate := e.v.CloneMountNamespace(e.ns, nil)
	fsc2 := vfs.NewFSContext(ns2.Root())
	e.must(e.v.UmountTree(root, mustPath(e, "/b")))
	if _, err := e.v.StatAt(root, e.fsc, cwd, "/b/sub/x", true); err != unix.ENOENT {
		t.Fatalf("after umount -l: %v", err)
	}
	if _, err := e.v.StatAt(root, fsc2, fsc2.Cwd(), "/b/sub/x", true); err != nil {
		t.Fatalf("clone lost a mount: %v", err)
	}
	p2 := translate(mustPath(e, "/a/sub"))
	if e.v.PathName(ns2.Root(), p2) != "/a/sub" || p2.Mount == mustPath(e, "/a/sub").Mount {
		t.Fatal("translate")
	}

	// MS_MOVE, and a move into the moved tree.
	e.must(e.v.MoveMount(root, mustPath(e, "/a/sub"), mustPath(e, "/c")))
	if e.read("/c/x") != "inner" {
		t.Fatal("move")
	}
	e.mkdir("/c/deeper")
	wantErr(t, "move into itself", e.v.MoveMount(root, mustPath(e, "/c"), mustPath(e, "/c/deeper")), unix.ELOOP)
	wantErr(t, "umount the moved mount", e.v.Umount(root, mustPath(e, "/c")), nil)
}

type pseudoFS struct{}

func (pseudoFS) Name() string                           { return "pipefs" }
func (pseudoFS) Root(vfs.Context) (vfs.Inode, error)    { return nil, unix.EINVAL }
func (pseudoFS) Statfs(vfs.Context) (vfs.Statfs, error) { return vfs.Statfs{Type: 0x50495045}, nil }

func TestPseudoFile(t *testing.T) {
	e := newEnv(t)
	a, err := e.v.NewPseudoFile(root, pseudoFS{}, "pipe:[1]", anonInode{}, vfs.StreamFile{}, unix.O_RDONLY)
	e.must(err)
	defer a.DecRef(root)
	b, err := e.v.NewPseudoFile(root, pseudoFS{}, "pipe:[2]", anonInode{}, vfs.StreamFile{}, unix.O_WRONLY)
	e.must(err)
	defer b.DecRef(root)
	c, err := e.v.NewAnonymousFile(root, "anon", anonInode{}, vfs.StreamFile{}, unix.O_RDONLY)
	e.must(err)
	defer c.DecRef(root)
	sa, _ := a.Stat(root)
	sb, _ := b.Stat(root)
	sc, _ := c.Stat(root)
	if sa.Dev == 0 || sa.Dev != sb.Dev || sa.Dev == sc.Dev {
		t.Fatalf("devices %#x %#x %#x", sa.Dev, sb.Dev, sc.Dev)
	}
	if fs, err := e.v.Statfs(root, a.Path()); err != nil || fs.Type != 0x50495045 {
		t.Fatalf("statfs %+v %v", fs, err)
	}
	if n1, n2 := e.v.NewInodeNumber(), e.v.NewInodeNumber(); n2 <= n1 {
		t.Fatalf("inode numbers %d %d", n1, n2)
	}
	if !a.IsStream() {
		t.Fatal("not a stream")
	}
}

func TestKernelContext(t *testing.T) {
	ch := make(chan struct{}, 1)
	ch <- struct{}{}
	if err := root.BlockOn(ch); err != nil {
		t.Fatalf("BlockOn of a ready channel = %v", err)
	}
	if err := root.BlockOnTimeout(ch, time.Now().Add(time.Millisecond)); err != unix.ETIMEDOUT {
		t.Fatalf("BlockOnTimeout of an idle channel = %v, want ETIMEDOUT", err)
	}
	if root.ThreadGroupID() != 0 || root.Signals() != nil || root.FSContext() != nil || root.Interrupted() {
		t.Fatal("a kernel context is no process")
	}
	if c := (vfs.KernelContext{}).Credentials(); c.FSUID != 0 {
		t.Fatalf("default credentials fsuid %d, want root", c.FSUID)
	}
}
