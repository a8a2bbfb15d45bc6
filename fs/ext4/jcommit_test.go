package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// copyImage copies img (a "crashed" image) to a new file for e2fsck.
func copyImage(t *testing.T, img string) string {
	t.Helper()
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	ref := img + fmt.Sprintf(".%d", time.Now().UnixNano())
	if err := os.WriteFile(ref, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return ref
}

// fsckReplay runs e2fsck -fy (which replays the journal) and then checks
// that the result is clean.
func fsckReplay(t *testing.T, img string) string {
	t.Helper()
	out, err := exec.Command(needTool(t, "e2fsck"), "-fy", img).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
			t.Fatalf("e2fsck -fy: %v\n%s", err, out)
		}
	}
	fsckClean(t, img)
	return string(out)
}

// TestRunningTransaction: operations share one running transaction that
// only Sync commits; a crash before it loses them all and leaves the
// image as the last commit left it, clean.
func TestRunningTransaction(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "32M")
	e, f := openRW(t, img)
	seq0 := e.jw.seq
	d := must[uint32](t)(e.Mkdir(RootIno, "dir", 0o755, 0, 0))
	for i := 0; i < 50; i++ {
		ino := must[uint32](t)(e.Create(d, fmt.Sprintf("f%d", i), 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, bytes.Repeat([]byte{byte(i)}, 5000), 0))
	}
	if e.jw.seq != seq0 {
		t.Fatalf("%d commits before Sync, want none", e.jw.seq-seq0)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	if e.jw.seq != seq0+1 {
		t.Fatalf("Sync made %d commits, want 1", e.jw.seq-seq0)
	}
	// Not committed: lost in the "crash" below.
	must[uint32](t)(e.Mkdir(RootIno, "lost", 0o755, 0, 0))
	if err := e.Unlink(d, "f0"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// As the crash left it (e2fsck -n does not replay): the committed
	// state was checkpointed in place.
	fsckClean(t, img)
	ref := copyImage(t, img)
	fsckReplay(t, ref)
	for _, p := range []string{img, ref} {
		r := openImage(t, p)
		if _, err := r.Walk("/lost", false); err == nil {
			t.Errorf("%s: an uncommitted mkdir survived the crash", p)
		}
		for _, i := range []int{0, 49} {
			ino, err := r.Walk(fmt.Sprintf("/dir/f%d", i), false)
			if err != nil {
				t.Fatalf("%s: committed file lost: %v", p, err)
			}
			if got := readAllIno(t, r, ino); !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 5000)) {
				t.Errorf("%s: f%d holds %d bytes", p, i, len(got))
			}
		}
	}
	e2, f2 := openRW(t, img)
	defer f2.Close()
	if _, err := e2.Walk("/lost", false); err == nil {
		t.Error("our replay: an uncommitted mkdir survived")
	}
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestCommitInterval: a running transaction commits by itself when the
// commit interval has passed.
func TestCommitInterval(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", img, "16M")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := OpenRW(f, Options{CommitInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 10)
	e.mu.Lock()
	e.jw.committed = func() { done <- struct{}{} }
	e.mu.Unlock()
	must[uint32](t)(e.Create(RootIno, "timed", 0o644, 0, 0))
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("no commit after the interval")
	}
	// Committed and checkpointed: a crash now keeps the file.
	ref := copyImage(t, img)
	fsckClean(t, ref)
	if _, err := openImage(t, ref).Walk("/timed", false); err != nil {
		t.Errorf("timed commit: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestJournalRevoke: a directory block logged by a transaction, freed in
// the next one (where it is revoked, and not reused before it commits),
// then reused as file data, keeps the data when recovery replays all
// three transactions (the journal superblock's moves lost in the crash);
// e2fsck agrees.
func TestJournalRevoke(t *testing.T) {
	for _, v3 := range []bool{false, true} {
		t.Run(fmt.Sprint("csum-v3=", v3), func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "32M")
			if v3 {
				cmds := filepath.Join(t.TempDir(), "cmds")
				os.WriteFile(cmds, []byte("jo -c\njc\n"), 0o644)
				run(t, "debugfs", "-w", "-f", cmds, img)
			}
			e, f := openRW(t, img)
			d := must[uint32](t)(e.Mkdir(RootIno, "dir", 0o755, 0, 0))
			din := must[*Inode](t)(e.Stat(d))
			dexts := must[[]Extent](t)(e.extents(din))
			dirBlock := dexts[0].Start
			e.jw.keepLogStart = true
			if err := e.Sync(); err != nil {
				t.Fatal(err)
			}
			if _, ok := e.jw.live[dirBlock]; !ok {
				t.Fatalf("directory block %d not in the live transaction", dirBlock)
			}
			if err := e.Rmdir(RootIno, "dir"); err != nil {
				t.Fatal(err)
			}
			// Not reused before the commit that frees it.
			probe := must[uint32](t)(e.Create(RootIno, "probe", 0o644, 0, 0))
			must[int](t)(e.WriteAt(probe, []byte("p"), 0))
			for _, x := range must[[]Extent](t)(e.extents(must[*Inode](t)(e.Stat(probe)))) {
				if x.Start <= dirBlock && dirBlock < x.Start+uint64(x.Len) {
					t.Errorf("block %d reused before the transaction freeing it committed", dirBlock)
				}
			}
			if err := e.Sync(); err != nil {
				t.Fatal(err)
			}
			data := bytes.Repeat([]byte("data!"), 4096/5*8)
			ino := must[uint32](t)(e.Create(RootIno, "file", 0o644, 0, 0))
			must[int](t)(e.WriteAt(ino, data, 0))
			fexts := must[[]Extent](t)(e.extents(must[*Inode](t)(e.Stat(ino))))
			reused := false
			for _, x := range fexts {
				reused = reused || x.Start <= dirBlock && dirBlock < x.Start+uint64(x.Len)
			}
			if !reused {
				t.Skipf("the allocator did not reuse block %d (%v)", dirBlock, fexts)
			}
			if err := e.Sync(); err != nil {
				t.Fatal(err)
			}
			f.Close() // crash
			if out := run(t, "debugfs", "-R", "logdump", img); !strings.Contains(out, "revoke table") {
				t.Errorf("no revoke record in the log:\n%s", out)
			}
			ref := copyImage(t, img)
			fsckReplay(t, ref)
			e2, f2 := openRW(t, img)
			defer f2.Close()
			for _, r := range []*FS{openImage(t, ref), e2} {
				ino, err := r.Walk("/file", false)
				if err != nil {
					t.Fatal(err)
				}
				if got := readAllIno(t, r, ino); !bytes.Equal(got, data) {
					t.Errorf("file data overwritten by the replay")
				}
				if _, err := r.Walk("/dir", false); err == nil {
					t.Error("removed directory back after replay")
				}
			}
			if err := e2.Close(); err != nil {
				t.Fatal(err)
			}
			fsckClean(t, img)
		})
	}
}

