package fat

import (
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// BlockDevices finds the storage behind a block device number; ok is
// false when no such device exists, writable false for read-only storage.
type BlockDevices func(rdev uint64) (dev ReadWriterAt, writable bool, ok bool)

// Mounts is what RegisterType registered: the FAT file systems mount(2)
// opened, one per device.
type Mounts struct {
	v       *vfs.VirtualFilesystem
	devices BlockDevices

	mu sync.Mutex
	// open is guarded by mu.
	open map[uint64]*Filesystem
}

// RegisterType makes "vfat" mountable with mount(2) in v: mount -t vfat
// [-o uid=,gid=,umask=,fmask=,dmask=,ro] /dev/vdX DIR. Owners default to
// the caller's, masks to its umask, as on Linux. A device mounted again
// shows the same tree with the first mount's options.
func RegisterType(v *vfs.VirtualFilesystem, devices BlockDevices) *Mounts {
	m := &Mounts{v: v, devices: devices, open: make(map[uint64]*Filesystem)}
	v.RegisterFilesystemType("vfat", m.mount)
	return m
}

// ParseMountOptions parses vfat's options over the defaults in o. Options
// that change nothing kite does are accepted; others are EINVAL.
func ParseMountOptions(data string, o MountOptions) (MountOptions, error) {
	for _, opt := range strings.Split(data, ",") {
		key, val, _ := strings.Cut(opt, "=")
		switch key {
		case "uid", "gid":
			n, err := strconv.ParseUint(val, 10, 32)
			if err != nil {
				return o, unix.EINVAL
			}
			if key == "uid" {
				o.UID = uint32(n)
			} else {
				o.GID = uint32(n)
			}
		case "umask", "fmask", "dmask":
			n, err := strconv.ParseUint(val, 8, 32)
			if err != nil || n > 0o777 {
				return o, unix.EINVAL
			}
			if key != "dmask" {
				o.FMask = uint32(n)
			}
			if key != "fmask" {
				o.DMask = uint32(n)
			}
		case "", "ro", "rw", "defaults", "noatime", "relatime", "nodiratime", "utf8",
			"iocharset", "codepage", "errors", "flush", "shortname":
		default:
			return o, unix.EINVAL
		}
	}
	return o, nil
}

func (m *Mounts) mount(ctx vfs.Context, source string, flags uint32, data string) (vfs.Filesystem, error) {
	c := ctx.Credentials()
	def := MountOptions{UID: c.FSUID, GID: c.FSGID, FMask: 0o022, DMask: 0o022}
	// The caller's umask is vfat's default fmask and dmask; the source
	// resolves as the caller sees it.
	fsc := ctx.FSContext()
	if fsc != nil {
		def.FMask = fsc.Umask()
		def.DMask = def.FMask
	}
	opts, err := ParseMountOptions(data, def)
	if err != nil {
		return nil, err
	}
	if fsc == nil || source == "" {
		return nil, unix.ENOTBLK
	}
	p, err := m.v.GetPath(ctx, fsc, fsc.Cwd(), source, true)
	if err != nil {
		return nil, err
	}
	st, err := m.v.StatPath(ctx, p)
	if err != nil {
		return nil, err
	}
	if st.Type() != unix.S_IFBLK {
		return nil, unix.ENOTBLK
	}
	if p.Mount.Flags()&vfs.MountNoDev != 0 {
		return nil, unix.EACCES
	}
	dev, writable, ok := m.devices(st.Rdev)
	if !ok {
		return nil, unix.ENXIO
	}
	rw := flags&vfs.MountReadOnly == 0
	if rw && !writable {
		return nil, unix.EACCES
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if fs := m.open[st.Rdev]; fs != nil {
		if rw && fs.fs.ReadOnly() {
			return nil, unix.EBUSY
		}
		return fs, nil
	}
	fopts := Options{Now: m.v.Now}
	var ffs *FS
	if rw {
		ffs, err = OpenRW(dev, fopts)
	} else {
		ffs, err = Open(dev, fopts)
	}
	if err != nil {
		return nil, unix.EINVAL // not a FAT file system
	}
	fs := NewFilesystem(m.v, ffs, opts)
	fs.rdev = st.Rdev
	m.open[st.Rdev] = fs
	return fs, nil
}

// Close flushes every FAT file system mount(2) opened.
func (m *Mounts) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var first error
	for rdev, fs := range m.open {
		if err := fs.fs.Sync(); err != nil && first == nil {
			first = err
		}
		delete(m.open, rdev)
	}
	return first
}

// Device implements vfs.BlockDeviceFilesystem: a file system mount(2)
// opened from a block device is known by the device's number (stat's
// st_dev, mountinfo's MAJ:MIN), as on Linux.
func (fs *Filesystem) Device() uint64 { return fs.rdev }
