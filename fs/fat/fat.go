package fat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

func corrupt(format string, args ...any) error {
	return fmt.Errorf("fat: corrupt file system: %s: %w", fmt.Sprintf(format, args...), unix.EUCLEAN)
}

// ReadWriterAt is an image that can be written.
type ReadWriterAt interface {
	io.ReaderAt
	io.WriterAt
}

// Options control Open and OpenRW.
type Options struct {
	// Now is the clock for timestamps (default: the host clock). FAT
	// stores local time; this package stores the clock's UTC fields.
	Now func() time.Time
}

// FS is an open FAT file system; its methods are safe for concurrent use.
type FS struct {
	dev  io.ReaderAt
	wdev io.WriterAt
	now  func() time.Time

	bytesPerSector    int
	sectorsPerCluster int
	clusterSize       int
	reserved          int // sectors
	numFATs           int
	fatSectors        int
	rootEntries       int
	totalSectors      int64
	fatType           int // 12, 16 or 32
	clusters          uint32
	rootCluster       uint32 // FAT32
	fsInfoSector      int    // FAT32, 0 if none
	rootDirOff        int64  // FAT12/16 fixed root directory
	dataOff           int64  // byte offset of cluster 2

	mu sync.RWMutex
	// fat is the first FAT, decoded (guarded by mu).
	fat []uint32
	// freeHint is where the next cluster search starts (guarded by mu).
	freeHint uint32
	// free counts the free clusters (guarded by mu).
	free uint32
}

// Type returns 12, 16 or 32.
func (fs *FS) Type() int { return fs.fatType }

// ClusterSize is the allocation unit in bytes.
func (fs *FS) ClusterSize() int { return fs.clusterSize }

// Open reads the boot sector and the FAT of the file system in dev.
func Open(dev io.ReaderAt, opts Options) (*FS, error) {
	bs := make([]byte, 512)
	if _, err := dev.ReadAt(bs, 0); err != nil {
		return nil, fmt.Errorf("fat: reading boot sector: %w", err)
	}
	le := binary.LittleEndian
	if bs[510] != 0x55 || bs[511] != 0xAA {
		return nil, fmt.Errorf("fat: no boot sector signature: %w", unix.EINVAL)
	}
	fs := &FS{dev: dev, now: opts.Now}
	if fs.now == nil {
		fs.now = time.Now
	}
	fs.bytesPerSector = int(le.Uint16(bs[0x0B:]))
	fs.sectorsPerCluster = int(bs[0x0D])
	fs.reserved = int(le.Uint16(bs[0x0E:]))
	fs.numFATs = int(bs[0x10])
	fs.rootEntries = int(le.Uint16(bs[0x11:]))
	fs.totalSectors = int64(le.Uint16(bs[0x13:]))
	if fs.totalSectors == 0 {
		fs.totalSectors = int64(le.Uint32(bs[0x20:]))
	}
	fs.fatSectors = int(le.Uint16(bs[0x16:]))
	if fs.fatSectors == 0 {
		fs.fatSectors = int(le.Uint32(bs[0x24:]))
	}
	switch fs.bytesPerSector {
	case 512, 1024, 2048, 4096:
	default:
		return nil, corrupt("bytes per sector %d", fs.bytesPerSector)
	}
	spc := fs.sectorsPerCluster
	if spc == 0 || spc&(spc-1) != 0 || spc*fs.bytesPerSector > 1<<20 {
		return nil, corrupt("sectors per cluster %d", spc)
	}
	fs.clusterSize = spc * fs.bytesPerSector
	if fs.reserved == 0 || fs.numFATs == 0 || fs.fatSectors == 0 || fs.totalSectors == 0 {
		return nil, corrupt("reserved %d, %d FATs of %d sectors, %d sectors", fs.reserved, fs.numFATs, fs.fatSectors, fs.totalSectors)
	}
	rootSectors := (fs.rootEntries*32 + fs.bytesPerSector - 1) / fs.bytesPerSector
	meta := int64(fs.reserved) + int64(fs.numFATs)*int64(fs.fatSectors) + int64(rootSectors)
	if meta >= fs.totalSectors {
		return nil, corrupt("metadata (%d sectors) fills the volume (%d)", meta, fs.totalSectors)
	}
	count := (fs.totalSectors - meta) / int64(spc)
	switch {
	case count < 4085:
		fs.fatType = 12
	case count < 65525:
		fs.fatType = 16
	default:
		fs.fatType = 32
	}
	if count > 0x0FFFFFF5 {
		return nil, corrupt("%d clusters", count)
	}
	fs.clusters = uint32(count)
	ss := int64(fs.bytesPerSector)
	fs.rootDirOff = (int64(fs.reserved) + int64(fs.numFATs)*int64(fs.fatSectors)) * ss
	fs.dataOff = meta * ss
	if fs.fatType == 32 {
		if fs.rootEntries != 0 {
			return nil, corrupt("FAT32 with a fixed root directory")
		}
		fs.rootCluster = le.Uint32(bs[0x2C:])
		if !fs.validCluster(fs.rootCluster) {
			return nil, corrupt("root cluster %d", fs.rootCluster)
		}
		fs.fsInfoSector = int(le.Uint16(bs[0x30:]))
		if fs.fsInfoSector == 0xFFFF || fs.fsInfoSector >= fs.reserved {
			fs.fsInfoSector = 0
		}
	} else if fs.rootEntries == 0 {
		return nil, corrupt("FAT%d without root directory entries", fs.fatType)
	}
	// The FAT must hold an entry for every cluster.
	if need := (int64(fs.clusters)+2)*int64(fs.fatType)/8 + 1; need > int64(fs.fatSectors)*ss {
		return nil, corrupt("FAT of %d sectors too small for %d clusters", fs.fatSectors, fs.clusters)
	}
	var one [1]byte
	if _, err := dev.ReadAt(one[:], fs.totalSectors*ss-1); err != nil {
		return nil, corrupt("image shorter than %d sectors: %v", fs.totalSectors, err)
	}
	if err := fs.loadFAT(); err != nil {
		return nil, err
	}
	return fs, nil
}

