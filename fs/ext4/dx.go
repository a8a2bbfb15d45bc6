package ext4

import (
	"encoding/binary"
	"sort"

	"golang.org/x/sys/unix"
)

// Hash-indexed (htree) directories: block 0 is the root (".", ".." and
// dx_root_info, then {limit, count, block} and {hash, block} entries),
// interior nodes hide behind a fake empty dirent, and leaves are ordinary
// directory blocks holding the names whose hash falls in their range.

const (
	dxRootInfoOff  = 24
	dxRootCountOff = 32
	dxNodeCountOff = 8
	dxEntrySize    = 8
	dxTailSize     = 8
)

// DxRootLimit and DxNodeLimit are the entry capacities of htree root and
// interior blocks.
func DxRootLimit(blockSize int, csum bool) int {
	n := (blockSize - dxRootCountOff) / dxEntrySize
	if csum {
		n--
	}
	return n
}

func DxNodeLimit(blockSize int, csum bool) int {
	n := (blockSize - dxNodeCountOff) / dxEntrySize
	if csum {
		n--
	}
	return n
}

// hashVersion returns the hash version a directory uses, adjusted for
// the file system's signedness flag as Linux does.
func (fs *FS) hashVersion(v uint8) uint8 {
	if v <= HashTea && fs.sb.Flags&FlagsUnsignedHash != 0 {
		return v + 3
	}
	return v
}

// dxLookup finds name through the htree index. ok is false when the index
// cannot be used (unknown hash, damaged index): the caller then scans the
// directory linearly, as Linux falls back on a bad index.
//
// When the name is not there and gap is not nil, gap says where in the
// leaf it hashes to it would go (see dxGap).
func (fs *FS) dxLookup(in *Inode, f *File, name string, gap *dxGap) (ino uint32, ok bool, err error) {
	bs := fs.blockSize
	buf := fs.blockBuf()
	defer fs.putBlockBuf(buf)
	// An index node is read into buf up to its last entry (from the
	// metadata cache without copying the rest of the block); a leaf is
	// searched where the cache holds it.
	read := func(lblk uint32, buf []byte, countOff int) bool {
		if uint64(lblk)*uint64(bs) >= in.Size {
			return false
		}
		return fs.withDirFileBlock(in, f, uint64(lblk), buf, func(b []byte) {
			n := len(b)
			if countOff+4 <= n {
				n = min(n, countOff+4+int(binary.LittleEndian.Uint16(b[countOff+2:]))*dxEntrySize)
			}
			copy(buf, b[:n])
		}) == nil
	}
	if !read(0, buf, dxRootCountOff) {
		return 0, false, nil
	}
	info := buf[dxRootInfoOff:]
	if binary.LittleEndian.Uint32(info) != 0 || info[5] != 8 || info[7] != 0 {
		return 0, false, nil
	}
	levels := int(info[6])
	maxLevels := 2
	if fs.sb.HasIncompat(IncompatLargeDir) {
		maxLevels = 3
	}
	if levels >= maxLevels {
		return 0, false, nil
	}
	hash, _, known := DirHash([]byte(name), fs.hashVersion(info[4]), fs.sb.HashSeed)
	if !known {
		return 0, false, nil
	}
	countOff := dxRootCountOff
	limitWant := DxRootLimit(bs, fs.csum)
	var leaf uint32
	// (The index nodes stay in their buffers: the leaves are read into
	// another.)
	var idx []byte // the last index node's entries, from entry 0
	var pos, cnt int
	var parent []byte // the entries of the index node above it
	var ppos, pcnt int
	for level := 0; ; level++ {
		limit := int(binary.LittleEndian.Uint16(buf[countOff:]))
		count := int(binary.LittleEndian.Uint16(buf[countOff+2:]))
		if limit != limitWant || count == 0 || count > limit {
			return 0, false, nil
		}
		ent := func(i int) (h, blk uint32) {
			p := buf[countOff+i*dxEntrySize:]
			if i > 0 {
				h = binary.LittleEndian.Uint32(p)
			}
			return h, binary.LittleEndian.Uint32(p[4:])
		}
		// The last entry whose hash is <= hash (entry 0 covers from 0).
		i := sort.Search(count-1, func(j int) bool {
			h, _ := ent(j + 1)
			return h > hash
		})
		_, leaf = ent(i)
		if level == levels {
			idx = buf[countOff : countOff+count*dxEntrySize]
			pos, cnt = i, count
			break
		}
		parent = buf[countOff : countOff+count*dxEntrySize]
		ppos, pcnt = i, count
		buf = fs.blockBuf()
		defer fs.putBlockBuf(buf)
		if !read(leaf, buf, dxNodeCountOff) || binary.LittleEndian.Uint32(buf) != 0 ||
			decodeRecLen(binary.LittleEndian.Uint16(buf[4:]), bs) != bs {
			return 0, false, nil
		}
		countOff = dxNodeCountOff
		limitWant = DxNodeLimit(bs, fs.csum)
	}
	lbuf := fs.blockBuf()
	defer fs.putBlockBuf(lbuf)
	for {
		if uint64(leaf)*uint64(bs) >= in.Size {
			return 0, false, nil
		}
		var ino uint32
		var err error
		if fs.withDirFileBlock(in, f, uint64(leaf), lbuf, func(b []byte) {
			ino, err = fs.findInLeaf(in, uint64(leaf), b, name, gap)
		}) != nil {
			return 0, false, nil
		}
		// (Only the first leaf's gap is where the name would go.)
		gap = nil
		switch err {
		case nil:
			return ino, true, nil
		case unix.ENOENT:
		default:
			return 0, false, nil
		}
		// A hash collision may continue into the next leaf, marked by the
		// low bit of the next index entry's hash.
		if pos+1 >= cnt {
			if levels == 0 {
				return 0, true, unix.ENOENT
			}
			// The next leaf hangs off the next index node, whose
			// starting hash is the parent's next entry's (as Linux's
			// ext4_htree_next_block climbs to it): unless that marks a
			// continuation of this hash, the name is not there. A
			// continuation, or no next entry in a parent that is not
			// the root, is left to the linear scan.
			if ppos+1 >= pcnt {
				if levels == 1 {
					return 0, true, unix.ENOENT
				}
				return 0, false, nil
			}
			next := binary.LittleEndian.Uint32(parent[(ppos+1)*dxEntrySize:])
			if next&1 == 0 || next&^1 != hash {
				return 0, true, unix.ENOENT
			}
			return 0, false, nil
		}
		pos++
		next := binary.LittleEndian.Uint32(idx[pos*dxEntrySize:])
		if next&1 == 0 || next&^1 != hash {
			return 0, true, unix.ENOENT
		}
		leaf = binary.LittleEndian.Uint32(idx[pos*dxEntrySize+4:])
	}
}
