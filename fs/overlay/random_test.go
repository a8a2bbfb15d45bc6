package overlay_test

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/overlay"
	"github.com/kite-os/kite/fs/tmpfs"
	"github.com/kite-os/kite/vfs"
)

// Random operation sequences on an overlay and on a plain tmpfs that
// started as a copy of the lower layer give the same results, except that
// renaming a directory a lower layer has gives EXDEV on the overlay; the
// lower layer never changes. OVERLAY_RANDOM_SEED repeats a run;
// OVERLAY_RANDOM_STEPS makes it longer.
func TestRandomAgainstModel(t *testing.T) {
	seed := time.Now().UnixNano()
	if s := os.Getenv("OVERLAY_RANDOM_SEED"); s != "" {
		seed, _ = strconv.ParseInt(s, 10, 64)
	}
	steps := 3000
	if s := os.Getenv("OVERLAY_RANDOM_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	deadline := time.Now().Add(20 * time.Second)
	for run := 0; run < 4 && time.Now().Before(deadline); run++ {
		s := seed + int64(run)
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			t.Logf("seed %d", s)
			randomRun(t, rand.New(rand.NewSource(s)), steps)
		})
	}
}

var randomNames = []string{"d0", "d1", "f0", "f1", "f2"}

func randomPath(r *rand.Rand) string {
	p := ""
	for depth := 1 + r.Intn(3); depth > 0; depth-- {
		p += "/" + randomNames[r.Intn(len(randomNames))]
	}
	return p
}

func populate(tr *tree, r *rand.Rand) {
	for i := 0; i < 40; i++ {
		p := randomPath(r)
		if strings.Contains(p[strings.LastIndex(p, "/"):], "d") {
			_ = tr.v.MkdirAt(root, tr.fsc, tr.cwd(), p, 0o755)
			continue
		}
		f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), p, unix.O_WRONLY|unix.O_CREAT, 0o644)
		if err != nil {
			continue
		}
		f.Write(root, []byte(strings.Repeat(p, 1+r.Intn(3))))
		f.DecRef(root)
	}
	// Some hard links, which the overlay must keep sharing data.
	for i := 0; i < 10; i++ {
		_ = tr.v.LinkAt(root, tr.fsc, tr.cwd(), randomPath(r), tr.cwd(), randomPath(r), false)
	}
}

// shape describes a tree for comparison: types, permissions, data, link
// targets and listings (not times, link counts or inode numbers).
func shape(tr *tree) map[string]string {
	out := make(map[string]string)
	var walk func(p string)
	walk = func(p string) {
		st := tr.mustStat(p)
		desc := fmt.Sprintf("%o", st.Mode)
		switch st.Type() {
		case unix.S_IFREG:
			desc += " " + tr.mustRead(p)
		case unix.S_IFLNK:
			l, _ := tr.v.ReadlinkAt(root, tr.fsc, tr.cwd(), p)
			desc += " -> " + l
		}
		out[p] = desc
		if st.Type() == unix.S_IFDIR {
			names := tr.list(p)
			out[p] += " " + strings.Join(names, ",")
			for _, n := range names {
				walk(strings.TrimSuffix(p, "/") + "/" + n)
			}
		}
	}
	walk("/")
	return out
}

