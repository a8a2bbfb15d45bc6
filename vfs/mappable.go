package vfs

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Pages is the data of one file kept in pages of memory: the file's page
// cache, which serves read, write and every mapping of the file. For
// tmpfs and memfd files the pages are the storage itself. The memory
// manager implements it over its memory file (mm.SharedMemory), so that
// mapping the file maps the same pages read and write use, in every
// process.
//
// Offsets and sizes are bytes; the object's size is kept in whole pages
// (the file system keeps the exact size). Pages past the size do not
// exist: a mapping touching them gets SIGBUS.
type Pages interface {
	// ReadAt copies the data at off into p, up to the object's size,
	// holes reading as zeros, and returns how much it copied.
	ReadAt(p []byte, off uint64) int
	// WriteAt copies p into the object at off, growing it to cover the
	// data; it returns less than len(p) only with an error (ENOMEM).
	WriteAt(p []byte, off uint64) (int, error)
	// SetSize sets the size (truncate): the tail of the last page is
	// zeroed, pages past it are removed from the object and from every
	// mapping.
	SetSize(size uint64)
	// Punch removes the pages inside [off, off+length) (zeroing partial
	// pages), from every mapping too.
	Punch(off, length uint64)
	// Allocate gives memory to every page of [off, off+length) that has
	// none (fallocate) without changing the size.
	Allocate(off, length uint64) error
	// MissingPages counts the pages of [off, off+length) without memory.
	MissingPages(off, length uint64) uint64
	// ResidentPages counts the pages with memory.
	ResidentPages() uint64
	// CacheStat counts the pages in [first, last) (page indexes) that
	// have memory, and of those the ones that may differ from the
	// backing file (written by a shared mapping since the last
	// Writeback; none without a backing): cachestat's nr_cache and
	// nr_dirty.
	CacheStat(first, last uint64) (cached, dirty uint64)
	// HasPage reports whether page idx has memory.
	HasPage(idx uint64) bool
	// SeekPage returns the first page in [from, to) that has memory
	// (data) or has none (!data), or to (SEEK_DATA, SEEK_HOLE); its
	// cost follows the pages that have memory, not to-from.
	SeekPage(from, to uint64, data bool) uint64
	// WritableMappings counts the shared mappings that may write the
	// pages (memfd's F_SEAL_WRITE is EBUSY while there are any).
	WritableMappings() int
	// DecRef drops the creator's reference; the last reference (the
	// creator's or a mapping's) frees the memory.
	DecRef()

	// SetBacking makes the pages the cache of a file kept elsewhere:
	// pages a mapping touches are filled with read, and Writeback
	// writes pages shared mappings may have written with write.
	SetBacking(read func(p []byte, off uint64) (int, error), write func(p []byte, off uint64) error)
	// Writeback writes back what shared mappings may have written (no
	// backing: nothing to do).
	Writeback() error
	// UpdateResident copies p into the pages at off that exist (a write
	// through to the backing file), growing the size to cover it.
	UpdateResident(p []byte, off uint64)
}

// PageAllocator makes Pages objects. The kernel gives the VFS one backed
// by its memory file (SetPageAllocator).
type PageAllocator interface {
	NewPages() Pages
}

// Mappable is implemented by FileOperations of files whose data can be
// mapped: MAP_SHARED maps their Pages (coherent with read and write in
// every process), and MAP_PRIVATE shares their clean pages until written.
// MappablePages returns nil if this open file has no pages to map (an
// overlay file whose layer has none).
type Mappable interface {
	MappablePages() Pages
}

// Unmappable is implemented by FileOperations of regular files that
// cannot be mapped at all (generated files such as procfs and sysfs
// attributes, which have no mmap on Linux): mmap is ENODEV. Other regular
// files without Pages are mapped by reading them.
type Unmappable interface {
	Unmappable()
}

// Sealable is implemented by FileOperations of files that take memfd
// seals (F_ADD_SEALS, F_GET_SEALS).
type Sealable interface {
	// AddSeals adds seals (F_SEAL_*): EPERM once F_SEAL_SEAL is set,
	// EBUSY for F_SEAL_WRITE while a shared mapping may write.
	AddSeals(seals uint32) error
	// Seals returns the seals.
	Seals() uint32
	// InitSeals sets the seals of a file memfd_create just made.
	InitSeals(seals uint32)
}

// SetMemfdFilesystem sets the file system memfd_create makes its files in
// (an internal tmpfs, never mounted; its root must be a TmpfileCreator).
func (v *VirtualFilesystem) SetMemfdFilesystem(fs Filesystem) {
	v.regMu.Lock()
	v.memfdFS = fs
	v.regMu.Unlock()
}

// NewMemfd makes a memfd file: a regular file of the memfd file system
// with no name, mode 0777 &^ noExec (not subject to the umask), owned by
// the caller, open for reading and writing with the status flags in
// flags. /proc shows it as "/memfd:NAME (deleted)". ENOSYS if there is no
// memfd file system.
func (v *VirtualFilesystem) NewMemfd(ctx Context, name string, noExec bool, flags int) (*File, error) {
	v.regMu.RLock()
	fs := v.memfdFS
	v.regMu.RUnlock()
	if fs == nil {
		return nil, unix.ENOSYS
	}
	root, err := fs.Root(ctx)
	if err != nil {
		return nil, err
	}
	tc, ok := root.(TmpfileCreator)
	if !ok {
		return nil, unix.ENOSYS
	}
	mode := uint32(0o777)
	if noExec {
		mode = 0o666
	}
	ino, err := tc.CreateTmpfile(ctx, mode)
	if err != nil {
		return nil, err
	}
	flags = flags&^unix.O_ACCMODE | unix.O_RDWR | OLargefile
	ops, err := ino.Open(ctx, flags)
	if err != nil {
		return nil, err
	}
	f, err := v.NewPseudoFile(ctx, fs, "/memfd:"+name+" (deleted)", ino, ops, flags)
	if err != nil {
		ops.Release(ctx)
		return nil, err
	}
	return f, nil
}

