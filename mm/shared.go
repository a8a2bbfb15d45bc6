package mm

import (
	"errors"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// SharedMemory is a shared memory object: the pages behind a shared
// anonymous mapping (MAP_SHARED|MAP_ANONYMOUS, or a mapping of /dev/zero)
// or a System V shared memory segment. Every VMA that maps it, in any
// address space, refers to it, so all of them (after Fork too) see each
// other's writes. It plays the part of Linux's shmem file.
type SharedMemory struct {
	mf *MemoryFile

	// fillMu serializes filling pages from the backing file with
	// UpdateResident, so that a fill that read the file before a write
	// cannot install stale data after the write updated the cache. Lock
	// order: fillMu, then mu.
	fillMu sync.Mutex

	mu sync.Mutex

	// refs counts references: one per VMA mapping the object and one per
	// holder (NewSharedMemory, IncRef). The last DecRef frees the pages.
	// Guarded by mu.
	refs int

	// maps counts the VMAs mapping the object (shm_nattch), and mappers
	// how many of them each address space has, so that pages removed
	// from the object (SetSize, Punch) can be removed from every address
	// space showing them. Guarded by mu.
	maps    int
	mappers map[*MemoryManager]int

	// writableMaps counts the shared VMAs that may write the object
	// (Linux's i_mmap_writable: VM_SHARED with VM_MAYWRITE). Guarded by
	// mu.
	writableMaps int

	// size is the object's size in pages; pages at and above it do not
	// exist (access is SIGBUS, as past the end of a shmem file). Guarded
	// by mu.
	size uint64

	// frames maps a page index to its frame; the object holds one
	// reference on each. Guarded by mu.
	frames frameTable

	// unwritten are the pages fallocate gave frames that nothing has
	// written or faulted in since: as Linux's shmem keeps such folios
	// !uptodate, they are holes to SEEK_DATA and SEEK_HOLE, read(2)
	// leaves them so, and fault-around does not map them (a fault on
	// the page itself does, and makes it data). Pages without a frame
	// may be left in the set; they count for nothing. Guarded by mu.
	unwritten idxSet

	// readBack and writeBack, if set, make the object the page cache of
	// a file kept elsewhere (SetBacking): missing pages are read from
	// the file, and Writeback writes pages back. Guarded by mu.
	readBack  func(p []byte, off uint64) (int, error)
	writeBack func(p []byte, off uint64) error
	// syncBack, if set (SetBackingSync), makes what Writeback wrote
	// durable: msync(MS_SYNC). Guarded by mu.
	syncBack func() error

	// maybeDirty says a shared mapping may have written the pages since
	// the last Writeback: set while writable mappings exist. Guarded by
	// mu.
	maybeDirty bool

	// writesRefused says writes through shared mappings fail (SIGBUS,
	// EFAULT for the kernel's): the file is immutable on a file system
	// whose page_mkwrite refuses them (ext4). Read without mu.
	writesRefused atomic.Bool
}

// SetWritesRefused makes writes through shared mappings of the object
// fail (SIGBUS for the program, EFAULT for the kernel) or work again, as
// ext4's page_mkwrite refuses them on an immutable file. Refusing
// write-protects the pages shared mappings have mapped writable, so that
// their next write faults: Linux's ext4 writes the file back when it is
// made immutable, which write-protects its pages.
func (o *SharedMemory) SetWritesRefused(refused bool) {
	if o.writesRefused.Swap(refused) == refused || !refused {
		return
	}
	o.mu.Lock()
	mms := make([]*MemoryManager, 0, len(o.mappers))
	for m := range o.mappers {
		mms = append(mms, m)
	}
	o.mu.Unlock()
	for _, m := range mms {
		m.reprotectObject(o)
	}
}

// reprotectObject maps the pages of m's shared writable mappings of o
// again with the protection effProt gives them now.
func (m *MemoryManager) reprotectObject(o *SharedMemory) {
	m.mu.Lock()
	defer m.unlock()
	for v := m.vmas.head; v != nil; v = v.next {
		if v.obj == o && v.shared && v.prot&unix.PROT_WRITE != 0 {
			m.syncHostLocked(v, v.start, v.end, false)
		}
	}
}

// refusesWrites reports whether a write through v must fail because its
// object refuses writes through shared mappings.
func (v *vma) refusesWrites() bool {
	return v.shared && v.obj != nil && v.obj.writesRefused.Load()
}

// errNeedFill: the page must be read from the backing file first.
var errNeedFill = errors.New("page must be read from the file")

// SetBacking makes the object the page cache of a file whose data lives
// elsewhere: missing pages are filled with read (outside any address
// space's lock) and Writeback writes pages that shared mappings may have
// written with write. Both get byte offsets of whole pages; write is
// responsible for not writing past the file's end.
func (o *SharedMemory) SetBacking(read func(p []byte, off uint64) (int, error), write func(p []byte, off uint64) error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.readBack, o.writeBack = read, write
	o.frames.setAcct(&o.mf.cachePages)
}

// SetBackingSync sets what msync(MS_SYNC) calls after Writeback to make
// the written pages durable in the backing file (its fsync).
func (o *SharedMemory) SetBackingSync(sync func() error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.syncBack = sync
}

// syncBacking makes the backing file durable (msync's MS_SYNC).
func (o *SharedMemory) syncBacking() error {
	o.mu.Lock()
	sync := o.syncBack
	o.mu.Unlock()
	if sync == nil {
		return nil
	}
	return sync()
}

// fill reads pages [idx, idx+n) of a backed object that are missing from
// the file. It is called without any address space's lock.
func (o *SharedMemory) fill(idx, n uint64) error {
	o.fillMu.Lock()
	defer o.fillMu.Unlock()
	o.mu.Lock()
	read := o.readBack
	n = min(n, o.size-min(idx, o.size))
	o.mu.Unlock()
	if read == nil || n == 0 {
		return nil
	}
	off, got, err := o.mf.allocRun(n)
	if err != nil {
		return err
	}
	rd, rerr := read(o.mf.bytes(off, got*pageSize), idx<<pageShift)
	if rerr != nil && rd == 0 {
		o.mf.decRef(off, got)
		return rerr
	}
	o.mu.Lock()
	var unused []uint64
	for i := uint64(0); i < got; i++ {
		f := off + i*pageSize
		if o.frames.has(idx+i) || idx+i >= o.size {
			unused = append(unused, f)
			continue
		}
		o.frames.set(idx+i, f)
	}
	o.mu.Unlock()
	for _, f := range unused {
		o.mf.decRef(f, 1)
	}
	return nil
}

// isCache reports whether the object is the page cache of a file kept
// elsewhere (SetBacking).
func (o *SharedMemory) isCache() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.readBack != nil
}

