package fat

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRandomOps applies random operations to a FAT image and to a model,
// compares them (case-insensitively named, as FAT is) and runs fsck.vfat.
func TestRandomOps(t *testing.T) {
	steps := 1500
	if n, err := strconv.Atoi(os.Getenv("FAT_RANDOM_STEPS")); err == nil {
		steps = n
	}
	for _, c := range configs {
		t.Run(fmt.Sprintf("FAT%d", c.fat), func(t *testing.T) {
			img := mkfs(t, c.fat, c.kib)
			fs := openRW(t, img)
			rng := rand.New(rand.NewSource(int64(c.fat)))
			files := map[string][]byte{}
			dirs := map[string]bool{"/": true}
			keys := func(m map[string]bool) []string {
				var out []string
				for k := range m {
					out = append(out, k)
				}
				sort.Strings(out)
				return out
			}
			fileKeys := func() []string {
				var out []string
				for k := range files {
					out = append(out, k)
				}
				sort.Strings(out)
				return out
			}
			names := []string{"Alpha", "beta.txt", "GAMMA.DAT", "Long file name with spaces", "ünïcode",
				"x", "README", "a.b.c", "trailing.", "UPPER.TXT"}
			for step := 0; step < steps; step++ {
				switch op := rng.Intn(100); {
				case op < 25:
					ds := keys(dirs)
					p := path.Join(ds[rng.Intn(len(ds))], fmt.Sprintf("%s %d", names[rng.Intn(len(names))], step))
					if err := fs.Create(p); err != nil {
						if errors.Is(err, unix.ENOSPC) {
							continue
						}
						t.Fatalf("step %d create %q: %v", step, p, err)
					}
					files[p] = nil
				case op < 55:
					fk := fileKeys()
					if len(fk) == 0 {
						continue
					}
					p := fk[rng.Intn(len(fk))]
					off := rng.Intn(30000)
					data := make([]byte, rng.Intn(9000)+1)
					rng.Read(data)
					if _, err := fs.WriteAt(p, data, int64(off)); err != nil {
						if errors.Is(err, unix.ENOSPC) {
							continue
						}
						t.Fatalf("step %d write %q: %v", step, p, err)
					}
					cur := files[p]
					if len(cur) < off+len(data) {
						cur = append(cur, make([]byte, off+len(data)-len(cur))...)
					}
					copy(cur[off:], data)
					files[p] = cur
				case op < 62:
					fk := fileKeys()
					if len(fk) == 0 {
						continue
					}
					p := fk[rng.Intn(len(fk))]
					n := rng.Intn(len(files[p]) + 3000)
					if err := fs.Truncate(p, int64(n)); err != nil {
						if errors.Is(err, unix.ENOSPC) {
							continue
						}
						t.Fatalf("step %d truncate %q: %v", step, p, err)
					}
					cur := files[p]
					if n <= len(cur) {
						cur = cur[:n]
					} else {
						cur = append(cur, make([]byte, n-len(cur))...)
					}
					files[p] = cur
				case op < 67:
					if len(dirs) > 8 {
						continue
					}
					ds := keys(dirs)
					p := path.Join(ds[rng.Intn(len(ds))], fmt.Sprintf("Dir %d", step))
					if err := fs.Mkdir(p); err != nil {
						if errors.Is(err, unix.ENOSPC) {
							continue
						}
						t.Fatalf("step %d mkdir %q: %v", step, p, err)
					}
					dirs[p] = true
				case op < 82:
					fk := fileKeys()
					if len(fk) == 0 {
						continue
					}
					p := fk[rng.Intn(len(fk))]
					if err := fs.Remove(p); err != nil {
						t.Fatalf("step %d remove %q: %v", step, p, err)
					}
					delete(files, p)
				default:
					fk := fileKeys()
					if len(fk) == 0 {
						continue
					}
					p := fk[rng.Intn(len(fk))]
					ds := keys(dirs)
					q := path.Join(ds[rng.Intn(len(ds))], fmt.Sprintf("renamed %d", step))
					if rng.Intn(3) == 0 {
						q = fk[rng.Intn(len(fk))]
					}
					if err := fs.Rename(p, q); err != nil {
						if errors.Is(err, unix.ENOSPC) {
							continue
						}
						t.Fatalf("step %d rename %q %q: %v", step, p, q, err)
					}
					if !strings.EqualFold(p, q) {
						files[q] = files[p]
						delete(files, p)
					}
				}
			}
			for p, want := range files {
				got, err := fs.ReadFile(p)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%q: %d bytes, %v; want %d", p, len(got), err, len(want))
				}
			}
			fsckClean(t, img)
			t.Logf("%d files, %d free clusters", len(files), fs.FreeClusters())
		})
	}
}
