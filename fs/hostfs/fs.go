package hostfs

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Lock order: Filesystem.mu, then inode.mu.

// fileKey identifies a host file.
type fileKey struct {
	dev, ino uint64
}

// Filesystem is a host directory tree passed through read-only. Make it
// with New; Close releases its host fds once nothing uses it.
type Filesystem struct {
	rootFD  int
	rootKey fileKey

	// mu guards the fields below.
	mu sync.Mutex
	// inodes maps each host file seen to its one inode, so that the VFS
	// gets the same Inode value for the same file (hard links included).
	inodes map[fileKey]*inode
	// devIndex numbers the host devices met below the root (the root's own
	// device is 0), to keep inode numbers unique within kite's one device
	// number for this file system.
	devIndex map[uint64]uint64
	closed   bool
}

// New opens the host directory hostDir (trusted configuration, resolved
// by the host normally) as the root of a read-only tree.
func New(hostDir string) (*Filesystem, error) {
	fd, err := openRootFD(hostDir)
	if err != nil {
		return nil, err
	}
	st, err := statFD(fd)
	if err != nil {
		closeFD(fd)
		return nil, err
	}
	fs := &Filesystem{
		rootFD:   fd,
		rootKey:  fileKey{st.Dev, st.Ino},
		inodes:   make(map[fileKey]*inode),
		devIndex: map[uint64]uint64{st.Dev: 0},
	}
	return fs, nil
}

// Name implements vfs.Filesystem.
func (fs *Filesystem) Name() string { return "hostfs" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(ctx vfs.Context) (vfs.Inode, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return nil, unix.EIO
	}
	if ino := fs.inodes[fs.rootKey]; ino != nil {
		return ino, nil
	}
	// The root gets its own O_PATH fd so that Close can treat every
	// directory inode alike.
	fd, err := unix.Openat(fs.rootFD, ".", hostOpenFlags|unix.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	sealed, err := sealedFD(fd)
	if err != nil {
		closeFD(fd)
		return nil, err
	}
	ino := &inode{fs: fs, key: fs.rootKey, typ: unix.S_IFDIR, dirFD: fd, sealed: sealed}
	fs.inodes[fs.rootKey] = ino
	return ino, nil
}

// Statfs implements vfs.Filesystem: the host file system's figures, marked
// read-only.
func (fs *Filesystem) Statfs(ctx vfs.Context) (vfs.Statfs, error) {
	var s unix.Statfs_t
	if err := unix.Fstatfs(fs.rootFD, &s); err != nil {
		return vfs.Statfs{}, err
	}
	return vfs.Statfs{
		Type:    int64(s.Type),
		Bsize:   s.Bsize,
		Blocks:  s.Blocks,
		Bfree:   s.Bfree,
		Bavail:  s.Bavail,
		Files:   s.Files,
		Ffree:   s.Ffree,
		NameLen: s.Namelen,
		Frsize:  s.Frsize,
		Flags:   s.Flags | unix.ST_RDONLY,
	}, nil
}

// Close releases the host fds of every directory inode. Files already open
// keep their own fds until released. Use it when the file system is no
// longer mounted anywhere.
//
// Preconditions: no other operation on fs or its inodes is running or
// will run (a closed fd number could be reused by the host meanwhile).
func (fs *Filesystem) Close() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		return
	}
	fs.closed = true
	for _, ino := range fs.inodes {
		ino.mu.Lock()
		closeFD(ino.dirFD)
		ino.dirFD = -1
		ino.mu.Unlock()
	}
	closeFD(fs.rootFD)
	fs.rootFD = -1
}

// kiteIno returns the inode number kite reports for a host file: the host
// number on the root's device, and on any other host device the host
// number with the device's index in the top byte, so that files of two
// host devices never share a number under kite's one device number.
func (fs *Filesystem) kiteIno(dev, ino uint64) uint64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	idx, ok := fs.devIndex[dev]
	if !ok {
		idx = uint64(len(fs.devIndex))
		fs.devIndex[dev] = idx
	}
	return ino ^ (idx&0xff)<<56
}

// inode is one host file. Directories hold an O_PATH fd of themselves;
// other files are reached again by name from their parent's fd, so that a
// large tree does not hold one host fd per file.
type inode struct {
	vfs.InodeDefaults
	fs  *Filesystem
	key fileKey
	typ uint32
	// sealed marks a directory on a host file system hostfs does not enter
	// (see sealedFSTypes).
	sealed bool

	// mu guards the fields below.
	mu sync.Mutex
	// dirFD is the O_PATH fd of a directory, -1 for other files or after
	// Close.
	dirFD int
	// parent and name are where the file was last found; nil parent for
	// the root. A non-directory is stat'ed, read and opened through them.
	parent *inode
	name   string
}

func (i *inode) dir() (int, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.dirFD < 0 {
		return -1, unix.EIO
	}
	return i.dirFD, nil
}

