package ext4

import (
	"encoding/binary"
)

// ExtentHeader is struct ext4_extent_header.
type ExtentHeader struct {
	Magic      uint16
	Entries    uint16
	Max        uint16
	Depth      uint16
	Generation uint32
}

// Extent is a leaf entry: Len blocks starting at logical block Block map
// to physical block Start. Uninit extents read as zeros.
type Extent struct {
	Block  uint32
	Len    uint16 // 1..32768 (initialized) or 1..32767 (uninit)
	Uninit bool
	Start  uint64
}

// ExtentIndex is an interior entry pointing at the node for logical
// blocks from Block on.
type ExtentIndex struct {
	Block uint32
	Leaf  uint64
}

const (
	extentHeaderSize = 12
	extentEntrySize  = 12
	// maxExtentDepth is the deepest tree Linux builds (EXT4_MAX_EXTENT_DEPTH).
	maxExtentDepth = 5
)

// DecodeExtentHeader parses the 12-byte header at the start of b.
func DecodeExtentHeader(b []byte) (ExtentHeader, error) {
	if len(b) < extentHeaderSize {
		return ExtentHeader{}, corrupt("short extent header")
	}
	h := ExtentHeader{
		Magic:      binary.LittleEndian.Uint16(b[0:]),
		Entries:    binary.LittleEndian.Uint16(b[2:]),
		Max:        binary.LittleEndian.Uint16(b[4:]),
		Depth:      binary.LittleEndian.Uint16(b[6:]),
		Generation: binary.LittleEndian.Uint32(b[8:]),
	}
	if h.Magic != ExtentMagic {
		return h, corrupt("extent header magic 0x%04x", h.Magic)
	}
	capacity := (len(b) - extentHeaderSize) / extentEntrySize
	if h.Max == 0 || int(h.Max) > capacity || h.Entries > h.Max {
		return h, corrupt("extent header entries %d max %d (room for %d)", h.Entries, h.Max, capacity)
	}
	if h.Depth > maxExtentDepth {
		return h, corrupt("extent tree depth %d", h.Depth)
	}
	return h, nil
}

// Encode writes the header into b[0:12].
func (h ExtentHeader) Encode(b []byte) {
	binary.LittleEndian.PutUint16(b[0:], h.Magic)
	binary.LittleEndian.PutUint16(b[2:], h.Entries)
	binary.LittleEndian.PutUint16(b[4:], h.Max)
	binary.LittleEndian.PutUint16(b[6:], h.Depth)
	binary.LittleEndian.PutUint32(b[8:], h.Generation)
}

// DecodeExtent parses a 12-byte leaf entry.
func DecodeExtent(b []byte) Extent {
	e := Extent{
		Block: binary.LittleEndian.Uint32(b[0:]),
		Len:   binary.LittleEndian.Uint16(b[4:]),
		Start: uint64(binary.LittleEndian.Uint16(b[6:]))<<32 | uint64(binary.LittleEndian.Uint32(b[8:])),
	}
	if e.Len > MaxInitExtentLen {
		e.Len -= MaxInitExtentLen
		e.Uninit = true
	}
	return e
}

// Encode writes the entry into b[0:12].
func (e Extent) Encode(b []byte) {
	l := e.Len
	if e.Uninit {
		l += MaxInitExtentLen
	}
	binary.LittleEndian.PutUint32(b[0:], e.Block)
	binary.LittleEndian.PutUint16(b[4:], l)
	binary.LittleEndian.PutUint16(b[6:], uint16(e.Start>>32))
	binary.LittleEndian.PutUint32(b[8:], uint32(e.Start))
}

// DecodeExtentIndex parses a 12-byte index entry.
func DecodeExtentIndex(b []byte) ExtentIndex {
	return ExtentIndex{
		Block: binary.LittleEndian.Uint32(b[0:]),
		Leaf:  uint64(binary.LittleEndian.Uint32(b[4:])) | uint64(binary.LittleEndian.Uint16(b[8:]))<<32,
	}
}

// Encode writes the entry into b[0:12].
func (x ExtentIndex) Encode(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], x.Block)
	binary.LittleEndian.PutUint32(b[4:], uint32(x.Leaf))
	binary.LittleEndian.PutUint16(b[8:], uint16(x.Leaf>>32))
	binary.LittleEndian.PutUint16(b[10:], 0)
}

// ExtentBlockChecksum computes the checksum of an extent tree block (stored
// in the 4 bytes after the header's eh_max entries).
func ExtentBlockChecksum(block []byte, inodeSeed uint32, max uint16) (tailOff int, sum uint32) {
	tailOff = extentHeaderSize + int(max)*extentEntrySize
	return tailOff, crc32c(inodeSeed, block[:tailOff])
}

