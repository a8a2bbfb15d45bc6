package fat

import (
	"errors"
	"io"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// This file is the vfs adapter: an FS seen as a vfs.Filesystem, with the
// behaviour of Linux's vfat driver.
//
// FAT has no inodes: the adapter keeps one *inode per file it has shown,
// by path (with the names as stored), so the VFS gets the same Inode for
// the same file; renames move the records. Inode numbers are given in
// order of discovery and last as long as the Filesystem. Owners and modes
// come from the mount options (uid=, gid=, umask=, fmask=, dmask=), as on
// Linux; the read-only attribute clears the write bits of a file.
//
// Limits: no hard links, symbolic links, device nodes or extended
// attributes (EPERM or EOPNOTSUPP, as vfat). A file removed while open
// lives on in memory until its last description closes (its clusters are
// freed at once, so a crash loses nothing on disk).

// MountOptions are vfat's ownership options.
type MountOptions struct {
	UID, GID     uint32
	FMask, DMask uint32 // permission bits cleared for files and directories
}

// Filesystem is a FAT file system mounted in a VFS.
type Filesystem struct {
	v    *vfs.VirtualFilesystem
	fs   *FS
	opts MountOptions

	// mu guards the inode records (byPath, every inode's path and dead
	// flag) and nextIno.
	mu      sync.Mutex
	byPath  map[string]*inode
	nextIno uint64
	root    *inode

	// rdev is the block device mount(2) opened it from (0 when the
	// caller opened the storage itself).
	rdev uint64
}

// NewFilesystem returns the vfs.Filesystem showing fs.
func NewFilesystem(v *vfs.VirtualFilesystem, fs *FS, opts MountOptions) *Filesystem {
	f := &Filesystem{v: v, fs: fs, opts: opts, byPath: make(map[string]*inode), nextIno: 2}
	f.root = &inode{f: f, ino: 1, path: "/", dir: true}
	f.byPath["/"] = f.root
	return f
}

// FS returns the file system shown.
func (f *Filesystem) FS() *FS { return f.fs }

// Name implements vfs.Filesystem.
func (*Filesystem) Name() string { return "vfat" }

// Root implements vfs.Filesystem.
func (f *Filesystem) Root(vfs.Context) (vfs.Inode, error) { return f.root, nil }

// msdosSuperMagic is MSDOS_SUPER_MAGIC, statfs's f_type for FAT.
const msdosSuperMagic = 0x4d44

// Statfs implements vfs.Filesystem.
func (f *Filesystem) Statfs(vfs.Context) (vfs.Statfs, error) {
	cs := int64(f.fs.ClusterSize())
	free := uint64(f.fs.FreeClusters())
	st := vfs.Statfs{
		Type: msdosSuperMagic, Bsize: cs, Frsize: cs,
		Blocks: uint64(f.fs.Clusters()), Bfree: free, Bavail: free,
		NameLen: 1530, // 255 UTF-16 units of up to 6 bytes, as Linux reports
	}
	if f.fs.ReadOnly() {
		st.Flags |= unix.ST_RDONLY
	}
	return st, nil
}

// errno turns an error of FS into an errno (EIO for the unexpected).
func errno(err error) error {
	if err == nil {
		return nil
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return e
	}
	return unix.EIO
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// inode is one file or directory shown to the VFS.
type inode struct {
	vfs.InodeDefaults
	f   *Filesystem
	ino uint64
	dir bool
	// path (the names as stored), dead, opens and orphan are guarded
	// by f.mu.
	path string
	dead bool
	// opens counts the open descriptions of a regular file.
	opens int
	// orphan holds a regular file removed while open (dead is set).
	orphan *orphan
}

// orphan is the contents and attributes of a removed open file.
type orphan struct {
	data []byte
	st   vfs.Stat
}

// where returns the inode's current path, or ESTALE once it was removed.
func (i *inode) where() (string, error) {
	i.f.mu.Lock()
	defer i.f.mu.Unlock()
	if i.dead {
		return "", unix.ESTALE
	}
	return i.path, nil
}

// childFor returns the record of the entry e in directory path dir.
func (f *Filesystem) childFor(dir string, e *DirEntry) *inode {
	p := join(dir, e.Name)
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.byPath[p]; c != nil && c.dir == e.IsDir() {
		return c
	}
	c := &inode{f: f, ino: f.nextIno, path: p, dir: e.IsDir()}
	f.nextIno++
	f.byPath[p] = c
	return c
}

// forget marks the record of path and those below it removed.
//
// Preconditions: f.mu is held.
func (f *Filesystem) forgetLocked(path string) {
	for p, c := range f.byPath {
		if p == path || strings.HasPrefix(p, path+"/") {
			c.dead = true
			delete(f.byPath, p)
		}
	}
}

// moveLocked renames the records of from and those below it to to.
//
// Preconditions: f.mu is held.
func (f *Filesystem) moveLocked(from, to string) {
	moved := map[string]*inode{}
	for p, c := range f.byPath {
		if p == from || strings.HasPrefix(p, from+"/") {
			moved[to+p[len(from):]] = c
			delete(f.byPath, p)
		}
	}
	for p, c := range moved {
		c.path = p
		f.byPath[p] = c
	}
}

// toTimespec converts a FAT time (stored as UTC fields) to a Timespec.
func toTimespec(t time.Time) unix.Timespec {
	return unix.NsecToTimespec(t.UnixNano())
}

// Stat implements vfs.Inode.
func (i *inode) Stat(vfs.Context) (vfs.Stat, error) {
	i.f.mu.Lock()
	if o := i.orphan; o != nil {
		st := o.st
		i.f.mu.Unlock()
		return st, nil
	}
	i.f.mu.Unlock()
	p, err := i.where()
	if err != nil {
		return vfs.Stat{}, err
	}
	e, err := i.f.fs.Stat(p)
	if err != nil {
		return vfs.Stat{}, errno(err)
	}
	o := &i.f.opts
	cs := int64(i.f.fs.ClusterSize())
	st := vfs.Stat{
		Ino: i.ino, Nlink: 1, UID: o.UID, GID: o.GID, Size: int64(e.Size), Blksize: cs,
		Mtime: toTimespec(e.Mtime), Ctime: toTimespec(e.Mtime),
		Atime: toTimespec(e.Atime), Btime: toTimespec(e.Ctime),
	}
	if e.IsDir() || p == "/" {
		st.Mode = unix.S_IFDIR | 0o777&^o.DMask
		st.Nlink = 2
		ents, err := i.f.fs.ReadDir(p)
		if err != nil {
			return vfs.Stat{}, errno(err)
		}
		for k := range ents {
			if ents[k].IsDir() {
				st.Nlink++
			}
		}
		if p == "/" {
			st.Mtime, st.Ctime, st.Atime, st.Btime = unix.Timespec{}, unix.Timespec{}, unix.Timespec{}, unix.Timespec{}
		}
	} else {
		st.Mode = unix.S_IFREG | 0o777&^o.FMask
		if e.Attr&AttrReadOnly != 0 {
			st.Mode &^= 0o222
		}
	}
	st.Blocks = (st.Size + cs - 1) / cs * cs / 512
	return st, nil
}

// SetStat implements vfs.Inode with vfat's rules: a mode must keep the
// read and execute bits the mount gives and set all or none of the write
// bits (none: the read-only attribute; directories cannot be read-only);
// owners cannot change.
func (i *inode) SetStat(ctx vfs.Context, s *vfs.SetStat) error {
	i.f.mu.Lock()
	if o := i.orphan; o != nil {
		defer i.f.mu.Unlock()
		if s.Mask&unix.STATX_SIZE != 0 {
			o.resize(s.Size)
		}
		return nil
	}
	i.f.mu.Unlock()
	p, err := i.where()
	if err != nil {
		return err
	}
	if p == "/" && s.Mask&(unix.STATX_MODE|unix.STATX_ATIME|unix.STATX_MTIME) != 0 {
		return unix.EPERM
	}
	o := &i.f.opts
	if s.Mask&unix.STATX_UID != 0 && s.UID != o.UID || s.Mask&unix.STATX_GID != 0 && s.GID != o.GID {
		return unix.EPERM
	}
	var ro *bool
	if s.Mask&unix.STATX_MODE != 0 {
		mask := o.FMask
		if i.dir {
			mask = o.DMask
		}
		perm := s.Mode & 0o777 &^ mask
		full := 0o777 &^ mask
		if s.Mode&0o7000 != 0 || perm&0o555 != full&0o555 {
			return unix.EPERM
		}
		switch w := perm & 0o222; {
		case w == full&0o222:
			v := false
			ro = &v
		case w == 0 && !i.dir:
			v := true
			ro = &v
		default:
			return unix.EPERM
		}
	}
	if s.Mask&unix.STATX_SIZE != 0 {
		if err := i.f.fs.Truncate(p, s.Size); err != nil {
			return errno(err)
		}
	}
	if ro != nil {
		if err := i.f.fs.SetReadOnly(p, *ro); err != nil {
			return errno(err)
		}
	}
	var mt, at *time.Time
	if s.Mask&unix.STATX_MTIME != 0 {
		t := time.Unix(s.Mtime.Sec, s.Mtime.Nsec).UTC()
		mt = &t
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		t := time.Unix(s.Atime.Sec, s.Atime.Nsec).UTC()
		at = &t
	}
	if mt != nil || at != nil {
		return errno(i.f.fs.SetTimes(p, mt, at))
	}
	return nil
}

// Open implements vfs.Inode.
func (i *inode) Open(vfs.Context, int) (vfs.FileOperations, error) {
	if _, err := i.where(); err != nil {
		return nil, err
	}
	if i.dir {
		return &dirFile{i: i}, nil
	}
	i.f.mu.Lock()
	i.opens++
	i.f.mu.Unlock()
	return &regularFile{i: i}, nil
}

// Lookup implements vfs.Inode (names match case-insensitively).
func (i *inode) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	p, err := i.where()
	if err != nil {
		return nil, err
	}
	e, err := i.f.fs.Stat(join(p, name))
	if err != nil {
		return nil, errno(err)
	}
	return i.f.childFor(p, &e), nil
}

// made returns the record of a name just created in directory i.
func (i *inode) made(p, name string) (vfs.Inode, error) {
	e, err := i.f.fs.Stat(join(p, name))
	if err != nil {
		return nil, errno(err)
	}
	return i.f.childFor(p, &e), nil
}

// Create implements vfs.Inode. A mode without write bits makes a
// read-only file.
func (i *inode) Create(_ vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	p, err := i.where()
	if err != nil {
		return nil, err
	}
	if err := i.f.fs.Create(join(p, name)); err != nil {
		return nil, errno(err)
	}
	if mode&0o222 == 0 {
		if err := i.f.fs.SetReadOnly(join(p, name), true); err != nil {
			return nil, errno(err)
		}
	}
	return i.made(p, name)
}

// Mkdir implements vfs.Inode.
func (i *inode) Mkdir(_ vfs.Context, name string, _ uint32) (vfs.Inode, error) {
	p, err := i.where()
	if err != nil {
		return nil, err
	}
	if err := i.f.fs.Mkdir(join(p, name)); err != nil {
		return nil, errno(err)
	}
	return i.made(p, name)
}

// Mknod implements vfs.Inode: regular files only, as vfat.
func (i *inode) Mknod(ctx vfs.Context, name string, mode uint32, _ uint64) (vfs.Inode, error) {
	if mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EPERM
	}
	return i.Create(ctx, name, mode)
}

