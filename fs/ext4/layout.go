package ext4

import (
	"encoding/binary"
)

// On-disk constants (Linux fs/ext4/ext4.h; values are part of the format).
const (
	SuperblockOffset = 1024
	SuperblockSize   = 1024
	SuperMagic       = 0xEF53

	RootIno         = 2
	JournalIno      = 8
	GoodOldFirstIno = 11

	// Compatible features.
	CompatDirPrealloc  = 0x1
	CompatImagicInodes = 0x2
	CompatHasJournal   = 0x4
	CompatExtAttr      = 0x8
	CompatResizeInode  = 0x10
	CompatDirIndex     = 0x20
	CompatSparseSuper2 = 0x200
	CompatFastCommit   = 0x400
	CompatStableInodes = 0x800
	CompatOrphanFile   = 0x1000

	// Incompatible features.
	IncompatCompression = 0x1
	IncompatFiletype    = 0x2
	IncompatRecover     = 0x4
	IncompatJournalDev  = 0x8
	IncompatMetaBG      = 0x10
	IncompatExtents     = 0x40
	Incompat64Bit       = 0x80
	IncompatMMP         = 0x100
	IncompatFlexBG      = 0x200
	IncompatEAInode     = 0x400
	IncompatDirData     = 0x1000
	IncompatCsumSeed    = 0x2000
	IncompatLargeDir    = 0x4000
	IncompatInlineData  = 0x8000
	IncompatEncrypt     = 0x10000
	IncompatCasefold    = 0x20000

	// Read-only compatible features.
	ROCompatSparseSuper   = 0x1
	ROCompatLargeFile     = 0x2
	ROCompatBtreeDir      = 0x4
	ROCompatHugeFile      = 0x8
	ROCompatGdtCsum       = 0x10
	ROCompatDirNlink      = 0x20
	ROCompatExtraIsize    = 0x40
	ROCompatHasSnapshot   = 0x80
	ROCompatQuota         = 0x100
	ROCompatBigalloc      = 0x200
	ROCompatMetadataCsum  = 0x400
	ROCompatReplica       = 0x800
	ROCompatReadonly      = 0x1000
	ROCompatProject       = 0x2000
	ROCompatSharedBlocks  = 0x4000
	ROCompatVerity        = 0x8000
	ROCompatOrphanPresent = 0x10000

	// Group descriptor flags.
	BGInodeUninit = 0x1
	BGBlockUninit = 0x2
	BGInodeZeroed = 0x4

	// Inode flags.
	FlagSecRm      = 0x1
	FlagImmutable  = 0x10
	FlagAppend     = 0x20
	FlagNoatime    = 0x80
	FlagIndex      = 0x1000
	FlagHugeFile   = 0x40000
	FlagExtents    = 0x80000
	FlagEAInode    = 0x200000
	FlagInlineData = 0x10000000

	// Directory entry file types (with the FILETYPE feature).
	FTUnknown = 0
	FTRegFile = 1
	FTDir     = 2
	FTChrdev  = 3
	FTBlkdev  = 4
	FTFifo    = 5
	FTSock    = 6
	FTSymlink = 7
	// FTDirCsum marks the fake entry that holds a leaf block's checksum.
	FTDirCsum = 0xDE

	ExtentMagic  = 0xF30A
	XattrMagic   = 0xEA020000
	JournalMagic = 0xC03B3998

	// Inode mode type bits (same as S_IF*).
	ModeFmt  = 0xF000
	ModeSock = 0xC000
	ModeLnk  = 0xA000
	ModeReg  = 0x8000
	ModeBlk  = 0x6000
	ModeDir  = 0x4000
	ModeChr  = 0x2000
	ModeFifo = 0x1000

	// NDirBlocks is the number of direct block pointers in i_block.
	NDirBlocks = 12
	// IBlockSize is the size of the i_block area in bytes.
	IBlockSize = 60

	// MaxInitExtentLen is the longest initialized extent.
	MaxInitExtentLen = 32768
)

