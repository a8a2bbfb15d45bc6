package ext4

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// DirEntry is one directory entry.
type DirEntry struct {
	Name string
	Ino  uint32
	Type uint8 // FT* (FTUnknown without the filetype feature)
}

const (
	direntHeader = 8
	// DirTailSize is the size of the fake entry holding a leaf block's
	// checksum (struct ext4_dir_entry_tail).
	DirTailSize = 12
	maxNameLen  = 255
)

// DirentSize is the minimal record length for a name of n bytes.
func DirentSize(n int) int { return (direntHeader + n + 3) &^ 3 }

// decodeRecLen undoes ext4_rec_len_to_disk for blocks of 64 KiB and more.
func decodeRecLen(v uint16, blockSize int) int {
	if blockSize < 65536 {
		return int(v)
	}
	if v == 65535 || v == 0 {
		return blockSize
	}
	return int(v&65532) | int(v&3)<<16
}

// EncodeRecLen is ext4_rec_len_to_disk.
func EncodeRecLen(n, blockSize int) uint16 {
	if blockSize < 65536 {
		return uint16(n)
	}
	if n == blockSize {
		if blockSize == 65536 {
			return 65535
		}
		return 0
	}
	return uint16(n&65532 | n>>16&3)
}

// PutDirent writes an entry header and name at b[0:] with record length
// recLen.
func PutDirent(b []byte, ino uint32, recLen, blockSize int, name string, ft uint8) {
	binary.LittleEndian.PutUint32(b[0:], ino)
	binary.LittleEndian.PutUint16(b[4:], EncodeRecLen(recLen, blockSize))
	b[6] = uint8(len(name))
	b[7] = ft
	copy(b[direntHeader:], name)
}

// PutDirTail writes the checksum tail into the last 12 bytes of a leaf
// block and computes its checksum.
func PutDirTail(block []byte, inodeSeed uint32) {
	t := block[len(block)-DirTailSize:]
	clear(t)
	binary.LittleEndian.PutUint16(t[4:], DirTailSize)
	t[7] = FTDirCsum
	binary.LittleEndian.PutUint32(t[8:], crc32c(inodeSeed, block[:len(block)-DirTailSize]))
}

func hasDirTail(b []byte) bool {
	t := b[len(b)-DirTailSize:]
	return binary.LittleEndian.Uint32(t) == 0 && binary.LittleEndian.Uint16(t[4:]) == DirTailSize &&
		t[6] == 0 && t[7] == FTDirCsum
}

// ParseDirBlock parses the entries of one linear directory block (or
// region of an inline directory). Entries with inode 0 are skipped.
func ParseDirBlock(b []byte, hasFileType bool, blockSize int, out []DirEntry) ([]DirEntry, error) {
	off := 0
	for off < len(b) {
		if off+direntHeader > len(b) {
			return nil, corrupt("directory entry header at %d runs past the block", off)
		}
		ino := binary.LittleEndian.Uint32(b[off:])
		rec := decodeRecLen(binary.LittleEndian.Uint16(b[off+4:]), blockSize)
		nameLen := int(b[off+6])
		ft := b[off+7]
		if !hasFileType {
			nameLen |= int(ft) << 8
			ft = FTUnknown
		}
		if rec < 12 || rec%4 != 0 || off+rec > len(b) || direntHeader+nameLen > rec {
			return nil, corrupt("directory entry at %d: rec_len %d name_len %d", off, rec, nameLen)
		}
		if ino != 0 {
			if nameLen == 0 {
				return nil, corrupt("directory entry at %d has an empty name", off)
			}
			out = append(out, DirEntry{
				Name: string(b[off+direntHeader : off+direntHeader+nameLen]),
				Ino:  ino,
				Type: ft,
			})
		}
		off += rec
	}
	return out, nil
}

// readDirBlock reads block phys, logical block lblk of directory in,
// into buf and verifies its checksum, unless the cached block was
// verified already since it last changed (as Linux marks a buffer
// verified).
func (fs *FS) readDirBlock(in *Inode, phys, lblk uint64, buf []byte) error {
	checked, gen, err := fs.readBlockChecked(phys, buf)
	if err != nil || checked {
		return err
	}
	if err := fs.checkDirBlock(in, lblk, buf); err != nil {
		return err
	}
	fs.cache.markChecked(phys, gen)
	return nil
}