// location returns the fd of the parent directory and the name to reach a
// non-directory by.
func (i *inode) location() (int, string, error) {
	i.mu.Lock()
	parent, name := i.parent, i.name
	i.mu.Unlock()
	if parent == nil {
		return -1, "", unix.EIO
	}
	fd, err := parent.dir()
	return fd, name, err
}

// hostStat returns the host attributes of i, checking that the name still
// refers to the same host file (ESTALE if the host replaced it).
func (i *inode) hostStat() (unix.Stat_t, error) {
	if i.typ == unix.S_IFDIR {
		fd, err := i.dir()
		if err != nil {
			return unix.Stat_t{}, err
		}
		return statFD(fd)
	}
	dirfd, name, err := i.location()
	if err != nil {
		return unix.Stat_t{}, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err == unix.ENOENT {
			return st, unix.ESTALE
		}
		return st, err
	}
	if st.Dev != i.key.dev || st.Ino != i.key.ino {
		return st, unix.ESTALE
	}
	return st, nil
}

// Stat implements vfs.Inode.
func (i *inode) Stat(ctx vfs.Context) (vfs.Stat, error) {
	st, err := i.hostStat()
	if err != nil {
		return vfs.Stat{}, err
	}
	return vfs.Stat{
		Ino:     i.fs.kiteIno(st.Dev, st.Ino),
		Nlink:   st.Nlink,
		Mode:    st.Mode,
		UID:     st.Uid,
		GID:     st.Gid,
		Rdev:    st.Rdev,
		Size:    st.Size,
		Blksize: st.Blksize,
		Blocks:  st.Blocks,
		Atime:   st.Atim,
		Mtime:   st.Mtim,
		Ctime:   st.Ctim,
	}, nil
}

// SetStat implements vfs.Inode: hostfs is read-only.
func (i *inode) SetStat(vfs.Context, *vfs.SetStat) error { return unix.EROFS }

// Lookup implements vfs.Inode. The child is stat'ed with one name relative
// to this directory's fd, without following symlinks.
func (i *inode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	if i.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	if i.sealed {
		return nil, unix.EACCES
	}
	if len(name) > unix.NAME_MAX {
		return nil, unix.ENAMETOOLONG
	}
	if !validName(name) {
		return nil, unix.ENOENT
	}
	dirfd, err := i.dir()
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return nil, err
	}
	childFD := -1
	sealed := false
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		childFD, err = lookupAt(dirfd, name)
		if err != nil {
			return nil, err
		}
		// Take the attributes from the fd, in case the name changed.
		if st, err = statFD(childFD); err != nil {
			closeFD(childFD)
			return nil, err
		}
		if st.Mode&unix.S_IFMT != unix.S_IFDIR {
			closeFD(childFD)
			return nil, unix.ESTALE
		}
		if st.Dev != i.key.dev {
			if sealed, err = sealedFD(childFD); err != nil {
				closeFD(childFD)
				return nil, err
			}
		}
	}
	key := fileKey{st.Dev, st.Ino}
	i.fs.mu.Lock()
	defer i.fs.mu.Unlock()
	if i.fs.closed {
		closeFD(childFD)
		return nil, unix.EIO
	}
	if old := i.fs.inodes[key]; old != nil && old.typ == st.Mode&unix.S_IFMT {
		closeFD(childFD)
		old.mu.Lock()
		if old.key != i.fs.rootKey {
			old.parent, old.name = i, name
		}
		old.mu.Unlock()
		return old, nil
	}
	child := &inode{
		fs:     i.fs,
		key:    key,
		typ:    st.Mode & unix.S_IFMT,
		sealed: sealed,
		dirFD:  childFD,
		parent: i,
		name:   name,
	}
	i.fs.inodes[key] = child
	return child, nil
}

// Revalidate implements vfs.Revalidator: a cached child stays valid while
// name still refers to the same host file.
func (i *inode) Revalidate(ctx vfs.Context, name string, child vfs.Inode) bool {
	c, ok := child.(*inode)
	if !ok || !validName(name) {
		return false
	}
	dirfd, err := i.dir()
	if err != nil {
		return false
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false
	}
	return st.Dev == c.key.dev && st.Ino == c.key.ino && st.Mode&unix.S_IFMT == c.typ
}

// Readlink implements vfs.Inode: the link's text, never resolved by the
// host.
func (i *inode) Readlink(ctx vfs.Context) (string, error) {
	if i.typ != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	dirfd, name, err := i.location()
	if err != nil {
		return "", err
	}
	fd, err := lookupAt(dirfd, name)
	if err != nil {
		if err == unix.ENOENT {
			return "", unix.ESTALE
		}
		return "", err
	}
	defer closeFD(fd)
	st, err := statFD(fd)
	if err != nil {
		return "", err
	}
	if st.Dev != i.key.dev || st.Ino != i.key.ino {
		return "", unix.ESTALE
	}
	return readlinkFD(fd)
}

