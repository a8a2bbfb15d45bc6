package tests

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestImmutableMappingExt4 runs mm_immutable in a directory of an ext4
// image root (--rw-root) and in one of the host's disk file system (ext4
// on these machines): writes through shared mappings of an immutable
// ext4 file are SIGBUS (EFAULT for the kernel's), pages written before
// the flag too, and work again once it is cleared; shared mappings of
// an append-only file are EACCES. The image is e2fsck-clean afterwards.
// (TestPrograms runs it on tmpfs, which takes the writes.)
func TestImmutableMappingExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "mm_immutable.c"), variants[0])
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0xef53 {
		t.Skipf("%s is not on ext4 (statfs type %#x, %v)", dir, st.Type, err)
	}
	img := ext4Image(t, bin)
	host := runCmd(t, nil, append(testEnv, "ATTR_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "ATTR_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("mm_immutable on ext4 differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
}
