package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSharedMappingExt4 runs mm_shared_file on an ext4 image root written
// through its journal (--rw-root): shared mappings go through the page
// cache and must behave as on the host (whose /var/tmp is a disk file
// system). A file written only through a shared mapping and msync'ed
// must be in the image afterwards (debugfs reads it), and e2fsck must
// find the image clean.
func TestSharedMappingExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "mm_shared_file.c"), variants[0])
	src := filepath.Join(t.TempDir(), "tree")
	if err := os.MkdirAll(filepath.Join(src, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "prog"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(t.TempDir(), "root.ext4")
	if out, err := exec.Command(kiteBin, "image", "build", "-o", img, "--size", "64M", "--from", src).CombinedOutput(); err != nil {
		t.Fatalf("kite image build: %v\n%s", err, out)
	}

	host := runCmd(t, nil, append(testEnv, "MM_SHARED_DIR="+workDir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "MM_SHARED_DIR=/data", "MM_SHARED_KEEP=1"),
		kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	want := host
	want.stdout += "keep msync = 0\n"
	if kite != want {
		t.Errorf("mm_shared_file on ext4 differs\n--- host:\n%s\n--- kite:\n%s", want, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
	debugfs := hostTool(t, "debugfs")
	out, err := exec.Command(debugfs, "-R", "cat /data/kept", img).Output()
	if err != nil || !strings.Contains(string(out), "persisted through a shared mapping\n") {
		t.Errorf("debugfs cat /data/kept: %v: %q", err, out)
	}
}
