package image

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestAddHostProgram(t *testing.T) {
	prog := "/bin/ls"
	if _, err := os.Stat(prog); err != nil {
		t.Skip("no /bin/ls")
	}
	tree := NewTree()
	added, err := tree.AddHostProgram(prog, "/usr/bin/ls")
	if err != nil {
		t.Fatal(err)
	}
	interp, needed, _, err := elfDeps(prog)
	if err != nil || interp == "" || len(needed) == 0 {
		t.Skipf("%s is not dynamically linked (%q, %v, %v)", prog, interp, needed, err)
	}
	img := filepath.Join(t.TempDir(), "img")
	if err := BuildFile(tree, img, Options{}); err != nil {
		t.Fatal(err)
	}
	fsck(t, img)
	e := openImage(t, img)
	sawLibc := false
	for _, p := range added {
		host := p
		if p == "/usr/bin/ls" {
			host = prog
		}
		want, _ := os.ReadFile(host)
		ino, err := e.Walk(p, true)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		f, _ := e.OpenFile(ino)
		got, _ := f.ReadAll()
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the host's", p)
		}
		if filepath.Base(p) == "libc.so.6" {
			sawLibc = true
		}
	}
	if !sawLibc {
		t.Errorf("libc.so.6 not among %v", added)
	}
	if _, err := e.Walk(interp, true); err != nil {
		t.Errorf("interpreter %s missing: %v", interp, err)
	}
	if _, err := tree.AddHostProgram("/nonexistent/prog", "/x"); err == nil {
		t.Error("missing program accepted")
	}
}
