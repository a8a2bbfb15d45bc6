package block

import (
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Block device ioctls (linux/fs.h).
const (
	blkROGet     = 0x125e
	blkRRPart    = 0x125f
	blkGetSize   = 0x1260
	blkFlsBuf    = 0x1261
	blkSSZGet    = 0x1268
	blkIOMin     = 0x1278
	blkIOOpt     = 0x1279
	blkAlignOff  = 0x127a
	blkPBSZGet   = 0x127b
	blkGetSize64 = 0x80081272
)

// Register installs in v the driver of the block device numbers of d:
// opening a node of an attached device gives its file; other minors of
// Major are ENXIO, and opening a read-only device for writing EROFS.
func (d *Disks) Register(v *vfs.VirtualFilesystem) {
	v.RegisterDevice(unix.S_IFBLK, Major, -1, func(_ vfs.Context, rdev uint64, flags int) (vfs.FileOperations, error) {
		b, ok := d.Lookup(rdev)
		if !ok {
			return nil, unix.ENXIO
		}
		if flags&unix.O_ACCMODE != unix.O_RDONLY && !b.Writable {
			return nil, unix.EROFS
		}
		return &deviceFile{b: b}, nil
	})
}

// deviceFile is an open block device.
type deviceFile struct {
	vfs.FileDefaults
	b *Device
}

// Read implements vfs.FileOperations: reads past the end return 0, and a
// failing backing EIO.
func (f *deviceFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	n, err := f.b.ReadAt(dst, off)
	if err == io.EOF {
		err = nil
	}
	if err != nil && n == 0 {
		return 0, unix.EIO
	}
	return n, nil
}

// Write implements vfs.FileOperations: writes past the end are ENOSPC.
func (f *deviceFile) Write(_ vfs.Context, _ *vfs.File, src []byte, off int64) (int, error) {
	n, err := f.b.WriteAt(src, off)
	if err != nil && n == 0 {
		if e, ok := err.(unix.Errno); ok {
			return 0, e
		}
		return 0, unix.EIO
	}
	return n, nil
}

// Seek implements vfs.FileOperations: SEEK_END is relative to the
// device's size.
func (f *deviceFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, f.b.Size, off, whence)
}

// Sync implements vfs.FileOperations.
func (f *deviceFile) Sync(vfs.Context, *vfs.File, bool) error {
	if err := f.b.Sync(); err != nil {
		return unix.EIO
	}
	return nil
}

// Ioctl implements vfs.FileOperations: the size and sector size queries
// of mkfs, fdisk and blockdev. Re-reading the partition table is EBUSY
// (the table is read once, at attach).
func (f *deviceFile) Ioctl(_ vfs.Context, _ *vfs.File, uio vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	var out []byte
	switch cmd {
	case blkGetSize64:
		out = binary.LittleEndian.AppendUint64(nil, uint64(f.b.Size))
	case blkGetSize:
		out = binary.LittleEndian.AppendUint64(nil, uint64(f.b.Size/SectorSize))
	case blkSSZGet, blkPBSZGet, blkIOMin:
		out = binary.LittleEndian.AppendUint32(nil, SectorSize)
	case blkIOOpt, blkAlignOff:
		out = binary.LittleEndian.AppendUint32(nil, 0)
	case blkROGet:
		ro := uint32(1)
		if f.b.Writable {
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

// DiskGID is the "disk" group of Debian and most distributions, the
// group of the device nodes.
const DiskGID = 6

// MakeNodes makes the block device nodes /dev/vda... (mode 0660, owner
// root, group disk) in the /dev that fsc sees.
func (d *Disks) MakeNodes(ctx vfs.Context, v *vfs.VirtualFilesystem, fsc *vfs.FSContext) error {
	for _, b := range d.devs {
		name := "/dev/" + b.Name
		if err := v.MknodAt(ctx, fsc, fsc.Root(), name, unix.S_IFBLK|0o660, b.Rdev); err != nil {
			return fmt.Errorf("making %s: %w", name, err)
		}
		p, err := v.GetPath(ctx, fsc, fsc.Root(), name, false)
		if err == nil {
			err = v.Chmod(ctx, p, 0o660)
		}
		if err == nil {
			err = v.Chown(ctx, p, 0, DiskGID)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}
