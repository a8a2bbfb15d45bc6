package ext4

import (
	"sort"

	"golang.org/x/sys/unix"
)

// maxFileBlocks is the largest logical block count an extent file has.
const maxFileBlocks = 1 << 32

// WriteAt writes p at byte offset off of regular file ino, allocating
// blocks for holes and extending the size. It returns len(p) or an error.
func (fs *FS) WriteAt(ino uint32, p []byte, off int64) (_ int, err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	if err := fs.writable(); err != nil {
		return 0, err
	}
	// (Written back below with writeInodeLast.)
	in, err := fs.takeInode(ino)
	if err != nil {
		return 0, err
	}
	if err := fs.checkWritableFile(in); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, unix.EINVAL
	}
	bs := int64(fs.blockSize)
	if off+int64(len(p)) > maxFileBlocks*bs {
		return 0, unix.EFBIG
	}
	if len(p) == 0 {
		return 0, nil
	}
	// The inode is written even after an error: the block map may have
	// changed (unwritten extents converted) before the error.
	n, werr := fs.writeData(in, p, off)
	if end := uint64(off) + uint64(n); n > 0 && end > in.Size {
		in.setSize(end)
	}
	if n > 0 {
		fs.touch(in, true, true)
	}
	if err := fs.writeInodeLast(in); err != nil {
		return 0, err
	}
	return n, werr
}

func (fs *FS) checkWritableFile(in *Inode) error {
	switch in.Type() {
	case ModeReg:
	case ModeDir:
		return unix.EISDIR
	default:
		return unix.EINVAL
	}
	if in.Flags&FlagInlineData != 0 {
		return unsupported("writing inline-data inode %d", in.Ino)
	}
	if in.Flags&FlagExtents == 0 {
		return unsupported("writing indirect-mapped inode %d", in.Ino)
	}
	return nil
}

// writeData stores p at off in an extent-mapped inode; the caller writes
// the inode. It first maps the whole range (allocating holes, converting
// unwritten extents), records the new block map, and only then writes the
// bytes, so a failure leaves either nothing written or a prefix: when
// allocation fails part way (ENOSPC), the bytes before the first hole it
// could not fill are written and their count returned with the error.
func (fs *FS) writeData(in *Inode, p []byte, off int64) (int, error) {
	exts, err := fs.extents(in)
	if err != nil {
		return 0, err
	}
	bs := int64(fs.blockSize)
	end := off + int64(len(p))
	changed := false
	var fresh [][2]uint64 // runs allocated by this call
	// headFresh and tailFresh: the partly written blocks at the ends of
	// the write are newly allocated, so their data goes out padded with
	// zeros (one device write rather than zeroing the block first).
	headFresh, tailFresh := false, false
	var werr error
	for pos := off; pos < end; {
		lblk := uint64(pos / bs)
		i := sort.Search(len(exts), func(i int) bool {
			return uint64(exts[i].Block)+uint64(exts[i].Len) > lblk
		})
		if i < len(exts) && uint64(exts[i].Block) <= lblk {
			e := exts[i]
			last := min(uint64(end-1)/uint64(bs), uint64(e.Block)+uint64(e.Len)-1)
			if e.Uninit {
				// Unwritten blocks read as zeros: make that true on disk
				// before they count as written.
				if err := fs.zeroBlocks(e.Start+(lblk-uint64(e.Block)), last-lblk+1); err != nil {
					werr = err
					end = pos
					break
				}
				exts = splitInit(exts, i, lblk, last+1)
				changed = true
			}
			pos = int64(last+1) * bs
			continue
		}
		holeEnd := uint64(maxFileBlocks)
		if i < len(exts) {
			holeEnd = uint64(exts[i].Block)
		}
		want := min(holeEnd, uint64(end-1)/uint64(bs)+1) - lblk
		goal := fs.groupStart((in.Ino - 1) / fs.sb.InodesPerGroup)
		if i > 0 {
			goal = exts[i-1].Start + uint64(exts[i-1].Len)
		}
		start, got, err := fs.allocBlocks(goal, min(want, MaxInitExtentLen))
		if err != nil {
			werr = err
			end = pos
			break
		}
		fresh = append(fresh, [2]uint64{start, got})
		fs.addBlocks(in, int64(got))
		// Partly written blocks (at the ends) must not show old contents:
		// the copy below pads them with zeros.
		if pos%bs != 0 {
			headFresh = true
		}
		if tail := int64(lblk+got) * bs; tail > end {
			tailFresh = true
		}
		exts = insertExtent(exts, i, Extent{Block: uint32(lblk), Len: uint16(got), Start: start})
		changed = true
		pos = int64(lblk+got) * bs
	}
	if end < off {
		end = off
	}
	if changed {
		if err := fs.setExtents(in, exts); err != nil {
			for _, r := range fresh {
				fs.freeBlocks(r[0], r[1])
				fs.addBlocks(in, -int64(r[1]))
			}
			return 0, err
		}
	}
	// Every block of [off, end) is now mapped and written: copy the data.
	for pos := off; pos < end; {
		lblk := uint64(pos / bs)
		i := sort.Search(len(exts), func(i int) bool {
			return uint64(exts[i].Block)+uint64(exts[i].Len) > lblk
		})
		if i == len(exts) || uint64(exts[i].Block) > lblk || exts[i].Uninit {
			return int(pos - off), corrupt("inode %d: block %d unmapped after allocation", in.Ino, lblk)
		}
		e := exts[i]
		n := min((int64(e.Block)+int64(e.Len))*bs-pos, end-pos)
		phys := int64(e.Start+(lblk-uint64(e.Block)))*bs + pos%bs
		data := p[pos-off : pos-off+n]
		head, tail := int64(0), int64(0)
		if pos == off && headFresh {
			head = pos % bs
		}
		if pos+n == end && tailFresh && end%bs != 0 {
			tail = bs - end%bs
		}
		if err := fs.writePadded(data, phys, head, tail); err != nil {
			if head+tail > 0 {
				// Best effort: fresh blocks must not show old contents.
				first := uint64((phys - head) / bs)
				fs.zeroBlocks(first, uint64((phys+n+tail+bs-1)/bs)-first)
			}
			return int(pos - off), err
		}
		pos += n
	}
	return int(end - off), werr
}

