package vfs

import (
	"sync"

	"golang.org/x/sys/unix"
)

// This file is the page cache of files whose file system keeps their data
// elsewhere (ext4 and FAT images, host files, overlay files on such
// layers). tmpfs files need none: their Pages are the storage.
//
// A file gets a cache when it is first mapped MAP_SHARED: the cache's
// Pages (an mm.SharedMemory in the memory file) are what every shared
// mapping of the inode maps. While the cache exists, read and write of
// the inode go through it: reads take pages the cache holds (a mapping
// may have written them) and read the rest from the file system; writes
// go to the file system and into the pages the cache holds. Pages are
// filled from the file system when a mapping first touches them (mm
// calls the fill outside its locks), and written back by msync, fsync,
// fdatasync, sync_file_range, sync, syncfs, and when the last open file
// attached to the cache is released. The cache lives as long as an open
// file attached to it (every mapping keeps its file open).

// fileCache is the page cache of one inode.
type fileCache struct {
	v     *VirtualFilesystem
	inode Inode
	pages Pages

	// mu serializes I/O through the cache with truncation and
	// writeback, and guards size, the file's size in bytes.
	mu   sync.Mutex
	size int64

	// filesMu guards files: the open files attached to the cache (those
	// that mapped the inode); fills and writebacks go through their
	// operations. Fills take only filesMu: a fill runs under the
	// pages' own fill lock, which writes through the cache take after
	// mu.
	filesMu sync.Mutex
	files   []*File
}

// MappablePages returns the pages a shared mapping of f maps: the file's
// own (tmpfs, memfd) or its inode's page cache, made now if needed. nil
// if f cannot be mapped that way.
func (f *File) MappablePages(ctx Context) Pages {
	if f.ops == nil || f.stream || f.path.Dentry.typ != unix.S_IFREG {
		return nil
	}
	if m, ok := f.ops.(Mappable); ok {
		if p := m.MappablePages(); p != nil {
			return p
		}
	}
	if _, ok := f.ops.(Unmappable); ok {
		return nil
	}
	c, err := f.vfs.attachCache(ctx, f)
	if err != nil {
		return nil
	}
	return c.pages
}

// CachedPages returns the pages that hold f's data in memory without
// making a page cache: a tmpfs or memfd file's own pages, or its inode's
// page cache if a mapping made one; nil if there are none.
func (f *File) CachedPages() Pages {
	if f.ops == nil || f.path.Dentry.typ != unix.S_IFREG {
		return nil
	}
	if m, ok := f.ops.(Mappable); ok {
		if p := m.MappablePages(); p != nil {
			return p
		}
	}
	f.vfs.cacheMu.Lock()
	defer f.vfs.cacheMu.Unlock()
	if c := f.vfs.caches[f.path.Dentry.inode]; c != nil {
		return c.pages
	}
	return nil
}

// attachCache returns the page cache of f's inode, making it if needed,
// with f attached.
func (v *VirtualFilesystem) attachCache(ctx Context, f *File) (*fileCache, error) {
	ino := f.path.Dentry.inode
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	if f.cache != nil {
		return f.cache, nil
	}
	c := v.caches[ino]
	if c == nil {
		st, err := ino.Stat(ctx)
		if err != nil {
			return nil, err
		}
		c = &fileCache{v: v, inode: ino, pages: v.NewPages(), size: st.Size}
		c.pages.SetSize(uint64(st.Size))
		c.pages.SetBacking(c.fill, c.writeback)
		if bs, ok := c.pages.(backingSyncer); ok {
			bs.SetBackingSync(c.sync)
		}
		c.refuseMappedWrites(f)
		if v.caches == nil {
			v.caches = make(map[Inode]*fileCache)
		}
		v.caches[ino] = c
		v.nCaches.Add(1)
	}
	c.filesMu.Lock()
	c.files = append(c.files, f)
	c.filesMu.Unlock()
	f.cache = c
	return c, nil
}