// Superblock is struct ext4_super_block, field for field.
type Superblock struct {
	InodesCount          uint32 // 0x0
	BlocksCountLo        uint32
	RBlocksCountLo       uint32
	FreeBlocksCountLo    uint32
	FreeInodesCount      uint32 // 0x10
	FirstDataBlock       uint32
	LogBlockSize         uint32
	LogClusterSize       uint32
	BlocksPerGroup       uint32 // 0x20
	ClustersPerGroup     uint32
	InodesPerGroup       uint32
	Mtime                uint32
	Wtime                uint32 // 0x30
	MntCount             uint16
	MaxMntCount          uint16
	Magic                uint16 // 0x38
	State                uint16
	Errors               uint16
	MinorRevLevel        uint16
	LastCheck            uint32 // 0x40
	CheckInterval        uint32
	CreatorOS            uint32
	RevLevel             uint32
	DefResUID            uint16 // 0x50
	DefResGID            uint16
	FirstIno             uint32
	InodeSize            uint16 // 0x58
	BlockGroupNr         uint16
	FeatureCompat        uint32 // 0x5C
	FeatureIncompat      uint32
	FeatureROCompat      uint32
	UUID                 [16]byte // 0x68
	VolumeName           [16]byte // 0x78
	LastMounted          [64]byte // 0x88
	AlgorithmUsageBitmap uint32   // 0xC8
	PreallocBlocks       uint8
	PreallocDirBlocks    uint8
	ReservedGDTBlocks    uint16   // 0xCE
	JournalUUID          [16]byte // 0xD0
	JournalInum          uint32   // 0xE0
	JournalDev           uint32
	LastOrphan           uint32    // 0xE8
	HashSeed             [4]uint32 // 0xEC
	DefHashVersion       uint8     // 0xFC
	JnlBackupType        uint8
	DescSize             uint16 // 0xFE
	DefaultMountOpts     uint32 // 0x100
	FirstMetaBG          uint32
	MkfsTime             uint32     // 0x108
	JnlBlocks            [17]uint32 // 0x10C
	BlocksCountHi        uint32     // 0x150
	RBlocksCountHi       uint32
	FreeBlocksCountHi    uint32
	MinExtraIsize        uint16 // 0x15C
	WantExtraIsize       uint16
	Flags                uint32 // 0x160
	RaidStride           uint16
	MMPInterval          uint16
	MMPBlock             uint64 // 0x168
	RaidStripeWidth      uint32 // 0x170
	LogGroupsPerFlex     uint8
	ChecksumType         uint8
	EncryptionLevel      uint8
	ReservedPad          uint8
	KBytesWritten        uint64 // 0x178
	SnapshotInum         uint32 // 0x180
	SnapshotID           uint32
	SnapshotRBlocksCount uint64 // 0x188
	SnapshotList         uint32 // 0x190
	ErrorCount           uint32
	FirstErrorTime       uint32
	FirstErrorIno        uint32
	FirstErrorBlock      uint64   // 0x1A0
	FirstErrorFunc       [32]byte // 0x1A8
	FirstErrorLine       uint32   // 0x1C8
	LastErrorTime        uint32
	LastErrorIno         uint32
	LastErrorLine        uint32
	LastErrorBlock       uint64    // 0x1D8
	LastErrorFunc        [32]byte  // 0x1E0
	MountOpts            [64]byte  // 0x200
	UsrQuotaInum         uint32    // 0x240
	GrpQuotaInum         uint32    // 0x244
	OverheadClusters     uint32    // 0x248
	BackupBGs            [2]uint32 // 0x24C
	EncryptAlgos         [4]byte   // 0x254
	EncryptPwSalt        [16]byte  // 0x258
	LPFIno               uint32    // 0x268
	PrjQuotaInum         uint32
	ChecksumSeed         uint32 // 0x270
	WtimeHi              uint8  // 0x274
	MtimeHi              uint8
	MkfsTimeHi           uint8
	LastCheckHi          uint8
	FirstErrorTimeHi     uint8
	LastErrorTimeHi      uint8
	FirstErrorErrcode    uint8
	LastErrorErrcode     uint8
	Encoding             uint16 // 0x27C
	EncodingFlags        uint16
	OrphanFileInum       uint32     // 0x280
	Reserved             [94]uint32 // 0x284
	Checksum             uint32     // 0x3FC
}