// Unlink implements vfs.Inode.
func (i *inode) Unlink(_ vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child)
}

// Rmdir implements vfs.Inode.
func (i *inode) Rmdir(_ vfs.Context, name string, child vfs.Inode) error {
	return i.remove(name, child)
}

func (i *inode) remove(name string, child vfs.Inode) error {
	p, err := i.where()
	if err != nil {
		return err
	}
	c, ok := child.(*inode)
	if !ok {
		return unix.EINVAL
	}
	cp, err := c.where()
	if err != nil {
		return err
	}
	o, err := c.keep()
	if err != nil {
		return err
	}
	if err := i.f.fs.Remove(join(p, name)); err != nil {
		return errno(err)
	}
	i.f.mu.Lock()
	i.f.forgetLocked(cp)
	c.orphan = o
	i.f.mu.Unlock()
	return nil
}

// keep returns the contents of an open regular file about to lose its
// name (nil when it is not open): its descriptions go on reading and
// writing them.
func (i *inode) keep() (*orphan, error) {
	i.f.mu.Lock()
	open := !i.dir && i.opens > 0
	i.f.mu.Unlock()
	if !open {
		return nil, nil
	}
	st, err := i.Stat(nil)
	if err != nil {
		return nil, err
	}
	p, err := i.where()
	if err != nil {
		return nil, err
	}
	data, err := i.f.fs.ReadFile(p)
	if err != nil {
		return nil, errno(err)
	}
	st.Nlink = 0
	return &orphan{data: data, st: st}, nil
}

