package ext4

import (
	"sort"

	"golang.org/x/sys/unix"
)

// fallocate(2) modes this package implements.
const (
	FallocKeepSize  = 0x01
	FallocPunchHole = 0x02
)

// Allocate carries out fallocate(2) on regular file ino: without flags it
// reserves blocks for the holes in [off, off+length) as unwritten extents
// (they read as zeros) and extends the size; FallocKeepSize leaves the
// size; FallocPunchHole|FallocKeepSize frees the blocks of the range and
// zeroes the partial blocks at its edges. Other modes give EOPNOTSUPP.
func (fs *FS) Allocate(ino uint32, mode uint32, off, length int64) (err error) {
	fs.beginOp()
	defer fs.endOp(&err)
	if err := fs.writable(); err != nil {
		return err
	}
	switch mode {
	case 0, FallocKeepSize, FallocPunchHole | FallocKeepSize:
	default:
		return unix.EOPNOTSUPP
	}
	if off < 0 || length <= 0 {
		return unix.EINVAL
	}
	bs := int64(fs.blockSize)
	if off+length > maxFileBlocks*bs || off+length < off {
		return unix.EFBIG
	}
	in, err := fs.readInode(ino)
	if err != nil {
		return err
	}
	if err := fs.checkWritableFile(in); err != nil {
		return err
	}
	if mode&FallocPunchHole != 0 {
		if err := fs.punchHole(in, off, off+length); err != nil {
			return err
		}
	} else {
		if err := fs.reserve(in, uint64(off/bs), uint64((off+length+bs-1)/bs)); err != nil {
			// What was reserved stays, recorded in the inode.
			if werr := fs.writeInode(in); werr != nil {
				return werr
			}
			return err
		}
		if mode&FallocKeepSize == 0 && uint64(off+length) > in.Size {
			in.setSize(uint64(off + length))
		}
	}
	fs.touch(in, mode&FallocPunchHole != 0, true)
	return fs.writeInode(in)
}

// reserve maps the holes among logical blocks [from, to) to new unwritten
// extents. On ENOSPC part way, what was reserved is kept (as Linux does);
// when even that cannot be recorded, it is all given back.
func (fs *FS) reserve(in *Inode, from, to uint64) error {
	exts, err := fs.extents(in)
	if err != nil {
		return err
	}
	var fresh [][2]uint64
	var aerr error
	for lblk := from; lblk < to; {
		i := sort.Search(len(exts), func(i int) bool {
			return uint64(exts[i].Block)+uint64(exts[i].Len) > lblk
		})
		if i < len(exts) && uint64(exts[i].Block) <= lblk {
			lblk = uint64(exts[i].Block) + uint64(exts[i].Len)
			continue
		}
		end := to
		if i < len(exts) {
			end = min(end, uint64(exts[i].Block))
		}
		goal := fs.groupStart((in.Ino - 1) / fs.sb.InodesPerGroup)
		if i > 0 {
			goal = exts[i-1].Start + uint64(exts[i-1].Len)
		}
		start, got, err := fs.allocBlocks(goal, min(end-lblk, MaxInitExtentLen-1))
		if err != nil {
			aerr = err
			break
		}
		fresh = append(fresh, [2]uint64{start, got})
		fs.addBlocks(in, int64(got))
		exts = insertExtent(exts, i, Extent{Block: uint32(lblk), Len: uint16(got), Start: start, Uninit: true})
		lblk += got
	}
	if len(fresh) > 0 {
		if err := fs.setExtents(in, exts); err != nil {
			for _, r := range fresh {
				fs.freeBlocks(r[0], r[1])
				fs.addBlocks(in, -int64(r[1]))
			}
			return err
		}
	}
	return aerr
}

// punchHole frees whole blocks inside [off, end) and zeroes the bytes of
// the range in the partial blocks at its edges. The new block map is
// recorded first: when that fails (ENOSPC: splitting an extent can need a
// tree block) nothing has changed.
func (fs *FS) punchHole(in *Inode, off, end int64) error {
	end = min(end, int64(in.Size))
	if off >= end {
		return nil
	}
	exts, err := fs.extents(in)
	if err != nil {
		return err
	}
	bs := int64(fs.blockSize)
	first := uint64((off + bs - 1) / bs) // first whole block
	last := uint64(end / bs)             // end of whole blocks
	var out []Extent
	var free [][2]uint64
	for _, e := range exts {
		s, t := uint64(e.Block), uint64(e.Block)+uint64(e.Len)
		if first >= last || t <= first || s >= last {
			out = append(out, e)
			continue
		}
		cs, ct := max(s, first), min(t, last)
		if s < cs {
			out = append(out, Extent{Block: e.Block, Len: uint16(cs - s), Start: e.Start, Uninit: e.Uninit})
		}
		free = append(free, [2]uint64{e.Start + (cs - s), ct - cs})
		if ct < t {
			out = append(out, Extent{Block: uint32(ct), Len: uint16(t - ct), Start: e.Start + (ct - s), Uninit: e.Uninit})
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
	// Zero the partial edges where they are mapped and written.
	zeroRange := func(a, b int64) error {
		if a >= b {
			return nil
		}
		lblk := uint64(a / bs)
		for _, e := range out {
			if uint64(e.Block) <= lblk && lblk < uint64(e.Block)+uint64(e.Len) && !e.Uninit {
				phys := int64(e.Start+(lblk-uint64(e.Block)))*bs + a%bs
				_, err := fs.dataWrite(make([]byte, b-a), phys)
				return err
			}
		}
		return nil
	}
	if first > last {
		return zeroRange(off, end) // within one block
	}
	if err := zeroRange(off, int64(first)*bs); err != nil {
		return err
	}
	return zeroRange(int64(last)*bs, end)
}