// DecodeSuperblock parses a 1024-byte superblock.
func DecodeSuperblock(b []byte) (*Superblock, error) {
	if len(b) < SuperblockSize {
		return nil, corrupt("short superblock (%d bytes)", len(b))
	}
	sb := new(Superblock)
	if _, err := binary.Decode(b[:SuperblockSize], binary.LittleEndian, sb); err != nil {
		return nil, corrupt("superblock: %v", err)
	}
	return sb, nil
}

// Encode returns the 1024-byte little-endian form. It does not update the
// checksum; call SetChecksum first.
func (sb *Superblock) Encode() []byte {
	b := make([]byte, SuperblockSize)
	if _, err := binary.Encode(b, binary.LittleEndian, sb); err != nil {
		panic("ext4: superblock encoding: " + err.Error()) // fixed-size struct: cannot fail
	}
	return b
}

// ComputeChecksum returns the metadata_csum checksum of the superblock.
func (sb *Superblock) ComputeChecksum() uint32 {
	b := sb.Encode()
	return crc32c(^uint32(0), b[:0x3FC])
}

// SetChecksum stores the checksum if metadata_csum is on.
func (sb *Superblock) SetChecksum() {
	if sb.HasROCompat(ROCompatMetadataCsum) {
		sb.Checksum = sb.ComputeChecksum()
	}
}

func (sb *Superblock) HasCompat(f uint32) bool   { return sb.FeatureCompat&f != 0 }
func (sb *Superblock) HasIncompat(f uint32) bool { return sb.FeatureIncompat&f != 0 }
func (sb *Superblock) HasROCompat(f uint32) bool { return sb.FeatureROCompat&f != 0 }

// BlockSize is the file system block size in bytes.
func (sb *Superblock) BlockSize() int { return 1024 << sb.LogBlockSize }

// BlocksCount is the total number of blocks.
func (sb *Superblock) BlocksCount() uint64 {
	n := uint64(sb.BlocksCountLo)
	if sb.HasIncompat(Incompat64Bit) {
		n |= uint64(sb.BlocksCountHi) << 32
	}
	return n
}

// SetBlocksCount stores the total number of blocks.
func (sb *Superblock) SetBlocksCount(n uint64) {
	sb.BlocksCountLo, sb.BlocksCountHi = uint32(n), uint32(n>>32)
}

// FreeBlocksCount is the free block count of the superblock.
func (sb *Superblock) FreeBlocksCount() uint64 {
	n := uint64(sb.FreeBlocksCountLo)
	if sb.HasIncompat(Incompat64Bit) {
		n |= uint64(sb.FreeBlocksCountHi) << 32
	}
	return n
}

// SetFreeBlocksCount stores the free block count.
func (sb *Superblock) SetFreeBlocksCount(n uint64) {
	sb.FreeBlocksCountLo, sb.FreeBlocksCountHi = uint32(n), uint32(n>>32)
}

// SetRBlocksCount stores the reserved block count.
func (sb *Superblock) SetRBlocksCount(n uint64) {
	sb.RBlocksCountLo, sb.RBlocksCountHi = uint32(n), uint32(n>>32)
}

// GroupCount is the number of block groups.
func (sb *Superblock) GroupCount() uint64 {
	if sb.BlocksPerGroup == 0 {
		return 0
	}
	return (sb.BlocksCount() - uint64(sb.FirstDataBlock) + uint64(sb.BlocksPerGroup) - 1) / uint64(sb.BlocksPerGroup)
}

// DescSizeBytes is the size of one group descriptor.
func (sb *Superblock) DescSizeBytes() int {
	if sb.HasIncompat(Incompat64Bit) {
		return int(sb.DescSize)
	}
	return 32
}

