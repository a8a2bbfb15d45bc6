package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/kernel"
)

// The helpers below encode and decode Linux structs field by field, in
// little-endian byte order with the padding written out, so that no handler
// depends on Go's struct layout.

func putU16(b []byte, off int, v uint16) { binary.LittleEndian.PutUint16(b[off:], v) }
func putU32(b []byte, off int, v uint32) { binary.LittleEndian.PutUint32(b[off:], v) }
func putU64(b []byte, off int, v uint64) { binary.LittleEndian.PutUint64(b[off:], v) }
func getU32(b []byte, off int) uint32    { return binary.LittleEndian.Uint32(b[off:]) }
func getU64(b []byte, off int) uint64    { return binary.LittleEndian.Uint64(b[off:]) }

// copyOutFull copies b to addr, turning a short copy into EFAULT.
func copyOutFull(t *kernel.Task, addr uintptr, b []byte) error {
	if _, err := t.CopyOut(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

// copyInFull fills b from addr, turning a short copy into EFAULT.
func copyInFull(t *kernel.Task, addr uintptr, b []byte) error {
	if _, err := t.CopyIn(addr, b); err != nil {
		return unix.EFAULT
	}
	return nil
}

// copyInStruct reads a versioned (extensible) struct of usize bytes at
// addr as Linux's copy_struct_from_user does for a kernel struct of ksize
// bytes: bytes past ksize are read first and must be zero (E2BIG
// otherwise), a shorter struct is zero-filled. The result is ksize bytes.
// Callers check usize's bounds (the smallest version, a page) first.
func copyInStruct(t *kernel.Task, addr uintptr, ksize, usize int) ([]byte, error) {
	if usize > ksize {
		tail := make([]byte, usize-ksize)
		if err := copyInFull(t, addr+uintptr(ksize), tail); err != nil {
			return nil, err
		}
		for _, c := range tail {
			if c != 0 {
				return nil, unix.E2BIG
			}
		}
	}
	b := make([]byte, ksize)
	if err := copyInFull(t, addr, b[:min(ksize, usize)]); err != nil {
		return nil, err
	}
	return b, nil
}

// copyOutU64 writes one 8-byte value.
func copyOutU64(t *kernel.Task, addr uintptr, v uint64) error {
	var b [8]byte
	putU64(b[:], 0, v)
	return copyOutFull(t, addr, b[:])
}

// copyOutU32 writes one 4-byte value.
func copyOutU32(t *kernel.Task, addr uintptr, v uint32) error {
	var b [4]byte
	putU32(b[:], 0, v)
	return copyOutFull(t, addr, b[:])
}

// copyInU64 reads one 8-byte value.
func copyInU64(t *kernel.Task, addr uintptr) (uint64, error) {
	var b [8]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	return getU64(b[:], 0), nil
}

// encodeTimespec encodes a struct timespec (16 bytes).
func encodeTimespec(b []byte, ns int64) {
	putU64(b, 0, uint64(ns/1e9))
	putU64(b, 8, uint64(ns%1e9))
}

// copyInTimespec reads a struct timespec and validates it as Linux's
// timespec64_valid (EINVAL for negative or out-of-range nanoseconds).
func copyInTimespec(t *kernel.Task, addr uintptr) (sec, nsec int64, err error) {
	sec, nsec, err = copyInTimeUnchecked(t, addr)
	if err == nil && !validTimespec(sec, nsec) {
		return 0, 0, unix.EINVAL
	}
	return sec, nsec, err
}

// copyInTimeUnchecked reads a struct timespec, or a struct timeval (the
// fraction is then microseconds), leaving the checks to callers whose
// Linux counterparts make them later.
func copyInTimeUnchecked(t *kernel.Task, addr uintptr) (sec, frac int64, err error) {
	var b [16]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, 0, err
	}
	return int64(getU64(b[:], 0)), int64(getU64(b[:], 8)), nil
}

// validTimespec is Linux's timespec64_valid.
func validTimespec(sec, nsec int64) bool { return sec >= 0 && nsec >= 0 && nsec < 1e9 }

// copyInU32 reads one 4-byte value.
func copyInU32(t *kernel.Task, addr uintptr) (uint32, error) {
	var b [4]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	return getU32(b[:], 0), nil
}