// readAhead fills the pages of [first, last) that are missing from the
// backing file, a run of at most readAheadPages at a time, stopping at
// the first error (MADV_WILLNEED is a hint). It is called without any
// address space's lock.
func (o *SharedMemory) readAhead(first, last uint64) {
	const readAheadPages = 256
	last = min(last, o.Size()>>pageShift)
	for idx := first; idx < last; {
		hole := o.SeekPage(idx, last, false)
		if hole == last {
			return
		}
		n := min(o.SeekPage(hole, last, true)-hole, readAheadPages)
		if o.fill(hole, n) != nil {
			return
		}
		idx = hole + n
	}
}

// Writeback writes the pages shared mappings may have written to the
// backing file (msync, fsync, the last close). Objects without backing
// have nothing to write: their pages are the storage.
func (o *SharedMemory) Writeback() error {
	o.mu.Lock()
	write := o.writeBack
	if write == nil || !o.maybeDirty {
		o.mu.Unlock()
		return nil
	}
	o.maybeDirty = o.writableMaps > 0
	idxs := make([]uint64, 0, o.frames.len())
	frames := make([]uint64, 0, o.frames.len())
	o.frames.forRange(0, ^uint64(0), false, func(idx, f uint64) {
		idxs = append(idxs, idx)
		frames = append(frames, f)
		o.mf.incRef(f, 1) // kept while written
	})
	o.mu.Unlock()
	var firstErr error
	for i := 0; i < len(idxs); {
		j := i + 1
		for j < len(idxs) && idxs[j] == idxs[j-1]+1 && frames[j] == frames[j-1]+pageSize && j-i < 256 {
			j++
		}
		if err := write(o.mf.bytes(frames[i], uint64(j-i)*pageSize), idxs[i]<<pageShift); err != nil && firstErr == nil {
			firstErr = err
		}
		i = j
	}
	o.mf.decRefList(frames)
	if firstErr != nil {
		o.mu.Lock()
		o.maybeDirty = true
		o.mu.Unlock()
	}
	return firstErr
}

