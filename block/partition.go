package block

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Partition is one entry of a partition table, in bytes.
type Partition struct {
	Num         int
	Start, Size int64
}

// ScanPartitions reads the MBR (primary partitions) or, behind a
// protective MBR, the GPT of disk, whose size is size. A disk without a
// table has no partitions. Logical partitions inside an extended one are
// not listed. Partitions are clipped to the disk.
func ScanPartitions(disk *Device) ([]Partition, error) {
	return scan(disk, disk.Size)
}

func scan(r io.ReaderAt, size int64) ([]Partition, error) {
	mbr := make([]byte, SectorSize)
	if _, err := r.ReadAt(mbr, 0); err != nil {
		return nil, nil // shorter than a sector: no table
	}
	if mbr[510] != 0x55 || mbr[511] != 0xAA {
		return nil, nil
	}
	if looksLikeFATBootSector(mbr) {
		return nil, nil // a partitionless FAT "superfloppy"
	}
	for i := 0; i < 4; i++ {
		// Boot flags are 0x00 or 0x80: anything else is boot code,
		// not a partition table.
		if mbr[446+16*i]&0x7f != 0 {
			return nil, nil
		}
	}
	var parts []Partition
	for i := 0; i < 4; i++ {
		e := mbr[446+16*i : 446+16*(i+1)]
		typ := e[4]
		if typ == 0xEE {
			return scanGPT(r, size)
		}
		start := int64(binary.LittleEndian.Uint32(e[8:])) * SectorSize
		n := int64(binary.LittleEndian.Uint32(e[12:])) * SectorSize
		if typ == 0 || n == 0 || start >= size {
			continue
		}
		parts = append(parts, Partition{Num: i + 1, Start: start, Size: min(n, size-start)})
	}
	return parts, nil
}

// looksLikeFATBootSector reports whether sector 0 is a FAT volume boot
// record (a jump, a power-of-two sector size and a media byte), as
// Linux's msdos partition check does before reading a table.
func looksLikeFATBootSector(b []byte) bool {
	if b[0] != 0xEB && b[0] != 0xE9 {
		return false
	}
	bps := binary.LittleEndian.Uint16(b[11:])
	if bps < 512 || bps > 4096 || bps&(bps-1) != 0 {
		return false
	}
	return b[21] == 0xF0 || b[21] >= 0xF8
}

// scanGPT reads the GUID partition table whose header is at LBA 1.
func scanGPT(r io.ReaderAt, size int64) ([]Partition, error) {
	hdr := make([]byte, SectorSize)
	if _, err := r.ReadAt(hdr, SectorSize); err != nil {
		return nil, fmt.Errorf("reading the GPT header: %w", err)
	}
	if !bytes.Equal(hdr[:8], []byte("EFI PART")) {
		return nil, fmt.Errorf("protective MBR without a GPT header")
	}
	entLBA := int64(binary.LittleEndian.Uint64(hdr[72:]))
	count := int(binary.LittleEndian.Uint32(hdr[80:]))
	entSize := int(binary.LittleEndian.Uint32(hdr[84:]))
	if entSize < 128 || entSize > 4096 || count > 1024 {
		return nil, fmt.Errorf("bad GPT header (%d entries of %d bytes)", count, entSize)
	}
	table := make([]byte, count*entSize)
	if _, err := r.ReadAt(table, entLBA*SectorSize); err != nil {
		return nil, fmt.Errorf("reading the GPT entries: %w", err)
	}
	var parts []Partition
	for i := 0; i < count; i++ {
		e := table[i*entSize : (i+1)*entSize]
		if allZero(e[:16]) {
			continue
		}
		first := int64(binary.LittleEndian.Uint64(e[32:]))
		last := int64(binary.LittleEndian.Uint64(e[40:]))
		if last < first || first*SectorSize >= size {
			continue
		}
		start := first * SectorSize
		parts = append(parts, Partition{Num: i + 1, Start: start, Size: min((last-first+1)*SectorSize, size-start)})
	}
	return parts, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
