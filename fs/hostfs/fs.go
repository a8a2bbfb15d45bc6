package hostfs

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// Lock order: Filesystem.mu, then inode.mu, then Filesystem.lruMu.

// fileKey identifies a host file.
type fileKey struct {
	dev, ino uint64
}

// Filesystem is a host directory tree passed through read-only. Make it
// with New; Close releases its host fds once nothing uses it.
type Filesystem struct {
	rootFD  int
	rootKey fileKey
	// rootName, in a tree made with NewFile, is the name in the root
	// directory of the file that is the tree's root.
	rootName string

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

	// writable trees (NewWritable) let programs change the host files;
	// hostRoot is set when kite runs as the host's root, and then files
	// made get the owner the program's credentials give them.
	writable, hostRoot bool

	// maxDirFDs is how many directory fds (besides the root's) stay open.
	maxDirFDs int
	// lruMu guards lru and every inode's lruElem.
	lruMu sync.Mutex
	// lru holds the directory inodes whose O_PATH fd is open, most
	// recently used first; the root is never in it (never closed).
	lru list.List

	// maxOpenFDs is how many host fds of open files stay open.
	maxOpenFDs int
	// openMu guards openLRU and every openFD's elem.
	openMu sync.Mutex
	// openLRU holds the open files whose host fd is open, most recently
	// used first (see openFD).
	openLRU list.List
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
		rootFD:    fd,
		rootKey:   fileKey{st.Dev, st.Ino},
		inodes:    make(map[fileKey]*inode),
		devIndex:  map[uint64]uint64{st.Dev: 0},
		maxDirFDs: dirFDBudget(),

		maxOpenFDs: openFDBudget(),
	}
	return fs, nil
}

// dirFDBudget is how many directory fds a Filesystem keeps open: a
// quarter of kite's fd limit, between 64 and 4096, so that walking a big
// tree never runs kite out of fds.
func dirFDBudget() int {
	var rl unix.Rlimit
	n := 1024
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < 1<<30 {
		n = int(rl.Cur)
	}
	return min(max(n/4, 64), 4096)
}

// Name implements vfs.Filesystem.
func (fs *Filesystem) Name() string { return "hostfs" }

// Root implements vfs.Filesystem.
func (fs *Filesystem) Root(ctx vfs.Context) (vfs.Inode, error) {
	dir, err := fs.rootDir()
	if err != nil {
		return nil, err
	}
	if fs.rootName == "" {
		return dir, nil
	}
	return fs.fileRoot(ctx, dir)
}

// rootDir returns the inode of the host directory the tree was made
// from.
func (fs *Filesystem) rootDir() (*inode, error) {
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
	ino := &inode{fs: fs, key: fs.rootKey, typ: unix.S_IFDIR, ino: fs.rootKey.ino, dirFD: fd, sealed: sealed}
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
		Flags:   s.Flags | fs.rdonlyFlag(),
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
	return fs.kiteInoLocked(dev, ino)
}

// kiteInoLocked is kiteIno.
//
// Preconditions: fs.mu is held.
func (fs *Filesystem) kiteInoLocked(dev, ino uint64) uint64 {
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
	ino uint64 // the inode number kite reports (kiteIno of key)
	// sealed marks a directory on a host file system hostfs does not enter
	// (see sealedFSTypes).
	sealed bool

	// mu guards the fields below.
	mu sync.Mutex
	// dirFD is the O_PATH fd of a directory while it is open: -1 for other
	// files, after Close, or when the fd cache closed it (it is reopened
	// from the parent on next use).
	dirFD int
	// users counts the callers using dirFD now; the cache closes only
	// unused fds.
	users int
	// parent and name are where the file was last found; nil parent for
	// the root. A non-directory is stat'ed, read and opened through them,
	// and a directory whose fd was closed is reopened through them.
	parent *inode
	name   string

	// st is the host attributes last read, at statAt; hostStat reuses
	// them for statTTL.
	st     unix.Stat_t
	statAt time.Time

	// flags are the host file's attribute flags as read when its
	// change time was flagsCtime (flagsKnown): changing them on the
	// host changes the change time (see AttrFlags).
	flags      uint32
	flagsCtime unix.Timespec
	flagsKnown bool

	// lruElem is i's place in fs.lru, nil when not in it. Guarded by
	// fs.lruMu.
	lruElem *list.Element
}

