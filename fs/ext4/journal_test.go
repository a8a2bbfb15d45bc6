package ext4

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// journalImage makes an image whose journal holds committed transactions
// that were never checkpointed (debugfs's journal commands), so it needs
// recovery. Transaction 1 rewrites the first block of /a with 'B's and
// the first block of /c with 'C's; transaction 2 revokes /c's block again.
func journalImage(t *testing.T, csum bool) (img string, aBlocks []string) {
	needTool(t, "debugfs")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(t, filepath.Join(src, "a"), bytes.Repeat([]byte("A"), 8192))
	writeFile(t, filepath.Join(src, "c"), bytes.Repeat([]byte("c"), 4096))
	img = filepath.Join(dir, "img")
	run(t, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "4096", "-d", src, img, "32M")
	blocks := func(p string) []string {
		out := strings.TrimSpace(run(t, "debugfs", "-R", "blocks "+p, img))
		lines := strings.Split(out, "\n")
		return strings.Fields(lines[len(lines)-1])
	}
	aBlocks, cBlocks := blocks("/a"), blocks("/c")
	newB := filepath.Join(dir, "b")
	os.WriteFile(newB, bytes.Repeat([]byte("B"), 4096), 0o644)
	newC := filepath.Join(dir, "cc")
	os.WriteFile(newC, bytes.Repeat([]byte("C"), 4096), 0o644)
	jo := "jo"
	if csum {
		jo = "jo -c"
	}
	script := fmt.Sprintf("%s\njw -b %s %s\njw -b %s %s\njc\njo\njw -r %s\njc\n", jo, aBlocks[0], newB, cBlocks[0], newC, cBlocks[0])
	cmds := filepath.Join(dir, "cmds")
	os.WriteFile(cmds, []byte(script), 0o644)
	run(t, "debugfs", "-w", "-f", cmds, img)
	if out := run(t, "dumpe2fs", "-h", img); !strings.Contains(out, "needs_recovery") {
		t.Fatalf("image does not need recovery:\n%s", out)
	}
	return img, aBlocks
}

func fileSum(t *testing.T, p string) [32]byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

func TestJournalReplay(t *testing.T) {
	wantA := append(bytes.Repeat([]byte("B"), 4096), bytes.Repeat([]byte("A"), 4096)...)
	wantC := bytes.Repeat([]byte("c"), 4096) // the revoke undoes the 'C' write
	check := func(t *testing.T, e *FS, how string) {
		t.Helper()
		for p, want := range map[string][]byte{"/a": wantA, "/c": wantC} {
			ino, err := e.Walk(p, false)
			if err != nil {
				t.Fatalf("%s: %s: %v", how, p, err)
			}
			if got := readAllIno(t, e, ino); !bytes.Equal(got, want) {
				t.Errorf("%s: %s reads %q...", how, p, got[:8])
			}
		}
	}
	for _, csum := range []bool{false, true} {
		t.Run(fmt.Sprint("csum=", csum), func(t *testing.T) {
			img, _ := journalImage(t, csum)
			// e2fsck's own replay is the reference.
			ref := img + ".ref"
			data, _ := os.ReadFile(img)
			os.WriteFile(ref, data, 0o644)
			exec.Command(needTool(t, "e2fsck"), "-fy", ref).Run()
			check(t, openImage(t, ref), "after e2fsck")

			// Read-only: replayed in memory, the image untouched.
			before := fileSum(t, img)
			check(t, openImage(t, img), "read-only replay")
			if fileSum(t, img) != before {
				t.Error("read-only open wrote to the image")
			}
			if _, err := Open(bytes.NewReader(data), Options{IgnoreRecovery: true}); err != nil {
				t.Errorf("IgnoreRecovery open: %v", err)
			}

			// Read-write: replayed into the image, which is then clean.
			e, f := openRW(t, img)
			check(t, e, "read-write replay")
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if sb := openImage(t, img).Superblock(); sb.HasIncompat(IncompatRecover) {
				t.Error("needs_recovery still set after Close")
			}
			fsckClean(t, img)
			check(t, openImage(t, img), "reopened")
			if out := run(t, "debugfs", "-R", "logdump", img); !strings.Contains(out, "Journal starts at block 0") &&
				!strings.Contains(out, "No magic number at block") {
				t.Errorf("journal not empty after replay:\n%s", out)
			}
		})
	}
}

