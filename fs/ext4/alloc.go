package ext4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"
)

// ReadWriterAt is an image that can be written.
type ReadWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// OpenRW opens the file system in dev for reading and writing.
//
// Metadata changes go through the journal's running transaction (see
// jwrite.go); Sync commits it and Close ends the session. File systems
// with features whose on-disk upkeep is not implemented (quota, project
// ids, bigalloc, mmp, unknown read-only features) are refused. A journal
// that needs recovery is replayed into the image first.
func OpenRW(dev ReadWriterAt, opts Options) (*FS, error) {
	if opts.IgnoreRecovery {
		return nil, unsupported("writing a file system whose journal needs recovery")
	}
	fs, err := open(dev, dev, opts)
	if err != nil {
		return nil, err
	}
	sb := fs.sb
	if fs.readOnlyRO {
		return nil, unsupported("read-only features %#x", sb.FeatureROCompat&^supportedROCompat)
	}
	if sb.HasIncompat(IncompatMMP) {
		return nil, unsupported("writing with multi-mount protection (mmp)")
	}
	if sb.HasCompat(CompatOrphanFile) || sb.HasROCompat(ROCompatOrphanPresent) {
		return nil, unsupported("writing with an orphan file")
	}
	fs.wdev = dev
	fs.noSync = opts.NoSync
	fs.commitInterval = opts.CommitInterval
	if err := fs.startJournal(); err != nil {
		return nil, err
	}
	if fs.jw != nil {
		// Like a mount: the superblock says "needs recovery" until Close.
		fs.sb.FeatureIncompat |= IncompatRecover
		if err := fs.writeSuper(); err != nil {
			return nil, err
		}
	}
	fs.now = opts.Now
	if fs.now == nil {
		fs.now = func() unix.Timespec { return unix.NsecToTimespec(time.Now().UnixNano()) }
	}
	if err := fs.processOrphans(); err != nil {
		return nil, err
	}
	return fs, nil
}

func (fs *FS) writable() error {
	if fs.txErr != nil {
		return fmt.Errorf("ext4: read-only after a journal error: %v: %w", fs.txErr, unix.EIO)
	}
	if fs.wdev == nil {
		return unix.EROFS
	}
	return nil
}

func (fs *FS) writeBlock(b uint64, buf []byte) error { return fs.writeBlockChecked(b, buf, false) }

// writeBlockChecked is writeBlock; checked says that buf passes its
// checksum check (a directory block or bitmap whose checksum the writer
// computes), so that its next reads need not verify it (see blockCache).
func (fs *FS) writeBlockChecked(b uint64, buf []byte, checked bool) error {
	if b < uint64(fs.sb.FirstDataBlock) || b >= fs.blocks {
		return corrupt("write to block %d outside the file system", b)
	}
	return fs.metaWriteChecked(buf, int64(b)*int64(fs.blockSize), checked)
}

// writeSuper writes the primary superblock: at once without a running
// transaction, else once, when the transaction commits (the free counts
// change with every allocation).
func (fs *FS) writeSuper() error {
	if fs.tx.Load() != nil {
		fs.sbDirty = true
		return nil
	}
	return fs.flushSuper()
}

func (fs *FS) flushSuper() error {
	fs.sbDirty = false
	fs.sb.SetChecksum()
	return fs.metaWrite(fs.sb.Encode(), SuperblockOffset)
}

// writeGroupDesc writes group g's descriptor into the primary table.
func (fs *FS) writeGroupDesc(g uint32) error {
	gd := fs.groups[g]
	gd.Checksum = gd.ComputeChecksum(fs.sb, g)
	ds := fs.sb.DescSizeBytes()
	perBlock := uint32(fs.blockSize / ds)
	off := int64(fs.descBlock(uint64(g/perBlock)))*int64(fs.blockSize) + int64(g%perBlock)*int64(ds)
	if ds > len(fs.gdBuf) {
		return fs.metaWrite(gd.Encode(ds), off)
	}
	// (Encoded in the FS's scratch: every allocation writes a descriptor.)
	gd.encodeInto(&fs.gdBuf)
	return fs.metaWrite(fs.gdBuf[:ds], off)
}

func (fs *FS) groupStart(g uint32) uint64 {
	return uint64(fs.sb.FirstDataBlock) + uint64(g)*uint64(fs.sb.BlocksPerGroup)
}

func (fs *FS) groupBlocks(g uint32) uint64 {
	return min(fs.groupStart(g)+uint64(fs.sb.BlocksPerGroup), fs.blocks) - fs.groupStart(g)
}

