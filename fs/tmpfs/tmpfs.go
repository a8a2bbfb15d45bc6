package tmpfs

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// tmpfsMagic is TMPFS_MAGIC from linux/magic.h.
const tmpfsMagic = 0x01021994

const pageSize = 4096

// Options configure a new tmpfs.
type Options struct {
	// Mode, UID and GID of the root directory (mode defaults to 01777).
	Mode     uint32
	UID, GID uint32
	// MaxBytes limits the file data (ENOSPC beyond); 0 means no limit.
	MaxBytes int64
	// MaxInodes limits the number of inodes; 0 means no limit.
	MaxInodes int64
	// SizePercent is size=N% of the mount options: N percent of the
	// memory, which NewFromData turns into MaxBytes.
	SizePercent int64
}

// Filesystem is one tmpfs instance.
type Filesystem struct {
	v    *vfs.VirtualFilesystem
	opts Options
	root *inode

	// pages and inodes count what is in use (for Statfs and limits).
	pages  atomic.Int64
	inodes atomic.Int64

	// mu serializes namespace changes (entries of every directory and
	// link counts).
	mu      sync.Mutex
	nextIno uint64
}

// New returns an empty tmpfs whose clock is v's.
func New(v *vfs.VirtualFilesystem, opts Options) *Filesystem {
	if opts.Mode == 0 {
		opts.Mode = 0o1777
	}
	fs := &Filesystem{v: v, opts: opts, nextIno: 1}
	now := v.NowTimespec()
	fs.root = fs.newInode(unix.S_IFDIR|opts.Mode&0o7777, opts.UID, opts.GID, now)
	fs.root.nlink = 2
	return fs
}

// Name implements vfs.Filesystem.
func (*Filesystem) Name() string { return "tmpfs" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem: the limits and what is left of
// them. A file system without a size limit (size=0, or memfd's) reports
// no blocks at all, and one without an inode limit no inodes, as Linux's
// shmem_statfs leaves those fields 0.
func (fs *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	s := vfs.Statfs{Type: tmpfsMagic, Bsize: pageSize, Frsize: pageSize, NameLen: vfs.NameMax}
	if fs.opts.MaxBytes != 0 {
		total := uint64(fs.opts.MaxBytes / pageSize)
		used := min(uint64(fs.pages.Load()), total)
		s.Blocks = total
		s.Bfree = total - used
		s.Bavail = s.Bfree
	}
	if fs.opts.MaxInodes != 0 {
		files := uint64(fs.opts.MaxInodes)
		in := min(uint64(fs.inodes.Load()), files)
		s.Files = files
		s.Ffree = files - in
	}
	return s, nil
}

// newInode returns a new inode with link count 1 (0 for the caller to
// set on directories).
func (fs *Filesystem) newInode(mode, uid, gid uint32, now unix.Timespec) *inode {
	fs.mu.Lock()
	ino := fs.nextIno
	fs.nextIno++
	fs.mu.Unlock()
	fs.inodes.Add(1)
	i := &inode{
		fs: fs, ino: ino, ftype: mode & unix.S_IFMT, mode: mode, uid: uid, gid: gid, nlink: 1,
		atime: now, mtime: now, ctime: now, btime: now,
		seals: unix.F_SEAL_SEAL,
	}
	if i.ftype == unix.S_IFREG {
		i.pages = fs.v.NewPages()
	}
	return i
}

// allocPages reserves n pages of the size limit.
func (fs *Filesystem) allocPages(n int64) error {
	if fs.opts.MaxBytes == 0 {
		fs.pages.Add(n)
		return nil
	}
	limit := fs.opts.MaxBytes / pageSize
	for {
		cur := fs.pages.Load()
		if cur+n > limit {
			return unix.ENOSPC
		}
		if fs.pages.CompareAndSwap(cur, cur+n) {
			return nil
		}
	}
}

func (fs *Filesystem) freePages(n int64) { fs.pages.Add(-n) }