// resize sets an orphan's size.
func (o *orphan) resize(size int64) {
	if size <= int64(len(o.data)) {
		o.data = o.data[:size]
	} else {
		o.data = append(o.data, make([]byte, size-int64(len(o.data)))...)
	}
	o.st.Size = size
}

// Rename implements vfs.Inode (RENAME_EXCHANGE is EINVAL).
func (i *inode) Rename(_ vfs.Context, oldName string, child vfs.Inode, newDir vfs.Inode, newName string, replaced vfs.Inode, flags uint32) error {
	if flags&unix.RENAME_EXCHANGE != 0 {
		return unix.EINVAL
	}
	nd, ok := newDir.(*inode)
	c, ok2 := child.(*inode)
	if !ok || !ok2 || nd.f != i.f {
		return unix.EXDEV
	}
	op, err := i.where()
	if err != nil {
		return err
	}
	np, err := nd.where()
	if err != nil {
		return err
	}
	from, err := c.where()
	if err != nil {
		return err
	}
	var kept *orphan
	r, _ := replaced.(*inode)
	if r != nil && r != c {
		if kept, err = r.keep(); err != nil {
			return err
		}
	}
	if err := i.f.fs.Rename(join(op, oldName), join(np, newName)); err != nil {
		return errno(err)
	}
	// The new entry's stored name (the old one's case when only the
	// case changed over itself).
	to := join(np, newName)
	if e, err := i.f.fs.Stat(to); err == nil {
		to = join(np, e.Name)
	}
	i.f.mu.Lock()
	defer i.f.mu.Unlock()
	if r != nil && r != c {
		i.f.forgetLocked(r.path)
		r.orphan = kept
	}
	i.f.moveLocked(from, to)
	return nil
}