// writePadded writes data at the device offset phys, preceded by head
// and followed by tail zero bytes (the rest of freshly allocated blocks
// at its ends). A short write is padded in one buffer, one device write;
// a long one (a program's buffer that starts within a page reaches the
// file system in pieces that do not start on a block) writes only its
// partial end blocks padded and the middle as it is, rather than copying
// all of it to pad it.
func (fs *FS) writePadded(data []byte, phys, head, tail int64) error {
	bs := int64(fs.blockSize)
	if head+tail == 0 {
		_, err := fs.dataWrite(data, phys)
		return err
	}
	if total := head + int64(len(data)) + tail; total <= bs {
		// A small write into a fresh block (a new small file): the
		// buffer's block is zeros but for it, else it is padded in a
		// scratch buffer (io.WriterAt does not keep what it writes).
		if fs.buffered(int(total)) {
			return fs.bufferData(data, phys, true)
		}
		buf := fs.blockBuf()
		defer fs.putBlockBuf(buf)
		padded := buf[:total]
		clear(padded[:head])
		copy(padded[head:], data)
		clear(padded[head+int64(len(data)):])
		_, err := fs.dataWrite(padded, phys-head)
		return err
	} else if total <= 2*bs {
		padded := make([]byte, total)
		copy(padded[head:], data)
		_, err := fs.dataWrite(padded, phys-head)
		return err
	}
	blk := fs.blockBuf()
	defer fs.putBlockBuf(blk)
	clear(blk)
	if head > 0 {
		k := bs - head // data in the first block; len(data) > bs
		copy(blk[head:], data[:k])
		if _, err := fs.dataWrite(blk, phys-head); err != nil {
			return err
		}
		data, phys = data[k:], phys+k
	}
	if tail > 0 {
		k := int64(len(data)) - (bs - tail) // data before the last block
		if k > 0 {
			if _, err := fs.dataWrite(data[:k], phys); err != nil {
				return err
			}
		}
		clear(blk)
		copy(blk, data[k:])
		_, err := fs.dataWrite(blk, phys+k)
		return err
	}
	_, err := fs.dataWrite(data, phys)
	return err
}

// zeroBlocks clears data blocks in place (file data never goes through
// the journal: a journaled copy would overwrite the data at checkpoint).
func (fs *FS) zeroBlocks(start, n uint64) error {
	zero := make([]byte, fs.blockSize)
	for i := uint64(0); i < n; i++ {
		if _, err := fs.dataWrite(zero, int64(start+i)*int64(fs.blockSize)); err != nil {
			return err
		}
	}
	return nil
}

// insertExtent inserts e at index i and merges it with its neighbours
// when they are contiguous.
func insertExtent(exts []Extent, i int, e Extent) []Extent {
	exts = append(exts, Extent{})
	copy(exts[i+1:], exts[i:])
	exts[i] = e
	mergeable := func(a, b Extent) bool {
		limit := uint64(MaxInitExtentLen)
		if a.Uninit {
			limit--
		}
		return a.Uninit == b.Uninit && uint64(a.Block)+uint64(a.Len) == uint64(b.Block) &&
			a.Start+uint64(a.Len) == b.Start && uint64(a.Len)+uint64(b.Len) <= limit
	}
	if i+1 < len(exts) && mergeable(exts[i], exts[i+1]) {
		exts[i].Len += exts[i+1].Len
		exts = append(exts[:i+1], exts[i+2:]...)
	}
	if i > 0 && mergeable(exts[i-1], exts[i]) {
		exts[i-1].Len += exts[i].Len
		exts = append(exts[:i], exts[i+1:]...)
	}
	return exts
}

