package ext4

import (
	"sort"

	"golang.org/x/sys/unix"
)

// IterDir calls emit for the entries of directory ino other than "." and
// "..", starting at position off (2 is the start, as for getdents after
// the VFS's own "." and ".."), until emit returns false. next is the
// position to resume at after the entry. Positions are byte offsets in
// linear directories and hash values in htree directories (as Linux's
// ext4 readdir), so they stay valid while entries are added or removed.
func (fs *FS) IterDir(ino uint32, off int64, emit func(e DirEntry, next int64) bool) error {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return err
	}
	if !in.IsDir() {
		return unix.ENOTDIR
	}
	type posEntry struct {
		e   DirEntry
		pos int64
	}
	var list []posEntry
	switch {
	case in.Flags&FlagIndex != 0 && in.Flags&FlagInlineData == 0 && fs.sb.HasCompat(CompatDirIndex):
		ents, err := fs.readDir(in)
		if err != nil {
			return err
		}
		f, err := fs.openInode(in)
		if err != nil {
			return err
		}
		buf := make([]byte, fs.blockSize)
		if _, err := f.ReadAt(buf, 0); err != nil {
			return err
		}
		version := fs.hashVersion(buf[dxRootInfoOff+4])
		for _, e := range ents {
			if e.Name == "." || e.Name == ".." {
				continue
			}
			h, m, ok := DirHash([]byte(e.Name), version, fs.sb.HashSeed)
			if !ok {
				return unsupported("htree hash version %d", version)
			}
			list = append(list, posEntry{e, int64(h>>1)<<32 | int64(m>>1) + 2})
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i].pos < list[j].pos })
	case in.Flags&FlagInlineData != 0:
		ents, err := fs.readDir(in)
		if err != nil {
			return err
		}
		for i, e := range ents {
			if e.Name != "." && e.Name != ".." {
				list = append(list, posEntry{e, int64(i) + 2})
			}
		}
	default:
		f, err := fs.openInode(in)
		if err != nil {
			return err
		}
		bs := int64(fs.blockSize)
		if in.Size%uint64(bs) != 0 {
			return corrupt("directory inode %d size %d is not a multiple of the block size", in.Ino, in.Size)
		}
		buf := make([]byte, bs)
		start := max(off-2, 0) / bs
		for blk := start; blk*bs < int64(in.Size); blk++ {
			if _, err := f.ReadAt(buf, blk*bs); err != nil {
				return err
			}
			if err := fs.checkDirBlock(in, uint64(blk), buf); err != nil {
				return err
			}
			err := walkDirBlock(buf, fs.hasFT, fs.blockSize, func(e DirEntry, at int) {
				if e.Name != "." && e.Name != ".." {
					list = append(list, posEntry{e, blk*bs + int64(at) + 2})
				}
			})
			if err != nil {
				return corrupt("directory inode %d block %d: %v", in.Ino, blk, err)
			}
		}
	}
	for _, pe := range list {
		if pe.pos < off {
			continue
		}
		if !emit(pe.e, pe.pos+1) {
			return nil
		}
	}
	return nil
}

// walkDirBlock calls fn with each live entry of a block and its offset.
func walkDirBlock(b []byte, hasFileType bool, blockSize int, fn func(e DirEntry, off int)) error {
	ents, err := ParseDirBlock(b, hasFileType, blockSize, nil)
	if err != nil {
		return err
	}
	// ParseDirBlock validated the chain; walk it again for the offsets.
	i := 0
	for off := 0; off < len(b) && i < len(ents); {
		rec := decodeRecLen(uint16(b[off+4])|uint16(b[off+5])<<8, blockSize)
		if uint32(b[off])|uint32(b[off+1])<<8|uint32(b[off+2])<<16|uint32(b[off+3])<<24 != 0 {
			fn(ents[i], off)
			i++
		}
		off += rec
	}
	return nil
}
