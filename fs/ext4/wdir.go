package ext4

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"sort"

	"golang.org/x/sys/unix"
)

// dirBlock is one directory block read for modification.
type dirBlock struct {
	lblk uint64
	phys uint64
	buf  []byte
}

// dirBlockAt reads logical block lblk of a directory, into a scratch
// buffer the caller may give back with putBlockBuf once done with it
// (writes copy what they write).
func (fs *FS) dirBlockAt(in *Inode, exts []Extent, lblk uint64) (*dirBlock, error) {
	db := &dirBlock{}
	if err := fs.loadDirBlock(in, exts, lblk, db); err != nil {
		return nil, err
	}
	return db, nil
}

// loadDirBlock is dirBlockAt into db (which may live on the caller's
// stack).
func (fs *FS) loadDirBlock(in *Inode, exts []Extent, lblk uint64, db *dirBlock) error {
	phys, err := dirBlockPhys(in, exts, lblk)
	if err != nil {
		return err
	}
	*db = dirBlock{lblk: lblk, phys: phys, buf: fs.blockBuf()}
	if err := fs.readDirBlock(in, db.phys, lblk, db.buf); err != nil {
		fs.putBlockBuf(db.buf)
		db.buf = nil
		return err
	}
	return nil
}

// dirBlockPhys maps logical block lblk of directory in, whose extents
// are exts.
func dirBlockPhys(in *Inode, exts []Extent, lblk uint64) (uint64, error) {
	i := sort.Search(len(exts), func(i int) bool {
		return uint64(exts[i].Block)+uint64(exts[i].Len) > lblk
	})
	if i == len(exts) || uint64(exts[i].Block) > lblk || exts[i].Uninit {
		return 0, corrupt("directory inode %d has a hole at block %d", in.Ino, lblk)
	}
	return exts[i].Start + (lblk - uint64(exts[i].Block)), nil
}

// putLeaf writes a modified leaf block with its checksum tail.
func (fs *FS) putLeaf(in *Inode, db *dirBlock) error {
	if fs.csum {
		PutDirTail(db.buf, InodeCsumSeed(fs.csumSeed, in.Ino, in.Generation))
	}
	// The block passes checkDirBlock as written: its checksum is ours.
	return fs.writeBlockChecked(db.phys, db.buf, true)
}

// leafSpace is the part of a leaf block that holds entries.
func (fs *FS) leafSpace() int {
	if fs.csum {
		return fs.blockSize - DirTailSize
	}
	return fs.blockSize
}

func (fs *FS) direntFT(ft uint8) uint8 {
	if fs.hasFT {
		return ft
	}
	return 0
}

// insertInBlock places an entry in the first gap that fits; false when
// the block is full.
func (fs *FS) insertInBlock(b []byte, name string, ino uint32, ft uint8) (bool, error) {
	off, rec, used, ok, err := fs.findGap(b, len(name))
	if !ok || err != nil {
		return false, err
	}
	fs.putEntryAt(b, off, rec, used, name, ino, ft)
	return true, nil
}

// findGap finds the first entry of leaf block b with room after its own
// name (used bytes of its rec_len rec; used is 0 for an empty entry) for
// a name of n bytes; ok is false when the block is full.
func (fs *FS) findGap(b []byte, n int) (off, rec, used int, ok bool, err error) {
	need := DirentSize(n)
	space := fs.leafSpace()
	for off := 0; off < space; {
		rec := decodeRecLen(binary.LittleEndian.Uint16(b[off+4:]), fs.blockSize)
		if rec < 12 || off+rec > space {
			return 0, 0, 0, false, corrupt("directory entry at %d: rec_len %d", off, rec)
		}
		used := 0
		if binary.LittleEndian.Uint32(b[off:]) != 0 {
			nl := int(b[off+6])
			if !fs.hasFT {
				nl |= int(b[off+7]) << 8
			}
			used = DirentSize(nl)
		}
		if rec-used >= need {
			return off, rec, used, true, nil
		}
		off += rec
	}
	return 0, 0, 0, false, nil
}

