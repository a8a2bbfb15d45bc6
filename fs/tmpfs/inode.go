package tmpfs

import (
	"sort"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// inode is one tmpfs file of any type.
type inode struct {
	vfs.InodeDefaults
	fs    *Filesystem
	ino   uint64
	ftype uint32 // S_IFMT bits of mode; never change

	// mu guards the fields below. For directories, entries and dirents
	// are also only changed with fs.mu held.
	mu                         sync.RWMutex
	mode                       uint32 // type and permission bits
	uid, gid                   uint32
	nlink                      uint64
	rdev                       uint64
	atime, mtime, ctime, btime unix.Timespec
	opens                      int    // open file descriptions
	fsflags                    uint32 // FS_*_FL attribute flags (flags.go)
	freed                      bool

	// Regular files: size, and the pages holding the data (missing pages
	// are holes). The pages are the file's page cache, which mmap maps;
	// charged is how many of them the file system's size limit counts
	// (pages a mapping touched are charged at the next write, truncate or
	// stat).
	size    int64
	pages   vfs.Pages
	charged int64

	// seals are the memfd seals (F_SEAL_*); sealing says whether more
	// may be added (MFD_ALLOW_SEALING, else F_SEAL_SEAL is set).
	seals uint32

	// Directories: entries by name, and the same entries in order of
	// their cookies (getdents offsets), which only grow.
	entries    map[string]*dirent
	dirents    []*dirent
	nextCookie int64

	// Symbolic links.
	target string

	// xattrs holds extended attributes by full name.
	xattrs map[string][]byte
}

// dirent is one directory entry.
type dirent struct {
	name   string
	child  *inode
	cookie int64
}

func (i *inode) typ() uint32 { return i.ftype }

// Stat implements vfs.Inode.
func (i *inode) Stat(vfs.Context) (vfs.Stat, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	st := vfs.Stat{
		Ino: i.ino, Nlink: i.nlink, Mode: i.mode, UID: i.uid, GID: i.gid,
		Rdev: i.rdev, Blksize: pageSize,
		Atime: i.atime, Mtime: i.mtime, Ctime: i.ctime, Btime: i.btime,
	}
	switch i.typ() {
	case unix.S_IFREG:
		st.Size = i.size
		i.chargeLocked()
		st.Blocks = i.charged * (pageSize / 512)
	case unix.S_IFDIR:
		// Linux's tmpfs reports BOGO_DIRENT_SIZE (20) per entry.
		st.Size = int64(2+len(i.entries)) * 20
	case unix.S_IFLNK:
		st.Size = int64(len(i.target))
	}
	return st, nil
}

// SetStat implements vfs.Inode.
func (i *inode) SetStat(_ vfs.Context, s *vfs.SetStat) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if s.Mask&unix.STATX_MODE != 0 && i.seals&unix.F_SEAL_EXEC != 0 && (i.mode^s.Mode)&0o111 != 0 {
		return unix.EPERM
	}
	if s.Mask&unix.STATX_SIZE != 0 {
		if i.typ() != unix.S_IFREG {
			return unix.EINVAL
		}
		if err := i.truncateLocked(s.Size); err != nil {
			return err
		}
	}
	if s.Mask&unix.STATX_MODE != 0 {
		i.mode = i.typ() | s.Mode&0o7777
	}
	if s.Mask&unix.STATX_UID != 0 {
		i.uid = s.UID
	}
	if s.Mask&unix.STATX_GID != 0 {
		i.gid = s.GID
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		i.atime = s.Atime
	}
	if s.Mask&unix.STATX_MTIME != 0 {
		i.mtime = s.Mtime
	}
	i.ctime = s.Ctime
	return nil
}

// Open implements vfs.Inode.
func (i *inode) Open(_ vfs.Context, flags int) (vfs.FileOperations, error) {
	i.mu.Lock()
	i.opens++
	i.mu.Unlock()
	switch i.typ() {
	case unix.S_IFREG:
		return &regularFile{ino: i}, nil
	case unix.S_IFDIR:
		return &dirFile{ino: i}, nil
	}
	i.release()
	return nil, unix.ENXIO
}

// release drops an open reference and frees a removed inode's data when
// the last one goes.
func (i *inode) release() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.opens--
	i.maybeFreeLocked()
}

// maybeFreeLocked frees the inode's data once it has no names and no
// open files.
//
// Preconditions: i.mu is held.
func (i *inode) maybeFreeLocked() {
	if i.opens > 0 || i.nlink > 0 || i.freed {
		return
	}
	i.freed = true
	if i.pages != nil {
		i.pages.DecRef()
		i.pages = nil
		i.fs.freePages(i.charged)
		i.charged = 0
	}
	i.fs.inodes.Add(-1)
}