// blockBitmap reads group g's block bitmap, building it for a group whose
// bitmap was never initialized (BLOCK_UNINIT) the way Linux does. The
// bitmap is in a scratch buffer the caller gives back with putBlockBuf
// (metadata writes copy what they write).
func (fs *FS) blockBitmap(g uint32) ([]byte, error) {
	gd := fs.groups[g]
	bm := fs.blockBuf()
	if gd.Flags&BGBlockUninit == 0 {
		// (Its checksum in the descriptor must be current to verify it.)
		if err := fs.settleGroupDesc(g); err != nil {
			fs.putBlockBuf(bm)
			return nil, err
		}
		if err := fs.readBitmap(gd.BlockBitmap(), bm, gd.BlockBitmapCsumLo, gd.BlockBitmapCsumHi, fs.sb.ClustersPerGroup/8); err == errBitmapCsum {
			fs.putBlockBuf(bm)
			return nil, corrupt("group %d block bitmap checksum mismatch", g)
		} else if err != nil {
			fs.putBlockBuf(bm)
			return nil, err
		}
		return bm, nil
	}
	if fs.sb.HasIncompat(IncompatMetaBG) {
		fs.putBlockBuf(bm)
		return nil, unsupported("uninitialized block bitmap with meta_bg")
	}
	clear(bm)
	start, n := fs.groupStart(g), fs.groupBlocks(g)
	mark := func(b uint64) {
		if b >= start && b < start+n {
			bm[(b-start)/8] |= 1 << ((b - start) % 8)
		}
	}
	if fs.sb.HasSuper(uint64(g)) {
		ds := uint64(fs.sb.DescSizeBytes())
		gdt := (uint64(len(fs.groups))*ds + uint64(fs.blockSize) - 1) / uint64(fs.blockSize)
		for i := uint64(0); i < 1+gdt+uint64(fs.sb.ReservedGDTBlocks); i++ {
			mark(start + i)
		}
	}
	itb := (uint64(fs.sb.InodesPerGroup)*uint64(fs.inodeSize) + uint64(fs.blockSize) - 1) / uint64(fs.blockSize)
	for _, o := range fs.groups {
		mark(o.BlockBitmap())
		mark(o.InodeBitmap())
		for i := uint64(0); i < itb; i++ {
			mark(o.InodeTable() + i)
		}
	}
	setBitRange(bm, n, uint64(fs.blockSize)*8)
	return bm, nil
}

func (fs *FS) bitmapCsumOK(lo, hi uint16, bm []byte) bool {
	c := crc32c(fs.csumSeed, bm)
	if fs.sb.DescSizeBytes() >= 64 {
		return c == uint32(lo)|uint32(hi)<<16
	}
	return uint16(c) == lo
}

// inodeBitmap reads group g's inode bitmap into a scratch buffer, as
// blockBitmap.
func (fs *FS) inodeBitmap(g uint32) ([]byte, error) {
	gd := fs.groups[g]
	bm := fs.blockBuf()
	if gd.Flags&BGInodeUninit != 0 {
		clear(bm)
		setBitRange(bm, uint64(fs.sb.InodesPerGroup), uint64(fs.blockSize)*8)
		return bm, nil
	}
	// (Its checksum in the descriptor must be current to verify it.)
	if err := fs.settleGroupDesc(g); err != nil {
		fs.putBlockBuf(bm)
		return nil, err
	}
	if err := fs.readBitmap(gd.InodeBitmap(), bm, gd.InodeBitmapCsumLo, gd.InodeBitmapCsumHi, fs.sb.InodesPerGroup/8); err == errBitmapCsum {
		fs.putBlockBuf(bm)
		return nil, corrupt("group %d inode bitmap checksum mismatch", g)
	} else if err != nil {
		fs.putBlockBuf(bm)
		return nil, err
	}
	return bm, nil
}

// errBitmapCsum is readBitmap's checksum mismatch.
var errBitmapCsum = errors.New("bitmap checksum mismatch")

// readBitmap reads bitmap block b into bm and verifies the checksum
// (lo, hi) of its first n bytes (errBitmapCsum), unless the cached block
// was verified already since it last changed: every allocation reads a
// bitmap.
func (fs *FS) readBitmap(b uint64, bm []byte, lo, hi uint16, n uint32) error {
	checked, gen, err := fs.readBlockChecked(b, bm)
	if err != nil || checked || !fs.csum {
		return err
	}
	if !fs.bitmapCsumOK(lo, hi, bm[:n]) {
		return errBitmapCsum
	}
	fs.cache.markChecked(b, gen)
	return nil
}