// CsumSeed is the seed that every metadata_csum checksum starts from.
func (sb *Superblock) CsumSeed() uint32 {
	if sb.HasIncompat(IncompatCsumSeed) {
		return sb.ChecksumSeed
	}
	return crc32c(^uint32(0), sb.UUID[:])
}

// HasSuper reports whether block group g holds a superblock backup (and
// with it a copy of the group descriptor table).
func (sb *Superblock) HasSuper(g uint64) bool {
	if g == 0 {
		return true
	}
	if sb.HasCompat(CompatSparseSuper2) {
		return g == uint64(sb.BackupBGs[0]) || g == uint64(sb.BackupBGs[1])
	}
	if g <= 1 || !sb.HasROCompat(ROCompatSparseSuper) {
		return true
	}
	if g&1 == 0 {
		return false
	}
	return isPower(g, 3) || isPower(g, 5) || isPower(g, 7)
}

func isPower(n, base uint64) bool {
	for n%base == 0 {
		n /= base
	}
	return n == 1
}

// GroupDesc is struct ext4_group_desc (64-byte form; the 32-byte form is
// its first half).
type GroupDesc struct {
	BlockBitmapLo     uint32 // 0x0
	InodeBitmapLo     uint32
	InodeTableLo      uint32
	FreeBlocksCountLo uint16 // 0xC
	FreeInodesCountLo uint16
	UsedDirsCountLo   uint16 // 0x10
	Flags             uint16
	ExcludeBitmapLo   uint32
	BlockBitmapCsumLo uint16 // 0x18
	InodeBitmapCsumLo uint16
	ItableUnusedLo    uint16
	Checksum          uint16 // 0x1E
	BlockBitmapHi     uint32 // 0x20
	InodeBitmapHi     uint32
	InodeTableHi      uint32
	FreeBlocksCountHi uint16 // 0x2C
	FreeInodesCountHi uint16
	UsedDirsCountHi   uint16 // 0x30
	ItableUnusedHi    uint16
	ExcludeBitmapHi   uint32
	BlockBitmapCsumHi uint16 // 0x38
	InodeBitmapCsumHi uint16
	Reserved          uint32
}

const groupDescChecksumOffset = 0x1E

// DecodeGroupDesc parses a descriptor of size len(b) (32, or 64 and more).
func DecodeGroupDesc(b []byte) (*GroupDesc, error) {
	var full [64]byte
	if len(b) < 32 {
		return nil, corrupt("short group descriptor (%d bytes)", len(b))
	}
	copy(full[:], b)
	gd := new(GroupDesc)
	if _, err := binary.Decode(full[:], binary.LittleEndian, gd); err != nil {
		return nil, corrupt("group descriptor: %v", err)
	}
	return gd, nil
}

// Encode returns the descriptor in size bytes (32 or >= 64).
func (gd *GroupDesc) Encode(size int) []byte {
	var full [64]byte
	gd.encodeInto(&full)
	b := make([]byte, size)
	copy(b, full[:])
	return b
}

// encodeInto is Encode's first 64 bytes, in place (what binary.Encode
// does, without reflection: descriptors are written with every
// allocation).
func (gd *GroupDesc) encodeInto(b *[64]byte) {
	le := binary.LittleEndian
	le.PutUint32(b[0x0:], gd.BlockBitmapLo)
	le.PutUint32(b[0x4:], gd.InodeBitmapLo)
	le.PutUint32(b[0x8:], gd.InodeTableLo)
	le.PutUint16(b[0xC:], gd.FreeBlocksCountLo)
	le.PutUint16(b[0xE:], gd.FreeInodesCountLo)
	le.PutUint16(b[0x10:], gd.UsedDirsCountLo)
	le.PutUint16(b[0x12:], gd.Flags)
	le.PutUint32(b[0x14:], gd.ExcludeBitmapLo)
	le.PutUint16(b[0x18:], gd.BlockBitmapCsumLo)
	le.PutUint16(b[0x1A:], gd.InodeBitmapCsumLo)
	le.PutUint16(b[0x1C:], gd.ItableUnusedLo)
	le.PutUint16(b[0x1E:], gd.Checksum)
	le.PutUint32(b[0x20:], gd.BlockBitmapHi)
	le.PutUint32(b[0x24:], gd.InodeBitmapHi)
	le.PutUint32(b[0x28:], gd.InodeTableHi)
	le.PutUint16(b[0x2C:], gd.FreeBlocksCountHi)
	le.PutUint16(b[0x2E:], gd.FreeInodesCountHi)
	le.PutUint16(b[0x30:], gd.UsedDirsCountHi)
	le.PutUint16(b[0x32:], gd.ItableUnusedHi)
	le.PutUint32(b[0x34:], gd.ExcludeBitmapHi)
	le.PutUint16(b[0x38:], gd.BlockBitmapCsumHi)
	le.PutUint16(b[0x3A:], gd.InodeBitmapCsumHi)
	le.PutUint32(b[0x3C:], gd.Reserved)
}