// detachCache is called when f, attached to a cache, is released: the
// pages are written back, and the last file to go drops the cache.
func (f *File) detachCache() {
	c := f.cache
	c.pages.Writeback()
	v := c.v
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	c.filesMu.Lock()
	for i, g := range c.files {
		if g == f {
			c.files = append(c.files[:i], c.files[i+1:]...)
			break
		}
	}
	last := len(c.files) == 0
	c.filesMu.Unlock()
	f.cache = nil
	if last {
		delete(v.caches, c.inode)
		v.nCaches.Add(-1)
		c.pages.DecRef()
	}
}

// cacheOf returns the page cache of f's inode, or nil.
func (f *File) cacheOf() *fileCache {
	if f.vfs.nCaches.Load() == 0 || f.stream || f.ops == nil {
		return nil
	}
	f.vfs.cacheMu.Lock()
	defer f.vfs.cacheMu.Unlock()
	return f.vfs.caches[f.path.Dentry.inode]
}

// cacheOfInode returns ino's page cache, or nil.
func (v *VirtualFilesystem) cacheOfInode(ino Inode) *fileCache {
	if v.nCaches.Load() == 0 {
		return nil
	}
	v.cacheMu.Lock()
	defer v.cacheMu.Unlock()
	return v.caches[ino]
}

// truncated tells ino's page cache, if any, that the file's size is now
// size: pages past it leave every mapping.
func (v *VirtualFilesystem) truncated(ino Inode, size int64) {
	c := v.cacheOfInode(ino)
	if c == nil {
		return
	}
	c.mu.Lock()
	c.size = size
	c.mu.Unlock()
	// Without c.mu: removing the pages from the mappings takes address
	// spaces' locks, under which munmap may be writing the cache back
	// (which takes c.mu).
	c.pages.SetSize(uint64(size))
}

// readOps reads through f's operations, or through the page cache when
// the inode has one.
func (f *File) readOps(ctx Context, dst []byte, off int64) (int, error) {
	c := f.cacheOf()
	if c == nil {
		return f.ops.Read(ctx, f, dst, off)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages.ResidentPages() == 0 {
		return f.ops.Read(ctx, f, dst, off)
	}
	if off >= c.size {
		return 0, nil
	}
	dst = dst[:min(int64(len(dst)), c.size-off)]
	n := 0
	for n < len(dst) {
		pos := off + int64(n)
		idx := uint64(pos) / pageSize
		end := min(len(dst), n+pageSize-int(pos%pageSize))
		if c.pages.HasPage(idx) {
			c.pages.ReadAt(dst[n:end], uint64(pos))
			n = end
			continue
		}
		// A run of pages the cache lacks comes from the file system.
		for end < len(dst) && !c.pages.HasPage(uint64(off+int64(end))/pageSize) {
			end = min(len(dst), end+pageSize)
		}
		m, err := f.ops.Read(ctx, f, dst[n:end], pos)
		n += m
		if err != nil || m < end-(n-m) {
			return n, err
		}
	}
	return n, nil
}

// writeOps writes through f's operations at off (or appends, if app is
// set) and keeps the page cache, if any, current.
func (f *File) writeOps(ctx Context, src []byte, off int64, app Appender) (n int, end int64, err error) {
	c := f.cacheOf()
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
	}
	if src, err = f.limitWriteOf(ctx, src, off, app); err != nil {
		return 0, off, err
	}
	if app != nil {
		n, end, err = app.Append(ctx, f, src)
		off = end - int64(n)
	} else {
		n, err = f.ops.Write(ctx, f, src, off)
		end = off + int64(n)
	}
	if c != nil && n > 0 {
		c.pages.UpdateResident(src[:n], uint64(off))
		c.size = max(c.size, end)
	}
	return n, end, err
}

// fill reads file data for the cache's pages (mm calls it, outside its
// locks, when a mapping touches a page the cache lacks).
func (c *fileCache) fill(p []byte, off uint64) (int, error) {
	// filesMu is held while reading, so that the file is not released
	// meanwhile (release detaches it first).
	c.filesMu.Lock()
	defer c.filesMu.Unlock()
	if len(c.files) == 0 {
		return 0, unix.EIO
	}
	f := c.files[0]
	total := 0
	for total < len(p) {
		n, err := f.ops.Read(KernelContext{}, f, p[total:], int64(off)+int64(total))
		total += n
		if err != nil {
			return total, err
		}
		if n == 0 {
			break // past the end: the rest stays zero
		}
	}
	return total, nil
}

