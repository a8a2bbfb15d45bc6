package image

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/ext4"
)

// build lays the collected tree out in total blocks and writes it.
func (b *builder) build(total uint64) error {
	bs := uint64(b.opts.BlockSize)
	// Room for the tree and half as many files again, and at least one
	// inode per bytesPerIno of space, so that the image stays usable.
	inodes := max(uint64(b.opts.Inodes), uint64(len(b.nodes))*3/2+64, total*bs/bytesPerIno)
	geo, err := newGeometry(bs, total, inodes)
	if err != nil {
		return err
	}
	b.geo = geo
	b.next, b.group = 0, 0
	b.usedDirs = make([]uint32, geo.groups)
	b.itables = make([][]byte, geo.groups)
	b.buf = make([]byte, 1<<20)
	b.sb = b.superblock()
	if uint64(len(b.nodes)) > geo.ipg*geo.groups {
		return ErrNoSpace
	}
	if err := b.out.Truncate(0); err != nil {
		return err
	}
	if err := b.out.Truncate(int64(geo.total * bs)); err != nil {
		return err
	}
	b.jblocks = 0
	if !b.opts.NoJournal {
		b.jblocks = journalBlocks(geo.total)
		if b.jblocks*4 > geo.dataBlocks() {
			b.jblocks = 0 // too small for a journal, like mke2fs
		}
	}
	if b.jblocks > 0 {
		if err := b.writeJournal(); err != nil {
			return err
		}
	}
	for i, n := range b.nodes {
		if n == nil {
			continue
		}
		if err := b.writeNode(n); err != nil {
			return err
		}
		if b.opts.Progress != nil && (i%256 == 0 || i == len(b.nodes)-1) {
			b.opts.Progress(i+1, len(b.nodes))
		}
	}
	return b.writeMetadata()
}

func (b *builder) superblock() *ext4.Superblock {
	g := b.geo
	sb := &ext4.Superblock{
		InodesCount:      uint32(g.ipg * g.groups),
		FirstDataBlock:   uint32(g.fdb),
		BlocksPerGroup:   uint32(g.bpg),
		ClustersPerGroup: uint32(g.bpg),
		InodesPerGroup:   uint32(g.ipg),
		Wtime:            uint32(b.opts.Time),
		MaxMntCount:      0xFFFF,
		Magic:            ext4.SuperMagic,
		State:            1, // cleanly unmounted
		Errors:           1, // continue
		LastCheck:        uint32(b.opts.Time),
		RevLevel:         1,
		FirstIno:         ext4.GoodOldFirstIno,
		InodeSize:        inodeSize,
		FeatureCompat:    ext4.CompatExtAttr | ext4.CompatDirIndex,
		FeatureIncompat:  ext4.IncompatFiletype | ext4.IncompatExtents | ext4.Incompat64Bit,
		FeatureROCompat: ext4.ROCompatSparseSuper | ext4.ROCompatLargeFile | ext4.ROCompatHugeFile |
			ext4.ROCompatDirNlink | ext4.ROCompatExtraIsize | ext4.ROCompatMetadataCsum,
		UUID:             b.opts.UUID,
		DefHashVersion:   1, // half_md4
		DescSize:         64,
		DefaultMountOpts: 0xC, // user_xattr, acl
		MkfsTime:         uint32(b.opts.Time),
		MinExtraIsize:    ext4.ExtraIsize,
		WantExtraIsize:   ext4.ExtraIsize,
		Flags:            1, // signed directory hash
		ChecksumType:     1, // crc32c
	}
	for i := 0; i < 4; i++ {
		sb.HashSeed[i] = binary.LittleEndian.Uint32(b.opts.HashSeed[4*i:])
	}
	copy(sb.VolumeName[:], b.opts.Label)
	for s := uint32(0); b.opts.BlockSize>>10>>s > 1; s++ {
		sb.LogBlockSize, sb.LogClusterSize = s+1, s+1
	}
	sb.SetBlocksCount(g.total)
	sb.WtimeHi, sb.MkfsTimeHi, sb.LastCheckHi = uint8(b.opts.Time>>32), uint8(b.opts.Time>>32), uint8(b.opts.Time>>32)
	return sb
}