func (gd *GroupDesc) BlockBitmap() uint64 {
	return uint64(gd.BlockBitmapLo) | uint64(gd.BlockBitmapHi)<<32
}
func (gd *GroupDesc) InodeBitmap() uint64 {
	return uint64(gd.InodeBitmapLo) | uint64(gd.InodeBitmapHi)<<32
}
func (gd *GroupDesc) InodeTable() uint64 {
	return uint64(gd.InodeTableLo) | uint64(gd.InodeTableHi)<<32
}
func (gd *GroupDesc) FreeBlocksCount() uint32 {
	return uint32(gd.FreeBlocksCountLo) | uint32(gd.FreeBlocksCountHi)<<16
}
func (gd *GroupDesc) FreeInodesCount() uint32 {
	return uint32(gd.FreeInodesCountLo) | uint32(gd.FreeInodesCountHi)<<16
}
func (gd *GroupDesc) UsedDirsCount() uint32 {
	return uint32(gd.UsedDirsCountLo) | uint32(gd.UsedDirsCountHi)<<16
}
func (gd *GroupDesc) ItableUnused() uint32 {
	return uint32(gd.ItableUnusedLo) | uint32(gd.ItableUnusedHi)<<16
}

func (gd *GroupDesc) SetBlockBitmap(b uint64) {
	gd.BlockBitmapLo, gd.BlockBitmapHi = uint32(b), uint32(b>>32)
}
func (gd *GroupDesc) SetInodeBitmap(b uint64) {
	gd.InodeBitmapLo, gd.InodeBitmapHi = uint32(b), uint32(b>>32)
}
func (gd *GroupDesc) SetInodeTable(b uint64) {
	gd.InodeTableLo, gd.InodeTableHi = uint32(b), uint32(b>>32)
}
func (gd *GroupDesc) SetFreeBlocksCount(n uint32) {
	gd.FreeBlocksCountLo, gd.FreeBlocksCountHi = uint16(n), uint16(n>>16)
}
func (gd *GroupDesc) SetFreeInodesCount(n uint32) {
	gd.FreeInodesCountLo, gd.FreeInodesCountHi = uint16(n), uint16(n>>16)
}
func (gd *GroupDesc) SetUsedDirsCount(n uint32) {
	gd.UsedDirsCountLo, gd.UsedDirsCountHi = uint16(n), uint16(n>>16)
}
func (gd *GroupDesc) SetItableUnused(n uint32) {
	gd.ItableUnusedLo, gd.ItableUnusedHi = uint16(n), uint16(n>>16)
}

// SetBitmapChecksums stores the metadata_csum checksums of the group's
// block bitmap (clustersPerGroup bits) and inode bitmap (inodesPerGroup
// bits).
func (gd *GroupDesc) SetBitmapChecksums(sb *Superblock, blockBitmap, inodeBitmap []byte) {
	seed := sb.CsumSeed()
	bc := crc32c(seed, blockBitmap[:sb.ClustersPerGroup/8])
	ic := crc32c(seed, inodeBitmap[:sb.InodesPerGroup/8])
	gd.BlockBitmapCsumLo, gd.InodeBitmapCsumLo = uint16(bc), uint16(ic)
	if sb.DescSizeBytes() >= 64 {
		gd.BlockBitmapCsumHi, gd.InodeBitmapCsumHi = uint16(bc>>16), uint16(ic>>16)
	}
}

