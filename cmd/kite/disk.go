package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Disks attached with `kite run --disk IMAGE`: block devices /dev/vda,
// /dev/vdb... with their MBR or GPT partitions /dev/vda1..., as a Linux
// guest sees virtio disks.

// diskMajor is the block major number of attached disks (Linux gives
// virtio_blk a dynamic major; 254 is what it usually gets). Minor
// numbers are disk*16+partition, as virtio_blk's.
const (
	diskMajor    = 254
	partsPerDisk = 16
	sectorSize   = 512
)

// blockDev is one disk or partition: a byte range of an image file.
type blockDev struct {
	name     string // "vda", "vda1"
	rdev     uint64
	file     *os.File
	off      int64
	size     int64
	writable bool
}

// ReadAt reads within the device, as io.ReaderAt.
func (b *blockDev) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= b.size {
		return 0, io.EOF
	}
	short := false
	if rem := b.size - off; int64(len(p)) > rem {
		p, short = p[:rem], true
	}
	n, err := b.file.ReadAt(p, b.off+off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

// WriteAt writes within the device; past its end is ENOSPC.
func (b *blockDev) WriteAt(p []byte, off int64) (int, error) {
	if !b.writable {
		return 0, unix.EROFS
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	if off >= b.size {
		return 0, unix.ENOSPC
	}
	if rem := b.size - off; int64(len(p)) > rem {
		n, err := b.file.WriteAt(p[:rem], b.off+off)
		if err == nil {
			err = unix.ENOSPC
		}
		return n, err
	}
	return b.file.WriteAt(p, b.off+off)
}

// Sync flushes the image file (fsync on the device, and ext4's barriers).
func (b *blockDev) Sync() error { return b.file.Sync() }

// openImage opens an image file for kite's use: read-write with an
// exclusive lock, or read-only with a shared one, so that two kites never
// write one image at once (nor read it while another writes).
func openImage(path string, write bool) (*os.File, error) {
	mode, how := os.O_RDONLY, unix.LOCK_SH
	if write {
		mode, how = os.O_RDWR, unix.LOCK_EX
	}
	f, err := os.OpenFile(path, mode, 0)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		if err == unix.EWOULDBLOCK {
			return nil, fmt.Errorf("%s is in use by another program", path)
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return f, nil
}

// disks is the set of attached disks.
type disks struct {
	files []*os.File
	devs  []*blockDev // disks and partitions, in /dev order
	mu    sync.Mutex
	// byRdev is guarded by mu (read by mount(2) and open(2)).
	byRdev map[uint64]*blockDev
}

// attachDisks opens the images (read-write when the file allows it) and
// scans their partition tables.
func attachDisks(paths []string) (*disks, error) {
	d := &disks{byRdev: make(map[uint64]*blockDev)}
	if len(paths) > 26 {
		return nil, fmt.Errorf("at most 26 disks")
	}
	for i, p := range paths {
		writable := true
		f, err := openImage(p, true)
		if errors.Is(err, os.ErrPermission) || errors.Is(err, unix.EROFS) {
			writable = false
			f, err = openImage(p, false)
		}
		if err != nil {
			d.close()
			return nil, err
		}
		d.files = append(d.files, f)
		st, err := f.Stat()
		if err != nil {
			d.close()
			return nil, err
		}
		if !st.Mode().IsRegular() {
			d.close()
			return nil, fmt.Errorf("disk %s: not a regular file", p)
		}
		name := "vd" + string(rune('a'+i))
		whole := &blockDev{name: name, rdev: unix.Mkdev(diskMajor, uint32(i*partsPerDisk)), file: f, size: st.Size(), writable: writable}
		d.add(whole)
		parts, err := scanPartitions(whole)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("disk %s: %w", p, err)
		}
		for _, pt := range parts {
			if pt.num >= partsPerDisk {
				continue
			}
			d.add(&blockDev{
				name: fmt.Sprintf("%s%d", name, pt.num), rdev: unix.Mkdev(diskMajor, uint32(i*partsPerDisk+pt.num)),
				file: f, off: pt.start, size: pt.size, writable: writable,
			})
		}
	}
	return d, nil
}

func (d *disks) add(b *blockDev) {
	d.devs = append(d.devs, b)
	d.byRdev[b.rdev] = b
}

func (d *disks) lookup(rdev uint64) (*blockDev, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, ok := d.byRdev[rdev]
	return b, ok
}

func (d *disks) close() {
	for _, f := range d.files {
		f.Close()
	}
}

// partition is one entry of a partition table, in bytes.
type partition struct {
	num         int
	start, size int64
}

// scanPartitions reads an MBR (primary partitions) or, behind a
// protective MBR, a GPT. A disk without a table has no partitions.
// Logical partitions inside an extended one are not listed.
func scanPartitions(b *blockDev) ([]partition, error) {
	mbr := make([]byte, sectorSize)
	if _, err := b.ReadAt(mbr, 0); err != nil {
		return nil, nil // shorter than a sector: no table
	}
	if mbr[510] != 0x55 || mbr[511] != 0xAA {
		return nil, nil
	}
	if looksLikeFATBootSector(mbr) {
		return nil, nil // a partitionless FAT "superfloppy"
	}
	for i := 0; i < 4; i++ {
		// Boot flags are 0x00 or 0x80: anything else is boot code,
		// not a partition table.
		if mbr[446+16*i]&0x7f != 0 {
			return nil, nil
		}
	}
	var parts []partition
	for i := 0; i < 4; i++ {
		e := mbr[446+16*i : 446+16*(i+1)]
		typ := e[4]
		if typ == 0xEE {
			return scanGPT(b)
		}
		start := int64(binary.LittleEndian.Uint32(e[8:])) * sectorSize
		size := int64(binary.LittleEndian.Uint32(e[12:])) * sectorSize
		if typ == 0 || size == 0 {
			continue
		}
		if start >= b.size {
			continue
		}
		size = min(size, b.size-start)
		parts = append(parts, partition{num: i + 1, start: start, size: size})
	}
	return parts, nil
}

// looksLikeFATBootSector reports whether sector 0 is a FAT volume boot
// record (a jump, a power-of-two sector size and a media byte), as
// Linux's msdos partition check does before reading a table.
func looksLikeFATBootSector(b []byte) bool {
	if b[0] != 0xEB && b[0] != 0xE9 {
		return false
	}
	bps := binary.LittleEndian.Uint16(b[11:])
	if bps < 512 || bps > 4096 || bps&(bps-1) != 0 {
		return false
	}
	return b[21] == 0xF0 || b[21] >= 0xF8
}

// scanGPT reads the GUID partition table whose header is at LBA 1.
func scanGPT(b *blockDev) ([]partition, error) {
	hdr := make([]byte, sectorSize)
	if _, err := b.ReadAt(hdr, sectorSize); err != nil {
		return nil, fmt.Errorf("reading the GPT header: %w", err)
	}
	if !bytes.Equal(hdr[:8], []byte("EFI PART")) {
		return nil, fmt.Errorf("protective MBR without a GPT header")
	}
	entLBA := int64(binary.LittleEndian.Uint64(hdr[72:]))
	count := int(binary.LittleEndian.Uint32(hdr[80:]))
	entSize := int(binary.LittleEndian.Uint32(hdr[84:]))
	if entSize < 128 || entSize > 4096 || count > 1024 {
		return nil, fmt.Errorf("bad GPT header (%d entries of %d bytes)", count, entSize)
	}
	table := make([]byte, count*entSize)
	if _, err := b.ReadAt(table, entLBA*sectorSize); err != nil {
		return nil, fmt.Errorf("reading the GPT entries: %w", err)
	}
	var parts []partition
	for i := 0; i < count; i++ {
		e := table[i*entSize : (i+1)*entSize]
		if allZero(e[:16]) {
			continue
		}
		first := int64(binary.LittleEndian.Uint64(e[32:]))
		last := int64(binary.LittleEndian.Uint64(e[40:]))
		if last < first || first*sectorSize >= b.size {
			continue
		}
		start := first * sectorSize
		size := min((last-first+1)*sectorSize, b.size-start)
		parts = append(parts, partition{num: i + 1, start: start, size: size})
	}
	return parts, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Block device ioctls (linux/fs.h).
const (
	blkROGet     = 0x125e
	blkIOMin     = 0x1278
	blkIOOpt     = 0x1279
	blkAlignOff  = 0x127a
	blkPBSZGet   = 0x127b
	blkRRPart    = 0x125f
	blkGetSize   = 0x1260
	blkFlsBuf    = 0x1261
	blkSSZGet    = 0x1268
	blkGetSize64 = 0x80081272
)

// register installs the driver of the disks' block device numbers.
func (d *disks) register(v *vfs.VirtualFilesystem) {
	v.RegisterDevice(unix.S_IFBLK, diskMajor, -1, func(_ vfs.Context, rdev uint64, flags int) (vfs.FileOperations, error) {
		b, ok := d.lookup(rdev)
		if !ok {
			return nil, unix.ENXIO
		}
		if flags&unix.O_ACCMODE != unix.O_RDONLY && !b.writable {
			return nil, unix.EROFS
		}
		return &blockFile{b: b}, nil
	})
}

// blockFile is an open block device.
type blockFile struct {
	vfs.FileDefaults
	b *blockDev
}

// Read implements vfs.FileOperations.
func (f *blockFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	n, err := f.b.ReadAt(dst, off)
	if err == io.EOF {
		err = nil
	}
	if err != nil && n == 0 {
		return 0, unix.EIO
	}
	return n, nil
}

// Write implements vfs.FileOperations.
func (f *blockFile) Write(_ vfs.Context, _ *vfs.File, src []byte, off int64) (int, error) {
	n, err := f.b.WriteAt(src, off)
	if err != nil && n == 0 {
		if e, ok := err.(unix.Errno); ok {
			return 0, e
		}
		return 0, unix.EIO
	}
	return n, nil
}

// Seek implements vfs.FileOperations.
func (f *blockFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, f.b.size, off, whence)
}

// Sync implements vfs.FileOperations.
func (f *blockFile) Sync(vfs.Context, *vfs.File, bool) error {
	if err := f.b.Sync(); err != nil {
		return unix.EIO
	}
	return nil
}

// Ioctl implements vfs.FileOperations: the size and sector size queries
// of mkfs, fdisk and blockdev.
func (f *blockFile) Ioctl(_ vfs.Context, _ *vfs.File, uio vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	var out []byte
	switch cmd {
	case blkGetSize64:
		out = binary.LittleEndian.AppendUint64(nil, uint64(f.b.size))
	case blkGetSize:
		out = binary.LittleEndian.AppendUint64(nil, uint64(f.b.size/sectorSize))
	case blkSSZGet, blkPBSZGet, blkIOMin:
		out = binary.LittleEndian.AppendUint32(nil, sectorSize)
	case blkIOOpt, blkAlignOff:
		out = binary.LittleEndian.AppendUint32(nil, 0)
	case blkROGet:
		ro := uint32(1)
		if f.b.writable {
			ro = 0
		}
		out = binary.LittleEndian.AppendUint32(nil, ro)
	case blkFlsBuf:
		return 0, nil
	case blkRRPart:
		return 0, unix.EBUSY
	default:
		return 0, unix.ENOTTY
	}
	if _, err := uio.CopyOut(arg, out); err != nil {
		return 0, err
	}
	return 0, nil
}

// diskGID is the "disk" group of Debian and most distributions.
const diskGID = 6

// makeNodes makes the block device nodes /dev/vda... (mode 0660, group
// disk) in the /dev that fsc sees.
func (d *disks) makeNodes(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext) error {
	for _, b := range d.devs {
		name := "/dev/" + b.name
		if err := v.MknodAt(ctx, fsc, fsc.Root(), name, unix.S_IFBLK|0o660, b.rdev); err != nil {
			return fmt.Errorf("making %s: %w", name, err)
		}
		p, err := v.GetPath(ctx, fsc, fsc.Root(), name, false)
		if err == nil {
			err = v.Chmod(ctx, p, 0o660)
		}
		if err == nil {
			err = v.Chown(ctx, p, 0, diskGID)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
