package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

type vctx struct {
	vfs.KernelContext
	uid uint32
}

func (c vctx) Credentials() *auth.Credentials { return auth.New(c.uid, c.uid, nil) }

var vroot = vctx{}

// vtree is an ext4 image mounted in a fresh VFS.
type vtree struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	fs  *Filesystem
	fsc *vfs.FSContext
}

func mountImage(t *testing.T, img string, rw bool) *vtree {
	t.Helper()
	v := vfs.New()
	fs, err := OpenImage(v, img, rw)
	if err != nil {
		t.Fatal(err)
	}
	var flags uint32
	if !rw {
		flags = vfs.MountReadOnly
	}
	ns, err := v.NewMountNamespace(vroot, fs, flags)
	if err != nil {
		t.Fatal(err)
	}
	return &vtree{t: t, v: v, fs: fs, fsc: vfs.NewFSContext(ns.Root())}
}

func (tr *vtree) close() {
	tr.t.Helper()
	if err := tr.fs.Close(); err != nil {
		tr.t.Fatal(err)
	}
}

func (tr *vtree) open(path string, flags int, mode uint32) (*vfs.File, error) {
	return tr.v.OpenAt(vroot, tr.fsc, tr.fsc.Cwd(), path, flags, mode)
}

func (tr *vtree) write(path, data string, flags int) {
	tr.t.Helper()
	f, err := tr.open(path, unix.O_WRONLY|unix.O_CREAT|flags, 0o644)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(vroot)
	if _, err := f.Write(vroot, []byte(data)); err != nil {
		tr.t.Fatalf("write %s: %v", path, err)
	}
}

func (tr *vtree) read(path string) string {
	tr.t.Helper()
	f, err := tr.open(path, unix.O_RDONLY, 0)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(vroot)
	var out []byte
	buf := make([]byte, 7000)
	for {
		n, err := f.Read(vroot, buf)
		if err != nil {
			tr.t.Fatalf("read %s: %v", path, err)
		}
		if n == 0 {
			return string(out)
		}
		out = append(out, buf[:n]...)
	}
}

func (tr *vtree) stat(path string) vfs.Stat {
	tr.t.Helper()
	st, err := tr.v.StatAt(vroot, tr.fsc, tr.fsc.Cwd(), path, false)
	if err != nil {
		tr.t.Fatalf("stat %s: %v", path, err)
	}
	return st
}

func (tr *vtree) list(path string) []string {
	tr.t.Helper()
	f, err := tr.open(path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(vroot)
	var names []string
	for {
		n := 0
		err := f.Getdents(vroot, func(d vfs.Dirent) bool {
			if n == 50 {
				return false // several getdents calls for big directories
			}
			n++
			if d.Name != "." && d.Name != ".." {
				names = append(names, d.Name)
			}
			return true
		})
		if err != nil {
			tr.t.Fatalf("getdents %s: %v", path, err)
		}
		if n == 0 {
			break
		}
	}
	sort.Strings(names)
	return names
}

func (tr *vtree) path(p string) vfs.Path {
	tr.t.Helper()
	pp, err := tr.v.GetPath(vroot, tr.fsc, tr.fsc.Cwd(), p, false)
	if err != nil {
		tr.t.Fatalf("%s: %v", p, err)
	}
	return pp
}

// mkImage makes an ext4 image with mke2fs -d from a small tree.
func mkImage(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "etc/hostname"), []byte("kite\n"))
	writeFile(t, filepath.Join(src, "big"), bytes.Repeat([]byte("0123456789abcdef"), 40000))
	if err := os.Symlink("etc/hostname", filepath.Join(src, "link")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(src, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "img.ext4")
	args := append([]string{"-q", "-F", "-t", "ext4"}, extra...)
	run(t, "mke2fs", append(args, "-d", src, img, "16M")...)
	return img
}

