package ext4

import (
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// This file is the vfs adapter: an FS seen as a vfs.Filesystem.
//
// Inodes are the comparable value vfsInode{fs, ino}, so the VFS gets an
// equal Inode for the same inode number every time without a table of
// them. Every operation is one call into FS (joining the running journal
// transaction for writes); the VFS has checked permissions and types
// before.

// Filesystem is an ext4 file system mounted in a VFS.
type Filesystem struct {
	v  *vfs.VirtualFilesystem
	fs *FS
	// closer is the image file (nil when the caller owns the device).
	closer io.Closer
	// rdev is the block device mount(2) opened it from (0: an image
	// kite opened itself, the root).
	rdev uint64

	// flushMu guards flusher, the timer of the background writeback of
	// a writable file system (nil once closed).
	flushMu sync.Mutex
	flusher *time.Timer
}

// backgroundWriteback is how often the pages that shared mappings of the
// file system's files may have written are written back and committed
// without an msync or fsync: Linux's dirty_expire_centisecs (30 s). The
// page cache does not know which pages are dirty, so each pass writes
// every resident page of the files mapped writable.
const backgroundWriteback = 30 * time.Second

// NewFilesystem returns the vfs.Filesystem showing fs. closer, if not nil,
// is closed by Close after fs.
func NewFilesystem(v *vfs.VirtualFilesystem, fs *FS, closer io.Closer) *Filesystem {
	f := &Filesystem{v: v, fs: fs, closer: closer}
	if !f.ReadOnly() {
		f.flusher = time.AfterFunc(backgroundWriteback, f.flush)
	}
	return f
}

// flush is the background writeback: the page caches of the file
// system's files are written back and the journal committed
// (vfs.WritebackAll, which ends in SyncFS).
func (f *Filesystem) flush() {
	f.v.WritebackAll(f)
	f.flushMu.Lock()
	defer f.flushMu.Unlock()
	if f.flusher != nil {
		f.flusher.Reset(backgroundWriteback)
	}
}

// OpenImage opens the ext2/3/4 image file at path: read-only with Open
// (a journal needing recovery is replayed in memory, the file is never
// written), or read-write with OpenRW (writes go through the journal).
// Timestamps of writes come from v's clock.
func OpenImage(v *vfs.VirtualFilesystem, path string, readWrite bool) (*Filesystem, error) {
	mode := os.O_RDONLY
	if readWrite {
		mode = os.O_RDWR
	}
	f, err := os.OpenFile(path, mode, 0)
	if err != nil {
		return nil, err
	}
	fs, err := OpenImageFile(v, f, readWrite)
	if err != nil {
		f.Close()
		return nil, err
	}
	return fs, nil
}

// OpenImageFile is OpenImage for an image file the caller opened (and
// perhaps locked); Close closes it.
func OpenImageFile(v *vfs.VirtualFilesystem, f *os.File, readWrite bool) (*Filesystem, error) {
	opts := Options{Now: v.NowTimespec}
	var fs *FS
	var err error
	if readWrite {
		fs, err = OpenRW(f, opts)
	} else {
		fs, err = Open(f, opts)
	}
	if err == nil && readWrite {
		if err = canCreate(fs); err != nil {
			fs.Close()
		}
	}
	if err != nil {
		return nil, err
	}
	return NewFilesystem(v, fs, f), nil
}

// canCreate refuses writable sessions on file systems where this package
// cannot make files (ext2/ext3 without extents: it writes only extent
// trees), so that they are used read-only instead of failing later.
func canCreate(fs *FS) error {
	if sb := fs.Superblock(); !sb.HasIncompat(IncompatExtents) {
		return unsupported("writing a file system without the extent feature (ext2/ext3); mount it read-only")
	}
	return nil
}

// FS returns the file system shown.
func (f *Filesystem) FS() *FS { return f.fs }

// ReadOnly reports whether the file system was opened without write
// access (every change gives EROFS).
func (f *Filesystem) ReadOnly() bool {
	f.fs.mu.RLock()
	defer f.fs.mu.RUnlock()
	return f.fs.wdev == nil
}

// Close ends the session (clearing the journal's needs_recovery flag of a
// read-write file system) and closes the image file.
func (f *Filesystem) Close() error {
	f.flushMu.Lock()
	if f.flusher != nil {
		f.flusher.Stop()
		f.flusher = nil
	}
	f.flushMu.Unlock()
	err := f.fs.Close()
	if f.closer != nil {
		if cerr := f.closer.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// SyncFS implements vfs.FilesystemSyncer: the running journal
// transaction is committed (sync(2), syncfs(2)).
func (f *Filesystem) SyncFS() error {
	if f.ReadOnly() {
		return nil
	}
	return errno(f.fs.Sync())
}

// Name implements vfs.Filesystem.
func (*Filesystem) Name() string { return "ext4" }

// Root implements vfs.Filesystem.
func (f *Filesystem) Root(vfs.Context) (vfs.Inode, error) {
	return vfsInode{f: f, ino: RootIno}, nil
}

// Statfs implements vfs.Filesystem.
func (f *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	s := f.fs.Statfs()
	st := vfs.Statfs{
		Type: Magic, Bsize: s.BlockSize, Frsize: s.BlockSize,
		Blocks: s.Blocks, Bfree: s.FreeBlocks, Bavail: s.AvailBlocks,
		Files: s.Inodes, Ffree: s.FreeInodes, NameLen: s.NameLen,
	}
	if f.ReadOnly() {
		st.Flags |= unix.ST_RDONLY
	}
	return st, nil
}

// errno turns an error of FS into the errno the VFS passes up: the
// wrapped one (EUCLEAN for corruption, EINVAL for unsupported features),
// else EIO.
func errno(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(unix.Errno); ok {
		return e // (the ENOENT of every negative lookup: no allocation)
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EIO
}

// vfsInode is one inode of a Filesystem.
type vfsInode struct {
	vfs.InodeDefaults
	f   *Filesystem
	ino uint32
}

func (i vfsInode) fs() *FS { return i.f.fs }

// Stat implements vfs.Inode.
func (i vfsInode) Stat(vfs.Context) (vfs.Stat, error) {
	var st vfs.Stat
	err := i.fs().withInode(i.ino, func(in *Inode) {
		st = vfs.Stat{
			Ino: uint64(in.Ino), Nlink: uint64(in.Nlink), Mode: in.Mode,
			UID: in.UID, GID: in.GID, Size: int64(in.Size),
			Blksize: int64(i.fs().BlockSize()), Blocks: int64(in.Blocks),
			Atime: in.Atime, Mtime: in.Mtime, Ctime: in.Ctime, Btime: in.Crtime,
		}
		if t := in.Type(); t == ModeChr || t == ModeBlk {
			st.Rdev = unix.Mkdev(in.RdevMajor, in.RdevMinor)
		}
	})
	return st, errno(err)
}

// mode returns the inode's mode and group.
func (i vfsInode) mode() (mode, gid uint32, err error) {
	err = i.fs().withInode(i.ino, func(in *Inode) { mode, gid = in.Mode, in.GID })
	return mode, gid, errno(err)
}

// SetStat implements vfs.Inode.
func (i vfsInode) SetStat(_ vfs.Context, s *vfs.SetStat) error {
	if err := i.setStatAllowed(s); err != nil {
		return err
	}
	if s.Mask&unix.STATX_SIZE != 0 {
		if err := i.fs().Truncate(i.ino, s.Size); err != nil {
			return errno(err)
		}
	}
	var a Attr
	if s.Mask&unix.STATX_MODE != 0 {
		m := s.Mode & 0o7777
		a.Mode = &m
	}
	if s.Mask&unix.STATX_UID != 0 {
		u := s.UID
		a.UID = &u
	}
	if s.Mask&unix.STATX_GID != 0 {
		g := s.GID
		a.GID = &g
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		t := s.Atime
		a.Atime = &t
	}
	if s.Mask&unix.STATX_MTIME != 0 {
		t := s.Mtime
		a.Mtime = &t
	}
	return errno(i.fs().SetAttr(i.ino, a))
}

// SetAtime implements vfs.AtimeSetter.
func (i vfsInode) SetAtime(_ vfs.Context, t unix.Timespec) {
	i.fs().SetAtime(i.ino, t)
}

// EmptyReadUpdatesAtime implements vfs.AtimeSetter: as Linux's
// filemap_read, a read of zero bytes returns before it touches the file.
func (i vfsInode) EmptyReadUpdatesAtime() bool { return false }

// Open implements vfs.Inode.
func (i vfsInode) Open(_ vfs.Context, flags int) (vfs.FileOperations, error) {
	mode, _, err := i.mode()
	if err != nil {
		return nil, err
	}
	switch mode & ModeFmt {
	case ModeReg:
		i.fs().Hold(i.ino)
		return &regularFile{i: i}, nil
	case ModeDir:
		i.fs().Hold(i.ino)
		return &dirFile{i: i}, nil
	}
	return nil, unix.ENXIO
}

// owner returns the owner of a new file in directory i: the caller's
// FSUID, and its FSGID or the directory's group when the directory is
// set-group-ID; sgid says whether the directory is (new directories
// inherit the bit).
func (i vfsInode) owner(ctx vfs.Context) (uid, gid uint32, sgid bool, err error) {
	c := ctx.Credentials()
	uid, gid = c.FSUID, c.FSGID
	dmode, dgid, err := i.mode()
	if err != nil {
		return 0, 0, false, err
	}
	if dmode&unix.S_ISGID != 0 {
		return uid, dgid, true, nil
	}
	return uid, gid, false, nil
}

func (i vfsInode) child(ino uint32) vfsInode { return vfsInode{f: i.f, ino: ino} }

// Lookup implements vfs.Inode.
func (i vfsInode) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	ino, err := i.fs().Lookup(i.ino, name)
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// Create implements vfs.Inode.
func (i vfsInode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	uid, gid, _, err := i.owner(ctx)
	if err != nil {
		return nil, err
	}
	ino, err := i.fs().Create(i.ino, name, mode&0o7777, uid, gid)
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// CreateTmpfile implements vfs.TmpfileCreator (O_TMPFILE).
func (i vfsInode) CreateTmpfile(ctx vfs.Context, mode uint32) (vfs.Inode, error) {
	uid, gid, _, err := i.owner(ctx)
	if err != nil {
		return nil, err
	}
	ino, err := i.fs().CreateTmpfile(i.ino, mode&0o7777, uid, gid)
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// Mkdir implements vfs.Inode.
func (i vfsInode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	uid, gid, sgid, err := i.owner(ctx)
	if err != nil {
		return nil, err
	}
	mode &= 0o7777
	if sgid {
		mode |= unix.S_ISGID
	}
	ino, err := i.fs().Mkdir(i.ino, name, mode, uid, gid)
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// Mknod implements vfs.Inode.
func (i vfsInode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	uid, gid, _, err := i.owner(ctx)
	if err != nil {
		return nil, err
	}
	ino, err := i.fs().Mknod(i.ino, name, mode, uid, gid, unix.Major(rdev), unix.Minor(rdev))
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// Symlink implements vfs.Inode.
func (i vfsInode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	uid, gid, _, err := i.owner(ctx)
	if err != nil {
		return nil, err
	}
	ino, err := i.fs().Symlink(i.ino, name, target, uid, gid)
	if err != nil {
		return nil, errno(err)
	}
	return i.child(ino), nil
}

// Link implements vfs.Inode.
func (i vfsInode) Link(_ vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(vfsInode)
	if !ok || t.f != i.f {
		return unix.EXDEV
	}
	return errno(i.fs().Link(t.ino, i.ino, name))
}

// Unlink implements vfs.Inode.
func (i vfsInode) Unlink(_ vfs.Context, name string, _ vfs.Inode) error {
	return errno(i.fs().Unlink(i.ino, name))
}

// Rmdir implements vfs.Inode.
func (i vfsInode) Rmdir(_ vfs.Context, name string, _ vfs.Inode) error {
	return errno(i.fs().Rmdir(i.ino, name))
}

// renameExchange is renameat2's RENAME_EXCHANGE (RENAME_NOREPLACE is
// checked by the VFS: it passes no replaced inode).
const renameExchange = 1 << 1

// Rename implements vfs.Inode.
func (i vfsInode) Rename(_ vfs.Context, oldName string, _ vfs.Inode, newDir vfs.Inode, newName string, _ vfs.Inode, flags uint32) error {
	nd, ok := newDir.(vfsInode)
	if !ok || nd.f != i.f {
		return unix.EXDEV
	}
	if flags&renameExchange != 0 {
		return errno(i.fs().Exchange(i.ino, oldName, nd.ino, newName))
	}
	return errno(i.fs().Rename(i.ino, oldName, nd.ino, newName))
}

// Readlink implements vfs.Inode.
func (i vfsInode) Readlink(vfs.Context) (string, error) {
	in, err := i.fs().Stat(i.ino)
	if err != nil {
		return "", errno(err)
	}
	if in.Type() != ModeLnk {
		return "", unix.EINVAL
	}
	s, err := i.fs().Readlink(i.ino)
	return s, errno(err)
}

// GetXattr implements vfs.XattrInode.
func (i vfsInode) GetXattr(_ vfs.Context, name string) ([]byte, error) {
	if isACLName(name) {
		return i.getACL(name)
	}
	xs, err := i.fs().Xattrs(i.ino)
	if err != nil {
		return nil, errno(err)
	}
	for _, x := range xs {
		if x.Name == name {
			return x.Value, nil
		}
	}
	return nil, unix.ENODATA
}

// SetXattr implements vfs.XattrInode.
func (i vfsInode) SetXattr(_ vfs.Context, name string, value []byte, flags int) error {
	if isACLName(name) {
		return i.setACL(name, value, flags, false)
	}
	return errno(i.fs().SetXattr(i.ino, name, value, flags))
}

// ListXattr implements vfs.XattrInode. The inline-data attribute and
// other system.* names than the POSIX ACLs are not listed: the VFS cannot
// get or set them.
func (i vfsInode) ListXattr(vfs.Context) ([]string, error) {
	xs, err := i.fs().Xattrs(i.ino)
	if err != nil {
		return nil, errno(err)
	}
	var names []string
	for _, x := range xs {
		if len(x.Name) > 7 && x.Name[:7] == "system." && !isACLName(x.Name) {
			continue
		}
		names = append(names, x.Name)
	}
	return names, nil
}

// RemoveXattr implements vfs.XattrInode.
func (i vfsInode) RemoveXattr(_ vfs.Context, name string) error {
	if isACLName(name) {
		return i.setACL(name, nil, 0, true)
	}
	return errno(i.fs().RemoveXattr(i.ino, name))
}

// regularFile is an open regular file.
type regularFile struct {
	vfs.FileDefaults
	i vfsInode
}

// Release implements vfs.FileOperations: an unlinked file is deleted with
// its last open description.
func (r *regularFile) Release(vfs.Context) { r.i.fs().Release(r.i.ino) }

// Read implements vfs.FileOperations.
func (r *regularFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	n, err := r.i.fs().ReadAt(r.i.ino, dst, off)
	if err == io.EOF {
		err = nil
	}
	return n, errno(err)
}

// Write implements vfs.FileOperations.
func (r *regularFile) Write(ctx vfs.Context, f *vfs.File, src []byte, off int64) (int, error) {
	n, err := r.i.fs().WriteAt(r.i.ino, src, off)
	if err != nil && n > 0 {
		// A short write reports what was written, as write(2) does.
		return n, nil
	}
	if err == nil {
		err = r.syncWrite(f)
	}
	return n, errno(err)
}

// RefuseWrite implements vfs.WriteRefuser: a program's write to an
// immutable file is EPERM even through a descriptor opened before the
// flag was set, as Linux's ext4_write_checks has it (page-cache
// writeback, which calls Write, is not refused).
func (r *regularFile) RefuseWrite() error {
	if r.i.AttrFlags()&FlagImmutable != 0 {
		return unix.EPERM
	}
	return nil
}

// syncWrite commits a write to a file opened O_SYNC or O_DSYNC (O_SYNC
// includes O_DSYNC's bit) before write(2) returns, as Linux does.
func (r *regularFile) syncWrite(f *vfs.File) error {
	if f == nil || f.Flags()&unix.O_DSYNC == 0 {
		return nil
	}
	return r.i.fs().Sync()
}

// Append implements vfs.Appender.
func (r *regularFile) Append(ctx vfs.Context, f *vfs.File, src []byte) (int, int64, error) {
	n, end, err := r.i.fs().Append(r.i.ino, src)
	if n > 0 {
		err = nil
	}
	if err == nil {
		err = r.syncWrite(f)
	}
	return n, end, errno(err)
}

// Seek implements vfs.FileOperations.
func (r *regularFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	in, err := r.i.fs().Stat(r.i.ino)
	if err != nil {
		return 0, errno(err)
	}
	return vfs.GenericSeek(cur, int64(in.Size), off, whence)
}

// Sync implements vfs.FileOperations: the running journal transaction
// is committed, with its device barriers.
func (r *regularFile) Sync(vfs.Context, *vfs.File, bool) error {
	if r.i.f.ReadOnly() {
		return nil
	}
	return errno(r.i.fs().Sync())
}

// Allocate implements vfs.Allocator.
func (r *regularFile) Allocate(_ vfs.Context, _ *vfs.File, mode uint32, off, length int64) error {
	return errno(r.i.fs().Allocate(r.i.ino, mode, off, length))
}

// dirFile is an open directory.
type dirFile struct {
	vfs.FileDefaults
	i vfsInode
}

// Release implements vfs.FileOperations.
func (d *dirFile) Release(vfs.Context) { d.i.fs().Release(d.i.ino) }

// Sync implements vfs.FileOperations.
func (d *dirFile) Sync(vfs.Context, *vfs.File, bool) error {
	if d.i.f.ReadOnly() {
		return nil
	}
	return errno(d.i.fs().Sync())
}

// direntBatch is how many entries IterDirents collects from FS before
// passing them on: emit runs without FS's lock held (it copies to
// application memory, which may fault in a mapping of this file system).
const direntBatch = 128

// IterDirents implements vfs.FileOperations. Offsets are FS's positions
// (byte offsets, or hashes in htree directories), stable across changes.
func (d *dirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	if off < 2 {
		off = 2
	}
	for {
		var batch []vfs.Dirent
		err := d.i.fs().IterDir(d.i.ino, off, func(e DirEntry, next int64) bool {
			batch = append(batch, vfs.Dirent{Name: e.Name, Ino: uint64(e.Ino), Type: ftToDT(e.Type), NextOff: next})
			return len(batch) < direntBatch
		})
		if err != nil {
			return errno(err)
		}
		for _, e := range batch {
			if e.Type == unix.DT_UNKNOWN {
				if in, err := d.i.fs().Stat(uint32(e.Ino)); err == nil {
					e.Type = vfs.DirentType(in.Mode)
				}
			}
			if !emit(e) {
				return nil
			}
		}
		if len(batch) < direntBatch {
			return nil
		}
		off = batch[len(batch)-1].NextOff
	}
}

// ftToDT maps a directory entry's file type to getdents' DT_* value.
func ftToDT(ft uint8) uint8 {
	switch ft {
	case FTRegFile:
		return unix.DT_REG
	case FTDir:
		return unix.DT_DIR
	case FTChrdev:
		return unix.DT_CHR
	case FTBlkdev:
		return unix.DT_BLK
	case FTFifo:
		return unix.DT_FIFO
	case FTSock:
		return unix.DT_SOCK
	case FTSymlink:
		return unix.DT_LNK
	}
	return unix.DT_UNKNOWN
}