// ComputeChecksum returns the descriptor checksum for group g: crc32c
// (low 16 bits) with metadata_csum, crc16 with gdt_csum, 0 otherwise.
func (gd *GroupDesc) ComputeChecksum(sb *Superblock, g uint32) uint16 {
	size := sb.DescSizeBytes()
	var full [64]byte
	var b []byte
	if size <= len(full) {
		gd.encodeInto(&full)
		b = full[:size]
	} else {
		b = gd.Encode(size)
	}
	b[groupDescChecksumOffset], b[groupDescChecksumOffset+1] = 0, 0
	var le [4]byte
	binary.LittleEndian.PutUint32(le[:], g)
	switch {
	case sb.HasROCompat(ROCompatMetadataCsum):
		c := crc32cSmall(sb.CsumSeed(), le[:])
		return uint16(crc32cSmall(c, b))
	case sb.HasROCompat(ROCompatGdtCsum):
		c := crc16(0xFFFF, sb.UUID[:])
		c = crc16(c, le[:])
		c = crc16(c, b[:groupDescChecksumOffset])
		if size > groupDescChecksumOffset+2 {
			c = crc16(c, b[groupDescChecksumOffset+2:])
		}
		return c
	}
	return 0
}

// RawInode is struct ext4_inode up to and including i_projid (160 bytes).
type RawInode struct {
	Mode        uint16 // 0x0
	UIDLo       uint16
	SizeLo      uint32
	Atime       uint32 // 0x8
	Ctime       uint32
	Mtime       uint32 // 0x10
	Dtime       uint32
	GIDLo       uint16 // 0x18
	LinksCount  uint16
	BlocksLo    uint32 // 0x1C
	Flags       uint32 // 0x20
	Version     uint32
	Block       [IBlockSize]byte // 0x28
	Generation  uint32           // 0x64
	FileACLLo   uint32
	SizeHigh    uint32 // 0x6C
	ObsoFaddr   uint32
	BlocksHigh  uint16 // 0x74
	FileACLHigh uint16
	UIDHigh     uint16
	GIDHigh     uint16
	ChecksumLo  uint16 // 0x7C
	Reserved    uint16
	ExtraIsize  uint16 // 0x80
	ChecksumHi  uint16
	CtimeExtra  uint32 // 0x84
	MtimeExtra  uint32
	AtimeExtra  uint32
	Crtime      uint32 // 0x90
	CrtimeExtra uint32
	VersionHi   uint32
	Projid      uint32 // 0x9C
}

const (
	// GoodOldInodeSize is the size of the base inode (no extra fields).
	GoodOldInodeSize = 128
	// rawInodeSize is sizeof(RawInode).
	rawInodeSize = 160
	// ExtraIsize is the i_extra_isize this package writes: all fields up
	// to i_projid.
	ExtraIsize = rawInodeSize - GoodOldInodeSize

	inodeChecksumLoOffset = 0x7C
	inodeChecksumHiOffset = 0x82
)

// DecodeInode parses the fields of an on-disk inode of len(b) bytes.
// Fields beyond 128+i_extra_isize read as zero.
func DecodeInode(b []byte) (*RawInode, error) {
	if len(b) < GoodOldInodeSize {
		return nil, corrupt("short inode (%d bytes)", len(b))
	}
	var full [rawInodeSize]byte
	copy(full[:], b)
	ri := new(RawInode)
	ri.unmarshal(&full)
	if len(b) > GoodOldInodeSize {
		if int(ri.ExtraIsize) > len(b)-GoodOldInodeSize || ri.ExtraIsize&3 != 0 {
			return nil, corrupt("inode extra size %d", ri.ExtraIsize)
		}
		// Zero the fields that lie outside i_extra_isize.
		if ri.ExtraIsize < rawInodeSize-GoodOldInodeSize {
			copy(full[GoodOldInodeSize+int(ri.ExtraIsize):], make([]byte, rawInodeSize))
			keep := ri.ExtraIsize
			ri = new(RawInode)
			ri.unmarshal(&full)
			ri.ExtraIsize = keep
		}
	} else {
		ri.ExtraIsize = 0
	}
	return ri, nil
}