// Open implements vfs.Inode. Only reading is possible; regular files and
// directories are opened on the host, nothing else ever is.
func (i *inode) Open(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
		return nil, unix.EROFS
	}
	switch i.typ {
	case unix.S_IFDIR:
		if i.sealed {
			return nil, unix.EACCES
		}
		pathFD, err := i.dir()
		if err != nil {
			return nil, err
		}
		fd, err := openDirFD(pathFD)
		if err != nil {
			return nil, err
		}
		return &dirFile{ino: i, fd: fd}, nil
	case unix.S_IFREG:
		dirfd, name, err := i.location()
		if err != nil {
			return nil, err
		}
		fd, err := openRegularAt(dirfd, name, i.key.dev, i.key.ino)
		if err != nil {
			return nil, err
		}
		return &regularFile{fd: fd}, nil
	}
	return nil, unix.ENXIO
}

// The file-creating and -changing operations of a read-only file system.

// Create implements vfs.Inode.
func (i *inode) Create(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EROFS }

// Mkdir implements vfs.Inode.
func (i *inode) Mkdir(vfs.Context, string, uint32) (vfs.Inode, error) { return nil, unix.EROFS }

// Mknod implements vfs.Inode.
func (i *inode) Mknod(vfs.Context, string, uint32, uint64) (vfs.Inode, error) {
	return nil, unix.EROFS
}

// Symlink implements vfs.Inode.
func (i *inode) Symlink(vfs.Context, string, string) (vfs.Inode, error) { return nil, unix.EROFS }

// Link implements vfs.Inode.
func (i *inode) Link(vfs.Context, string, vfs.Inode) error { return unix.EROFS }

// Unlink implements vfs.Inode.
func (i *inode) Unlink(vfs.Context, string, vfs.Inode) error { return unix.EROFS }

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(vfs.Context, string, vfs.Inode) error { return unix.EROFS }

// Rename implements vfs.Inode.
func (i *inode) Rename(vfs.Context, string, vfs.Inode, vfs.Inode, string, vfs.Inode, uint32) error {
	return unix.EROFS
}

// regularFile is an open host regular file, read with pread.
type regularFile struct {
	vfs.FileDefaults
	// fd is the host fd, opened read-only; closed by Release.
	fd int
}

// Read implements vfs.FileOperations.
func (r *regularFile) Read(ctx vfs.Context, f *vfs.File, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	return preadFD(r.fd, dst, off)
}

// Write implements vfs.FileOperations.
func (r *regularFile) Write(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EBADF
}

// Seek implements vfs.FileOperations, against the host file's current
// size.
func (r *regularFile) Seek(ctx vfs.Context, f *vfs.File, cur, off int64, whence int) (int64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(r.fd, &st); err != nil {
		return 0, err
	}
	return vfs.GenericSeek(cur, st.Size, off, whence)
}

// Sync implements vfs.FileOperations: nothing of a read-only file is
// unwritten.
func (r *regularFile) Sync(vfs.Context, *vfs.File, bool) error { return nil }

// Release implements vfs.FileOperations.
func (r *regularFile) Release(vfs.Context) { closeFD(r.fd) }

// dirFile is an open host directory. Its entries are read from the host
// when the listing starts (offset 2) and served from that snapshot, so
// offsets stay stable while the listing goes on.
type dirFile struct {
	vfs.FileDefaults
	ino *inode
	// fd is the host directory opened for reading; closed by Release.
	fd int

	// mu guards ents.
	mu   sync.Mutex
	ents []hostDirent
}

// IterDirents implements vfs.FileOperations. Entry k of the snapshot is at
// offset 2+k.
func (d *dirFile) IterDirents(ctx vfs.Context, f *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ents == nil || off <= 2 {
		if _, err := unix.Seek(d.fd, 0, unix.SEEK_SET); err != nil {
			return err
		}
		ents, err := readDirFD(d.fd)
		if err != nil {
			return err
		}
		if ents == nil {
			ents = []hostDirent{}
		}
		d.ents = ents
	}
	for k := off - 2; k >= 0 && k < int64(len(d.ents)); k++ {
		e := d.ents[k]
		ino := d.ino.fs.kiteIno(d.ino.key.dev, e.Ino)
		if !emit(vfs.Dirent{Name: e.Name, Ino: ino, Type: e.Type, NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// Seek implements vfs.FileOperations: directories seek to offsets that
// IterDirents gave (SEEK_SET, SEEK_CUR).
func (d *dirFile) Seek(ctx vfs.Context, f *vfs.File, cur, off int64, whence int) (int64, error) {
	return d.FileDefaults.Seek(ctx, f, cur, off, whence)
}

// Read implements vfs.FileOperations.
func (d *dirFile) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EISDIR
}

// Sync implements vfs.FileOperations.
func (d *dirFile) Sync(vfs.Context, *vfs.File, bool) error { return nil }

// Release implements vfs.FileOperations.
func (d *dirFile) Release(vfs.Context) { closeFD(d.fd) }