// putEntryAt puts the entry in the gap findGap found at off of b (b may
// be the bytes from entryStart(off, used) on: see gapBytes).
func (fs *FS) putEntryAt(b []byte, off, rec, used int, name string, ino uint32, ft uint8) {
	if used == 0 {
		PutDirent(b[off:], ino, rec, fs.blockSize, name, fs.direntFT(ft))
		return
	}
	binary.LittleEndian.PutUint16(b[off+4:], EncodeRecLen(used, fs.blockSize))
	PutDirent(b[off+used:], ino, rec-used, fs.blockSize, name, fs.direntFT(ft))
}

// gapRange is the byte range of a leaf block that putEntryAt changes
// for a gap findGap found.
func gapRange(off, used, nameLen int) (lo, hi int) {
	if used == 0 {
		return off, off + direntHeader + nameLen
	}
	return off + 4, off + used + direntHeader + nameLen
}

// appendDirBlock adds an empty leaf block at the end of a directory.
func (fs *FS) appendDirBlock(in *Inode, exts []Extent) (*dirBlock, []Extent, error) {
	lblk := in.Size / uint64(fs.blockSize)
	goal := fs.groupStart((in.Ino - 1) / fs.sb.InodesPerGroup)
	if n := len(exts); n > 0 {
		goal = exts[n-1].Start + uint64(exts[n-1].Len)
	}
	phys, _, err := fs.allocBlocks(goal, 1)
	if err != nil {
		return nil, nil, err
	}
	exts = insertExtent(exts, len(exts), Extent{Block: uint32(lblk), Len: 1, Start: phys})
	if err := fs.setExtents(in, exts); err != nil {
		fs.freeBlocks(phys, 1)
		return nil, nil, err
	}
	fs.addBlocks(in, 1)
	in.setSize(in.Size + uint64(fs.blockSize))
	db := &dirBlock{lblk: lblk, phys: phys, buf: make([]byte, fs.blockSize)}
	PutDirent(db.buf, 0, fs.leafSpace(), fs.blockSize, "", 0)
	return db, exts, nil
}

// addEntry adds name -> ino to directory dir; the caller writes dir.
func (fs *FS) addEntry(dir *Inode, name string, ino uint32, ft uint8) error {
	if dir.Flags&FlagInlineData != 0 {
		return unsupported("adding to inline directory inode %d", dir.Ino)
	}
	if dir.Flags&FlagExtents == 0 {
		return unsupported("adding to indirect-mapped directory inode %d", dir.Ino)
	}
	// (Shared: the blocks appended below copy the slice.)
	exts, err := fs.sharedExtents(dir)
	if err != nil {
		return err
	}
	if dir.Flags&FlagIndex != 0 && fs.sb.HasCompat(CompatDirIndex) {
		return fs.dxAdd(dir, exts, name, ino, ft)
	}
	nblocks := dir.Size / uint64(fs.blockSize)
	for lblk := uint64(0); lblk < nblocks; lblk++ {
		db, err := fs.dirBlockAt(dir, exts, lblk)
		if err != nil {
			return err
		}
		ok, err := fs.insertInBlock(db.buf, name, ino, ft)
		if err != nil {
			return corrupt("directory inode %d block %d: %v", dir.Ino, lblk, err)
		}
		if ok {
			return fs.putLeaf(dir, db)
		}
	}
	if nblocks == 1 && fs.sb.HasCompat(CompatDirIndex) {
		// Like Linux, index a directory when it outgrows its first block.
		return fs.makeIndexed(dir, exts, name, ino, ft)
	}
	db, _, err := fs.appendDirBlock(dir, exts)
	if err != nil {
		return err
	}
	if _, err := fs.insertInBlock(db.buf, name, ino, ft); err != nil {
		return err
	}
	return fs.putLeaf(dir, db)
}

