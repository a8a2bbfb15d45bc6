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

// vectorPages is implemented by pages that copy to or from several
// buffers at once, as if they were one (mm.SharedMemory).
type vectorPages interface {
	ReadAtv(dst [][]byte, off uint64) int
	WriteAtv(src [][]byte, off uint64) (int, error)
}

// readLocked copies the file's bytes at off into dst.
//
// Preconditions: i.mu is held.
func (i *inode) readLocked(dst []byte, off int64) int {
	one := [1][]byte{dst}
	return i.readvLocked(one[:], off)
}

// readvLocked copies the file's bytes at off into the buffers of dst one
// after another and returns how many it copied: short only at the end of
// the file.
//
// Preconditions: i.mu is held.
func (i *inode) readvLocked(dst [][]byte, off int64) int {
	if off >= i.size {
		return 0
	}
	dst, trim := trimViews(dst, i.size-off)
	defer trim.undo()
	var n int
	if vp, ok := i.pages.(vectorPages); ok {
		n = vp.ReadAtv(dst, uint64(off))
	} else {
		for _, b := range dst {
			k := i.pages.ReadAt(b, uint64(off)+uint64(n))
			n += k
			if k < len(b) {
				break
			}
		}
	}
	// Within the size, past the pages: a hole.
	total := 0
	for _, b := range dst {
		if rest := n - total; rest < len(b) {
			clear(b[max(rest, 0):])
		}
		total += len(b)
	}
	return total
}

// trimViews returns the first n bytes of the buffers of v (v itself if
// it holds no more): v's start, with the last buffer shortened in place,
// which undo puts back. Nothing is allocated.
func trimViews(v [][]byte, n int64) ([][]byte, viewTrim) {
	for k, b := range v {
		if int64(len(b)) >= n {
			if int64(len(b)) == n {
				return v[:k+1], viewTrim{}
			}
			v[k] = b[:n]
			return v[:k+1], viewTrim{v: v, k: k, b: b}
		}
		n -= int64(len(b))
	}
	return v, viewTrim{}
}

// viewTrim is what trimViews shortened: v[k] was b.
type viewTrim struct {
	v [][]byte
	k int
	b []byte
}

// undo gives the shortened buffer its length back.
func (t viewTrim) undo() {
	if t.v != nil {
		t.v[t.k] = t.b
	}
}

// chargeLocked brings the size-limit accounting in line with the pages
// the file has (a mapping may have given it pages).
//
// Preconditions: i.mu is held for writing; i is a regular file.
func (i *inode) chargeLocked() {
	if i.pages == nil {
		return
	}
	have := int64(i.pages.ResidentPages())
	if d := have - i.charged; d != 0 {
		i.fs.pages.Add(d)
		i.charged = have
	}
}

// reserveLocked charges the pages that writing length bytes at off would
// allocate to the size limit and returns how many bytes may be written:
// length, or fewer (down to 0 with ENOSPC) when the limit is near.
//
// Preconditions: i.mu is held for writing.
func (i *inode) reserveLocked(off int64, length int) (int, error) {
	i.chargeLocked()
	missing := int64(i.pages.MissingPages(uint64(off), uint64(length)))
	if missing == 0 {
		return length, nil
	}
	if err := i.fs.allocPages(missing); err == nil {
		i.charged += missing
		return length, nil
	}
	// Near the limit: write what fits, page by page.
	n := 0
	for n < length {
		pos := off + int64(n)
		chunk := min(pageSize-int(pos%pageSize), length-n)
		if !i.pages.HasPage(uint64(pos / pageSize)) {
			if i.fs.allocPages(1) != nil {
				break
			}
			i.charged++
		}
		n += chunk
	}
	if n == 0 {
		return 0, unix.ENOSPC
	}
	return n, nil
}

// writeLocked copies src into the file at off, growing it.
//
// Preconditions: i.mu is held for writing.
func (i *inode) writeLocked(ctx vfs.Context, src []byte, off int64) (int, error) {
	one := [1][]byte{src}
	return i.writevLocked(ctx, one[:], int64(len(src)), off)
}

// writevLocked copies the buffers of src, length bytes in all, one after
// another into the file at off, growing it.
//
// Preconditions: i.mu is held for writing.
func (i *inode) writevLocked(ctx vfs.Context, src [][]byte, length, off int64) (int, error) {
	if off > maxFileSize-length {
		if off >= maxFileSize {
			return 0, unix.EFBIG
		}
		length = maxFileSize - off
	}
	if length == 0 {
		return 0, nil
	}
	if err := i.checkWriteSealsLocked(off + length); err != nil {
		return 0, err
	}
	fit, err := i.reserveLocked(off, int(length))
	if err != nil {
		return 0, err
	}
	src, trim := trimViews(src, int64(fit))
	defer trim.undo()
	var n int
	if vp, ok := i.pages.(vectorPages); ok {
		n, err = vp.WriteAtv(src, uint64(off))
	} else {
		for _, b := range src {
			var k int
			k, err = i.pages.WriteAt(b, uint64(off)+uint64(n))
			n += k
			if err != nil {
				break
			}
		}
	}
	i.chargeLocked()
	if n == 0 {
		return 0, err
	}
	if end := off + int64(n); end > i.size {
		i.size = end
	}
	now := i.fs.v.NowTimespec()
	i.mtime, i.ctime = now, now
	return n, nil
}

