package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kite-os/kite/fs/ext4"
)

type tarEntry struct {
	h    tar.Header
	data []byte
}

func makeTar(t *testing.T, ents []tarEntry, gz bool) []byte {
	var buf bytes.Buffer
	var w *tar.Writer
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = tar.NewWriter(zw)
	} else {
		w = tar.NewWriter(&buf)
	}
	for _, e := range ents {
		h := e.h
		h.Size = int64(len(e.data))
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		if h.ModTime.IsZero() {
			h.ModTime = time.Unix(1600000000, 0)
		}
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		w.Write(e.data)
	}
	w.Close()
	if zw != nil {
		zw.Close()
	}
	return buf.Bytes()
}

func testTarEntries() []tarEntry {
	big := bytes.Repeat([]byte("abcdefgh"), 100000)
	long := strings.Repeat("v", 300)
	return []tarEntry{
		{h: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}},
		{h: tar.Header{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{h: tar.Header{Name: "etc/hostname", Typeflag: tar.TypeReg, Mode: 0o644}, data: []byte("kite\n")},
		{h: tar.Header{Name: "usr/bin/tool", Typeflag: tar.TypeReg, Mode: 0o755, Uid: 0, Gid: 0,
			PAXRecords: map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
				"SCHILY.xattr.user.small": "1"}}, data: big},
		{h: tar.Header{Name: "usr/bin/tool2", Typeflag: tar.TypeLink, Linkname: "usr/bin/tool"}},
		{h: tar.Header{Name: "usr/lib/bigxattr", Typeflag: tar.TypeReg, Mode: 0o600, Uid: 1000, Gid: 1000,
			PAXRecords: map[string]string{"SCHILY.xattr.user.long": long, "SCHILY.xattr.trusted.t": "x"}}, data: []byte("x")},
		{h: tar.Header{Name: "bin", Typeflag: tar.TypeSymlink, Linkname: "usr/bin"}},
		{h: tar.Header{Name: "dev/null", Typeflag: tar.TypeChar, Mode: 0o666, Devmajor: 1, Devminor: 3}},
		{h: tar.Header{Name: "dev/sda", Typeflag: tar.TypeBlock, Mode: 0o660, Devmajor: 8, Devminor: 0}},
		{h: tar.Header{Name: "run/fifo", Typeflag: tar.TypeFifo, Mode: 0o600}},
		{h: tar.Header{Name: "etc/hostname", Typeflag: tar.TypeReg, Mode: 0o640}, data: []byte("replaced\n")},
		{h: tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Mode: 0o644}, data: make([]byte, 1<<20)},
	}
}

