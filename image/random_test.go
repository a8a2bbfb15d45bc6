package image

import (
	"bytes"
	"fmt"
	"math/rand"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
)

// TestRandomTrees builds images from random trees (names up to 255
// bytes, sparse and dense files, symlinks, hard links, devices, xattrs)
// and checks them with e2fsck and the reader.
func TestRandomTrees(t *testing.T) {
	tool(t, "e2fsck")
	for seed := int64(1); seed <= 8; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			tree := NewTree()
			type want struct {
				mode   uint32
				data   []byte
				target string
				xattrs map[string]string
			}
			wants := map[string]*want{}
			dirs := []string{"/"}
			var regular []string
			name := func() string {
				n := 1 + rng.Intn(40)
				if rng.Intn(20) == 0 {
					n = 200 + rng.Intn(56) // up to 255 bytes
				}
				var b strings.Builder
				for b.Len() < n {
					switch rng.Intn(10) {
					case 0:
						b.WriteString("é")
					case 1:
						b.WriteByte(' ')
					default:
						b.WriteByte(byte('a' + rng.Intn(26)))
					}
				}
				return b.String()[:n]
			}
			for i := 0; i < 400; i++ {
				d := dirs[rng.Intn(len(dirs))]
				if rng.Intn(2) == 0 {
					d = "/" // a large, indexed root directory
				}
				p := path.Join(d, fmt.Sprintf("%d-%s", i, name()))
				if len(path.Base(p)) > 255 {
					p = p[:len(p)-(len(path.Base(p))-255)]
				}
				if _, dup := wants[p]; dup {
					continue
				}
				mt := unix.Timespec{Sec: int64(rng.Intn(2000000000)), Nsec: int64(rng.Intn(1000000000))}
				switch k := rng.Intn(10); {
				case k < 2:
					if err := tree.Add(p, &Node{Mode: unix.S_IFDIR | 0o755, Mtime: mt, Atime: mt}); err != nil {
						t.Fatal(err)
					}
					dirs = append(dirs, p)
					wants[p] = &want{mode: unix.S_IFDIR | 0o755}
				case k < 7:
					size := rng.Intn(70000)
					if rng.Intn(10) == 0 {
						size = rng.Intn(3 << 20)
					}
					data := make([]byte, size)
					for off := 0; off < size; off += 4096 * (1 + rng.Intn(8)) {
						rng.Read(data[off:min(off+1+rng.Intn(6000), size)])
					}
					mode := uint32(rng.Intn(0o7777))
					if err := tree.AddBytes(p, data, mode, uint32(rng.Intn(70000)), uint32(rng.Intn(70000)), mt); err != nil {
						t.Fatal(err)
					}
					w := &want{mode: unix.S_IFREG | mode, data: data}
					if rng.Intn(4) == 0 {
						n, _ := tree.Get(p)
						w.xattrs = map[string]string{}
						for j := 0; j < 1+rng.Intn(4); j++ {
							k := fmt.Sprintf("user.attr%d", j)
							v := strings.Repeat("v", rng.Intn(200)) // four fit in a 1 KiB block
							n.Xattrs = append(n.Xattrs, ext4.Xattr{Name: k, Value: []byte(v)})
							w.xattrs[k] = v
						}
					}
					wants[p] = w
					regular = append(regular, p)
				case k < 8:
					target := strings.Repeat("x/", 1+rng.Intn(100))
					tree.Add(p, &Node{Mode: unix.S_IFLNK | 0o777, Target: target, Mtime: mt, Atime: mt})
					wants[p] = &want{mode: unix.S_IFLNK | 0o777, target: target}
				case k < 9 && len(regular) > 0:
					src := regular[rng.Intn(len(regular))]
					if err := tree.Link(p, src); err != nil {
						t.Fatal(err)
					}
					wants[p] = wants[src]
				default:
					tree.Add(p, &Node{Mode: unix.S_IFCHR | 0o600, Major: uint32(rng.Intn(4096)), Minor: uint32(rng.Intn(1 << 20)), Mtime: mt, Atime: mt})
					wants[p] = &want{mode: unix.S_IFCHR | 0o600}
				}
			}
			bs := []int{1024, 2048, 4096}[rng.Intn(3)]
			img := filepath.Join(t.TempDir(), "img")
			if err := BuildFile(tree, img, Options{BlockSize: bs}); err != nil {
				t.Fatal(err)
			}
			fsck(t, img)
			e := openImage(t, img)
			paths := make([]string, 0, len(wants))
			for p := range wants {
				paths = append(paths, p)
			}
			sort.Strings(paths)
			for _, p := range paths {
				w := wants[p]
				ino, err := e.Walk(p, false)
				if err != nil {
					t.Fatalf("%q: %v", p, err)
				}
				in, err := e.Stat(ino)
				if err != nil || in.Mode != w.mode {
					t.Fatalf("%q: mode 0%o, %v; want 0%o", p, in.Mode, err, w.mode)
				}
				switch w.mode & unix.S_IFMT {
				case unix.S_IFREG:
					f, _ := e.OpenFile(ino)
					if got, _ := f.ReadAll(); !bytes.Equal(got, w.data) {
						t.Fatalf("%q: contents differ", p)
					}
					xs, _ := e.Xattrs(ino)
					if len(xs) != len(w.xattrs) {
						t.Fatalf("%q: %d xattrs, want %d", p, len(xs), len(w.xattrs))
					}
					for _, x := range xs {
						if w.xattrs[x.Name] != string(x.Value) {
							t.Fatalf("%q: xattr %s differs", p, x.Name)
						}
					}
				case unix.S_IFLNK:
					if got, _ := e.Readlink(ino); got != w.target {
						t.Fatalf("%q: symlink %q", p, got)
					}
				}
			}
		})
	}
}
