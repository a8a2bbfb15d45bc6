package tests

import (
	"path/filepath"
	"syscall"
	"testing"
)

// TestWillneedExt4 runs mm_willneed in a directory of an ext4 image root
// and in one of the host's disk file system (ext4 on these machines):
// MADV_WILLNEED fills the page cache of a mapped ext4 file, which kite
// otherwise fills only when a mapping touches a page. (TestPrograms runs
// it in /var/tmp, host files under kite.)
func TestWillneedExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "mm_willneed.c"), variants[0])
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0xef53 {
		t.Skipf("%s is not on ext4 (statfs type %#x, %v)", dir, st.Type, err)
	}
	img := ext4Image(t, bin)
	host := runCmd(t, nil, append(testEnv, "WILLNEED_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "WILLNEED_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("mm_willneed on ext4 differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
