package overlay

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// copyChunk is how much file data one copy-up step moves.
const copyChunk = 64 << 10

// copyUp returns o's upper inode, copying o (and its parent directories)
// up from the lower layer first if it has none.
func (fs *Filesystem) copyUp(ctx vfs.Context, o *inode) (vfs.Inode, error) {
	return fs.copyUpTruncated(ctx, o, -1)
}

// copyUpTruncated is copyUp for a file about to be truncated to size:
// only the data before size is copied (all of it if size < 0).
func (fs *Filesystem) copyUpTruncated(ctx vfs.Context, o *inode, size int64) (vfs.Inode, error) {
	if u := o.upperInode(); u != nil {
		return u, nil
	}
	fs.copyMu.Lock()
	defer fs.copyMu.Unlock()
	return fs.copyUpData(ctx, o, size)
}

// copyUpLocked is copyUp.
//
// Preconditions: fs.copyMu is held.
func (fs *Filesystem) copyUpLocked(ctx vfs.Context, o *inode) (vfs.Inode, error) {
	return fs.copyUpData(ctx, o, -1)
}

// copyUpData is copyUpTruncated.
//
// Preconditions: fs.copyMu is held.
func (fs *Filesystem) copyUpData(ctx vfs.Context, o *inode, limit int64) (vfs.Inode, error) {
	o.mu.Lock()
	u, parent, name := o.upper, o.parent, o.name
	o.mu.Unlock()
	if u != nil {
		return u, nil
	}
	if fs.upper == nil {
		return nil, unix.EROFS
	}
	orphan := parent == nil
	if !orphan {
		// An entry already at the name is a whiteout (the name was
		// removed: the file has no visible name there any more) or a
		// file the overlay does not know.
		if pd := parent.upperInode(); pd != nil {
			c, err := pd.Lookup(ctx, name)
			if err != nil && err != unix.ENOENT {
				return nil, err
			}
			if err != nil {
				c = nil
			}
			wh, err := fs.isWhiteout(ctx, pd, name, c)
			if err != nil {
				return nil, err
			}
			if !wh && c != nil {
				return nil, unix.EEXIST
			}
			orphan = wh
		}
	}
	if orphan {
		// The lower file's names were all removed while it was open. As
		// Linux copies up into its work directory, it is copied up under
		// a temporary name in the upper root and unlinked there, held
		// open so that its data stays.
		if o.typ == unix.S_IFDIR {
			return nil, unix.ENOENT
		}
		fs.orphans++
		parent, name = fs.root, fmt.Sprintf("#overlay-orphan-%d", fs.orphans)
	}
	pu, err := fs.copyUpLocked(ctx, parent)
	if err != nil {
		return nil, err
	}
	lower := o.lowers[0].ino
	st, err := lower.Stat(ctx)
	if err != nil {
		return nil, err
	}
	perm := st.Mode & 0o777
	switch st.Type() {
	case unix.S_IFDIR:
		u, err = pu.Mkdir(ctx, name, perm)
	case unix.S_IFREG:
		u, err = pu.Create(ctx, name, perm|0o200)
	case unix.S_IFLNK:
		var target string
		if target, err = lower.Readlink(ctx); err == nil {
			u, err = pu.Symlink(ctx, name, target)
		}
	case unix.S_IFCHR, unix.S_IFBLK, unix.S_IFIFO, unix.S_IFSOCK:
		u, err = pu.Mknod(ctx, name, st.Type()|perm, st.Rdev)
	default:
		err = unix.EIO
	}
	if err != nil {
		return nil, err
	}
	var ust vfs.Stat
	undo := func(err error) (vfs.Inode, error) {
		fs.mu.Lock()
		if fs.byUpper[u] == o {
			delete(fs.byUpper, u)
			delete(fs.upperIno, ust.Ino)
		}
		fs.mu.Unlock()
		if st.Type() == unix.S_IFDIR {
			_ = pu.Rmdir(ctx, name, u)
		} else {
			_ = pu.Unlink(ctx, name, u)
		}
		return nil, err
	}
	ust, err = u.Stat(ctx)
	if err != nil {
		return undo(err)
	}
	fs.mu.Lock()
	fs.byUpper[u] = o
	fs.upperIno[ust.Ino] = o.ino
	fs.mu.Unlock()
	if st.Type() == unix.S_IFREG {
		size := st.Size
		if limit >= 0 && limit < size {
			size = limit
		}
		if err := copyData(ctx, lower, u, size); err != nil {
			return undo(err)
		}
	}
	if err := copyXattrs(ctx, lower, u); err != nil {
		return undo(err)
	}
	set := &vfs.SetStat{
		Mask: unix.STATX_UID | unix.STATX_GID | unix.STATX_ATIME | unix.STATX_MTIME,
		UID:  st.UID, GID: st.GID, Atime: st.Atime, Mtime: st.Mtime, Ctime: fs.v.NowTimespec(),
	}
	if st.Type() != unix.S_IFLNK {
		set.Mask |= unix.STATX_MODE
		set.Mode = st.Mode & 0o7777
	}
	if err := u.SetStat(ctx, set); err != nil {
		return undo(err)
	}
	if t := st.Type(); t == unix.S_IFREG || t == unix.S_IFDIR {
		if err := copyFlags(ctx, lower, pu, u, set.Ctime); err != nil {
			return undo(err)
		}
	}
	if orphan {
		pin, err := u.Open(ctx, unix.O_RDONLY)
		if err != nil {
			return undo(err)
		}
		if err := pu.Unlink(ctx, name, u); err != nil {
			pin.Release(ctx)
			return undo(err)
		}
		o.mu.Lock()
		o.pin = pin
		o.mu.Unlock()
	}
	o.mu.Lock()
	o.upper = u
	o.mu.Unlock()
	return u, nil
}