// makeIndexed turns a full one-block directory into an htree: block 0
// becomes the root and the entries, with the new one, move to hash-sorted
// leaves after it.
func (fs *FS) makeIndexed(dir *Inode, exts []Extent, name string, ino uint32, ft uint8) error {
	if fs.sb.FreeBlocksCount() < 8 {
		return unix.ENOSPC // two leaves and extent tree nodes
	}
	root, err := fs.dirBlockAt(dir, exts, 0)
	if err != nil {
		return err
	}
	ents, err := ParseDirBlock(root.buf[:fs.leafSpace()], fs.hasFT, fs.blockSize, nil)
	if err != nil {
		return err
	}
	if len(ents) < 2 || ents[0].Name != "." || ents[1].Name != ".." {
		return corrupt("directory inode %d does not start with '.' and '..'", dir.Ino)
	}
	version := fs.sb.DefHashVersion
	if version > HashTea {
		version = HashHalfMD4
	}
	type hent struct {
		DirEntry
		hash uint32
	}
	var hs []hent
	for _, e := range append(ents[2:], DirEntry{Name: name, Ino: ino, Type: fs.direntFT(ft)}) {
		h, _, _ := DirHash([]byte(e.Name), fs.hashVersion(version), fs.sb.HashSeed)
		hs = append(hs, hent{e, h})
	}
	slices.SortStableFunc(hs, func(a, b hent) int { return cmp.Compare(a.hash, b.hash) })
	// Pack the leaves.
	type leaf struct {
		ents []hent
		hash uint32
	}
	var leaves []leaf
	used := fs.leafSpace()
	for _, e := range hs {
		sz := DirentSize(len(e.Name))
		if used+sz > fs.leafSpace() {
			h := e.hash
			if n := len(leaves); n > 0 {
				last := leaves[n-1].ents
				if last[len(last)-1].hash == h {
					h |= 1
				}
			}
			leaves = append(leaves, leaf{hash: h})
			used = 0
		}
		l := &leaves[len(leaves)-1]
		l.ents = append(l.ents, e)
		used += sz
	}
	var idx []dxEnt
	for i, l := range leaves {
		db, ex, err := fs.appendDirBlock(dir, exts)
		if err != nil {
			return err
		}
		exts = ex
		clear(db.buf)
		off, last := 0, 0
		for _, e := range l.ents {
			sz := DirentSize(len(e.Name))
			PutDirent(db.buf[off:], e.Ino, sz, fs.blockSize, e.Name, e.Type)
			last = off
			off += sz
		}
		binary.LittleEndian.PutUint16(db.buf[last+4:], EncodeRecLen(fs.leafSpace()-last, fs.blockSize))
		if err := fs.putLeaf(dir, db); err != nil {
			return err
		}
		if i == 0 {
			idx = append(idx, dxEnt{block: uint32(db.lblk)})
		} else {
			idx = append(idx, dxEnt{hash: l.hash, block: uint32(db.lblk)})
		}
	}
	b := root.buf
	clear(b)
	PutDirent(b, dir.Ino, 12, fs.blockSize, ".", fs.direntFT(FTDir))
	PutDirent(b[12:], ents[1].Ino, fs.blockSize-12, fs.blockSize, "..", fs.direntFT(FTDir))
	b[dxRootInfoOff+4] = version
	b[dxRootInfoOff+5] = 8
	n := &dxNode{db: root, countOff: dxRootCountOff, limit: DxRootLimit(fs.blockSize, fs.csum), ents: idx}
	if err := fs.putDxNode(dir, n); err != nil {
		return err
	}
	dir.Flags |= FlagIndex
	dir.raw.Flags |= FlagIndex
	return nil
}

// removeEntry deletes name from directory dir (leaf blocks only: "."
// and ".." are never removed) and returns the inode it named.
func (fs *FS) removeEntry(dir *Inode, name string) (uint32, error) {
	if dir.Flags&FlagInlineData != 0 {
		return 0, unsupported("removing from inline directory inode %d", dir.Ino)
	}
	if dir.Flags&FlagExtents == 0 {
		return 0, unsupported("removing from indirect-mapped directory inode %d", dir.Ino)
	}
	exts, err := fs.extents(dir)
	if err != nil {
		return 0, err
	}
	nblocks := dir.Size / uint64(fs.blockSize)
	space := fs.leafSpace()
	for lblk := uint64(0); lblk < nblocks; lblk++ {
		db, err := fs.dirBlockAt(dir, exts, lblk)
		if err != nil {
			return 0, err
		}
		if fs.csum && !hasDirTail(db.buf) {
			continue // an htree index block
		}
		if dir.Flags&FlagIndex != 0 && lblk == 0 {
			continue // the htree root
		}
		b := db.buf
		prev := -1
		for off := 0; off < space; {
			rec := decodeRecLen(binary.LittleEndian.Uint16(b[off+4:]), fs.blockSize)
			if rec < 12 || off+rec > space {
				return 0, corrupt("directory inode %d block %d: rec_len %d", dir.Ino, lblk, rec)
			}
			eino := binary.LittleEndian.Uint32(b[off:])
			nl := int(b[off+6])
			if !fs.hasFT {
				nl |= int(b[off+7]) << 8
			}
			if eino != 0 && nl == len(name) && off+8+nl <= space && string(b[off+8:off+8+nl]) == name {
				if prev >= 0 {
					prec := decodeRecLen(binary.LittleEndian.Uint16(b[prev+4:]), fs.blockSize)
					binary.LittleEndian.PutUint16(b[prev+4:], EncodeRecLen(prec+rec, fs.blockSize))
				} else {
					binary.LittleEndian.PutUint32(b[off:], 0)
				}
				return eino, fs.putLeaf(dir, db)
			}
			prev = off
			off += rec
		}
	}
	return 0, unix.ENOENT
}

