package mm

import (
	"math/bits"
	"slices"
)

// pte is what the memory manager knows about one application page: the
// frame that backs it and how (if at all) it is mapped in the platform
// address space.
type pte struct {
	frame uint64 // offset of the frame in the memory file

	// mapped: the page is mapped in the platform address space with
	// protection hostProt.
	mapped   bool
	hostProt uint8

	// cow: the frame may be shared with another address space (after
	// Fork), so it is mapped without PROT_WRITE and a write must copy it
	// (or take it over if it turns out to be the only reference). Only
	// private mappings have cow pages.
	cow bool

	// stale counts how many more SEGV_ACCERR faults on this page, now
	// mapped with the VMA's full protection, are taken as stale faults of
	// a write that raced with a copy-on-write break (see doc.go).
	stale uint8
}

const (
	chunkShift = 21 // one chunk covers 2 MiB of addresses
	chunkPages = 1 << (chunkShift - pageShift)
)

// ptChunk holds the ptes of 2 MiB of address space.
type ptChunk struct {
	n       int // present entries
	present [chunkPages / 64]uint64
	e       [chunkPages]pte
}

// pageTable maps page addresses to ptes. Only pages with a frame have an
// entry. It is sparse: chunks exist only where some page has a frame.
type pageTable struct {
	chunks map[uintptr]*ptChunk
}

func newPageTable() pageTable {
	return pageTable{chunks: make(map[uintptr]*ptChunk)}
}

func chunkIndex(addr uintptr) (key uintptr, i int) {
	return addr >> chunkShift, int(addr>>pageShift) & (chunkPages - 1)
}

// get returns the pte of the page at addr, or nil if it has no frame.
func (t *pageTable) get(addr uintptr) *pte {
	key, i := chunkIndex(addr)
	c := t.chunks[key]
	if c == nil || c.present[i/64]&(1<<(i%64)) == 0 {
		return nil
	}
	return &c.e[i]
}

// set installs p as the pte of the page at addr and returns a pointer to
// the stored pte.
func (t *pageTable) set(addr uintptr, p pte) *pte {
	key, i := chunkIndex(addr)
	c := t.chunks[key]
	if c == nil {
		c = new(ptChunk)
		t.chunks[key] = c
	}
	if c.present[i/64]&(1<<(i%64)) == 0 {
		c.present[i/64] |= 1 << (i % 64)
		c.n++
	}
	c.e[i] = p
	return &c.e[i]
}

// remove deletes the pte of the page at addr, if any.
func (t *pageTable) remove(addr uintptr) {
	key, i := chunkIndex(addr)
	c := t.chunks[key]
	if c == nil || c.present[i/64]&(1<<(i%64)) == 0 {
		return
	}
	c.present[i/64] &^= 1 << (i % 64)
	c.e[i] = pte{}
	c.n--
	if c.n == 0 {
		delete(t.chunks, key)
	}
}

// count returns the number of pages with a frame.
func (t *pageTable) count() int {
	n := 0
	for _, c := range t.chunks {
		n += c.n
	}
	return n
}

// forRange calls fn for each page with a frame in [start, end), in
// ascending address order. fn may remove the entry it is given (and no
// other); it must not add entries. fn returns false to stop.
func (t *pageTable) forRange(start, end uintptr, fn func(addr uintptr, p *pte) bool) {
	if start >= end || len(t.chunks) == 0 {
		return
	}
	first, _ := chunkIndex(start)
	last, _ := chunkIndex(end - 1)
	var keys []uintptr
	if last-first < uintptr(2*len(t.chunks)) {
		for k := first; ; k++ {
			if t.chunks[k] != nil {
				keys = append(keys, k)
			}
			if k == last {
				break
			}
		}
	} else {
		for k := range t.chunks {
			if k >= first && k <= last {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
	}
	for _, k := range keys {
		c := t.chunks[k]
		if c == nil {
			continue
		}
		base := k << chunkShift
		for w := range c.present {
			for word := c.present[w]; word != 0; word &= word - 1 {
				i := w*64 + bits.TrailingZeros64(word)
				addr := base + uintptr(i)<<pageShift
				if addr < start {
					continue
				}
				if addr >= end {
					return
				}
				if c.present[w]&(1<<(i%64)) == 0 {
					continue
				}
				if !fn(addr, &c.e[i]) {
					return
				}
			}
		}
	}
}