// FuzzJournal corrupts the first journal blocks (superblock, descriptor,
// data, commit, revoke) of an image that needs recovery; the first input
// byte picks the block, the rest overwrites it.
func FuzzJournal(f *testing.F) {
	dir := f.TempDir()
	src := filepath.Join(dir, "src")
	writeFile(f, filepath.Join(src, "a"), bytes.Repeat([]byte("A"), 8192))
	img := filepath.Join(dir, "img")
	run(f, "mke2fs", "-q", "-F", "-t", "ext4", "-b", "1024", "-J", "size=1", "-U", "0b6c5e2a-2f1c-4d3b-9a8e-1c2d3e4f5a6b",
		"-E", "hash_seed=6f1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8", "-d", src, img, "4M")
	newB := filepath.Join(dir, "b")
	os.WriteFile(newB, bytes.Repeat([]byte("B"), 1024), 0o644)
	cmds := filepath.Join(dir, "cmds")
	os.WriteFile(cmds, []byte("jo -c\njw -b 300,301 "+newB+"\njc\njo -c\njw -r 301\njc\n"), 0o644)
	run(f, "debugfs", "-w", "-f", cmds, img)
	base, err := os.ReadFile(img)
	if err != nil {
		f.Fatal(err)
	}
	e, err := Open(bytes.NewReader(base), Options{IgnoreRecovery: true})
	if err != nil {
		f.Fatal(err)
	}
	jf, err := e.OpenFile(JournalIno)
	if err != nil {
		f.Fatal(err)
	}
	jstart := int64(jf.Extents()[0].Start) * 1024
	for b := 0; b < 6; b++ {
		f.Add(append([]byte{byte(b)}, base[jstart+int64(b)*1024:jstart+int64(b)*1024+64]...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		img := bytes.Clone(base)
		off := jstart + int64(data[0]%8)*1024
		copy(img[off:off+1024], data[1:])
		exercise(img)
		if e, err := OpenRW(memImage(img), Options{}); err == nil {
			e.Create(RootIno, "x", 0o644, 0, 0)
		}
	})
}

// TestJournaledWriteCrash stops a write operation between its journal
// commit and its checkpoint; the next open must replay it, and e2fsck's
// own recovery of the same log must agree.
func TestJournaledWriteCrash(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		v3   bool // switch the journal to checksum v3 (and 64-bit tags)
	}{
		{"plain", []string{"-t", "ext4", "-b", "4096"}, false},
		{"1k", []string{"-t", "ext4", "-b", "1024"}, false},
		{"csum-v3", []string{"-t", "ext4", "-b", "4096"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "src")
			writeFile(t, filepath.Join(src, "old"), []byte("old contents"))
			img := filepath.Join(t.TempDir(), "img")
			run(t, "mke2fs", append(append([]string{"-q", "-F", "-d", src}, c.args...), img, "32M")...)
			if c.v3 {
				cmds := filepath.Join(t.TempDir(), "cmds")
				os.WriteFile(cmds, []byte("jo -c\njc\n"), 0o644)
				run(t, "debugfs", "-w", "-f", cmds, img)
				if out := run(t, "dumpe2fs", "-h", img); !strings.Contains(out, "journal_checksum_v3") {
					t.Fatalf("no checksum v3 journal:\n%s", out)
				}
			}
			e, f := openRW(t, img)
			if e.jw == nil {
				t.Fatal("no journal writer")
			}
			// A few committed and checkpointed operations first.
			d := must[uint32](t)(e.Mkdir(RootIno, "dir", 0o755, 0, 0))
			ino := must[uint32](t)(e.Create(d, "committed", 0o644, 0, 0))
			must[int](t)(e.WriteAt(ino, []byte("committed data"), 0))
			// Then one that "crashes" after its commit block.
			must[uint32](t)(e.Create(d, "crashed", 0o600, 0, 0))
			e.jw.crashAfterCommit = true
			if err := e.Sync(); !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("crashing Sync = %v", err)
			}
			if _, err := e.Create(d, "after", 0o600, 0, 0); err == nil {
				t.Fatal("write after a journal failure succeeded")
			}
			f.Close()
			if out := run(t, "dumpe2fs", "-h", img); !strings.Contains(out, "needs_recovery") {
				t.Fatal("crashed image does not need recovery")
			}
			// e2fsck replays our log: the result must be clean.
			ref := img + ".ref"
			data, _ := os.ReadFile(img)
			os.WriteFile(ref, data, 0o644)
			if out, err := exec.Command(needTool(t, "e2fsck"), "-fy", ref).CombinedOutput(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 1 {
					t.Fatalf("e2fsck -fy: %v\n%s", err, out)
				}
			}
			fsckClean(t, ref)
			for _, p := range []string{img, ref} {
				r := openImage(t, p) // replays in memory for img
				if _, err := r.Walk("/dir/crashed", false); err != nil {
					t.Errorf("%s: the committed Create was lost: %v", filepath.Base(p), err)
				}
				if got := readAllIno(t, r, must[uint32](t)(r.Walk("/dir/committed", false))); string(got) != "committed data" {
					t.Errorf("%s: committed = %q", filepath.Base(p), got)
				}
			}
			// Our own replay, then e2fsck.
			e2, f2 := openRW(t, img)
			if _, err := e2.Walk("/dir/crashed", false); err != nil {
				t.Errorf("after replay: %v", err)
			}
			must[uint32](t)(e2.Create(d, "after replay", 0o644, 0, 0))
			if err := e2.Close(); err != nil {
				t.Fatal(err)
			}
			f2.Close()
			fsckClean(t, img)
		})
	}
}