// setDotDot points directory dir's ".." at parent.
func (fs *FS) setDotDot(dir *Inode, parent uint32) error {
	if dir.Flags&FlagInlineData != 0 {
		binary.LittleEndian.PutUint32(dir.raw.Block[:], parent)
		return nil
	}
	exts, err := fs.extents(dir)
	if err != nil {
		return err
	}
	db, err := fs.dirBlockAt(dir, exts, 0)
	if err != nil {
		return err
	}
	b := db.buf
	rec := decodeRecLen(binary.LittleEndian.Uint16(b[4:]), fs.blockSize)
	if rec < 12 || rec+12 > len(b) || b[rec+6] != 2 || string(b[rec+8:rec+10]) != ".." {
		return corrupt("directory inode %d has no '..' entry", dir.Ino)
	}
	binary.LittleEndian.PutUint32(b[rec:], parent)
	if dir.Flags&FlagIndex != 0 && !(fs.csum && hasDirTail(b)) {
		return fs.putDx(dir, db, dxRootInfoOff+int(b[dxRootInfoOff+5]))
	}
	return fs.putLeaf(dir, db)
}

// putDx writes an htree index block, updating its checksum.
func (fs *FS) putDx(dir *Inode, db *dirBlock, countOff int) error {
	if fs.csum {
		b := db.buf
		limit := int(binary.LittleEndian.Uint16(b[countOff:]))
		count := int(binary.LittleEndian.Uint16(b[countOff+2:]))
		tail := countOff + limit*dxEntrySize
		if count > limit || tail+dxTailSize > len(b) {
			return corrupt("directory inode %d: htree count %d limit %d", dir.Ino, count, limit)
		}
		binary.LittleEndian.PutUint32(b[tail:], 0)
		binary.LittleEndian.PutUint32(b[tail+4:], DxChecksum(b, countOff, count, tail, InodeCsumSeed(fs.csumSeed, dir.Ino, dir.Generation)))
	}
	return fs.writeBlock(db.phys, db.buf)
}

// dxNode is an htree index block being modified.
type dxNode struct {
	db       *dirBlock
	countOff int
	limit    int
	ents     []dxEnt // ents[0].hash is unused (it holds count/limit)
	pos      int     // the entry followed on the way down
}

type dxEnt struct{ hash, block uint32 }

func (fs *FS) readDxNode(dir *Inode, exts []Extent, lblk uint64, countOff int) (*dxNode, error) {
	db, err := fs.dirBlockAt(dir, exts, lblk)
	if err != nil {
		return nil, err
	}
	b := db.buf
	if countOff == dxNodeCountOff {
		if err := dxCheckNode(dir, lblk, b); err != nil {
			return nil, err
		}
	}
	count, limit, err := dxCountLimit(dir, lblk, b, countOff)
	if err != nil {
		return nil, err
	}
	n := &dxNode{db: db, countOff: countOff, limit: limit}
	n.ents = make([]dxEnt, 0, count+1)
	for i := 0; i < count; i++ {
		p := b[countOff+i*dxEntrySize:]
		e := dxEnt{block: binary.LittleEndian.Uint32(p[4:])}
		if i > 0 {
			e.hash = binary.LittleEndian.Uint32(p)
		}
		n.ents = append(n.ents, e)
	}
	return n, nil
}