// putBlockBitmap writes a modified block bitmap and its descriptor.
func (fs *FS) putBlockBitmap(g uint32, bm []byte) error {
	gd := fs.groups[g]
	// Checked as written: the descriptor gets its checksum next.
	if err := fs.writeBlockChecked(gd.BlockBitmap(), bm, fs.csum); err != nil {
		return err
	}
	return fs.bitmapWritten(g, false, gd.BlockBitmap(), bm)
}

func (fs *FS) putInodeBitmap(g uint32, bm []byte) error {
	gd := fs.groups[g]
	if err := fs.writeBlockChecked(gd.InodeBitmap(), bm, fs.csum); err != nil {
		return err
	}
	return fs.bitmapWritten(g, true, gd.InodeBitmap(), bm)
}

// bitmapWritten updates group g's descriptor for its block bitmap (or
// inode bitmap if inodes), blk, just written: initialized, and with its
// checksum (of bm if the caller has the bitmap, else of the cached
// block); and writes the descriptor. In a running transaction the
// checksum and the descriptor wait for the commit (every allocation
// changes a bitmap: its checksum is taken once per commit, not once per
// allocation), or for a read of the bitmap that verifies it.
func (fs *FS) bitmapWritten(g uint32, inodes bool, blk uint64, bm []byte) error {
	gd := fs.groups[g]
	flag, pend := uint16(BGBlockUninit), gdBlockCsum
	if inodes {
		flag, pend = BGInodeUninit, gdInodeCsum
	}
	gd.Flags &^= flag
	if fs.tx.Load() != nil {
		if fs.gdPending == nil {
			fs.gdPending = map[uint32]uint8{}
		}
		fs.gdPending[g] |= pend
		return nil
	}
	if fs.csum {
		n := fs.sb.ClustersPerGroup / 8
		if inodes {
			n = fs.sb.InodesPerGroup / 8
		}
		c, err := fs.bitmapCsum(blk, bm, n)
		if err != nil {
			return err
		}
		fs.setBitmapCsum(g, inodes, c)
	}
	return fs.writeGroupDesc(g)
}

// What of a group descriptor waits for the commit (FS.gdPending): the
// checksum of its block bitmap, of its inode bitmap (and the descriptor
// itself, either way).
const (
	gdBlockCsum uint8 = 1 << iota
	gdInodeCsum
)

// setBitmapCsum stores c as the checksum of group g's block (or inode)
// bitmap in its descriptor.
func (fs *FS) setBitmapCsum(g uint32, inodes bool, c uint32) {
	gd := fs.groups[g]
	lo, hi := &gd.BlockBitmapCsumLo, &gd.BlockBitmapCsumHi
	if inodes {
		lo, hi = &gd.InodeBitmapCsumLo, &gd.InodeBitmapCsumHi
	}
	*lo, *hi = uint16(c), uint16(c>>16)
	if fs.sb.DescSizeBytes() < 64 {
		*hi = 0
	}
}

// settleGroupDesc brings group g's bitmap checksums up to date and
// writes its descriptor, if they wait for the commit.
func (fs *FS) settleGroupDesc(g uint32) error {
	pend, ok := fs.gdPending[g]
	if !ok {
		return nil
	}
	delete(fs.gdPending, g)
	gd := fs.groups[g]
	if fs.csum && pend&gdBlockCsum != 0 {
		c, err := fs.bitmapCsum(gd.BlockBitmap(), nil, fs.sb.ClustersPerGroup/8)
		if err != nil {
			return err
		}
		fs.setBitmapCsum(g, false, c)
	}
	if fs.csum && pend&gdInodeCsum != 0 {
		c, err := fs.bitmapCsum(gd.InodeBitmap(), nil, fs.sb.InodesPerGroup/8)
		if err != nil {
			return err
		}
		fs.setBitmapCsum(g, true, c)
	}
	return fs.writeGroupDesc(g)
}

// flushGroupDescs settles every descriptor waiting for the commit.
func (fs *FS) flushGroupDescs() error {
	for g := range fs.gdPending {
		if err := fs.settleGroupDesc(g); err != nil {
			return err
		}
	}
	return nil
}

func setBitRange(bm []byte, from, to uint64) {
	for i := from; i < to && i/8 < uint64(len(bm)); i++ {
		bm[i/8] |= 1 << (i % 8)
	}
}

func bitSet(bm []byte, i uint64) bool { return bm[i/8]&(1<<(i%8)) != 0 }

// allocBlocks allocates up to n contiguous blocks, preferring goal and
// the blocks after it. It returns the first block and the count (>= 1).
//
// Blocks freed in the running transaction are taken only when nothing
// else is free: until the transaction commits, a crash brings back the
// files that owned them, which must not then hold another file's data
// (Linux's mballoc defers their reuse the same way).
func (fs *FS) allocBlocks(goal uint64, n uint64) (uint64, uint64, error) {
	start, cnt, err := fs.allocBlocksFrom(goal, n, false)
	if err == unix.ENOSPC && len(fs.pendingFree) > 0 {
		// (Not the frozen transaction's freed blocks: its checkpoint
		// may still write some of them in place.)
		return fs.allocBlocksFrom(goal, n, true)
	}
	return start, cnt, err
}