// Readlink implements vfs.Inode.
func (i *inode) Readlink(vfs.Context) (string, error) {
	if i.typ() != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return i.target, nil
}

// Lookup implements vfs.Inode.
func (i *inode) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	if i.typ() != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	i.mu.RLock()
	defer i.mu.RUnlock()
	if e := i.entries[name]; e != nil {
		return e.child, nil
	}
	return nil, unix.ENOENT
}

// addEntryLocked links child into i under name.
//
// Preconditions: fs.mu and i.mu are held; name is free.
func (i *inode) addEntryLocked(name string, child *inode) {
	if i.entries == nil {
		i.entries = make(map[string]*dirent)
		i.nextCookie = 2
	}
	e := &dirent{name: name, child: child, cookie: i.nextCookie}
	i.nextCookie++
	i.entries[name] = e
	i.dirents = append(i.dirents, e)
}

// removeEntryLocked unlinks name from i.
//
// Preconditions: fs.mu and i.mu are held; name exists.
func (i *inode) removeEntryLocked(name string) {
	e := i.entries[name]
	delete(i.entries, name)
	k := sort.Search(len(i.dirents), func(k int) bool { return i.dirents[k].cookie >= e.cookie })
	i.dirents = append(i.dirents[:k], i.dirents[k+1:]...)
}

// create makes a new child inode of type and mode under name.
func (i *inode) create(ctx vfs.Context, name string, mode uint32, init func(*inode)) (*inode, error) {
	fs := i.fs
	if i.typ() != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	if fs.opts.MaxInodes > 0 && fs.inodes.Load() >= fs.opts.MaxInodes {
		return nil, unix.ENOSPC
	}
	c := ctx.Credentials()
	now := fs.v.NowTimespec()
	i.mu.RLock()
	gid, dirSGID, dirUID := c.FSGID, i.mode&unix.S_ISGID != 0, i.uid
	if dirSGID {
		gid = i.gid
	}
	inherited := i.fsflags & inheritedFlags
	i.mu.RUnlock()
	typ := mode & unix.S_IFMT
	if dirSGID && typ == unix.S_IFDIR {
		mode |= unix.S_ISGID
	} else if mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP && !c.InGroupOrCapable(dirUID, gid) {
		mode &^= unix.S_ISGID
	}
	child := fs.newInode(mode, c.FSUID, gid, now)
	child.fsflags = inherited
	if init != nil {
		init(child)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.nlink == 0 {
		fs.inodes.Add(-1)
		return nil, unix.ENOENT
	}
	if name == "" {
		// O_TMPFILE: no entry, no link.
		child.nlink = 0
		return child, nil
	}
	if i.entries[name] != nil {
		fs.inodes.Add(-1)
		return nil, unix.EEXIST
	}
	i.addEntryLocked(name, child)
	if typ == unix.S_IFDIR {
		i.nlink++
	}
	i.mtime, i.ctime = now, now
	return child, nil
}

// CreateTmpfile implements vfs.TmpfileCreator: a regular file with no
// name, freed when its last open file goes unless it is linked first.
func (i *inode) CreateTmpfile(ctx vfs.Context, mode uint32) (vfs.Inode, error) {
	child, err := i.create(ctx, "", unix.S_IFREG|mode&0o7777, nil)
	if err != nil {
		return nil, err
	}
	return child, nil
}

// Create implements vfs.Inode.
func (i *inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.create(ctx, name, unix.S_IFREG|mode&0o7777, nil)
}

// Mkdir implements vfs.Inode.
func (i *inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.create(ctx, name, unix.S_IFDIR|mode&0o7777, func(c *inode) { c.nlink = 2 })
}

// Mknod implements vfs.Inode: character and block devices, FIFOs and
// sockets.
func (i *inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK:
	case unix.S_IFIFO, unix.S_IFSOCK:
		rdev = 0
	default:
		return nil, unix.EINVAL
	}
	return i.create(ctx, name, mode, func(c *inode) { c.rdev = rdev })
}

// Symlink implements vfs.Inode.
func (i *inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return i.create(ctx, name, unix.S_IFLNK|0o777, func(c *inode) { c.target = target })
}

// Link implements vfs.Inode.
func (i *inode) Link(_ vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != i.fs {
		return unix.EXDEV
	}
	fs := i.fs
	now := fs.v.NowTimespec()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i.mu.Lock()
	if i.nlink == 0 {
		i.mu.Unlock()
		return unix.ENOENT
	}
	if i.entries[name] != nil {
		i.mu.Unlock()
		return unix.EEXIST
	}
	i.addEntryLocked(name, t)
	i.mtime, i.ctime = now, now
	i.mu.Unlock()
	t.mu.Lock()
	t.nlink++
	t.ctime = now
	t.mu.Unlock()
	return nil
}