// dxCountLimit returns the entry count and limit of htree index block
// lblk of directory dir, b, whose count is at countOff.
func dxCountLimit(dir *Inode, lblk uint64, b []byte, countOff int) (count, limit int, err error) {
	limit = int(binary.LittleEndian.Uint16(b[countOff:]))
	count = int(binary.LittleEndian.Uint16(b[countOff+2:]))
	if count == 0 || count > limit || countOff+limit*dxEntrySize > len(b) {
		return 0, 0, corrupt("directory inode %d block %d: htree count %d limit %d", dir.Ino, lblk, count, limit)
	}
	return count, limit, nil
}

func (fs *FS) putDxNode(dir *Inode, n *dxNode) error {
	b := n.db.buf
	binary.LittleEndian.PutUint16(b[n.countOff:], uint16(n.limit))
	binary.LittleEndian.PutUint16(b[n.countOff+2:], uint16(len(n.ents)))
	for i, e := range n.ents {
		p := b[n.countOff+i*dxEntrySize:]
		if i > 0 {
			binary.LittleEndian.PutUint32(p, e.hash)
		}
		binary.LittleEndian.PutUint32(p[4:], e.block)
	}
	clear(b[n.countOff+len(n.ents)*dxEntrySize : n.countOff+n.limit*dxEntrySize])
	return fs.putDx(dir, n.db, n.countOff)
}

// find sets pos to the last entry whose hash is <= h.
func (n *dxNode) find(h uint32) {
	n.pos = dxSearch(len(n.ents), func(j int) uint32 { return n.ents[j].hash }, h)
}

// dxSearch returns the last of the count entries of an index node whose
// hash (hashAt) is <= h: entry 0 covers from hash 0.
func dxSearch(count int, hashAt func(j int) uint32, h uint32) int {
	return sort.Search(count-1, func(j int) bool { return hashAt(j+1) > h })
}

// dxAdd inserts into an htree directory, splitting a full leaf and, when
// needed, the index above it (adding the second index level when the root
// fills up).
//
// The common case, a leaf with room, follows the index where the
// metadata cache holds its blocks, without copying or decoding them, and
// writes the bytes of the leaf that change and its checksum; a full leaf
// is left to dxSplitAdd.
func (fs *FS) dxAdd(dir *Inode, exts []Extent, name string, ino uint32, ft uint8) error {
	var blk uint32
	var off, rec, used int
	var found bool
	var ierr error
	if cg := fs.createGap; cg.gap.ok && cg.seq == fs.opSeq && cg.dir == dir.Ino && cg.name == name {
		// The Lookup that did not find the name, just before this
		// operation, saw where it goes.
		fs.createGap = createGap{}
		blk, off, rec, used, found = cg.gap.leaf, cg.gap.off, cg.gap.rec, cg.gap.used, true
	} else if err := fs.dxFindLeaf(dir, exts, name, &blk); err != nil {
		return err
	}
	phys, err := dirBlockPhys(dir, exts, uint64(blk))
	if err != nil {
		return err
	}
	// The gap, and the bytes around it that change, from the cached
	// leaf; anything else (an uncached or unverified leaf, one without
	// a checksum tail where there should be one) goes the long way.
	chg := fs.blockBuf()
	defer fs.putBlockBuf(chg)
	var lo, hi int
	viewed := fs.cache.view(phys, fs.csum, func(b []byte) {
		if fs.csum && !hasDirTail(b) {
			ierr = errSlowPath
			return
		}
		if found && (off+direntHeader > len(b) ||
			decodeRecLen(binary.LittleEndian.Uint16(b[off+4:]), fs.blockSize) != rec ||
			(binary.LittleEndian.Uint32(b[off:]) != 0) != (used != 0)) {
			found = false // (not the entry the lookup saw: search again)
		}
		if !found {
			if off, rec, used, found, ierr = fs.findGap(b, len(name)); !found || ierr != nil {
				return
			}
		}
		lo, hi = gapRange(off, used, len(name))
		copy(chg, b[lo:hi])
	})
	switch {
	case !viewed || ierr == errSlowPath:
		return fs.dxLeafAdd(dir, exts, uint64(blk), name, ino, ft)
	case ierr != nil:
		return ierr
	case !found:
		return fs.dxSplitAdd(dir, exts, name, ino, ft)
	}
	fs.putEntryAt(chg[:hi-lo], off-lo, rec, used, name, ino, ft)
	bs := int64(fs.blockSize)
	if err := fs.metaWrite(chg[:hi-lo], int64(phys)*bs+int64(lo)); err != nil {
		return err
	}
	if !fs.csum {
		return nil
	}
	seed := InodeCsumSeed(fs.csumSeed, dir.Ino, dir.Generation)
	var c uint32
	if !fs.cache.view(phys, false, func(b []byte) { c = crc32c(seed, b[:len(b)-DirTailSize]) }) {
		// (Not reached: the block was just written into the cache.)
		if err := fs.readBlock(phys, chg); err != nil {
			return err
		}
		c = crc32c(seed, chg[:len(chg)-DirTailSize])
	}
	binary.LittleEndian.PutUint32(chg, c)
	// The block passes checkDirBlock as written: its checksum is ours.
	return fs.metaWriteChecked(chg[:4], int64(phys)*bs+bs-4, true)
}