// UpdateResident copies p into the pages of the object at off that have
// frames, leaving missing pages missing (write(2) through to a backed
// file keeps its cached pages current), and grows the object to cover
// off+len(p).
func (o *SharedMemory) UpdateResident(p []byte, off uint64) {
	o.fillMu.Lock()
	defer o.fillMu.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	for done := 0; done < len(p); {
		a := off + uint64(done)
		in := a & pageMask
		n := min(pageSize-int(in), len(p)-done)
		if f, ok := o.frames.get(a >> pageShift); ok {
			copy(o.mf.bytes(f+in, uint64(n)), p[done:done+n])
		}
		done += n
	}
	if end := (off + uint64(len(p)) + pageMask) >> pageShift; end > o.size {
		o.size = end
	}
}

// NewSharedMemory returns a zero-filled shared memory object of size bytes
// (rounded up to whole pages) with one reference for the caller, to be
// dropped with DecRef. Pages get frames when first touched.
func NewSharedMemory(mf *MemoryFile, size uint64) *SharedMemory {
	pages := (size + pageMask) >> pageShift
	return &SharedMemory{mf: mf, refs: 1, size: pages, frames: newFrameTable(&mf.shmemPages), mappers: make(map[*MemoryManager]int)}
}

// Size returns the object's size in bytes.
func (o *SharedMemory) Size() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.size << pageShift
}

// Mappings returns how many VMAs map the object, in every address space
// (System V's shm_nattch counts these).
func (o *SharedMemory) Mappings() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.maps
}

// Resident returns the number of bytes of the object that have frames.
func (o *SharedMemory) Resident() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.frames.len() << pageShift
}

// IncRef takes a holder's reference.
func (o *SharedMemory) IncRef() {
	o.mu.Lock()
	o.refs++
	o.mu.Unlock()
}

// DecRef drops a holder's reference; the last reference frees the pages.
func (o *SharedMemory) DecRef() { o.release(nil, false) }

// incMap and decMap are the reference of a VMA of address space m;
// writable says whether it is a shared mapping that may write.
func (o *SharedMemory) incMap(m *MemoryManager, writable bool) {
	o.mu.Lock()
	o.refs++
	o.maps++
	o.mappers[m]++
	if writable {
		o.writableMaps++
		o.maybeDirty = true
	}
	o.mu.Unlock()
}

func (o *SharedMemory) decMap(m *MemoryManager, writable bool) { o.release(m, writable) }

// WritableMappings returns how many shared mappings may write the object.
func (o *SharedMemory) WritableMappings() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.writableMaps
}

func (o *SharedMemory) release(m *MemoryManager, writable bool) {
	o.mu.Lock()
	if writable {
		o.writableMaps--
	}
	if m != nil {
		o.maps--
		if o.mappers[m]--; o.mappers[m] == 0 {
			delete(o.mappers, m)
		}
	}
	o.refs--
	if o.refs > 0 {
		o.mu.Unlock()
		return
	}
	frames := o.frames
	o.frames = newFrameTable(frames.acct)
	frames.setAcct(nil) // the pages are on their way out
	o.mu.Unlock()
	o.mf.decRefList(frames.all())
}

// frameAt returns the frame of page idx, allocating a zeroed one if the
// page has none yet, with an extra reference for the caller. Pages past
// the end of the object are EFAULT.
func (o *SharedMemory) frameAt(idx uint64) (uint64, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if idx >= o.size {
		return 0, unix.EFAULT
	}
	f, ok := o.frames.get(idx)
	if !ok && o.readBack != nil {
		return 0, errNeedFill
	}
	if !ok {
		off, _, err := o.mf.allocRun(1)
		if err != nil {
			return 0, err
		}
		f = off
		o.frames.set(idx, f)
	}
	o.unwritten.clear(idx, idx+1)
	o.mf.incRef(f, 1)
	return f, nil
}

