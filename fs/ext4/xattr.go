package ext4

import (
	"encoding/binary"
	"strings"
)

// Xattr is one extended attribute with its full name ("user.foo").
type Xattr struct {
	Name  string
	Value []byte
}

// Xattr name indexes (e_name_index) and the prefixes they stand for.
var xattrPrefixes = map[uint8]string{
	1: "user.",
	2: "system.posix_acl_access",
	3: "system.posix_acl_default",
	4: "trusted.",
	6: "security.",
	7: "system.",
	8: "system.richacl",
}

// SplitXattrName returns the name index and suffix for a full name, the
// inverse of the prefix table; ok is false for a namespace ext4 cannot
// store.
func SplitXattrName(name string) (index uint8, suffix string, ok bool) {
	best := -1
	for i, p := range xattrPrefixes {
		if strings.HasPrefix(name, p) && (best < 0 || len(p) > len(xattrPrefixes[uint8(best)])) {
			best = int(i)
		}
	}
	if best < 0 {
		return 0, "", false
	}
	return uint8(best), name[len(xattrPrefixes[uint8(best)]):], true
}

const (
	xattrEntryHeader    = 16
	xattrBlockHeader    = 32
	xattrBlockCsumOff   = 16
	xattrInodeMagicSize = 4
)

// XattrEntrySize is the aligned size of an entry with a name of n bytes.
func XattrEntrySize(n int) int { return (xattrEntryHeader + n + 3) &^ 3 }

// parseXattrs reads entries from region (which starts at the first entry);
// values are at valueBase+e_value_offs within valueArea.
func (fs *FS) parseXattrs(ino uint32, entries []byte, valueArea []byte, out []Xattr) ([]Xattr, error) {
	off := 0
	for {
		if off+4 > len(entries) {
			return nil, corrupt("inode %d: xattr entries run past their area", ino)
		}
		if binary.LittleEndian.Uint32(entries[off:]) == 0 {
			return out, nil
		}
		if off+xattrEntryHeader > len(entries) {
			return nil, corrupt("inode %d: xattr entry truncated", ino)
		}
		e := entries[off:]
		nameLen := int(e[0])
		index := e[1]
		voff := int(binary.LittleEndian.Uint16(e[2:]))
		vinum := binary.LittleEndian.Uint32(e[4:])
		vsize := int(binary.LittleEndian.Uint32(e[8:]))
		size := XattrEntrySize(nameLen)
		if off+size > len(entries) {
			return nil, corrupt("inode %d: xattr name runs past its area", ino)
		}
		suffix := string(e[xattrEntryHeader : xattrEntryHeader+nameLen])
		prefix, ok := xattrPrefixes[index]
		var value []byte
		if vinum != 0 {
			if !fs.sb.HasIncompat(IncompatEAInode) {
				return nil, corrupt("inode %d: xattr value in inode %d without ea_inode", ino, vinum)
			}
			v, err := fs.readEAInode(vinum, vsize)
			if err != nil {
				return nil, err
			}
			value = v
		} else {
			if voff+vsize > len(valueArea) || vsize < 0 {
				return nil, corrupt("inode %d: xattr value outside its area", ino)
			}
			value = append([]byte(nil), valueArea[voff:voff+vsize]...)
		}
		if ok {
			out = append(out, Xattr{Name: prefix + suffix, Value: value})
		}
		off += size
	}
}

func (fs *FS) readEAInode(ino uint32, size int) ([]byte, error) {
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	if in.Flags&FlagEAInode == 0 || uint64(size) != in.Size {
		return nil, corrupt("xattr value inode %d is not a matching ea_inode", ino)
	}
	f, err := fs.openInode(in)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, size)
	if _, err := f.ReadAt(buf, 0); err != nil {
		return nil, err
	}
	return buf, nil
}