// dxFindLeaf sets *blk to the htree leaf of directory dir (whose
// extents are exts) that name hashes to.
func (fs *FS) dxFindLeaf(dir *Inode, exts []Extent, name string, blk *uint32) error {
	f := File{fs: fs, in: dir, extents: exts}
	buf := fs.blockBuf()
	defer fs.putBlockBuf(buf)
	var levels int
	var hash uint32
	var ierr error
	err := fs.withDirFileBlock(dir, &f, 0, buf, func(rb []byte) {
		if levels, hash, ierr = fs.dxRootHash(dir, rb, name); ierr == nil {
			*blk, ierr = dxFollow(dir, 0, rb, dxRootCountOff, hash)
		}
	})
	for level := 0; err == nil && ierr == nil && level < levels; level++ {
		lblk := uint64(*blk)
		err = fs.withDirFileBlock(dir, &f, lblk, buf, func(nb []byte) {
			if ierr = dxCheckNode(dir, lblk, nb); ierr == nil {
				*blk, ierr = dxFollow(dir, lblk, nb, dxNodeCountOff, hash)
			}
		})
	}
	if err == nil {
		err = ierr
	}
	return err
}

// dxMaxLevels is the number of index levels an htree may have: the
// root and one level of interior nodes, a second with large_dir.
func (fs *FS) dxMaxLevels() int {
	if fs.sb.HasIncompat(IncompatLargeDir) {
		return 3
	}
	return 2
}

// dxRootHash checks the htree root rb of directory dir and returns the
// number of interior levels below it and name's hash.
func (fs *FS) dxRootHash(dir *Inode, rb []byte, name string) (levels int, hash uint32, err error) {
	if rb[dxRootInfoOff+5] != 8 || rb[dxRootInfoOff+7] != 0 {
		return 0, 0, corrupt("directory inode %d: bad htree root", dir.Ino)
	}
	if levels = int(rb[dxRootInfoOff+6]); levels >= fs.dxMaxLevels() {
		return 0, 0, corrupt("directory inode %d: htree of %d levels", dir.Ino, levels+1)
	}
	version := fs.hashVersion(rb[dxRootInfoOff+4])
	hash, _, ok := DirHash([]byte(name), version, fs.sb.HashSeed)
	if !ok {
		return 0, 0, unsupported("htree hash version %d", version)
	}
	return levels, hash, nil
}

// dxCheckNode checks that block lblk of directory dir, b, is an htree
// interior node (hidden behind an empty entry spanning the block).
func dxCheckNode(dir *Inode, lblk uint64, b []byte) error {
	if binary.LittleEndian.Uint32(b) != 0 || decodeRecLen(binary.LittleEndian.Uint16(b[4:]), len(b)) != len(b) {
		return corrupt("directory inode %d block %d: not an htree node", dir.Ino, lblk)
	}
	return nil
}

// errSlowPath is dxAdd's note that the leaf is to be changed by
// dxLeafAdd.
var errSlowPath = errors.New("ext4: leaf needs the slow path")

// dxLeafAdd is dxAdd's insert into leaf lblk, read whole and written
// whole.
func (fs *FS) dxLeafAdd(dir *Inode, exts []Extent, lblk uint64, name string, ino uint32, ft uint8) error {
	var leaf dirBlock
	if err := fs.loadDirBlock(dir, exts, lblk, &leaf); err != nil {
		return err
	}
	defer fs.putBlockBuf(leaf.buf)
	if ok, err := fs.insertInBlock(leaf.buf, name, ino, ft); err != nil {
		return err
	} else if ok {
		return fs.putLeaf(dir, &leaf)
	}
	return fs.dxSplitAdd(dir, exts, name, ino, ft)
}