// TestLargeRunningTransaction: with a small journal, many operations
// commit whenever the running transaction fills a quarter of it; the log
// wraps around and the image stays clean, also after a crash.
func TestLargeRunningTransaction(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-J", "size=1", img, "64M")
	e, f := openRW(t, img)
	seq0 := e.jw.seq
	for i := 0; i < 2000; i++ {
		d := must[uint32](t)(e.Mkdir(RootIno, fmt.Sprintf("d%d", i), 0o755, 0, 0))
		must[uint32](t)(e.Create(d, "x", 0o644, 0, 0))
	}
	if n := e.jw.seq - seq0; n < 4 {
		t.Errorf("%d commits for 4000 creations in a 1 MiB journal", n)
	}
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fsckClean(t, img)
	ref := copyImage(t, img)
	fsckReplay(t, ref)
	r := openImage(t, img)
	if _, err := r.Walk("/d1999/x", false); err != nil {
		t.Error(err)
	}
}

// TestTmpfile: CreateTmpfile makes an orphan that Link names (leaving the
// orphan list) or Release deletes; one left open in a crash is deleted by
// e2fsck and by the next OpenRW alike.
func TestTmpfile(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", img, "16M")
	e, f := openRW(t, img)
	before := e.Statfs()
	tmp := func(data string) uint32 {
		ino := must[uint32](t)(e.CreateTmpfile(RootIno, 0o600, 0, 0))
		e.Hold(ino)
		must[int](t)(e.WriteAt(ino, []byte(data), 0))
		if in := must[*Inode](t)(e.Stat(ino)); in.Nlink != 0 {
			t.Fatalf("tmpfile has %d links", in.Nlink)
		}
		if sb := e.Superblock(); sb.LastOrphan != ino {
			t.Fatalf("s_last_orphan = %d, want %d", sb.LastOrphan, ino)
		}
		return ino
	}
	named := tmp("linked later")
	gone := tmp(strings.Repeat("x", 50000))
	if err := e.Link(named, RootIno, "named"); err != nil {
		t.Fatal(err)
	}
	if in := must[*Inode](t)(e.Stat(named)); in.Nlink != 1 {
		t.Errorf("linked tmpfile has %d links", in.Nlink)
	}
	if err := e.Release(gone); err != nil {
		t.Fatal(err)
	}
	if err := e.Release(named); err != nil {
		t.Fatal(err)
	}
	if sb := e.Superblock(); sb.LastOrphan != 0 {
		t.Errorf("orphan list not empty: %d", sb.LastOrphan)
	}
	if err := e.Link(gone, RootIno, "late"); err == nil {
		t.Error("linking a released tmpfile succeeded")
	}
	after := e.Statfs()
	if after.FreeInodes != before.FreeInodes-1 || after.FreeBlocks != before.FreeBlocks-1 {
		t.Errorf("statfs after: %+v, before %+v (want one inode and block in use)", after, before)
	}
	if got := readAllIno(t, e, must[uint32](t)(e.Walk("/named", false))); string(got) != "linked later" {
		t.Errorf("named reads %q", got)
	}
	tmp(strings.Repeat("y", 30000)) // open in the crash
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ref := copyImage(t, img)
	if out := fsckReplay(t, ref); strings.Count(out, "Clearing orphaned inode") != 1 {
		t.Errorf("e2fsck did not clear one orphan:\n%s", out)
	}
	e2, f2 := openRW(t, img)
	defer f2.Close()
	if s := e2.Statfs(); s.FreeInodes != after.FreeInodes || s.FreeBlocks != after.FreeBlocks {
		t.Errorf("crashed tmpfile not freed: %+v, want %+v", s, after)
	}
	if err := e2.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
}