// statTTL is how long host attributes read for one operation answer the
// next ones. A path walk asks for each directory's attributes right after
// revalidating it (the same fstatat); within this window a change made
// on the host may go unseen, as it might have raced the walk anyway.
const statTTL = 10 * time.Millisecond

// remember records host attributes just read.
func (i *inode) remember(st *unix.Stat_t) {
	i.mu.Lock()
	i.st = *st
	i.statAt = time.Now()
	i.mu.Unlock()
}

// recent returns the attributes read within statTTL, if any.
func (i *inode) recent() (unix.Stat_t, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.statAt.IsZero() || time.Since(i.statAt) > statTTL {
		return unix.Stat_t{}, false
	}
	return i.st, true
}

// acquireDir returns the O_PATH fd of the directory i, reopening it by
// name from its parent (and checking that it is still the same directory,
// ESTALE if not) when the fd cache closed it. The fd stays open until
// release is called.
func (i *inode) acquireDir() (fd int, release func(), err error) {
	i.mu.Lock()
	if i.dirFD >= 0 {
		i.users++
		fd = i.dirFD
		i.fs.touch(i)
		i.mu.Unlock()
		return fd, i.releaseDir, nil
	}
	parent, name := i.parent, i.name
	i.mu.Unlock()
	if parent == nil || i.typ != unix.S_IFDIR {
		return -1, nil, unix.EIO
	}
	pfd, prelease, err := parent.acquireDir()
	if err != nil {
		return -1, nil, err
	}
	nfd, err := lookupAt(pfd, name)
	prelease()
	if err != nil {
		if err == unix.ENOENT {
			err = unix.ESTALE
		}
		return -1, nil, err
	}
	st, err := statFD(nfd)
	if err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Dev != i.key.dev || st.Ino != i.key.ino {
		closeFD(nfd)
		if err == nil {
			err = unix.ESTALE
		}
		return -1, nil, err
	}
	i.fs.mu.Lock()
	closed := i.fs.closed
	i.fs.mu.Unlock()
	if closed {
		closeFD(nfd)
		return -1, nil, unix.EIO
	}
	i.mu.Lock()
	if i.dirFD >= 0 {
		closeFD(nfd)
	} else {
		i.dirFD = nfd
	}
	i.users++
	fd = i.dirFD
	i.fs.touch(i)
	i.mu.Unlock()
	i.fs.evict()
	return fd, i.releaseDir, nil
}

func (i *inode) releaseDir() {
	i.mu.Lock()
	i.users--
	i.mu.Unlock()
}

// touch moves i to the front of the fd cache, adding it if needed.
//
// Preconditions: i.mu is held; i.dirFD is open.
func (fs *Filesystem) touch(i *inode) {
	if i.parent == nil {
		return // the root's fd is never closed
	}
	fs.lruMu.Lock()
	if i.lruElem != nil {
		fs.lru.MoveToFront(i.lruElem)
	} else {
		i.lruElem = fs.lru.PushFront(i)
	}
	fs.lruMu.Unlock()
}

// evict closes the least recently used directory fds that nobody is using
// until at most maxDirFDs stay open.
func (fs *Filesystem) evict() {
	fs.lruMu.Lock()
	tries := fs.lru.Len()
	fs.lruMu.Unlock()
	for ; tries > 0; tries-- {
		fs.lruMu.Lock()
		if fs.lru.Len() <= fs.maxDirFDs {
			fs.lruMu.Unlock()
			return
		}
		e := fs.lru.Back()
		c := e.Value.(*inode)
		fs.lru.Remove(e)
		c.lruElem = nil
		fs.lruMu.Unlock()

		c.mu.Lock()
		if c.dirFD >= 0 {
			if c.users == 0 {
				closeFD(c.dirFD)
				c.dirFD = -1
			} else {
				fs.touch(c)
			}
		}
		c.mu.Unlock()
	}
}