// inodeSlot returns the on-disk bytes of inode ino in the in-memory table.
func (b *builder) inodeSlot(ino uint32) []byte {
	g := uint64(ino-1) / b.geo.ipg
	idx := uint64(ino-1) % b.geo.ipg
	if b.itables[g] == nil {
		b.itables[g] = make([]byte, b.geo.ipg*inodeSize)
	}
	return b.itables[g][idx*inodeSize : (idx+1)*inodeSize]
}

// inodeRecord collects what goes into one inode.
type inodeRecord struct {
	n       *Node
	flags   uint32
	block   [ext4.IBlockSize]byte
	size    uint64
	fsBlks  uint64 // blocks owned (data, tree, xattr)
	xattrBk uint64
}

func (b *builder) putInode(r *inodeRecord) error {
	n := r.n
	uid, gid := n.UID, n.GID
	if b.opts.Owner != nil {
		uid, gid = b.opts.Owner[0], b.opts.Owner[1]
	}
	nlink := n.nlink
	if n.Type() == unix.S_IFDIR && nlink >= 65000 {
		nlink = 1 // dir_nlink: too many subdirectories to count
	}
	sectors := r.fsBlks * uint64(b.opts.BlockSize) / 512
	ri := ext4.RawInode{
		Mode:       uint16(n.Mode),
		UIDLo:      uint16(uid),
		UIDHigh:    uint16(uid >> 16),
		GIDLo:      uint16(gid),
		GIDHigh:    uint16(gid >> 16),
		SizeLo:     uint32(r.size),
		SizeHigh:   uint32(r.size >> 32),
		LinksCount: uint16(nlink),
		BlocksLo:   uint32(sectors),
		BlocksHigh: uint16(sectors >> 32),
		Flags:      r.flags,
		Block:      r.block,
		FileACLLo:  uint32(r.xattrBk),
		ExtraIsize: ext4.ExtraIsize,
	}
	if sectors>>48 != 0 {
		return fmt.Errorf("image: file of %d blocks too large", r.fsBlks)
	}
	ri.FileACLHigh = uint16(r.xattrBk >> 32)
	ri.Atime, ri.AtimeExtra = ext4.EncodeTime(n.Atime)
	ri.Mtime, ri.MtimeExtra = ext4.EncodeTime(n.Mtime)
	ri.Ctime, ri.CtimeExtra = ext4.EncodeTime(n.Mtime)
	ri.Crtime, ri.CrtimeExtra = ext4.EncodeTime(n.Mtime)
	slot := b.inodeSlot(n.ino)
	ri.EncodeInto(slot)
	if n.xattrsInInode {
		if err := putInodeXattrs(slot, n.Xattrs); err != nil {
			return err
		}
	}
	ext4.SetInodeChecksum(b.sb, slot, n.ino)
	return nil
}

