package tests

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileAttrHost runs fileattr_calls in a host directory written
// through hostfs (kite do --rw) and on the host: file_getattr,
// file_setattr and the FS_IOC_*FLAGS and FS_IOC_FS*XATTR ioctls reach the
// host file, so what the host's file system keeps and refuses (ext4's
// extent-size hints, sync and DAX flags) is the same, and kite checks
// ownership and CAP_LINUX_IMMUTABLE first.
func TestFileAttrHost(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "fileattr_calls.c"), variants[0])
	dir := filepath.Join(workDir, "fileattr-host")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(append([]string{}, testEnv...), "ATTR_DIR="+dir)
	host := runCmd(t, nil, env, bin)
	kite := underKite(runCmd(t, nil, env, kiteBin, "do", "--rw", dir, "--", bin))
	if host != kite {
		t.Errorf("fileattr_calls through hostfs differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}

// TestOverlayExt4Upper runs ext4progs/overlay_immutable in a directory of
// an ext4 image root under kite (--rw-root) and of the host's disk file
// system (ext4 on these machines): an overlay passes its ext4 upper
// file's refusal of writes to an immutable file on (vfs.WriteRefuser).
func TestOverlayExt4Upper(t *testing.T) {
	bin := buildC(t, filepath.Join("ext4progs", "overlay_immutable.c"), variants[0])
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0xef53 {
		t.Skipf("%s is not on ext4 (statfs type %#x, %v)", dir, st.Type, err)
	}
	img := ext4Image(t, bin)
	host := runCmd(t, nil, append(testEnv, "ATTR_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "ATTR_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("overlay_immutable differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
