package sys

import (
	"sort"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// topDirs are the directories directly under /sys.
var topDirs = []string{"block", "bus", "class", "dev", "devices", "firmware", "fs", "kernel", "module", "power"}

// attrSize is the size stat reports for an attribute file, as Linux's
// sysfs (a page).
const attrSize = 4096

// Options say what the tree shows.
type Options struct {
	// NumCPU is the number of CPUs the applications see (numbered from
	// 0, all online); below 1 counts as 1.
	NumCPU int
	// Disks are the block devices attached (/sys/block).
	Disks []Disk
	// NetLinks gives the caller's network interfaces (/sys/class/net);
	// nil shows none.
	NetLinks NetLinks
}

// Filesystem is one sysfs instance. Make it with New.
type Filesystem struct {
	root *dirInode
}

// builder makes the inodes of one tree, numbering them in order.
type builder struct {
	ino uint64
	ts  unix.Timespec
}

func (b *builder) dir() *dirInode {
	b.ino++
	return &dirInode{ino: b.ino, time: b.ts, children: map[string]node{}}
}

func (b *builder) file(text string) *attrInode {
	b.ino++
	return &attrInode{ino: b.ino, time: b.ts, text: text}
}

// New returns a sysfs whose inodes carry now as their times.
func New(now time.Time, o Options) *Filesystem {
	b := &builder{ts: unix.NsecToTimespec(now.UnixNano())}
	root := b.dir()
	for _, name := range topDirs {
		root.add(name, b.dir())
	}
	system := b.dir()
	root.children["devices"].(*dirInode).add("system", system)
	system.add("cpu", cpuDir(b, max(o.NumCPU, 1)))
	virtual := b.dir()
	root.children["devices"].(*dirInode).add("virtual", virtual)
	blockDirs(b, root, o.Disks)
	nt := newNetTree(b, o.NetLinks)
	b.ino++
	virtual.add("net", &netDir{ino: b.ino, time: b.ts, tree: nt, entry: nt.device, typ: unix.DT_DIR})
	b.ino++
	root.children["class"].(*dirInode).add("net", &netDir{ino: b.ino, time: b.ts, tree: nt, entry: nt.classLink, typ: unix.DT_LNK})
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

// node is an inode of the tree as its directory lists it.
type node interface {
	vfs.Inode
	dirent() (ino uint64, typ uint8)
}

// dirInode is a directory with fixed entries. Nothing in it changes
// after New.
type dirInode struct {
	vfs.InodeDefaults
	ino      uint64
	time     unix.Timespec
	children map[string]node
	names    []string // sorted
}

// add puts n in d as name.
func (d *dirInode) add(name string, n node) {
	d.children[name] = n
	d.names = append(d.names, name)
	sort.Strings(d.names)
}

func (d *dirInode) dirent() (uint64, uint8) { return d.ino, unix.DT_DIR }

// Stat implements vfs.Inode.
func (d *dirInode) Stat(vfs.Context) (vfs.Stat, error) {
	nlink := uint64(2)
	for _, c := range d.children {
		if _, typ := c.dirent(); typ == unix.DT_DIR {
			nlink++
		}
	}
	return vfs.Stat{
		Ino: d.ino, Mode: unix.S_IFDIR | 0o755, Nlink: nlink,
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
		ino, typ := f.d.children[name].dirent()
		if !emit(vfs.Dirent{Name: name, Ino: ino, Type: typ, NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// attrInode is a read-only attribute file whose text is fixed.
type attrInode struct {
	vfs.InodeDefaults
	ino  uint64
	time unix.Timespec
	text string
}

func (a *attrInode) dirent() (uint64, uint8) { return a.ino, unix.DT_REG }

// Stat implements vfs.Inode: mode 0444 and a page's size, as Linux's
// read-only attributes.
func (a *attrInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{
		Ino: a.ino, Mode: unix.S_IFREG | 0o444, Nlink: 1, Size: attrSize,
		Blksize: 4096, Atime: a.time, Mtime: a.time, Ctime: a.time,
	}, nil
}

// Open implements vfs.Inode: an attribute without a store method cannot
// be opened for writing, even by root (kernfs_fop_open's EACCES).
func (a *attrInode) Open(_ vfs.Context, flags int) (vfs.FileOperations, error) {
	if flags&unix.O_ACCMODE != unix.O_RDONLY {
		return nil, unix.EACCES
	}
	return &attrFile{a: a}, nil
}

// attrFile reads an attrInode.
type attrFile struct {
	vfs.FileDefaults
	a *attrInode
}

// Read implements vfs.FileOperations.
func (f *attrFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	if off >= int64(len(f.a.text)) {
		return 0, nil
	}
	return copy(dst, f.a.text[off:]), nil
}

// Seek implements vfs.FileOperations: SEEK_END is relative to the size
// stat reports.
func (*attrFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, attrSize, off, whence)
}
