package ext4

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Features this package understands. An image with an incompatible feature
// outside supportedIncompat is refused; one with a read-only-compatible
// feature outside supportedROCompat can be read but not written.
const (
	supportedIncompat = IncompatFiletype | IncompatMetaBG | IncompatExtents |
		Incompat64Bit | IncompatFlexBG | IncompatCsumSeed | IncompatLargeDir |
		IncompatInlineData | IncompatEAInode | IncompatMMP | IncompatRecover
	supportedROCompat = ROCompatSparseSuper | ROCompatLargeFile | ROCompatBtreeDir |
		ROCompatHugeFile | ROCompatGdtCsum | ROCompatDirNlink | ROCompatExtraIsize |
		ROCompatMetadataCsum
)

var incompatNames = map[uint32]string{
	IncompatCompression: "compression", IncompatFiletype: "filetype",
	IncompatRecover: "needs_recovery", IncompatJournalDev: "journal_dev",
	IncompatMetaBG: "meta_bg", IncompatExtents: "extent", Incompat64Bit: "64bit",
	IncompatMMP: "mmp", IncompatFlexBG: "flex_bg", IncompatEAInode: "ea_inode",
	IncompatDirData: "dirdata", IncompatCsumSeed: "metadata_csum_seed",
	IncompatLargeDir: "large_dir", IncompatInlineData: "inline_data",
	IncompatEncrypt: "encrypt", IncompatCasefold: "casefold",
}

func featureNames(bits uint32, names map[uint32]string) string {
	var out []string
	for i := 0; i < 32; i++ {
		f := uint32(1) << i
		if bits&f == 0 {
			continue
		}
		if n, ok := names[f]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("0x%x", f))
		}
	}
	return fmt.Sprint(out)
}

// Options control Open.
type Options struct {
	// IgnoreRecovery opens a file system whose journal needs recovery
	// without replaying it (reads may see stale metadata; read-only).
	IgnoreRecovery bool
	// Now is the clock for the timestamps that writes set (default:
	// the host's real-time clock).
	Now func() unix.Timespec
	// NoSync skips the fsync barriers around journal commits: faster,
	// for scratch images whose crash safety does not matter.
	NoSync bool
	// CommitInterval is how long a transaction runs before it is
	// committed (default 5 s, jbd2's commit age); Sync and Close commit
	// it sooner.
	CommitInterval time.Duration
}

