package ext4

import (
	"bytes"
	"fmt"
	"math/rand"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// TestVFSRandomAgainstTmpfs applies the same random sequence of
// operations, through the VFS, to an ext4 image and to a tmpfs, and
// checks that every operation gives the same result and that the trees
// end up the same; e2fsck must find the image clean.
func TestVFSRandomAgainstTmpfs(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			dir := t.TempDir()
			img := filepath.Join(dir, "img")
			run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", img, "16M")
			e := mountImage(t, img, true)
			v := vfs.New()
			ns, err := v.NewMountNamespace(vroot, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), 0)
			if err != nil {
				t.Fatal(err)
			}
			m := &vtree{t: t, v: v, fsc: vfs.NewFSContext(ns.Root())}
			// lost+found exists in the image: give the model one.
			if err := m.v.MkdirAt(vroot, m.fsc, m.fsc.Cwd(), "/lost+found", 0o700); err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewSource(seed))
			names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
			for k := 0; k < 40; k++ {
				names = append(names, fmt.Sprintf("long-name-%02d-%s", k, strings.Repeat("x", 40)))
			}
			pick := func() string {
				var parts []string
				for n := r.Intn(3) + 1; n > 0; n-- {
					// Short names for directories' paths, all names last.
					if n == 1 {
						parts = append(parts, names[r.Intn(len(names))])
					} else {
						parts = append(parts, names[r.Intn(8)])
					}
				}
				return "/" + strings.Join(parts, "/")
			}
			for step := 0; step < 2000; step++ {
				p, q := pick(), pick()
				var op string
				do := func(tr *vtree) error {
					ctx, fsc, cwd := vroot, tr.fsc, tr.fsc.Cwd()
					switch k := step % 11; {
					case k < 3:
						op = "write " + p
						f, err := tr.v.OpenAt(ctx, fsc, cwd, p, unix.O_WRONLY|unix.O_CREAT, 0o640)
						if err != nil {
							return err
						}
						defer f.DecRef(ctx)
						data := bytes.Repeat([]byte{byte('A' + step%26)}, 1+step*37%5000)
						_, err = f.Pwrite(ctx, data, int64(step*131%9000))
						return err
					case k == 3:
						op = "mkdir " + p
						return tr.v.MkdirAt(ctx, fsc, cwd, p, 0o755)
					case k == 4:
						op = "unlink " + p
						return tr.v.UnlinkAt(ctx, fsc, cwd, p)
					case k == 5:
						op = "rmdir " + p
						return tr.v.RmdirAt(ctx, fsc, cwd, p)
					case k == 6:
						op = "rename " + p + " " + q
						return tr.v.RenameAt(ctx, fsc, cwd, p, cwd, q, 0)
					case k == 7:
						op = "exchange " + p + " " + q
						return tr.v.RenameAt(ctx, fsc, cwd, p, cwd, q, unix.RENAME_EXCHANGE)
					case k == 8:
						op = "symlink " + p
						return tr.v.SymlinkAt(ctx, fsc, q, cwd, p)
					case k == 9:
						op = "link " + p + " " + q
						return tr.v.LinkAt(ctx, fsc, cwd, p, cwd, q, false)
					default:
						op = "truncate " + p
						pp, err := tr.v.GetPath(ctx, fsc, cwd, p, true)
						if err != nil {
							return err
						}
						return tr.v.Truncate(ctx, pp, int64(step*71%7000))
					}
				}
				ee, me := do(e), do(m)
				if ee != me {
					t.Fatalf("step %d %s: ext4 %v, tmpfs %v", step, op, ee, me)
				}
			}
			got, want := snapshot(e), snapshot(m)
			t.Logf("%d files at the end", strings.Count(got, "\n")+1)
			if got != want {
				t.Errorf("trees differ:\next4:\n%s\ntmpfs:\n%s", got, want)
			}
			e.close()
			fsckClean(t, img)
		})
	}
}

// snapshot describes every file of a tree: type, permissions, link
// count, size and contents or target.
func snapshot(tr *vtree) string {
	var lines []string
	var walk func(dir string)
	walk = func(dir string) {
		for _, name := range tr.list(dir) {
			p := dir + name
			st := tr.stat(p)
			line := fmt.Sprintf("%s %o nlink=%d", p, st.Mode, st.Nlink)
			switch st.Type() {
			case unix.S_IFREG:
				data := tr.read(p)
				line += fmt.Sprintf(" size=%d sum=%x", st.Size, sum(data))
			case unix.S_IFLNK:
				s, _ := tr.v.ReadlinkAt(vroot, tr.fsc, tr.fsc.Cwd(), p)
				line += " -> " + s
			case unix.S_IFDIR:
				walk(p + "/")
			}
			lines = append(lines, line)
		}
	}
	walk("/")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func sum(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
