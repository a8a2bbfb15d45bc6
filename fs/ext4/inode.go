package ext4

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Inode is a decoded inode.
type Inode struct {
	Ino        uint32
	Mode       uint32 // S_IF* type bits and permission bits
	UID, GID   uint32
	Size       uint64
	Nlink      uint32
	Blocks     uint64 // in 512-byte units
	Flags      uint32
	Generation uint32
	Atime      unix.Timespec
	Mtime      unix.Timespec
	Ctime      unix.Timespec
	Crtime     unix.Timespec // zero if the inode has no crtime field
	// RdevMajor and RdevMinor are set for character and block devices.
	RdevMajor, RdevMinor uint32
	// FileACL is the block of the external xattr block (0 if none).
	FileACL uint64

	raw  RawInode
	disk []byte // the whole on-disk inode (s_inode_size bytes)
}

// clone returns a copy of in that shares nothing with it.
func (in *Inode) clone() *Inode {
	c := newInodeDisk(len(in.disk))
	disk := c.disk
	*c = *in
	c.disk = disk
	copy(c.disk, in.disk)
	return c
}

// inodeWithDisk is an Inode with room for its on-disk bytes in the same
// allocation (s_inode_size is 256 on today's file systems).
type inodeWithDisk struct {
	in  Inode
	buf [256]byte
}

// newInodeDisk returns a zero Inode with disk set to n zero bytes.
func newInodeDisk(n int) *Inode {
	if n <= 256 {
		w := &inodeWithDisk{}
		w.in.disk = w.buf[:n:n]
		return &w.in
	}
	return &Inode{disk: make([]byte, n)}
}

// Type returns the S_IF* type bits.
func (in *Inode) Type() uint32 { return in.Mode & ModeFmt }

// IsDir reports whether the inode is a directory.
func (in *Inode) IsDir() bool { return in.Type() == ModeDir }

// Raw returns the raw on-disk fields.
func (in *Inode) Raw() RawInode { return in.raw }

// decodeTime turns seconds plus the extra field (2 epoch bits, 30
// nanosecond bits) into a Timespec.
func decodeTime(sec, extra uint32, hasExtra bool) unix.Timespec {
	s := int64(int32(sec))
	var ns int64
	if hasExtra {
		s += int64(extra&3) << 32
		ns = int64(extra >> 2)
		if ns > 999999999 {
			ns = 0
		}
	}
	return unix.Timespec{Sec: s, Nsec: ns}
}

// EncodeTime splits a time into the seconds and extra fields.
func EncodeTime(t unix.Timespec) (sec, extra uint32) {
	s := t.Sec
	epoch := uint32((s - int64(int32(s))) >> 32 & 3)
	return uint32(s), epoch | uint32(t.Nsec)<<2
}

// Stat reads inode ino.
func (fs *FS) Stat(ino uint32) (*Inode, error) {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	c := *in
	c.disk = nil // (not read through Stat's copy)
	return &c, nil
}

// withInode calls f with inode ino, shared: f must neither change nor
// keep it (the vfs adapter's stats and type checks, without a copy).
func (fs *FS) withInode(ino uint32, f func(*Inode)) error {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	in, err := fs.inode(ino)
	if err != nil {
		return err
	}
	f(in)
	return nil
}

func (fs *FS) inodeLocation(ino uint32) (block uint64, off int, err error) {
	if ino == 0 || ino > fs.sb.InodesCount {
		return 0, 0, corrupt("inode number %d out of range", ino)
	}
	g := (ino - 1) / fs.sb.InodesPerGroup
	idx := uint64((ino - 1) % fs.sb.InodesPerGroup)
	byteOff := idx * uint64(fs.inodeSize)
	return fs.groups[g].InodeTable() + byteOff/uint64(fs.blockSize), int(byteOff % uint64(fs.blockSize)), nil
}

// readInode returns inode ino for the caller to change (and write back
// with writeInode).
func (fs *FS) readInode(ino uint32) (*Inode, error) {
	in, err := fs.inode(ino)
	if err != nil {
		return nil, err
	}
	return in.clone(), nil
}

// takeInode is readInode for a writer that writes the inode back with
// writeInodeLast: it returns the inode cache's entry itself rather than
// a copy, and the entry leaves the cache until that write puts it back
// (shared entries are used only under fs.mu, which the caller holds for
// writing, so no one else is using it; a failed operation leaves the
// cache without it, and the next reader decodes the inode again).
//
// Preconditions: fs.mu is held for writing.
func (fs *FS) takeInode(ino uint32) (*Inode, error) {
	blk, off, err := fs.inodeLocation(ino)
	if err != nil {
		return nil, err
	}
	if in := fs.icache.take(ino); in != nil && fs.cache.equalRange(blk, off, in.disk) {
		return in, nil
	}
	return fs.decodeInode(ino, blk, off)
}

