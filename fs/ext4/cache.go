package ext4

import (
	"bytes"
	"sync"
)

// blockCache keeps recently read metadata blocks (inode table blocks,
// bitmaps, directory, extent tree and xattr blocks) so that lookups and
// allocations do not read the same blocks again. Metadata writes update
// it; freed blocks leave it. File data never goes through it.
type blockCache struct {
	mu sync.Mutex
	// blocks and order are guarded by mu.
	blocks map[uint64][]byte
	order  []uint64 // insertion order, for eviction
}

const blockCacheMax = 4096

func (c *blockCache) get(b uint64, buf []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.blocks[b]
	if ok {
		copy(buf, d)
	}
	return ok
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
	d, ok := c.blocks[b]
	if ok {
		copy(p, d[off:])
	}
	return ok
}

func (c *blockCache) put(b uint64, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.blocks == nil {
		c.blocks = map[uint64][]byte{}
	}
	if _, ok := c.blocks[b]; !ok {
		for len(c.blocks) >= blockCacheMax && len(c.order) > 0 {
			delete(c.blocks, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, b)
	}
	c.blocks[b] = append([]byte(nil), data...)
}

// equalRange reports whether block b is cached and holds p at offset
// off.
func (c *blockCache) equalRange(b uint64, off int, p []byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	d, ok := c.blocks[b]
	return ok && bytes.Equal(d[off:off+len(p)], p)
}

// update applies a write of p at byte offset in to block b if cached.
func (c *blockCache) update(b uint64, in int, p []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d, ok := c.blocks[b]; ok {
		copy(d[in:], p)
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
// Entries are shared and never changed (readInode gives writers copies).
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

// put caches in, which must not change afterwards.
func (c *inodeCache) put(in *Inode) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= inodeCacheMax {
		c.m = make(map[uint32]*Inode)
	}
	c.m[in.Ino] = in
}