// readDirFileBlock reads and verifies logical block lblk of directory
// in, open as f (a hole reads as zeros, which fail the check where
// directory blocks have checksums).
func (fs *FS) readDirFileBlock(in *Inode, f *File, lblk uint64, buf []byte) error {
	phys, ok := f.physBlock(lblk)
	if !ok {
		clear(buf)
		return fs.checkDirBlock(in, lblk, buf)
	}
	return fs.readDirBlock(in, phys, lblk, buf)
}

// withDirFileBlock calls fn with logical block lblk of directory in,
// open as f, verified: where the metadata cache holds it verified, under
// the cache's lock (fn must neither keep nor change the bytes, nor call
// into the cache), else read into buf.
func (fs *FS) withDirFileBlock(in *Inode, f *File, lblk uint64, buf []byte, fn func(b []byte)) error {
	if phys, ok := f.physBlock(lblk); ok && fs.cache.view(phys, fs.csum, fn) {
		return nil
	}
	if err := fs.readDirFileBlock(in, f, lblk, buf); err != nil {
		return err
	}
	fn(buf)
	return nil
}

// checkDirBlock verifies the checksum of directory block lblk.
func (fs *FS) checkDirBlock(in *Inode, lblk uint64, b []byte) error {
	if !fs.csum {
		return nil
	}
	seed := InodeCsumSeed(fs.csumSeed, in.Ino, in.Generation)
	if hasDirTail(b) {
		if binary.LittleEndian.Uint32(b[len(b)-4:]) != crc32c(seed, b[:len(b)-DirTailSize]) {
			return corrupt("directory inode %d block %d checksum mismatch", in.Ino, lblk)
		}
		return nil
	}
	if in.Flags&FlagIndex != 0 {
		countOff := -1
		if lblk == 0 {
			countOff = 24 + int(b[29])
		} else if binary.LittleEndian.Uint32(b) == 0 && decodeRecLen(binary.LittleEndian.Uint16(b[4:]), len(b)) == len(b) {
			countOff = 8
		}
		if countOff >= 0 {
			ok, err := checkDxBlock(b, countOff, seed)
			if err != nil {
				return corrupt("directory inode %d block %d: %v", in.Ino, lblk, err)
			}
			if !ok {
				return corrupt("directory inode %d htree block %d checksum mismatch", in.Ino, lblk)
			}
			return nil
		}
	}
	return corrupt("directory inode %d block %d has no checksum", in.Ino, lblk)
}

// checkDxBlock verifies an htree node's checksum (struct dx_tail after the
// limit entries).
func checkDxBlock(b []byte, countOff int, seed uint32) (bool, error) {
	if countOff+4 > len(b) {
		return false, corrupt("htree count offset %d", countOff)
	}
	limit := int(binary.LittleEndian.Uint16(b[countOff:]))
	count := int(binary.LittleEndian.Uint16(b[countOff+2:]))
	tail := countOff + limit*8
	if count > limit || tail+8 > len(b) {
		return false, corrupt("htree count %d limit %d", count, limit)
	}
	return binary.LittleEndian.Uint32(b[tail+4:]) == DxChecksum(b, countOff, count, tail, seed), nil
}

// DxChecksum computes an htree node checksum.
func DxChecksum(b []byte, countOff, count, tailOff int, seed uint32) uint32 {
	c := crc32c(seed, b[:countOff+count*8])
	c = crc32c(c, b[tailOff:tailOff+4])  // dt_reserved
	return crc32c(c, []byte{0, 0, 0, 0}) // dt_checksum counted as zero
}

// ReadDir returns the entries of directory ino, including "." and "..",
// in on-disk order.
func (fs *FS) ReadDir(ino uint32) ([]DirEntry, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	return fs.readDir(in)
}