// extentWalker collects the leaf extents of a file in logical order.
type extentWalker struct {
	fs    *FS
	in    *Inode
	seed  uint32
	out   []Extent
	next  uint64 // first logical block not yet covered (ordering check)
	nodes uint64 // tree nodes read (bounded by the block count)
}

// extents returns the leaf extents of an extent-mapped inode, checking the
// tree's structure and checksums.
func (fs *FS) extents(in *Inode) ([]Extent, error) {
	return fs.extentsOf(in, false)
}

// sharedExtents is extents for callers that neither change the slice's
// elements nor keep it past the operation (the cached extents of a large
// directory are not copied). Appending to it copies it.
func (fs *FS) sharedExtents(in *Inode) ([]Extent, error) {
	return fs.extentsOf(in, true)
}

func (fs *FS) extentsOf(in *Inode, shared bool) ([]Extent, error) {
	w := &extentWalker{fs: fs, in: in}
	if fs.csum {
		w.seed = InodeCsumSeed(fs.csumSeed, in.Ino, in.Generation)
	}
	h, err := DecodeExtentHeader(in.raw.Block[:])
	if err != nil {
		return nil, corrupt("inode %d: %v", in.Ino, err)
	}
	if h.Depth > 0 {
		if exts, ok := fs.cachedExtents(in, shared); ok {
			return exts, nil
		}
	}
	if err := w.node(in.raw.Block[:], h, -1, 0); err != nil {
		return nil, err
	}
	if h.Depth > 0 {
		fs.cacheExtents(in, w.out)
	}
	return w.out, nil
}

// extCacheEntry is an inode's decoded extents and what they were decoded
// from.
type extCacheEntry struct {
	gen  uint32
	root [IBlockSize]byte
	exts []Extent
}

// extCacheMax bounds the inodes whose extents are kept.
const extCacheMax = 64

// cachedExtents returns a copy of in's cached extents (callers change
// the slices they get), or the cached slice itself if shared (capped, so
// that an append copies it), if its entry still matches in.
func (fs *FS) cachedExtents(in *Inode, shared bool) ([]Extent, bool) {
	fs.extMu.Lock()
	defer fs.extMu.Unlock()
	e, ok := fs.extCache[in.Ino]
	if !ok || e.gen != in.Generation || e.root != in.raw.Block {
		return nil, false
	}
	if shared {
		return e.exts[:len(e.exts):len(e.exts)], true
	}
	return append([]Extent(nil), e.exts...), true
}

// cacheExtents keeps a copy of exts, just decoded from in.
func (fs *FS) cacheExtents(in *Inode, exts []Extent) {
	fs.extMu.Lock()
	defer fs.extMu.Unlock()
	if fs.extCache == nil || len(fs.extCache) >= extCacheMax {
		fs.extCache = map[uint32]extCacheEntry{}
	}
	fs.extCache[in.Ino] = extCacheEntry{gen: in.Generation, root: in.raw.Block, exts: append([]Extent(nil), exts...)}
}

// forgetExtents drops ino's cached extents (all inodes' if ino is 0).
func (fs *FS) forgetExtents(ino uint32) {
	fs.extMu.Lock()
	defer fs.extMu.Unlock()
	if ino == 0 {
		fs.extCache = nil
		return
	}
	delete(fs.extCache, ino)
}

