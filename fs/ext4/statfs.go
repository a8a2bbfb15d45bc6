package ext4

// Statfs is the file system's usage, as statfs(2) reports it.
type Statfs struct {
	BlockSize   int64
	Blocks      uint64 // data blocks (total minus the metadata overhead is not subtracted)
	FreeBlocks  uint64
	AvailBlocks uint64 // free blocks less the reserved ones
	Inodes      uint64
	FreeInodes  uint64
	NameLen     int64
}

// Magic is EXT4_SUPER_MAGIC, statfs's f_type for ext2/3/4.
const Magic = 0xEF53

// Statfs counts free blocks and inodes from the group descriptors.
func (fs *FS) Statfs() Statfs {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	var freeB, freeI uint64
	for _, gd := range fs.groups {
		freeB += uint64(gd.FreeBlocksCount())
		freeI += uint64(gd.FreeInodesCount())
	}
	reserved := uint64(fs.sb.RBlocksCountLo)
	if fs.sb.HasIncompat(Incompat64Bit) {
		reserved |= uint64(fs.sb.RBlocksCountHi) << 32
	}
	avail := uint64(0)
	if freeB > reserved {
		avail = freeB - reserved
	}
	return Statfs{
		BlockSize:   int64(fs.blockSize),
		Blocks:      fs.blocks - uint64(fs.sb.FirstDataBlock),
		FreeBlocks:  freeB,
		AvailBlocks: avail,
		Inodes:      uint64(fs.sb.InodesCount),
		FreeInodes:  freeI,
		NameLen:     maxNameLen,
	}
}