// TestTransactionTooLarge: a running transaction larger than the whole
// log is refused (ENOSPC, and the file system turns read-only), and
// nothing of it is written, to the log or in place.
func TestTransactionTooLarge(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-J", "size=1", img, "64M")
	e, f := openRW(t, img)
	defer f.Close()
	must[uint32](t)(e.Create(RootIno, "before", 0o644, 0, 0))
	if err := e.Sync(); err != nil {
		t.Fatal(err)
	}
	before := fileSum(t, img)
	// One operation's worth of changes that no log of this size holds:
	// every inode-table block written (unchanged) in one transaction.
	e.mu.Lock()
	e.beginTx()
	buf := make([]byte, e.blockSize)
	itBlocks := uint64(e.sb.InodesPerGroup) * uint64(e.inodeSize) / uint64(e.blockSize)
	n := uint32(0)
	for g := 0; g < len(e.groups) && n <= e.jw.capacity(); g++ {
		for i := uint64(0); i < itBlocks && n <= e.jw.capacity(); i++ {
			b := e.groups[g].InodeTable() + i
			if err := e.readBlock(b, buf); err != nil {
				t.Fatal(err)
			}
			if err := e.writeBlock(b, buf); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	e.mu.Unlock()
	if err := e.Sync(); !errors.Is(err, unix.ENOSPC) {
		t.Fatalf("Sync of a %d-block transaction in a %d-block log = %v, want ENOSPC", n, e.jw.capacity(), err)
	}
	if _, err := e.Create(RootIno, "after", 0o644, 0, 0); err == nil {
		t.Error("write after a refused transaction succeeded")
	}
	if fileSum(t, img) != before {
		t.Error("the refused transaction was written to the image")
	}
	fsckClean(t, img)
}

// gatedImage is an image file whose barriers, once armed, wait for the
// test: entered gets a value when one starts, and it returns when
// release is closed.
type gatedImage struct {
	*os.File
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gatedImage) Sync() error {
	if g.armed.Load() {
		g.entered <- struct{}{}
		<-g.release
	}
	return g.File.Sync()
}

// TestCommitWithoutLock: while a commit waits on its barrier, operations
// go on in a new transaction: they see what the committing one changed
// (its blocks are not in place yet), and free and reuse blocks it logged
// without a replay bringing them back. The image is clean after a crash
// that loses the second transaction, and after a clean close.
func TestCommitWithoutLock(t *testing.T) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", img, "32M")
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g := &gatedImage{File: f, entered: make(chan struct{}, 1), release: make(chan struct{})}
	e, err := OpenRW(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	content := func(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 3000+i) }
	d := must[uint32](t)(e.Mkdir(RootIno, "d", 0o755, 0, 0))
	sub := must[uint32](t)(e.Mkdir(d, "sub", 0o755, 0, 0))
	for i := 0; i < 20; i++ {
		ino := must[uint32](t)(e.Create(d, fmt.Sprintf("f%d", i), 0o644, 0, 0))
		must[int](t)(e.WriteAt(ino, content(i), 0))
	}
	must[uint32](t)(e.Create(sub, "x", 0o644, 0, 0))
	g.armed.Store(true)
	synced := make(chan error, 1)
	go func() { synced <- e.Sync() }()
	<-g.entered // the commit is at its first barrier, without the lock
	g.armed.Store(false)
	e.cache.reset() // reads go to the image (and the transactions over it)
	ops := make(chan error, 1)
	go func() {
		ops <- func() error {
			for i := 0; i < 20; i++ {
				ino, err := e.Walk(fmt.Sprintf("/d/f%d", i), false)
				if err != nil {
					return fmt.Errorf("during the commit: %v", err)
				}
				f, err := e.OpenFile(ino)
				if err != nil {
					return err
				}
				got, err := f.ReadAll()
				if err != nil || !bytes.Equal(got, content(i)) {
					return fmt.Errorf("during the commit: f%d holds %d bytes (%v)", i, len(got), err)
				}
			}
			if err := e.Unlink(d, "f0"); err != nil {
				return err
			}
			if err := e.Unlink(sub, "x"); err != nil {
				return err
			}
			if err := e.Rmdir(d, "sub"); err != nil {
				return err
			}
			for i := 0; i < 10; i++ {
				ino, err := e.Create(d, fmt.Sprintf("g%d", i), 0o644, 0, 0)
				if err != nil {
					return err
				}
				if _, err := e.WriteAt(ino, content(i+5), 0); err != nil {
					return err
				}
			}
			return nil
		}()
	}()
	select {
	case err := <-ops:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("operations waited for the commit's barrier")
	}
	close(g.release)
	if err := <-synced; err != nil {
		t.Fatal(err)
	}
	// A crash now loses the second transaction.
	crashed := copyImage(t, img)
	fsckReplay(t, crashed)
	r := openImage(t, crashed)
	for _, p := range []string{"/d/f0", "/d/sub/x", "/d/f19"} {
		if _, err := r.Walk(p, false); err != nil {
			t.Errorf("after a crash: %s: %v", p, err)
		}
	}
	if _, err := r.Walk("/d/g0", false); err == nil {
		t.Error("after a crash: /d/g0 of the uncommitted transaction is there")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	r = openImage(t, img)
	for i := 1; i < 20; i++ {
		if got := readAllIno(t, r, mustWalk(t, r, fmt.Sprintf("/d/f%d", i))); !bytes.Equal(got, content(i)) {
			t.Errorf("f%d holds %d bytes", i, len(got))
		}
	}
	for i := 0; i < 10; i++ {
		if got := readAllIno(t, r, mustWalk(t, r, fmt.Sprintf("/d/g%d", i))); !bytes.Equal(got, content(i+5)) {
			t.Errorf("g%d holds %d bytes", i, len(got))
		}
	}
	for _, p := range []string{"/d/f0", "/d/sub"} {
		if _, err := r.Walk(p, false); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
}
