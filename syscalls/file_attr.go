package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// file_getattr and file_setattr (Linux 6.17): FS_IOC_FSGETXATTR and
// FS_IOC_FSSETXATTR by path, with struct file_attr {u64 fa_xflags; u32
// fa_extsize, fa_nextents, fa_projid, fa_cowextsize}.

// fileAttrSize is FILE_ATTR_SIZE_VER0, the only version.
const fileAttrSize = 24

// fileAttrArgs checks the at_flags and usize both calls take, in
// Linux's order.
func fileAttrArgs(atFlags uint32, usize uintptr) error {
	if atFlags&^xattrAtFlags != 0 {
		return unix.EINVAL
	}
	if usize > 4096 { // a page
		return unix.E2BIG
	}
	if usize < fileAttrSize {
		return unix.EINVAL
	}
	return nil
}

// file_getattr(dfd, path, struct file_attr *, usize, at_flags).
func fileGetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	atFlags, usize := uint32(a[4]), a[3]
	if err := fileAttrArgs(atFlags, usize); err != nil {
		return 0, err
	}
	p, err := xattrTarget(t, a[0], a[1], atFlags, true)
	if err != nil {
		return 0, err
	}
	fa, err := t.Kernel().VFS().GetFileAttr(t, p)
	if err != nil {
		return 0, err
	}
	// A longer struct than kite's is zero-filled past it.
	b := make([]byte, usize)
	binary.LittleEndian.PutUint64(b[0:], uint64(fa.XFlags))
	binary.LittleEndian.PutUint32(b[8:], fa.ExtSize)
	binary.LittleEndian.PutUint32(b[12:], fa.NExtents)
	binary.LittleEndian.PutUint32(b[16:], fa.ProjID)
	binary.LittleEndian.PutUint32(b[20:], fa.CowExtSize)
	return 0, copyOutFull(t, a[2], b)
}

// file_setattr(dfd, path, const struct file_attr *, usize, at_flags):
// fa_nextents is ignored, read-only xflags are dropped, unknown ones are
// EINVAL before the path is looked up.
func fileSetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	atFlags, usize := uint32(a[4]), a[3]
	if err := fileAttrArgs(atFlags, usize); err != nil {
		return 0, err
	}
	b, err := copyInStruct(t, a[2], fileAttrSize, int(usize))
	if err != nil {
		return 0, err
	}
	x := binary.LittleEndian.Uint64(b[0:])
	if x&^vfs.XflagsKnown != 0 {
		return 0, unix.EINVAL
	}
	fa := vfs.FileAttr{
		XFlags:     uint32(x),
		ExtSize:    binary.LittleEndian.Uint32(b[8:]),
		ProjID:     binary.LittleEndian.Uint32(b[16:]),
		CowExtSize: binary.LittleEndian.Uint32(b[20:]),
	}
	p, err := xattrTarget(t, a[0], a[1], atFlags, true)
	if err != nil {
		return 0, err
	}
	return 0, t.Kernel().VFS().SetFileAttr(t, p, fa)
}