func (b *builder) writeNode(n *Node) error {
	r := &inodeRecord{n: n}
	if len(n.Xattrs) > 0 {
		if err := b.placeXattrs(r); err != nil {
			return err
		}
	}
	switch n.Type() {
	case unix.S_IFREG:
		exts, blocks, err := b.writeData(n)
		if err != nil {
			return err
		}
		r.size = uint64(n.Size)
		r.fsBlks += blocks
		if err := b.setExtents(r, exts); err != nil {
			return err
		}
	case unix.S_IFDIR:
		blocks, indexed, err := dirBlocks(b, n)
		if err != nil {
			return err
		}
		if indexed {
			r.flags |= ext4.FlagIndex
		}
		seed := ext4.InodeCsumSeed(b.sb.CsumSeed(), n.ino, 0)
		var exts []ext4.Extent
		exts, err = b.allocRun(nil, 0, uint64(len(blocks)), func(phys, lblk, cnt uint64) error {
			for i := uint64(0); i < cnt; i++ {
				db := blocks[lblk+i]
				blk := db.data
				if db.dxCount == 0 {
					ext4.PutDirTail(blk, seed)
				} else {
					limit := int(binary.LittleEndian.Uint16(blk[db.dxCount:]))
					count := int(binary.LittleEndian.Uint16(blk[db.dxCount+2:]))
					tail := db.dxCount + 8*limit
					binary.LittleEndian.PutUint32(blk[tail+4:], ext4.DxChecksum(blk, db.dxCount, count, tail, seed))
				}
				if _, err := b.out.WriteAt(blk, int64((phys+i)*b.geo.bs)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.size = uint64(len(blocks)) * b.geo.bs
		r.fsBlks += uint64(len(blocks))
		if err := b.setExtents(r, exts); err != nil {
			return err
		}
		b.usedDirs[uint64(n.ino-1)/b.geo.ipg]++
	case unix.S_IFLNK:
		r.size = uint64(len(n.Target))
		if len(n.Target) == 0 || len(n.Target) >= b.opts.BlockSize {
			return fmt.Errorf("image: symlink target of %d bytes", len(n.Target))
		}
		if len(n.Target) < ext4.IBlockSize {
			copy(r.block[:], n.Target) // fast symlink
			break
		}
		blk := make([]byte, b.geo.bs)
		copy(blk, n.Target)
		exts, err := b.allocRun(nil, 0, 1, func(phys, _, _ uint64) error {
			_, err := b.out.WriteAt(blk, int64(phys*b.geo.bs))
			return err
		})
		if err != nil {
			return err
		}
		r.fsBlks++
		if err := b.setExtents(r, exts); err != nil {
			return err
		}
	case unix.S_IFCHR, unix.S_IFBLK:
		old, nw := ext4.EncodeDevice(n.Major, n.Minor)
		binary.LittleEndian.PutUint32(r.block[0:], old)
		binary.LittleEndian.PutUint32(r.block[4:], nw)
	case unix.S_IFIFO, unix.S_IFSOCK:
	default:
		return fmt.Errorf("image: inode %d: unknown type 0%o", n.ino, n.Mode)
	}
	return b.putInode(r)
}

// setExtents stores exts in the inode, building index levels in extra
// blocks when more than four extents are needed.
func (b *builder) setExtents(r *inodeRecord, exts []ext4.Extent) error {
	r.flags |= ext4.FlagExtents
	perNode := (int(b.geo.bs) - 12) / 12
	seed := ext4.InodeCsumSeed(b.sb.CsumSeed(), r.n.ino, 0)
	if len(exts) <= 4 {
		ext4.ExtentHeader{Magic: ext4.ExtentMagic, Entries: uint16(len(exts)), Max: 4}.Encode(r.block[:])
		for i, e := range exts {
			e.Encode(r.block[12+12*i:])
		}
		return nil
	}
	// Leaves first, then index levels until the root's four slots suffice.
	type entry struct {
		lblk uint32
		blk  uint64
	}
	var level []entry
	node := make([]byte, b.geo.bs)
	writeNode := func(depth uint16, count int, fill func(i int, p []byte)) (uint64, error) {
		clear(node)
		h := ext4.ExtentHeader{Magic: ext4.ExtentMagic, Entries: uint16(count), Max: uint16(perNode), Depth: depth}
		h.Encode(node)
		for i := 0; i < count; i++ {
			fill(i, node[12+12*i:])
		}
		off, sum := ext4.ExtentBlockChecksum(node, seed, h.Max)
		binary.LittleEndian.PutUint32(node[off:], sum)
		start, _, err := b.alloc(1)
		if err != nil {
			return 0, err
		}
		r.fsBlks++
		_, err = b.out.WriteAt(node, int64(start*b.geo.bs))
		return start, err
	}
	for i := 0; i < len(exts); i += perNode {
		chunk := exts[i:min(i+perNode, len(exts))]
		blk, err := writeNode(0, len(chunk), func(j int, p []byte) { chunk[j].Encode(p) })
		if err != nil {
			return err
		}
		level = append(level, entry{chunk[0].Block, blk})
	}
	depth := uint16(1)
	for len(level) > 4 {
		var up []entry
		for i := 0; i < len(level); i += perNode {
			chunk := level[i:min(i+perNode, len(level))]
			blk, err := writeNode(depth, len(chunk), func(j int, p []byte) {
				ext4.ExtentIndex{Block: chunk[j].lblk, Leaf: chunk[j].blk}.Encode(p)
			})
			if err != nil {
				return err
			}
			up = append(up, entry{chunk[0].lblk, blk})
		}
		level = up
		depth++
	}
	ext4.ExtentHeader{Magic: ext4.ExtentMagic, Entries: uint16(len(level)), Max: 4, Depth: depth}.Encode(r.block[:])
	for i, e := range level {
		ext4.ExtentIndex{Block: e.lblk, Leaf: e.blk}.Encode(r.block[12+12*i:])
	}
	return nil
}

// writeData copies a regular file's contents into freshly allocated
// blocks, leaving holes (and all-zero blocks) unallocated.
func (b *builder) writeData(n *Node) ([]ext4.Extent, uint64, error) {
	if n.Size == 0 {
		return nil, 0, nil
	}
	var r io.ReaderAt
	var base int64
	var segs [][2]int64
	switch {
	case n.data.bytes != nil:
		r = bytesReaderAt(n.data.bytes)
		segs = [][2]int64{{0, n.Size}}
	case n.data.spool != nil:
		r, base = n.data.spool, n.data.off
		segs = dataSegments(n.data.spool, base, n.Size)
	case n.data.path != "":
		f, err := os.Open(n.data.path)
		if err != nil {
			return nil, 0, err
		}
		defer f.Close()
		r = f
		segs = dataSegments(f, 0, n.Size)
	default:
		return nil, 0, fmt.Errorf("image: inode %d has no contents", n.ino)
	}
	bs := int64(b.geo.bs)
	var exts []ext4.Extent
	var blocks uint64
	var done int64 // first logical block not yet written
	buf := b.buf
	for _, s := range segs {
		first := max(s[0]/bs, done)
		last := (s[1] + bs - 1) / bs // exclusive
		for chunk := first; chunk < last; {
			nb := min(last-chunk, int64(len(buf))/bs)
			p := buf[:nb*bs]
			got, err := r.ReadAt(p, base+chunk*bs)
			if err != nil && err != io.EOF {
				return nil, 0, fmt.Errorf("image: reading inode %d contents: %w", n.ino, err)
			}
			clear(p[got:])
			if end := n.Size - chunk*bs; end < int64(len(p)) {
				clear(p[max(end, 0):]) // bytes past EOF of a spool region
			}
			for i := int64(0); i < nb; {
				if isZero(p[i*bs : (i+1)*bs]) {
					i++
					continue
				}
				j := i + 1
				for j < nb && !isZero(p[j*bs:(j+1)*bs]) {
					j++
				}
				exts, err = b.allocRun(exts, uint64(chunk+i), uint64(j-i), func(phys, lblk, cnt uint64) error {
					off := (int64(lblk) - chunk) * bs
					_, err := b.out.WriteAt(p[off:off+int64(cnt)*bs], int64(phys)*bs)
					return err
				})
				if err != nil {
					return nil, 0, err
				}
				blocks += uint64(j - i)
				i = j
			}
			chunk += nb
		}
		done = last
	}
	return exts, blocks, nil
}

type bytesReaderAt []byte

func (b bytesReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// dataSegments lists the data ranges (relative to base) of the region
// [base, base+size) of f with SEEK_DATA/SEEK_HOLE, or the whole region
// if the host file system cannot say.
func dataSegments(f *os.File, base, size int64) [][2]int64 {
	var segs [][2]int64
	end := base + size
	for pos := base; pos < end; {
		d, err := f.Seek(pos, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, unix.ENXIO) {
				break
			}
			return [][2]int64{{pos - base, size}}
		}
		if d >= end {
			break
		}
		h, err := f.Seek(d, unix.SEEK_HOLE)
		if err != nil {
			h = end
		}
		h = min(h, end)
		segs = append(segs, [2]int64{d - base, h - base})
		pos = h
	}
	return segs
}

// dirEnt is one name in a directory being laid out.
type dirEnt struct {
	name string
	n    *Node
	hash uint32
}

// packDirents packs entries into leaf blocks, in order (checksum tails
// are added when the blocks are written). first[i] is the index of the
// first entry of block i.
func packDirents(bs int, ents []dirEnt) (blocks [][]byte, first []int) {
	avail := bs - ext4.DirTailSize
	var cur []byte
	off, lastOff := 0, -1
	finish := func() {
		if cur == nil {
			return
		}
		if lastOff < 0 {
			ext4.PutDirent(cur, 0, avail, bs, "", 0)
		} else {
			binary.LittleEndian.PutUint16(cur[lastOff+4:], ext4.EncodeRecLen(avail-lastOff, bs))
		}
		blocks = append(blocks, cur)
		cur, off, lastOff = nil, 0, -1
	}
	for i, e := range ents {
		need := ext4.DirentSize(len(e.name))
		if cur == nil || off+need > avail {
			finish()
			cur = make([]byte, bs)
			first = append(first, i)
		}
		ext4.PutDirent(cur[off:], e.n.ino, need, bs, e.name, fileType(e.n))
		lastOff = off
		off += need
	}
	finish()
	return blocks, first
}

// linearDirBlocks lays a directory out as a plain list of entries.
func linearDirBlocks(b *builder, dir *Node) [][]byte {
	bs := b.opts.BlockSize
	ents := []dirEnt{{name: ".", n: dir}, {name: "..", n: dir.parent}}
	for _, name := range sortedNames(dir) {
		ents = append(ents, dirEnt{name: name, n: dir.children[name]})
	}
	blocks, _ := packDirents(bs, ents)
	if dir.ino == ext4.GoodOldFirstIno {
		// lost+found gets room for 16 KiB of entries, as mke2fs gives it,
		// so e2fsck can reconnect files without allocating.
		for len(blocks)*bs < 16384 || len(blocks) < 2 {
			empty, _ := packDirents(bs, nil)
			if empty == nil {
				b := make([]byte, bs)
				ext4.PutDirent(b, 0, bs-ext4.DirTailSize, bs, "", 0)
				empty = [][]byte{b}
			}
			blocks = append(blocks, empty...)
		}
	}
	return blocks
}

// dirBlock is one block of a directory; dxCount is the offset of the
// htree count/limit header for index blocks (0 for leaves).
type dirBlock struct {
	data    []byte
	dxCount int
}

// dirBlocks lays a directory out: linear when it fits in one block (and
// for lost+found), otherwise as an htree with one or two index levels.
func dirBlocks(b *builder, dir *Node) ([]dirBlock, bool, error) {
	lin := linearDirBlocks(b, dir)
	if len(lin) == 1 || dir.ino == ext4.GoodOldFirstIno {
		out := make([]dirBlock, len(lin))
		for i, blk := range lin {
			out[i] = dirBlock{data: blk}
		}
		return out, false, nil
	}
	bs := b.opts.BlockSize
	ents := make([]dirEnt, 0, len(dir.children))
	for name, n := range dir.children {
		h, _, _ := ext4.DirHash([]byte(name), ext4.HashHalfMD4, b.sb.HashSeed)
		ents = append(ents, dirEnt{name: name, n: n, hash: h})
	}
	sort.Slice(ents, func(i, j int) bool {
		if ents[i].hash != ents[j].hash {
			return ents[i].hash < ents[j].hash
		}
		return ents[i].name < ents[j].name
	})
	leaves, first := packDirents(bs, ents)
	type dxEntry struct{ hash, block uint32 }
	leafEntries := make([]dxEntry, len(leaves))
	for i := range leaves {
		h := ents[first[i]].hash
		if i > 0 && ents[first[i]-1].hash == h {
			h |= 1 // the previous leaf's last hash continues here
		}
		leafEntries[i] = dxEntry{hash: h}
	}
	rootLimit, nodeLimit := ext4.DxRootLimit(bs, true), ext4.DxNodeLimit(bs, true)
	levels := 0
	nodes := 0
	if len(leaves) > rootLimit {
		levels = 1
		nodes = (len(leaves) + nodeLimit - 1) / nodeLimit
		if nodes > rootLimit {
			return nil, false, fmt.Errorf("image: directory inode %d is too large for a two-level htree", dir.ino)
		}
	}
	for i := range leafEntries {
		leafEntries[i].block = uint32(1 + nodes + i)
	}
	putIndex := func(blk []byte, countOff, limit int, es []dxEntry) {
		binary.LittleEndian.PutUint16(blk[countOff:], uint16(limit))
		binary.LittleEndian.PutUint16(blk[countOff+2:], uint16(len(es)))
		for i, e := range es {
			p := blk[countOff+8*i:]
			if i > 0 {
				binary.LittleEndian.PutUint32(p, e.hash)
			}
			binary.LittleEndian.PutUint32(p[4:], e.block)
		}
	}
	root := make([]byte, bs)
	ext4.PutDirent(root, dir.ino, 12, bs, ".", ext4.FTDir)
	ext4.PutDirent(root[12:], dir.parent.ino, bs-12, bs, "..", ext4.FTDir)
	root[24+4] = ext4.HashHalfMD4 // dx_root_info: hash version,
	root[24+5] = 8                // info length,
	root[24+6] = uint8(levels)    // indirect levels
	out := []dirBlock{{data: root, dxCount: 32}}
	if levels == 0 {
		putIndex(root, 32, rootLimit, leafEntries)
	} else {
		var top []dxEntry
		for i := 0; i < nodes; i++ {
			chunk := leafEntries[i*nodeLimit : min((i+1)*nodeLimit, len(leafEntries))]
			node := make([]byte, bs)
			ext4.PutDirent(node, 0, bs, bs, "", 0)
			putIndex(node, 8, nodeLimit, chunk)
			out = append(out, dirBlock{data: node, dxCount: 8})
			top = append(top, dxEntry{hash: chunk[0].hash, block: uint32(1 + i)})
		}
		putIndex(root, 32, rootLimit, top)
	}
	for _, l := range leaves {
		out = append(out, dirBlock{data: l})
	}
	return out, true, nil
}

func fileType(n *Node) uint8 {
	switch n.Type() {
	case unix.S_IFREG:
		return ext4.FTRegFile
	case unix.S_IFDIR:
		return ext4.FTDir
	case unix.S_IFCHR:
		return ext4.FTChrdev
	case unix.S_IFBLK:
		return ext4.FTBlkdev
	case unix.S_IFIFO:
		return ext4.FTFifo
	case unix.S_IFSOCK:
		return ext4.FTSock
	case unix.S_IFLNK:
		return ext4.FTSymlink
	}
	return ext4.FTUnknown
}

// writeJournal allocates the journal inode's blocks and writes an empty,
// clean jbd2 superblock (version 2) at its start.
func (b *builder) writeJournal() error {
	n := &Node{Mode: unix.S_IFREG | 0o600, ino: ext4.JournalIno, nlink: 1,
		Atime: unix.Timespec{Sec: b.opts.Time}, Mtime: unix.Timespec{Sec: b.opts.Time}}
	b.nodes[ext4.JournalIno-1] = nil
	exts, err := b.allocRun(nil, 0, b.jblocks, nil)
	if err != nil {
		return err
	}
	jsb := make([]byte, b.geo.bs)
	be := binary.BigEndian
	be.PutUint32(jsb[0x0:], ext4.JournalMagic)
	be.PutUint32(jsb[0x4:], 4) // superblock v2
	be.PutUint32(jsb[0xC:], uint32(b.geo.bs))
	be.PutUint32(jsb[0x10:], uint32(b.jblocks))
	be.PutUint32(jsb[0x14:], 1) // s_first
	be.PutUint32(jsb[0x18:], 1) // s_sequence
	be.PutUint32(jsb[0x28:], 2) // incompat: 64bit block numbers
	copy(jsb[0x30:], b.opts.UUID[:])
	be.PutUint32(jsb[0x40:], 1) // s_nr_users
	if _, err := b.out.WriteAt(jsb, int64(exts[0].Start*b.geo.bs)); err != nil {
		return err
	}
	r := &inodeRecord{n: n, size: b.jblocks * b.geo.bs, fsBlks: b.jblocks}
	if err := b.setExtents(r, exts); err != nil {
		return err
	}
	// The superblock keeps a copy of the journal inode's block map.
	for i := 0; i < 15; i++ {
		b.sb.JnlBlocks[i] = binary.LittleEndian.Uint32(r.block[4*i:])
	}
	b.sb.JnlBlocks[15] = uint32(r.size >> 32)
	b.sb.JnlBlocks[16] = uint32(r.size)
	b.sb.JnlBackupType = 1 // EXT3_JNL_BACKUP_BLOCKS
	b.sb.JournalInum = ext4.JournalIno
	b.sb.FeatureCompat |= ext4.CompatHasJournal
	return b.putInode(r)
}

// writeMetadata writes inode tables, bitmaps, group descriptors and the
// superblock with its backups.
func (b *builder) writeMetadata() error {
	g := b.geo
	bs := g.bs
	ds := b.sb.DescSizeBytes()
	descs := make([]byte, g.gdtBlocks*bs)
	usedInodes := uint64(len(b.nodes))
	var freeBlocks, freeInodes uint64
	for i := uint64(0); i < g.groups; i++ {
		// Inode table: only the part up to the last used inode holds data.
		if b.itables[i] != nil {
			if _, err := b.out.WriteAt(b.itables[i], int64(g.inodeTable(i)*bs)); err != nil {
				return err
			}
		}
		first := i * g.ipg // inode index (0-based) of the group's first inode
		used := uint64(0)
		if usedInodes > first {
			used = min(usedInodes-first, g.ipg)
		}
		ibm := make([]byte, bs)
		setBits(ibm, 0, used)
		setBits(ibm, g.ipg, bs*8)
		// Blocks: metadata, then data allocated so far in this group.
		bbm := make([]byte, bs)
		gstart, gend := g.start(i), g.end(i)
		usedEnd := g.dataStart(i)
		switch {
		case i < b.group:
			usedEnd = gend
		case i == b.group:
			usedEnd = max(b.next, g.dataStart(i))
		}
		setBits(bbm, 0, usedEnd-gstart)
		setBits(bbm, gend-gstart, bs*8)
		gd := &ext4.GroupDesc{}
		gd.SetBlockBitmap(g.blockBitmap(i))
		gd.SetInodeBitmap(g.inodeBitmap(i))
		gd.SetInodeTable(g.inodeTable(i))
		fb := uint32(gend - usedEnd)
		gd.SetFreeBlocksCount(fb)
		gd.SetFreeInodesCount(uint32(g.ipg - used))
		gd.SetUsedDirsCount(b.usedDirs[i])
		gd.SetItableUnused(uint32(g.ipg - used))
		gd.Flags = ext4.BGInodeZeroed
		gd.SetBitmapChecksums(b.sb, bbm, ibm)
		gd.Checksum = gd.ComputeChecksum(b.sb, uint32(i))
		copy(descs[i*uint64(ds):], gd.Encode(ds))
		freeBlocks += uint64(fb)
		freeInodes += g.ipg - used
		if _, err := b.out.WriteAt(bbm, int64(g.blockBitmap(i)*bs)); err != nil {
			return err
		}
		if _, err := b.out.WriteAt(ibm, int64(g.inodeBitmap(i)*bs)); err != nil {
			return err
		}
	}
	b.sb.SetFreeBlocksCount(freeBlocks)
	b.sb.FreeInodesCount = uint32(freeInodes)
	for i := uint64(0); i < g.groups; i++ {
		if !g.hasSuper(i) {
			continue
		}
		sb := *b.sb
		sb.BlockGroupNr = uint16(i)
		sb.SetChecksum()
		off := int64(g.start(i) * bs)
		if i == 0 {
			off = ext4.SuperblockOffset
		}
		if _, err := b.out.WriteAt(sb.Encode(), off); err != nil {
			return err
		}
		if _, err := b.out.WriteAt(descs, int64((g.start(i)+1)*bs)); err != nil {
			return err
		}
	}
	return nil
}

// setBits sets bits [from, to) of bm.
func setBits(bm []byte, from, to uint64) {
	for i := from; i < to && i/8 < uint64(len(bm)); i++ {
		bm[i/8] |= 1 << (i % 8)
	}
}

// Extended attributes: in the inode when they all fit in the space after
// the fixed fields, otherwise all in one xattr block.

// placeXattrs decides where n's xattrs go; a block is written now.
func (b *builder) placeXattrs(r *inodeRecord) error {
	size, err := ext4.XattrsSize(r.n.Xattrs)
	if err != nil {
		return fmt.Errorf("image: inode %d: xattrs: %w", r.n.ino, err)
	}
	if size <= ext4.InodeXattrRoom(inodeSize, ext4.ExtraIsize) {
		r.n.xattrsInInode = true
		return nil
	}
	blk, err := ext4.EncodeXattrBlock(int(b.geo.bs), r.n.Xattrs)
	if err != nil {
		return fmt.Errorf("image: inode %d: xattrs need more than one block: %w", r.n.ino, err)
	}
	start, _, err := b.alloc(1)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(blk[16:], ext4.XattrBlockChecksum(blk, b.sb.CsumSeed(), start))
	if _, err := b.out.WriteAt(blk, int64(start*b.geo.bs)); err != nil {
		return err
	}
	r.xattrBk = start
	r.fsBlks++
	return nil
}

// putInodeXattrs writes the in-inode xattr area of slot.
func putInodeXattrs(slot []byte, xs []ext4.Xattr) error {
	return ext4.EncodeInodeXattrs(slot, ext4.ExtraIsize, xs)
}