func TestVFSRead(t *testing.T) {
	img := mkImage(t)
	before, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	tr := mountImage(t, img, false)
	defer tr.close()
	if got := tr.read("/etc/hostname"); got != "kite\n" {
		t.Errorf("hostname = %q", got)
	}
	if got := tr.read("/link"); got != "kite\n" {
		t.Errorf("through link = %q", got)
	}
	if got := tr.read("/big"); got != strings.Repeat("0123456789abcdef", 40000) {
		t.Errorf("big: %d bytes", len(got))
	}
	if got := tr.list("/"); strings.Join(got, " ") != "big empty etc link lost+found" {
		t.Errorf("root = %v", got)
	}
	st := tr.stat("/big")
	if st.Size != 640000 || st.Type() != unix.S_IFREG || st.Blocks == 0 || st.Btime.Sec == 0 || st.Dev == 0 {
		t.Errorf("stat big = %+v", st)
	}
	if s, err := tr.v.ReadlinkAt(vroot, tr.fsc, tr.fsc.Cwd(), "/link"); err != nil || s != "etc/hostname" {
		t.Errorf("readlink = %q, %v", s, err)
	}
	sf, err := tr.v.Statfs(vroot, tr.path("/"))
	if err != nil || sf.Type != Magic || sf.Flags&unix.ST_RDONLY == 0 {
		t.Errorf("statfs = %+v, %v", sf, err)
	}
	// Changes fail on a read-only file system, also on a writable mount.
	if _, err := tr.open("/new", unix.O_WRONLY|unix.O_CREAT, 0o644); err != unix.EROFS {
		t.Errorf("create on ro mount: %v", err)
	}
	v := vfs.New()
	fs, err := OpenImage(v, img, false)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := v.NewMountNamespace(vroot, fs, 0)
	if err != nil {
		t.Fatal(err)
	}
	fsc := vfs.NewFSContext(ns.Root())
	if err := v.MkdirAt(vroot, fsc, fsc.Cwd(), "/d", 0o755); err != unix.EROFS {
		t.Errorf("mkdir on a read-only ext4: %v", err)
	}
	if _, err := v.OpenAt(vroot, fsc, fsc.Cwd(), "/big", unix.O_WRONLY|unix.O_TRUNC, 0); err != unix.EROFS {
		t.Errorf("O_TRUNC on a read-only ext4: %v", err)
	}
	fs.Close()
	after, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("read-only mount changed the image")
	}
}