// backingSyncer is implemented by Pages whose msync(MS_SYNC) can make
// the written-back pages durable (mm.SharedMemory).
type backingSyncer interface {
	SetBackingSync(sync func() error)
}

// writeRefusable is implemented by Pages whose shared mappings can be
// kept from writing (mm.SharedMemory): a page cache's mappings of a file
// whose file system refuses writes to it (an immutable ext4 file, whose
// page_mkwrite is SIGBUS on Linux) fail to write.
type writeRefusable interface {
	SetWritesRefused(refused bool)
}

// refuseMappedWrites makes the shared mappings of c's pages fail to
// write while f's file system refuses programs' writes to the file
// (WriteRefuser).
func (c *fileCache) refuseMappedWrites(f *File) {
	wr, ok := c.pages.(writeRefusable)
	if !ok {
		return
	}
	r, ok := f.ops.(WriteRefuser)
	wr.SetWritesRefused(ok && r.RefuseWrite() != nil)
}

// refuseMappedWrites updates the page cache of f's inode, if it has one,
// after f's attribute flags changed.
func (f *File) refuseMappedWrites() {
	f.vfs.cacheMu.Lock()
	c := f.vfs.caches[f.path.Dentry.inode]
	f.vfs.cacheMu.Unlock()
	if c != nil {
		c.refuseMappedWrites(f)
	}
}

// sync makes what writeback wrote durable, as fdatasync(2) of the file
// does (msync with MS_SYNC).
func (c *fileCache) sync() error {
	var w *File
	c.filesMu.Lock()
	for _, f := range c.files {
		if f.Writable() {
			w = f
			break
		}
	}
	c.filesMu.Unlock()
	if w == nil {
		return nil
	}
	return w.ops.Sync(KernelContext{}, w, true)
}

// writeback writes cached pages at off back to the file system, not past
// the file's end.
func (c *fileCache) writeback(p []byte, off uint64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if int64(off) >= c.size {
		return nil
	}
	p = p[:min(int64(len(p)), c.size-int64(off))]
	var w *File
	c.filesMu.Lock()
	for _, f := range c.files {
		if f.Writable() {
			w = f
			break
		}
	}
	c.filesMu.Unlock()
	if w == nil {
		return unix.EBADF
	}
	for done := 0; done < len(p); {
		n, err := w.ops.Write(KernelContext{}, w, p[done:], int64(off)+int64(done))
		done += n
		if err != nil {
			return err
		}
		if n == 0 {
			return unix.EIO
		}
	}
	return nil
}

// WritebackAll writes back the page caches of fs's files (every file
// system's if fs is nil), then has the file systems that implement
// FilesystemSyncer make their changes durable: sync(2), syncfs(2).
func (v *VirtualFilesystem) WritebackAll(fs Filesystem) error {
	v.cacheMu.Lock()
	var cs []*fileCache
	for _, c := range v.caches {
		cs = append(cs, c)
	}
	v.cacheMu.Unlock()
	var firstErr error
	for _, c := range cs {
		c.filesMu.Lock()
		match := fs == nil || (len(c.files) > 0 && c.files[0].path.Dentry.fs.fs == fs)
		c.filesMu.Unlock()
		if !match {
			continue
		}
		if err := c.pages.Writeback(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	v.mountMu.Lock()
	var syncers []FilesystemSyncer
	for f := range v.fss {
		if s, ok := f.(FilesystemSyncer); ok && (fs == nil || f == fs) {
			syncers = append(syncers, s)
		}
	}
	v.mountMu.Unlock()
	for _, s := range syncers {
		if err := s.SyncFS(); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// WritebackCache writes back the page cache of f's inode, if it has one
// (sync_file_range).
func (f *File) WritebackCache() error {
	if c := f.cacheOf(); c != nil {
		if err := c.pages.Writeback(); err != nil {
			return unix.EIO
		}
	}
	return nil
}
