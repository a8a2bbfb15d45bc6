package ext4

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSetXattr(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "f"), []byte("file"))
	writeFile(t, filepath.Join(src, "g"), []byte("other"))
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-I", "256", "-d", src, img, "16M")
	e, f := openRW(t, img)
	defer f.Close()
	fino := must[uint32](t)(e.Walk("/f", false))
	gino := must[uint32](t)(e.Walk("/g", false))
	check := func(ino uint32, want map[string]string) {
		t.Helper()
		xs, err := e.Xattrs(ino)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, x := range xs {
			got[x.Name] = string(x.Value)
		}
		if len(got) != len(want) {
			t.Fatalf("xattrs %q, want %q", got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("xattrs %q, want %q", got, want)
			}
		}
	}
	set := func(ino uint32, n, v string, flags int) {
		t.Helper()
		if err := e.SetXattr(ino, n, []byte(v), flags); err != nil {
			t.Fatalf("SetXattr(%s): %v", n, err)
		}
	}
	set(fino, "user.small", "1", 0)
	set(fino, "trusted.t", "tv", XattrCreate)
	check(fino, map[string]string{"user.small": "1", "trusted.t": "tv"})
	if in := must[*Inode](t)(e.Stat(fino)); in.FileACL != 0 {
		t.Error("small xattrs went to a block")
	}
	big := strings.Repeat("B", 1000)
	set(fino, "user.big", big, 0)
	check(fino, map[string]string{"user.small": "1", "trusted.t": "tv", "user.big": big})
	if in := must[*Inode](t)(e.Stat(fino)); in.FileACL == 0 {
		t.Error("large xattrs not in a block")
	}
	set(fino, "user.small", "replaced", XattrReplace)
	if err := e.SetXattr(fino, "user.small", nil, XattrCreate); !errors.Is(err, unix.EEXIST) {
		t.Errorf("XATTR_CREATE on existing = %v", err)
	}
	if err := e.SetXattr(fino, "user.none", nil, XattrReplace); !errors.Is(err, unix.ENODATA) {
		t.Errorf("XATTR_REPLACE on missing = %v", err)
	}
	if err := e.RemoveXattr(fino, "user.none"); !errors.Is(err, unix.ENODATA) {
		t.Errorf("remove missing = %v", err)
	}
	if err := e.SetXattr(fino, "system.posix_acl_access", []byte{2, 0, 0, 0}, 0); !errors.Is(err, unix.EOPNOTSUPP) {
		t.Errorf("ACL = %v", err)
	}
	set(gino, "security.selinux", "system_u:object_r:etc_t:s0", 0)
	set(gino, "user.huge", strings.Repeat("H", 3000), 0)
	e.Close()
	fsckClean(t, img)
	e, f = openRW(t, img)
	defer f.Close()
	out := run(t, "debugfs", "-R", "ea_get /f user.small", img)
	if !strings.Contains(out, "replaced") {
		t.Errorf("debugfs ea_get: %s", out)
	}
	// Removing the big one moves everything back into the inode and
	// frees the block.
	if err := e.RemoveXattr(fino, "user.big"); err != nil {
		t.Fatal(err)
	}
	check(fino, map[string]string{"user.small": "replaced", "trusted.t": "tv"})
	if in := must[*Inode](t)(e.Stat(fino)); in.FileACL != 0 || in.Blocks != uint64(e.BlockSize()/512) {
		t.Errorf("after removal: xattr block %d, %d sectors", in.FileACL, in.Blocks)
	}
	// Deleting a file with an xattr block frees the block.
	if err := e.Unlink(RootIno, "g"); err != nil {
		t.Fatal(err)
	}
	e.Close()
	fsckClean(t, img)
	if out, err := exec.Command(needTool(t, "debugfs"), "-R", "ea_list /f", img).CombinedOutput(); err != nil || !strings.Contains(string(out), "trusted.t") {
		t.Errorf("debugfs ea_list: %s %v", out, err)
	}
}