// location returns the fd of the parent directory (to release after use)
// and the name to reach a non-directory by.
func (i *inode) location() (int, string, func(), error) {
	i.mu.Lock()
	parent, name := i.parent, i.name
	i.mu.Unlock()
	if parent == nil {
		return -1, "", nil, unix.EIO
	}
	fd, release, err := parent.acquireDir()
	return fd, name, release, err
}

// hostStat returns the host attributes of i, checking that the name still
// refers to the same host file (ESTALE if the host replaced it).
func (i *inode) hostStat() (unix.Stat_t, error) {
	if st, ok := i.recent(); ok {
		return st, nil
	}
	st, err := i.readHostStat()
	if err == nil {
		i.remember(&st)
	}
	return st, err
}

// readHostStat asks the host for i's attributes.
func (i *inode) readHostStat() (unix.Stat_t, error) {
	if i.typ == unix.S_IFDIR {
		fd, release, err := i.acquireDir()
		if err != nil {
			return unix.Stat_t{}, err
		}
		defer release()
		return statFD(fd)
	}
	dirfd, name, release, err := i.location()
	if err != nil {
		return unix.Stat_t{}, err
	}
	defer release()
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
		Ino:     i.ino,
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
	dirfd, release, err := i.acquireDir()
	if err != nil {
		return nil, err
	}
	defer release()
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
	child, err := i.fs.internChild(i, name, key, st.Mode&unix.S_IFMT, sealed, childFD)
	if err != nil {
		return nil, err
	}
	child.remember(&st)
	if childFD >= 0 {
		i.fs.evict()
	}
	return child, nil
}

// internChild returns the one inode of the host file key found as name in
// parent, making it if it is new. childFD (a directory's O_PATH fd, or -1)
// is given to the inode or closed.
func (fs *Filesystem) internChild(parent *inode, name string, key fileKey, typ uint32, sealed bool, childFD int) (*inode, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.closed {
		closeFD(childFD)
		return nil, unix.EIO
	}
	if old := fs.inodes[key]; old != nil && old.typ == typ {
		old.mu.Lock()
		defer old.mu.Unlock()
		if old.key != fs.rootKey {
			old.parent, old.name = parent, name
		}
		if childFD >= 0 && old.dirFD < 0 {
			old.dirFD = childFD
			fs.touch(old)
		} else {
			closeFD(childFD)
		}
		return old, nil
	}
	child := &inode{
		fs:     fs,
		key:    key,
		typ:    typ,
		ino:    fs.kiteInoLocked(key.dev, key.ino),
		sealed: sealed,
		dirFD:  childFD,
		parent: parent,
		name:   name,
	}
	fs.inodes[key] = child
	if childFD >= 0 {
		child.mu.Lock()
		fs.touch(child)
		child.mu.Unlock()
	}
	return child, nil
}

// Revalidate implements vfs.Revalidator: a cached child stays valid while
// name still refers to the same host file.
func (i *inode) Revalidate(ctx vfs.Context, name string, child vfs.Inode) bool {
	c, ok := child.(*inode)
	if !ok || !validName(name) {
		return false
	}
	dirfd, release, err := i.acquireDir()
	if err != nil {
		return false
	}
	defer release()
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return false
	}
	if st.Dev != c.key.dev || st.Ino != c.key.ino || st.Mode&unix.S_IFMT != c.typ {
		return false
	}
	c.remember(&st)
	return true
}