func (fs *FS) allocBlocksFrom(goal uint64, n uint64, reusePending bool) (uint64, uint64, error) {
	if goal < uint64(fs.sb.FirstDataBlock) || goal >= fs.blocks {
		goal = uint64(fs.sb.FirstDataBlock)
	}
	ng := uint32(len(fs.groups))
	g0 := uint32((goal - uint64(fs.sb.FirstDataBlock)) / uint64(fs.sb.BlocksPerGroup))
	for k := uint32(0); k <= ng; k++ {
		g := (g0 + k) % ng
		gd := fs.groups[g]
		if gd.FreeBlocksCount() == 0 {
			continue
		}
		at, cnt, err := fs.allocInGroup(g, k == 0, goal, n, reusePending)
		if err != nil || cnt > 0 {
			return at, cnt, err
		}
	}
	return 0, 0, unix.ENOSPC
}

// allocInGroup allocates up to n blocks in group g from goal on if
// first is set; it returns no blocks if the group has none free.
//
// In the common case, a bitmap the metadata cache holds verified and no
// freed blocks to keep clear of, the search runs in the cached bitmap
// and the write is of the bytes that change, not the whole block.
func (fs *FS) allocInGroup(g uint32, first bool, goal, n uint64, reusePending bool) (uint64, uint64, error) {
	gd := fs.groups[g]
	start, size := fs.groupStart(g), fs.groupBlocks(g)
	from := uint64(0)
	if first && goal > start {
		from = goal - start
	}
	hint := uint64(hintAt(fs.blockHint, g))
	from = max(from, hint)
	// The blocks taken: in use, freed in the transaction being
	// committed, or (unless reusePending) in the running one.
	pending := fs.frozenFree[g]
	if !reusePending {
		pending = append(pending[:len(pending):len(pending)], fs.pendingFree[g]...)
	}
	frozen := fs.frozen.Load()
	plain := len(pending) == 0 && !(reusePending && frozen != nil)
	bmBlk := gd.BlockBitmap()
	var i, cnt uint64
	var bm, chg []byte // the bitmap (slow path), the bytes written
	if !plain || gd.Flags&BGBlockUninit != 0 || !fs.cache.view(bmBlk, fs.csum, func(d []byte) {
		if i, cnt = findFree(d, from, size, n); cnt > 0 {
			chg = fs.bitBytes(d, i, cnt)
		}
	}) {
		var err error
		if bm, err = fs.blockBitmap(g); err != nil {
			return 0, 0, err
		}
		defer fs.putBlockBuf(bm)
		scan := bm
		if !plain {
			scan = append([]byte(nil), bm...)
			for _, r := range pending {
				setBitRange(scan, r[0]-start, r[0]-start+r[1])
			}
			if reusePending {
				// Metadata blocks the frozen transaction will still write
				// in place are not reused either.
				frozen.eachBlock(func(b uint64) {
					if b >= start && b < start+size {
						setBitRange(scan, b-start, b-start+1)
					}
				})
			}
		}
		i, cnt = findFree(scan, from, size, n)
		chg = bm[i/8 : (i+cnt+7)/8]
	}
	if cnt == 0 {
		return 0, 0, nil
	}
	if uint64(gd.FreeBlocksCount()) < cnt {
		return 0, 0, corrupt("group %d free block count below its bitmap", g)
	}
	setBitRange(chg, i%8, i%8+cnt)
	if plain && from == hint {
		// Every bit from the hint to here was set.
		fs.blockHint = setHint(fs.blockHint, len(fs.groups), g, i+cnt)
	}
	gd.SetFreeBlocksCount(gd.FreeBlocksCount() - uint32(cnt))
	if err := fs.putBitmapBytes(bmBlk, bm, chg, i/8, gd.Flags&BGBlockUninit != 0); err != nil {
		return 0, 0, err
	}
	if err := fs.bitmapWritten(g, false, bmBlk, bm); err != nil {
		return 0, 0, err
	}
	fs.sb.SetFreeBlocksCount(fs.sb.FreeBlocksCount() - cnt)
	if err := fs.writeSuper(); err != nil {
		return 0, 0, err
	}
	return start + i, cnt, nil
}