// OpenRW opens the file system for reading and writing.
func OpenRW(dev ReadWriterAt, opts Options) (*FS, error) {
	fs, err := Open(dev, opts)
	if err != nil {
		return nil, err
	}
	fs.wdev = dev
	return fs, nil
}

func (fs *FS) validCluster(c uint32) bool { return c >= 2 && c < fs.clusters+2 }

func (fs *FS) loadFAT() error {
	raw := make([]byte, fs.fatSectors*fs.bytesPerSector)
	if _, err := fs.dev.ReadAt(raw, int64(fs.reserved)*int64(fs.bytesPerSector)); err != nil {
		return fmt.Errorf("fat: reading the FAT: %w", err)
	}
	n := fs.clusters + 2
	fs.fat = make([]uint32, n)
	le := binary.LittleEndian
	for c := uint32(0); c < n; c++ {
		switch fs.fatType {
		case 12:
			v := le.Uint16(raw[c*3/2:])
			if c&1 != 0 {
				v >>= 4
			}
			fs.fat[c] = uint32(v & 0xFFF)
		case 16:
			fs.fat[c] = uint32(le.Uint16(raw[2*c:]))
		case 32:
			fs.fat[c] = le.Uint32(raw[4*c:]) & 0x0FFFFFFF
		}
	}
	fs.freeHint = 2
	for _, v := range fs.fat[2:] {
		if v == 0 {
			fs.free++
		}
	}
	return nil
}

// eoc reports whether a FAT value ends a chain.
func (fs *FS) eoc(v uint32) bool {
	switch fs.fatType {
	case 12:
		return v >= 0xFF8
	case 16:
		return v >= 0xFFF8
	}
	return v >= 0x0FFFFFF8
}

func (fs *FS) eocMark() uint32 {
	switch fs.fatType {
	case 12:
		return 0xFFF
	case 16:
		return 0xFFFF
	}
	return 0x0FFFFFFF
}

// chain returns the clusters of the chain starting at first.
func (fs *FS) chain(first uint32) ([]uint32, error) {
	var out []uint32
	for c := first; ; {
		if !fs.validCluster(c) {
			return nil, corrupt("cluster chain from %d reaches cluster %d", first, c)
		}
		out = append(out, c)
		if uint32(len(out)) > fs.clusters {
			return nil, corrupt("cluster chain from %d loops", first)
		}
		next := fs.fat[c]
		if fs.eoc(next) {
			return out, nil
		}
		if next == 0 {
			return nil, corrupt("cluster chain from %d runs into free cluster %d", first, c)
		}
		c = next
	}
}

