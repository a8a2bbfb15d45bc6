package ext4

import (
	"encoding/binary"
	"sort"

	"golang.org/x/sys/unix"
)

// xattrEnt is one attribute split into its on-disk parts.
type xattrEnt struct {
	index uint8
	name  string
	value []byte
}

// splitXattrs converts full names into (index, suffix) pairs in the
// on-disk order: by index, name length, then name.
func splitXattrs(xs []Xattr) ([]xattrEnt, error) {
	out := make([]xattrEnt, 0, len(xs))
	for _, x := range xs {
		idx, suffix, ok := SplitXattrName(x.Name)
		if !ok {
			return nil, unix.EOPNOTSUPP
		}
		if len(suffix) > 255 {
			return nil, unix.ERANGE
		}
		out = append(out, xattrEnt{idx, suffix, x.Value})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if a.index != c.index {
			return a.index < c.index
		}
		if len(a.name) != len(c.name) {
			return len(a.name) < len(c.name)
		}
		return a.name < c.name
	})
	return out, nil
}

// XattrsSize is the room the attributes take in an xattr area (entries
// and padded values, without the 4-byte terminator).
func XattrsSize(xs []Xattr) (int, error) {
	es, err := splitXattrs(xs)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range es {
		n += XattrEntrySize(len(e.name)) + (len(e.value)+3)&^3
	}
	return n, nil
}

// InodeXattrRoom is the room for attributes inside an inode of inodeSize
// bytes with i_extra_isize extra (after the magic, before the terminator).
func InodeXattrRoom(inodeSize, extra int) int {
	return inodeSize - GoodOldInodeSize - extra - 4 - 4
}

// XattrBlockRoom is the room for attributes in an xattr block.
func XattrBlockRoom(blockSize int) int { return blockSize - xattrBlockHeader - 4 }

// writeXattrArea writes entries from ents[0] and values downward from
// area[end]; value offsets are relative to area. It returns the entry
// hashes.
func writeXattrArea(ents, area []byte, end int, es []xattrEnt) []uint32 {
	off, vend := 0, end
	hashes := make([]uint32, 0, len(es))
	for _, e := range es {
		vend -= (len(e.value) + 3) &^ 3
		copy(area[vend:], e.value)
		p := ents[off:]
		p[0] = uint8(len(e.name))
		p[1] = e.index
		binary.LittleEndian.PutUint16(p[2:], uint16(vend))
		binary.LittleEndian.PutUint32(p[4:], 0)
		binary.LittleEndian.PutUint32(p[8:], uint32(len(e.value)))
		h := XattrHash(e.name, e.value)
		binary.LittleEndian.PutUint32(p[12:], h)
		copy(p[16:], e.name)
		hashes = append(hashes, h)
		off += XattrEntrySize(len(e.name))
	}
	return hashes
}

// EncodeInodeXattrs writes the in-inode attribute area of an on-disk
// inode (len(slot) == s_inode_size, i_extra_isize == extra); with no
// attributes the area is cleared.
func EncodeInodeXattrs(slot []byte, extra int, xs []Xattr) error {
	start := GoodOldInodeSize + extra
	if start+8 > len(slot) {
		if len(xs) == 0 {
			return nil
		}
		return unix.ENOSPC
	}
	area := slot[start+4:]
	clear(slot[start:])
	if len(xs) == 0 {
		return nil
	}
	size, err := XattrsSize(xs)
	if err != nil {
		return err
	}
	if size > InodeXattrRoom(len(slot), extra) {
		return unix.ENOSPC
	}
	es, _ := splitXattrs(xs)
	binary.LittleEndian.PutUint32(slot[start:], XattrMagic)
	writeXattrArea(area, area, len(area), es)
	return nil
}

// EncodeXattrBlock builds an xattr block (reference count 1) holding xs;
// the caller sets the checksum with XattrBlockChecksum once the block's
// number is known.
func EncodeXattrBlock(blockSize int, xs []Xattr) ([]byte, error) {
	size, err := XattrsSize(xs)
	if err != nil {
		return nil, err
	}
	if size > XattrBlockRoom(blockSize) {
		return nil, unix.ENOSPC
	}
	es, _ := splitXattrs(xs)
	blk := make([]byte, blockSize)
	binary.LittleEndian.PutUint32(blk[0:], XattrMagic)
	binary.LittleEndian.PutUint32(blk[4:], 1) // h_refcount
	binary.LittleEndian.PutUint32(blk[8:], 1) // h_blocks
	var h uint32
	for _, eh := range writeXattrArea(blk[xattrBlockHeader:], blk, blockSize, es) {
		h = h<<16 ^ h>>16 ^ eh
	}
	binary.LittleEndian.PutUint32(blk[12:], h)
	return blk, nil
}

// XattrHash is ext4_xattr_hash_entry (name bytes read as signed chars,
// as on x86).
func XattrHash(name string, value []byte) uint32 {
	var h uint32
	for i := 0; i < len(name); i++ {
		h = h<<5 ^ h>>27 ^ uint32(int32(int8(name[i])))
	}
	var w [4]byte
	for i := 0; i < len(value); i += 4 {
		clear(w[:])
		copy(w[:], value[i:])
		h = h<<16 ^ h>>16 ^ binary.LittleEndian.Uint32(w[:])
	}
	return h
}
