package ext4

import (
	"bytes"
	"sync"
)

// blockCache keeps recently read metadata blocks (inode table blocks,
// bitmaps, directory, extent tree and xattr blocks) so that lookups and
// allocations do not read the same blocks again. Metadata writes update
// it; freed blocks leave it. File data never goes through it.
//
// A directory block or bitmap whose checksum was verified is marked so
// (checked): the lookups and inserts of every create read a directory's
// htree root and one leaf and both bitmaps of a group, and need not
// checksum them again until they change. Any change of a block's bytes
// clears the mark, unless the writer sets it again (a leaf or bitmap
// written with the checksum it just computed).
type blockCache struct {
	mu sync.Mutex
	// blocks and order are guarded by mu.
	blocks map[uint64]*cachedBlock
	order  []uint64 // insertion order, for eviction
}

// cachedBlock is one cached block.
type cachedBlock struct {
	data []byte
	// checked says data passed its checksum check (checkDirBlock,
	// readBitmap) since it last changed.
	checked bool
	// gen counts the changes of data, so that a check made on a copy
	// marks the block only if it has not changed since the copy.
	gen uint64
}

const blockCacheMax = 4096

func (c *blockCache) get(b uint64, buf []byte) bool {
	ok, _, _ := c.getChecked(b, buf)
	return ok
}

// getChecked copies block b into buf if it is cached, and reports
// whether its directory-block checksum was verified, and its generation
// (for markChecked).
func (c *blockCache) getChecked(b uint64, buf []byte) (ok, checked bool, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.blocks[b]
	if !ok {
		return false, false, 0
	}
	copy(buf, e.data)
	return true, e.checked, e.gen
}

// view calls f with the bytes of block b under the cache's lock, if b
// is cached and, if checked is set, passed its checksum check since it
// last changed; f must neither keep nor change them.
func (c *blockCache) view(b uint64, checked bool, f func(data []byte)) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.blocks[b]
	if !ok || checked && !e.checked {
		return false
	}
	f(e.data)
	return true
}

// markChecked records that block b passed checkDirBlock as it was at
// generation gen.
func (c *blockCache) markChecked(b, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.blocks[b]; ok && e.gen == gen {
		e.checked = true
	}
}

// has reports whether block b is cached.
func (c *blockCache) has(b uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.blocks[b]
	return ok
}

// getRange copies the bytes of block b from offset off into p, if b is
// cached.
func (c *blockCache) getRange(b uint64, off int, p []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.blocks[b]
	if ok {
		copy(p, e.data[off:])
	}
	return ok
}

// put caches a copy of data as block b's contents, and returns the
// entry's generation.
func (c *blockCache) put(b uint64, data []byte) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks == nil {
		c.blocks = map[uint64]*cachedBlock{}
	}
	e, ok := c.blocks[b]
	if !ok {
		for len(c.blocks) >= blockCacheMax && len(c.order) > 0 {
			delete(c.blocks, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, b)
		e = &cachedBlock{data: make([]byte, len(data))}
		c.blocks[b] = e
	}
	if len(e.data) != len(data) {
		e.data = make([]byte, len(data))
	}
	copy(e.data, data)
	e.checked = false
	e.gen++
	return e.gen
}

// equalRange reports whether block b is cached and holds p at offset
// off.
func (c *blockCache) equalRange(b uint64, off int, p []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.blocks[b]
	return ok && bytes.Equal(e.data[off:off+len(p)], p)
}

// update applies a write of p at byte offset in to block b if cached;
// checked says that the block's new contents are a directory block
// whose checksum the writer has just computed.
func (c *blockCache) update(b uint64, in int, p []byte, checked bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.blocks[b]; ok {
		copy(e.data[in:], p)
		e.checked = checked
		e.gen++
	}
}

func (c *blockCache) drop(start, n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for b := start; b < start+n; b++ {
		delete(c.blocks, b)
	}
}

// reset empties the cache (after a journal replay changed the image
// underneath it).
func (c *blockCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocks, c.order = nil, nil
}

// inodeCache keeps decoded inodes, so that the lookups, stats and
// permission checks of every path walk do not decode and verify the same
// inodes again. An entry is used only while its on-disk bytes (Inode.disk)
// are what the metadata cache holds for its slot, so any write of the
// inode table, by whatever path, makes it stale without further upkeep.
// Entries are shared and never changed (readInode gives writers copies;
// takeInode takes the entry out of the cache first).
type inodeCache struct {
	mu sync.Mutex
	// m is guarded by mu.
	m map[uint32]*Inode
}

// inodeCacheMax bounds the cache: it is emptied when full.
const inodeCacheMax = 16384

func (c *inodeCache) get(ino uint32) *Inode {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[ino]
}

// take removes ino's entry and returns it (nil if there is none).
func (c *inodeCache) take(ino uint32) *Inode {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.m[ino]
	delete(c.m, ino)
	return in
}

// put caches in, which must not change afterwards.
func (c *inodeCache) put(in *Inode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= inodeCacheMax {
		c.m = make(map[uint32]*Inode)
	}
	c.m[in.Ino] = in
}
