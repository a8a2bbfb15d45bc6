package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLockedMounts checks that the mounts kite sets up (/tmp, /proc, /dev,
// /sys) cannot be unmounted, moved or bound without their submounts by
// root inside kite, so that nothing of the host below them shows: a file
// in the host's /tmp must stay invisible.
func TestLockedMounts(t *testing.T) {
	bb := busybox(t)
	marker, err := os.CreateTemp("/tmp", "kite-host-marker-")
	if err != nil {
		t.Fatal(err)
	}
	marker.Close()
	defer os.Remove(marker.Name())
	name := filepath.Base(marker.Name())
	steps := []string{
		"umount /tmp", "umount -l /tmp", "umount /proc", "umount -l /dev",
		"mount --move /tmp /mnt", "mount --bind / /mnt", "mount --rbind / /mnt",
	}
	var script strings.Builder
	for _, s := range steps {
		fmt.Fprintf(&script, "%s 2>/dev/null; echo \"%s: $?\"; ls /tmp/%s /mnt/tmp/%s 2>/dev/null; ", s, s, name, name)
	}
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--", bb, "sh", "-c", script.String()+"true")
	want := "umount /tmp: 1\numount -l /tmp: 1\numount /proc: 1\numount -l /dev: 1\n" +
		"mount --move /tmp /mnt: 255\nmount --bind / /mnt: 255\nmount --rbind / /mnt: 0\n"
	if r.stdout != want || r.status != "exit 0" {
		t.Errorf("kite's mounts are not locked:\n%s\nwant stdout:\n%s", r, want)
	}
}