// inode returns inode ino as decoded last (from the inode cache while its
// bytes are those in the metadata cache), shared: the caller must not
// change it.
func (fs *FS) inode(ino uint32) (*Inode, error) {
	blk, off, err := fs.inodeLocation(ino)
	if err != nil {
		return nil, err
	}
	if in := fs.icache.get(ino); in != nil && fs.cache.equalRange(blk, off, in.disk) {
		return in, nil
	}
	in, err := fs.decodeInode(ino, blk, off)
	if err != nil {
		return nil, err
	}
	fs.icache.put(in)
	return in, nil
}

// decodeInode reads and decodes inode ino at byte off of block blk.
func (fs *FS) decodeInode(ino uint32, blk uint64, off int) (*Inode, error) {
	in := newInodeDisk(fs.inodeSize)
	disk := in.disk
	if !fs.cache.getRange(blk, off, disk) {
		block := make([]byte, fs.blockSize)
		if err := fs.readBlock(blk, block); err != nil {
			return nil, corrupt("reading inode %d: %v", ino, err)
		}
		copy(disk, block[off:])
	}
	if fs.csum && !verifyInodeChecksum(fs.sb, disk, ino) && !allZero(disk) {
		return nil, corrupt("inode %d checksum mismatch", ino)
	}
	ri, err := DecodeInode(disk)
	if err != nil {
		return nil, corrupt("inode %d: %v", ino, err)
	}
	*in = Inode{
		Ino:        ino,
		Mode:       uint32(ri.Mode),
		UID:        uint32(ri.UIDLo) | uint32(ri.UIDHigh)<<16,
		GID:        uint32(ri.GIDLo) | uint32(ri.GIDHigh)<<16,
		Size:       uint64(ri.SizeLo) | uint64(ri.SizeHigh)<<32,
		Nlink:      uint32(ri.LinksCount),
		Flags:      ri.Flags,
		Generation: ri.Generation,
		FileACL:    uint64(ri.FileACLLo) | uint64(ri.FileACLHigh)<<32,
		raw:        *ri,
		disk:       disk,
	}
	extra := func(end int) bool { return int(ri.ExtraIsize)+GoodOldInodeSize >= end }
	in.Atime = decodeTime(ri.Atime, ri.AtimeExtra, extra(0x90))
	in.Mtime = decodeTime(ri.Mtime, ri.MtimeExtra, extra(0x8C))
	in.Ctime = decodeTime(ri.Ctime, ri.CtimeExtra, extra(0x88))
	if extra(0x98) {
		in.Crtime = decodeTime(ri.Crtime, ri.CrtimeExtra, true)
	}
	blocks := uint64(ri.BlocksLo)
	if fs.sb.HasROCompat(ROCompatHugeFile) {
		blocks |= uint64(ri.BlocksHigh) << 32
		if ri.Flags&FlagHugeFile != 0 {
			blocks *= uint64(fs.blockSize / 512)
		}
	}
	in.Blocks = blocks
	switch in.Type() {
	case ModeChr, ModeBlk:
		old := binary.LittleEndian.Uint32(ri.Block[0:])
		if old != 0 {
			in.RdevMajor, in.RdevMinor = old>>8&0xFF, old&0xFF
		} else {
			nw := binary.LittleEndian.Uint32(ri.Block[4:])
			in.RdevMajor = nw >> 8 & 0xFFF
			in.RdevMinor = nw&0xFF | nw>>12&0xFFF00
		}
	case ModeReg, ModeDir, ModeLnk, ModeFifo, ModeSock:
	default:
		if ri.LinksCount != 0 {
			return nil, corrupt("inode %d has unknown type 0%o", ino, in.Mode)
		}
	}
	if in.FileACL != 0 && !fs.validBlock(in.FileACL) {
		return nil, corrupt("inode %d xattr block %d out of range", ino, in.FileACL)
	}
	return in, nil
}

// EncodeDevice returns the i_block words for a device number (the "new"
// encoding in word 1; word 0 keeps the old 8:8 form when it fits, as Linux
// does).
func EncodeDevice(major, minor uint32) (old, nw uint32) {
	if major < 256 && minor < 256 {
		return major<<8 | minor, 0
	}
	return 0, minor&0xFF | major<<8 | (minor&^0xFF)<<12
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
