package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func fsckClean(t *testing.T, img string) {
	t.Helper()
	out, err := exec.Command(needTool(t, "e2fsck"), "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn: %v\n%s", err, out)
	}
}

func openRW(t *testing.T, img string) (*FS, *os.File) {
	t.Helper()
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	e, err := OpenRW(f, Options{Now: func() unix.Timespec { return unix.Timespec{Sec: 1700000000, Nsec: 5} }, NoSync: true})
	if err != nil {
		f.Close()
		t.Fatalf("OpenRW: %v", err)
	}
	return e, f
}

// must returns a function that passes through a value and fails the
// test on an error: must[uint32](t)(e.Create(...)).
func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func readAllIno(t *testing.T, e *FS, ino uint32) []byte {
	t.Helper()
	f, err := e.OpenFile(ino)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteOnMke2fsImage changes an image made by mke2fs (with htree
// directories) in every supported way and checks it with e2fsck, debugfs
// and the reader.
func TestWriteOnMke2fsImage(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		many int
	}{
		{"ext4", []string{"-t", "ext4", "-b", "4096"}, 400},
		{"ext4-1k", []string{"-t", "ext4", "-b", "1024"}, 400},
		{"ext4-nocsum", []string{"-t", "ext4", "-O", "^metadata_csum,uninit_bg"}, 400},
	} {
		t.Run(c.name, func(t *testing.T) { writeScenario(t, c.args, c.many) })
	}
}

func writeScenario(t *testing.T, mkfsArgs []string, many int) {
	needTool(t, "mke2fs")
	src := filepath.Join(t.TempDir(), "src")
	buildSourceTree(t, src, many)
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", append(append([]string{"-q", "-F", "-E", "root_owner=0:0", "-d", src}, mkfsArgs...), img, "96M")...)
	if out, err := exec.Command(needTool(t, "e2fsck"), "-fyD", img).CombinedOutput(); err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck -D: %v\n%s", err, out)
		}
	}
	e, f := openRW(t, img)
	defer f.Close()
	mustIno, mustInt := must[uint32](t), must[int](t)
	mustInode, mustEnts := must[*Inode](t), must[[]DirEntry](t)
	rng := rand.New(rand.NewSource(3))
	rb := func(n int) []byte { b := make([]byte, n); rng.Read(b); return b }
	want := map[string][]byte{} // expected regular file contents

	root := uint32(RootIno)
	// New files of several sizes, written in pieces.
	for _, n := range []int{0, 1, 4096, 10000, 300000} {
		name := fmt.Sprintf("new-%d", n)
		ino := mustIno(e.Create(root, name, 0o640, 1000, 1000))
		data := rb(n)
		for off := 0; off < n; off += 7000 {
			end := min(off+7000, n)
			mustInt(e.WriteAt(ino, data[off:end], int64(off)))
		}
		want["/"+name] = data
	}
	// A file with many separate extents (an index level), then truncated.
	frag := mustIno(e.Create(root, "fragmented", 0o644, 0, 0))
	fragData := make([]byte, 0)
	for i := 0; i < 30; i++ {
		chunk := rb(3000)
		off := i * 20000
		mustInt(e.WriteAt(frag, chunk, int64(off)))
		if len(fragData) < off {
			fragData = append(fragData, make([]byte, off-len(fragData))...)
		}
		fragData = append(fragData[:off], chunk...)
	}
	if err := e.Truncate(frag, 250000); err != nil {
		t.Fatal(err)
	}
	fragData = fragData[:250000]
	want["/fragmented"] = fragData
	// Append to and overwrite an existing file; grow one with a hole.
	f4097 := mustIno(e.Walk("/files/f4097", false))
	old := readAllIno(t, e, f4097)
	extra := rb(9000)
	mustInt(e.WriteAt(f4097, extra, int64(len(old))))
	patch := []byte("PATCHED")
	mustInt(e.WriteAt(f4097, patch, 100))
	exp := append(append([]byte(nil), old...), extra...)
	copy(exp[100:], patch)
	want["/files/f4097"] = exp
	want["/deep/hard"] = exp
	f100k := mustIno(e.Walk("/files/f100000", false))
	if err := e.Truncate(f100k, 5000); err != nil {
		t.Fatal(err)
	}
	grow := readAllIno(t, e, f100k)[:5000]
	if err := e.Truncate(f100k, 2<<20); err != nil {
		t.Fatal(err)
	}
	want["/files/f100000"] = append(grow, make([]byte, 2<<20-5000)...)

	// Directories, links, special files.
	d := mustIno(e.Mkdir(root, "newdir", 0o755, 0, 0))
	sub := mustIno(e.Mkdir(d, "sub", 0o700, 0, 0))
	x := mustIno(e.Create(sub, "x", 0o600, 0, 0))
	mustInt(e.WriteAt(x, []byte("x contents"), 0))
	want["/newdir/sub/x"] = []byte("x contents")
	mustIno(e.Symlink(d, "short", "sub/x", 0, 0))
	long := strings.Repeat("L", 200)
	mustIno(e.Symlink(d, "long", long, 0, 0))
	mustIno(e.Mknod(d, "fifo", ModeFifo|0o600, 0, 0, 0, 0))
	mustIno(e.Mknod(d, "tty", ModeChr|0o620, 0, 5, 4, 1))
	if err := e.Link(x, d, "x-link"); err != nil {
		t.Fatal(err)
	}
	want["/newdir/x-link"] = []byte("x contents")
	if _, err := e.Create(d, "sub", 0o644, 0, 0); !errors.Is(err, unix.EEXIST) {
		t.Errorf("Create over existing = %v, want EEXIST", err)
	}
	if err := e.Rmdir(d, "sub"); !errors.Is(err, unix.ENOTEMPTY) {
		t.Errorf("Rmdir non-empty = %v, want ENOTEMPTY", err)
	}

	// Renames: within a directory, across directories, a directory to a
	// new parent, and over an existing file.
	if err := e.Rename(root, "new-1", root, "renamed-1"); err != nil {
		t.Fatal(err)
	}
	want["/renamed-1"] = want["/new-1"]
	delete(want, "/new-1")
	if err := e.Rename(root, "new-4096", d, "moved-4096"); err != nil {
		t.Fatal(err)
	}
	want["/newdir/moved-4096"] = want["/new-4096"]
	delete(want, "/new-4096")
	deep := mustIno(e.Walk("/deep", false))
	if err := e.Rename(d, "sub", deep, "sub-moved"); err != nil {
		t.Fatal(err)
	}
	want["/deep/sub-moved/x"] = want["/newdir/sub/x"]
	delete(want, "/newdir/sub/x")
	if p, err := e.Walk("/deep/sub-moved/..", false); err != nil || p != deep {
		t.Errorf("'..' of moved dir = %d, %v; want %d", p, err, deep)
	}
	if err := e.Rename(root, "new-0", root, "new-10000"); err != nil {
		t.Fatal(err)
	}
	want["/new-10000"] = want["/new-0"]
	delete(want, "/new-0")
	if err := e.Rename(deep, "sub-moved", mustIno(e.Walk("/deep/sub-moved", false)), "inside"); !errors.Is(err, unix.EINVAL) {
		t.Errorf("rename into itself = %v, want EINVAL", err)
	}

	// Deletions: a big file with an extent tree, a hard link, an empty
	// directory, a symlink.
	files := mustIno(e.Walk("/files", false))
	for _, n := range []string{"sparse", "f3145728", "f1"} {
		if err := e.Unlink(files, n); err != nil {
			t.Fatalf("unlink %s: %v", n, err)
		}
	}
	if err := e.Unlink(deep, "hard"); err != nil {
		t.Fatal(err)
	}
	delete(want, "/deep/hard")
	if err := e.Rmdir(root, "emptydir"); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlink(deep, "long-link"); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlink(root, "newdir"); !errors.Is(err, unix.EISDIR) {
		t.Errorf("unlink dir = %v, want EISDIR", err)
	}

	// Grow the htree directory well past its blocks, then remove some.
	manyIno := mustIno(e.Walk("/many", false))
	for i := 0; i < 3000; i++ {
		name := fmt.Sprintf("added-entry-with-a-long-name-%05d", i)
		mustIno(e.Create(manyIno, name, 0o644, 0, 0))
	}
	for i := 0; i < 3000; i += 3 {
		if err := e.Unlink(manyIno, fmt.Sprintf("added-entry-with-a-long-name-%05d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Attributes.
	mode, uid := uint32(0o600), uint32(42)
	mt := unix.Timespec{Sec: 1234567890, Nsec: 123}
	if err := e.SetAttr(x, Attr{Mode: &mode, UID: &uid, Mtime: &mt}); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	f.Sync()

	fsckClean(t, img)

	// Read back through a fresh reader and through debugfs.
	r := openImage(t, img)
	for p, data := range want {
		ino, err := r.Walk(p, false)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if got := readAllIno(t, r, ino); !bytes.Equal(got, data) {
			t.Errorf("%s: contents differ (%d vs %d bytes)", p, len(got), len(data))
		}
		out := filepath.Join(t.TempDir(), "dump")
		exec.Command(needTool(t, "debugfs"), "-R", fmt.Sprintf("dump %s %s", p, out), img).Run()
		if got, _ := os.ReadFile(out); !bytes.Equal(got, data) {
			t.Errorf("%s: debugfs dump differs (%d vs %d bytes)", p, len(got), len(data))
		}
	}
	if tgt, err := r.Readlink(mustIno(r.Walk("/newdir/long", false))); err != nil || tgt != long {
		t.Errorf("long symlink = %q, %v", tgt, err)
	}
	xi := mustInode(r.Stat(mustIno(r.Walk("/deep/sub-moved/x", false))))
	if xi.Mode != ModeReg|0o600 || xi.UID != 42 || xi.Mtime != mt || xi.Nlink != 2 {
		t.Errorf("x: mode 0%o uid %d mtime %v nlink %d", xi.Mode, xi.UID, xi.Mtime, xi.Nlink)
	}
	tty := mustInode(r.Stat(mustIno(r.Walk("/newdir/tty", false))))
	if tty.Type() != ModeChr || tty.RdevMajor != 4 || tty.RdevMinor != 1 || tty.UID != 0 || tty.GID != 5 {
		t.Errorf("tty: %+v", tty)
	}
	ents := mustEnts(r.ReadDir(manyIno))
	var added []string
	for _, de := range ents {
		if strings.HasPrefix(de.Name, "added-") {
			added = append(added, de.Name)
		}
	}
	sort.Strings(added)
	if len(added) != 2000 {
		t.Errorf("%d added entries remain, want 2000", len(added))
	}
	mi := mustInode(r.Stat(manyIno))
	if mi.Flags&FlagIndex == 0 {
		t.Fatal("/many lost its index")
	}
	checkDxLookups(t, r, mi)
	mf := must[*File](t)(r.OpenFile(manyIno))
	rootBlk := make([]byte, r.BlockSize())
	mf.ReadAt(rootBlk, 0)
	t.Logf("/many: %d blocks, htree levels %d", mi.Size/uint64(r.BlockSize()), rootBlk[30])
	if r.BlockSize() == 1024 && rootBlk[30] != 1 {
		t.Errorf("1 KiB htree did not grow a second level")
	}
	for _, gone := range []string{"/files/sparse", "/emptydir", "/new-1", "/deep/long-link"} {
		if _, err := r.Walk(gone, false); !errors.Is(err, unix.ENOENT) {
			t.Errorf("%s still there (%v)", gone, err)
		}
	}
}

func TestOpenRWRefusals(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-O", "quota", img, "16M")
	f, _ := os.OpenFile(img, os.O_RDWR, 0)
	defer f.Close()
	if _, err := OpenRW(f, Options{}); err == nil || !strings.Contains(err.Error(), "read-only features") {
		t.Errorf("OpenRW with quota = %v", err)
	}
	ro := openImage(t, img)
	if _, err := ro.Create(RootIno, "x", 0o644, 0, 0); !errors.Is(err, unix.EROFS) {
		t.Errorf("Create on read-only = %v, want EROFS", err)
	}
}

// TestPartialWriteOfFreshBlocks writes a few bytes into the middle of
// newly allocated blocks that held another file's data: the rest of
// those blocks must read as zeros (the write pads them), on the image
// too.
func TestPartialWriteOfFreshBlocks(t *testing.T) {
	img := mkImage(t)
	e, f := openRW(t, img)
	defer f.Close()
	mustIno, mustInt := must[uint32](t), must[int](t)
	root := uint32(RootIno)
	old := mustIno(e.Create(root, "old", 0o644, 0, 0))
	mustInt(e.WriteAt(old, bytes.Repeat([]byte{0xff}, 1<<20), 0))
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := e.Unlink(root, "old"); err != nil {
		t.Fatal(err)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	for i, c := range []struct{ off, n int64 }{{10, 100}, {4000, 200}, {0, 5}, {8191, 2}, {100, 3 * 4096}, {0, 3*4096 + 10}, {4095, 5*4096 + 1}, {4096 + 7, 4096}, {100, 1 << 20}, {3 * 4096, 2*4096 + 1}} {
		ino := mustIno(e.Create(root, fmt.Sprintf("new%d", i), 0o644, 0, 0))
		mustInt(e.WriteAt(ino, bytes.Repeat([]byte{'d'}, int(c.n)), c.off))
		size := (c.off + c.n + 8191) / 4096 * 4096
		if err := e.Truncate(ino, size); err != nil {
			t.Fatal(err)
		}
		got := readAllIno(t, e, ino)
		want := make([]byte, size)
		copy(want[c.off:], bytes.Repeat([]byte{'d'}, int(c.n)))
		if !bytes.Equal(got, want) {
			t.Errorf("write of %d at %d: file reads %q..., not zeros around the data", c.n, c.off, got[:min(len(got), 64)])
		}
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestAllocReusesFreed checks that the searches for a free inode and
// block, which start at a per-group hint past the ones in use, still
// find an inode and a block freed below the hint once the free is
// committed, and not before.
func TestAllocReusesFreed(t *testing.T) {
	img := mkImage(t)
	e, f := openRW(t, img)
	defer f.Close()
	mustIno, mustInt := must[uint32](t), must[int](t)
	root := uint32(RootIno)
	data := bytes.Repeat([]byte{'x'}, 4096)
	firstBlock := func(ino uint32) uint64 {
		t.Helper()
		fl, err := e.OpenFile(ino)
		if err != nil {
			t.Fatal(err)
		}
		b, ok := fl.physBlock(0)
		if !ok {
			t.Fatalf("inode %d has no block 0", ino)
		}
		return b
	}
	inos := make([]uint32, 20)
	for i := range inos {
		inos[i] = mustIno(e.Create(root, fmt.Sprintf("f%d", i), 0o644, 0, 0))
		mustInt(e.WriteAt(inos[i], data, 0))
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	oldIno, oldBlock := inos[5], firstBlock(inos[5])
	if err := e.Unlink(root, "f5"); err != nil {
		t.Fatal(err)
	}
	// Not committed yet: the block stays unused.
	pend := mustIno(e.Create(root, "pending", 0o644, 0, 0))
	mustInt(e.WriteAt(pend, data, 0))
	if b := firstBlock(pend); b == oldBlock {
		t.Errorf("a block freed in the running transaction (%d) was reused", b)
	}
	if err := e.Unlink(root, "pending"); err != nil {
		t.Fatal(err)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	ino := mustIno(e.Create(root, "new", 0o644, 0, 0))
	mustInt(e.WriteAt(ino, data, 0))
	if ino != oldIno && ino != pend {
		t.Errorf("new file got inode %d, not the lowest free one (%d or %d)", ino, oldIno, pend)
	}
	if b := firstBlock(ino); b != oldBlock {
		t.Errorf("new file's block is %d, not the lowest free one %d", b, oldBlock)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestBitmapCsumReadError: a bitmap checksum that cannot be computed
// (the block is neither given nor cached and does not read) is an
// error, not a checksum of 0.
func TestBitmapCsumReadError(t *testing.T) {
	e, f := openRW(t, mkImage(t))
	defer f.Close()
	if !e.csum {
		t.Skip("image without metadata_csum")
	}
	if c, err := e.bitmapCsum(e.blocks, nil, 16); err == nil {
		t.Fatalf("bitmapCsum of an unreadable block = %#x, nil", c)
	}
	if err := e.bitmapWritten(0, false, e.blocks, nil); err == nil {
		t.Fatal("bitmapWritten of an unreadable bitmap: nil")
	}
}

// TestGroupDescAtCommit: in a running transaction the bitmaps'
// checksums and the group descriptors are written at the commit; an
// allocation that has to read and verify a changed bitmap again (the
// cache lost it) must find its checksum current, and the committed
// image must pass e2fsck.
func TestGroupDescAtCommit(t *testing.T) {
	img := mkImage(t)
	e, f := openRW(t, img)
	defer f.Close()
	if !e.csum || e.jw == nil {
		t.Skip("image without metadata_csum or journal")
	}
	for i := 0; i < 20; i++ {
		ino := must[uint32](t)(e.Create(RootIno, fmt.Sprintf("f%d", i), 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, []byte("some data"), 0))
		if len(e.gdPending) == 0 {
			t.Fatal("no group descriptor waits for the commit")
		}
		// The cache loses every bitmap: the next allocations read
		// them back from the transaction and verify them.
		for _, gd := range e.groups {
			e.cache.drop(gd.BlockBitmap(), 1)
			e.cache.drop(gd.InodeBitmap(), 1)
		}
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	if len(e.gdPending) != 0 {
		t.Fatalf("%d group descriptors still wait after the commit", len(e.gdPending))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