// FS is an open ext2/3/4 file system. Its methods are safe for
// concurrent use: readers share mu, writers hold it alone.
type FS struct {
	dev io.ReaderAt
	// wdev is dev's writer for a file system opened with OpenRW (nil
	// when read-only).
	wdev io.WriterAt
	// now is the clock for timestamps of writes.
	now func() unix.Timespec
	// noSync skips fsync barriers (Options.NoSync).
	noSync bool

	// jw writes transactions to the journal (nil: no journaling).
	jw *journalWriter
	// tx is the running transaction (nil when none is running). It is
	// changed by writers, which hold mu.
	tx atomic.Pointer[tx]
	// frozen is the transaction being committed, or whose commit
	// failed (nil when none): its blocks may not be in place. It is
	// changed under mu.
	frozen atomic.Pointer[tx]
	// committing is set while a commit writes the frozen transaction
	// without mu (guarded by mu); commitDone (over mu) is broadcast
	// when it ends.
	committing bool
	commitDone *sync.Cond
	// frozenFree is pendingFree of the frozen transaction: blocks not
	// reused before it is committed (guarded by mu).
	frozenFree map[uint32][][2]uint64
	// commitTimer commits the running transaction when the interval
	// has passed (guarded by mu).
	commitTimer    *time.Timer
	commitInterval time.Duration
	// data is the buffered file data (databuf.go; nil without a
	// journal). The writer holding mu changes it.
	data atomic.Pointer[dataBuf]
	// gdBuf is where writeGroupDesc encodes a descriptor (guarded by
	// mu).
	gdBuf [64]byte
	// bitBuf holds the bytes of a bitmap an allocation changes
	// (guarded by mu).
	bitBuf [64]byte
	// dataDirty is set when file data was written in place since the
	// last device barrier (guarded by mu).
	dataDirty bool
	// sbDirty is set when the superblock changed in the running
	// transaction and is not written to it yet (guarded by mu).
	sbDirty bool
	// gdPending is the group descriptors changed in the running
	// transaction and not written to it yet, with their bitmap
	// checksums to compute (gdBlockCsum, gdInodeCsum; guarded by mu).
	gdPending map[uint32]uint8
	// pendingFree is, per group, the block runs freed in the running
	// transaction, not reused before it commits (guarded by mu).
	pendingFree map[uint32][][2]uint64
	// blockHint and inodeHint are, per group, a bit index of its block
	// and inode bitmap below which every bit was last seen set, where
	// the scans for a free one start (guarded by mu; nil until the
	// first allocation): a create would otherwise skip, bit word by
	// word, every block and inode allocated before it. A hint that
	// is too high only leaves free bits unused; frees lower it.
	blockHint, inodeHint []uint32
	// txErr is the journal error that made the file system read-only.
	txErr error
	// holds counts the Holds of open inodes (guarded by mu).
	holds map[uint32]int
	// cache holds metadata blocks (it has its own lock).
	cache blockCache
	// icache holds decoded inodes (it has its own lock).
	icache inodeCache
	// opSeq counts write operations (beginTx); guarded by mu, written
	// under its write lock.
	opSeq uint64
	// negMu guards neg: the last name Lookup did not find, and opSeq
	// then. A create of that name as the very next write operation
	// skips looking it up again (the VFS looks a name up before
	// creating it, and no other operation can have added it between).
	negMu sync.Mutex
	neg   negLookup
	// createGap is where the name being created goes in its htree leaf,
	// as the Lookup that did not find it saw (guarded by mu; valid in
	// the operation seq only).
	createGap createGap
	// extMu guards extCache: the decoded extents of inodes whose extent
	// trees have index nodes, so that a lookup in a large directory does
	// not read, verify and decode the tree's nodes every time. An entry
	// holds while the inode's generation and i_block are what it was
	// decoded from; setExtents, which alone rewrites tree nodes, drops
	// the inode's entry (readers run concurrently under mu.RLock, hence
	// a lock of its own).
	extMu    sync.Mutex
	extCache map[uint32]extCacheEntry
	// blockBufs holds block-sized scratch buffers for walks that read
	// blocks and keep nothing of them (extent trees, htree lookups,
	// bitmaps being changed), so that each operation does not leave
	// garbage behind. (A free list under its own lock, not a sync.Pool:
	// putting a slice into a Pool allocates its header every time.)
	bufMu     sync.Mutex
	blockBufs [][]byte

	mu sync.RWMutex
	// sb and groups are guarded by mu (written only by writers).
	sb         *Superblock
	blockSize  int
	blocks     uint64
	groups     []*GroupDesc
	inodeSize  int
	csum       bool   // metadata_csum
	csumSeed   uint32 // valid if csum
	hasFT      bool   // dirents carry a file type
	readOnlyRO bool   // unknown ro_compat features: reads only
}

// blockBuf returns a block-sized scratch buffer (its contents are
// stale); putBlockBuf gives it back once nothing refers to it.
func (fs *FS) blockBuf() []byte {
	fs.bufMu.Lock()
	if n := len(fs.blockBufs); n > 0 {
		b := fs.blockBufs[n-1]
		fs.blockBufs[n-1] = nil
		fs.blockBufs = fs.blockBufs[:n-1]
		fs.bufMu.Unlock()
		return b
	}
	fs.bufMu.Unlock()
	return make([]byte, fs.blockSize)
}

// maxBlockBufs bounds the scratch buffers kept for reuse.
const maxBlockBufs = 16

func (fs *FS) putBlockBuf(b []byte) {
	if len(b) != fs.blockSize {
		return
	}
	fs.bufMu.Lock()
	if len(fs.blockBufs) < maxBlockBufs {
		fs.blockBufs = append(fs.blockBufs, b)
	}
	fs.bufMu.Unlock()
}

// Open reads the superblock and group descriptors of the file system in
// dev and checks them. A journal that needs recovery is replayed into
// memory (the image is not written) unless opts.IgnoreRecovery is set.
func Open(dev io.ReaderAt, opts Options) (*FS, error) {
	return open(dev, nil, opts)
}

