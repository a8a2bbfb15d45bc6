package tmpfs

import (
	"math"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// maxFileSize is the largest size a tmpfs file may have (Linux's
// MAX_LFS_FILESIZE).
const maxFileSize = math.MaxInt64

// readLocked copies the file's bytes at off into dst.
//
// Preconditions: i.mu is held.
func (i *inode) readLocked(dst []byte, off int64) int {
	if off >= i.size {
		return 0
	}
	if rem := i.size - off; int64(len(dst)) > rem {
		dst = dst[:rem]
	}
	n := 0
	for n < len(dst) {
		pos := off + int64(n)
		pg, in := pos/pageSize, int(pos%pageSize)
		chunk := dst[n:]
		if len(chunk) > pageSize-in {
			chunk = chunk[:pageSize-in]
		}
		if p := i.pages[pg]; p != nil {
			copy(chunk, p[in:])
		} else {
			clear(chunk)
		}
		n += len(chunk)
	}
	return n
}

// writeLocked copies src into the file at off, growing it.
//
// Preconditions: i.mu is held for writing.
func (i *inode) writeLocked(ctx vfs.Context, src []byte, off int64) (int, error) {
	if off > maxFileSize-int64(len(src)) {
		if off >= maxFileSize {
			return 0, unix.EFBIG
		}
		src = src[:maxFileSize-off]
	}
	n := 0
	for n < len(src) {
		pos := off + int64(n)
		pg, in := pos/pageSize, int(pos%pageSize)
		chunk := src[n:]
		if len(chunk) > pageSize-in {
			chunk = chunk[:pageSize-in]
		}
		p := i.pages[pg]
		if p == nil {
			if err := i.fs.allocPages(1); err != nil {
				if n == 0 {
					return 0, err
				}
				break
			}
			p = make([]byte, pageSize)
			if i.pages == nil {
				i.pages = make(map[int64][]byte)
			}
			i.pages[pg] = p
		}
		copy(p[in:], chunk)
		n += len(chunk)
	}
	if end := off + int64(n); end > i.size {
		i.size = end
	}
	if n > 0 {
		now := i.fs.v.NowTimespec()
		i.mtime, i.ctime = now, now
		// A write by an unprivileged user clears set-user-ID (and
		// set-group-ID with group exec).
		if ctx.Credentials().FSUID != 0 && i.mode&unix.S_ISUID != 0 || i.mode&(unix.S_ISGID|unix.S_IXGRP) == unix.S_ISGID|unix.S_IXGRP {
			i.mode &^= unix.S_ISUID
			if i.mode&unix.S_IXGRP != 0 {
				i.mode &^= unix.S_ISGID
			}
		}
	}
	return n, nil
}

// truncateLocked sets the file size, dropping pages past it and zeroing
// the tail of the last one.
//
// Preconditions: i.mu is held for writing.
func (i *inode) truncateLocked(size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	if size < i.size {
		last := (size + pageSize - 1) / pageSize // first page wholly past the end
		var freed int64
		for pg := range i.pages {
			if pg >= last {
				delete(i.pages, pg)
				freed++
			}
		}
		i.fs.freePages(freed)
		if in := size % pageSize; in != 0 {
			if p := i.pages[size/pageSize]; p != nil {
				clear(p[in:])
			}
		}
	}
	i.size = size
	return nil
}

// regularFile is an open regular tmpfs file.
type regularFile struct {
	vfs.FileDefaults
	ino *inode
}

// Release implements vfs.FileOperations.
func (f *regularFile) Release(vfs.Context) { f.ino.release() }

// Read implements vfs.FileOperations.
func (f *regularFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	f.ino.mu.RLock()
	defer f.ino.mu.RUnlock()
	return f.ino.readLocked(dst, off), nil
}

// Write implements vfs.FileOperations.
func (f *regularFile) Write(ctx vfs.Context, _ *vfs.File, src []byte, off int64) (int, error) {
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	return f.ino.writeLocked(ctx, src, off)
}

// Append implements vfs.Appender.
func (f *regularFile) Append(ctx vfs.Context, _ *vfs.File, src []byte) (int, int64, error) {
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	off := f.ino.size
	n, err := f.ino.writeLocked(ctx, src, off)
	return n, off + int64(n), err
}

// Seek implements vfs.FileOperations, with SEEK_DATA and SEEK_HOLE
// following the allocated pages.
func (f *regularFile) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	i := f.ino
	i.mu.RLock()
	defer i.mu.RUnlock()
	switch whence {
	case unix.SEEK_DATA, unix.SEEK_HOLE:
		if off < 0 || off >= i.size {
			return 0, unix.ENXIO
		}
		wantData := whence == unix.SEEK_DATA
		for pos := off; pos < i.size; pos = (pos/pageSize + 1) * pageSize {
			if (i.pages[pos/pageSize] != nil) == wantData {
				return pos, nil
			}
		}
		if wantData {
			return 0, unix.ENXIO
		}
		return i.size, nil
	}
	return vfs.GenericSeek(cur, i.size, off, whence)
}