// checkWriteSealsLocked applies the seals to a write ending at end.
//
// Preconditions: i.mu is held.
func (i *inode) checkWriteSealsLocked(end int64) error {
	if i.seals&(unix.F_SEAL_WRITE|unix.F_SEAL_FUTURE_WRITE) != 0 {
		return unix.EPERM
	}
	if i.seals&unix.F_SEAL_GROW != 0 && end > i.size {
		return unix.EPERM
	}
	return nil
}

// truncateLocked sets the file size, dropping pages past it (from every
// mapping too) and zeroing the tail of the last one.
//
// Preconditions: i.mu is held for writing.
func (i *inode) truncateLocked(size int64) error {
	if size < 0 {
		return unix.EINVAL
	}
	switch {
	case size < i.size && i.seals&unix.F_SEAL_SHRINK != 0:
		return unix.EPERM
	case size > i.size && i.seals&unix.F_SEAL_GROW != 0:
		return unix.EPERM
	}
	i.pages.SetSize(uint64(size))
	i.size = size
	i.chargeLocked()
	return nil
}

// regularFile is an open regular tmpfs file.
type regularFile struct {
	vfs.FileDefaults
	ino *inode
}

// Release implements vfs.FileOperations.
func (f *regularFile) Release(vfs.Context) { f.ino.release() }

// MappablePages implements vfs.Mappable: the file's pages are its data.
func (f *regularFile) MappablePages() vfs.Pages { return f.ino.pages }

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

// ReadVec implements vfs.VectorReader.
func (f *regularFile) ReadVec(_ vfs.Context, _ *vfs.File, dst [][]byte, off int64) (int, error) {
	f.ino.mu.RLock()
	defer f.ino.mu.RUnlock()
	return f.ino.readvLocked(dst, off), nil
}

// WriteVec implements vfs.VectorWriter: a write crossing the caller's
// file size limit (RLIMIT_FSIZE) is cut short there, and one starting at
// or past it fails with EFBIG and SIGXFSZ, as Write's caller applies it.
// The limit is checked under the inode's lock, at the offset an
// appending write really starts at.
func (f *regularFile) WriteVec(ctx vfs.Context, file *vfs.File, src [][]byte, off int64, appending bool) (int, int64, error) {
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	if appending {
		off = f.ino.size
	}
	length := int64(0)
	for _, b := range src {
		length += int64(len(b))
	}
	lim, err := vfs.LimitWrite(ctx, file, off, length)
	if err != nil {
		return 0, off, err
	}
	if lim < length {
		var trim viewTrim
		src, trim = trimViews(src, lim)
		defer trim.undo()
		length = lim
	}
	n, err := f.ino.writevLocked(ctx, src, length, off)
	return n, off + int64(n), err
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
// following the pages with data: those written or faulted in, not the
// ones fallocate gave memory that nothing has used (mm.SharedMemory's
// SeekPage), as Linux's shmem.
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
		last := uint64((i.size + pageSize - 1) / pageSize)
		if p := i.pages.SeekPage(uint64(off/pageSize), last, wantData); p < last {
			return max(off, int64(p)*pageSize), nil
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
		if mode == 0 && end > i.size {
			if err := i.checkWriteSealsLocked(end); err != nil {
				return err
			}
		}
		i.chargeLocked()
		missing := int64(i.pages.MissingPages(uint64(off), uint64(length)))
		if err := i.fs.allocPages(missing); err != nil {
			return err
		}
		i.charged += missing
		if err := i.pages.Allocate(uint64(off), uint64(length)); err != nil {
			i.chargeLocked()
			return err
		}
		if mode == 0 && end > i.size {
			i.pages.SetSize(uint64(end))
			i.size = end
		}
		i.chargeLocked()
	case fallocPunchHole | fallocKeepSize:
		if i.seals&(unix.F_SEAL_WRITE|unix.F_SEAL_FUTURE_WRITE) != 0 {
			return unix.EPERM
		}
		if end > i.size {
			end = i.size
		}
		if off < end {
			i.pages.Punch(uint64(off), uint64(end-off))
		}
		i.chargeLocked()
	case fallocPunchHole:
		return unix.EOPNOTSUPP
	default:
		return unix.EOPNOTSUPP
	}
	now := i.fs.v.NowTimespec()
	i.mtime, i.ctime = now, now
	return nil
}

// Seals implements vfs.Sealable.
func (f *regularFile) Seals() uint32 {
	f.ino.mu.RLock()
	defer f.ino.mu.RUnlock()
	return f.ino.seals
}

// allSeals are the seals memfd files take.
const allSeals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_FUTURE_WRITE | unix.F_SEAL_EXEC

// AddSeals implements vfs.Sealable.
func (f *regularFile) AddSeals(seals uint32) error {
	i := f.ino
	i.mu.Lock()
	defer i.mu.Unlock()
	if seals&^allSeals != 0 {
		return unix.EINVAL
	}
	if i.seals&unix.F_SEAL_SEAL != 0 {
		return unix.EPERM
	}
	if seals&unix.F_SEAL_WRITE != 0 && i.seals&unix.F_SEAL_WRITE == 0 && i.pages.WritableMappings() > 0 {
		return unix.EBUSY
	}
	i.seals |= seals
	return nil
}

// InitSeals implements vfs.Sealable.
func (f *regularFile) InitSeals(seals uint32) {
	f.ino.mu.Lock()
	defer f.ino.mu.Unlock()
	f.ino.seals = seals
}