// inodeXattrs returns the in-inode extended attributes.
func (fs *FS) inodeXattrs(in *Inode) ([]Xattr, error) {
	start := GoodOldInodeSize + int(in.raw.ExtraIsize)
	if len(in.disk) <= GoodOldInodeSize || start+xattrInodeMagicSize > len(in.disk) {
		return nil, nil
	}
	if binary.LittleEndian.Uint32(in.disk[start:]) != XattrMagic {
		return nil, nil
	}
	area := in.disk[start+xattrInodeMagicSize:]
	return fs.parseXattrs(in.Ino, area, area, nil)
}

// blockXattrs returns the attributes in the inode's xattr block.
func (fs *FS) blockXattrs(in *Inode) ([]Xattr, error) {
	if in.FileACL == 0 {
		return nil, nil
	}
	buf := make([]byte, fs.blockSize)
	if err := fs.readBlock(in.FileACL, buf); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(buf) != XattrMagic || binary.LittleEndian.Uint32(buf[8:]) != 1 {
		return nil, corrupt("inode %d: bad xattr block %d header", in.Ino, in.FileACL)
	}
	if fs.csum && binary.LittleEndian.Uint32(buf[xattrBlockCsumOff:]) != XattrBlockChecksum(buf, fs.csumSeed, in.FileACL) {
		return nil, corrupt("inode %d: xattr block %d checksum mismatch", in.Ino, in.FileACL)
	}
	return fs.parseXattrs(in.Ino, buf[xattrBlockHeader:], buf, nil)
}

// XattrBlockChecksum computes the checksum of xattr block number blk.
func XattrBlockChecksum(block []byte, fsSeed uint32, blk uint64) uint32 {
	var le [8]byte
	binary.LittleEndian.PutUint64(le[:], blk)
	c := crc32cSmall(fsSeed, le[:])
	c = crc32c(c, block[:xattrBlockCsumOff])
	c = crc32c(c, []byte{0, 0, 0, 0})
	return crc32c(c, block[xattrBlockCsumOff+4:])
}

// Xattrs returns all extended attributes of inode ino, in-inode ones
// first. The inline-data attribute "system.data" is included. POSIX ACLs
// are returned in ext4's on-disk ACL encoding.
func (fs *FS) Xattrs(ino uint32) ([]Xattr, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	a, err := fs.inodeXattrs(in)
	if err != nil {
		return nil, err
	}
	b, err := fs.blockXattrs(in)
	if err != nil {
		return nil, err
	}
	return append(a, b...), nil
}

// inlineData returns the inline contents of an inode with the INLINE_DATA
// flag: i_block followed by the value of system.data.
func (fs *FS) inlineData(in *Inode) ([]byte, error) {
	data := append([]byte(nil), in.raw.Block[:]...)
	xs, err := fs.inodeXattrs(in)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x.Name == "system.data" {
			data = append(data, x.Value...)
			break
		}
	}
	return data, nil
}

// releaseXattrBlock drops the inode's reference to its xattr block,
// freeing the block with its last reference.
func (fs *FS) releaseXattrBlock(in *Inode) error {
	blk := in.FileACL
	buf := make([]byte, fs.blockSize)
	if err := fs.readBlock(blk, buf); err != nil {
		return err
	}
	if binary.LittleEndian.Uint32(buf) != XattrMagic {
		return corrupt("inode %d: bad xattr block %d", in.Ino, blk)
	}
	ref := binary.LittleEndian.Uint32(buf[4:])
	if ref > 1 {
		binary.LittleEndian.PutUint32(buf[4:], ref-1)
		if fs.csum {
			binary.LittleEndian.PutUint32(buf[xattrBlockCsumOff:], XattrBlockChecksum(buf, fs.csumSeed, blk))
		}
		if err := fs.writeBlock(blk, buf); err != nil {
			return err
		}
	} else if err := fs.freeBlocks(blk, 1); err != nil {
		return err
	}
	fs.addBlocks(in, -1)
	in.FileACL = 0
	in.raw.FileACLLo, in.raw.FileACLHigh = 0, 0
	return nil
}
