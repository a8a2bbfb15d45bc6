package ext4

import (
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// BlockDevices finds the storage behind a block device number (a disk
// or partition kite attached); ok is false when no such device exists.
// writable is false for storage opened read-only.
type BlockDevices func(rdev uint64) (dev ReadWriterAt, writable bool, ok bool)

// Mounts is what RegisterType registered: the file systems mount(2) has
// opened, one per device (mounting a device again shows the same file
// system, as Linux shares the superblock).
type Mounts struct {
	v       *vfs.VirtualFilesystem
	devices BlockDevices

	mu sync.Mutex
	// open is the file systems by device number. Guarded by mu.
	open map[uint64]*Filesystem
}

// RegisterType makes "ext4", "ext3" and "ext2" mountable with mount(2) in
// v: mount -t ext4 [-o ro] /dev/vdX DIR, the source a block device node
// that devices knows. MS_RDONLY (or a read-only device) opens the file
// system read-only; otherwise writes go through its journal. Call
// Mounts.Close when the kernel is done, to end the writable sessions.
func RegisterType(v *vfs.VirtualFilesystem, devices BlockDevices) *Mounts {
	m := &Mounts{v: v, devices: devices, open: make(map[uint64]*Filesystem)}
	for _, name := range []string{"ext4", "ext3", "ext2"} {
		v.RegisterFilesystemType(name, m.mount)
	}
	return m
}

// mountOptions accepts the options of Linux's ext4 that change nothing
// kite does; anything else is EINVAL.
func mountOptions(data string) error {
	for _, opt := range strings.Split(data, ",") {
		key, _, _ := strings.Cut(opt, "=")
		switch key {
		case "", "ro", "rw", "defaults", "noatime", "relatime", "strictatime", "nodiratime",
			"errors", "data", "barrier", "nobarrier", "user_xattr", "acl", "noacl",
			"discard", "nodiscard", "commit":
		default:
			return unix.EINVAL
		}
	}
	return nil
}

// ResolveBlockDevice resolves source (mount(2)'s first argument) in the
// caller's file-system context and returns the device number of the block
// device node it names: ENOTBLK when it is not one.
func ResolveBlockDevice(ctx vfs.Context, v *vfs.VirtualFilesystem, source string) (uint64, error) {
	fsc := ctx.FSContext()
	if fsc == nil || source == "" {
		return 0, unix.ENOTBLK
	}
	p, err := v.GetPath(ctx, fsc, fsc.Cwd(), source, true)
	if err != nil {
		return 0, err
	}
	st, err := v.StatPath(ctx, p)
	if err != nil {
		return 0, err
	}
	if st.Type() != unix.S_IFBLK {
		return 0, unix.ENOTBLK
	}
	if p.Mount.Flags()&vfs.MountNoDev != 0 {
		return 0, unix.EACCES
	}
	return st.Rdev, nil
}

func (m *Mounts) mount(ctx vfs.Context, source string, flags uint32, data string) (vfs.Filesystem, error) {
	if err := mountOptions(data); err != nil {
		return nil, err
	}
	rdev, err := ResolveBlockDevice(ctx, m.v, source)
	if err != nil {
		return nil, err
	}
	dev, writable, ok := m.devices(rdev)
	if !ok {
		return nil, unix.ENXIO
	}
	rw := flags&vfs.MountReadOnly == 0
	if rw && !writable {
		return nil, unix.EACCES // mount(8) retries read-only
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if fs := m.open[rdev]; fs != nil {
		if rw && fs.ReadOnly() {
			return nil, unix.EBUSY
		}
		return fs, nil
	}
	opts := Options{Now: m.v.NowTimespec}
	var efs *FS
	if rw {
		efs, err = OpenRW(dev, opts)
		if err == nil && canCreate(efs) != nil {
			// Linux writes ext2/ext3; this package cannot: EROFS
			// makes mount(8) retry read-only.
			efs.Close()
			return nil, unix.EROFS
		}
	} else {
		efs, err = Open(dev, opts)
	}
	if err != nil {
		// Not an ext4 file system, or one this package cannot
		// mount: EINVAL as Linux's "wrong fs type".
		if e := errno(err); e == unix.EUCLEAN || e == unix.EINVAL {
			return nil, unix.EINVAL
		}
		return nil, errno(err)
	}
	fs := NewFilesystem(m.v, efs, nil)
	fs.rdev = rdev
	m.open[rdev] = fs
	return fs, nil
}

// Close ends every file system mount(2) opened (clearing their journals'
// needs_recovery flags); mounts of them must not be used afterwards.
func (m *Mounts) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var first error
	for rdev, fs := range m.open {
		if err := fs.Close(); err != nil && first == nil {
			first = err
		}
		delete(m.open, rdev)
	}
	return first
}

// Device implements vfs.BlockDeviceFilesystem: a file system mount(2)
// opened from a block device is known by the device's number.
func (fs *Filesystem) Device() uint64 { return fs.rdev }
