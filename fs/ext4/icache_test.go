package ext4

import (
	"path/filepath"
	"testing"
)

// TestInodeCacheStale: a decoded inode is not served once its slot in the
// inode table changed by any path, not only writeInode (here a raw
// metadata write of the slot, as a journal replay or a future writer
// would make).
func TestInodeCacheStale(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "16M")
	e, f := openRW(t, img)
	defer f.Close()
	ino := must[uint32](t)(e.Create(RootIno, "f", 0o644, 0, 0))
	if in := must[*Inode](t)(e.Stat(ino)); in.Mode&0o777 != 0o644 {
		t.Fatalf("mode %o", in.Mode)
	}
	in := must[*Inode](t)(e.readInode(ino))
	in.raw.Mode = uint16(ModeReg | 0o600)
	in.raw.EncodeInto(in.disk)
	SetInodeChecksum(e.sb, in.disk, ino)
	blk, off, err := e.inodeLocation(ino)
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	err = e.metaWrite(in.disk, int64(blk)*int64(e.blockSize)+int64(off))
	e.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if in := must[*Inode](t)(e.Stat(ino)); in.Mode&0o777 != 0o600 {
		t.Fatalf("mode %o after the slot was rewritten, want 600", in.Mode&0o777)
	}
}