func TestVFSWrite(t *testing.T) {
	img := mkImage(t)
	tr := mountImage(t, img, true)
	v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()

	tr.write("/etc/motd", "hello\n", 0)
	tr.write("/etc/motd", "world\n", unix.O_APPEND)
	if got := tr.read("/etc/motd"); got != "hello\nworld\n" {
		t.Errorf("motd = %q", got)
	}
	tr.write("/etc/hostname", "x", unix.O_TRUNC)
	if got := tr.read("/etc/hostname"); got != "x" {
		t.Errorf("hostname = %q", got)
	}
	if err := v.MkdirAt(vroot, fsc, cwd, "/d", 0o750); err != nil {
		t.Fatal(err)
	}
	if st := tr.stat("/d"); st.Mode != unix.S_IFDIR|0o750 || st.Nlink != 2 {
		t.Errorf("mkdir stat = %o nlink %d", st.Mode, st.Nlink)
	}
	// A directory grown past one block (and into an htree).
	for k := 0; k < 300; k++ {
		tr.write(fmt.Sprintf("/d/file-with-a-long-name-%04d", k), fmt.Sprint(k), 0)
	}
	if got := tr.list("/d"); len(got) != 300 {
		t.Errorf("d has %d entries", len(got))
	}
	for k := 0; k < 300; k += 2 {
		if err := v.UnlinkAt(vroot, fsc, cwd, fmt.Sprintf("/d/file-with-a-long-name-%04d", k)); err != nil {
			t.Fatal(err)
		}
	}
	if got := tr.list("/d"); len(got) != 150 {
		t.Errorf("d has %d entries after unlinks", len(got))
	}
	if err := v.SymlinkAt(vroot, fsc, "../etc/motd", cwd, "/d/sl"); err != nil {
		t.Fatal(err)
	}
	if got := tr.read("/d/sl"); got != "hello\nworld\n" {
		t.Errorf("through new symlink = %q", got)
	}
	if err := v.LinkAt(vroot, fsc, cwd, "/etc/motd", cwd, "/d/hard", false); err != nil {
		t.Fatal(err)
	}
	if a, b := tr.stat("/etc/motd"), tr.stat("/d/hard"); a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("hard link: %d/%d nlink %d", a.Ino, b.Ino, a.Nlink)
	}
	if err := v.MknodAt(vroot, fsc, cwd, "/d/fifo", unix.S_IFIFO|0o600, 0); err != nil {
		t.Fatal(err)
	}
	if err := v.MknodAt(vroot, fsc, cwd, "/d/null", unix.S_IFCHR|0o666, unix.Mkdev(1, 3)); err != nil {
		t.Fatal(err)
	}
	if st := tr.stat("/d/null"); st.Rdev != unix.Mkdev(1, 3) || st.Type() != unix.S_IFCHR {
		t.Errorf("null = %+v", st)
	}
	// Renames: plain, over a file, across directories, exchange,
	// noreplace.
	if err := v.RenameAt(vroot, fsc, cwd, "/d/hard", cwd, "/hard2", 0); err != nil {
		t.Fatal(err)
	}
	tr.write("/victim", "v", 0)
	if err := v.RenameAt(vroot, fsc, cwd, "/hard2", cwd, "/victim", 0); err != nil {
		t.Fatal(err)
	}
	if got := tr.read("/victim"); got != "hello\nworld\n" {
		t.Errorf("renamed over = %q", got)
	}
	if err := v.RenameAt(vroot, fsc, cwd, "/victim", cwd, "/etc/hostname", unix.RENAME_NOREPLACE); err != unix.EEXIST {
		t.Errorf("noreplace: %v", err)
	}
	if err := v.RenameAt(vroot, fsc, cwd, "/empty", cwd, "/etc/hostname", unix.RENAME_EXCHANGE); err != nil {
		t.Fatal(err)
	}
	if st := tr.stat("/empty"); st.Type() != unix.S_IFREG {
		t.Errorf("exchanged /empty is %o", st.Mode)
	}
	if got := tr.read("/etc/hostname/../../empty"); got != "x" {
		t.Errorf("exchanged contents = %q", got)
	}
	if err := v.RenameAt(vroot, fsc, cwd, "/empty", cwd, "/etc/hostname", unix.RENAME_EXCHANGE); err != nil {
		t.Fatal(err)
	}
	if err := v.MkdirAt(vroot, fsc, cwd, "/d/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := v.RenameAt(vroot, fsc, cwd, "/d/sub", cwd, "/empty/sub", 0); err != nil {
		t.Fatal(err)
	}
	if st := tr.stat("/empty"); st.Nlink != 3 {
		t.Errorf("/empty nlink %d after moving a directory in", st.Nlink)
	}
	if err := v.RmdirAt(vroot, fsc, cwd, "/empty"); err != unix.ENOTEMPTY {
		t.Errorf("rmdir non-empty: %v", err)
	}
	if err := v.RmdirAt(vroot, fsc, cwd, "/empty/sub"); err != nil {
		t.Fatal(err)
	}
	// Attributes.
	if err := v.Chmod(vroot, tr.path("/etc/motd"), 0o4711); err != nil {
		t.Fatal(err)
	}
	if err := v.Chown(vroot, tr.path("/etc/motd"), 1000, 1001); err != nil {
		t.Fatal(err)
	}
	times := [2]unix.Timespec{{Sec: 1600000000, Nsec: 123456789}, {Sec: 1500000000, Nsec: 987654321}}
	if err := v.Utimes(vroot, tr.path("/etc/motd"), &times); err != nil {
		t.Fatal(err)
	}
	st := tr.stat("/etc/motd")
	if st.Mode&0o7777 != 0o711 || st.UID != 1000 || st.GID != 1001 || st.Atime != times[0] || st.Mtime != times[1] {
		t.Errorf("after chmod/chown/utimes: %+v", st)
	}
	if err := v.Truncate(vroot, tr.path("/big"), 5000); err != nil {
		t.Fatal(err)
	}
	if got := tr.read("/big"); got != strings.Repeat("0123456789abcdef", 40000)[:5000] {
		t.Errorf("truncated big: %d bytes", len(got))
	}
	if err := v.Truncate(vroot, tr.path("/big"), 100000); err != nil {
		t.Fatal(err)
	}
	if got := tr.read("/big"); len(got) != 100000 || got[5000:] != strings.Repeat("\x00", 95000) {
		t.Errorf("extended big: %d bytes", len(got))
	}
	// Extended attributes.
	if err := v.SetXattr(vroot, tr.path("/etc/motd"), "user.k", []byte("v1"), 0); err != nil {
		t.Fatal(err)
	}
	if err := v.SetXattr(vroot, tr.path("/etc/motd"), "user.k", []byte("v2"), vfs.XattrCreate); err != unix.EEXIST {
		t.Errorf("XATTR_CREATE over existing: %v", err)
	}
	if val, err := v.GetXattr(vroot, tr.path("/etc/motd"), "user.k"); err != nil || string(val) != "v1" {
		t.Errorf("getxattr = %q, %v", val, err)
	}
	if names, err := v.ListXattr(vroot, tr.path("/etc/motd")); err != nil || len(names) != 1 || names[0] != "user.k" {
		t.Errorf("listxattr = %v, %v", names, err)
	}
	if err := v.RemoveXattr(vroot, tr.path("/etc/motd"), "user.k"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.GetXattr(vroot, tr.path("/etc/motd"), "user.k"); err != unix.ENODATA {
		t.Errorf("after removexattr: %v", err)
	}
	// An unlinked open file lives until closed.
	f, err := tr.open("/tmpfile", unix.O_RDWR|unix.O_CREAT, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.UnlinkAt(vroot, fsc, cwd, "/tmpfile"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pwrite(vroot, []byte("still here"), 0); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := f.Pread(vroot, buf, 0); err != nil || string(buf[:n]) != "still here" {
		t.Errorf("unlinked read = %q, %v", buf[:n], err)
	}
	f.DecRef(vroot)
	// getdents offsets resume after a seek back.
	d, err := tr.open("/d", unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	d.Getdents(vroot, func(e vfs.Dirent) bool { first = append(first, e.Name); return len(first) < 10 })
	pos := d.Offset()
	var next1, next2 string
	d.Getdents(vroot, func(e vfs.Dirent) bool { next1 = e.Name; return false })
	d.Seek(vroot, pos, unix.SEEK_SET)
	d.Getdents(vroot, func(e vfs.Dirent) bool { next2 = e.Name; return false })
	if next1 == "" || next1 != next2 {
		t.Errorf("resume after seek: %q then %q", next1, next2)
	}
	d.DecRef(vroot)

	tr.close()
	fsckClean(t, img)

	// The changes are there after a fresh read-only mount.
	tr = mountImage(t, img, false)
	defer tr.close()
	if got := tr.read("/d/sl"); got != "hello\nworld\n" {
		t.Errorf("after remount = %q", got)
	}
	if got := tr.list("/d"); len(got) != 153 {
		t.Errorf("d after remount has %d entries", len(got))
	}
}

// TestVFSSetgidDir checks that files made in a set-group-ID directory
// take its group, and directories the bit too.
func TestVFSSetgidDir(t *testing.T) {
	img := mkImage(t)
	tr := mountImage(t, img, true)
	v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()
	if err := v.MkdirAt(vroot, fsc, cwd, "/g", 0o777); err != nil {
		t.Fatal(err)
	}
	if err := v.Chown(vroot, tr.path("/g"), 0, 50); err != nil {
		t.Fatal(err)
	}
	if err := v.Chmod(vroot, tr.path("/g"), 0o2777); err != nil {
		t.Fatal(err)
	}
	user := vctx{uid: 1000}
	if err := v.MkdirAt(user, fsc, cwd, "/g/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := v.OpenAt(user, fsc, cwd, "/g/file", unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.DecRef(user)
	if st := tr.stat("/g/sub"); st.GID != 50 || st.UID != 1000 || st.Mode&unix.S_ISGID == 0 {
		t.Errorf("sub: uid %d gid %d mode %o", st.UID, st.GID, st.Mode)
	}
	if st := tr.stat("/g/file"); st.GID != 50 || st.UID != 1000 || st.Mode&unix.S_ISGID != 0 {
		t.Errorf("file: uid %d gid %d mode %o", st.UID, st.GID, st.Mode)
	}
	tr.close()
	fsckClean(t, img)
}

// TestVFSConcurrent runs writers in separate directories and readers
// at once through the VFS; the image must stay consistent.
func TestVFSConcurrent(t *testing.T) {
	img := mkImage(t)
	tr := mountImage(t, img, true)
	v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()
	const workers = 4
	errs := make(chan error, workers+1)
	for w := 0; w < workers; w++ {
		dir := fmt.Sprintf("/w%d", w)
		if err := v.MkdirAt(vroot, fsc, cwd, dir, 0o755); err != nil {
			t.Fatal(err)
		}
		go func() {
			for k := 0; k < 60; k++ {
				name := fmt.Sprintf("%s/f%d", dir, k)
				f, err := v.OpenAt(vroot, fsc, cwd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_APPEND, 0o644)
				if err != nil {
					errs <- err
					return
				}
				_, err = f.Write(vroot, bytes.Repeat([]byte{'x'}, 3000))
				f.DecRef(vroot)
				if err != nil {
					errs <- err
					return
				}
				if k%3 == 0 {
					if err := v.UnlinkAt(vroot, fsc, cwd, name); err != nil {
						errs <- err
						return
					}
				}
			}
			errs <- nil
		}()
	}
	go func() {
		for k := 0; k < 30; k++ {
			if _, err := v.StatAt(vroot, fsc, cwd, "/big", false); err != nil {
				errs <- err
				return
			}
			f, err := v.OpenAt(vroot, fsc, cwd, "/", unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				errs <- err
				return
			}
			err = f.Getdents(vroot, func(vfs.Dirent) bool { return true })
			f.DecRef(vroot)
			if err != nil {
				errs <- err
				return
			}
		}
		errs <- nil
	}()
	for k := 0; k < workers+1; k++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for w := 0; w < workers; w++ {
		if got := tr.list(fmt.Sprintf("/w%d", w)); len(got) != 40 {
			t.Errorf("w%d has %d files", w, len(got))
		}
	}
	tr.close()
	fsckClean(t, img)
}
