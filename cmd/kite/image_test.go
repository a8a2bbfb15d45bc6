package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kite-os/kite/image"
)

// TestImageDefaultCommand: an image built from a spec with [config] gives
// kite run its program, environment and working directory; an image
// without one still needs a program.
func TestImageDefaultCommand(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.toml")
	os.WriteFile(spec, []byte("[[dir]]\npath = \"/srv\"\n\n[config]\ncmd = [\"/bin/echo\", \"hi\"]\nenv = [\"A=1\"]\nworkdir = \"/srv\"\n"), 0o644)
	img := filepath.Join(dir, "a.ext4")
	if st := imageMain([]string{"build", "-o", img, spec}); st != 0 {
		t.Fatalf("image build: status %d", st)
	}
	var sink strings.Builder
	o, st := parseRunFlags([]string{"--rootfs", img}, &sink)
	if st != -1 || strings.Join(o.argv, " ") != "/bin/echo hi" || strings.Join(o.env, " ") != "A=1" || o.workdir != "/srv" {
		t.Errorf("parse = %+v, %d (%s)", o, st, sink.String())
	}
	// A program on the command line wins.
	o, st = parseRunFlags([]string{"--rootfs", img, "--", "/bin/true"}, &sink)
	if st != -1 || strings.Join(o.argv, " ") != "/bin/true" || o.env != nil || o.workdir != "" {
		t.Errorf("parse with a program = %+v, %d", o, st)
	}
	tree := image.NewTree()
	plain := filepath.Join(dir, "plain.ext4")
	if err := image.BuildFile(tree, plain, image.Options{}); err != nil {
		t.Fatal(err)
	}
	if _, st := parseRunFlags([]string{"--rootfs", plain}, &sink); st != 2 {
		t.Errorf("image without a config: status %d, want 2", st)
	}
	// A spec error names the line.
	os.WriteFile(spec, []byte("[[file]]\npath = \"/x\"\n"), 0o644)
	if st := imageMain([]string{"build", "-o", img, spec}); st != 1 {
		t.Errorf("bad spec: status %d, want 1", st)
	}
}
