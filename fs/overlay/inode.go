package overlay

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// inode is one file of the overlay: its upper inode once it has one, and
// the lower inodes it shows (a non-directory has at most one; a merged
// directory one per lower layer it spans).
type inode struct {
	vfs.InodeDefaults
	fs  *Filesystem
	ino uint64
	typ uint32
	// lowers is fixed at creation.
	lowers []layerInode

	// mu guards the fields below.
	mu sync.Mutex
	// upper is the upper layer's inode; nil until copied up. It is set
	// only once the copy is complete.
	upper vfs.Inode
	// parent and name are where a file without an upper inode is copied
	// up to; parent is nil once its last known name was removed.
	parent *inode
	name   string
	// pin keeps the upper copy of a file copied up after its last name
	// was removed open, so that its data lives as long as o.
	pin vfs.FileOperations
}

// upperInode returns o's upper inode or nil.
func (o *inode) upperInode() vfs.Inode {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.upper
}

// real returns the inode whose contents o shows: the upper one, else the
// top lower one.
func (o *inode) real() vfs.Inode {
	if u := o.upperInode(); u != nil {
		return u
	}
	return o.lowers[0].ino
}

// merged reports whether o is a directory spanning more than one layer.
func (o *inode) merged() bool {
	n := len(o.lowers)
	if o.upperInode() != nil {
		n++
	}
	return o.typ == unix.S_IFDIR && n > 1
}

// Stat implements vfs.Inode.
func (o *inode) Stat(ctx vfs.Context) (vfs.Stat, error) {
	st, err := o.real().Stat(ctx)
	if err != nil {
		return vfs.Stat{}, err
	}
	st.Ino = o.ino
	st.Dev = 0
	if o.merged() {
		// As Linux: a merged directory's link count is unknown.
		st.Nlink = 1
	}
	return st, nil
}

// SetStat implements vfs.Inode: the file is copied up first.
func (o *inode) SetStat(ctx vfs.Context, s *vfs.SetStat) error {
	limit := int64(-1)
	if s.Mask&unix.STATX_SIZE != 0 && o.typ == unix.S_IFREG && s.Size >= 0 {
		limit = s.Size
	}
	u, err := o.fs.copyUpTruncated(ctx, o, limit)
	if err != nil {
		return err
	}
	return u.SetStat(ctx, s)
}

// Readlink implements vfs.Inode.
func (o *inode) Readlink(ctx vfs.Context) (string, error) {
	if o.typ != unix.S_IFLNK {
		return "", unix.EINVAL
	}
	return o.real().Readlink(ctx)
}

