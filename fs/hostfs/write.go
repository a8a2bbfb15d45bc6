package hostfs

import (
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// This file is what a writable tree (NewWritable) adds: creating,
// removing, renaming and linking names, changing attributes and writing
// file data, each through the host calls of host.go. The VFS has checked
// permissions against the host attributes hostfs reports; the host
// checks nothing more, since kite runs with the host rights of the user
// who started it.

// NewWritable opens the host directory hostDir (trusted configuration) as
// the root of a tree that programs may change: what they write reaches
// the host directory. Device nodes are still never made or opened.
func NewWritable(hostDir string) (*Filesystem, error) {
	fs, err := New(hostDir)
	if err != nil {
		return nil, err
	}
	fs.writable = true
	fs.hostRoot = os.Geteuid() == 0
	return fs, nil
}

// rdonlyFlag is the statfs flag of a read-only tree.
func (fs *Filesystem) rdonlyFlag() int64 {
	if fs.writable {
		return 0
	}
	return unix.ST_RDONLY
}

// forgetStat drops the attributes remembered for i: they changed.
func (i *inode) forgetStat() {
	i.mu.Lock()
	i.statAt = time.Time{}
	i.mu.Unlock()
}

// changeDir returns the fd of the directory i for changing an entry (to
// release after use): EROFS in a read-only tree.
func (i *inode) changeDir() (int, func(), error) {
	if !i.fs.writable {
		return -1, nil, unix.EROFS
	}
	if i.typ != unix.S_IFDIR {
		return -1, nil, unix.ENOTDIR
	}
	if i.sealed {
		return -1, nil, unix.EACCES
	}
	return i.acquireDir()
}

// checkName refuses names the host must not be given.
func checkName(name string) error {
	if len(name) > unix.NAME_MAX {
		return unix.ENAMETOOLONG
	}
	if !validName(name) {
		return unix.EINVAL
	}
	return nil
}

// newOwner returns the owner of a file that the caller of ctx makes in
// the directory i, with mode adjusted as Linux does: the group of a
// set-group-ID directory (and, for a directory, its S_ISGID), and no
// S_ISGID on a group-executable file whose group the caller is not in.
func (i *inode) newOwner(ctx vfs.Context, typ, mode uint32) (owner, uint32, error) {
	st, err := i.hostStat()
	if err != nil {
		return owner{}, 0, err
	}
	c := ctx.Credentials()
	gid := c.FSGID
	if st.Mode&unix.S_ISGID != 0 {
		gid = st.Gid
		if typ == unix.S_IFDIR {
			mode |= unix.S_ISGID
		}
	}
	if typ != unix.S_IFDIR && mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP && !c.InGroupOrCapable(st.Uid, gid) {
		mode &^= unix.S_ISGID
	}
	return owner{uid: c.FSUID, gid: gid, chown: i.fs.hostRoot}, mode, nil
}

// intern records a file just made as name in i.
func (i *inode) intern(name string, st *unix.Stat_t, childFD int) (*inode, error) {
	child, err := i.fs.internChild(i, name, fileKey{st.Dev, st.Ino}, st.Mode&unix.S_IFMT, false, childFD)
	if err != nil {
		return nil, err
	}
	child.remember(st)
	i.forgetStat()
	if childFD >= 0 {
		i.fs.evict()
	}
	return child, nil
}

// makeChild makes the child name of type typ in the directory i with
// mk, which gets the directory's fd, the new file's owner and its mode
// adjusted by newOwner, and returns its attributes and, for a directory,
// its O_PATH fd (else -1).
func (i *inode) makeChild(ctx vfs.Context, name string, typ, mode uint32, mk func(dirfd int, o owner, mode uint32) (unix.Stat_t, int, error)) (vfs.Inode, error) {
	dirfd, release, err := i.changeDir()
	if err != nil {
		return nil, err
	}
	defer release()
	if err := checkName(name); err != nil {
		return nil, err
	}
	o, mode, err := i.newOwner(ctx, typ, mode)
	if err != nil {
		return nil, err
	}
	st, fd, err := mk(dirfd, o, mode)
	if err != nil {
		return nil, err
	}
	return i.intern(name, &st, fd)
}

// Create implements vfs.Inode.
func (i *inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.makeChild(ctx, name, unix.S_IFREG, mode, func(dirfd int, o owner, mode uint32) (unix.Stat_t, int, error) {
		st, err := createFileAt(dirfd, name, mode, o)
		return st, -1, err
	})
}

// Mkdir implements vfs.Inode.
func (i *inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return i.makeNode(ctx, name, unix.S_IFDIR, mode)
}

// Mknod implements vfs.Inode: FIFOs, sockets and regular files; device
// nodes are never made on the host (EPERM).
func (i *inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG, 0:
		return i.Create(ctx, name, mode&0o7777)
	case unix.S_IFIFO, unix.S_IFSOCK:
		return i.makeNode(ctx, name, mode&unix.S_IFMT, mode&0o7777)
	}
	if !i.fs.writable {
		return nil, unix.EROFS
	}
	return nil, unix.EPERM
}

