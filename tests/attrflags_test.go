package tests

import (
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestAttrFlagsExt4 runs fs_attrflags in a directory of an ext4 image
// root (--rw-root) and in one of the host's disk file system (ext4 on
// these machines): ext4's flags (extents, those it only stores),
// ext4_setattr's refusals, inheritance from the directory; the image is
// e2fsck-clean afterwards.
func TestAttrFlagsExt4(t *testing.T) {
	bin := buildC(t, filepath.Join("progs", "fs_attrflags.c"), variants[0])
	dir := t.TempDir()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil || st.Type != 0xef53 {
		t.Skipf("%s is not on ext4 (statfs type %#x, %v)", dir, st.Type, err)
	}
	img := ext4Image(t, bin)
	host := runCmd(t, nil, append(testEnv, "ATTR_DIR="+dir), bin)
	kite := underKite(runCmd(t, nil, append(testEnv, "ATTR_DIR=/data"), kiteBin, "run", "--rw-root", "--rootfs", img, "--", "/prog"))
	if host != kite {
		t.Errorf("fs_attrflags on ext4 differs\n--- host:\n%s\n--- kite:\n%s", host, kite)
	}
	if e2fsck := findE2fsck(); e2fsck != "" {
		if out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
	}
}

// TestChattr runs e2fsprogs' chattr and lsattr on a tmpfs file
// (/dev/shm) on the host and under kite: immutable, append-only and
// no-dump flags, what they refuse, and a flag tmpfs lacks.
func TestChattr(t *testing.T) {
	need(t, "/usr/bin/chattr", "/usr/bin/lsattr", "/bin/sh")
	script := `d=$(mktemp -d /dev/shm/kite-chattr-XXXXXX)
cd $d
echo data > f
mkdir sub
chattr +i f; echo "chattr +i $?"
chattr +d sub; echo "chattr +d $?"
lsattr f; lsattr -d sub
(echo more >> f) 2>/dev/null; echo "append to immutable $?"
rm -f f 2>&1 | sed "s|$d|DIR|"
chattr -i +a f; lsattr f
echo more >> f; echo "append $?"
truncate -s 0 f 2>/dev/null; echo "truncate $?"
cat f
chattr -a f; lsattr f
chattr +e f 2>&1 | sed "s|$d|DIR|"; lsattr -l f
cd / && rm -rf $d && echo removed`
	compare(t, nil, "/bin/sh", "-c", script)
}