// dxFollow returns the block of the entry of htree index block lblk,
// b (its count at countOff), that hash falls in, as dxNode.find,
// checking the node's count and limit as readDxNode does.
func dxFollow(dir *Inode, lblk uint64, b []byte, countOff int, hash uint32) (uint32, error) {
	count, _, err := dxCountLimit(dir, lblk, b, countOff)
	if err != nil {
		return 0, err
	}
	ents := b[countOff : countOff+count*dxEntrySize]
	i := dxSearch(count, func(j int) uint32 { return binary.LittleEndian.Uint32(ents[j*dxEntrySize:]) }, hash)
	return binary.LittleEndian.Uint32(ents[i*dxEntrySize+4:]), nil
}

// dxSplitAdd is dxAdd when the leaf the name hashes to is full.
func (fs *FS) dxSplitAdd(dir *Inode, exts []Extent, name string, ino uint32, ft uint8) error {
	root, err := fs.readDxNode(dir, exts, 0, dxRootCountOff)
	if err != nil {
		return err
	}
	rb := root.db.buf
	levels, hash, err := fs.dxRootHash(dir, rb, name)
	if err != nil {
		return err
	}
	version := fs.hashVersion(rb[dxRootInfoOff+4])
	path := []*dxNode{root}
	root.find(hash)
	for len(path) <= levels {
		p := path[len(path)-1]
		node, err := fs.readDxNode(dir, exts, uint64(p.ents[p.pos].block), dxNodeCountOff)
		if err != nil {
			return err
		}
		node.find(hash)
		path = append(path, node)
	}
	parent := path[len(path)-1]
	leaf, err := fs.dirBlockAt(dir, exts, uint64(parent.ents[parent.pos].block))
	if err != nil {
		return err
	}
	if ok, err := fs.insertInBlock(leaf.buf, name, ino, ft); err != nil {
		return err
	} else if ok {
		return fs.putLeaf(dir, leaf)
	}

	// Split the leaf: entries sorted by hash, the upper half moves to a
	// new block appended to the directory. A split takes up to three
	// blocks (leaf, index node, extent tree node): make sure they are
	// there before moving anything.
	if fs.sb.FreeBlocksCount() < 8 || !fs.dxIndexRoom(path, levels) {
		return unix.ENOSPC
	}
	ents, err := ParseDirBlock(leaf.buf[:fs.leafSpace()], fs.hasFT, fs.blockSize, nil)
	if err != nil {
		return err
	}
	type hent struct {
		DirEntry
		hash uint32
	}
	hs := make([]hent, 0, len(ents)+1)
	for _, e := range ents {
		h, _, _ := DirHash([]byte(e.Name), version, fs.sb.HashSeed)
		hs = append(hs, hent{e, h})
	}
	hs = append(hs, hent{DirEntry{Name: name, Ino: ino, Type: fs.direntFT(ft)}, hash})
	slices.SortStableFunc(hs, func(a, b hent) int { return cmp.Compare(a.hash, b.hash) })
	total := 0
	for _, e := range hs {
		total += DirentSize(len(e.Name))
	}
	k, acc := 0, 0
	for k < len(hs)-1 && acc+DirentSize(len(hs[k].Name)) <= total/2 {
		acc += DirentSize(len(hs[k].Name))
		k++
	}
	k = max(k, 1)
	splitHash := hs[k].hash
	if hs[k-1].hash == splitHash {
		splitHash |= 1 // equal hashes continue into the new block
	}
	newLeaf, exts2, err := fs.appendDirBlock(dir, exts)
	if err != nil {
		return err
	}
	exts = exts2
	pack := func(b []byte, es []hent) {
		clear(b)
		off, last := 0, 0
		for _, e := range es {
			sz := DirentSize(len(e.Name))
			PutDirent(b[off:], e.Ino, sz, fs.blockSize, e.Name, e.Type)
			last = off
			off += sz
		}
		binary.LittleEndian.PutUint16(b[last+4:], EncodeRecLen(fs.leafSpace()-last, fs.blockSize))
	}
	pack(leaf.buf, hs[:k])
	pack(newLeaf.buf, hs[k:])
	if err := fs.putLeaf(dir, leaf); err != nil {
		return err
	}
	if err := fs.putLeaf(dir, newLeaf); err != nil {
		return err
	}
	return fs.dxInsertIndex(dir, exts, path, dxEnt{hash: splitHash, block: uint32(newLeaf.lblk)})
}