// residentRun returns the frames of up to n pages from page idx on,
// going down from it if down is set, that have frames within the
// object's size, stopping at the first that has none, where a run of
// contiguous frames beyond maxRuns would start, or where skip (if not
// nil) says so for the k-th page; each frame returned has a reference
// taken for the caller. It never allocates or fills a page. It takes
// o.mu once.
func (o *SharedMemory) residentRun(idx, n uint64, down bool, maxRuns int, skip func(k uint64) bool) []uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	var frames []uint64
	runs := 0
	for k := uint64(0); k < n; k++ {
		i := idx + k
		if down {
			i = idx - k
		}
		if i >= o.size || (down && k > idx) || (skip != nil && skip(k)) {
			break
		}
		f, ok := o.frames.get(i)
		if !ok || o.unwritten.has(i) {
			break
		}
		if k == 0 || (!down && f != frames[k-1]+pageSize) || (down && f+pageSize != frames[k-1]) {
			if runs++; runs > maxRuns {
				break
			}
		}
		frames = append(frames, f)
	}
	for k := 0; k < len(frames); {
		// One reference call per run of contiguous frames (going down,
		// a run's frames descend and its first is its last one).
		j := k + 1
		for j < len(frames) && (!down && frames[j] == frames[j-1]+pageSize || down && frames[j]+pageSize == frames[j-1]) {
			j++
		}
		first := frames[k]
		if down {
			first = frames[j-1]
		}
		o.mf.incRef(first, uint64(j-k))
		k = j
	}
	return frames
}

// noFrame marks a page without a frame in residentFrames' answer.
const noFrame = ^uint64(0)

// residentFrames returns, for each of the n pages from page idx on, its
// frame with a reference taken for the caller, or noFrame if it has none,
// lies past the object's size, or skip says so for the k-th page. It
// never allocates or fills a page.
func (o *SharedMemory) residentFrames(idx, n uint64, skip func(k uint64) bool) []uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	frames := make([]uint64, n)
	for k := range frames {
		frames[k] = noFrame
		i := idx + uint64(k)
		if i >= o.size || skip(uint64(k)) {
			continue
		}
		if f, ok := o.frames.get(i); ok && !o.unwritten.has(i) {
			o.mf.incRef(f, 1)
			frames[k] = f
		}
	}
	return frames
}

// ResidentPages returns the number of pages with frames.
func (o *SharedMemory) ResidentPages() uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.frames.len()
}

// CacheStat counts the pages in [first, last) that have frames, and of
// those the ones a shared mapping may have written since the last
// Writeback: dirtiness is not tracked per page, so while the object may
// be dirty every cached page of a backed object counts. Objects without
// backing are their own storage and have no dirty pages (as shmem's
// page cache, which Linux never tags dirty).
func (o *SharedMemory) CacheStat(first, last uint64) (cached, dirty uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	cached = o.frames.count(first, last)
	if o.writeBack != nil && o.maybeDirty {
		dirty = cached
	}
	return cached, dirty
}

// HasPage reports whether page idx has a frame.
func (o *SharedMemory) HasPage(idx uint64) bool { return o.resident(idx) }

// SeekPage returns the first page in [from, to) that has data (a frame
// something wrote or faulted in) or lacks it (no frame, or one fallocate
// gave and nothing used since), or to if there is none (SEEK_DATA,
// SEEK_HOLE).
func (o *SharedMemory) SeekPage(from, to uint64, data bool) uint64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !data {
		h := o.frames.seek(from, to, false)
		if u, ok := o.unwritten.first(from, h); ok {
			return u
		}
		return h
	}
	for from < to {
		d := o.frames.seek(from, to, true)
		if d >= to {
			return to
		}
		w := o.unwritten.firstClear(d, to)
		if w == d {
			return d
		}
		from = w // the first page past the unwritten ones, with a frame or not
	}
	return to
}

// MissingPages counts the pages of [off, off+length) (bytes) without a
// frame.
func (o *SharedMemory) MissingPages(off, length uint64) uint64 {
	first, last := pageRange(off, length)
	o.mu.Lock()
	defer o.mu.Unlock()
	return last - first - o.frames.count(first, last)
}

// Allocate gives a zeroed frame to every page of [off, off+length) (bytes)
// without one, without changing the size (fallocate). The new pages are
// unwritten (holes to SeekPage) until used; pages an earlier fallocate
// left unwritten become data, as shmem clears and marks uptodate a
// fallocated folio that any but a read lookup finds. Each run of missing
// pages gets runs of frames, not a frame at a time.
func (o *SharedMemory) Allocate(off, length uint64) error {
	first, last := pageRange(off, length)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unwritten.clear(first, last)
	for idx := o.frames.seek(first, last, false); idx < last; idx = o.frames.seek(idx, last, false) {
		end := o.frames.seek(idx, last, true) // the missing run is [idx, end)
		for idx < end {
			f, got, err := o.mf.allocRun(end - idx)
			if err != nil {
				return err
			}
			for i := uint64(0); i < got; i++ {
				o.frames.set(idx+i, f+i*pageSize)
			}
			o.unwritten.set(idx, idx+got)
			idx += got
		}
	}
	return nil
}

