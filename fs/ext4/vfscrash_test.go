package ext4

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kite-os/kite/vfs"
	"golang.org/x/sys/unix"
)

// barrierImage is an image file that keeps, at each barrier (Sync), a
// copy of what the file holds then: what a crash right after that
// barrier leaves on the disk (writes since the barrier may all be lost).
type barrierImage struct {
	*os.File
	mu   sync.Mutex
	snap []byte
}

func (b *barrierImage) Sync() error {
	if err := b.File.Sync(); err != nil {
		return err
	}
	st, err := b.File.Stat()
	if err != nil {
		return err
	}
	snap := make([]byte, st.Size())
	if _, err := b.File.ReadAt(snap, 0); err != nil {
		return err
	}
	b.mu.Lock()
	b.snap = snap
	b.mu.Unlock()
	return nil
}

// TestVFSCrashAfterFsync writes through the VFS (open, write, close,
// rename, unlink, as programs do), fsyncs the files and the directory,
// and then "crashes": the image is what the disk held at the last
// barrier of the fsync's commit (its checkpoint, written after that
// barrier, is lost) and the in-memory file system is dropped. The next
// open must replay the journal and find every fsynced change, and not
// the operations that came after the fsync; e2fsck must pass the
// replayed image, and its own replay of the crashed image must agree.
func TestVFSCrashAfterFsync(t *testing.T) {
	img := mkImage(t)
	file, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	dev := &barrierImage{File: file}
	v := vfs.New()
	// No timed commit and no background writeback: only the fsyncs
	// commit.
	efs, err := OpenRW(dev, Options{Now: v.NowTimespec, CommitInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	fsys := NewFilesystem(v, efs, file)
	defer fsys.Close() // (after the crash image was taken)
	fsys.flushMu.Lock()
	fsys.flusher.Stop()
	fsys.flusher = nil
	fsys.flushMu.Unlock()
	ns, err := v.NewMountNamespace(vroot, fsys, 0)
	if err != nil {
		t.Fatal(err)
	}
	tr := &vtree{t: t, v: v, fs: fsys, fsc: vfs.NewFSContext(ns.Root())}
	fsync := func(path string) {
		t.Helper()
		f, err := tr.open(path, unix.O_RDONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.DecRef(vroot)
		if err := f.Sync(vroot, false); err != nil {
			t.Fatalf("fsync %s: %v", path, err)
		}
	}
	if err := v.MkdirAt(vroot, tr.fsc, tr.fsc.Cwd(), "/d", 0o755); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := 0; i < 300; i++ {
		name := fmt.Sprintf("/d/f%03d", i)
		data := strings.Repeat(fmt.Sprintf("%d,", i), 1+i*i%700)
		tr.write(name, data, unix.O_EXCL)
		want[name] = data
	}
	for i := 0; i < 300; i += 7 {
		name := fmt.Sprintf("/d/f%03d", i)
		if err := v.UnlinkAt(vroot, tr.fsc, tr.fsc.Cwd(), name); err != nil {
			t.Fatal(err)
		}
		delete(want, name)
	}
	if err := v.RenameAt(vroot, tr.fsc, tr.fsc.Cwd(), "/d/f001", tr.fsc.Cwd(), "/d/renamed", 0); err != nil {
		t.Fatal(err)
	}
	want["/d/renamed"] = want["/d/f001"]
	delete(want, "/d/f001")
	tr.write("/etc/hostname", "crashed\n", unix.O_TRUNC)
	want["/etc/hostname"] = "crashed\n"
	for name := range want {
		fsync(name)
	}
	fsync("/d")
	// After the fsync: lost in the crash.
	tr.write("/d/lost", "lost", unix.O_EXCL)
	if err := v.UnlinkAt(vroot, tr.fsc, tr.fsc.Cwd(), "/d/f002"); err != nil {
		t.Fatal(err)
	}

	dev.mu.Lock()
	snap := dev.snap
	dev.mu.Unlock()
	crashed := filepath.Join(t.TempDir(), "crashed")
	if err := os.WriteFile(crashed, snap, 0o644); err != nil {
		t.Fatal(err)
	}
	if out := run(t, "dumpe2fs", "-h", crashed); !strings.Contains(out, "needs_recovery") {
		t.Fatal("crashed image does not need recovery")
	}
	// Without the replay the fsynced changes are not all there: the
	// checkpoint was lost.
	if cf, err := os.Open(crashed); err != nil {
		t.Fatal(err)
	} else {
		stale, err := Open(cf, Options{IgnoreRecovery: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := stale.Walk("/d/renamed", false); err == nil {
			t.Error("the crashed image holds the fsynced rename without a replay: the test crashes too late")
		}
		cf.Close()
	}
	ref := copyImage(t, crashed)
	fsckReplay(t, ref) // e2fsck's replay

	check := func(p string) {
		t.Helper()
		tr2 := mountImage(t, p, true) // replays the journal (ours for crashed)
		for name, data := range want {
			if got := tr2.read(name); got != data {
				t.Errorf("%s: %s holds %d bytes %.20q, want %d bytes %.20q", filepath.Base(p), name, len(got), got, len(data), data)
			}
		}
		names := tr2.list("/d")
		if len(names) != len(want)-1 {
			t.Errorf("%s: /d holds %d names, want %d", filepath.Base(p), len(names), len(want)-1)
		}
		for _, n := range names {
			if _, ok := want["/d/"+n]; !ok {
				t.Errorf("%s: /d/%s is there", filepath.Base(p), n)
			}
		}
		tr2.close()
		fsckClean(t, p)
	}
	check(crashed)
	check(ref)
	// The two replays left the same files (their blocks may differ where
	// the replay and e2fsck free orphans differently: compare contents).
	a, b := mountImage(t, crashed, false), mountImage(t, ref, false)
	defer a.close()
	defer b.close()
	if !bytes.Equal([]byte(strings.Join(a.list("/d"), "\n")), []byte(strings.Join(b.list("/d"), "\n"))) {
		t.Error("the replays left different names in /d")
	}
}
