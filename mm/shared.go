package mm

import (
	"sync"

	"golang.org/x/sys/unix"
)

// SharedMemory is a shared memory object: the pages behind a shared
// anonymous mapping (MAP_SHARED|MAP_ANONYMOUS, or a mapping of /dev/zero)
// or a System V shared memory segment. Every VMA that maps it, in any
// address space, refers to it, so all of them (after Fork too) see each
// other's writes. It plays the part of Linux's shmem file.
type SharedMemory struct {
	mf *MemoryFile

	mu sync.Mutex

	// refs counts references: one per VMA mapping the object and one per
	// holder (NewSharedMemory, IncRef). The last DecRef frees the pages.
	// Guarded by mu.
	refs int

	// maps counts the VMAs mapping the object (shm_nattch). Guarded by
	// mu.
	maps int

	// size is the object's size in pages; pages at and above it do not
	// exist (access is SIGBUS, as past the end of a shmem file). Guarded
	// by mu.
	size uint64

	// frames maps a page index to its frame; the object holds one
	// reference on each. Guarded by mu.
	frames map[uint64]uint64
}

// NewSharedMemory returns a zero-filled shared memory object of size bytes
// (rounded up to whole pages) with one reference for the caller, to be
// dropped with DecRef. Pages get frames when first touched.
func NewSharedMemory(mf *MemoryFile, size uint64) *SharedMemory {
	pages := (size + pageMask) >> pageShift
	return &SharedMemory{mf: mf, refs: 1, size: pages, frames: make(map[uint64]uint64)}
}

// newMappedSharedMemory returns an object referred to only by the VMA
// being created for it.
func newMappedSharedMemory(mf *MemoryFile, pages uint64) *SharedMemory {
	return &SharedMemory{mf: mf, refs: 1, maps: 1, size: pages, frames: make(map[uint64]uint64)}
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
	return uint64(len(o.frames)) << pageShift
}

// IncRef takes a holder's reference.
func (o *SharedMemory) IncRef() {
	o.mu.Lock()
	o.refs++
	o.mu.Unlock()
}

// DecRef drops a holder's reference; the last reference frees the pages.
func (o *SharedMemory) DecRef() { o.release(false) }

// incMap and decMap are a VMA's reference.
func (o *SharedMemory) incMap() {
	o.mu.Lock()
	o.refs++
	o.maps++
	o.mu.Unlock()
}

func (o *SharedMemory) decMap() { o.release(true) }

func (o *SharedMemory) release(vma bool) {
	o.mu.Lock()
	if vma {
		o.maps--
	}
	o.refs--
	if o.refs > 0 {
		o.mu.Unlock()
		return
	}
	frames := o.frames
	o.frames = nil
	o.mu.Unlock()
	for _, f := range frames {
		o.mf.decRef(f, 1)
	}
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
	f, ok := o.frames[idx]
	if !ok {
		off, _, err := o.mf.allocRun(1)
		if err != nil {
			return 0, err
		}
		f = off
		o.frames[idx] = f
	}
	o.mf.incRef(f, 1)
	return f, nil
}

// resident reports whether page idx has a frame.
func (o *SharedMemory) resident(idx uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.frames[idx]
	return ok
}
