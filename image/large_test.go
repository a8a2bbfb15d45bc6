package image

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/kite-os/kite/fs/ext4"
)

// TestLargeTree is the acceptance case of the builder: 20,000 files with
// hard links and symlinks, a 1 GiB sparse file and a file fragmented into
// more extents than two tree levels hold, checked by e2fsck and read back.
func TestLargeTree(t *testing.T) {
	if testing.Short() {
		t.Skip("large tree in -short mode")
	}
	tool(t, "e2fsck")
	src := filepath.Join(t.TempDir(), "src")
	for i := 0; i < 20000; i++ {
		d := filepath.Join(src, fmt.Sprintf("d%02d", i%40))
		p := filepath.Join(d, fmt.Sprintf("file%05d", i))
		switch {
		case i%10 == 3:
			os.MkdirAll(d, 0o755)
			if err := os.Symlink(fmt.Sprintf("file%05d", i-1), p); err != nil {
				t.Fatal(err)
			}
		case i%10 == 7:
			os.MkdirAll(d, 0o755)
			if err := os.Link(filepath.Join(src, fmt.Sprintf("d%02d", (i-1)%40), fmt.Sprintf("file%05d", i-1)), p); err != nil {
				t.Fatal(err)
			}
		default:
			mkfile(t, p, []byte(fmt.Sprintf("contents of %d\n", i)), 0o644)
		}
	}
	sp, err := os.Create(filepath.Join(src, "sparse-1g"))
	if err != nil {
		t.Fatal(err)
	}
	sp.WriteAt([]byte("head"), 0)
	sp.WriteAt([]byte("middle"), 512<<20)
	sp.WriteAt([]byte("tail"), 1<<30-4)
	sp.Close()
	// 2000 single-block extents: an extent tree of depth 2 (4 KiB blocks
	// hold 340 extents per leaf; the inode holds 4 index entries).
	fr, _ := os.Create(filepath.Join(src, "fragmented"))
	for i := 0; i < 2000; i++ {
		fr.WriteAt(bytes.Repeat([]byte{byte(i) | 1}, 4096), int64(i)*8192)
	}
	fr.Close()

	t0 := time.Now()
	tree, err := FromDir(src)
	if err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("build: %v", time.Since(t0))
	t0 = time.Now()
	fsck(t, img)
	t.Logf("e2fsck: %v", time.Since(t0))
	t0 = time.Now()
	e := openImage(t, img)
	compare(t, e, src)
	t.Logf("compare: %v", time.Since(t0))
	in, _ := e.Stat(mustWalk(t, e, "/fragmented"))
	raw := in.Raw()
	if h, err := ext4.DecodeExtentHeader(raw.Block[:]); err != nil || h.Depth != 2 {
		t.Errorf("/fragmented extent depth %d (%v), want 2", h.Depth, err)
	}
	out := filepath.Join(t.TempDir(), "dump")
	exec.Command(tool(t, "debugfs"), "-R", "dump /fragmented "+out, img).Run()
	want, _ := os.ReadFile(filepath.Join(src, "fragmented"))
	got, _ := os.ReadFile(out)
	if !bytes.Equal(got, want) {
		t.Errorf("debugfs dump of the fragmented file differs (%d bytes)", len(got))
	}
	if fi, err := os.Stat(img); err == nil {
		t.Logf("image: %d MiB apparent", fi.Size()>>20)
	}
}
