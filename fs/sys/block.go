package sys

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/proc"
)

// Disk is a block device to show: a whole disk and its partitions.
type Disk struct {
	Name         string // "vda"
	Major, Minor uint32
	Size         int64 // bytes
	ReadOnly     bool
	// MinorsPerDisk is how many minor numbers the disk owns (its own
	// and its partitions'): sysfs's range and ext_range.
	MinorsPerDisk int
	Partitions    []DiskPartition
}

// DiskPartition is one partition of a Disk, in bytes from the disk's
// start.
type DiskPartition struct {
	Name         string // "vda1"
	Num          int
	Major, Minor uint32
	Start, Size  int64
}

// sectorSize is the unit of sysfs's size and start, and kite's disks'
// logical and physical block size.
const sectorSize = 512

// blockDirs fills /sys/block, /sys/class/block, /sys/dev/block and
// /sys/devices/virtual/block with disks, as Linux shows virtual block
// devices: /sys/block/NAME, /sys/class/block/NAME and
// /sys/dev/block/MAJ:MIN are links to the device's directory, which holds
// its attributes (dev, size in sectors, ro, removable, range, queue's
// block sizes, uevent) and a directory per partition (with partition,
// start and size). lsblk and blkid read them.
func blockDirs(b *builder, root *dirInode, disks []Disk) {
	virtual := root.children["devices"].(*dirInode).children["virtual"].(*dirInode)
	vblock := b.dir()
	virtual.add("block", vblock)
	class := root.children["class"].(*dirInode)
	classBlock := b.dir()
	class.add("block", classBlock)
	devBlock := b.dir()
	root.children["dev"].(*dirInode).add("block", devBlock)
	sysBlock := root.children["block"].(*dirInode)
	for _, d := range disks {
		dir := b.dir()
		ro := "0"
		if d.ReadOnly {
			ro = "1"
		}
		attrs := map[string]string{
			"dev":               fmt.Sprintf("%d:%d", d.Major, d.Minor),
			"size":              fmt.Sprint(d.Size / sectorSize),
			"ro":                ro,
			"removable":         "0",
			"range":             fmt.Sprint(d.MinorsPerDisk),
			"ext_range":         fmt.Sprint(d.MinorsPerDisk),
			"alignment_offset":  "0",
			"discard_alignment": "0",
			"uevent":            fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=disk", d.Major, d.Minor, d.Name),
		}
		for name, v := range attrs {
			dir.add(name, b.file(v+"\n"))
		}
		queue := b.dir()
		for _, name := range []string{"logical_block_size", "physical_block_size", "hw_sector_size", "minimum_io_size"} {
			queue.add(name, b.file(fmt.Sprint(sectorSize)+"\n"))
		}
		queue.add("optimal_io_size", b.file("0\n"))
		dir.add("queue", queue)
		dir.add("holders", b.dir())
		dir.add("slaves", b.dir())
		vblock.add(d.Name, dir)
		sysBlock.add(d.Name, b.link("../devices/virtual/block/"+d.Name))
		classBlock.add(d.Name, b.link("../../devices/virtual/block/"+d.Name))
		devBlock.add(fmt.Sprintf("%d:%d", d.Major, d.Minor), b.link("../../devices/virtual/block/"+d.Name))
		for _, p := range d.Partitions {
			pd := b.dir()
			attrs := map[string]string{
				"dev":               fmt.Sprintf("%d:%d", p.Major, p.Minor),
				"partition":         fmt.Sprint(p.Num),
				"start":             fmt.Sprint(p.Start / sectorSize),
				"size":              fmt.Sprint(p.Size / sectorSize),
				"ro":                ro,
				"alignment_offset":  "0",
				"discard_alignment": "0",
				"uevent":            fmt.Sprintf("MAJOR=%d\nMINOR=%d\nDEVNAME=%s\nDEVTYPE=partition\nPARTN=%d", p.Major, p.Minor, p.Name, p.Num),
			}
			for name, v := range attrs {
				pd.add(name, b.file(v+"\n"))
			}
			pd.add("holders", b.dir())
			dir.add(p.Name, pd)
			classBlock.add(p.Name, b.link("../../devices/virtual/block/"+d.Name+"/"+p.Name))
			devBlock.add(fmt.Sprintf("%d:%d", p.Major, p.Minor), b.link("../../devices/virtual/block/"+d.Name+"/"+p.Name))
		}
	}
}

// linkInode is a symbolic link of the tree.
type linkInode struct{ proc.FixedLink }

func (b *builder) link(target string) *linkInode {
	b.ino++
	return &linkInode{proc.FixedLink{Ino: b.ino, Time: b.ts, Target: target, SysfsSize: true}}
}

func (l *linkInode) dirent() (uint64, uint8) { return l.Ino, unix.DT_LNK }