// splitInit marks logical blocks [from, to) of uninitialized extent i as
// initialized, splitting it into up to three extents.
func splitInit(exts []Extent, i int, from, to uint64) []Extent {
	e := exts[i]
	var parts []Extent
	if from > uint64(e.Block) {
		parts = append(parts, Extent{Block: e.Block, Len: uint16(from - uint64(e.Block)), Start: e.Start, Uninit: true})
	}
	parts = append(parts, Extent{Block: uint32(from), Len: uint16(to - from), Start: e.Start + (from - uint64(e.Block))})
	if end := uint64(e.Block) + uint64(e.Len); to < end {
		parts = append(parts, Extent{Block: uint32(to), Len: uint16(end - to), Start: e.Start + (to - uint64(e.Block)), Uninit: true})
	}
	out := append([]Extent(nil), exts[:i]...)
	out = append(out, parts...)
	return append(out, exts[i+1:]...)
}

// Truncate sets regular file ino's size, freeing blocks past the new end.
func (fs *FS) Truncate(ino uint32, size int64) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	in, err := fs.writableInode(ino)
	if err != nil {
		return err
	}
	if err := fs.checkWritableFile(in); err != nil {
		return err
	}
	if size < 0 {
		return unix.EINVAL
	}
	if uint64(size) > maxFileBlocks*uint64(fs.blockSize) {
		return unix.EFBIG
	}
	if err := fs.truncateBlocks(in, uint64(size)); err != nil {
		return err
	}
	in.setSize(uint64(size))
	fs.touch(in, true, true)
	return fs.writeInode(in)
}

// truncateBlocks frees an extent-mapped inode's blocks past size and
// zeroes the rest of the last partial block; the caller writes the inode.
// The new block map is recorded before any block is freed.
func (fs *FS) truncateBlocks(in *Inode, size uint64) error {
	exts, err := fs.extents(in)
	if err != nil {
		return err
	}
	bs := uint64(fs.blockSize)
	keep := (size + bs - 1) / bs
	var out []Extent
	var free [][2]uint64
	for _, e := range exts {
		start, end := uint64(e.Block), uint64(e.Block)+uint64(e.Len)
		switch {
		case end <= keep:
			out = append(out, e)
		case start >= keep:
			free = append(free, [2]uint64{e.Start, uint64(e.Len)})
		default:
			cut := keep - start
			free = append(free, [2]uint64{e.Start + cut, end - keep})
			e.Len = uint16(cut)
			out = append(out, e)
		}
	}
	if len(free) > 0 {
		if err := fs.setExtents(in, out); err != nil {
			return err
		}
		for _, r := range free {
			if err := fs.freeBlocks(r[0], r[1]); err != nil {
				return err
			}
			fs.addBlocks(in, -int64(r[1]))
		}
	}
	if size%bs != 0 && size < in.Size {
		lblk := size / bs
		for _, e := range out {
			if uint64(e.Block) <= lblk && lblk < uint64(e.Block)+uint64(e.Len) && !e.Uninit {
				zero := make([]byte, bs-size%bs)
				phys := int64(e.Start+(lblk-uint64(e.Block)))*int64(bs) + int64(size%bs)
				if _, err := fs.dataWrite(zero, phys); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// freeInodeBlocks frees every block an inode owns (data, extent tree or
// indirect blocks, xattr block) for an inode being deleted.
func (fs *FS) freeInodeBlocks(in *Inode) error {
	switch {
	case in.Flags&FlagInlineData != 0:
	case in.Type() == ModeLnk && fs.isFastSymlink(in):
	case in.Type() == ModeChr || in.Type() == ModeBlk || in.Type() == ModeFifo || in.Type() == ModeSock:
	case in.Flags&FlagExtents != 0:
		if err := fs.truncateBlocks(in, 0); err != nil {
			return err
		}
		if err := fs.setExtents(in, nil); err != nil {
			return err
		}
	default:
		var meta []uint64
		exts, err := fs.blockMap(in, &meta)
		if err != nil {
			return err
		}
		for _, e := range exts {
			if err := fs.freeBlocks(e.Start, uint64(e.Len)); err != nil {
				return err
			}
		}
		for _, b := range meta {
			if err := fs.freeBlocks(b, 1); err != nil {
				return err
			}
		}
		in.raw.Block = [IBlockSize]byte{}
	}
	if in.FileACL != 0 {
		if err := fs.releaseXattrBlock(in); err != nil {
			return err
		}
	}
	in.Blocks = 0
	in.raw.BlocksLo, in.raw.BlocksHigh = 0, 0
	return nil
}

// dataWrite writes file data in place (never through the journal: a
// journaled copy would overwrite newer data at checkpoint), small writes
// through the data buffer (databuf.go); the next barrier makes it
// durable.
func (fs *FS) dataWrite(p []byte, off int64) (int, error) {
	if fs.buffered(len(p)) {
		if err := fs.bufferData(p, off, false); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	fs.directData(p, off)
	fs.dataDirty = true
	return fs.wdev.WriteAt(p, off)
}