// EncodeInto writes the inode into b (an on-disk inode slot of
// s_inode_size bytes), leaving the bytes past the encoded fields (in-inode
// xattrs) as they are.
func (ri *RawInode) EncodeInto(b []byte) {
	var full [rawInodeSize]byte
	ri.marshal(&full)
	n := GoodOldInodeSize
	if len(b) > GoodOldInodeSize {
		n += int(ri.ExtraIsize)
	}
	copy(b[:n], full[:])
}

// unmarshal decodes the fields of RawInode from b (what binary.Decode
// does, without reflection: inodes are decoded on every lookup).
func (ri *RawInode) unmarshal(b *[rawInodeSize]byte) {
	le := binary.LittleEndian
	ri.Mode = le.Uint16(b[0:])
	ri.UIDLo = le.Uint16(b[2:])
	ri.SizeLo = le.Uint32(b[4:])
	ri.Atime = le.Uint32(b[8:])
	ri.Ctime = le.Uint32(b[12:])
	ri.Mtime = le.Uint32(b[16:])
	ri.Dtime = le.Uint32(b[20:])
	ri.GIDLo = le.Uint16(b[24:])
	ri.LinksCount = le.Uint16(b[26:])
	ri.BlocksLo = le.Uint32(b[28:])
	ri.Flags = le.Uint32(b[32:])
	ri.Version = le.Uint32(b[36:])
	copy(ri.Block[:], b[40:40+IBlockSize])
	ri.Generation = le.Uint32(b[100:])
	ri.FileACLLo = le.Uint32(b[104:])
	ri.SizeHigh = le.Uint32(b[108:])
	ri.ObsoFaddr = le.Uint32(b[112:])
	ri.BlocksHigh = le.Uint16(b[116:])
	ri.FileACLHigh = le.Uint16(b[118:])
	ri.UIDHigh = le.Uint16(b[120:])
	ri.GIDHigh = le.Uint16(b[122:])
	ri.ChecksumLo = le.Uint16(b[124:])
	ri.Reserved = le.Uint16(b[126:])
	ri.ExtraIsize = le.Uint16(b[128:])
	ri.ChecksumHi = le.Uint16(b[130:])
	ri.CtimeExtra = le.Uint32(b[132:])
	ri.MtimeExtra = le.Uint32(b[136:])
	ri.AtimeExtra = le.Uint32(b[140:])
	ri.Crtime = le.Uint32(b[144:])
	ri.CrtimeExtra = le.Uint32(b[148:])
	ri.VersionHi = le.Uint32(b[152:])
	ri.Projid = le.Uint32(b[156:])
}

// marshal encodes RawInode into b, as binary.Encode does.
func (ri *RawInode) marshal(b *[rawInodeSize]byte) {
	le := binary.LittleEndian
	le.PutUint16(b[0:], ri.Mode)
	le.PutUint16(b[2:], ri.UIDLo)
	le.PutUint32(b[4:], ri.SizeLo)
	le.PutUint32(b[8:], ri.Atime)
	le.PutUint32(b[12:], ri.Ctime)
	le.PutUint32(b[16:], ri.Mtime)
	le.PutUint32(b[20:], ri.Dtime)
	le.PutUint16(b[24:], ri.GIDLo)
	le.PutUint16(b[26:], ri.LinksCount)
	le.PutUint32(b[28:], ri.BlocksLo)
	le.PutUint32(b[32:], ri.Flags)
	le.PutUint32(b[36:], ri.Version)
	copy(b[40:40+IBlockSize], ri.Block[:])
	le.PutUint32(b[100:], ri.Generation)
	le.PutUint32(b[104:], ri.FileACLLo)
	le.PutUint32(b[108:], ri.SizeHigh)
	le.PutUint32(b[112:], ri.ObsoFaddr)
	le.PutUint16(b[116:], ri.BlocksHigh)
	le.PutUint16(b[118:], ri.FileACLHigh)
	le.PutUint16(b[120:], ri.UIDHigh)
	le.PutUint16(b[122:], ri.GIDHigh)
	le.PutUint16(b[124:], ri.ChecksumLo)
	le.PutUint16(b[126:], ri.Reserved)
	le.PutUint16(b[128:], ri.ExtraIsize)
	le.PutUint16(b[130:], ri.ChecksumHi)
	le.PutUint32(b[132:], ri.CtimeExtra)
	le.PutUint32(b[136:], ri.MtimeExtra)
	le.PutUint32(b[140:], ri.AtimeExtra)
	le.PutUint32(b[144:], ri.Crtime)
	le.PutUint32(b[148:], ri.CrtimeExtra)
	le.PutUint32(b[152:], ri.VersionHi)
	le.PutUint32(b[156:], ri.Projid)
}

