package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// rootImage builds an ext4 image with `kite image build --from` from a
// tree holding /bin/busybox and a few files.
func rootImage(t *testing.T) string {
	t.Helper()
	bb := busybox(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "tree")
	for _, d := range []string{"bin", "etc", "home/user"} {
		if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "bin/busybox"), data, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "etc/greeting"), []byte("hello from the image\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("busybox", filepath.Join(src, "bin/sh")); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(workDir, t.Name()+".ext4")
	t.Cleanup(func() { os.Remove(img) })
	out, err := exec.Command(kiteBin, "image", "build", "-o", img, "--size", "64M", "--from", src).CombinedOutput()
	if err != nil {
		t.Fatalf("kite image build: %v\n%s", err, out)
	}
	return img
}

// script is what the program does in the image root: read, write,
// rename and remove files, make directories, and use /proc and /tmp.
const rootfsScript = `
cat /etc/greeting
echo changed > /etc/greeting
cat /etc/greeting
mkdir -p /data/a/b
i=0; while [ $i -lt 150 ]; do echo $i > /data/a/b/f$i; i=$((i+1)); done
rm /data/a/b/f1*
mv /data/a /data/moved
ls /data/moved/b | wc -l
ln -s /etc/greeting /data/link
cat /data/link
ln /etc/greeting /data/hard
rm /home/user -r
ls /
echo tmp > /tmp/x && cat /tmp/x
/bin/busybox readlink /proc/self/exe
`

const rootfsWant = `hello from the image
changed
changed
bin
data
dev
etc
home
lost+found
proc
sys
tmp
tmp
/bin/busybox
`

// wantCount is `ls /data/moved/b | wc -l`: 150 files minus f1, f10..f19
// and f100..f149.
const wantCount = "89"

func checkRootfsOutput(t *testing.T, r result) {
	t.Helper()
	if r.status != "exit 0" {
		t.Fatalf("kite run: %s", r)
	}
	lines := strings.Split(r.stdout, "\n")
	if len(lines) < 3 || strings.TrimSpace(lines[2]) != wantCount {
		t.Fatalf("file count: %s", r)
	}
	got := strings.Join(append(lines[:2:2], lines[3:]...), "\n")
	if got != rootfsWant {
		t.Errorf("output:\n%s\nwant:\n%s\n%s", got, rootfsWant, r)
	}
}

// TestRootfsImage runs a shell from an ext4 image root: the program can
// write (into a memory layer) and the image stays byte-identical.
func TestRootfsImage(t *testing.T) {
	img := rootImage(t)
	before, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", img, "--", "/bin/busybox", "sh", "-c", rootfsScript)
	checkRootfsOutput(t, r)
	after, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the image changed without --rw-root")
	}
	// A second run sees the image as built.
	r = runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", img, "--", "/bin/sh", "-c", "cat /etc/greeting; ls /data 2>&1")
	if r.status == "exit 0" || !strings.HasPrefix(r.stdout, "hello from the image\n") {
		t.Errorf("second run: %s", r)
	}
}

// TestRootfsImageRW runs the same script with --rw-root: the changes land
// in the image, which e2fsck finds clean, and a later run sees them.
func TestRootfsImageRW(t *testing.T) {
	img := rootImage(t)
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/bin/busybox", "sh", "-c", rootfsScript)
	checkRootfsOutput(t, r)
	e2fsck, err := exec.LookPath("e2fsck")
	if err != nil {
		for _, p := range []string{"/usr/sbin/e2fsck", "/sbin/e2fsck"} {
			if _, err := os.Stat(p); err == nil {
				e2fsck = p
			}
		}
	}
	if e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	} else {
		t.Log("e2fsck not installed: image not checked")
	}
	r = runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", img, "--", "/bin/sh", "-c", "cat /etc/greeting /data/hard; ls /data/moved/b | wc -l; ls /home")
	if r.status != "exit 0" || r.stdout != "changed\nchanged\n"+wantCount+"\n" {
		t.Errorf("second run: %s", r)
	}
	out, err := exec.Command(kiteBin, "image", "cat", img, "/data/link").CombinedOutput()
	if err != nil || string(out) != "changed\n" {
		t.Errorf("kite image cat /data/link: %v: %q", err, out)
	}
}

// TestRootfsFlags checks the errors of the root options.
func TestRootfsFlags(t *testing.T) {
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rw-root", "--rootfs", "/", "--", "/bin/true")
	if r.status == "exit 0" || !strings.Contains(r.stderr, "--rw-root") {
		t.Errorf("--rw-root with a directory: %s", r)
	}
	notImage := filepath.Join(workDir, "not-an-image")
	if err := os.WriteFile(notImage, bytes.Repeat([]byte{1}, 4096), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(notImage)
	r = runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", notImage, "--", "/bin/true")
	if r.status == "exit 0" || !strings.Contains(r.stderr, "not an ext2/3/4 image") {
		t.Errorf("a file that is no image: %s", r)
	}
}
