package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// mfdNameMax is MFD_NAME_MAX_LEN: the longest memfd name (the "memfd:"
// prefix fills the rest of NAME_MAX).
const mfdNameMax = 249

// mfdHugeShift and mfdHugeMask are the huge page size bits MFD_HUGETLB
// takes (MFD_HUGE_SHIFT, MFD_HUGE_MASK).
const (
	mfdHugeShift = 26
	mfdHugeMask  = 0x3f
)

// memfdCreate is memfd_create(2): an anonymous tmpfs file. MFD_HUGETLB is
// ENOSYS, as on a Linux built without hugetlbfs: kite has no huge pages.
func memfdCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := uint(uint32(a[1]))
	known := uint(unix.MFD_CLOEXEC | unix.MFD_ALLOW_SEALING | unix.MFD_HUGETLB | unix.MFD_NOEXEC_SEAL | unix.MFD_EXEC)
	if flags&unix.MFD_HUGETLB == 0 {
		if flags&^known != 0 {
			return 0, unix.EINVAL
		}
	} else if flags&^(known|mfdHugeMask<<mfdHugeShift) != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MFD_EXEC != 0 && flags&unix.MFD_NOEXEC_SEAL != 0 {
		return 0, unix.EINVAL
	}
	name, err := t.CopyInString(a[0], mfdNameMax+1)
	if err == unix.ENAMETOOLONG {
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	if flags&unix.MFD_HUGETLB != 0 {
		return 0, unix.ENOSYS
	}
	noExec := flags&unix.MFD_NOEXEC_SEAL != 0
	f, err := t.Kernel().VFS().NewMemfd(t, name, noExec, 0)
	if err != nil {
		return 0, err
	}
	if s, ok := f.Ops().(vfs.Sealable); ok {
		switch {
		case noExec:
			s.InitSeals(unix.F_SEAL_EXEC)
		case flags&unix.MFD_ALLOW_SEALING != 0:
			s.InitSeals(0)
		default:
			s.InitSeals(unix.F_SEAL_SEAL)
		}
	}
	return installFile(t, f, flags&unix.MFD_CLOEXEC != 0)
}

// fcntlSeals is F_ADD_SEALS and F_GET_SEALS: EINVAL on files that take no
// seals; adding needs the file open for writing.
func fcntlSeals(f *vfs.File, cmd int, arg uintptr) (uintptr, error) {
	s, ok := f.Ops().(vfs.Sealable)
	if !ok {
		return 0, unix.EINVAL
	}
	if cmd == unix.F_GET_SEALS {
		return uintptr(s.Seals()), nil
	}
	if !f.Writable() {
		return 0, unix.EPERM
	}
	return 0, s.AddSeals(uint32(arg))
}