// SetPageAllocator sets what NewPages allocates from.
func (v *VirtualFilesystem) SetPageAllocator(a PageAllocator) {
	v.regMu.Lock()
	v.pageAlloc = a
	v.regMu.Unlock()
}

// NewPages returns an empty Pages object with one reference for the
// caller. Without a page allocator (a VFS built without a kernel, as in
// unit tests) the pages live on the Go heap and cannot be mapped.
func (v *VirtualFilesystem) NewPages() Pages {
	v.regMu.RLock()
	a := v.pageAlloc
	v.regMu.RUnlock()
	if a != nil {
		return a.NewPages()
	}
	return &heapPages{pages: make(map[uint64][]byte)}
}

const pageSize = 4096

// heapPages is Pages on the Go heap.
type heapPages struct {
	mu sync.Mutex
	// size is in pages; pages maps a page index to its data. Guarded by
	// mu.
	size  uint64
	pages map[uint64][]byte
}

func (h *heapPages) ReadAt(p []byte, off uint64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	end := h.size * pageSize
	if off >= end {
		return 0
	}
	p = p[:min(uint64(len(p)), end-off)]
	for done := 0; done < len(p); {
		a := off + uint64(done)
		in := int(a % pageSize)
		n := min(pageSize-in, len(p)-done)
		if pg := h.pages[a/pageSize]; pg != nil {
			copy(p[done:done+n], pg[in:])
		} else {
			clear(p[done : done+n])
		}
		done += n
	}
	return len(p)
}

func (h *heapPages) WriteAt(p []byte, off uint64) (int, error) {
	if off+uint64(len(p)) < off {
		return 0, unix.EFBIG
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for done := 0; done < len(p); {
		a := off + uint64(done)
		idx, in := a/pageSize, int(a%pageSize)
		n := min(pageSize-in, len(p)-done)
		pg := h.pages[idx]
		if pg == nil {
			pg = make([]byte, pageSize)
			h.pages[idx] = pg
		}
		copy(pg[in:], p[done:done+n])
		done += n
		h.size = max(h.size, idx+1)
	}
	return len(p), nil
}

func (h *heapPages) SetSize(size uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	pages := (size + pageSize - 1) / pageSize
	if in := size % pageSize; in != 0 {
		if pg := h.pages[size/pageSize]; pg != nil {
			clear(pg[in:])
		}
	}
	for idx := range h.pages {
		if idx >= pages {
			delete(h.pages, idx)
		}
	}
	h.size = pages
}

func (h *heapPages) Punch(off, length uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	end := off + length
	if end < off {
		end = ^uint64(0)
	}
	for a := off; a < end; {
		idx, in := a/pageSize, a%pageSize
		n := min(pageSize-in, end-a)
		if pg := h.pages[idx]; pg != nil {
			if n == pageSize {
				delete(h.pages, idx)
			} else {
				clear(pg[in : in+n])
			}
		}
		if a+n < a {
			break
		}
		a += n
	}
}

func (h *heapPages) Allocate(off, length uint64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for idx := off / pageSize; idx*pageSize < off+length; idx++ {
		if h.pages[idx] == nil {
			h.pages[idx] = make([]byte, pageSize)
		}
	}
	return nil
}

func (h *heapPages) MissingPages(off, length uint64) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var n uint64
	for idx := off / pageSize; idx*pageSize < off+length; idx++ {
		if h.pages[idx] == nil {
			n++
		}
	}
	return n
}

func (h *heapPages) CacheStat(first, last uint64) (cached, dirty uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for idx := range h.pages {
		if idx >= first && idx < last {
			cached++
		}
	}
	return cached, 0
}

func (h *heapPages) ResidentPages() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return uint64(len(h.pages))
}

func (h *heapPages) HasPage(idx uint64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pages[idx] != nil
}

func (h *heapPages) SeekPage(from, to uint64, data bool) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !data {
		for idx := from; idx < to; idx++ {
			if h.pages[idx] == nil {
				return idx
			}
		}
		return to
	}
	best := to
	for idx := range h.pages {
		if idx >= from && idx < best {
			best = idx
		}
	}
	return best
}

func (h *heapPages) WritableMappings() int { return 0 }

func (h *heapPages) SetBacking(func([]byte, uint64) (int, error), func([]byte, uint64) error) {}

func (h *heapPages) Writeback() error { return nil }

func (h *heapPages) UpdateResident(p []byte, off uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for done := 0; done < len(p); {
		a := off + uint64(done)
		in := int(a % pageSize)
		n := min(pageSize-in, len(p)-done)
		if pg := h.pages[a/pageSize]; pg != nil {
			copy(pg[in:], p[done:done+n])
		}
		done += n
	}
	h.size = max(h.size, (off+uint64(len(p))+pageSize-1)/pageSize)
}

func (h *heapPages) DecRef() {
	h.mu.Lock()
	h.pages = nil
	h.mu.Unlock()
}