func (fs *FS) readDir(in *Inode) ([]DirEntry, error) {
	if !in.IsDir() {
		return nil, unix.ENOTDIR
	}
	f, err := fs.openInode(in)
	if err != nil {
		return nil, err
	}
	if in.Flags&FlagInlineData != 0 {
		return fs.readInlineDir(in, f.inline)
	}
	bs := uint64(fs.blockSize)
	if in.Size%bs != 0 {
		return nil, corrupt("directory inode %d size %d is not a multiple of the block size", in.Ino, in.Size)
	}
	var out []DirEntry
	buf := make([]byte, bs)
	for lblk := uint64(0); lblk*bs < in.Size; lblk++ {
		if err := fs.readDirFileBlock(in, f, lblk, buf); err != nil {
			return nil, err
		}
		if out, err = ParseDirBlock(buf, fs.hasFT, fs.blockSize, out); err != nil {
			return nil, corrupt("directory inode %d block %d: %v", in.Ino, lblk, err)
		}
	}
	return out, nil
}

// readInlineDir parses an inline directory: the parent's inode number in
// the first 4 bytes, entries in the rest of i_block, then entries in the
// system.data value.
func (fs *FS) readInlineDir(in *Inode, data []byte) ([]DirEntry, error) {
	if len(data) < 4 {
		return nil, corrupt("inline directory inode %d too short", in.Ino)
	}
	out := []DirEntry{
		{Name: ".", Ino: in.Ino, Type: FTDir},
		{Name: "..", Ino: binary.LittleEndian.Uint32(data), Type: FTDir},
	}
	var err error
	first := data[4:min(len(data), IBlockSize)]
	if out, err = ParseDirBlock(first, fs.hasFT, fs.blockSize, out); err != nil {
		return nil, corrupt("inline directory inode %d: %v", in.Ino, err)
	}
	if len(data) > IBlockSize {
		if out, err = ParseDirBlock(data[IBlockSize:], fs.hasFT, fs.blockSize, out); err != nil {
			return nil, corrupt("inline directory inode %d: %v", in.Ino, err)
		}
	}
	return out, nil
}

// Lookup finds name in directory dir and returns its inode number.
func (fs *FS) Lookup(dir uint32, name string) (uint32, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	var gap dxGap
	ino, err := fs.lookupGap(dir, name, &gap)
	if err == unix.ENOENT {
		fs.negMu.Lock()
		fs.neg = negLookup{dir: dir, name: name, seq: fs.opSeq, ok: true, gap: gap}
		fs.negMu.Unlock()
	}
	return ino, err
}

// negLookup is a name Lookup did not find in dir when fs.opSeq was seq,
// and where in its htree leaf the name would go.
type negLookup struct {
	dir  uint32
	name string
	seq  uint64
	ok   bool
	gap  dxGap
}

// createGap is a dxGap for the create of name in directory dir by the
// operation seq.
type createGap struct {
	gap  dxGap
	dir  uint32
	name string
	seq  uint64
}

// dxGap is where an htree lookup that did not find a name saw room for
// it: the gap findGap would find in leaf block leaf (ok false if it saw
// none, or the lookup was not decided by one leaf).
type dxGap struct {
	ok             bool
	leaf           uint32
	off, rec, used int
}

// knownAbsent reports (once) whether Lookup found no name in dir just
// before the write operation now running began: then no operation can
// have added it since, nor changed the leaf where it saw room for it
// (returned as gap).
//
// Preconditions: fs.mu is held for writing, and the operation has
// called beginTx.
func (fs *FS) knownAbsent(dir uint32, name string) (ok bool, gap dxGap) {
	fs.negMu.Lock()
	defer fs.negMu.Unlock()
	n := fs.neg
	fs.neg = negLookup{}
	if n.ok && n.dir == dir && n.name == name && n.seq+1 == fs.opSeq {
		return true, n.gap
	}
	return false, dxGap{}
}

func (fs *FS) lookup(dir uint32, name string) (uint32, error) {
	return fs.lookupGap(dir, name, nil)
}