// Unlink implements vfs.Inode.
func (i *inode) Unlink(_ vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child, false)
}

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(_ vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child, true)
}

func (i *inode) remove(name string, child vfs.Inode, isDir bool) error {
	fs := i.fs
	now := fs.v.NowTimespec()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i.mu.Lock()
	e := i.entries[name]
	if e == nil || e.child != child {
		i.mu.Unlock()
		return unix.ENOENT
	}
	c := e.child
	if isDir {
		c.mu.RLock()
		n := len(c.entries)
		c.mu.RUnlock()
		if n > 0 {
			i.mu.Unlock()
			return unix.ENOTEMPTY
		}
		i.nlink--
	}
	i.removeEntryLocked(name)
	i.mtime, i.ctime = now, now
	i.mu.Unlock()
	c.dropLink(now, isDir)
	return nil
}

// dropLink removes one name of i (all of them for a directory).
func (i *inode) dropLink(now unix.Timespec, isDir bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if isDir {
		i.nlink = 0
	} else if i.nlink > 0 {
		i.nlink--
	}
	i.ctime = now
	i.maybeFreeLocked()
}

// Rename implements vfs.Inode.
func (i *inode) Rename(_ vfs.Context, oldName string, child vfs.Inode, newDir vfs.Inode, newName string, replaced vfs.Inode, flags uint32) error {
	nd, ok := newDir.(*inode)
	if !ok || nd.fs != i.fs {
		return unix.EXDEV
	}
	fs := i.fs
	now := fs.v.NowTimespec()
	fs.mu.Lock()
	defer fs.mu.Unlock()

	i.mu.RLock()
	oe := i.entries[oldName]
	i.mu.RUnlock()
	nd.mu.RLock()
	ne := nd.entries[newName]
	nd.mu.RUnlock()
	if oe == nil || oe.child != child {
		return unix.ENOENT
	}
	if (replaced == nil) != (ne == nil) || (ne != nil && ne.child != replaced) {
		return unix.ENOENT
	}
	c := oe.child
	cDir := c.typ() == unix.S_IFDIR

	if flags&vfs.RenameExchange != 0 {
		v := ne.child
		vDir := v.typ() == unix.S_IFDIR
		i.mu.Lock()
		oe.child = v
		if i != nd && cDir != vDir {
			if cDir {
				i.nlink--
			} else {
				i.nlink++
			}
		}
		i.mtime, i.ctime = now, now
		i.mu.Unlock()
		nd.mu.Lock()
		ne.child = c
		if i != nd && cDir != vDir {
			if cDir {
				nd.nlink++
			} else {
				nd.nlink--
			}
		}
		nd.mtime, nd.ctime = now, now
		nd.mu.Unlock()
		c.touchCtime(now)
		v.touchCtime(now)
		return nil
	}

	if ne != nil {
		v := ne.child
		if v.typ() == unix.S_IFDIR {
			v.mu.RLock()
			n := len(v.entries)
			v.mu.RUnlock()
			if n > 0 {
				return unix.ENOTEMPTY
			}
		}
	}
	nd.mu.Lock()
	if ne != nil {
		nd.removeEntryLocked(newName)
	}
	if i != nd {
		nd.addEntryLocked(newName, c)
		if cDir && ne == nil {
			nd.nlink++
		}
		nd.mtime, nd.ctime = now, now
		nd.mu.Unlock()
		i.mu.Lock()
	}
	i.removeEntryLocked(oldName)
	if i == nd {
		i.addEntryLocked(newName, c)
	} else if cDir {
		i.nlink--
	}
	i.mtime, i.ctime = now, now
	i.mu.Unlock()
	if ne != nil {
		v := ne.child
		vDir := v.typ() == unix.S_IFDIR
		if vDir && i == nd {
			i.mu.Lock()
			i.nlink--
			i.mu.Unlock()
		}
		v.dropLink(now, vDir)
	}
	c.touchCtime(now)
	return nil
}

func (i *inode) touchCtime(now unix.Timespec) {
	i.mu.Lock()
	i.ctime = now
	i.mu.Unlock()
}

// EmptyReadUpdatesAtime implements vfs.AtimeSetter: shmem_file_read_iter
// updates it whatever the read's length.
func (i *inode) EmptyReadUpdatesAtime() bool { return true }

// SetAtime implements vfs.AtimeSetter: a read's access time.
func (i *inode) SetAtime(_ vfs.Context, t unix.Timespec) {
	i.mu.Lock()
	i.atime = t
	i.mu.Unlock()
}
