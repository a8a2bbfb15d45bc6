package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNiceInherited checks that the program starts with the nice value
// kite was started with, as a child of the shell would.
func TestNiceInherited(t *testing.T) {
	niceBin, err := exec.LookPath("nice")
	if err != nil {
		t.Skip("nice is not installed (coreutils)")
	}
	host := runCmd(t, nil, testEnv, niceBin, "-n", "5", niceBin)
	kite := underKite(runCmd(t, nil, testEnv, niceBin, "-n", "5", kiteBin, "run", "--", niceBin))
	if host != kite {
		t.Errorf("nice -n 5 nice differs between host and kite\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}

// TestProgramInPath checks that a PROGRAM without a slash is looked up in
// $PATH of the program's environment, as a shell does.
func TestProgramInPath(t *testing.T) {
	compare(t, nil, "ls", "-d", "/")
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--", "kite-no-such-program")
	if r.status != "exit 127" || !strings.Contains(r.stderr, "kite-no-such-program: command not found") {
		t.Errorf("a missing program: want exit 127 and 'command not found', got\n%s", r)
	}
	// The lookup uses the program's $PATH, not kite's.
	r = runCmd(t, nil, []string{"PATH=/kite-nowhere"}, kiteBin, "run", "--", "ls", "/")
	if r.status != "exit 127" {
		t.Errorf("ls with PATH=/kite-nowhere: want exit 127, got\n%s", r)
	}
}

// TestRootfsErrors checks that a bad --rootfs is reported as a problem
// with the root, naming it, not as an error about the program.
func TestRootfsErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.ext4")
	data := bytes.Repeat([]byte("not an image "), 10000)
	if err := os.WriteFile(garbage, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare")
	if err := os.MkdirAll(filepath.Join(bare, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		root, want string
	}{
		{filepath.Join(dir, "missing"), "no such file or directory"},
		{garbage, "not an ext2/3/4 file system"},
		{bare, "has no directory /dev"},
	} {
		r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", c.root, "--", "/bin/sh", "-c", "true")
		if r.status == "exit 0" || !strings.Contains(r.stderr, c.root) || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "/bin/sh") {
			t.Errorf("--rootfs %s: want a failure naming the root and saying %q, got\n%s", c.root, c.want, r)
		}
	}
}