// lookupGap is lookup; when the name is not there, gap (if not nil)
// says where in its htree leaf it would go.
func (fs *FS) lookupGap(dir uint32, name string, gap *dxGap) (uint32, error) {
	if len(name) > maxNameLen {
		return 0, unix.ENAMETOOLONG
	}
	in, err := fs.inode(dir)
	if err != nil {
		return 0, err
	}
	if !in.IsDir() {
		return 0, unix.ENOTDIR
	}
	return fs.lookupIn(in, name, gap)
}

// lookupIn is lookupGap in directory in.
func (fs *FS) lookupIn(in *Inode, name string, gap *dxGap) (uint32, error) {
	// "." and ".." live in the htree root, outside the hashed leaves.
	if name != "." && name != ".." && in.Flags&FlagIndex != 0 && in.Flags&FlagInlineData == 0 &&
		fs.sb.HasCompat(CompatDirIndex) {
		var f File
		if err := fs.openInodeInto(in, &f); err != nil {
			return 0, err
		}
		if ino, ok, err := fs.dxLookup(in, &f, name, gap); ok {
			return ino, err
		}
	}
	if in.Flags&FlagInlineData != 0 {
		ents, err := fs.readDir(in)
		if err != nil {
			return 0, err
		}
		for _, e := range ents {
			if e.Name == name {
				return e.Ino, nil
			}
		}
		return 0, unix.ENOENT
	}
	return fs.scanDir(in, name)
}

// scanDir looks name up block by block without building the entry list.
func (fs *FS) scanDir(in *Inode, name string) (uint32, error) {
	f, err := fs.openInode(in)
	if err != nil {
		return 0, err
	}
	bs := uint64(fs.blockSize)
	if in.Size%bs != 0 {
		return 0, corrupt("directory inode %d size %d is not a multiple of the block size", in.Ino, in.Size)
	}
	buf := make([]byte, bs)
	for lblk := uint64(0); lblk*bs < in.Size; lblk++ {
		if err := fs.readDirFileBlock(in, f, lblk, buf); err != nil {
			return 0, err
		}
		if ino, err := fs.findInBlock(in, lblk, buf, name); err != unix.ENOENT {
			return ino, err
		}
	}
	return 0, unix.ENOENT
}

// findInBlock looks name up in directory block lblk of in (held in buf)
// without building the entry list: ENOENT when it is not there.
func (fs *FS) findInBlock(in *Inode, lblk uint64, buf []byte, name string) (uint32, error) {
	return fs.findInLeaf(in, lblk, buf, name, nil)
}

// findInLeaf is findInBlock; if gap is not nil, it also notes in it
// the first gap of the leaf that would hold the name, as findGap finds
// it (gap.ok false if there is none).
func (fs *FS) findInLeaf(in *Inode, lblk uint64, buf []byte, name string, gap *dxGap) (uint32, error) {
	need, space := DirentSize(len(name)), fs.leafSpace()
	bs, wide := fs.blockSize, !fs.hasFT
	wantGap := gap != nil && !gap.ok
	for off := 0; off < len(buf); {
		if off+direntHeader > len(buf) {
			return 0, corrupt("directory inode %d block %d: entry header at %d", in.Ino, lblk, off)
		}
		h := buf[off : off+direntHeader]
		ino := binary.LittleEndian.Uint32(h)
		rec := decodeRecLen(binary.LittleEndian.Uint16(h[4:]), bs)
		nl := int(h[6])
		if wide {
			nl |= int(h[7]) << 8
		}
		if rec < 12 || rec%4 != 0 || off+rec > len(buf) || direntHeader+nl > rec {
			return 0, corrupt("directory inode %d block %d: rec_len %d at %d", in.Ino, lblk, rec, off)
		}
		if nl == len(name) && ino != 0 && string(buf[off+direntHeader:off+direntHeader+nl]) == name {
			return ino, nil
		}
		if wantGap && off+rec <= space {
			used := 0
			if ino != 0 {
				used = DirentSize(nl)
			}
			if rec-used >= need {
				gap.ok, gap.leaf, gap.off, gap.rec, gap.used = true, uint32(lblk), off, rec, used
				wantGap = false
			}
		}
		off += rec
	}
	return 0, unix.ENOENT
}
