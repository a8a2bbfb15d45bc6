package syscalls

import (
	"encoding/binary"
	"math"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// flock(2) and fcntl record locks (F_GETLK, F_SETLK, F_SETLKW and the
// F_OFD_* variants).

func flock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, err := getFile(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, f.Flock(t, int(int32(a[1])))
}

// Open file description lock commands of fcntl.
const (
	fOFDGetLk  = 36
	fOFDSetLk  = 37
	fOFDSetLkW = 38
)

// fcntlLock carries out the record-lock commands of fcntl with the struct
// flock at addr.
func fcntlLock(t *kernel.Task, f *vfs.File, cmd int, addr uintptr) (uintptr, error) {
	if f.IsPath() {
		return 0, unix.EBADF
	}
	var b [32]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	typ := int16(binary.LittleEndian.Uint16(b[0:]))
	whence := int16(binary.LittleEndian.Uint16(b[2:]))
	start, length := int64(getU64(b[:], 8)), int64(getU64(b[:], 16))
	pid := int32(getU32(b[:], 24))

	ofd := cmd == fOFDGetLk || cmd == fOFDSetLk || cmd == fOFDSetLkW
	owner := vfs.ProcessLockOwner(t)
	if ofd {
		if pid != 0 {
			return 0, unix.EINVAL
		}
		owner = vfs.LockOwner{File: f}
	}
	getlk := cmd == unix.F_GETLK || cmd == fOFDGetLk
	switch typ {
	case unix.F_RDLCK, unix.F_WRLCK:
	case unix.F_UNLCK:
		if getlk {
			return 0, unix.EINVAL
		}
	default:
		return 0, unix.EINVAL
	}
	var base int64
	switch whence {
	case unix.SEEK_SET:
	case unix.SEEK_CUR:
		base = f.Offset()
	case unix.SEEK_END:
		st, err := f.Stat(t)
		if err != nil {
			return 0, err
		}
		base = st.Size
	default:
		return 0, unix.EINVAL
	}
	if start > math.MaxInt64-base {
		return 0, unix.EOVERFLOW
	}
	start += base
	if start < 0 {
		return 0, unix.EINVAL
	}
	end := int64(math.MaxInt64)
	switch {
	case length > 0:
		if length-1 > math.MaxInt64-start {
			return 0, unix.EOVERFLOW
		}
		if length-1 < math.MaxInt64-start {
			end = start + length
		}
	case length < 0:
		end = start
		start += length
		if start < 0 {
			return 0, unix.EINVAL
		}
	}
	want := vfs.RecordLock{Owner: owner, Write: typ == unix.F_WRLCK, Start: start, End: end}
	v, ino := t.Kernel().VFS(), f.Inode()

	if getlk {
		c := v.TestLock(ino, want)
		if c == nil {
			putU16(b[:], 0, uint16(unix.F_UNLCK))
			return 0, copyOutFull(t, addr, b[:])
		}
		ct := int16(unix.F_RDLCK)
		if c.Write {
			ct = unix.F_WRLCK
		}
		putU16(b[:], 0, uint16(ct))
		putU16(b[:], 2, uint16(unix.SEEK_SET))
		putU64(b[:], 8, uint64(c.Start))
		clen := int64(0)
		if c.End != math.MaxInt64 {
			clen = c.End - c.Start
		}
		putU64(b[:], 16, uint64(clen))
		cpid := c.Owner.PID
		if c.Owner.File != nil {
			cpid = -1
		}
		putU32(b[:], 24, uint32(cpid))
		return 0, copyOutFull(t, addr, b[:])
	}

	switch typ {
	case unix.F_RDLCK:
		if !f.Readable() {
			return 0, unix.EBADF
		}
	case unix.F_WRLCK:
		if !f.Writable() {
			return 0, unix.EBADF
		}
	}
	block := cmd == unix.F_SETLKW || cmd == fOFDSetLkW
	return 0, v.SetLock(t, ino, want, typ == unix.F_UNLCK, block)
}