// copyData copies size bytes of the regular file src into dst, leaving
// holes where the source reads as zeros.
func copyData(ctx vfs.Context, src, dst vfs.Inode, size int64) error {
	r, err := src.Open(ctx, unix.O_RDONLY)
	if err != nil {
		return err
	}
	defer r.Release(ctx)
	w, err := dst.Open(ctx, unix.O_WRONLY)
	if err != nil {
		return err
	}
	defer w.Release(ctx)
	buf := make([]byte, copyChunk)
	var off int64
	for off < size {
		n, err := r.Read(ctx, nil, buf, off)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		chunk := buf[:n]
		if !allZero(chunk) {
			for len(chunk) > 0 {
				m, err := w.Write(ctx, nil, chunk, off+int64(n-len(chunk)))
				if err != nil {
					return err
				}
				if m == 0 {
					return unix.EIO
				}
				chunk = chunk[m:]
			}
		}
		off += int64(n)
	}
	return dst.SetStat(ctx, &vfs.SetStat{Mask: unix.STATX_SIZE, Size: off})
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// copyXattrs copies the extended attributes of src to dst, except
// overlayfs's own.
func copyXattrs(ctx vfs.Context, src, dst vfs.Inode) error {
	sx, ok := src.(vfs.XattrInode)
	if !ok {
		return nil
	}
	names, err := sx.ListXattr(ctx)
	if err != nil || len(names) == 0 {
		return nil
	}
	dx, ok := dst.(vfs.XattrInode)
	if !ok {
		return unix.EOPNOTSUPP
	}
	for _, n := range names {
		if strings.HasPrefix(n, xattrPrefix) {
			continue
		}
		val, err := sx.GetXattr(ctx, n)
		if err == unix.ENODATA {
			continue
		}
		if err != nil {
			return err
		}
		if err := dx.SetXattr(ctx, n, val, 0); err != nil {
			return err
		}
	}
	return nil
}
