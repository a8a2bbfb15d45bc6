package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDirBecomesIndexed grows a new directory past one block: it must
// turn into an htree (as Linux does) that lookups use and e2fsck accepts.
func TestDirBecomesIndexed(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"csum", []string{"-t", "ext4", "-b", "1024"}},
		{"nocsum", []string{"-t", "ext4", "-b", "4096", "-O", "^metadata_csum"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", append(append([]string{"-q", "-F"}, c.args...), img, "32M")...)
			e, f := openRW(t, img)
			defer f.Close()
			d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
			for i := 0; i < 2000; i++ {
				must[uint32](t)(e.Create(d, fmt.Sprintf("some-file-name-%05d", i), 0o644, 0, 0))
			}
			for i := 0; i < 2000; i += 5 {
				if err := e.Unlink(d, fmt.Sprintf("some-file-name-%05d", i)); err != nil {
					t.Fatal(err)
				}
			}
			in := must[*Inode](t)(e.Stat(d))
			if in.Flags&FlagIndex == 0 {
				t.Fatal("directory not indexed")
			}
			checkDxLookups(t, e, in)
			if n := len(must[[]DirEntry](t)(e.ReadDir(d))); n != 2+1600 {
				t.Errorf("%d entries, want %d", n, 2+1600)
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
		})
	}
}

func TestAllocate(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "32M")
	e, f := openRW(t, img)
	defer f.Close()
	ino := must[uint32](t)(e.Create(RootIno, "f", 0o644, 0, 0))
	before := e.Statfs().FreeBlocks
	// Reserve 1 MiB: size grows, blocks are taken, contents read zero.
	if err := e.Allocate(ino, 0, 0, 1<<20); err != nil {
		t.Fatal(err)
	}
	if got := e.Statfs().FreeBlocks; got != before-256 {
		t.Errorf("free blocks %d, want %d", got, before-256)
	}
	if got := readAllIno(t, e, ino); len(got) != 1<<20 || !bytes.Equal(got, make([]byte, 1<<20)) {
		t.Errorf("reserved range reads %d non-zero bytes", len(got))
	}
	// Writing into the unwritten range converts part of it.
	must[int](t)(e.WriteAt(ino, []byte("hello"), 5000))
	// Keep-size reservation past the end.
	if err := e.Allocate(ino, FallocKeepSize, 1<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	if in := must[*Inode](t)(e.Stat(ino)); in.Size != 1<<20 {
		t.Errorf("size %d after KEEP_SIZE", in.Size)
	}
	// Punch a hole across the written block's neighbourhood.
	must[int](t)(e.WriteAt(ino, bytes.Repeat([]byte("w"), 300000), 100000))
	if err := e.Allocate(ino, FallocPunchHole|FallocKeepSize, 150001, 100000); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, 1<<20)
	copy(want[5000:], "hello")
	copy(want[100000:], bytes.Repeat([]byte("w"), 300000))
	clear(want[150001:250001])
	if got := readAllIno(t, e, ino); !bytes.Equal(got, want) {
		for i := range want {
			if i >= len(got) || got[i] != want[i] {
				t.Errorf("contents after punch differ at %d (len %d)", i, len(got))
				break
			}
		}
	}
	p := make([]byte, 10)
	if n, err := e.ReadAt(ino, p, 100000); n != 10 || err != nil || string(p) != "wwwwwwwwww" {
		t.Errorf("ReadAt = %d, %v, %q", n, err, p)
	}
	if err := e.Allocate(ino, 0x10, 0, 10); err == nil {
		t.Error("ZERO_RANGE accepted")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	out := filepath.Join(t.TempDir(), "out")
	run(t, "debugfs", "-R", "dump /f "+out, img)
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) {
		t.Error("debugfs reads different contents")
	}
}