func randomRun(t *testing.T, r *rand.Rand, steps int) {
	v := vfs.New()
	lowerFS, refFS := tmpfs.New(v, tmpfs.Options{Mode: 0o755}), tmpfs.New(v, tmpfs.Options{Mode: 0o755})
	lower, ref := mount(t, v, lowerFS), mount(t, v, refFS)
	seed := r.Int63()
	populate(lower, rand.New(rand.NewSource(seed)))
	populate(ref, rand.New(rand.NewSource(seed)))
	lowerShape := shape(lower)
	// lowerDirs are the overlay's directories that a lower layer has.
	lowerDirs := make(map[string]bool)
	for p := range lowerShape {
		if st := lower.mustStat(p); st.Type() == unix.S_IFDIR {
			lowerDirs[p] = true
		}
	}
	upperFS := tmpfs.New(v, tmpfs.Options{})
	fs, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, upperFS)
	if err != nil {
		t.Fatal(err)
	}
	ov := mount(t, v, fs)
	inos := make(map[string]uint64)
	defer func() {
		if t.Failed() {
			return
		}
		// The upper layer holds the changes in Linux's format: a new
		// overlay of the same layers shows the same tree.
		fs2, err := overlay.New(root, v, []vfs.Filesystem{lowerFS}, upperFS)
		if err != nil {
			t.Fatal(err)
		}
		if a, b := shape(mount(t, v, fs2)), shape(ov); fmt.Sprint(a) != fmt.Sprint(b) {
			for k := range b {
				if a[k] != b[k] {
					t.Errorf("%s: remounted %q, overlay %q", k, a[k], b[k])
				}
			}
			t.Fatal("remounted overlay differs")
		}
	}()

	for step := 0; step < steps; step++ {
		p, q := randomPath(r), randomPath(r)
		var op string
		var do func(tr *tree) error
		k := r.Intn(12)
		if r.Intn(40) == 0 {
			k = 12
		}
		switch k {
		case 12:
			op = "rmtree " + p
			do = func(tr *tree) error { return rmtree(tr, p) }
		case 0, 1:
			off := int64(r.Intn(20))
			data := []byte(fmt.Sprintf("<%d>", step))
			flags := unix.O_WRONLY | unix.O_CREAT
			if r.Intn(4) == 0 {
				flags |= unix.O_TRUNC
			}
			op = fmt.Sprintf("write %s at %d flags %#x", p, off, flags)
			do = func(tr *tree) error {
				f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), p, flags, 0o640)
				if err != nil {
					return err
				}
				defer f.DecRef(root)
				_, err = f.Pwrite(root, data, off)
				return err
			}
		case 2:
			op = "append " + p
			do = func(tr *tree) error {
				f, err := tr.v.OpenAt(root, tr.fsc, tr.cwd(), p, unix.O_WRONLY|unix.O_APPEND, 0)
				if err != nil {
					return err
				}
				defer f.DecRef(root)
				_, err = f.Write(root, []byte("+"))
				return err
			}
		case 3:
			op = "unlink " + p
			do = func(tr *tree) error { return tr.v.UnlinkAt(root, tr.fsc, tr.cwd(), p) }
		case 4:
			op = "rmdir " + p
			do = func(tr *tree) error { return tr.v.RmdirAt(root, tr.fsc, tr.cwd(), p) }
		case 5:
			op = "mkdir " + p
			do = func(tr *tree) error { return tr.v.MkdirAt(root, tr.fsc, tr.cwd(), p, 0o750) }
		case 6, 7:
			flags := uint32(0)
			switch r.Intn(6) {
			case 0:
				flags = vfs.RenameNoReplace
			case 1:
				flags = vfs.RenameExchange
			}
			op = fmt.Sprintf("rename %s %s %d", p, q, flags)
			do = func(tr *tree) error { return tr.v.RenameAt(root, tr.fsc, tr.cwd(), p, tr.cwd(), q, flags) }
		case 8:
			size := int64(r.Intn(10))
			op = fmt.Sprintf("truncate %s %d", p, size)
			do = func(tr *tree) error {
				pp, err := tr.v.GetPath(root, tr.fsc, tr.cwd(), p, true)
				if err != nil {
					return err
				}
				return tr.v.Truncate(root, pp, size)
			}
		case 9:
			mode := uint32(r.Intn(0o1000))
			op = fmt.Sprintf("chmod %s %o", p, mode)
			do = func(tr *tree) error {
				pp, err := tr.v.GetPath(root, tr.fsc, tr.cwd(), p, false)
				if err != nil {
					return err
				}
				return tr.v.Chmod(root, pp, mode|0o700)
			}
		case 10:
			op = "link " + p + " " + q
			do = func(tr *tree) error { return tr.v.LinkAt(root, tr.fsc, tr.cwd(), p, tr.cwd(), q, false) }
		case 11:
			op = "symlink " + q + " " + p
			do = func(tr *tree) error { return tr.v.SymlinkAt(root, tr.fsc, "zz"+q, tr.cwd(), p) }
		}
		oerr := do(ov)
		if os.Getenv("OVERLAY_DEBUG") != "" {
			t.Logf("step %d: %s: %v", step, op, oerr)
		}
		if oerr == unix.EXDEV && strings.HasPrefix(op, "rename") {
			if !lowerDirs[p] && !lowerDirs[q] {
				t.Fatalf("step %d: %s: EXDEV for directories no lower layer has", step, op)
			}
			continue
		}
		rerr := do(ref)
		if oerr != rerr {
			t.Fatalf("step %d: %s: overlay %v, model %v", step, op, oerr, rerr)
		}
		if oerr == nil {
			if strings.HasPrefix(op, "rm") || strings.HasPrefix(op, "rename") && p != q {
				for d := range lowerDirs {
					if d == p || strings.HasPrefix(d, p+"/") ||
						strings.HasPrefix(op, "rename") && (d == q || strings.HasPrefix(d, q+"/")) {
						delete(lowerDirs, d)
					}
				}
			}
			// A file keeps its inode number through writes and attribute
			// changes (copy-ups); names that changed are forgotten.
			keeps := strings.HasPrefix(op, "write") || strings.HasPrefix(op, "append") ||
				strings.HasPrefix(op, "truncate") || strings.HasPrefix(op, "chmod")
			if st, err := ov.stat(p); err == nil && keeps {
				if ino, ok := inos[p]; ok && ino != st.Ino {
					t.Fatalf("step %d: %s: inode of %s changed %d -> %d", step, op, p, ino, st.Ino)
				}
			}
			for k := range inos {
				if k == p || k == q || strings.HasPrefix(k, p+"/") || strings.HasPrefix(k, q+"/") {
					delete(inos, k)
				}
			}
			if st, err := ov.stat(p); err == nil {
				inos[p] = st.Ino
			}
		}
		if step%200 == 199 || step == steps-1 {
			os, rs := shape(ov), shape(ref)
			if fmt.Sprint(os) != fmt.Sprint(rs) {
				for k := range rs {
					if os[k] != rs[k] {
						t.Errorf("%s: overlay %q, model %q", k, os[k], rs[k])
					}
				}
				for k := range os {
					if _, ok := rs[k]; !ok {
						t.Errorf("%s: overlay %q, model has none", k, os[k])
					}
				}
				t.Fatalf("step %d: trees differ", step)
			}
			for k, ino := range inos {
				if st, err := ov.stat(k); err == nil && st.Ino != ino && st.Type() == unix.S_IFREG {
					t.Fatalf("step %d: inode of %s changed %d -> %d", step, k, ino, st.Ino)
				}
			}
			if fmt.Sprint(shape(lower)) != fmt.Sprint(lowerShape) {
				t.Fatalf("step %d: lower layer changed", step)
			}
		}
	}
}

// rmtree removes p and everything below it, as rm -r.
func rmtree(tr *tree, p string) error {
	st, err := tr.stat(p)
	if err != nil {
		return err
	}
	if st.Type() != unix.S_IFDIR {
		return tr.v.UnlinkAt(root, tr.fsc, tr.cwd(), p)
	}
	for _, n := range tr.list(p) {
		if err := rmtree(tr, p+"/"+n); err != nil {
			return err
		}
	}
	return tr.v.RmdirAt(root, tr.fsc, tr.cwd(), p)
}