func open(dev io.ReaderAt, wdev io.WriterAt, opts Options) (*FS, error) {
	buf := make([]byte, SuperblockSize)
	if _, err := dev.ReadAt(buf, SuperblockOffset); err != nil {
		return nil, fmt.Errorf("ext4: reading superblock: %w", err)
	}
	sb, err := DecodeSuperblock(buf)
	if err != nil {
		return nil, err
	}
	if sb.Magic != SuperMagic {
		return nil, fmt.Errorf("ext4: bad magic 0x%04x, not an ext2/3/4 file system: %w", sb.Magic, unix.EINVAL)
	}
	if sb.HasROCompat(ROCompatMetadataCsum) {
		if sb.ChecksumType != 1 {
			return nil, corrupt("unknown checksum type %d", sb.ChecksumType)
		}
		if sb.ComputeChecksum() != sb.Checksum {
			return nil, corrupt("superblock checksum mismatch")
		}
	}
	if sb.RevLevel == 0 {
		// Revision 0 has fixed inode size and first inode.
		sb.InodeSize = GoodOldInodeSize
		sb.FirstIno = GoodOldFirstIno
		sb.FeatureCompat, sb.FeatureIncompat, sb.FeatureROCompat = 0, 0, 0
	}
	if bad := sb.FeatureIncompat &^ supportedIncompat; bad != 0 {
		return nil, unsupported("incompatible features %s", featureNames(bad, incompatNames))
	}
	fs := &FS{dev: dev, sb: sb}
	if err := fs.checkGeometry(); err != nil {
		return nil, err
	}
	fs.readOnlyRO = sb.FeatureROCompat&^supportedROCompat != 0
	fs.csum = sb.HasROCompat(ROCompatMetadataCsum)
	if fs.csum {
		fs.csumSeed = sb.CsumSeed()
	}
	fs.hasFT = sb.HasIncompat(IncompatFiletype)
	if err := fs.readGroupDescs(); err != nil {
		return nil, err
	}
	if sb.HasIncompat(IncompatRecover) && !opts.IgnoreRecovery {
		fs.wdev = wdev
		if err := fs.replayJournal(); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

func (fs *FS) checkGeometry() error {
	sb := fs.sb
	if sb.LogBlockSize > 6 {
		return corrupt("block size 2^%d KiB", sb.LogBlockSize)
	}
	fs.blockSize = sb.BlockSize()
	bs := uint64(fs.blockSize)
	fs.blocks = sb.BlocksCount()
	if fs.blocks == 0 {
		return corrupt("zero blocks")
	}
	if bs == 1024 && sb.FirstDataBlock != 1 || bs > 1024 && sb.FirstDataBlock != 0 {
		return corrupt("first data block %d for block size %d", sb.FirstDataBlock, bs)
	}
	if sb.BlocksPerGroup == 0 || uint64(sb.BlocksPerGroup) > 8*bs || sb.BlocksPerGroup%8 != 0 {
		return corrupt("blocks per group %d", sb.BlocksPerGroup)
	}
	if sb.InodesPerGroup == 0 || uint64(sb.InodesPerGroup) > 8*bs || sb.InodesPerGroup%8 != 0 {
		return corrupt("inodes per group %d", sb.InodesPerGroup)
	}
	is := int(sb.InodeSize)
	if is < GoodOldInodeSize || is > fs.blockSize || is&(is-1) != 0 {
		return corrupt("inode size %d", is)
	}
	fs.inodeSize = is
	if sb.HasIncompat(Incompat64Bit) {
		ds := int(sb.DescSize)
		if ds < 64 || ds > 1024 || ds&(ds-1) != 0 {
			return corrupt("group descriptor size %d", ds)
		}
	}
	groups := sb.GroupCount()
	if groups == 0 || groups > 1<<32 {
		return corrupt("%d block groups", groups)
	}
	if uint64(sb.InodesCount) != groups*uint64(sb.InodesPerGroup) {
		return corrupt("inode count %d != %d groups * %d", sb.InodesCount, groups, sb.InodesPerGroup)
	}
	if sb.FirstIno < 3 || sb.FirstIno > sb.InodesCount {
		return corrupt("first inode %d", sb.FirstIno)
	}
	// The image must be large enough to hold its last block.
	var one [1]byte
	if _, err := fs.dev.ReadAt(one[:], int64(fs.blocks*bs-1)); err != nil {
		return corrupt("image shorter than %d blocks: %v", fs.blocks, err)
	}
	return nil
}

// descBlock returns the block that holds descriptor block number i of the
// primary group descriptor table.
func (fs *FS) descBlock(i uint64) uint64 {
	sb := fs.sb
	first := uint64(sb.FirstDataBlock)
	if !sb.HasIncompat(IncompatMetaBG) || i < uint64(sb.FirstMetaBG) {
		return first + 1 + i
	}
	perBlock := uint64(fs.blockSize / sb.DescSizeBytes())
	g := i * perBlock
	b := first + g*uint64(sb.BlocksPerGroup)
	if sb.HasSuper(g) {
		b++
	}
	return b
}

func (fs *FS) readGroupDescs() error {
	sb := fs.sb
	n := sb.GroupCount()
	ds := sb.DescSizeBytes()
	perBlock := uint64(fs.blockSize / ds)
	nblocks := (n + perBlock - 1) / perBlock
	fs.groups = make([]*GroupDesc, 0, n)
	buf := make([]byte, fs.blockSize)
	itBlocks := (uint64(sb.InodesPerGroup)*uint64(fs.inodeSize) + uint64(fs.blockSize) - 1) / uint64(fs.blockSize)
	for i := uint64(0); i < nblocks; i++ {
		if err := fs.readBlock(fs.descBlock(i), buf); err != nil {
			return err
		}
		for j := uint64(0); j < perBlock && uint64(len(fs.groups)) < n; j++ {
			g := uint32(len(fs.groups))
			raw := buf[j*uint64(ds) : (j+1)*uint64(ds)]
			gd, err := DecodeGroupDesc(raw)
			if err != nil {
				return err
			}
			if fs.csum || sb.HasROCompat(ROCompatGdtCsum) {
				if c := gd.ComputeChecksum(sb, g); c != gd.Checksum {
					return corrupt("group %d descriptor checksum 0x%04x, want 0x%04x", g, gd.Checksum, c)
				}
			}
			if !fs.validBlock(gd.BlockBitmap()) || !fs.validBlock(gd.InodeBitmap()) ||
				!fs.validBlock(gd.InodeTable()) || !fs.validBlock(gd.InodeTable()+itBlocks-1) {
				return corrupt("group %d descriptor points outside the file system", g)
			}
			fs.groups = append(fs.groups, gd)
		}
	}
	return nil
}

// validBlock reports whether b is a block inside the file system that may
// hold data or metadata (not the boot block area before s_first_data_block).
func (fs *FS) validBlock(b uint64) bool {
	return b >= uint64(fs.sb.FirstDataBlock) && b < fs.blocks
}

// readBlock reads block b into buf (len(buf) == block size).
func (fs *FS) readBlock(b uint64, buf []byte) error {
	_, _, err := fs.readBlockChecked(b, buf)
	return err
}

// readBlockChecked is readBlock, and reports whether the cached block
// passed checkDirBlock already and its cache generation (for
// blockCache.markChecked).
func (fs *FS) readBlockChecked(b uint64, buf []byte) (checked bool, gen uint64, err error) {
	if b >= fs.blocks {
		return false, 0, corrupt("block %d beyond end (%d blocks)", b, fs.blocks)
	}
	if ok, checked, gen := fs.cache.getChecked(b, buf); ok {
		return checked, gen, nil
	}
	if _, err := fs.dev.ReadAt(buf, int64(b)*int64(fs.blockSize)); err != nil {
		if errors.Is(err, io.EOF) {
			return false, 0, corrupt("block %d beyond end of image", b)
		}
		return false, 0, fmt.Errorf("ext4: reading block %d: %w", b, err)
	}
	return false, fs.cache.put(b, buf), nil
}

// Superblock returns a copy of the superblock.
func (fs *FS) Superblock() Superblock {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return *fs.sb
}

// BlockSize is the block size in bytes.
func (fs *FS) BlockSize() int { return fs.blockSize }

// Label is the volume name.
func (fs *FS) Label() string {
	n := bytes.IndexByte(fs.sb.VolumeName[:], 0)
	if n < 0 {
		n = len(fs.sb.VolumeName)
	}
	return string(fs.sb.VolumeName[:n])
}

// GroupDesc returns a copy of group g's descriptor.
func (fs *FS) GroupDesc(g int) GroupDesc {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return *fs.groups[g]
}