// TestCreateAfterLookup creates names in an htree directory each right
// after a Lookup that did not find it, as the VFS does, so that each
// create puts the entry where that lookup saw room in the leaf, with
// unlinks opening gaps and leaves splitting; the directory must then
// hold every name (found through the index) and pass e2fsck.
func TestCreateAfterLookup(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"csum", []string{"-t", "ext4", "-b", "1024"}},
		{"nocsum", []string{"-t", "ext4", "-b", "4096", "-O", "^metadata_csum"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", append(append([]string{"-q", "-F"}, c.args...), img, "32M")...)
			e, f := openRW(t, img)
			defer f.Close()
			d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
			want := map[string]uint32{}
			for i := 0; i < 3000; i++ {
				name := fmt.Sprintf("n%d-%s", i, strings.Repeat("x", i%23))
				if _, err := e.Lookup(d, name); !errors.Is(err, unix.ENOENT) {
					t.Fatalf("Lookup(%q) before its create: %v", name, err)
				}
				want[name] = must[uint32](t)(e.Create(d, name, 0o644, 0, 0))
				if i%7 == 3 {
					old := fmt.Sprintf("n%d-%s", i/2, strings.Repeat("x", (i/2)%23))
					if _, ok := want[old]; ok {
						if err := e.Unlink(d, old); err != nil {
							t.Fatal(err)
						}
						delete(want, old)
					}
				}
			}
			for name, ino := range want {
				if got, err := e.Lookup(d, name); err != nil || got != ino {
					t.Fatalf("Lookup(%q) = %d, %v; want %d", name, got, err, ino)
				}
			}
			in := must[*Inode](t)(e.Stat(d))
			if in.Flags&FlagIndex == 0 {
				t.Fatal("directory not indexed")
			}
			checkDxLookups(t, e, in)
			if n := len(must[[]DirEntry](t)(e.ReadDir(d))); n != 2+len(want) {
				t.Errorf("%d entries, want %d", n, 2+len(want))
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
		})
	}
}

// TestLargeDirThreeLevels grows an htree directory of a large_dir file
// system (1 KiB blocks, long names: few entries a leaf) until its index
// has three levels, creating every name right after the Lookup that did
// not find it (the create reuses that lookup's slot), then creates more
// so that leaves and the index nodes of the deepest level split. Every
// name must be found through the index and e2fsck must pass the image.
func TestLargeDirThreeLevels(t *testing.T) {
	if testing.Short() {
		t.Skip("creates some 30,000 names")
	}
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-O", "large_dir", "-N", "60000", img, "160M")
	e, f := openRW(t, img)
	defer f.Close()
	d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
	levels := func() int {
		in := must[*Inode](t)(e.Stat(d))
		if in.Flags&FlagIndex == 0 {
			return -1
		}
		fl, err := e.openInode(in)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, e.blockSize)
		if err := e.readDirFileBlock(in, fl, 0, b); err != nil {
			t.Fatal(err)
		}
		return int(b[dxRootInfoOff+6])
	}
	// nodes counts the interior index nodes (blocks without a leaf's
	// checksum tail, but the root).
	nodes := func() int {
		in := must[*Inode](t)(e.Stat(d))
		fl, err := e.openInode(in)
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, e.blockSize)
		n := 0
		for lblk := uint64(1); lblk < in.Size/uint64(e.blockSize); lblk++ {
			if err := e.readDirFileBlock(in, fl, lblk, b); err != nil {
				t.Fatal(err)
			}
			if !hasDirTail(b) {
				n++
			}
		}
		return n
	}
	want := map[string]uint32{}
	pad := strings.Repeat("y", 240)
	more := -1  // creates left after the third level appears
	nodes3 := 0 // the interior nodes then
	for i := 0; more != 0; i++ {
		if i > 200000 {
			t.Fatal("no third htree level after 200000 names")
		}
		name := fmt.Sprintf("%s-%07d", pad, i)
		if _, err := e.Lookup(d, name); !errors.Is(err, unix.ENOENT) {
			t.Fatalf("Lookup(%q) before its create: %v", name, err)
		}
		ino, err := e.Create(d, name, 0o644, 0, 0)
		if err != nil {
			t.Fatalf("Create #%d: %v", i, err)
		}
		want[name] = ino
		if more > 0 {
			more--
		} else if i%256 == 0 && levels() == 2 {
			more = 6000
			nodes3 = nodes()
		}
	}
	if n := nodes(); n <= nodes3 {
		t.Errorf("%d interior nodes, as many as when the third level appeared: none split", n)
	}
	for name, ino := range want {
		if got, err := e.Lookup(d, name); err != nil || got != ino {
			t.Fatalf("Lookup(%q) = %d, %v; want %d", name, got, err, ino)
		}
	}
	in := must[*Inode](t)(e.Stat(d))
	checkDxLookups(t, e, in)
	if n := len(must[[]DirEntry](t)(e.ReadDir(d))); n != 2+len(want) {
		t.Errorf("%d entries, want %d", n, 2+len(want))
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}
