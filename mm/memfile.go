package mm

import (
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// This file is the only part of mm that makes host system calls. The memory
// file's kernel mapping is an ordinary []byte, so the rest of the package
// reaches application memory with bounds-checked slice operations.

// DefaultMemoryFileSize is the size of the sparse memory file that
// NewMemoryFile creates: the most application memory one kite instance can
// hold. Untouched parts cost nothing.
const DefaultMemoryFileSize = 256 << 30

// MemoryFile holds all application memory: a memfd that kite maps into its
// own address space (MAP_SHARED) and that platforms map into application
// address spaces. It allocates page frames, counts references to each, and
// gives the memory of freed frames back to the host.
//
// A frame is identified by its byte offset in the file.
type MemoryFile struct {
	fd    int
	data  []byte // kernel mapping of the whole file
	pages uint64 // size of the file in pages
	// heuristicBase, if not 0, is the memory overcommit's heuristic
	// measures one mapping against instead of the file's size (see
	// SetHeuristicBase).
	heuristicBase uint64

	mu sync.Mutex

	// free is a bitmap over [0, high): bit set = frame free. Frames at and
	// above high have never been allocated and are free too. Guarded by mu.
	free []uint64

	// high is the number of frames ever handed out (high-water mark).
	// Guarded by mu.
	high uint64

	// hint is a frame index below which no frame is free. Guarded by mu.
	hint uint64

	// cursor is where the last multi-frame run ended: the next-fit
	// search for runs starts there. Guarded by mu.
	cursor uint64

	// refs counts references to each frame below high. Guarded by mu.
	refs []int32

	// inUse counts frames with a non-zero reference count. Guarded by mu.
	inUse uint64

	// dirty is a bitmap over [0, high): bit set = the frame is free but
	// its old contents are still in the file (not yet punched out).
	// nDirty counts those frames. Guarded by mu. See freeRuns.
	dirty  []uint64
	nDirty uint64

	// warm is a bitmap over every frame of the file, sized at creation:
	// bit set = kite has touched the frame through its own mapping since
	// the frame's memory last came from the host (the allocator zeroed
	// it there as a dirty frame), so copying through the mapping costs
	// no first touch (see readAt). A punch clears it. Bits change with
	// mu held, and only for frames nobody holds (being allocated or
	// punched), so readers that hold references to their frames read
	// the words without the lock (isWarm).
	warm []atomic.Uint64

	// shmemPages counts the frames of shared memory objects that are
	// their own storage (tmpfs and memfd files, System V shm, shared
	// anonymous memory: Linux's Shmem); cachePages those of page caches
	// of files kept elsewhere (SetBacking). Updated by the objects'
	// frame tables.
	shmemPages, cachePages atomic.Int64

	// committed is the bytes of accounted mappings in every address space
	// (Committed_AS), kept by the VMA sets. overcommitMode and
	// overcommitRatio are vm.overcommit_memory and vm.overcommit_ratio.
	committed                       atomic.Int64
	overcommitMode, overcommitRatio atomic.Int32
}

// Overcommit policies (vm.overcommit_memory).
const (
	OvercommitGuess  = 0 // refuse only a mapping larger than all memory
	OvercommitAlways = 1 // never refuse
	OvercommitNever  = 2 // refuse beyond the commit limit
)

// SetOvercommit sets vm.overcommit_memory and vm.overcommit_ratio (a
// negative value leaves one unchanged).
func (f *MemoryFile) SetOvercommit(mode, ratio int) error {
	if mode > OvercommitNever || ratio > 1<<30 {
		return unix.EINVAL
	}
	if mode >= 0 {
		f.overcommitMode.Store(int32(mode))
	}
	if ratio >= 0 {
		f.overcommitRatio.Store(int32(ratio) - 50) // stored relative to the default
	}
	return nil
}

// Overcommit returns vm.overcommit_memory and vm.overcommit_ratio.
func (f *MemoryFile) Overcommit() (mode, ratio int) {
	return int(f.overcommitMode.Load()), int(f.overcommitRatio.Load()) + 50
}

// CommitLimit is the most memory that may be committed in strict mode:
// overcommit_ratio percent of the memory (kite has no swap), as Linux's
// vm_commit_limit. Committed is the memory committed now.
func (f *MemoryFile) CommitLimit() uint64 {
	_, ratio := f.Overcommit()
	return f.pages * uint64(ratio) / 100 * pageSize
}

// Committed returns the bytes of private writable and shared anonymous
// mappings in every address space (Linux's Committed_AS).
func (f *MemoryFile) Committed() uint64 {
	return uint64(max(f.committed.Load(), 0))
}

// mayCommit reports whether n more bytes may be committed: in strict mode
// only within the commit limit.
func (f *MemoryFile) mayCommit(n uint64) bool {
	mode, _ := f.Overcommit()
	return mode != OvercommitNever || f.Committed()+n <= f.CommitLimit()
}

// PageCacheUsage returns the bytes of file pages in memory as
// /proc/meminfo counts them: cached is every file page (page caches and
// shared memory), shmem the shared memory among them.
func (f *MemoryFile) PageCacheUsage() (cached, shmem uint64) {
	s, c := max(f.shmemPages.Load(), 0), max(f.cachePages.Load(), 0)
	return uint64(s+c) * pageSize, uint64(s) * pageSize
}

// maxDirtyPages is how many freed frames may keep their memory before
// freeRuns punches them out of the file (16 MiB).
const maxDirtyPages = 4096

// NewMemoryFile creates a memory file of DefaultMemoryFileSize bytes.
func NewMemoryFile() (*MemoryFile, error) {
	return NewMemoryFileSize(DefaultMemoryFileSize)
}

// NewMemoryFileSize creates a memory file that can hold size bytes (rounded
// down to pages). Tests use small sizes to exercise memory exhaustion.
func NewMemoryFileSize(size uint64) (*MemoryFile, error) {
	size &^= pageSize - 1
	if size == 0 {
		return nil, unix.EINVAL
	}
	fd, err := unix.MemfdCreate("kite-memory", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("ftruncate memory file: %w", err)
	}
	data, err := unix.Mmap(fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("mmap memory file: %w", err)
	}
	pages := size / pageSize
	return &MemoryFile{fd: fd, data: data, pages: pages, warm: make([]atomic.Uint64, (pages+63)/64)}, nil
}

// FD returns the memory file's descriptor, which platforms map from.
func (f *MemoryFile) FD() int { return f.fd }

// Size returns the size of the memory file in bytes.
func (f *MemoryFile) Size() uint64 { return f.pages * pageSize }

// SetHeuristicBase makes the overcommit heuristic refuse only private
// mappings larger than n bytes rather than larger than the file. A
// container's memory limit is a cgroup's on Linux: a mapping beyond the
// limit but within the machine's memory succeeds there, and touching it
// is what runs the OOM killer. Call it before the file is used.
func (f *MemoryFile) SetHeuristicBase(n uint64) { f.heuristicBase = n }

// HeuristicBase is the size the overcommit heuristic measures one
// private writable mapping against.
func (f *MemoryFile) HeuristicBase() uint64 {
	if f.heuristicBase != 0 {
		return f.heuristicBase
	}
	return f.Size()
}

// Release unmaps and closes the memory file. Nothing may use it after.
func (f *MemoryFile) Release() {
	if f.data != nil {
		unix.Munmap(f.data)
		f.data = nil
	}
	if f.fd >= 0 {
		unix.Close(f.fd)
		f.fd = -1
	}
}

// FramesInUse returns the number of frames with a non-zero reference count
// (tests use it to find leaks).
func (f *MemoryFile) FramesInUse() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inUse
}