// findFree returns the first run of up to n clear bits of bm from bit
// from on, below size (cnt 0 if there is none).
func findFree(bm []byte, from, size, n uint64) (i, cnt uint64) {
	for i = from; i < size; i++ {
		if i%64 == 0 && i+64 <= size && binary.LittleEndian.Uint64(bm[i/8:]) == ^uint64(0) {
			i += 63 // a word of used blocks
			continue
		}
		if i%8 == 0 && bm[i/8] == 0xFF {
			i += 7 // a byte of used blocks
			continue
		}
		if bitSet(bm, i) {
			continue
		}
		for i+cnt < size && cnt < n && !bitSet(bm, i+cnt) {
			cnt++
		}
		return i, cnt
	}
	return 0, 0
}

// bitBytes copies the bytes of bm holding bits [i, i+cnt) into the FS's
// scratch (or a new slice if they do not fit) and returns them.
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) bitBytes(bm []byte, i, cnt uint64) []byte {
	lo, hi := i/8, (i+cnt+7)/8
	b := fs.bitBuf[:]
	if hi-lo > uint64(len(b)) {
		b = make([]byte, hi-lo)
	}
	b = b[:hi-lo]
	copy(b, bm[lo:hi])
	return b
}

// putBitmapBytes writes chg, the changed bytes of bitmap block blk from
// byte off on; bm is the whole bitmap when the caller has it, written
// whole if whole is set (a bitmap built in memory for an uninitialized
// group: what the image holds there is not a bitmap).
func (fs *FS) putBitmapBytes(blk uint64, bm, chg []byte, off uint64, whole bool) error {
	// Checked as written: the descriptor gets its checksum next.
	if whole {
		return fs.writeBlockChecked(blk, bm, fs.csum)
	}
	if blk < uint64(fs.sb.FirstDataBlock) || blk >= fs.blocks {
		return corrupt("write to block %d outside the file system", blk)
	}
	return fs.metaWriteChecked(chg, int64(blk)*int64(fs.blockSize)+int64(off), fs.csum)
}

// bitmapCsum is the checksum of the first n bytes of bitmap block blk:
// of bm if the caller has the bitmap, else of the cached block.
func (fs *FS) bitmapCsum(blk uint64, bm []byte, n uint32) (uint32, error) {
	if bm != nil {
		return crc32c(fs.csumSeed, bm[:n]), nil
	}
	var c uint32
	if fs.cache.view(blk, false, func(d []byte) { c = crc32c(fs.csumSeed, d[:n]) }) {
		return c, nil
	}
	// (Not reached but by a caller's error: the block was just written
	// into the cache.)
	b := fs.blockBuf()
	defer fs.putBlockBuf(b)
	if err := fs.readBlock(blk, b); err != nil {
		return 0, err
	}
	return crc32c(fs.csumSeed, b[:n]), nil
}

// freeBlocks returns n blocks from start to the free pool.
func (fs *FS) freeBlocks(start, n uint64) error {
	for n > 0 {
		if start < uint64(fs.sb.FirstDataBlock) || start >= fs.blocks {
			return corrupt("freeing block %d outside the file system", start)
		}
		g := uint32((start - uint64(fs.sb.FirstDataBlock)) / uint64(fs.sb.BlocksPerGroup))
		gs := fs.groupStart(g)
		cnt := min(n, gs+fs.groupBlocks(g)-start)
		bm, err := fs.blockBitmap(g)
		if err != nil {
			return err
		}
		fs.txForget(start, cnt)
		lowerHint(fs.blockHint, g, start-gs)
		for i := start - gs; i < start-gs+cnt; i++ {
			if !bitSet(bm, i) {
				fs.putBlockBuf(bm)
				return corrupt("freeing free block %d", gs+i)
			}
			bm[i/8] &^= 1 << (i % 8)
		}
		if fs.tx.Load() != nil {
			if fs.pendingFree == nil {
				fs.pendingFree = map[uint32][][2]uint64{}
			}
			fs.pendingFree[g] = append(fs.pendingFree[g], [2]uint64{start, cnt})
		}
		fs.groups[g].SetFreeBlocksCount(fs.groups[g].FreeBlocksCount() + uint32(cnt))
		err = fs.putBlockBitmap(g, bm)
		fs.putBlockBuf(bm)
		if err != nil {
			return err
		}
		fs.sb.SetFreeBlocksCount(fs.sb.FreeBlocksCount() + cnt)
		start += cnt
		n -= cnt
	}
	return fs.writeSuper()
}

// allocInode allocates an inode number, preferring group goal.
func (fs *FS) allocInode(goal uint32, dir bool) (uint32, error) {
	ng := uint32(len(fs.groups))
	for k := uint32(0); k < ng; k++ {
		g := (goal + k) % ng
		gd := fs.groups[g]
		if gd.FreeInodesCount() == 0 {
			continue
		}
		ino, err := fs.allocInodeInGroup(g, dir)
		if err != nil || ino != 0 {
			return ino, err
		}
	}
	return 0, unix.ENOSPC
}

