package sys

import (
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// topDirs are the directories directly under /sys.
var topDirs = []string{"block", "bus", "class", "dev", "devices", "firmware", "fs", "kernel", "module", "power"}

// Filesystem is one sysfs instance. Make it with New.
type Filesystem struct {
	root *dirInode
}

// New returns a sysfs whose directories carry now as their times.
func New(now time.Time) *Filesystem {
	ts := unix.NsecToTimespec(now.UnixNano())
	ino := uint64(1)
	mk := func() *dirInode {
		d := &dirInode{ino: ino, time: ts, children: map[string]*dirInode{}}
		ino++
		return d
	}
	root := mk()
	for _, name := range topDirs {
		root.children[name] = mk()
		root.names = append(root.names, name)
	}
	sort.Strings(root.names)
	return &Filesystem{root: root}
}

// Name implements vfs.Filesystem.
func (fs *Filesystem) Name() string { return "sysfs" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: unix.SYSFS_MAGIC, Bsize: 4096, Frsize: 4096, NameLen: vfs.NameMax}, nil
}

// dirInode is a directory with fixed subdirectories. Nothing in it
// changes after New.
type dirInode struct {
	vfs.InodeDefaults
	ino      uint64
	time     unix.Timespec
	children map[string]*dirInode
	names    []string // sorted
}

// Stat implements vfs.Inode.
func (d *dirInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{
		Ino: d.ino, Mode: unix.S_IFDIR | 0o755, Nlink: uint64(2 + len(d.children)),
		Blksize: 4096, Atime: d.time, Mtime: d.time, Ctime: d.time,
	}, nil
}

// Lookup implements vfs.Inode.
func (d *dirInode) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	if c, ok := d.children[name]; ok {
		return c, nil
	}
	return nil, unix.ENOENT
}

// Open implements vfs.Inode.
func (d *dirInode) Open(vfs.Context, int) (vfs.FileOperations, error) {
	return &dirFile{d: d}, nil
}

// dirFile lists a dirInode: entry k of the sorted names at offset 2+k.
type dirFile struct {
	vfs.FileDefaults
	d *dirInode
}

// Seek implements vfs.FileOperations: Linux's generic_file_llseek on a
// directory of size 0 (SEEK_END is relative to 0).
func (*dirFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, 0, off, whence)
}

// Read implements vfs.FileOperations.
func (f *dirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// IterDirents implements vfs.FileOperations.
func (f *dirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	for k := off - 2; k >= 0 && k < int64(len(f.d.names)); k++ {
		name := f.d.names[k]
		if !emit(vfs.Dirent{Name: name, Ino: f.d.children[name].ino, Type: unix.DT_DIR, NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}
