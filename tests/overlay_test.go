package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOverlayRoot checks `kite run --overlay`: the program may write
// anywhere in the root, sees its own changes, and the host directory is
// left exactly as it was.
func TestOverlayRoot(t *testing.T) {
	bb := busybox(t)
	dir := filepath.Join(workDir, "overlay-root")
	if err := os.MkdirAll(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"dev", "proc", "sys", "tmp", "etc"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	if err := os.WriteFile(filepath.Join(dir, "etc", "motd"), []byte("lower\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `cat /etc/motd; echo upper > /etc/motd; cat /etc/motd; mkdir -p /new/dir && echo made > /new/dir/f; cat /new/dir/f; rm /etc/motd; ls /etc; echo done`
	out, err := exec.Command(kiteBin, "run", "--rootfs", dir, "--overlay", "--", "/bin/busybox", "sh", "-c", script).CombinedOutput()
	if err != nil {
		t.Fatalf("kite run --overlay: %v\n%s", err, out)
	}
	if want := "lower\nupper\nmade\ndone\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "etc", "motd")); err != nil || string(b) != "lower\n" {
		t.Errorf("the host file changed: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !os.IsNotExist(err) {
		t.Errorf("a directory made under kite appeared on the host: %v", err)
	}
	// Without --overlay the root is read-only.
	out, _ = exec.Command(kiteBin, "run", "--rootfs", dir, "--", "/bin/busybox", "sh", "-c", "echo x > /etc/motd").CombinedOutput()
	if want := "sh: can't create /etc/motd: Read-only file system\n"; string(out) != want {
		t.Errorf("read-only root: %q, want %q", out, want)
	}
}

// TestVarTmpWritable checks /var/tmp under a read-only root: the program
// sees the files of the root's /var/tmp and may write there, as on
// Linux, while nothing it writes reaches the host; the rest of /var
// stays read-only.
func TestVarTmpWritable(t *testing.T) {
	bb := busybox(t)
	dir := filepath.Join(workDir, "vartmp-root")
	for _, d := range []string{"bin", "dev", "proc", "sys", "tmp", "var/tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(filepath.Join(dir, "var/tmp"), 0o1777)
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "var/tmp/host"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `cat /var/tmp/host; echo mine > /var/tmp/new && cat /var/tmp/new; echo changed > /var/tmp/host; cat /var/tmp/host; mkdir /var/tmp/d && echo ok; ls /var/tmp; echo x > /var/nope`
	out, _ := exec.Command(kiteBin, "run", "--rootfs", dir, "--", "/bin/busybox", "sh", "-c", script).CombinedOutput()
	want := "from the host\nmine\nchanged\nok\nd\nhost\nnew\nsh: can't create /var/nope: Read-only file system\n"
	if string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "var/tmp/host")); err != nil || string(b) != "from the host\n" {
		t.Errorf("the host file changed: %q, %v", b, err)
	}
	for _, name := range []string{"new", "d"} {
		if _, err := os.Stat(filepath.Join(dir, "var/tmp", name)); !os.IsNotExist(err) {
			t.Errorf("%s made under kite appeared on the host: %v", name, err)
		}
	}
}