// allocInodeInGroup allocates an inode in group g; it returns 0 if the
// group has none free. As allocInGroup, it searches a bitmap the cache
// holds verified in place and writes the byte that changes.
func (fs *FS) allocInodeInGroup(g uint32, dir bool) (uint32, error) {
	ipg := uint64(fs.sb.InodesPerGroup)
	gd := fs.groups[g]
	hint := uint64(hintAt(fs.inodeHint, g))
	var i uint64
	var found, fresh bool
	var bm, chg []byte // the bitmap (slow path), the byte written
	find := func(b []byte) {
		if i, found = fs.findFreeInode(b, g, hint); found {
			fresh = fs.othersFree(b, i)
			chg = fs.bitBytes(b, i, 1)
		}
	}
	bmBlk := gd.InodeBitmap()
	if gd.Flags&BGInodeUninit != 0 || !fs.cache.view(bmBlk, fs.csum, find) {
		var err error
		if bm, err = fs.inodeBitmap(g); err != nil {
			return 0, err
		}
		defer fs.putBlockBuf(bm)
		find(bm)
		chg = bm[i/8 : i/8+1]
	}
	if !found {
		return 0, nil
	}
	ino := uint32(uint64(g)*ipg + i + 1)
	chg[0] |= 1 << (i % 8)
	fs.inodeHint = setHint(fs.inodeHint, len(fs.groups), g, i+1)
	gd.SetFreeInodesCount(gd.FreeInodesCount() - 1)
	if dir {
		gd.SetUsedDirsCount(gd.UsedDirsCount() + 1)
	}
	if fs.csum || fs.sb.HasROCompat(ROCompatGdtCsum) {
		if unused := uint64(gd.ItableUnused()); i >= ipg-unused {
			gd.SetItableUnused(uint32(ipg - i - 1))
		}
	}
	if fresh {
		fs.freshInodeBlock(ino)
	}
	if err := fs.putBitmapBytes(bmBlk, bm, chg, i/8, gd.Flags&BGInodeUninit != 0); err != nil {
		return 0, err
	}
	if err := fs.bitmapWritten(g, true, bmBlk, bm); err != nil {
		return 0, err
	}
	fs.sb.FreeInodesCount--
	return ino, fs.writeSuper()
}

// findFreeInode returns the first clear bit of group g's inode bitmap bm
// from bit from on that is not a reserved inode.
func (fs *FS) findFreeInode(bm []byte, g uint32, from uint64) (uint64, bool) {
	ipg := uint64(fs.sb.InodesPerGroup)
	for i := from; i < ipg; i++ {
		if i%64 == 0 && i+64 <= ipg && binary.LittleEndian.Uint64(bm[i/8:]) == ^uint64(0) {
			i += 63 // a word of used inodes
			continue
		}
		if i%8 == 0 && bm[i/8] == 0xFF {
			i += 7 // a byte of used inodes
			continue
		}
		if bitSet(bm, i) || uint32(uint64(g)*ipg+i+1) < fs.sb.FirstIno {
			continue
		}
		return i, true
	}
	return 0, false
}

// othersFree reports whether every other inode of the inode-table block
// holding bit idx of an inode bitmap bm is free.
func (fs *FS) othersFree(bm []byte, idx uint64) bool {
	ipg := uint64(fs.sb.InodesPerGroup)
	per := uint64(fs.blockSize / fs.inodeSize)
	first := idx / per * per
	for i := first; i < first+per && i < ipg; i++ {
		if i != idx && bitSet(bm, i) {
			return false
		}
	}
	return true
}

// freshInodeBlock caches the inode-table block of inode ino, just
// allocated, as zeros without reading it, the caller having checked
// that every other inode it holds is free (othersFree), as Linux's
// __ext4_get_inode_loc does: the first inode of each new table block
// then costs no read of the image.
func (fs *FS) freshInodeBlock(ino uint32) {
	blk, _, err := fs.inodeLocation(ino)
	if err != nil || fs.cache.has(blk) || fs.tx.Load().has(blk) || fs.frozen.Load().has(blk) {
		return
	}
	zero := fs.blockBuf()
	clear(zero)
	fs.cache.put(blk, zero)
	fs.putBlockBuf(zero)
}