// regularFile is an open file.
type regularFile struct {
	vfs.FileDefaults
	i *inode
}

// Release implements vfs.FileOperations: the last close of a removed
// file drops its contents.
func (r *regularFile) Release(vfs.Context) {
	r.i.f.mu.Lock()
	defer r.i.f.mu.Unlock()
	if r.i.opens--; r.i.opens == 0 {
		r.i.orphan = nil
	}
}

// withOrphan runs fn with the orphan of a removed file under the lock and
// reports whether there was one.
func (r *regularFile) withOrphan(fn func(o *orphan)) bool {
	r.i.f.mu.Lock()
	defer r.i.f.mu.Unlock()
	if r.i.orphan == nil {
		return false
	}
	fn(r.i.orphan)
	return true
}

// Read implements vfs.FileOperations.
func (r *regularFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	n := 0
	if r.withOrphan(func(o *orphan) {
		if off < int64(len(o.data)) {
			n = copy(dst, o.data[off:])
		}
	}) {
		return n, nil
	}
	p, err := r.i.where()
	if err != nil {
		return 0, err
	}
	n, err = r.i.f.fs.ReadAt(p, dst, off)
	if err == io.EOF {
		err = nil
	}
	return n, errno(err)
}

// Write implements vfs.FileOperations.
func (r *regularFile) Write(_ vfs.Context, _ *vfs.File, src []byte, off int64) (int, error) {
	if off+int64(len(src)) > 0xFFFFFFFF {
		if off >= 0xFFFFFFFF {
			return 0, unix.EFBIG
		}
		src = src[:0xFFFFFFFF-off]
	}
	n := 0
	if r.withOrphan(func(o *orphan) { n = o.write(src, off) }) {
		return n, nil
	}
	p, err := r.i.where()
	if err != nil {
		return 0, err
	}
	n, err = r.i.f.fs.WriteAt(p, src, off)
	if n > 0 {
		return n, nil
	}
	return 0, errno(err)
}

