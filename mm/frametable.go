package mm

import (
	"math/bits"
	"slices"
	"sync/atomic"
)

// frameTable maps the page indexes of a shared memory object to their
// frames. It is sparse in chunks of frameChunkPages consecutive pages, each
// an array: a page costs 8 bytes rather than a hash-map entry, lookups are
// an index, and walking a range visits its pages in order without sorting.
type frameTable struct {
	chunks map[uint64]*frameChunk
	n      uint64 // pages with a frame

	// acct, if set, counts the pages with a frame of every table
	// sharing it (the memory file's Shmem or page-cache count).
	acct *atomic.Int64
}

const (
	frameChunkShift = 9
	frameChunkPages = 1 << frameChunkShift
)

// frameChunk holds the frames of frameChunkPages consecutive pages.
type frameChunk struct {
	n       int
	present [frameChunkPages / 64]uint64
	f       [frameChunkPages]uint64
}

func newFrameTable(acct *atomic.Int64) frameTable {
	return frameTable{chunks: make(map[uint64]*frameChunk), acct: acct}
}

// account adds d pages to acct.
func (t *frameTable) account(d int64) {
	if t.acct != nil && d != 0 {
		t.acct.Add(d)
	}
}

// setAcct makes acct count the table's pages instead of the old counter.
func (t *frameTable) setAcct(acct *atomic.Int64) {
	t.account(-int64(t.n))
	t.acct = acct
	t.account(int64(t.n))
}

// get returns the frame of page idx.
func (t *frameTable) get(idx uint64) (uint64, bool) {
	c := t.chunks[idx>>frameChunkShift]
	i := idx & (frameChunkPages - 1)
	if c == nil || c.present[i/64]&(1<<(i%64)) == 0 {
		return 0, false
	}
	return c.f[i], true
}

// has reports whether page idx has a frame.
func (t *frameTable) has(idx uint64) bool {
	_, ok := t.get(idx)
	return ok
}

// set gives page idx frame f.
func (t *frameTable) set(idx, f uint64) {
	key, i := idx>>frameChunkShift, idx&(frameChunkPages-1)
	c := t.chunks[key]
	if c == nil {
		c = new(frameChunk)
		t.chunks[key] = c
	}
	if c.present[i/64]&(1<<(i%64)) == 0 {
		c.present[i/64] |= 1 << (i % 64)
		c.n++
		t.n++
		t.account(1)
	}
	c.f[i] = f
}

// run returns page idx's frame (ok if it has one) and how many pages
// from idx on, at least 1 and at most max, are like it: pages whose
// frames follow f one after another if ok, pages without a frame if
// not. It looks each chunk up once, not each page.
func (t *frameTable) run(idx, max uint64) (f uint64, ok bool, n uint64) {
	f, ok = t.get(idx)
	n = 1
	for n < max {
		k := idx + n
		c := t.chunks[k>>frameChunkShift]
		i := k & (frameChunkPages - 1)
		if c == nil {
			if ok {
				return f, ok, n
			}
			n += min(frameChunkPages-i, max-n)
			continue
		}
		for ; i < frameChunkPages && n < max; i++ {
			has := c.present[i/64]&(1<<(i%64)) != 0
			if has != ok || (ok && c.f[i] != f+n<<pageShift) {
				return f, ok, n
			}
			n++
		}
	}
	return f, ok, n
}

// len returns the number of pages with a frame.
func (t *frameTable) len() uint64 { return t.n }

// count returns the number of pages with a frame in [from, to).
func (t *frameTable) count(from, to uint64) uint64 {
	var n uint64
	t.forRange(from, to, false, func(uint64, uint64) { n++ })
	return n
}

// forRange calls fn for every page with a frame in [from, to), in
// ascending order; with remove, it takes each page out of the table first.
func (t *frameTable) forRange(from, to uint64, remove bool, fn func(idx, f uint64)) {
	if from >= to || t.n == 0 {
		return
	}
	first, last := from>>frameChunkShift, (to-1)>>frameChunkShift
	removed := int64(0)
	defer func() { t.account(-removed) }()
	var keys []uint64
	if last-first < uint64(2*len(t.chunks)) {
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
		base := k << frameChunkShift
		for w := range c.present {
			for word := c.present[w]; word != 0; word &= word - 1 {
				i := uint64(w*64 + bits.TrailingZeros64(word))
				idx := base + i
				if idx < from {
					continue
				}
				if idx >= to {
					break
				}
				f := c.f[i]
				if remove {
					c.present[w] &^= 1 << (i % 64)
					c.n--
					t.n--
					removed++
				}
				fn(idx, f)
			}
		}
		if remove && c.n == 0 {
			delete(t.chunks, k)
		}
	}
}

// all returns every frame in the table, in page order.
func (t *frameTable) all() []uint64 {
	out := make([]uint64, 0, t.n)
	t.forRange(0, ^uint64(0), false, func(_, f uint64) { out = append(out, f) })
	return out
}

// seek returns the first page in [from, to) that has a frame (data) or
// has none (!data), or to if there is none. It visits only the chunks
// that exist, so a sparse table of any size answers at once, and their
// presence bitmaps a word at a time.
func (t *frameTable) seek(from, to uint64, data bool) uint64 {
	if from >= to {
		return to
	}
	first, last := from>>frameChunkShift, (to-1)>>frameChunkShift
	if !data {
		for k := first; k <= last; k++ {
			c := t.chunks[k]
			lo, hi := chunkBounds(k, from, to)
			if c == nil {
				return k<<frameChunkShift + lo
			}
			if i, ok := c.next(lo, hi, false); ok {
				return k<<frameChunkShift + i
			}
		}
		return to
	}
	if t.n == 0 {
		return to
	}
	if last-first < uint64(2*len(t.chunks)) {
		for k := first; k <= last; k++ {
			if c := t.chunks[k]; c != nil {
				lo, hi := chunkBounds(k, from, to)
				if i, ok := c.next(lo, hi, true); ok {
					return k<<frameChunkShift + i
				}
			}
		}
		return to
	}
	best := to
	for k, c := range t.chunks {
		if k < first || k > last || k<<frameChunkShift >= best {
			continue
		}
		lo, hi := chunkBounds(k, from, to)
		if i, ok := c.next(lo, hi, true); ok {
			best = min(best, k<<frameChunkShift+i)
		}
	}
	return best
}

// chunkBounds returns the part of the pages [from, to) in chunk k, as
// indexes within the chunk [lo, hi).
//
// Preconditions: the chunk overlaps [from, to).
func chunkBounds(k, from, to uint64) (lo, hi uint64) {
	base := k << frameChunkShift
	lo, hi = 0, uint64(frameChunkPages)
	if from > base {
		lo = from - base
	}
	if to-base < hi {
		hi = to - base
	}
	return lo, hi
}

// next returns the first index in [lo, hi) of the chunk whose page has
// a frame (present) or has none (!present), a word at a time.
func (c *frameChunk) next(lo, hi uint64, present bool) (uint64, bool) {
	for w := lo / 64; w*64 < hi; w++ {
		word := c.present[w]
		if !present {
			word = ^word
		}
		if w == lo/64 {
			word &^= 1<<(lo%64) - 1
		}
		if word == 0 {
			continue
		}
		i := w*64 + uint64(bits.TrailingZeros64(word))
		if i >= hi {
			break
		}
		return i, true
	}
	return 0, false
}