// pageRange returns the pages [first, last) touched by length bytes at off.
func pageRange(off, length uint64) (first, last uint64) {
	end := off + length
	if end < off {
		end = ^uint64(0)
	}
	return off >> pageShift, (end + pageMask) >> pageShift
}

// resident reports whether page idx has a frame.
func (o *SharedMemory) resident(idx uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.frames.has(idx)
}

// ReadAt copies the object's contents at byte offset off into p and
// returns how much it copied: up to the end of the object, with holes
// reading as zeros (io.EOF-free; the caller knows its file's size).
// Pages in neighbouring frames are read with one host call.
func (o *SharedMemory) ReadAt(p []byte, off uint64) int {
	one := [1][]byte{p}
	return o.ReadAtv(one[:], off)
}

// ReadAtv is ReadAt into the buffers of dst one after another, as if
// they were one buffer (the views of a pinned program buffer): each run
// of the object's neighbouring frames is read into all the buffers it
// spans with one host call (preadv), or one copy per buffer where the
// frames are warm in kite's mapping.
func (o *SharedMemory) ReadAtv(dst [][]byte, off uint64) int {
	want := viewsLen(dst)
	o.mu.Lock()
	defer o.mu.Unlock()
	end := o.size << pageShift
	if off >= end {
		return 0
	}
	want = min(want, end-off)
	var segBuf [4][]byte
	cur := viewCursor{bufs: dst}
	for done := uint64(0); done < want; {
		a := off + done
		f, ok, n := o.runLocked(a, want-done)
		segs := cur.next(n, segBuf[:])
		if ok {
			o.mf.readAtv(segs, f+a&pageMask)
		} else {
			for _, s := range segs {
				clear(s)
			}
		}
		done += n
	}
	return int(want)
}

// viewCursor walks buffers used one after another as one.
type viewCursor struct {
	bufs [][]byte
	at   int // offset of the next byte in bufs[0]
}

// next returns the pieces of the buffers holding their next n bytes
// (there must be that many left), appended to segs[:0]: a caller's
// small array keeps the pieces off the heap.
func (c *viewCursor) next(n uint64, segs [][]byte) [][]byte {
	segs = segs[:0]
	for n > 0 {
		b := c.bufs[0][c.at:]
		if len(b) == 0 {
			c.bufs, c.at = c.bufs[1:], 0
			continue
		}
		k := min(uint64(len(b)), n)
		segs = append(segs, b[:k:k])
		c.at += int(k)
		n -= k
	}
	return segs
}

// runLocked returns the frame of the page holding byte offset a (ok if
// it has one) and how many of the n bytes from a on lie in pages like
// it: frames following it one after another if ok, pages without a
// frame if not.
//
// Preconditions: o.mu is held; n > 0.
func (o *SharedMemory) runLocked(a, n uint64) (f uint64, ok bool, k uint64) {
	in := a & pageMask
	f, ok, pages := o.frames.run(a>>pageShift, (in+n+pageMask)>>pageShift)
	return f, ok, min(pages<<pageShift-in, n)
}

// WriteAt copies p into the object at byte offset off, growing the object
// to cover it, and returns how much it copied: less than len(p) only if
// memory ran out (ENOMEM). Pages in neighbouring frames are written with
// one host call.
func (o *SharedMemory) WriteAt(p []byte, off uint64) (int, error) {
	one := [1][]byte{p}
	return o.WriteAtv(one[:], off)
}