// write writes to a removed file's contents.
func (o *orphan) write(src []byte, off int64) int {
	if end := off + int64(len(src)); end > int64(len(o.data)) {
		o.resize(end)
	}
	return copy(o.data[off:], src)
}

// Append implements vfs.Appender.
func (r *regularFile) Append(_ vfs.Context, _ *vfs.File, src []byte) (int, int64, error) {
	var n int
	var end int64
	if r.withOrphan(func(o *orphan) {
		off := int64(len(o.data))
		if off+int64(len(src)) > 0xFFFFFFFF {
			return
		}
		n = o.write(src, off)
		end = off + int64(n)
	}) {
		if n == 0 && len(src) > 0 {
			return 0, end, unix.EFBIG
		}
		return n, end, nil
	}
	p, err := r.i.where()
	if err != nil {
		return 0, 0, err
	}
	n, end, err = r.i.f.fs.Append(p, src)
	if n > 0 {
		err = nil
	}
	return n, end, errno(err)
}

// Seek implements vfs.FileOperations.
func (r *regularFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	var size int64
	if r.withOrphan(func(o *orphan) { size = int64(len(o.data)) }) {
		return vfs.GenericSeek(cur, size, off, whence)
	}
	p, err := r.i.where()
	if err != nil {
		return 0, err
	}
	e, err := r.i.f.fs.Stat(p)
	if err != nil {
		return 0, errno(err)
	}
	return vfs.GenericSeek(cur, int64(e.Size), off, whence)
}

// Sync implements vfs.FileOperations.
func (r *regularFile) Sync(vfs.Context, *vfs.File, bool) error {
	return errno(r.i.f.fs.Sync())
}

// dirFile is an open directory.
type dirFile struct {
	vfs.FileDefaults
	i *inode
}

// Sync implements vfs.FileOperations.
func (d *dirFile) Sync(vfs.Context, *vfs.File, bool) error {
	return errno(d.i.f.fs.Sync())
}

// IterDirents implements vfs.FileOperations. The offset of an entry is
// its slot + 2: slots stay put while other entries are removed.
func (d *dirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	p, err := d.i.where()
	if err != nil {
		return err
	}
	ents, err := d.i.f.fs.ReadDirSlots(p)
	if err != nil {
		return errno(err)
	}
	for k := range ents {
		e := &ents[k]
		pos := int64(e.Slot) + 2
		if pos < off {
			continue
		}
		c := d.i.f.childFor(p, &e.DirEntry)
		typ := uint8(unix.DT_REG)
		if c.dir {
			typ = unix.DT_DIR
		}
		if !emit(vfs.Dirent{Name: e.Name, Ino: c.ino, Type: typ, NextOff: pos + 1}) {
			return nil
		}
	}
	return nil
}