// makeNode makes a directory, FIFO or socket.
func (i *inode) makeNode(ctx vfs.Context, name string, typ, mode uint32) (vfs.Inode, error) {
	return i.makeChild(ctx, name, typ, mode, func(dirfd int, o owner, mode uint32) (unix.Stat_t, int, error) {
		fd, st, err := makeAt(dirfd, name, typ, mode, o)
		if err == nil && typ != unix.S_IFDIR {
			closeFD(fd)
			fd = -1
		}
		return st, fd, err
	})
}

// Symlink implements vfs.Inode.
func (i *inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return i.makeChild(ctx, name, unix.S_IFLNK, 0o777, func(dirfd int, o owner, _ uint32) (unix.Stat_t, int, error) {
		st, err := symlinkAt(dirfd, name, target, o)
		return st, -1, err
	})
}

// Link implements vfs.Inode.
func (i *inode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != i.fs {
		return unix.EXDEV
	}
	dirfd, release, err := i.changeDir()
	if err != nil {
		return err
	}
	defer release()
	if err := checkName(name); err != nil {
		return err
	}
	tdir, tname, trelease, err := t.location()
	if err != nil {
		return err
	}
	defer trelease()
	if _, err := entryIs(tdir, tname, t.key); err != nil {
		return err
	}
	if err := unix.Linkat(tdir, tname, dirfd, name, 0); err != nil {
		return err
	}
	if _, err := entryIs(dirfd, name, t.key); err != nil {
		// The host swapped the target's name meanwhile: undo.
		unix.Unlinkat(dirfd, name, 0)
		return err
	}
	t.forgetStat()
	i.forgetStat()
	return nil
}

// Unlink implements vfs.Inode.
func (i *inode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child, 0)
}

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child, unix.AT_REMOVEDIR)
}

// remove removes name, which must still be child on the host.
func (i *inode) remove(name string, child vfs.Inode, flags int) error {
	c, ok := child.(*inode)
	if !ok {
		return unix.ESTALE
	}
	dirfd, release, err := i.changeDir()
	if err != nil {
		return err
	}
	defer release()
	st, err := entryIs(dirfd, name, c.key)
	if err != nil {
		return err
	}
	if err := unix.Unlinkat(dirfd, name, flags); err != nil {
		return err
	}
	i.forgetStat()
	c.forgetStat()
	if flags&unix.AT_REMOVEDIR != 0 || st.Nlink <= 1 {
		i.fs.forget(c)
	}
	return nil
}

// Rename implements vfs.Inode.
func (i *inode) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.Inode, newName string, replaced vfs.Inode, flags uint32) error {
	c, ok := child.(*inode)
	nd, ok2 := newDir.(*inode)
	if !ok || !ok2 || nd.fs != i.fs {
		return unix.EXDEV
	}
	if flags&^(unix.RENAME_NOREPLACE|unix.RENAME_EXCHANGE) != 0 {
		return unix.EINVAL
	}
	if err := checkName(newName); err != nil {
		return err
	}
	odir, orelease, err := i.changeDir()
	if err != nil {
		return err
	}
	defer orelease()
	ndir, nrelease, err := nd.changeDir()
	if err != nil {
		return err
	}
	defer nrelease()
	if _, err := entryIs(odir, oldName, c.key); err != nil {
		return err
	}
	var r *inode
	var rst unix.Stat_t
	if replaced != nil {
		if r, ok = replaced.(*inode); !ok {
			return unix.ESTALE
		}
		if rst, err = entryIs(ndir, newName, r.key); err != nil {
			return err
		}
	}
	if err := unix.Renameat2(odir, oldName, ndir, newName, uint(flags)); err != nil {
		return err
	}
	c.moved(nd, newName)
	if r != nil {
		if flags&unix.RENAME_EXCHANGE != 0 {
			r.moved(i, oldName)
		} else if r.typ == unix.S_IFDIR || rst.Nlink <= 1 {
			i.fs.forget(r)
		}
		r.forgetStat()
	}
	i.forgetStat()
	nd.forgetStat()
	return nil
}

// moved records that i is now name in dir.
func (i *inode) moved(dir *inode, name string) {
	i.mu.Lock()
	if i.parent != nil {
		i.parent, i.name = dir, name
	}
	i.statAt = time.Time{}
	i.mu.Unlock()
}

