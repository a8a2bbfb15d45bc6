package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestRandomOps applies a long random series of operations to an image
// and to an in-memory model, compares the two, and has e2fsck check the
// image. EXT4_RANDOM_STEPS and EXT4_RANDOM_SEED run other series by hand;
// EXT4_RANDOM_VERIFY=1 checks every file after every step.
func TestRandomOps(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		seed int64
		size string
	}{
		{"4k", []string{"-t", "ext4", "-b", "4096"}, 1, "64M"},
		{"1k", []string{"-t", "ext4", "-b", "1024"}, 2, "64M"},
		{"nocsum", []string{"-t", "ext4", "-b", "1024", "-O", "^metadata_csum,^64bit"}, 3, "64M"},
		// Small enough to run out of blocks and inodes often.
		{"full", []string{"-t", "ext4", "-b", "1024", "-N", "400"}, 4, "3M"},
	} {
		t.Run(c.name, func(t *testing.T) { randomOps(t, c.args, c.seed, c.size) })
	}
}

// rfile is the model of one regular file.
type rfile struct {
	data   []byte
	xattrs map[string]string
}

func randomOps(t *testing.T, mkfsArgs []string, seed int64, size string) {
	img := filepath.Join(t.TempDir(), "img")
	run(t, "mke2fs", append(append([]string{"-q", "-F"}, mkfsArgs...), img, size)...)
	full := 0
	nospc := func(err error) bool {
		if errors.Is(err, unix.ENOSPC) {
			full++
			return true
		}
		return false
	}
	e, f := openRW(t, img)
	defer func() { f.Close() }()
	// Every so often a create or write "crashes" after its journal commit;
	// the image is then reopened, which must replay the operation.
	crashes := 0
	arm := func(step int) bool {
		if e.jw == nil || step%97 != 96 {
			return false
		}
		e.jw.crashAfterCommit = true
		return true
	}
	// crashed reopens the image if the armed operation crashed (whether
	// it reported the crash or an earlier error such as ENOSPC); it
	// returns err without the crash.
	crashed := func(armed bool, err error) error {
		if !armed {
			return err
		}
		e.jw.crashAfterCommit = false
		if !errors.Is(e.txErr, errSimulatedCrash) {
			return err
		}
		crashes++
		f.Close()
		e, f = openRW(t, img)
		if errors.Is(err, errSimulatedCrash) {
			return nil
		}
		return err
	}
	if n, err := strconv.Atoi(os.Getenv("EXT4_RANDOM_SEED")); err == nil {
		seed += int64(n) // other series by hand
	}
	rng := rand.New(rand.NewSource(seed))
	files := map[string]*rfile{} // path -> file (shared by hard links)
	dirs := map[string]bool{"/": true}
	links := map[string]string{} // symlink path -> target
	pick := func(m map[string]bool) string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys[rng.Intn(len(keys))]
	}
	pickFile := func() string {
		keys := make([]string, 0, len(files))
		for k := range files {
			keys = append(keys, k)
		}
		if len(keys) == 0 {
			return ""
		}
		sort.Strings(keys)
		return keys[rng.Intn(len(keys))]
	}
	ino := func(p string) uint32 {
		i, err := e.Walk(p, false)
		if err != nil {
			t.Fatalf("walk %s: %v", p, err)
		}
		return i
	}
	split := func(p string) (uint32, string) { return ino(path.Dir(p)), path.Base(p) }
	steps := 3000
	if n, err := strconv.Atoi(os.Getenv("EXT4_RANDOM_STEPS")); err == nil {
		steps = n // longer runs by hand
	}
	verify := os.Getenv("EXT4_RANDOM_VERIFY") != ""
	lastOp := ""
	for step := 0; step < steps; step++ {
		if verify {
			for p := range files {
				i, err := e.Walk(p, false)
				var fl *File
				if err == nil {
					fl, err = e.OpenFile(i)
				}
				if err != nil {
					t.Fatalf("before step %d (after %s): %s: %v", step, lastOp, p, err)
				}
				if fl.Size() != int64(len(files[p].data)) {
					t.Fatalf("before step %d (after %s): %s: size %d, want %d", step, lastOp, p, fl.Size(), len(files[p].data))
				}
			}
		}
		op := rng.Intn(125)
		lastOp = fmt.Sprint("op ", op)
		switch {
		case op >= 110 && op < 114: // symlink, fast or slow
			q := path.Join(pick(dirs), fmt.Sprintf("s%d", step))
			target := strings.Repeat("t", 1+rng.Intn(150))
			di, name := split(q)
			if _, err := e.Symlink(di, name, target, 0, 0); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d symlink %s: %v", step, q, err)
			}
			links[q] = target
		case op >= 114 && op < 116: // remove a symlink
			var ls []string
			for l := range links {
				ls = append(ls, l)
			}
			if len(ls) == 0 {
				continue
			}
			sort.Strings(ls)
			q := ls[rng.Intn(len(ls))]
			di, name := split(q)
			if err := e.Unlink(di, name); err != nil {
				t.Fatalf("step %d unlink symlink %s: %v", step, q, err)
			}
			delete(links, q)
		case op >= 116 && op < 121: // set or remove an xattr
			p := pickFile()
			if p == "" {
				continue
			}
			rf := files[p]
			name := fmt.Sprintf("user.k%d", rng.Intn(6))
			if _, ok := rf.xattrs[name]; ok && rng.Intn(3) == 0 {
				if err := e.RemoveXattr(ino(p), name); err != nil {
					t.Fatalf("step %d removexattr %s: %v", step, p, err)
				}
				delete(rf.xattrs, name)
				continue
			}
			val := strings.Repeat(string(rune('a'+rng.Intn(26))), rng.Intn(400))
			if err := e.SetXattr(ino(p), name, []byte(val), 0); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d setxattr %s: %v", step, p, err)
			}
			if rf.xattrs == nil {
				rf.xattrs = map[string]string{}
			}
			rf.xattrs[name] = val
		case op >= 121: // exchange two files
			p, q := pickFile(), pickFile()
			if p == "" || files[p] == files[q] {
				continue
			}
			pd, pn := split(p)
			qd, qn := split(q)
			if err := e.Exchange(pd, pn, qd, qn); err != nil {
				t.Fatalf("step %d exchange %s %s: %v", step, p, q, err)
			}
			files[p], files[q] = files[q], files[p]
		case op >= 100 && op < 105: // hard link
			p := pickFile()
			if p == "" {
				continue
			}
			q := path.Join(pick(dirs), fmt.Sprintf("l%d", step))
			di, name := split(q)
			if err := e.Link(ino(p), di, name); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d link %s %s: %v", step, p, q, err)
			}
			files[q] = files[p]
		case op >= 105 && op < 110: // fallocate: reserve or punch
			p := pickFile()
			if p == "" {
				continue
			}
			cur := files[p].data
			off, n := rng.Intn(len(cur)+8192), rng.Intn(30000)+1
			lastOp = fmt.Sprintf("fallocate %s size %d off %d len %d", p, len(cur), off, n)
			if rng.Intn(2) == 0 {
				if err := e.Allocate(ino(p), 0, int64(off), int64(n)); nospc(err) {
					continue // may have reserved part: sizes unchanged below
				} else if err != nil {
					t.Fatalf("step %d allocate %s: %v", step, p, err)
				}
				if off+n > len(cur) {
					cur = append(cur, make([]byte, off+n-len(cur))...)
				}
			} else {
				if err := e.Allocate(ino(p), FallocPunchHole|FallocKeepSize, int64(off), int64(n)); nospc(err) {
					continue // splitting an extent needed a block: nothing changed
				} else if err != nil {
					t.Fatalf("step %d punch %s: %v", step, p, err)
				}
				if off < len(cur) {
					clear(cur[off:min(off+n, len(cur))])
				}
			}
			files[p].data = cur
		case op < 25: // create
			d := pick(dirs)
			p := path.Join(d, fmt.Sprintf("f%d-%s-%s", step, string(rune('a'+rng.Intn(26))), "a-longer-name-to-fill-blocks"[:rng.Intn(28)]))
			di, name := split(p)
			armed := arm(step)
			_, err := e.Create(di, name, 0o644, 0, 0)
			if err = crashed(armed, err); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d create %s: %v", step, p, err)
			}
			files[p] = &rfile{}
		case op < 50: // write
			p := pickFile()
			if p == "" {
				continue
			}
			off := rng.Intn(200000)
			if rng.Intn(4) == 0 {
				off = len(files[p].data) // append
			}
			data := make([]byte, rng.Intn(20000)+1)
			rng.Read(data)
			armed := arm(step)
			n, err := e.WriteAt(ino(p), data, int64(off))
			lastOp = fmt.Sprintf("write %s size %d off %d len %d: %d, %v", p, len(files[p].data), off, len(data), n, err)
			err = crashed(armed, err)
			if err != nil && !nospc(err) {
				t.Fatalf("step %d write %s: %v", step, p, err)
			}
			data = data[:n]
			if n == 0 {
				continue
			}
			cur := files[p].data
			if len(cur) < off+len(data) {
				cur = append(cur, make([]byte, off+len(data)-len(cur))...)
			}
			copy(cur[off:], data)
			files[p].data = cur
		case op < 58: // truncate
			p := pickFile()
			if p == "" {
				continue
			}
			n := rng.Intn(len(files[p].data) + 5000)
			if err := e.Truncate(ino(p), int64(n)); err != nil {
				t.Fatalf("step %d truncate %s: %v", step, p, err)
			}
			cur := files[p].data
			if n <= len(cur) {
				cur = cur[:n]
			} else {
				cur = append(cur, make([]byte, n-len(cur))...)
			}
			files[p].data = cur
		case op < 66: // mkdir (rarely: directories should grow large)
			if rng.Intn(8) != 0 || len(dirs) > 6 {
				continue
			}
			d := pick(dirs)
			p := path.Join(d, fmt.Sprintf("d%d", step))
			di, name := split(p)
			if _, err := e.Mkdir(di, name, 0o755, 0, 0); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d mkdir %s: %v", step, p, err)
			}
			dirs[p] = true
		case op < 78: // unlink
			p := pickFile()
			if p == "" {
				continue
			}
			di, name := split(p)
			if err := e.Unlink(di, name); err != nil {
				t.Fatalf("step %d unlink %s: %v", step, p, err)
			}
			delete(files, p)
		case op < 82: // rmdir (of an empty directory)
			d := pick(dirs)
			if d == "/" {
				continue
			}
			empty := true
			for p := range files {
				if path.Dir(p) == d {
					empty = false
				}
			}
			for p := range dirs {
				if p != d && path.Dir(p) == d {
					empty = false
				}
			}
			for p := range links {
				if path.Dir(p) == d {
					empty = false
				}
			}
			di, name := split(d)
			err := e.Rmdir(di, name)
			if empty && err != nil || !empty && !errors.Is(err, unix.ENOTEMPTY) {
				t.Fatalf("step %d rmdir %s (empty %v): %v", step, d, empty, err)
			}
			if empty {
				delete(dirs, d)
			}
		default: // rename a file, maybe over another
			p := pickFile()
			if p == "" {
				continue
			}
			var q string
			if rng.Intn(3) == 0 {
				q = pickFile()
			} else {
				q = path.Join(pick(dirs), fmt.Sprintf("r%d", step))
			}
			od, on := split(p)
			nd, nn := split(q)
			if err := e.Rename(od, on, nd, nn); nospc(err) {
				continue
			} else if err != nil {
				t.Fatalf("step %d rename %s %s: %v", step, p, q, err)
			}
			if files[p] != files[q] { // links to one inode: nothing happens
				files[q] = files[p]
				delete(files, p)
			}
		}
	}
	check := func(e *FS) {
		t.Helper()
		for p, want := range files {
			i, err := e.Walk(p, false)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if got := readAllIno(t, e, i); !bytes.Equal(got, want.data) {
				t.Fatalf("%s: %d bytes, want %d", p, len(got), len(want.data))
			}
			xs, err := e.Xattrs(i)
			if err != nil {
				t.Fatalf("%s: xattrs: %v", p, err)
			}
			if len(xs) != len(want.xattrs) {
				t.Fatalf("%s: %d xattrs, want %d", p, len(xs), len(want.xattrs))
			}
			for _, x := range xs {
				if want.xattrs[x.Name] != string(x.Value) {
					t.Fatalf("%s: xattr %s differs", p, x.Name)
				}
			}
		}
		for p, target := range links {
			i, err := e.Walk(p, false)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if got, err := e.Readlink(i); err != nil || got != target {
				t.Fatalf("%s: readlink %q, %v; want %q", p, got, err, target)
			}
		}
	}
	check(e)
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	fsckClean(t, img)
	check(openImage(t, img))
	t.Logf("%d files, %d directories, %d ENOSPC, %d crashes", len(files), len(dirs), full, crashes)
}