// InodeCsumSeed is the per-inode checksum seed (extent blocks, directory
// blocks and the inode itself chain from it).
func InodeCsumSeed(fsSeed, ino, generation uint32) uint32 {
	var le [4]byte
	binary.LittleEndian.PutUint32(le[:], ino)
	c := crc32cSmall(fsSeed, le[:])
	binary.LittleEndian.PutUint32(le[:], generation)
	return crc32cSmall(c, le[:])
}

// inodeChecksum computes the checksum of the on-disk inode b (s_inode_size
// bytes) with its checksum fields treated as zero.
func inodeChecksum(b []byte, inodeSeed uint32) uint32 {
	hasHi := len(b) > GoodOldInodeSize &&
		int(binary.LittleEndian.Uint16(b[0x80:]))+GoodOldInodeSize >= inodeChecksumHiOffset+2
	var zero [2]byte
	c := crc32c(inodeSeed, b[:inodeChecksumLoOffset])
	c = crc32cSmall(c, zero[:])
	if len(b) <= GoodOldInodeSize {
		return crc32c(c, b[inodeChecksumLoOffset+2:])
	}
	c = crc32c(c, b[inodeChecksumLoOffset+2:inodeChecksumHiOffset])
	if hasHi {
		c = crc32cSmall(c, zero[:])
	} else {
		c = crc32c(c, b[inodeChecksumHiOffset:inodeChecksumHiOffset+2])
	}
	return crc32c(c, b[inodeChecksumHiOffset+2:])
}

// SetInodeChecksum stores the metadata_csum checksum of the on-disk inode b
// (all s_inode_size bytes, already encoded) for inode number ino.
func SetInodeChecksum(sb *Superblock, b []byte, ino uint32) {
	gen := binary.LittleEndian.Uint32(b[0x64:])
	c := inodeChecksum(b, InodeCsumSeed(sb.CsumSeed(), ino, gen))
	binary.LittleEndian.PutUint16(b[inodeChecksumLoOffset:], uint16(c))
	if len(b) > GoodOldInodeSize && int(binary.LittleEndian.Uint16(b[0x80:]))+GoodOldInodeSize >= inodeChecksumHiOffset+2 {
		binary.LittleEndian.PutUint16(b[inodeChecksumHiOffset:], uint16(c>>16))
	}
}

// verifyInodeChecksum checks b's stored checksum.
func verifyInodeChecksum(sb *Superblock, b []byte, ino uint32) bool {
	gen := binary.LittleEndian.Uint32(b[0x64:])
	c := inodeChecksum(b, InodeCsumSeed(sb.CsumSeed(), ino, gen))
	stored := uint32(binary.LittleEndian.Uint16(b[inodeChecksumLoOffset:]))
	if len(b) > GoodOldInodeSize && int(binary.LittleEndian.Uint16(b[0x80:]))+GoodOldInodeSize >= inodeChecksumHiOffset+2 {
		stored |= uint32(binary.LittleEndian.Uint16(b[inodeChecksumHiOffset:])) << 16
	} else {
		c &= 0xFFFF
	}
	return c == stored
}
