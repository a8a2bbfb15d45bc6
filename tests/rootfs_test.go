package tests

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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
	f, err := os.CreateTemp(workDir, "root-*.ext4")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	img := f.Name()
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
	if e2fsck := findE2fsck(); e2fsck != "" {
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

// TestRootfsLocked checks that kite does not use an image another
// program holds locked for writing.
func TestRootfsLocked(t *testing.T) {
	img := rootImage(t)
	f, err := os.OpenFile(img, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", img, "--", "/bin/true")
	if r.status == "exit 0" || !strings.Contains(r.stderr, "in use") {
		t.Errorf("root image locked by another program: %s", r)
	}
	r = runCmd(t, nil, testEnv, kiteBin, "run", "--disk", img, "--", "/bin/true")
	if r.status == "exit 0" || !strings.Contains(r.stderr, "in use") {
		t.Errorf("disk locked by another program: %s", r)
	}
	syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	r = runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", img, "--", "/bin/busybox", "true")
	if r.status != "exit 0" {
		t.Errorf("after unlocking: %s", r)
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

// partitioned writes a disk image with an MBR whose first partition, at
// 1 MiB, holds the file system image fsImg.
func partitioned(t *testing.T, fsImg string) string {
	t.Helper()
	data, err := os.ReadFile(fsImg)
	if err != nil {
		t.Fatal(err)
	}
	const start = 1 << 20
	disk := make([]byte, start+len(data)+start)
	e := disk[446:462]
	e[4] = 0x83
	binary.LittleEndian.PutUint32(e[8:], start/512)
	binary.LittleEndian.PutUint32(e[12:], uint32(len(data)/512))
	disk[510], disk[511] = 0x55, 0xAA
	copy(disk[start:], data)
	p := filepath.Join(workDir, t.Name()+".disk")
	if err := os.WriteFile(p, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(p) })
	return p
}

// TestDiskMount attaches two disks (a bare ext4 image and a partitioned
// one) and mounts them inside kite with mount(2).
func TestDiskMount(t *testing.T) {
	root := rootImage(t)
	vda := rootImage(t)
	vdb := partitioned(t, rootImage(t))
	script := `
ls /dev/vda /dev/vdb /dev/vdb1
mkdir /a /b
mount -t ext4 /dev/vda /a && cat /a/etc/greeting
echo on-vda > /a/new && mkdir /a/newdir
umount /a
mount -t ext4 -o ro /dev/vdb1 /b && cat /b/etc/greeting
echo nope > /b/x 2>/dev/null || echo read-only
mount -t ext4 /dev/vdb /a 2>/dev/null || echo no-fs-on-vdb
mount -t ext4 /etc/greeting /a 2>/dev/null || echo not-a-block-device
/bin/busybox blockdev --getsize64 /dev/vdb1
`
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", root, "--disk", vda, "--disk", vdb, "--", "/bin/busybox", "sh", "-c", script)
	st, err := os.Stat(rootImage(t))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("/dev/vda\n/dev/vdb\n/dev/vdb1\nhello from the image\nhello from the image\nread-only\nno-fs-on-vdb\nnot-a-block-device\n%d\n", st.Size())
	if r.status != "exit 0" || r.stdout != want {
		t.Fatalf("got %s\nwant stdout:\n%s", r, want)
	}
	if out, err := exec.Command(kiteBin, "image", "cat", vda, "/new").CombinedOutput(); err != nil || string(out) != "on-vda\n" {
		t.Errorf("kite image cat /new: %v: %q", err, out)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", vda).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
}

func findE2fsck() string {
	if p, err := exec.LookPath("e2fsck"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/e2fsck", "/sbin/e2fsck"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func hostTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p
		}
	}
	t.Skipf("%s is not installed", name)
	return ""
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestDiskMountVfat mounts a FAT32 image made by mkfs.vfat inside kite,
// writes long names, and checks the image with fsck.vfat; the mounted
// file system's st_dev is the disk's st_rdev, as on Linux.
func TestDiskMountVfat(t *testing.T) {
	root := rootImage(t)
	mkfs := hostTool(t, "mkfs.vfat")
	fsck := hostTool(t, "fsck.vfat")
	f, err := os.CreateTemp(workDir, "fat-*.img")
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	img := f.Name()
	os.Remove(img)
	defer os.Remove(img)
	if out, err := exec.Command(mkfs, "-F", "32", "-C", img, "40000").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.vfat: %v\n%s", err, out)
	}
	script := `
mkdir /f
mount -t vfat -o uid=1000,gid=100,umask=027 /dev/vda /f
d=$(stat -c %d /f); set -- $(stat -c '%t %T' /dev/vda)
[ "$d" = $(( (0x$1 << 8) | 0x$2 )) ] && echo st_dev is the disk || echo "st_dev $d, disk $1:$2"
mkdir "/f/Long Directory Name"
echo hello > "/f/Long Directory Name/Some File.txt"
cat "/f/LONG DIRECTORY NAME/some file.TXT"
ls -ln "/f/Long Directory Name" | grep -v ^total | while read mode n uid gid rest; do echo $mode $uid $gid; done
mv "/f/Long Directory Name" /f/renamed
ls /f
ln -s x /f/link 2>/dev/null || echo no-symlinks
umount /f
mount -t vfat -o ro /dev/vda /f
cat "/f/renamed/Some File.txt"
`
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--rootfs", root, "--disk", img, "--", "/bin/busybox", "sh", "-c", script)
	want := "st_dev is the disk\nhello\n-rwxr-x--- 1000 100\nrenamed\nno-symlinks\nhello\n"
	if r.status != "exit 0" || r.stdout != want {
		t.Fatalf("got %s\nwant stdout:\n%s", r, want)
	}
	if out, err := exec.Command(fsck, "-n", img).CombinedOutput(); err != nil {
		t.Errorf("fsck.vfat -n: %v\n%s", err, out)
	}
	if mtype, err := exec.LookPath("mtype"); err == nil {
		cmd := exec.Command(mtype, "-i", img, "::/renamed/Some File.txt")
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
		if out, err := cmd.CombinedOutput(); err != nil || string(out) != "hello\n" {
			t.Errorf("mtype: %v: %q", err, out)
		}
	}
}