// WriteAtv is WriteAt of the buffers of src one after another, as if
// they were one buffer, with one host call (pwritev) per run of the
// object's neighbouring frames, as ReadAtv reads. Pages without a frame
// get a run of frames for all the missing pages the write covers.
func (o *SharedMemory) WriteAtv(src [][]byte, off uint64) (int, error) {
	total := viewsLen(src)
	if off+total < off {
		return 0, unix.EFBIG
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if total > 0 {
		o.unwritten.clear(pageRange(off, total))
	}
	var segBuf [4][]byte
	cur := viewCursor{bufs: src}
	for done := uint64(0); done < total; {
		a := off + done
		f, ok, n := o.runLocked(a, total-done)
		if !ok {
			idx := a >> pageShift
			want := (a&pageMask + n + pageMask) >> pageShift
			nf, got, err := o.mf.allocRun(want)
			if err != nil {
				return int(done), err
			}
			for i := uint64(0); i < got; i++ {
				o.frames.set(idx+i, nf+i*pageSize)
			}
			f = nf
			n = min(n, got<<pageShift-a&pageMask)
		}
		o.mf.writeAtv(cur.next(n, segBuf[:]), f+a&pageMask)
		done += n
		o.size = max(o.size, (a+n-1)>>pageShift+1)
	}
	return int(total), nil
}

// SetSize sets the object's size to size bytes, as truncating a file: the
// part of the last page past size is zeroed, and pages past it are
// removed from the object and from every address space mapping them
// (access there is then SIGBUS).
func (o *SharedMemory) SetSize(size uint64) {
	pages := (size + pageMask) >> pageShift
	o.mu.Lock()
	if in := size & pageMask; in != 0 {
		if f, ok := o.frames.get(size >> pageShift); ok {
			clear(o.mf.bytes(f+in, pageSize-in))
		}
	}
	old := o.size
	o.size = pages
	// Shrinking also removes the pages past the old size that
	// fallocate(FALLOC_FL_KEEP_SIZE) gave memory, as shmem does.
	end := old
	if pages < old && o.frames.seek(old, ^uint64(0), true) != ^uint64(0) {
		end = ^uint64(0)
	}
	o.mu.Unlock()
	if pages < old {
		o.removePages(pages, end)
	}
}

// Punch removes the pages wholly inside [off, off+length) (bytes) from the
// object and every address space mapping them; they read as zeros again
// (fallocate's FALLOC_FL_PUNCH_HOLE, MADV_REMOVE). Partial pages at the
// edges are zeroed in place.
func (o *SharedMemory) Punch(off, length uint64) {
	end := off + length
	if end < off {
		end = ^uint64(0)
	}
	first := (off + pageMask) >> pageShift
	last := end >> pageShift
	o.mu.Lock()
	zero := func(a, b uint64) { // within one page
		if a >= b {
			return
		}
		if f, ok := o.frames.get(a >> pageShift); ok {
			clear(o.mf.bytes(f+a&pageMask, b-a))
		}
	}
	if first > last { // within one page
		zero(off, end)
	} else {
		zero(off, first<<pageShift)
		zero(last<<pageShift, end)
	}
	o.mu.Unlock()
	if first < last {
		o.removePages(first, last)
	}
}

// removePages removes pages [from, to) from the object and then from every
// address space mapping them. Address spaces are visited without o.mu held
// (the lock order is MemoryManager.mu before SharedMemory.mu). The frames
// leave the object first: a racing fault either installed its page before
// (and the visit removes it) or finds no frame and gets a fresh one.
func (o *SharedMemory) removePages(from, to uint64) {
	o.mu.Lock()
	var frames []uint64
	o.frames.forRange(from, to, true, func(_, f uint64) { frames = append(frames, f) })
	o.unwritten.clear(from, to)
	mms := make([]*MemoryManager, 0, len(o.mappers))
	for m := range o.mappers {
		mms = append(mms, m)
	}
	o.mu.Unlock()
	for _, m := range mms {
		m.dropObjectPages(o, from, to)
	}
	o.mf.decRefList(frames)
}

// dropObjectPages removes from m the pages of VMAs mapping o whose object
// page index is in [from, to).
func (m *MemoryManager) dropObjectPages(o *SharedMemory, from, to uint64) {
	m.mu.Lock()
	defer m.unlock()
	for v := m.vmas.head; v != nil; v = v.next {
		if v.obj != o {
			continue
		}
		first := v.off >> pageShift
		last := first + uint64(v.length()>>pageShift)
		lo, hi := max(first, from), min(last, to)
		if lo >= hi {
			continue
		}
		start := v.start + uintptr(lo-first)<<pageShift
		end := v.start + uintptr(hi-first)<<pageShift
		m.dropPagesLocked(start, end)
	}
}
