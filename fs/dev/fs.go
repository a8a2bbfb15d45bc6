package dev

import (
	"sort"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Filesystem is one instance of kite's /dev. Make it with New.
type Filesystem struct {
	root *dirInode
}

// New returns a /dev tree whose entries carry now as their times.
func New(now time.Time) *Filesystem {
	ts := unix.NsecToTimespec(now.UnixNano())
	nextIno := uint64(1)
	attrs := func(mode, uid, gid uint32) *attr {
		a := &attr{ino: nextIno, mode: mode, uid: uid, gid: gid, atime: ts, mtime: ts, ctime: ts}
		nextIno++
		return a
	}
	root := &dirInode{attr: attrs(unix.S_IFDIR|0o755, 0, 0)}
	const ttyGID = 5 // the "tty" group of Debian and most distributions
	chr := func(perm, gid uint32, major, minor uint32) vfs.Inode {
		return &nodeInode{attr: attrs(unix.S_IFCHR|perm, 0, gid), rdev: unix.Mkdev(major, minor)}
	}
	link := func(target string) vfs.Inode {
		return &linkInode{attr: attrs(unix.S_IFLNK|0o777, 0, 0), target: target}
	}
	dir := func(perm uint32) vfs.Inode {
		return &dirInode{attr: attrs(unix.S_IFDIR|perm, 0, 0)}
	}
	root.children = map[string]vfs.Inode{
		"null":    chr(0o666, 0, MemMajor, NullMinor),
		"zero":    chr(0o666, 0, MemMajor, ZeroMinor),
		"full":    chr(0o666, 0, MemMajor, FullMinor),
		"random":  chr(0o666, 0, MemMajor, RandomMinor),
		"urandom": chr(0o666, 0, MemMajor, URandomMinor),
		"kmsg":    chr(0o644, 0, MemMajor, KmsgMinor),
		"tty":     chr(0o666, ttyGID, TTYAuxMajor, TTYMinor),
		"console": chr(0o600, 0, TTYAuxMajor, ConsoleMinor),
		"ptmx":    chr(0o666, ttyGID, TTYAuxMajor, PtmxMinor),
		"fd":      link("/proc/self/fd"),
		"stdin":   link("/proc/self/fd/0"),
		"stdout":  link("/proc/self/fd/1"),
		"stderr":  link("/proc/self/fd/2"),
		"pts":     dir(0o755),
		"shm":     dir(0o1777),
	}
	for name := range root.children {
		root.names = append(root.names, name)
	}
	sort.Strings(root.names)
	return &Filesystem{root: root}
}

// Name implements vfs.Filesystem: the type Linux's /dev shows.
func (fs *Filesystem) Name() string { return "devtmpfs" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (fs *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{
		Type:    unix.TMPFS_MAGIC,
		Bsize:   4096,
		Frsize:  4096,
		NameLen: vfs.NameMax,
		Files:   uint64(len(fs.root.names) + 1),
		Flags:   unix.ST_NOSUID | unix.ST_NOEXEC,
	}, nil
}

// attr is the changeable attributes every entry has.
type attr struct {
	ino uint64 // fixed

	// mu guards the fields below.
	mu                  sync.Mutex
	mode, uid, gid      uint32
	atime, mtime, ctime unix.Timespec
}

func (a *attr) stat() vfs.Stat {
	a.mu.Lock()
	defer a.mu.Unlock()
	return vfs.Stat{
		Ino:     a.ino,
		Nlink:   1,
		Mode:    a.mode,
		UID:     a.uid,
		GID:     a.gid,
		Blksize: 4096,
		Atime:   a.atime,
		Mtime:   a.mtime,
		Ctime:   a.ctime,
	}
}

// setStat applies s (permissions checked by the VFS). Sizes cannot be
// set: devices, symlinks and directories have none to change.
func (a *attr) setStat(s *vfs.SetStat) error {
	if s.Mask&unix.STATX_SIZE != 0 {
		if a.mode&unix.S_IFMT == unix.S_IFDIR {
			return unix.EISDIR
		}
		return unix.EINVAL
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if s.Mask&unix.STATX_MODE != 0 {
		a.mode = a.mode&unix.S_IFMT | s.Mode&0o7777
	}
	if s.Mask&unix.STATX_UID != 0 {
		a.uid = s.UID
	}
	if s.Mask&unix.STATX_GID != 0 {
		a.gid = s.GID
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		a.atime = s.Atime
	}
	if s.Mask&unix.STATX_MTIME != 0 {
		a.mtime = s.Mtime
	}
	a.ctime = s.Ctime
	return nil
}

// dirInode is a directory with a fixed set of entries.
type dirInode struct {
	vfs.InodeDefaults
	*attr
	// children and names never change after New.
	children map[string]vfs.Inode
	names    []string // sorted
}

// Stat implements vfs.Inode.
func (d *dirInode) Stat(vfs.Context) (vfs.Stat, error) {
	st := d.stat()
	st.Nlink = 2
	for _, c := range d.children {
		if _, ok := c.(*dirInode); ok {
			st.Nlink++
		}
	}
	st.Size = 4096
	st.Blocks = 0
	return st, nil
}

// SetStat implements vfs.Inode.
func (d *dirInode) SetStat(_ vfs.Context, s *vfs.SetStat) error { return d.setStat(s) }

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

// dirFile lists a dirInode: entry k of the sorted names is at offset 2+k.
type dirFile struct {
	vfs.FileDefaults
	d *dirInode
}

// Read implements vfs.FileOperations.
func (f *dirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// IterDirents implements vfs.FileOperations.
func (f *dirFile) IterDirents(ctx vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	for k := off - 2; k >= 0 && k < int64(len(f.d.names)); k++ {
		name := f.d.names[k]
		st, err := f.d.children[name].Stat(ctx)
		if err != nil {
			return err
		}
		if !emit(vfs.Dirent{Name: name, Ino: st.Ino, Type: vfs.DirentType(st.Mode), NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// nodeInode is a character device node.
type nodeInode struct {
	vfs.InodeDefaults
	*attr
	rdev uint64
}

// Stat implements vfs.Inode.
func (n *nodeInode) Stat(vfs.Context) (vfs.Stat, error) {
	st := n.stat()
	st.Rdev = n.rdev
	return st, nil
}

// SetStat implements vfs.Inode.
func (n *nodeInode) SetStat(_ vfs.Context, s *vfs.SetStat) error { return n.setStat(s) }

// linkInode is a symbolic link.
type linkInode struct {
	vfs.InodeDefaults
	*attr
	target string
}

// Stat implements vfs.Inode.
func (l *linkInode) Stat(vfs.Context) (vfs.Stat, error) {
	st := l.stat()
	st.Size = int64(len(l.target))
	return st, nil
}

// SetStat implements vfs.Inode.
func (l *linkInode) SetStat(_ vfs.Context, s *vfs.SetStat) error { return l.setStat(s) }

// Readlink implements vfs.Inode.
func (l *linkInode) Readlink(vfs.Context) (string, error) { return l.target, nil }