// Open implements vfs.Inode. Opening a lower regular file for writing (or
// with O_TRUNC) copies it up.
func (o *inode) Open(ctx vfs.Context, flags int) (vfs.FileOperations, error) {
	switch o.typ {
	case unix.S_IFDIR:
		return &dirFile{o: o}, nil
	case unix.S_IFREG:
	default:
		return nil, unix.ENXIO
	}
	acc := flags & unix.O_ACCMODE
	if acc == unix.O_WRONLY || acc == unix.O_RDWR || flags&unix.O_TRUNC != 0 {
		// With O_TRUNC the VFS truncates the file next: no data to copy.
		limit := int64(-1)
		if flags&unix.O_TRUNC != 0 {
			limit = 0
		}
		if _, err := o.fs.copyUpTruncated(ctx, o, limit); err != nil {
			return nil, err
		}
	}
	f := &regularFile{o: o, flags: flags &^ (unix.O_CREAT | unix.O_EXCL | unix.O_TRUNC)}
	if err := f.openReal(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// lookupLayers finds name in directory o: the upper entry (nil if none)
// and the lower entries it merges with or shows.
func (o *inode) lookupLayers(ctx vfs.Context, name string) (vfs.Inode, []layerInode, error) {
	if o.typ != unix.S_IFDIR {
		return nil, nil, unix.ENOTDIR
	}
	fs := o.fs
	var upper vfs.Inode
	var upperType uint32
	if ud := o.upperInode(); ud != nil {
		c, err := ud.Lookup(ctx, name)
		if err != nil && err != unix.ENOENT {
			return nil, nil, err
		}
		if err == unix.ENOENT {
			c = nil
		}
		wh, err := fs.isWhiteout(ctx, ud, name, c)
		if err != nil {
			return nil, nil, err
		}
		if wh {
			return nil, nil, unix.ENOENT
		}
		if c != nil {
			st, err := c.Stat(ctx)
			if err != nil {
				return nil, nil, err
			}
			upper, upperType = c, st.Type()
			if upperType != unix.S_IFDIR || fs.isOpaque(ctx, c) {
				return upper, nil, nil
			}
		}
	}
	var lowers []layerInode
	for _, ld := range o.lowers {
		c, err := ld.ino.Lookup(ctx, name)
		if err == unix.ENOENT || err == unix.ENOTDIR {
			if wh, _ := fs.isWhiteout(ctx, ld.ino, name, nil); wh {
				break
			}
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		wh, err := fs.isWhiteout(ctx, ld.ino, name, c)
		if err != nil {
			return nil, nil, err
		}
		if wh {
			break
		}
		st, err := c.Stat(ctx)
		if err != nil {
			return nil, nil, err
		}
		isDir := st.Type() == unix.S_IFDIR
		if upper == nil && len(lowers) == 0 && !isDir {
			return nil, []layerInode{{ld.layer, c}}, nil
		}
		if !isDir {
			// A non-directory ends the merge of the directories above.
			break
		}
		lowers = append(lowers, layerInode{ld.layer, c})
		if fs.isOpaque(ctx, c) {
			break
		}
	}
	if upper == nil && len(lowers) == 0 {
		return nil, nil, unix.ENOENT
	}
	return upper, lowers, nil
}

// Lookup implements vfs.Inode.
func (o *inode) Lookup(ctx vfs.Context, name string) (vfs.Inode, error) {
	upper, lowers, err := o.lookupLayers(ctx, name)
	if err != nil {
		return nil, err
	}
	n, err := o.fs.inodeFor(ctx, o, name, upper, lowers)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// lowerHas reports whether a lower layer shows name in directory o, so
// that removing it from the overlay needs a whiteout.
func (o *inode) lowerHas(ctx vfs.Context, name string) (bool, error) {
	if o.typ != unix.S_IFDIR {
		return false, nil
	}
	u := o.upperInode()
	if u != nil && o.fs.isOpaque(ctx, u) {
		return false, nil
	}
	for _, ld := range o.lowers {
		c, err := ld.ino.Lookup(ctx, name)
		if err == unix.ENOENT || err == unix.ENOTDIR {
			if wh, _ := o.fs.isWhiteout(ctx, ld.ino, name, nil); wh {
				return false, nil
			}
			continue
		}
		if err != nil {
			return false, err
		}
		wh, err := o.fs.isWhiteout(ctx, ld.ino, name, c)
		if err != nil {
			return false, err
		}
		return !wh, nil
	}
	return false, nil
}

// create makes a new entry name in directory o with mk, after copying o
// up and clearing a whiteout; a directory made over a whiteout is opaque.
func (o *inode) create(ctx vfs.Context, name string, mk func(ud vfs.Inode) (vfs.Inode, error)) (vfs.Inode, error) {
	if o.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	fs := o.fs
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	ud, err := fs.copyUpLocked(ctx, o)
	if err != nil {
		return nil, err
	}
	hadWhiteout, err := fs.clearWhiteout(ctx, ud, name)
	if err != nil {
		return nil, err
	}
	c, err := mk(ud)
	if err != nil {
		if hadWhiteout {
			_ = fs.makeWhiteout(ctx, ud, name)
		}
		return nil, err
	}
	st, err := c.Stat(ctx)
	if err != nil {
		return nil, err
	}
	if st.Type() == unix.S_IFDIR {
		lower, err := o.lowerHas(ctx, name)
		if err != nil {
			return nil, err
		}
		if hadWhiteout || lower {
			if err := fs.setOpaque(ctx, c); err != nil {
				return nil, err
			}
		}
	}
	n, err := fs.inodeFor(ctx, o, name, c, nil)
	if err != nil {
		return nil, err
	}
	return n, nil
}

// CreateTmpfile implements vfs.TmpfileCreator (O_TMPFILE): the file is
// made in the upper layer's copy of the directory, if that layer can.
func (o *inode) CreateTmpfile(ctx vfs.Context, mode uint32) (vfs.Inode, error) {
	if o.typ != unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	fs := o.fs
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	ud, err := fs.copyUpLocked(ctx, o)
	if err != nil {
		return nil, err
	}
	tc, ok := ud.(vfs.TmpfileCreator)
	if !ok {
		return nil, unix.EOPNOTSUPP
	}
	c, err := tc.CreateTmpfile(ctx, mode)
	if err != nil {
		return nil, err
	}
	return fs.inodeFor(ctx, o, "", c, nil)
}

// Create implements vfs.Inode.
func (o *inode) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return o.create(ctx, name, func(ud vfs.Inode) (vfs.Inode, error) { return ud.Create(ctx, name, mode) })
}

// Mkdir implements vfs.Inode.
func (o *inode) Mkdir(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	return o.create(ctx, name, func(ud vfs.Inode) (vfs.Inode, error) { return ud.Mkdir(ctx, name, mode) })
}

// Mknod implements vfs.Inode. A 0/0 character device would read as a
// whiteout, so it is refused as Linux's overlayfs does.
func (o *inode) Mknod(ctx vfs.Context, name string, mode uint32, rdev uint64) (vfs.Inode, error) {
	if mode&unix.S_IFMT == unix.S_IFCHR && rdev == 0 {
		return nil, unix.EPERM
	}
	return o.create(ctx, name, func(ud vfs.Inode) (vfs.Inode, error) { return ud.Mknod(ctx, name, mode, rdev) })
}

// Symlink implements vfs.Inode.
func (o *inode) Symlink(ctx vfs.Context, name, target string) (vfs.Inode, error) {
	return o.create(ctx, name, func(ud vfs.Inode) (vfs.Inode, error) { return ud.Symlink(ctx, name, target) })
}

// Link implements vfs.Inode: a lower target is copied up first.
func (o *inode) Link(ctx vfs.Context, name string, target vfs.Inode) error {
	t, ok := target.(*inode)
	if !ok || t.fs != o.fs {
		return unix.EXDEV
	}
	if o.typ != unix.S_IFDIR {
		return unix.ENOTDIR
	}
	fs := o.fs
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	tu, err := fs.copyUpLocked(ctx, t)
	if err != nil {
		return err
	}
	ud, err := fs.copyUpLocked(ctx, o)
	if err != nil {
		return err
	}
	hadWhiteout, err := fs.clearWhiteout(ctx, ud, name)
	if err != nil {
		return err
	}
	if err := ud.Link(ctx, name, tu); err != nil {
		if hadWhiteout {
			_ = fs.makeWhiteout(ctx, ud, name)
		}
		return err
	}
	return nil
}

// Unlink implements vfs.Inode: a name a lower layer has leaves a whiteout.
func (o *inode) Unlink(ctx vfs.Context, name string, child vfs.Inode) error {
	return o.remove(ctx, name, child, false)
}

// Rmdir implements vfs.Inode: the directory must look empty in the
// overlay; whiteouts inside it go with it.
func (o *inode) Rmdir(ctx vfs.Context, name string, child vfs.Inode) error {
	return o.remove(ctx, name, child, true)
}

func (o *inode) remove(ctx vfs.Context, name string, child vfs.Inode, isDir bool) error {
	c, ok := child.(*inode)
	if !ok || c.fs != o.fs {
		return unix.ENOENT
	}
	fs := o.fs
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	lower, err := o.lowerHas(ctx, name)
	if err != nil {
		return err
	}
	if isDir {
		if err := c.checkEmpty(ctx); err != nil {
			return err
		}
	}
	cu := c.upperInode()
	if cu != nil && lower {
		// A lower file whose copy lives under another name (a hard
		// link copied up there): only the whiteout goes here.
		if ud := o.upperInode(); ud == nil {
			cu = nil
		} else if u, err := ud.Lookup(ctx, name); err != nil || u != cu {
			cu = nil
		}
	}
	var ud vfs.Inode
	if lower || cu != nil {
		if ud, err = fs.copyUpLocked(ctx, o); err != nil {
			return err
		}
	}
	if cu != nil {
		if isDir {
			if err := fs.clearWhiteouts(ctx, cu); err != nil {
				return err
			}
			err = ud.Rmdir(ctx, name, cu)
		} else {
			c.keepIfLinked(ctx, cu)
			err = ud.Unlink(ctx, name, cu)
		}
		if err != nil {
			return err
		}
	}
	if lower {
		if err := fs.makeWhiteout(ctx, ud, name); err != nil {
			return err
		}
	}
	c.mu.Lock()
	if c.upper == nil && c.parent == o && c.name == name {
		c.parent = nil
	}
	c.mu.Unlock()
	return nil
}

// checkEmpty returns ENOTEMPTY unless directory o lists no entries.
func (o *inode) checkEmpty(ctx vfs.Context) error {
	ents, err := o.listMerged(ctx)
	if err != nil {
		return err
	}
	if len(ents) > 0 {
		return unix.ENOTEMPTY
	}
	return nil
}

// clearWhiteouts removes every whiteout from the upper directory dir
// (which holds nothing else).
func (fs *Filesystem) clearWhiteouts(ctx vfs.Context, dir vfs.Inode) error {
	var names []string
	err := iterLayerDir(ctx, dir, func(e vfs.Dirent) bool {
		names = append(names, e.Name)
		return true
	})
	if err != nil {
		return err
	}
	for _, n := range names {
		c, err := dir.Lookup(ctx, n)
		if err != nil {
			return err
		}
		wh, err := fs.isWhiteout(ctx, dir, n, c)
		if err != nil {
			return err
		}
		if !wh {
			return unix.ENOTEMPTY
		}
		if err := dir.Unlink(ctx, n, c); err != nil {
			return err
		}
	}
	fs.mu.Lock()
	delete(fs.whiteouts, dir)
	fs.mu.Unlock()
	return nil
}

// Rename implements vfs.Inode. Both ends are copied up; a directory with
// lower layers gives EXDEV; the old name leaves a whiteout when a lower
// layer has it, and a directory moved over a name a lower layer has
// becomes opaque.
func (o *inode) Rename(ctx vfs.Context, oldName string, child vfs.Inode, newDir vfs.Inode, newName string, replaced vfs.Inode, flags uint32) error {
	c, ok := child.(*inode)
	nd, ok2 := newDir.(*inode)
	if !ok || !ok2 || c.fs != o.fs || nd.fs != o.fs {
		return unix.EXDEV
	}
	var r *inode
	if replaced != nil {
		if r, ok = replaced.(*inode); !ok || r.fs != o.fs {
			return unix.EXDEV
		}
	}
	if c.typ == unix.S_IFDIR && len(c.lowers) > 0 {
		return unix.EXDEV
	}
	if flags&vfs.RenameExchange != 0 && r.typ == unix.S_IFDIR && len(r.lowers) > 0 {
		return unix.EXDEV
	}
	fs := o.fs
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	if r != nil && r.typ == unix.S_IFDIR && flags&vfs.RenameExchange == 0 {
		if err := r.checkEmpty(ctx); err != nil {
			return err
		}
	}
	oldLower, err := o.lowerHas(ctx, oldName)
	if err != nil {
		return err
	}
	newLower, err := nd.lowerHas(ctx, newName)
	if err != nil {
		return err
	}
	cu, err := fs.copyUpLocked(ctx, c)
	if err != nil {
		return err
	}
	od, err := fs.copyUpLocked(ctx, o)
	if err != nil {
		return err
	}
	ndu, err := fs.copyUpLocked(ctx, nd)
	if err != nil {
		return err
	}
	if err := linkUpperName(ctx, od, oldName, cu); err != nil {
		return err
	}
	var ru vfs.Inode
	if r != nil {
		if flags&vfs.RenameExchange != 0 {
			if ru, err = fs.copyUpLocked(ctx, r); err != nil {
				return err
			}
			if err := linkUpperName(ctx, ndu, newName, ru); err != nil {
				return err
			}
		} else if ru = r.upperInode(); ru != nil && r.typ == unix.S_IFDIR {
			if err := fs.clearWhiteouts(ctx, ru); err != nil {
				return err
			}
		} else if ru != nil {
			// A lower hard link whose copy lives under another name
			// has no upper entry here.
			if u, err := ndu.Lookup(ctx, newName); err != nil || u != ru {
				ru = nil
			}
		}
	} else if _, err := fs.clearWhiteout(ctx, ndu, newName); err != nil {
		return err
	}
	if ru != nil && flags&vfs.RenameExchange == 0 && r.typ != unix.S_IFDIR {
		r.keepIfLinked(ctx, ru)
	}
	if err := od.Rename(ctx, oldName, cu, ndu, newName, ru, flags&^vfs.RenameWhiteout); err != nil {
		return err
	}
	if flags&vfs.RenameExchange == 0 && oldLower {
		if err := fs.makeWhiteout(ctx, od, oldName); err != nil {
			return err
		}
	}
	if c.typ == unix.S_IFDIR && newLower {
		if err := fs.setOpaque(ctx, cu); err != nil {
			return err
		}
	}
	if flags&vfs.RenameExchange != 0 && r.typ == unix.S_IFDIR && oldLower {
		if err := fs.setOpaque(ctx, ru); err != nil {
			return err
		}
	}
	if r != nil && flags&vfs.RenameExchange == 0 {
		r.mu.Lock()
		if r.upper == nil && r.parent == nd && r.name == newName {
			r.parent = nil
		}
		r.mu.Unlock()
	}
	return nil
}

// keepIfLinked holds the upper copy u of o open when o came from a lower
// file with other hard links, before the copy's name is removed: the
// other names still show o (sharing its copy, as the VFS keeps one inode
// per file), so its data must stay.
func (o *inode) keepIfLinked(ctx vfs.Context, u vfs.Inode) {
	if len(o.lowers) == 0 || o.typ == unix.S_IFDIR {
		return
	}
	st, err := o.lowers[0].ino.Stat(ctx)
	if err != nil || st.Nlink < 2 {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pin != nil {
		return
	}
	if pin, err := u.Open(ctx, unix.O_RDONLY); err == nil {
		o.pin = pin
	}
}

// linkUpperName makes sure name in the upper directory dir is the copy u:
// a file copied up through another of its lower hard links has its copy
// under that other name, and gets this one as a second link.
func linkUpperName(ctx vfs.Context, dir vfs.Inode, name string, u vfs.Inode) error {
	c, err := dir.Lookup(ctx, name)
	switch {
	case err == nil && c == u:
		return nil
	case err == nil:
		return unix.EIO
	case err != unix.ENOENT:
		return err
	}
	return dir.Link(ctx, name, u)
}