// full reports whether fewer than a fault-around window of frames are
// free: allocations are failing for want of memory.
func (f *MemoryFile) full() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pages-f.inUse < faultAroundPages
}

// Usage returns the bytes of the memory file in use and its size.
func (f *MemoryFile) Usage() (used, size uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inUse * pageSize, f.pages * pageSize
}

// bytes returns the kernel's view of n bytes of the file at off.
func (f *MemoryFile) bytes(off uint64, n uint64) []byte {
	return f.data[off : off+n : off+n]
}

// frame returns the kernel's view of the frame at off.
func (f *MemoryFile) frame(off uint64) []byte {
	return f.bytes(off, pageSize)
}

// allocRun allocates a run of between 1 and n contiguous frames, each with
// one reference and zero-filled. Contiguous frames let a whole fault-around
// window be mapped with one platform call, so it looks for a free run of n
// frames first; failing that it takes never-used frames above the
// high-water mark (the file is sparse: they cost nothing until touched) as
// long as the holes below it stay moderate; and only then a shorter run.
func (f *MemoryFile) allocRun(n uint64) (off uint64, got uint64, err error) {
	if n == 0 {
		return 0, 0, unix.EINVAL
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	start, avail := f.findRunLocked(n)
	if avail < n {
		holes := f.high - f.inUse
		switch {
		case f.pages-f.high >= n && (avail == 0 || holes <= max(f.inUse, maxHolePages)):
			start, avail = f.high, n
		case avail == 0 && f.high < f.pages:
			start, avail = f.high, f.pages-f.high
		case avail == 0:
			return 0, 0, unix.ENOMEM
		}
	}
	got = min(n, avail)
	if end := start + got; end > f.high {
		f.growLocked(end)
	}
	f.takeLocked(start, got)
	if start == f.hint {
		f.hint = start + got
	}
	if n > 1 {
		f.cursor = start + got
	}
	return start * pageSize, got, nil
}

// takeLocked marks the n free frames from frame index start on as in use
// with one reference each, zeroing the dirty ones: a fresh frame must read
// as zeros.
//
// Preconditions: f.mu is held; the frames are free and below high.
func (f *MemoryFile) takeLocked(start, n uint64) {
	for i := start; i < start+n; i++ {
		f.free[i/64] &^= 1 << (i % 64)
		f.refs[i] = 1
		if f.dirty[i/64]&(1<<(i%64)) != 0 {
			f.dirty[i/64] &^= 1 << (i % 64)
			f.nDirty--
			clear(f.frame(i * pageSize))
			f.warm[i/64].Or(1 << (i % 64))
		}
	}
	f.inUse += n
}

// allocAt allocates the n frames from off on, each with one reference and
// zero-filled, if they are all free (and taking them leaves no gap above
// the high-water mark); it reports whether it did. Callers use it to give
// neighbouring pages neighbouring frames, so that the platform can map
// them (and keep them mapped) as one range.
func (f *MemoryFile) allocAt(off, n uint64) bool {
	if off%pageSize != 0 || n == 0 {
		return false
	}
	start := off / pageSize
	f.mu.Lock()
	defer f.mu.Unlock()
	if start > f.high || start+n > f.pages || start+n < start {
		return false
	}
	for i := start; i < min(start+n, f.high); i++ {
		if f.free[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	if end := start + n; end > f.high {
		f.growLocked(end)
	}
	f.takeLocked(start, n)
	if start == f.hint {
		f.hint = start + n
	}
	return true
}

// maxHolePages is how many free frames below the high-water mark allocRun
// tolerates (beyond the number in use) before it reuses short runs rather
// than fresh frames (256 MiB).
const maxHolePages = 1 << 16

// maxRunScan bounds how many free runs findRunLocked looks at.
const maxRunScan = 64

// findRunLocked looks for a free run of at least n frames. Single frames
// come from the lowest free frame, filling holes; longer runs are searched
// next-fit from where the last one ended (then from the lowest free
// frame), a bounded number of runs each time. It returns the first run
// long enough, or the longest it saw (length 0 if none). Runs reaching the
// high-water mark extend over the never-used frames above it.
//
// Preconditions: f.mu is held.
func (f *MemoryFile) findRunLocked(n uint64) (start, length uint64) {
	if n > 1 && f.cursor > f.hint && f.cursor < f.high {
		start, length = f.scanLocked(f.cursor, n)
		if length >= n {
			return start, length
		}
	}
	s, l := f.scanLocked(f.hint, n)
	if l > length {
		start, length = s, l
	}
	return start, length
}

// scanLocked looks at up to maxRunScan free runs from frame i on.
//
// Preconditions: f.mu is held.
func (f *MemoryFile) scanLocked(i, n uint64) (start, length uint64) {
	fromHint := i == f.hint
	for scanned := 0; i < f.high && scanned < maxRunScan; scanned++ {
		s, ok := f.nextLocked(i, true)
		if !ok {
			// Nothing is free from i to high: the hint moves up
			// there, or every later scan walks that stretch again
			// (a page-by-page fallocate of 4 GiB took 20-30 s).
			i = f.high
			break
		}
		if fromHint && scanned == 0 {
			f.hint = s // nothing below s is free
		}
		e, _ := f.nextLocked(s, false)
		l := e - s
		if e == f.high {
			l = f.pages - s
		}
		if l >= n {
			return s, l
		}
		if l > length {
			start, length = s, l
		}
		i = e
	}
	if fromHint && i >= f.high && length == 0 {
		f.hint = f.high
	}
	return start, length
}

// nextLocked returns the first frame at or after i (below high) that is
// free (or, if !free, in use); high and false if there is none.
//
// Preconditions: f.mu is held.
func (f *MemoryFile) nextLocked(i uint64, free bool) (uint64, bool) {
	for w := i / 64; w*64 < f.high; w++ {
		word := f.free[w]
		if !free {
			word = ^word
		}
		if w == i/64 {
			word &^= (1 << (i % 64)) - 1
		}
		if word == 0 {
			continue
		}
		j := w*64 + uint64(bits.TrailingZeros64(word))
		if j >= f.high {
			break
		}
		return j, true
	}
	return f.high, false
}

// growLocked raises high to h (all new frames marked in use by the caller).
//
// Preconditions: f.mu is held.
func (f *MemoryFile) growLocked(h uint64) {
	for uint64(len(f.free))*64 < h {
		f.free = append(f.free, 0)
	}
	for uint64(len(f.refs)) < h {
		f.refs = append(f.refs, 0)
	}
	for len(f.dirty) < len(f.free) {
		f.dirty = append(f.dirty, 0)
	}
	f.high = h
}

// incRef adds a reference to each of the n frames starting at off.
func (f *MemoryFile) incRef(off uint64, n uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := off / pageSize; i < off/pageSize+n; i++ {
		if f.refs[i] <= 0 {
			panic(fmt.Sprintf("mm: incRef of free frame %#x", i*pageSize))
		}
		f.refs[i]++
	}
}

// refCount returns the number of references to the frame at off.
func (f *MemoryFile) refCount(off uint64) int32 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refs[off/pageSize]
}

// decRef drops a reference to each of the n frames starting at off; frames
// left without references are freed and their memory returned to the host.
func (f *MemoryFile) decRef(off uint64, n uint64) {
	var runs []frameRun
	f.mu.Lock()
	for i := off / pageSize; i < off/pageSize+n; i++ {
		if f.refs[i] <= 0 {
			f.mu.Unlock()
			panic(fmt.Sprintf("mm: decRef of free frame %#x", i*pageSize))
		}
		f.refs[i]--
		if f.refs[i] != 0 {
			continue
		}
		if k := len(runs); k > 0 && runs[k-1].off+runs[k-1].n*pageSize == i*pageSize {
			runs[k-1].n++
		} else {
			runs = append(runs, frameRun{off: i * pageSize, n: 1})
		}
	}
	f.mu.Unlock()
	if len(runs) > 0 {
		f.freeRuns(runs)
	}
}

// decRefList drops one reference on each frame of frames, in any order,
// freeing the unreferenced ones in contiguous runs (one hole punched per
// run, not per frame).
func (f *MemoryFile) decRefList(frames []uint64) {
	if len(frames) == 0 {
		return
	}
	slices.Sort(frames)
	for i := 0; i < len(frames); {
		j := i + 1
		for j < len(frames) && frames[j] == frames[j-1]+pageSize {
			j++
		}
		f.decRef(frames[i], uint64(j-i))
		i = j
	}
}

// writeAt copies p into the file at off. Frames kite has touched
// through its own mapping (warm) are copied into directly; the others
// with pwrite(2), so that the host copies through its own (direct)
// mapping of the pages rather than kite's mapping of the file. On the
// paravirtualized machines kite runs on, the first touch of a page in
// kite's mapping costs a trip through the hypervisor's shadow page tables
// even when the page was populated: a first copy into fresh frames
// through the mapping ran at 128 MiB/s where pwrite of the same frames
// ran at 800-1,300 MiB/s (host frames are allocated by the write itself,
// so no MADV_POPULATE_WRITE either), while a copy through the mapping of
// warm frames costs no host call and beats the host's own copy (bench
// CopyPaths: memcpy-warm against kite-pread). If the host refuses (ENOMEM,
// EFBIG), it copies through the mapping.
func (f *MemoryFile) writeAt(p []byte, off uint64) {
	if f.isWarm(off, uint64(len(p))) {
		copy(f.bytes(off, uint64(len(p))), p)
		return
	}
	for len(p) > 0 {
		n, err := unix.Pwrite(f.fd, p, int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			copy(f.bytes(off, uint64(len(p))), p)
			return
		}
		p, off = p[n:], off+uint64(n)
	}
}

// writeAtv is writeAt of the buffers of src one after another, with one
// host call (pwritev) for all of them; a single buffer goes to writeAt
// (pwrite, which needs no iovec array).
func (f *MemoryFile) writeAtv(src [][]byte, off uint64) {
	if len(src) == 1 {
		f.writeAt(src[0], off)
		return
	}
	if f.isWarm(off, viewsLen(src)) {
		for _, p := range src {
			copy(f.bytes(off, uint64(len(p))), p)
			off += uint64(len(p))
		}
		return
	}
	for len(src) > 0 {
		n, err := unix.Pwritev(f.fd, src[:min(len(src), maxIOV)], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			for _, p := range src {
				copy(f.bytes(off, uint64(len(p))), p)
				off += uint64(len(p))
			}
			return
		}
		src, off = skipViews(src, n), off+uint64(n)
	}
}

// readAt copies the file's bytes at off into p: through kite's mapping
// if the frames are warm there, with pread(2) if not, for the reason
// writeAt gives (frames written with pwrite were never touched in kite's
// mapping, and reading them through it would pay the first touch).
func (f *MemoryFile) readAt(p []byte, off uint64) {
	if f.isWarm(off, uint64(len(p))) {
		copy(p, f.bytes(off, uint64(len(p))))
		return
	}
	for len(p) > 0 {
		n, err := unix.Pread(f.fd, p, int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			copy(p, f.bytes(off, uint64(len(p))))
			return
		}
		p, off = p[n:], off+uint64(n)
	}
}

// readAtv is readAt into the buffers of dst one after another, with one
// host call (preadv) for all of them; a single buffer goes to readAt
// (pread, which needs no iovec array).
func (f *MemoryFile) readAtv(dst [][]byte, off uint64) {
	if len(dst) == 1 {
		f.readAt(dst[0], off)
		return
	}
	if f.isWarm(off, viewsLen(dst)) {
		for _, p := range dst {
			copy(p, f.bytes(off, uint64(len(p))))
			off += uint64(len(p))
		}
		return
	}
	for len(dst) > 0 {
		n, err := unix.Preadv(f.fd, dst[:min(len(dst), maxIOV)], int64(off))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			for _, p := range dst {
				copy(p, f.bytes(off, uint64(len(p))))
				off += uint64(len(p))
			}
			return
		}
		dst, off = skipViews(dst, n), off+uint64(n)
	}
}

// maxIOV is the most buffers one preadv or pwritev takes (IOV_MAX).
const maxIOV = 1024

// viewsLen returns the total length of bufs.
func viewsLen(bufs [][]byte) uint64 {
	var n uint64
	for _, b := range bufs {
		n += uint64(len(b))
	}
	return n
}

// skipViews drops the first n bytes of bufs (shortening its first
// remaining buffer in place) and returns what is left.
func skipViews(bufs [][]byte, n int) [][]byte {
	for len(bufs) > 0 && n >= len(bufs[0]) {
		n -= len(bufs[0])
		bufs = bufs[1:]
	}
	if len(bufs) > 0 {
		bufs[0] = bufs[0][n:]
	}
	return bufs
}

// isWarm reports whether every frame behind the n bytes at off is warm
// in kite's mapping. It takes no lock: the frames' warm bits cannot
// change while the caller holds references to them.
//
// Preconditions: the caller holds references to the frames.
func (f *MemoryFile) isWarm(off, n uint64) bool {
	if n == 0 {
		return false
	}
	first, last := off/pageSize, (off+n-1)/pageSize
	for i := first; i <= last; {
		w := f.warm[i/64].Load() >> (i % 64)
		k := min(64-i%64, last+1-i) // bits of this word in the range
		if k < 64 {
			w |= ^uint64(0) << k
		}
		if w != ^uint64(0) {
			return false
		}
		i += k
	}
	return true
}

// frameRun is n contiguous frames starting at off.
type frameRun struct {
	off, n uint64
}

// freeRuns returns unreferenced frames to the free map. Their memory goes
// back to the host later, in batches: punching a hole costs a host call
// (and the host a TLB flush in every process mapping the file), and a
// program that unmaps pages one by one would pay it per page. Freed
// frames stay dirty (their old contents in the file, only kite can see
// them) until maxDirtyPages of them pile up; then every dirty frame is
// punched, neighbouring ones (and the free frames between them) with
// one call. A dirty frame allocated meanwhile is zeroed by the allocator,
// so a fresh allocation always reads as zeros.
func (f *MemoryFile) freeRuns(runs []frameRun) {
	f.mu.Lock()
	for _, r := range runs {
		for i := r.off / pageSize; i < r.off/pageSize+r.n; i++ {
			f.free[i/64] |= 1 << (i % 64)
			f.dirty[i/64] |= 1 << (i % 64)
		}
		f.inUse -= r.n
		f.nDirty += r.n
		if r.off/pageSize < f.hint {
			f.hint = r.off / pageSize
		}
	}
	if f.nDirty <= maxDirtyPages {
		f.mu.Unlock()
		return
	}
	punch := f.reserveDirtyLocked()
	f.mu.Unlock()
	f.punch(punch)
}

// Flush punches every dirty frame out of the file, giving its memory back
// to the host now.
func (f *MemoryFile) Flush() {
	f.mu.Lock()
	punch := f.reserveDirtyLocked()
	f.mu.Unlock()
	f.punch(punch)
}

// reserveDirtyLocked takes every dirty frame out of the free map for
// punching, in runs that also cover the free frames between dirty ones
// (a free frame reads as zeros, so punching it again is harmless), and
// returns the runs. punch returns them.
//
// Preconditions: f.mu is held.
func (f *MemoryFile) reserveDirtyLocked() []frameRun {
	var runs []frameRun
	for w := range f.dirty {
		for word := f.dirty[w]; word != 0; word &= word - 1 {
			i := uint64(w*64 + bits.TrailingZeros64(word))
			if k := len(runs); k > 0 && f.allFreeLocked(runs[k-1].off+runs[k-1].n, i) {
				runs[k-1].n = i + 1 - runs[k-1].off
			} else {
				runs = append(runs, frameRun{off: i, n: 1})
			}
		}
		f.dirty[w] = 0
	}
	f.nDirty = 0
	for _, r := range runs {
		for i := r.off; i < r.off+r.n; i++ {
			f.free[i/64] &^= 1 << (i % 64)
		}
	}
	return runs
}

// allFreeLocked reports whether the frames [from, to) are all free.
//
// Preconditions: f.mu is held; to <= high.
func (f *MemoryFile) allFreeLocked(from, to uint64) bool {
	if to-from > 256 {
		return false // not worth scanning: two calls are fine
	}
	for i := from; i < to; i++ {
		if f.free[i/64]&(1<<(i%64)) == 0 {
			return false
		}
	}
	return true
}

// punch punches the runs (in frame indexes) reserved by
// reserveDirtyLocked out of the file and returns them to the free map.
// Punching before marking them free means no new owner can see old
// contents.
func (f *MemoryFile) punch(runs []frameRun) {
	for _, r := range runs {
		err := unix.Fallocate(f.fd, unix.FALLOC_FL_PUNCH_HOLE|unix.FALLOC_FL_KEEP_SIZE, int64(r.off*pageSize), int64(r.n*pageSize))
		if err != nil {
			// Cannot happen on a memfd; zero by hand so the invariant
			// (clean free frames read as zero) still holds.
			clear(f.bytes(r.off*pageSize, r.n*pageSize))
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range runs {
		for i := r.off; i < r.off+r.n; i++ {
			f.free[i/64] |= 1 << (i % 64)
			f.warm[i/64].And(^uint64(1 << (i % 64)))
		}
		if r.off < f.hint {
			f.hint = r.off
		}
	}
}