// Sync implements vfs.FileOperations: memory is the storage.
func (f *regularFile) Sync(vfs.Context, *vfs.File, bool) error { return nil }

// dirFile is an open tmpfs directory.
type dirFile struct {
	vfs.FileDefaults
	ino *inode
}

// Release implements vfs.FileOperations.
func (f *dirFile) Release(vfs.Context) { f.ino.release() }

// Seek implements vfs.FileOperations: directories seek to entry offsets
// with SEEK_SET and SEEK_CUR.
func (f *dirFile) Seek(ctx vfs.Context, file *vfs.File, cur, off int64, whence int) (int64, error) {
	return f.FileDefaults.Seek(ctx, file, cur, off, whence)
}

// Sync implements vfs.FileOperations.
func (f *dirFile) Sync(vfs.Context, *vfs.File, bool) error { return nil }

// IterDirents implements vfs.FileOperations. Entries are listed by
// cookie, so an offset stays valid whatever is removed meanwhile.
func (f *dirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	i := f.ino
	i.mu.RLock()
	k := sort.Search(len(i.dirents), func(k int) bool { return i.dirents[k].cookie >= off })
	ents := make([]vfs.Dirent, 0, len(i.dirents)-k)
	for _, e := range i.dirents[k:] {
		ents = append(ents, vfs.Dirent{Name: e.name, Ino: e.child.ino, Type: vfs.DirentType(e.child.ftype), NextOff: e.cookie + 1})
	}
	i.mu.RUnlock()
	for _, e := range ents {
		if !emit(e) {
			return nil
		}
	}
	return nil
}

// fallocate(2) modes tmpfs supports.
const (
	fallocKeepSize  = 0x1
	fallocPunchHole = 0x2
)

// Allocate implements vfs.Allocator: mode 0 and FALLOC_FL_KEEP_SIZE
// reserve pages, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE frees them.
func (f *regularFile) Allocate(ctx vfs.Context, _ *vfs.File, mode uint32, off, length int64) error {
	i := f.ino
	i.mu.Lock()
	defer i.mu.Unlock()
	end := off + length
	switch mode {
	case 0, fallocKeepSize:
		var missing []int64
		for pg := off / pageSize; pg*pageSize < end; pg++ {
			if i.pages[pg] == nil {
				missing = append(missing, pg)
			}
		}
		if err := i.fs.allocPages(int64(len(missing))); err != nil {
			return err
		}
		if i.pages == nil && len(missing) > 0 {
			i.pages = make(map[int64][]byte)
		}
		for _, pg := range missing {
			i.pages[pg] = make([]byte, pageSize)
		}
		if mode == 0 && end > i.size {
			i.size = end
		}
	case fallocPunchHole | fallocKeepSize:
		if end > i.size {
			end = i.size
		}
		var freed int64
		for pos := off; pos < end; {
			pg, in := pos/pageSize, pos%pageSize
			n := min(pageSize-in, end-pos)
			if p := i.pages[pg]; p != nil {
				if n == pageSize {
					delete(i.pages, pg)
					freed++
				} else {
					clear(p[in : in+n])
				}
			}
			pos += n
		}
		i.fs.freePages(freed)
	case fallocPunchHole:
		return unix.EOPNOTSUPP
	default:
		return unix.EOPNOTSUPP
	}
	now := i.fs.v.NowTimespec()
	i.mtime, i.ctime = now, now
	return nil
}
