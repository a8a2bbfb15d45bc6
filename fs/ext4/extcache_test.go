package ext4

import (
	"bytes"
	"testing"
)

// TestExtentCacheFollowsChanges reads a file whose extent tree has an
// index node (so its decoded extents are cached) after each change to
// it: filling holes, punching, truncating, deleting it and reusing its
// inode. A stale cache would read old blocks or holes.
func TestExtentCacheFollowsChanges(t *testing.T) {
	img := mkImage(t)
	e, f := openRW(t, img)
	defer f.Close()
	mustIno, mustInt := must[uint32](t), must[int](t)
	root := uint32(RootIno)
	const bs = 4096
	ino := mustIno(e.Create(root, "frag", 0o644, 0, 0))
	want := make([]byte, 40*bs)
	size := 0
	put := func(blk int, c byte) {
		b := bytes.Repeat([]byte{c}, bs)
		mustInt(e.WriteAt(ino, b, int64(blk)*bs))
		copy(want[blk*bs:], b)
		size = max(size, (blk+1)*bs)
	}
	check := func(what string) {
		t.Helper()
		got := readAllIno(t, e, ino)
		if !bytes.Equal(got, want[:size]) {
			t.Fatalf("%s: file differs from what was written (%d bytes, want %d)", what, len(got), size)
		}
	}
	for blk := 0; blk < 40; blk += 2 { // 20 extents: an index node
		put(blk, 'a'+byte(blk%26))
	}
	in, err := e.readInode(ino)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := DecodeExtentHeader(in.raw.Block[:]); h.Depth == 0 {
		t.Fatalf("20 extents fit the inode (depth 0): the test needs an index node")
	}
	check("fragmented")
	check("fragmented, again")
	for blk := 1; blk < 40; blk += 4 {
		put(blk, 'X')
	}
	check("holes partly filled")
	if err := e.Allocate(ino, FallocPunchHole|FallocKeepSize, 4*bs, 8*bs); err != nil {
		t.Fatal(err)
	}
	clear(want[4*bs : 12*bs])
	check("punched")
	if err := e.Truncate(ino, 7*bs); err != nil {
		t.Fatal(err)
	}
	size = 7 * bs
	check("truncated")
	if err := e.Unlink(root, "frag"); err != nil {
		t.Fatal(err)
	}
	// The inode number comes back for the next file, with other blocks.
	ino = mustIno(e.Create(root, "frag2", 0o644, 0, 0))
	want, size = make([]byte, 40*bs), 0
	for blk := 1; blk < 40; blk += 2 {
		put(blk, 'A'+byte(blk%26))
	}
	check("new file")
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
