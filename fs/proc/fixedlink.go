package proc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// FixedLink is a symbolic link with a fixed target in a pseudo file
// system's tree: /proc/mounts here, the links of fs/sys's tree. As on
// Linux, a procfs link's size is its target's length and a sysfs
// (kernfs) link's is 0 (SysfsSize).
type FixedLink struct {
	vfs.InodeDefaults
	Ino    uint64
	Time   unix.Timespec
	Target string
	// SysfsSize gives the link sysfs's size, 0.
	SysfsSize bool
}

// Stat implements vfs.Inode.
func (l *FixedLink) Stat(vfs.Context) (vfs.Stat, error) {
	size := int64(len(l.Target))
	if l.SysfsSize {
		size = 0
	}
	return vfs.Stat{
		Ino: l.Ino, Mode: unix.S_IFLNK | 0o777, Nlink: 1, Size: size,
		Blksize: 4096, Atime: l.Time, Mtime: l.Time, Ctime: l.Time,
	}, nil
}

// Readlink implements vfs.Inode.
func (l *FixedLink) Readlink(vfs.Context) (string, error) { return l.Target, nil }

// staticLink returns a new link of fs to target.
func (fs *Filesystem) staticLink(target string) *FixedLink {
	b := fs.newBase()
	return &FixedLink{Ino: b.ino, Time: b.time, Target: target}
}
