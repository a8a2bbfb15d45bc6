package fat

import (
	"fmt"
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

type vtree struct {
	t   *testing.T
	v   *vfs.VirtualFilesystem
	fsc *vfs.FSContext
}

func mountFAT(t *testing.T, fs *FS, opts MountOptions) *vtree {
	t.Helper()
	v := vfs.New()
	ns, err := v.NewMountNamespace(vroot, NewFilesystem(v, fs, opts), 0)
	if err != nil {
		t.Fatal(err)
	}
	return &vtree{t: t, v: v, fsc: vfs.NewFSContext(ns.Root())}
}

func (tr *vtree) write(path, data string, flags int) {
	tr.t.Helper()
	f, err := tr.v.OpenAt(vroot, tr.fsc, tr.fsc.Cwd(), path, unix.O_WRONLY|unix.O_CREAT|flags, 0o644)
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
	f, err := tr.v.OpenAt(vroot, tr.fsc, tr.fsc.Cwd(), path, unix.O_RDONLY, 0)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(vroot)
	var out []byte
	buf := make([]byte, 3000)
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

func (tr *vtree) path(p string) vfs.Path {
	tr.t.Helper()
	pp, err := tr.v.GetPath(vroot, tr.fsc, tr.fsc.Cwd(), p, false)
	if err != nil {
		tr.t.Fatalf("%s: %v", p, err)
	}
	return pp
}

func (tr *vtree) list(path string) []string {
	tr.t.Helper()
	f, err := tr.v.OpenAt(vroot, tr.fsc, tr.fsc.Cwd(), path, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		tr.t.Fatalf("open %s: %v", path, err)
	}
	defer f.DecRef(vroot)
	var names []string
	for {
		n := 0
		err := f.Getdents(vroot, func(d vfs.Dirent) bool {
			if n == 7 {
				return false
			}
			n++
			if d.Name != "." && d.Name != ".." {
				names = append(names, d.Name)
			}
			return true
		})
		if err != nil {
			tr.t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	sort.Strings(names)
	return names
}

func TestVFSAdapter(t *testing.T) {
	for _, c := range configs {
		t.Run(fmt.Sprint("FAT", c.fat), func(t *testing.T) {
			img := mkfs(t, c.fat, c.kib)
			tr := mountFAT(t, openRW(t, img), MountOptions{UID: 1000, GID: 100, FMask: 0o022, DMask: 0o022})
			v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()
			if err := v.MkdirAt(vroot, fsc, cwd, "/Docs", 0o755); err != nil {
				t.Fatal(err)
			}
			tr.write("/Docs/A long file name.txt", strings.Repeat("x", 5000), 0)
			tr.write("/Docs/A long file name.txt", "tail", unix.O_APPEND)
			if got := tr.read("/docs/a LONG file NAME.TXT"); got != strings.Repeat("x", 5000)+"tail" {
				t.Errorf("case-insensitive read: %d bytes", len(got))
			}
			// Names differing in case are one file: one inode.
			if a, b := tr.stat("/Docs/A long file name.txt"), tr.stat("/DOCS/a long file name.txt"); a.Ino != b.Ino {
				t.Errorf("inodes %d and %d for one file", a.Ino, b.Ino)
			}
			st := tr.stat("/Docs/A long file name.txt")
			if st.Mode != unix.S_IFREG|0o755 || st.UID != 1000 || st.GID != 100 || st.Size != 5004 {
				t.Errorf("stat = %+v", st)
			}
			if st := tr.stat("/Docs"); st.Mode != unix.S_IFDIR|0o755 || st.Nlink != 2 {
				t.Errorf("dir stat = mode %o nlink %d", st.Mode, st.Nlink)
			}
			for k := 0; k < 40; k++ {
				tr.write(fmt.Sprintf("/Docs/file %02d.data", k), fmt.Sprint(k), 0)
			}
			if got := tr.list("/Docs"); len(got) != 41 {
				t.Errorf("listing has %d names: %v", len(got), got)
			}
			// Unlink while listing: offsets are slots, nothing is
			// skipped or repeated.
			f, err := v.OpenAt(vroot, fsc, cwd, "/Docs", unix.O_RDONLY|unix.O_DIRECTORY, 0)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for {
				var batch []string
				f.Getdents(vroot, func(d vfs.Dirent) bool {
					if len(batch) == 5 {
						return false
					}
					batch = append(batch, d.Name)
					return true
				})
				if len(batch) == 0 {
					break
				}
				for _, n := range batch {
					seen[n]++
					if strings.HasPrefix(n, "file") {
						if err := v.UnlinkAt(vroot, fsc, cwd, "/Docs/"+n); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			f.DecRef(vroot)
			if len(seen) != 43 {
				t.Errorf("saw %d names while unlinking", len(seen))
			}
			for n, k := range seen {
				if k != 1 {
					t.Errorf("%s seen %d times", n, k)
				}
			}
			// Rename a directory: open files and cached children follow.
			if err := v.MkdirAt(vroot, fsc, cwd, "/Docs/sub", 0o755); err != nil {
				t.Fatal(err)
			}
			tr.write("/Docs/sub/inner", "inner", 0)
			of, err := v.OpenAt(vroot, fsc, cwd, "/Docs/sub/inner", unix.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := v.RenameAt(vroot, fsc, cwd, "/Docs", cwd, "/Moved", 0); err != nil {
				t.Fatal(err)
			}
			if _, err := of.Pwrite(vroot, []byte("INNER"), 0); err != nil {
				t.Errorf("write through a file whose directory moved: %v", err)
			}
			of.DecRef(vroot)
			if got := tr.read("/Moved/sub/inner"); got != "INNER" {
				t.Errorf("after rename = %q", got)
			}
			if st := tr.stat("/Moved"); st.Nlink != 3 {
				t.Errorf("/Moved nlink %d", st.Nlink)
			}
			tr.write("/other", "o", 0)
			if err := v.RenameAt(vroot, fsc, cwd, "/other", cwd, "/Moved/sub/inner", 0); err != nil {
				t.Fatal(err)
			}
			if got := tr.read("/Moved/sub/inner"); got != "o" {
				t.Errorf("renamed over = %q", got)
			}
			if err := v.RmdirAt(vroot, fsc, cwd, "/Moved"); err != unix.ENOTEMPTY {
				t.Errorf("rmdir non-empty: %v", err)
			}
			// vfat's attributes: read-only via chmod, no other modes,
			// no owners, no links.
			p := tr.path("/Moved/A long file name.txt")
			if err := v.Chmod(vroot, p, 0o555); err != nil {
				t.Fatal(err)
			}
			if st := tr.stat("/Moved/A long file name.txt"); st.Mode&0o777 != 0o555 {
				t.Errorf("after chmod 555: %o", st.Mode)
			}
			if err := v.Chmod(vroot, p, 0o644); err != unix.EPERM {
				t.Errorf("chmod 644: %v", err)
			}
			if err := v.Chmod(vroot, p, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := v.Chown(vroot, p, 0, -1); err != unix.EPERM {
				t.Errorf("chown: %v", err)
			}
			if err := v.SymlinkAt(vroot, fsc, "x", cwd, "/sl"); err != unix.EPERM {
				t.Errorf("symlink: %v", err)
			}
			if err := v.LinkAt(vroot, fsc, cwd, "/other2", cwd, "/x", false); err != unix.ENOENT {
				t.Errorf("link of a missing file: %v", err)
			}
			tr.write("/hl", "h", 0)
			if err := v.LinkAt(vroot, fsc, cwd, "/hl", cwd, "/hl2", false); err != unix.EPERM {
				t.Errorf("link: %v", err)
			}
			times := [2]unix.Timespec{{Sec: 1600000000}, {Sec: 1500000000}}
			if err := v.Utimes(vroot, p, &times); err != nil {
				t.Fatal(err)
			}
			if st := tr.stat("/Moved/A long file name.txt"); st.Mtime.Sec != 1500000000 {
				t.Errorf("mtime = %v", st.Mtime)
			}
			if err := v.Truncate(vroot, p, 10); err != nil {
				t.Fatal(err)
			}
			if got := tr.read("/Moved/A long file name.txt"); got != "xxxxxxxxxx" {
				t.Errorf("truncated = %q", got)
			}
			sf, err := v.Statfs(vroot, tr.path("/"))
			if err != nil || sf.Type != msdosSuperMagic || sf.Blocks == 0 || sf.Bfree == 0 {
				t.Errorf("statfs = %+v, %v", sf, err)
			}
			fsckClean(t, img)
			if got := run(t, "mtype", "-i", img, "::/Moved/sub/inner"); got != "o" {
				t.Errorf("mtype = %q", got)
			}
		})
	}
}

// TestVFSRemovedOpenFile checks that a file removed (or renamed over)
// while open keeps its contents for its descriptions until the last
// close, while the image is already clean.
func TestVFSRemovedOpenFile(t *testing.T) {
	img := mkfs(t, 16, 32768)
	tr := mountFAT(t, openRW(t, img), MountOptions{FMask: 0o022, DMask: 0o022})
	v, fsc, cwd := tr.v, tr.fsc, tr.fsc.Cwd()
	tr.write("/tmpfile", strings.Repeat("d", 10000), 0)
	f, err := v.OpenAt(vroot, fsc, cwd, "/tmpfile", unix.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.UnlinkAt(vroot, fsc, cwd, "/tmpfile"); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	if _, err := f.Pwrite(vroot, []byte("HEAD"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Pwrite(vroot, []byte("TAIL"), 10000); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 20000)
	n, err := f.Pread(vroot, buf, 0)
	if err != nil || string(buf[:n]) != "HEAD"+strings.Repeat("d", 9996)+"TAIL" {
		t.Errorf("read back %d bytes, %v", n, err)
	}
	if st, err := f.Stat(vroot); err != nil || st.Nlink != 0 || st.Size != 10004 {
		t.Errorf("fstat = %+v, %v", st, err)
	}
	f.DecRef(vroot)

	tr.write("/a", "old contents", 0)
	tr.write("/b", "new", 0)
	g, err := v.OpenAt(vroot, fsc, cwd, "/a", unix.O_RDONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := v.RenameAt(vroot, fsc, cwd, "/b", cwd, "/a", 0); err != nil {
		t.Fatal(err)
	}
	n, err = g.Pread(vroot, buf, 0)
	if err != nil || string(buf[:n]) != "old contents" {
		t.Errorf("replaced file reads %q, %v", buf[:n], err)
	}
	g.DecRef(vroot)
	if got := tr.read("/a"); got != "new" {
		t.Errorf("/a = %q", got)
	}
	fsckClean(t, img)
}