// node walks one tree node. wantDepth is the depth the parent implies (-1
// for the root); floor is the first logical block the node may map.
func (w *extentWalker) node(b []byte, h ExtentHeader, wantDepth int, floor uint32) error {
	if wantDepth >= 0 && int(h.Depth) != wantDepth {
		return corrupt("inode %d: extent node depth %d, want %d", w.in.Ino, h.Depth, wantDepth)
	}
	ents := b[extentHeaderSize:]
	if h.Depth == 0 {
		for i := 0; i < int(h.Entries); i++ {
			e := DecodeExtent(ents[i*extentEntrySize:])
			if e.Len == 0 || uint64(e.Block) < w.next || e.Block < floor {
				return corrupt("inode %d: extent %d (logical %d) out of order", w.in.Ino, i, e.Block)
			}
			end := uint64(e.Block) + uint64(e.Len)
			if end > 1<<32 || e.Start < uint64(w.fs.sb.FirstDataBlock) || e.Start+uint64(e.Len) > w.fs.blocks {
				return corrupt("inode %d: extent %d maps blocks %d+%d outside the file system", w.in.Ino, i, e.Start, e.Len)
			}
			w.next = end
			w.out = append(w.out, e)
		}
		return nil
	}
	buf := w.fs.blockBuf()
	defer w.fs.putBlockBuf(buf)
	for i := 0; i < int(h.Entries); i++ {
		x := DecodeExtentIndex(ents[i*extentEntrySize:])
		if uint64(x.Block) < w.next || x.Block < floor {
			return corrupt("inode %d: extent index %d (logical %d) out of order", w.in.Ino, i, x.Block)
		}
		if i+1 < int(h.Entries) {
			if nx := DecodeExtentIndex(ents[(i+1)*extentEntrySize:]); nx.Block <= x.Block {
				return corrupt("inode %d: extent index entries not increasing", w.in.Ino)
			}
		}
		if !w.fs.validBlock(x.Leaf) {
			return corrupt("inode %d: extent node block %d out of range", w.in.Ino, x.Leaf)
		}
		w.nodes++
		if w.nodes > w.fs.blocks {
			return corrupt("inode %d: extent tree too large", w.in.Ino)
		}
		if err := w.fs.readBlock(x.Leaf, buf); err != nil {
			return err
		}
		ch, err := DecodeExtentHeader(buf)
		if err != nil {
			return corrupt("inode %d: extent block %d: %v", w.in.Ino, x.Leaf, err)
		}
		if w.fs.csum {
			off, sum := ExtentBlockChecksum(buf, w.seed, ch.Max)
			if off+4 > len(buf) || binary.LittleEndian.Uint32(buf[off:]) != sum {
				return corrupt("inode %d: extent block %d checksum mismatch", w.in.Ino, x.Leaf)
			}
		}
		if err := w.node(buf, ch, int(h.Depth)-1, x.Block); err != nil {
			return err
		}
	}
	return nil
}

// blockMapExtents turns an indirect block map (ext2/ext3) into extents.
func (fs *FS) blockMapExtents(in *Inode) ([]Extent, error) {
	return fs.blockMap(in, nil)
}

// blockMap walks an indirect block map; meta, if not nil, collects the
// indirect blocks themselves.
func (fs *FS) blockMap(in *Inode, meta *[]uint64) ([]Extent, error) {
	perBlock := uint64(fs.blockSize / 4)
	nblocks := (in.Size + uint64(fs.blockSize) - 1) / uint64(fs.blockSize)
	maxBlocks := uint64(NDirBlocks) + perBlock + perBlock*perBlock + perBlock*perBlock*perBlock
	if nblocks > maxBlocks {
		return nil, corrupt("inode %d: size %d too large for a block map", in.Ino, in.Size)
	}
	var out []Extent
	add := func(lblk, pblk uint64) error {
		if pblk == 0 {
			return nil
		}
		if !fs.validBlock(pblk) {
			return corrupt("inode %d: block %d out of range", in.Ino, pblk)
		}
		if n := len(out); n > 0 {
			last := &out[n-1]
			if uint64(last.Block)+uint64(last.Len) == lblk && last.Start+uint64(last.Len) == pblk && last.Len < MaxInitExtentLen {
				last.Len++
				return nil
			}
		}
		out = append(out, Extent{Block: uint32(lblk), Len: 1, Start: pblk})
		return nil
	}
	for i := uint64(0); i < NDirBlocks && i < nblocks; i++ {
		if err := add(i, uint64(binary.LittleEndian.Uint32(in.raw.Block[4*i:]))); err != nil {
			return nil, err
		}
	}
	var reads uint64
	var walk func(blk uint64, level int, base, span uint64) error
	walk = func(blk uint64, level int, base, span uint64) error {
		if blk == 0 || base >= nblocks {
			return nil
		}
		if !fs.validBlock(blk) {
			return corrupt("inode %d: indirect block %d out of range", in.Ino, blk)
		}
		if reads++; reads > fs.blocks {
			return corrupt("inode %d: block map too large", in.Ino)
		}
		if meta != nil {
			*meta = append(*meta, blk)
		}
		buf := make([]byte, fs.blockSize)
		if err := fs.readBlock(blk, buf); err != nil {
			return err
		}
		for i := uint64(0); i < perBlock; i++ {
			p := uint64(binary.LittleEndian.Uint32(buf[4*i:]))
			lb := base + i*span
			if lb >= nblocks {
				break
			}
			var err error
			if level == 0 {
				err = add(lb, p)
			} else {
				err = walk(p, level-1, lb, span/perBlock)
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	base := uint64(NDirBlocks)
	span := uint64(1)
	for level := 0; level < 3; level++ {
		p := uint64(binary.LittleEndian.Uint32(in.raw.Block[4*(NDirBlocks+level):]))
		if err := walk(p, level, base, span); err != nil {
			return nil, err
		}
		base += span * perBlock
		span *= perBlock
	}
	return out, nil
}