func (fs *FS) clusterOff(c uint32) int64 {
	return fs.dataOff + int64(c-2)*int64(fs.clusterSize)
}

// setFAT changes one FAT entry in memory and in every FAT copy.
func (fs *FS) setFAT(c, v uint32) error {
	fs.fat[c] = v
	le := binary.LittleEndian
	ss := int64(fs.bytesPerSector)
	for i := 0; i < fs.numFATs; i++ {
		base := (int64(fs.reserved) + int64(i)*int64(fs.fatSectors)) * ss
		var err error
		switch fs.fatType {
		case 12:
			off := base + int64(c*3/2)
			var b [2]byte
			if _, err = fs.dev.ReadAt(b[:], off); err != nil {
				return err
			}
			w := le.Uint16(b[:])
			if c&1 != 0 {
				w = w&0x000F | uint16(v)<<4
			} else {
				w = w&0xF000 | uint16(v)&0x0FFF
			}
			le.PutUint16(b[:], w)
			_, err = fs.wdev.WriteAt(b[:], off)
		case 16:
			var b [2]byte
			le.PutUint16(b[:], uint16(v))
			_, err = fs.wdev.WriteAt(b[:], base+int64(2*c))
		case 32:
			var b [4]byte
			off := base + int64(4*c)
			if _, err = fs.dev.ReadAt(b[:], off); err != nil {
				return err
			}
			le.PutUint32(b[:], le.Uint32(b[:])&0xF0000000|v&0x0FFFFFFF)
			_, err = fs.wdev.WriteAt(b[:], off)
		}
		if err != nil {
			return fmt.Errorf("fat: writing FAT: %w", err)
		}
	}
	return nil
}

// allocCluster takes a free cluster, zeroes it, and links it after prev
// (0 for a new chain).
func (fs *FS) allocCluster(prev uint32) (uint32, error) {
	n := fs.clusters
	for i := uint32(0); i < n; i++ {
		c := 2 + (fs.freeHint-2+i)%n
		if fs.fat[c] != 0 {
			continue
		}
		if err := fs.setFAT(c, fs.eocMark()); err != nil {
			return 0, err
		}
		if prev != 0 {
			if err := fs.setFAT(prev, c); err != nil {
				return 0, err
			}
		}
		if _, err := fs.wdev.WriteAt(make([]byte, fs.clusterSize), fs.clusterOff(c)); err != nil {
			return 0, err
		}
		fs.freeHint = c + 1
		if fs.freeHint >= n+2 {
			fs.freeHint = 2
		}
		fs.free--
		return c, fs.adjustFree(-1, c)
	}
	return 0, unix.ENOSPC
}

// freeChain frees the clusters of the chain from first.
func (fs *FS) freeChain(first uint32) error {
	if first == 0 {
		return nil
	}
	cs, err := fs.chain(first)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := fs.setFAT(c, 0); err != nil {
			return err
		}
	}
	fs.free += uint32(len(cs))
	return fs.adjustFree(int64(len(cs)), 0)
}

// adjustFree keeps the FAT32 FSInfo free count and next-free hint.
func (fs *FS) adjustFree(delta int64, last uint32) error {
	if fs.fatType != 32 || fs.fsInfoSector == 0 {
		return nil
	}
	off := int64(fs.fsInfoSector) * int64(fs.bytesPerSector)
	b := make([]byte, 512)
	if _, err := fs.dev.ReadAt(b, off); err != nil {
		return err
	}
	le := binary.LittleEndian
	if le.Uint32(b) != 0x41615252 || le.Uint32(b[484:]) != 0x61417272 {
		return nil
	}
	if free := le.Uint32(b[488:]); free != 0xFFFFFFFF {
		le.PutUint32(b[488:], uint32(int64(free)+delta))
	}
	if last != 0 {
		le.PutUint32(b[492:], last)
	}
	_, err := fs.wdev.WriteAt(b, off)
	return err
}

// FreeClusters counts the free clusters.
func (fs *FS) FreeClusters() uint32 {
	fs.mu.RLock()
	defer fs.mu.RUnlock()
	return fs.free
}

var errNotFound = errors.New("not found")

// Sync flushes the image to stable storage.
func (fs *FS) Sync() error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if s, ok := fs.wdev.(interface{ Sync() error }); ok {
		return s.Sync()
	}
	return nil
}
