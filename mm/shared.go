package mm

import (
	"sync"

	"golang.org/x/sys/unix"
)

// sharedObject holds the pages of a shared anonymous mapping
// (MAP_SHARED|MAP_ANONYMOUS). Every VMA that maps it, in any address space,
// refers to it, so after Fork parent and child see each other's writes.
// It plays the part of Linux's shmem file behind such mappings.
type sharedObject struct {
	mf *MemoryFile

	mu sync.Mutex

	// refs counts the VMAs referring to the object. Guarded by mu.
	refs int

	// size is the object's size in pages; pages at and above it do not
	// exist (access is SIGBUS, as past the end of a shmem file). Guarded
	// by mu.
	size uint64

	// frames maps a page index to its frame; the object holds one
	// reference on each. Guarded by mu.
	frames map[uint64]uint64
}

func newSharedObject(mf *MemoryFile, pages uint64) *sharedObject {
	return &sharedObject{mf: mf, refs: 1, size: pages, frames: make(map[uint64]uint64)}
}

func (o *sharedObject) incRef() {
	o.mu.Lock()
	o.refs++
	o.mu.Unlock()
}

// decRef drops a VMA's reference; the last one frees the pages.
func (o *sharedObject) decRef() {
	o.mu.Lock()
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
// page has none yet, with an extra reference for the caller.
func (o *sharedObject) frameAt(idx uint64) (uint64, error) {
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
func (o *sharedObject) resident(idx uint64) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	_, ok := o.frames[idx]
	return ok
}
