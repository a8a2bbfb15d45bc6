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

// captureStdout runs fn with os.Stdout sent to a file and returns what
// it wrote.
func captureStdout(t *testing.T, fn func() int) (string, int) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stdout
	os.Stdout = f
	st := fn()
	os.Stdout = old
	data, _ := os.ReadFile(f.Name())
	return string(data), st
}

// TestImageSpecLsCat builds a spec with users, files and a config and
// reads them back with kite image ls and cat.
func TestImageSpecLsCat(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec.toml")
	os.WriteFile(spec, []byte(`time = 1700000000
[[group]]
name = "staff"
gid = 50
[[user]]
name = "ann"
uid = 1001
groups = ["staff"]
[[file]]
path = "/etc/motd"
content = "hi\n"
owner = "ann:staff"
mode = "0640"
[[symlink]]
path = "/etc/issue"
target = "motd"
[config]
cmd = ["/bin/sh"]
`), 0o644)
	img := filepath.Join(dir, "a.ext4")
	if st := imageMain([]string{"build", "-o", img, "--label", "lbl", spec}); st != 0 {
		t.Fatalf("image build: status %d", st)
	}
	for _, c := range []struct{ verb, path, want string }{
		{"cat", "/etc/passwd", "ann:x:1001:1001::/home/ann:/bin/sh\n"},
		{"cat", "/etc/group", "staff:x:50:ann\nann:x:1001:\n"},
		{"cat", "/etc/issue", "hi\n"},
		{"cat", "/etc/kite/config.toml", "cmd = [\"/bin/sh\"]\n"},
		{"ls", "/etc", "-rw-r-----   1  1001    50          3 2023-11-14 22:13 motd\n"},
		{"ls", "/etc", "lrwxrwxrwx   1     0     0          4 2023-11-14 22:13 issue -> motd\n"},
		{"ls", "/home", "drwxr-xr-x   2  1001  1001       4096 2023-11-14 22:13 ann\n"},
	} {
		out, st := captureStdout(t, func() int { return imageMain([]string{c.verb, img, c.path}) })
		if st != 0 || !strings.Contains(out, c.want) {
			t.Errorf("kite image %s %s: status %d\n%s\nwant a line %q", c.verb, c.path, st, out, c.want)
		}
	}
}