// forget drops i from the inode table once its host file is gone, so that
// a new host file that reuses the number gets an inode of its own.
func (fs *Filesystem) forget(i *inode) {
	fs.mu.Lock()
	if fs.inodes[i.key] == i {
		delete(fs.inodes, i.key)
	}
	fs.mu.Unlock()
}

// SetStat implements vfs.Inode: the changes are made on an O_PATH fd of
// the host file itself.
func (i *inode) SetStat(ctx vfs.Context, s *vfs.SetStat) error {
	if !i.fs.writable {
		return unix.EROFS
	}
	defer i.forgetStat()
	if s.Mask&unix.STATX_SIZE != 0 {
		if i.typ != unix.S_IFREG {
			return unix.EINVAL
		}
		if err := i.truncate(s.Size); err != nil {
			return err
		}
	}
	if s.Mask&(unix.STATX_MODE|unix.STATX_UID|unix.STATX_GID|unix.STATX_ATIME|unix.STATX_MTIME) == 0 {
		return nil
	}
	fd, err := i.pathFD()
	if err != nil {
		return err
	}
	defer closeFD(fd)
	if s.Mask&(unix.STATX_UID|unix.STATX_GID) != 0 {
		uid, gid := -1, -1
		if s.Mask&unix.STATX_UID != 0 {
			uid = int(s.UID)
		}
		if s.Mask&unix.STATX_GID != 0 {
			gid = int(s.GID)
		}
		if err := chownFD(fd, uid, gid); err != nil {
			return err
		}
	}
	if s.Mask&unix.STATX_MODE != 0 {
		if err := chmodFD(fd, s.Mode); err != nil {
			return err
		}
	}
	if s.Mask&(unix.STATX_ATIME|unix.STATX_MTIME) != 0 {
		omit := unix.Timespec{Nsec: unix.UTIME_OMIT}
		at, mt := omit, omit
		if s.Mask&unix.STATX_ATIME != 0 {
			at = s.Atime
		}
		if s.Mask&unix.STATX_MTIME != 0 {
			mt = s.Mtime
		}
		if err := utimesFD(fd, at, mt); err != nil {
			return err
		}
	}
	return nil
}

// pathFD returns a new O_PATH fd of i's host file (the caller closes it),
// checked to be the same file.
func (i *inode) pathFD() (int, error) {
	if i.typ == unix.S_IFDIR {
		fd, release, err := i.acquireDir()
		if err != nil {
			return -1, err
		}
		defer release()
		return unix.Openat(fd, ".", hostOpenFlags|unix.O_DIRECTORY, 0)
	}
	dirfd, name, release, err := i.location()
	if err != nil {
		return -1, err
	}
	defer release()
	fd, err := lookupAt(dirfd, name)
	if err != nil {
		if err == unix.ENOENT {
			err = unix.ESTALE
		}
		return -1, err
	}
	st, err := statFD(fd)
	if err == nil && (st.Dev != i.key.dev || st.Ino != i.key.ino) {
		err = unix.ESTALE
	}
	if err != nil {
		closeFD(fd)
		return -1, err
	}
	return fd, nil
}

// truncate sets the size of the regular file i.
func (i *inode) truncate(size int64) error {
	dirfd, name, release, err := i.location()
	if err != nil {
		return err
	}
	fd, err := openCheckedAt(dirfd, name, unix.O_WRONLY, i.key.dev, i.key.ino)
	release()
	if err != nil {
		return err
	}
	defer closeFD(fd)
	return unix.Ftruncate(fd, size)
}

// openForWriting opens the regular file i for writing (acc is O_WRONLY or
// O_RDWR).
func (i *inode) openForWriting(acc int) (vfs.FileOperations, error) {
	dirfd, name, release, err := i.location()
	if err != nil {
		return nil, err
	}
	fd, err := openCheckedAt(dirfd, name, acc, i.key.dev, i.key.ino)
	release()
	if err != nil {
		return nil, err
	}
	return &regularFile{fd: i.fs.newPinnedFD(i, fd), writable: true}, nil
}

// Append implements vfs.Appender: O_APPEND writes go to the host file's
// end, atomically.
func (r *regularFile) Append(ctx vfs.Context, f *vfs.File, src []byte) (int, int64, error) {
	if !r.writable {
		return 0, 0, unix.EBADF
	}
	fd, _, done, err := r.fd.acquire()
	if err != nil {
		return 0, 0, err
	}
	defer done()
	n, end, err := appendFD(fd, src)
	r.fd.ino.forgetStat()
	return n, end, err
}
