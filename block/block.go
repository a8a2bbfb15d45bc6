package block

import (
	"fmt"
	"io"
	"sync"

	"golang.org/x/sys/unix"
)

// Major is the block major number of attached disks (Linux gives
// virtio_blk a dynamic major; 254 is what it usually gets). Minor numbers
// are disk*PartsPerDisk+partition, as virtio_blk's.
const (
	Major        = 254
	PartsPerDisk = 16
	SectorSize   = 512
	// MaxDisks is how many disks get names (vda..vdz).
	MaxDisks = 26
)

// Backing is the storage of a disk: an open image file.
type Backing interface {
	io.ReaderAt
	io.WriterAt
	Sync() error
}

// Image is one disk to attach.
type Image struct {
	// Name says which image it is in errors (its path).
	Name     string
	Backing  Backing
	Size     int64
	Writable bool
}

// Device is one disk or partition: a byte range of a disk's backing.
type Device struct {
	Name     string // "vda", "vda1"
	Rdev     uint64
	Size     int64
	Writable bool

	backing Backing
	off     int64
}

// ReadAt reads within the device, as io.ReaderAt.
func (b *Device) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= b.Size {
		return 0, io.EOF
	}
	short := false
	if rem := b.Size - off; int64(len(p)) > rem {
		p, short = p[:rem], true
	}
	n, err := b.backing.ReadAt(p, b.off+off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// WriteAt writes within the device; past its end is ENOSPC, and a
// read-only device is EROFS.
func (b *Device) WriteAt(p []byte, off int64) (int, error) {
	if !b.Writable {
		return 0, unix.EROFS
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= b.Size {
		return 0, unix.ENOSPC
	}
	if rem := b.Size - off; int64(len(p)) > rem {
		n, err := b.backing.WriteAt(p[:rem], b.off+off)
		if err == nil {
			err = unix.ENOSPC
		}
		return n, err
	}
	return b.backing.WriteAt(p, b.off+off)
}

// Start returns where a partition begins on its disk (0 for a disk).
func (b *Device) Start() int64 { return b.off }

// Sync flushes the backing (fsync on the device, and ext4's barriers).
func (b *Device) Sync() error { return b.backing.Sync() }

// Disks is a set of attached disks and their partitions.
type Disks struct {
	devs []*Device // disks and partitions, in /dev order

	mu sync.Mutex
	// byRdev is guarded by mu (read by mount(2) and open(2)).
	byRdev map[uint64]*Device
}

// Attach numbers images as vda, vdb... in order and scans their partition
// tables. A disk without a table has no partitions; partitions numbered
// PartsPerDisk or more are left out.
func Attach(images []Image) (*Disks, error) {
	if len(images) > MaxDisks {
		return nil, fmt.Errorf("at most %d disks", MaxDisks)
	}
	d := &Disks{byRdev: make(map[uint64]*Device)}
	for i, img := range images {
		name := "vd" + string(rune('a'+i))
		whole := &Device{
			Name: name, Rdev: unix.Mkdev(Major, uint32(i*PartsPerDisk)),
			Size: img.Size, Writable: img.Writable, backing: img.Backing,
		}
		d.add(whole)
		parts, err := ScanPartitions(whole)
		if err != nil {
			return nil, fmt.Errorf("disk %s: %w", img.Name, err)
		}
		for _, pt := range parts {
			if pt.Num >= PartsPerDisk {
				continue
			}
			d.add(&Device{
				Name: fmt.Sprintf("%s%d", name, pt.Num), Rdev: unix.Mkdev(Major, uint32(i*PartsPerDisk+pt.Num)),
				Size: pt.Size, Writable: img.Writable, backing: img.Backing, off: pt.Start,
			})
		}
	}
	return d, nil
}

func (d *Disks) add(b *Device) {
	d.devs = append(d.devs, b)
	d.byRdev[b.Rdev] = b
}

// Devices returns the disks and partitions in /dev order.
func (d *Disks) Devices() []*Device { return d.devs }

// Lookup returns the device numbered rdev.
func (d *Disks) Lookup(rdev uint64) (*Device, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.byRdev[rdev]
	return b, ok
}
