package fat

import (
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// TestVFSRandomAgainstTmpfs applies the same random operations (those
// FAT supports, lower-case names) through the VFS to a FAT image and to a
// tmpfs: every result must match, the trees must end up the same and
// fsck.vfat must find the image clean.
func TestVFSRandomAgainstTmpfs(t *testing.T) {
	for _, c := range configs {
		t.Run(fmt.Sprint("FAT", c.fat), func(t *testing.T) {
			img := mkfs(t, c.fat, c.kib)
			f := mountFAT(t, openRW(t, img), MountOptions{FMask: 0o022, DMask: 0o022})
			v := vfs.New()
			ns, err := v.NewMountNamespace(vroot, tmpfs.New(v, tmpfs.Options{Mode: 0o755}), 0)
			if err != nil {
				t.Fatal(err)
			}
			m := &vtree{t: t, v: v, fsc: vfs.NewFSContext(ns.Root())}
			r := rand.New(rand.NewSource(int64(c.fat)))
			names := []string{"a", "b", "c", "d", "e"}
			for k := 0; k < 20; k++ {
				names = append(names, fmt.Sprintf("a long name number %02d.text", k))
			}
			pick := func() string {
				var parts []string
				for n := r.Intn(3) + 1; n > 0; n-- {
					if n == 1 {
						parts = append(parts, names[r.Intn(len(names))])
					} else {
						parts = append(parts, names[r.Intn(5)])
					}
				}
				return "/" + strings.Join(parts, "/")
			}
			for step := 0; step < 1500; step++ {
				p, q := pick(), pick()
				var op string
				do := func(tr *vtree) error {
					ctx, fsc, cwd := vroot, tr.fsc, tr.fsc.Cwd()
					switch k := step % 8; {
					case k < 3:
						op = "write " + p
						f, err := tr.v.OpenAt(ctx, fsc, cwd, p, unix.O_WRONLY|unix.O_CREAT, 0o755)
						if err != nil {
							return err
						}
						defer f.DecRef(ctx)
						data := []byte(strings.Repeat(string(rune('A'+step%26)), 1+step*37%5000))
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
					default:
						op = "truncate " + p
						pp, err := tr.v.GetPath(ctx, fsc, cwd, p, true)
						if err != nil {
							return err
						}
						return tr.v.Truncate(ctx, pp, int64(step*71%7000))
					}
				}
				fe, me := do(f), do(m)
				if fe != me {
					t.Fatalf("step %d %s: fat %v, tmpfs %v", step, op, fe, me)
				}
			}
			got, want := snapshot(f), snapshot(m)
			t.Logf("%d files at the end", strings.Count(got, "\n")+1)
			if got != want {
				t.Errorf("trees differ:\nfat:\n%s\ntmpfs:\n%s", got, want)
			}
			fsckClean(t, img)
		})
	}
}

// snapshot describes every file of a tree: type, size and contents.
func snapshot(tr *vtree) string {
	var lines []string
	var walk func(dir string)
	walk = func(dir string) {
		for _, name := range tr.list(dir) {
			p := dir + name
			st := tr.stat(p)
			line := fmt.Sprintf("%s %o", p, st.Mode&unix.S_IFMT)
			if st.Type() == unix.S_IFDIR {
				line += fmt.Sprintf(" nlink=%d", st.Nlink)
				walk(p + "/")
			} else {
				data := tr.read(p)
				line += fmt.Sprintf(" size=%d/%d hash=%x", st.Size, len(data), hash(data))
			}
			lines = append(lines, line)
		}
	}
	walk("/")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func hash(s string) uint32 {
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