func (fs *FS) freeInode(ino uint32, dir bool) error {
	ipg := fs.sb.InodesPerGroup
	g, i := (ino-1)/ipg, uint64((ino-1)%ipg)
	bm, err := fs.inodeBitmap(g)
	if err != nil {
		return err
	}
	defer fs.putBlockBuf(bm)
	if !bitSet(bm, i) {
		return corrupt("freeing free inode %d", ino)
	}
	bm[i/8] &^= 1 << (i % 8)
	lowerHint(fs.inodeHint, g, i)
	gd := fs.groups[g]
	gd.SetFreeInodesCount(gd.FreeInodesCount() + 1)
	if dir && gd.UsedDirsCount() > 0 {
		gd.SetUsedDirsCount(gd.UsedDirsCount() - 1)
	}
	if err := fs.putInodeBitmap(g, bm); err != nil {
		return err
	}
	fs.sb.FreeInodesCount++
	return fs.writeSuper()
}

// writeInode encodes in.raw into its on-disk slot and writes it.
func (fs *FS) writeInode(in *Inode) error {
	if err := fs.encodeWriteInode(in); err != nil {
		return err
	}
	fs.icache.put(in.clone())
	return nil
}

// writeInodeLast is writeInode for a caller done with in, which must not
// change it afterwards (nor has anyone else it): the inode cache keeps in
// itself rather than a copy.
func (fs *FS) writeInodeLast(in *Inode) error {
	if err := fs.encodeWriteInode(in); err != nil {
		return err
	}
	fs.icache.put(in)
	return nil
}

func (fs *FS) encodeWriteInode(in *Inode) error {
	in.raw.EncodeInto(in.disk)
	if fs.csum {
		SetInodeChecksum(fs.sb, in.disk, in.Ino)
	}
	blk, off, err := fs.inodeLocation(in.Ino)
	if err != nil {
		return err
	}
	return fs.metaWrite(in.disk, int64(blk)*int64(fs.blockSize)+int64(off))
}

// setSize stores the size in the inode.
func (in *Inode) setSize(n uint64) {
	in.Size = n
	in.raw.SizeLo, in.raw.SizeHigh = uint32(n), uint32(n>>32)
}

// addBlocks adjusts i_blocks by delta file system blocks.
func (fs *FS) addBlocks(in *Inode, delta int64) {
	sectors := int64(in.Blocks) + delta*int64(fs.blockSize/512)
	in.Blocks = uint64(sectors)
	if in.raw.Flags&FlagHugeFile != 0 {
		in.raw.Flags &^= FlagHugeFile // we keep counts in 512-byte units
	}
	in.raw.BlocksLo = uint32(sectors)
	in.raw.BlocksHigh = uint16(uint64(sectors) >> 32)
}

// touch sets the inode's times from the clock: c for ctime, m for mtime.
func (fs *FS) touch(in *Inode, m, c bool) {
	now := fs.now()
	if m {
		in.Mtime = now
		in.raw.Mtime, in.raw.MtimeExtra = EncodeTime(now)
	}
	if c {
		in.Ctime = now
		in.raw.Ctime, in.raw.CtimeExtra = EncodeTime(now)
	}
}