// Readlink implements vfs.Inode: the link's text, never resolved by the
// host.
func (i *inode) Readlink(ctx vfs.Context) (string, error) {
	if i.typ != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	dirfd, name, release, err := i.location()
	if err != nil {
		return "", err
	}
	fd, err := lookupAt(dirfd, name)
	release()
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

// Open implements vfs.Inode. Regular files and directories are opened on
// the host, nothing else ever is; regular files are opened for writing
// only in a writable tree.
func (i *inode) Open(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	if flags&unix.O_ACCMODE != unix.O_RDONLY || flags&unix.O_TRUNC != 0 {
		if !i.fs.writable {
			return nil, unix.EROFS
		}
		if i.typ == unix.S_IFREG && flags&unix.O_ACCMODE != unix.O_RDONLY {
			return i.openForWriting(flags & unix.O_ACCMODE)
		}
	}
	switch i.typ {
	case unix.S_IFDIR:
		if i.sealed {
			return nil, unix.EACCES
		}
		pathFD, release, err := i.acquireDir()
		if err != nil {
			return nil, err
		}
		fd, err := openDirFD(pathFD)
		release()
		if err != nil {
			return nil, err
		}
		return &dirFile{ino: i, fd: i.fs.newOpenFD(i, fd)}, nil
	case unix.S_IFREG:
		dirfd, name, release, err := i.location()
		if err != nil {
			return nil, err
		}
		fd, err := openRegularAt(dirfd, name, i.key.dev, i.key.ino)
		release()
		if err != nil {
			return nil, err
		}
		return &regularFile{fd: i.fs.newOpenFD(i, fd)}, nil
	}
	return nil, unix.ENXIO
}

// regularFile is an open host regular file, read with pread.
type regularFile struct {
	vfs.FileDefaults
	// fd is the host fd, in the open-fd cache when opened read-only and
	// pinned open when opened for writing.
	fd *openFD
	// writable is set when fd was opened for writing (a writable tree).
	writable bool
}

// Read implements vfs.FileOperations.
func (r *regularFile) Read(ctx vfs.Context, f *vfs.File, dst []byte, off int64) (int, error) {
	if off < 0 {
		return 0, unix.EINVAL
	}
	fd, _, done, err := r.fd.acquire()
	if err != nil {
		return 0, err
	}
	defer done()
	return preadFD(fd, dst, off)
}

// Write implements vfs.FileOperations.
func (r *regularFile) Write(ctx vfs.Context, f *vfs.File, src []byte, off int64) (int, error) {
	if !r.writable {
		return 0, unix.EBADF
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	fd, _, done, err := r.fd.acquire()
	if err != nil {
		return 0, err
	}
	defer done()
	n, err := pwriteFD(fd, src, off)
	r.fd.ino.forgetStat()
	return n, err
}

// Seek implements vfs.FileOperations, against the host file's current
// size.
func (r *regularFile) Seek(ctx vfs.Context, f *vfs.File, cur, off int64, whence int) (int64, error) {
	fd, _, done, err := r.fd.acquire()
	if err != nil {
		return 0, err
	}
	defer done()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return vfs.GenericSeek(cur, st.Size, off, whence)
}

// Sync implements vfs.FileOperations: the host file's data (and, unless
// dataOnly, attributes) reach the host's disk. Nothing of a file opened
// read-only is unwritten.
func (r *regularFile) Sync(ctx vfs.Context, f *vfs.File, dataOnly bool) error {
	if !r.writable {
		return nil
	}
	fd, _, done, err := r.fd.acquire()
	if err != nil {
		return err
	}
	defer done()
	if dataOnly {
		return unix.Fdatasync(fd)
	}
	return unix.Fsync(fd)
}

// Release implements vfs.FileOperations.
func (r *regularFile) Release(vfs.Context) { r.fd.release() }

// dirFile is an open host directory. Its entries are read from the host
// when the listing starts (offset 2) and served from that snapshot, so
// offsets stay stable while the listing goes on.
type dirFile struct {
	vfs.FileDefaults
	ino *inode
	// fd is the host directory opened for reading, in the open-fd cache.
	fd *openFD

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
		fd, fresh, done, err := d.fd.acquire()
		if err != nil {
			return err
		}
		if !fresh {
			if _, err := unix.Seek(fd, 0, unix.SEEK_SET); err != nil {
				done()
				return err
			}
		}
		ents, err := readDirFD(fd)
		done()
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
func (d *dirFile) Release(vfs.Context) { d.fd.release() }