func TestStatfs(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-N", "1024", img, "16M")
	out := run(t, "dumpe2fs", "-h", img)
	e, f := openRW(t, img)
	defer f.Close()
	st := e.Statfs()
	for _, want := range []string{
		fmt.Sprintf("Free blocks:              %d", st.FreeBlocks),
		fmt.Sprintf("Free inodes:              %d", st.FreeInodes),
		fmt.Sprintf("Inode count:              %d", st.Inodes),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dumpe2fs lacks %q", want)
		}
	}
	ino := must[uint32](t)(e.Create(RootIno, "f", 0o644, 0, 0))
	must[int](t)(e.WriteAt(ino, make([]byte, 1<<20), 0))
	after := e.Statfs()
	if after.FreeInodes != st.FreeInodes-1 || after.FreeBlocks != st.FreeBlocks-256 {
		t.Errorf("after a 1 MiB file: %+v (before %+v)", after, st)
	}
	e.Close()
}

// TestIterDir reads directories in pieces, resuming at the positions
// IterDir gave, while entries are added and removed between the pieces.
func TestIterDir(t *testing.T) {
	for _, htree := range []bool{false, true} {
		t.Run(fmt.Sprint("htree=", htree), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src")
			for i := 0; i < 300; i++ {
				writeFile(t, filepath.Join(src, "d", fmt.Sprintf("entry-%04d", i)), nil)
			}
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-d", src, img, "16M")
			if htree {
				exec.Command(needTool(t, "e2fsck"), "-fyD", img).Run()
			}
			e, f := openRW(t, img)
			defer f.Close()
			d := must[uint32](t)(e.Walk("/d", false))
			if in := must[*Inode](t)(e.Stat(d)); (in.Flags&FlagIndex != 0) != htree {
				t.Fatalf("index flag %v", in.Flags&FlagIndex != 0)
			}
			seen := map[string]int{}
			off := int64(2)
			for round := 0; ; round++ {
				n := 0
				if err := e.IterDir(d, off, func(de DirEntry, next int64) bool {
					seen[de.Name]++
					off = next
					n++
					return n < 37
				}); err != nil {
					t.Fatal(err)
				}
				if n == 0 {
					break
				}
				// Change the directory between reads: entries already seen
				// and not yet seen are removed; new ones are added.
				if round == 2 {
					for i := 0; i < 50; i++ {
						must[uint32](t)(e.Create(d, fmt.Sprintf("added-%03d", i), 0o644, 0, 0))
					}
				}
			}
			for i := 0; i < 300; i++ {
				if n := seen[fmt.Sprintf("entry-%04d", i)]; n != 1 {
					t.Errorf("entry-%04d seen %d times", i, n)
				}
			}
			e.Close()
		})
	}
}

func TestExchange(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, filepath.Join(src, "a", "file"), []byte("file in a"))
	writeFile(t, filepath.Join(src, "b", "sub", "x"), []byte("x"))
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-d", src, img, "16M")
	e, f := openRW(t, img)
	defer f.Close()
	a := must[uint32](t)(e.Walk("/a", false))
	b := must[uint32](t)(e.Walk("/b", false))
	fileIno := must[uint32](t)(e.Walk("/a/file", false))
	subIno := must[uint32](t)(e.Walk("/b/sub", false))
	// A file and a directory trade places across directories.
	if err := e.Exchange(a, "file", b, "sub"); err != nil {
		t.Fatal(err)
	}
	if got := must[uint32](t)(e.Walk("/a/file", false)); got != subIno {
		t.Errorf("/a/file is %d, want the directory %d", got, subIno)
	}
	if got := must[uint32](t)(e.Walk("/b/sub", false)); got != fileIno {
		t.Errorf("/b/sub is %d, want the file %d", got, fileIno)
	}
	if p := must[uint32](t)(e.Walk("/a/file/..", false)); p != a {
		t.Errorf("'..' of the moved directory is %d, want %d", p, a)
	}
	if err := e.Exchange(RootIno, "a", a, "file"); !errors.Is(err, unix.EINVAL) {
		t.Errorf("exchange with own child = %v, want EINVAL", err)
	}
	if err := e.Exchange(RootIno, "a", RootIno, "missing"); !errors.Is(err, unix.ENOENT) {
		t.Errorf("exchange with missing = %v", err)
	}
	e.Close()
	fsckClean(t, img)
}