// extentTreeBlocks lists the index and leaf blocks of an extent tree
// (excluding data blocks).
func (fs *FS) extentTreeBlocks(in *Inode) ([]uint64, error) {
	var out []uint64
	var walk func(b []byte, depth int) error
	walk = func(b []byte, depth int) error {
		h, err := DecodeExtentHeader(b)
		if err != nil {
			return err
		}
		if h.Depth == 0 {
			return nil
		}
		if depth > maxExtentDepth {
			return corrupt("inode %d: extent tree too deep", in.Ino)
		}
		for i := 0; i < int(h.Entries); i++ {
			x := DecodeExtentIndex(b[extentHeaderSize+i*extentEntrySize:])
			out = append(out, x.Leaf)
			child := make([]byte, fs.blockSize)
			if err := fs.readBlock(x.Leaf, child); err != nil {
				return err
			}
			if err := walk(child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return out, walk(in.raw.Block[:], 0)
}

// setExtents replaces the inode's extent tree with one holding exts. The
// old tree's node blocks are reused first; any more are allocated before
// anything is written, so a failure (ENOSPC) leaves the old tree whole,
// and a tree that does not grow needs no free space at all.
func (fs *FS) setExtents(in *Inode, exts []Extent) error {
	fs.forgetExtents(in.Ino)
	defer fs.forgetExtents(in.Ino)
	old, err := fs.extentTreeBlocks(in)
	if err != nil {
		return err
	}
	perNode := (fs.blockSize - extentHeaderSize) / extentEntrySize
	need := extentNodesNeeded(len(exts), perNode)
	blocks := append([]uint64(nil), old[:min(need, len(old))]...)
	goal := fs.groupStart((in.Ino - 1) / fs.sb.InodesPerGroup)
	if len(exts) > 0 {
		goal = exts[len(exts)-1].Start + uint64(exts[len(exts)-1].Len)
	}
	for len(blocks) < need {
		b, _, err := fs.allocBlocks(goal, 1)
		if err != nil {
			for _, x := range blocks[min(need, len(old)):] {
				fs.freeBlocks(x, 1)
			}
			return err
		}
		blocks = append(blocks, b)
	}
	root, err := fs.buildExtentTree(in, exts, blocks)
	if err != nil {
		return err
	}
	for _, b := range old[min(need, len(old)):] {
		if err := fs.freeBlocks(b, 1); err != nil {
			return err
		}
	}
	fs.addBlocks(in, int64(need)-int64(len(old)))
	in.raw.Block = root
	return nil
}

// extentNodesNeeded counts the index and leaf blocks of a tree of n
// extents.
func extentNodesNeeded(n, perNode int) int {
	total := 0
	for n > 4 {
		n = (n + perNode - 1) / perNode
		total += n
	}
	return total
}

// buildExtentTree writes the leaf and index blocks for exts into the
// given blocks (extentNodesNeeded of them) and returns the i_block root.
func (fs *FS) buildExtentTree(in *Inode, exts []Extent, blocks []uint64) ([IBlockSize]byte, error) {
	perNode := (fs.blockSize - extentHeaderSize) / extentEntrySize
	seed := InodeCsumSeed(fs.csumSeed, in.Ino, in.Generation)
	var root [IBlockSize]byte
	if len(exts) <= 4 {
		ExtentHeader{Magic: ExtentMagic, Entries: uint16(len(exts)), Max: 4}.Encode(root[:])
		for i, e := range exts {
			e.Encode(root[extentHeaderSize+extentEntrySize*i:])
		}
		return root, nil
	}
	type entry struct {
		lblk uint32
		blk  uint64
	}
	node := make([]byte, fs.blockSize)
	put := func(depth uint16, count int, fill func(i int, p []byte)) (uint64, error) {
		clear(node)
		h := ExtentHeader{Magic: ExtentMagic, Entries: uint16(count), Max: uint16(perNode), Depth: depth}
		h.Encode(node)
		for i := 0; i < count; i++ {
			fill(i, node[extentHeaderSize+extentEntrySize*i:])
		}
		if fs.csum {
			off, sum := ExtentBlockChecksum(node, seed, h.Max)
			binary.LittleEndian.PutUint32(node[off:], sum)
		}
		if len(blocks) == 0 {
			return 0, corrupt("inode %d: extent tree block count", in.Ino)
		}
		b := blocks[0]
		blocks = blocks[1:]
		return b, fs.writeBlock(b, node)
	}
	var level []entry
	for i := 0; i < len(exts); i += perNode {
		chunk := exts[i:min(i+perNode, len(exts))]
		b, err := put(0, len(chunk), func(j int, p []byte) { chunk[j].Encode(p) })
		if err != nil {
			return root, err
		}
		level = append(level, entry{chunk[0].Block, b})
	}
	depth := uint16(1)
	for len(level) > 4 {
		var up []entry
		for i := 0; i < len(level); i += perNode {
			chunk := level[i:min(i+perNode, len(level))]
			b, err := put(depth, len(chunk), func(j int, p []byte) {
				ExtentIndex{Block: chunk[j].lblk, Leaf: chunk[j].blk}.Encode(p)
			})
			if err != nil {
				return root, err
			}
			up = append(up, entry{chunk[0].lblk, b})
		}
		level = up
		depth++
	}
	ExtentHeader{Magic: ExtentMagic, Entries: uint16(len(level)), Max: 4, Depth: depth}.Encode(root[:])
	for i, e := range level {
		ExtentIndex{Block: e.lblk, Leaf: e.blk}.Encode(root[extentHeaderSize+extentEntrySize*i:])
	}
	return root, nil
}

// hintAt is group g's entry of a bitmap hint (fs.blockHint,
// fs.inodeHint): 0 if none was set.
func hintAt(h []uint32, g uint32) uint32 {
	if int(g) < len(h) {
		return h[g]
	}
	return 0
}

// setHint sets group g's entry of hint h (for ng groups) to v and
// returns h.
func setHint(h []uint32, ng int, g uint32, v uint64) []uint32 {
	if h == nil {
		h = make([]uint32, ng)
	}
	if int(g) < len(h) {
		h[g] = uint32(v)
	}
	return h
}

// lowerHint makes group g's entry of h at most v (a bit cleared).
func lowerHint(h []uint32, g uint32, v uint64) {
	if int(g) < len(h) && uint64(h[g]) > v {
		h[g] = uint32(v)
	}
}
