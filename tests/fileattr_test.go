package tests

import (
	"os"
	"path/filepath"
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