func TestBuildFromTar(t *testing.T) {
	tool(t, "e2fsck")
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprint("gzip=", gz), func(t *testing.T) {
			dir := t.TempDir()
			tb := filepath.Join(dir, "layer.tar")
			os.WriteFile(tb, makeTar(t, testTarEntries(), gz), 0o644)
			tree, err := OpenSource(tb)
			if err != nil {
				t.Fatal(err)
			}
			defer tree.Close()
			img := filepath.Join(dir, "img")
			if err := BuildFile(tree, img, Options{}); err != nil {
				t.Fatal(err)
			}
			fsck(t, img)
			e := openImage(t, img)
			read := func(p string) string {
				ino, err := e.Walk(p, true)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				f, err := e.OpenFile(ino)
				if err != nil {
					t.Fatal(err)
				}
				b, err := f.ReadAll()
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			if got := read("/etc/hostname"); got != "replaced\n" {
				t.Errorf("hostname %q", got)
			}
			if got := read("/bin/tool2"); got != strings.Repeat("abcdefgh", 100000) {
				t.Errorf("tool2 through symlinked dir: %d bytes", len(got))
			}
			if got := read("/zeros"); got != string(make([]byte, 1<<20)) {
				t.Errorf("zeros differ")
			}
			zi, _ := e.Stat(mustWalk(t, e, "/zeros"))
			if zi.Blocks != 0 {
				t.Errorf("all-zero file uses %d sectors, want a hole", zi.Blocks)
			}
			a, _ := e.Stat(mustWalk(t, e, "/usr/bin/tool"))
			if a.Nlink != 2 || mustWalk(t, e, "/usr/bin/tool2") != a.Ino {
				t.Errorf("hard link: nlink %d", a.Nlink)
			}
			dev, _ := e.Stat(mustWalk(t, e, "/dev/sda"))
			if dev.Type() != ext4.ModeBlk || dev.RdevMajor != 8 || dev.RdevMinor != 0 {
				t.Errorf("/dev/sda: %+v", dev)
			}
			checkXattrs(t, e, "/usr/bin/tool", map[string]string{
				"security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
				"user.small":          "1"})
			checkXattrs(t, e, "/usr/lib/bigxattr", map[string]string{
				"user.long": strings.Repeat("v", 300), "trusted.t": "x"})
			bx, _ := e.Stat(mustWalk(t, e, "/usr/lib/bigxattr"))
			if bx.FileACL == 0 {
				t.Errorf("large xattrs not in a block")
			}
			// debugfs reads the same bytes and xattrs.
			out := filepath.Join(dir, "dumped")
			exec.Command(tool(t, "debugfs"), "-R", "dump /usr/bin/tool "+out, img).Run()
			if got, _ := os.ReadFile(out); string(got) != strings.Repeat("abcdefgh", 100000) {
				t.Errorf("debugfs dump differs (%d bytes)", len(got))
			}
			ea, _ := exec.Command(tool(t, "debugfs"), "-R", "ea_get /usr/lib/bigxattr user.long", img).CombinedOutput()
			if !strings.Contains(string(ea), strings.Repeat("v", 300)) {
				t.Errorf("debugfs ea_get: %s", ea)
			}
		})
	}
}

func mustWalk(t *testing.T, e *ext4.FS, p string) uint32 {
	t.Helper()
	ino, err := e.Walk(p, false)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return ino
}

func checkXattrs(t *testing.T, e *ext4.FS, p string, want map[string]string) {
	t.Helper()
	xs, err := e.Xattrs(mustWalk(t, e, p))
	if err != nil {
		t.Fatalf("%s xattrs: %v", p, err)
	}
	got := map[string]string{}
	for _, x := range xs {
		got[x.Name] = string(x.Value)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s xattrs = %q, want %q", p, got, want)
	}
}

func TestReproducible(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	sourceTree(t, src, 50)
	sum := func() [32]byte {
		tree, err := FromDir(src)
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(t.TempDir(), "img")
		if err := BuildFile(tree, img, Options{Time: 1700000000}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(img)
		return sha256.Sum256(b)
	}
	if a, b := sum(), sum(); a != b {
		t.Fatal("two builds of the same tree differ")
	}
	// A different tree gets a different UUID.
	tree1, _ := FromDir(src)
	mkfile(t, filepath.Join(src, "new"), []byte("x"), 0o644)
	tree2, _ := FromDir(src)
	b1 := &builder{}
	b1.collect(tree1)
	b2 := &builder{}
	b2.collect(tree2)
	if u1, _ := deriveIDs(b1.nodes); u1 == func() [16]byte { u, _ := deriveIDs(b2.nodes); return u }() {
		t.Error("different trees got the same UUID")
	}
}

func TestSizeTooSmall(t *testing.T) {
	tree := NewTree()
	tree.AddBytes("big", bytes.Repeat([]byte{1}, 4<<20), 0o644, 0, 0, unixTime(0))
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{Size: 2 << 20}); err == nil {
		t.Fatal("a 4 MiB file fit in a 2 MiB image")
	}
	if err := BuildFile(tree, img, Options{Size: 16 << 20}); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	if fi, _ := os.Stat(img); fi.Size() != 16<<20 {
		t.Errorf("image size %d", fi.Size())
	}
}
