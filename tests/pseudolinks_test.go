package tests

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPseudoLinkSize compares the st_size of fixed symlinks of procfs
// (/proc/mounts: its target's length) and sysfs (/sys/class/block/NAME:
// 0) with the host's. kite's sysfs shows the disks given with --disk, so
// it gets one named as the host's first block device.
func TestPseudoLinkSize(t *testing.T) {
	need(t, "/usr/bin/stat", "/bin/sh")
	if _, err := os.Lstat("/sys/class/block/vda"); err != nil {
		t.Skipf("the host has no /sys/class/block/vda: %v", err)
	}
	img := filepath.Join(t.TempDir(), "vda.img")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	script := "stat -c '%s %F' /proc/mounts /sys/class/block/vda"
	host := runCmd(t, nil, testEnv, "/bin/sh", "-c", script)
	kite := underKite(runCmd(t, nil, testEnv, kiteBin, "run", "--disk", img, "--", "/bin/sh", "-c", script))
	if host != kite {
		t.Errorf("differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
}
