package tests

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/block"
)

// TestDiskSysfs attaches a partitioned disk and a read-only one (an
// immutable image file) and lists them with util-linux's lsblk and
// blockdev, which read /sys/block, /sys/dev/block and the devices'
// attributes, and with the attributes themselves; an ext4 file system
// mounted from a third disk has the disk's device number (stat's
// st_dev, mountinfo's MAJ:MIN).
func TestDiskSysfs(t *testing.T) {
	need(t, "/usr/bin/lsblk", "/usr/sbin/blockdev", "/bin/sh")
	dir := t.TempDir()
	const start, partSize = 1 << 20, 8 << 20
	disk := make([]byte, start+partSize+start)
	e := disk[446:462]
	e[4] = 0x83
	binary.LittleEndian.PutUint32(e[8:], start/512)
	binary.LittleEndian.PutUint32(e[12:], partSize/512)
	disk[510], disk[511] = 0x55, 0xAA
	vda := filepath.Join(dir, "vda.img")
	vdb := filepath.Join(dir, "vdb.img")
	const vdbSize = 4 << 20
	if err := os.WriteFile(vda, disk, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(vdb, make([]byte, vdbSize), 0o444); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		// root opens a mode 0444 file for writing: make it immutable.
		if out, err := exec.Command("chattr", "+i", vdb).CombinedOutput(); err != nil {
			t.Skipf("chattr +i: %v %s", err, out)
		}
		defer exec.Command("chattr", "-i", vdb).Run()
	}
	script := `/usr/bin/lsblk -b -P -o NAME,MAJ:MIN,RM,SIZE,RO,TYPE
/usr/sbin/blockdev --getsize64 /dev/vda /dev/vda1 /dev/vdb
/usr/sbin/blockdev --getro /dev/vdb
cat /sys/block/vda/vda1/start /sys/block/vda/queue/logical_block_size /sys/dev/block/` + fmt.Sprintf("%d:1", block.Major) + `/partition
readlink /sys/block/vdb
mkdir /tmp/m && mount -t ext4 /dev/vdc /tmp/m && stat -c %D /tmp/m/etc && /usr/bin/mountpoint -d /tmp/m`
	vdc := rootImage(t)
	r := runCmd(t, nil, testEnv, kiteBin, "run", "--disk", vda, "--disk", vdb, "--disk", vdc, "--", "/bin/sh", "-c", script)
	m := block.Major
	st, err := os.Stat(vdc)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`NAME="vda" MAJ:MIN="%d:0" RM="0" SIZE="%d" RO="0" TYPE="disk"
NAME="vda1" MAJ:MIN="%d:1" RM="0" SIZE="%d" RO="0" TYPE="part"
NAME="vdb" MAJ:MIN="%d:%d" RM="0" SIZE="%d" RO="1" TYPE="disk"
NAME="vdc" MAJ:MIN="%d:%d" RM="0" SIZE="%d" RO="0" TYPE="disk"
%d
%d
%d
1
%d
512
1
../devices/virtual/block/vdb
%x
%d:%d
`, m, len(disk), m, partSize, m, block.PartsPerDisk, vdbSize, m, 2*block.PartsPerDisk, st.Size(), len(disk), partSize, vdbSize, start/512,
		unix.Mkdev(uint32(m), 2*block.PartsPerDisk), m, 2*block.PartsPerDisk)
	if r.status != "exit 0" || r.stdout != want {
		t.Errorf("got %s\nwant stdout:\n%s", r, want)
	}
}