// dxIndexRoom reports whether the index on path (levels interior levels
// below the root) can take one more entry: a node on it has room, or
// the root can move down a level.
func (fs *FS) dxIndexRoom(path []*dxNode, levels int) bool {
	for _, n := range path {
		if len(n.ents) < n.limit {
			return true
		}
	}
	return levels+1 < fs.dxMaxLevels()
}

// dxInsertIndex inserts e after the followed entry of the deepest node of
// path, splitting or deepening the index when it is full (the caller
// checked dxIndexRoom).
func (fs *FS) dxInsertIndex(dir *Inode, exts []Extent, path []*dxNode, e dxEnt) error {
	n := path[len(path)-1]
	if len(n.ents) < n.limit {
		n.ents = slices.Insert(n.ents, n.pos+1, e)
		return fs.putDxNode(dir, n)
	}
	db, exts, err := fs.appendDirBlock(dir, exts)
	if err != nil {
		return err
	}
	clear(db.buf)
	PutDirent(db.buf, 0, fs.blockSize, fs.blockSize, "", 0)
	if len(path) == 1 {
		// The root is full: move its entries into a new interior node
		// and make the root point at that node alone, one level more.
		root := n
		child := &dxNode{db: db, countOff: dxNodeCountOff, limit: DxNodeLimit(fs.blockSize, fs.csum),
			ents: append([]dxEnt(nil), root.ents...), pos: root.pos}
		root.ents = []dxEnt{{block: uint32(db.lblk)}}
		root.pos = 0
		root.db.buf[dxRootInfoOff+6]++
		if err := fs.putDxNode(dir, root); err != nil {
			return err
		}
		return fs.dxInsertIndex(dir, exts, []*dxNode{root, child}, e)
	}
	// A full interior node: split it in two and index the new half
	// from its parent.
	half := len(n.ents) / 2
	upper := &dxNode{db: db, countOff: dxNodeCountOff, limit: n.limit, ents: append([]dxEnt(nil), n.ents[half:]...)}
	upperHash := n.ents[half].hash
	n.ents = n.ents[:half:half]
	target := n
	if n.pos >= half {
		target = upper
		upper.pos = n.pos - half
	}
	target.ents = slices.Insert(target.ents, target.pos+1, e)
	if err := fs.putDxNode(dir, n); err != nil {
		return err
	}
	if err := fs.putDxNode(dir, upper); err != nil {
		return err
	}
	return fs.dxInsertIndex(dir, exts, path[:len(path)-1], dxEnt{hash: upperHash, block: uint32(db.lblk)})
}

// setEntry points the existing entry name of directory dir at ino (with
// file type ft).
func (fs *FS) setEntry(dir *Inode, name string, ino uint32, ft uint8) error {
	exts, err := fs.extents(dir)
	if err != nil {
		return err
	}
	space := fs.leafSpace()
	for lblk := uint64(0); lblk < dir.Size/uint64(fs.blockSize); lblk++ {
		db, err := fs.dirBlockAt(dir, exts, lblk)
		if err != nil {
			return err
		}
		if fs.csum && !hasDirTail(db.buf) || dir.Flags&FlagIndex != 0 && lblk == 0 {
			continue // htree index blocks
		}
		b := db.buf
		for off := 0; off < space; {
			rec := decodeRecLen(binary.LittleEndian.Uint16(b[off+4:]), fs.blockSize)
			if rec < 12 || off+rec > space {
				return corrupt("directory inode %d block %d: rec_len %d", dir.Ino, lblk, rec)
			}
			nl := int(b[off+6])
			if !fs.hasFT {
				nl |= int(b[off+7]) << 8
			}
			if binary.LittleEndian.Uint32(b[off:]) != 0 && nl == len(name) && off+8+nl <= space &&
				string(b[off+8:off+8+nl]) == name {
				binary.LittleEndian.PutUint32(b[off:], ino)
				b[off+7] = fs.direntFT(ft)
				return fs.putLeaf(dir, db)
			}
			off += rec
		}
	}
	return unix.ENOENT
}