func TestOrphans(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", img, "16M")
	e, f := openRW(t, img)
	before := e.Statfs()
	ino := must[uint32](t)(e.Create(RootIno, "open-file", 0o644, 0, 0))
	must[int](t)(e.WriteAt(ino, bytes.Repeat([]byte("o"), 50000), 0))
	e.Hold(ino)
	if err := e.Unlink(RootIno, "open-file"); err != nil {
		t.Fatal(err)
	}
	if sb := e.Superblock(); sb.LastOrphan != ino {
		t.Fatalf("s_last_orphan = %d, want %d", sb.LastOrphan, ino)
	}
	if got := readAllIno(t, e, ino); len(got) != 50000 || got[49999] != 'o' {
		t.Errorf("unlinked open file reads %d bytes", len(got))
	}
	if err := e.Release(ino); err != nil {
		t.Fatal(err)
	}
	if after := e.Statfs(); after.FreeBlocks != before.FreeBlocks || after.FreeInodes != before.FreeInodes {
		t.Errorf("space not returned: %+v, before %+v", after, before)
	}
	if sb := e.Superblock(); sb.LastOrphan != 0 {
		t.Errorf("orphan list not empty: %d", sb.LastOrphan)
	}
	// Two orphans left behind by a "crash" (no Release, no Close).
	var held []uint32
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("crash-%d", i)
		ino := must[uint32](t)(e.Create(RootIno, name, 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, bytes.Repeat([]byte("c"), 20000), 0))
		e.Hold(ino)
		if err := e.Unlink(RootIno, name); err != nil {
			t.Fatal(err)
		}
		held = append(held, ino)
	}
	// Committed (a crash loses only the running transaction).
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	// e2fsck walks the same list.
	ref := img + ".ref"
	data, _ := os.ReadFile(img)
	os.WriteFile(ref, data, 0o644)
	out, _ := exec.Command(needTool(t, "e2fsck"), "-fy", ref).CombinedOutput()
	if n := strings.Count(string(out), "Clearing orphaned inode"); n != 2 {
		t.Errorf("e2fsck cleared %d orphans, want 2:\n%s", n, out)
	}
	fsckClean(t, ref)
	e2, f2 := openRW(t, img) // processes the orphan list
	defer f2.Close()
	if sb := e2.Superblock(); sb.LastOrphan != 0 {
		t.Errorf("orphans left after open: %d", sb.LastOrphan)
	}
	if after := e2.Statfs(); after.FreeBlocks != before.FreeBlocks || after.FreeInodes != before.FreeInodes {
		t.Errorf("crash orphans not freed: %+v, before %+v", after, before)
	}
	e2.Close()
	fsckClean(t, img)
}

// TestRawInodeMarshal: the hand-written inode codec agrees with
// encoding/binary's reflection on random bytes.
func TestRawInodeMarshal(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 1000; i++ {
		var b [rawInodeSize]byte
		rng.Read(b[:])
		var want, got RawInode
		if _, err := binary.Decode(b[:], binary.LittleEndian, &want); err != nil {
			t.Fatal(err)
		}
		got.unmarshal(&b)
		if got != want {
			t.Fatalf("unmarshal differs:\n%+v\n%+v", got, want)
		}
		var out [rawInodeSize]byte
		got.marshal(&out)
		if out != b {
			t.Fatal("marshal does not give the bytes back")
		}
	}
}
