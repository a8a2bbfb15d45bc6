package ext4

import "hash/crc32"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the "raw" CRC32c that ext4 and jbd2 chain through their
// checksums: no inversion before or after (Linux's crc32c(seed, p, n)).
// hash/crc32 inverts at both ends, so undo that here.
func crc32c(seed uint32, p []byte) uint32 {
	return ^crc32.Update(^seed, castagnoli, p)
}

// crc32cSmall is crc32c for a few bytes (seeds, zeroed checksum
// fields), byte by byte from the table: crc32.Update lets its argument
// escape, so each of its small stack buffers would be an allocation.
func crc32cSmall(seed uint32, p []byte) uint32 {
	crc := seed
	for _, b := range p {
		crc = castagnoli[byte(crc)^b] ^ crc>>8
	}
	return crc
}

// Crc32c is crc32c exported for the image builder.
func Crc32c(seed uint32, p []byte) uint32 { return crc32c(seed, p) }

// crc16 is the CRC16 (polynomial 0x8005, bit-reflected) used by the older
// GDT_CSUM group descriptor checksum.
func crc16(crc uint16, p []byte) uint16 {
	for _, b := range p {
		crc ^= uint16(b)
		for i := 0; i < 8; i++ {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}
