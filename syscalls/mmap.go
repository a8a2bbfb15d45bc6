package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

func brk(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	setAddressLimits(t)
	return t.MemoryManager().Brk(a[0]), nil
}

// setAddressLimits gives the address space the process's current
// RLIMIT_AS and RLIMIT_DATA before an operation that may grow it.
func setAddressLimits(t *kernel.Task) {
	lim := t.ThreadGroup().Limits()
	t.MemoryManager().SetAddressLimits(mm.AddressLimits{
		AS:      lim.Get(unix.RLIMIT_AS).Cur,
		Data:    lim.Get(unix.RLIMIT_DATA).Cur,
		Memlock: memlockLimit(t),
	})
}

// devZero is the device number of /dev/zero, whose mappings are anonymous
// memory.
var devZero = unix.Mkdev(1, 5)

func mmap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr, length, prot, flags, fd, off := a[0], a[1], int(a[2]), int(a[3]), int32(a[4]), uint64(a[5])
	o := mm.MMapOpts{Addr: addr, Length: length, Prot: prot, Flags: flags, Offset: off}
	if off&(4096-1) != 0 {
		return 0, unix.EINVAL
	}
	if flags&unix.MAP_ANONYMOUS == 0 {
		f, _, err := t.FDTable().Get(fd)
		if err != nil {
			return 0, err
		}
		defer f.DecRef(t)
		if f.IsPath() {
			return 0, unix.EBADF
		}
		if err := mmapFile(t, f, &o); err != nil {
			return 0, err
		}
		if mnt := f.Path().Mount; mnt == nil || mnt.Flags()&vfs.MountNoExec == 0 {
			o.Prot = readImpliesExec(t, o.Prot)
		}
	} else {
		o.Prot = readImpliesExec(t, o.Prot)
	}
	setAddressLimits(t)
	return t.MemoryManager().MMap(o)
}

// mmapFile checks that f may be mapped as o asks and points o at it.
func mmapFile(t *kernel.Task, f *vfs.File, o *mm.MMapOpts) error {
	st, err := f.Stat(t)
	if err != nil {
		return err
	}
	shared := o.Flags&0xf == unix.MAP_SHARED || o.Flags&0xf == unix.MAP_SHARED_VALIDATE
	mnt := f.Path().Mount
	switch st.Type() {
	case unix.S_IFREG:
		if _, ok := f.Ops().(vfs.Unmappable); ok {
			return unix.ENODEV
		}
	case unix.S_IFCHR:
		if st.Rdev != devZero {
			return unix.ENODEV
		}
		if !f.Readable() {
			return unix.EACCES
		}
		// Anonymous memory: private or shared as asked, no name.
		o.Flags |= unix.MAP_ANONYMOUS
		return nil
	default:
		return unix.ENODEV
	}
	if !f.Readable() {
		return unix.EACCES
	}
	if o.Prot&unix.PROT_EXEC != 0 && mnt != nil && mnt.Flags()&vfs.MountNoExec != 0 {
		return unix.EPERM
	}
	if shared && o.Prot&unix.PROT_WRITE != 0 && !f.Writable() {
		return unix.EACCES
	}
	if shared && f.Writable() && f.IsAppendOnly() {
		// Linux's do_mmap: no shared mapping of an append-only file
		// through a descriptor open for writing, even a read-only one
		// (mprotect could make it writable).
		return unix.EACCES
	}
	// A shared mapping of a file open read-only can never be written.
	o.NoWrite = !f.Writable()
	if s, ok := f.Ops().(vfs.Sealable); ok && shared && s.Seals()&(unix.F_SEAL_WRITE|unix.F_SEAL_FUTURE_WRITE) != 0 {
		// A write-sealed file's shared mappings may not write.
		if o.Prot&unix.PROT_WRITE != 0 {
			return unix.EPERM
		}
		o.NoWrite = true
	}
	o.Name = t.Kernel().VFS().PathName(t.FSContext().Root(), f.Path())
	o.File = f
	if mp, ok := f.Ops().(vfs.Mappable); ok {
		// The file's own pages (tmpfs, memfd): shared mappings write
		// them, private ones share them until written.
		if obj, ok := mp.MappablePages().(*mm.SharedMemory); ok {
			o.Shm = obj
			return nil
		}
	}
	// Other files are mapped through their inode's page cache, private
	// mappings too (sharing clean pages until they write them).
	obj, ok := f.MappablePages(t).(*mm.SharedMemory)
	switch {
	case ok:
		o.Shm = obj
	case shared:
		return unix.ENODEV
	}
	return nil
}

func munmap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MUnmap(a[0], a[1])
}

func mprotect(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MProtect(a[0], a[1], readImpliesExec(t, int(a[2])))
}

func madvise(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MAdvise(a[0], a[1], int(a[2]))
}

func mremap(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	setAddressLimits(t)
	return t.MemoryManager().MRemap(a[0], a[1], a[2], int(a[3]), a[4])
}

func msync(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MSync(a[0], a[1], int(a[2]))
}

func mincore(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	vec, err := t.MemoryManager().MinCore(a[0], a[1])
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[2], vec)
}

// memlockLimit is what the task's memory locks are checked against;
// CAP_IPC_LOCK lifts the limit.
func memlockLimit(t *kernel.Task) mm.MemlockLimit {
	return mm.MemlockLimit{
		Bytes:      t.ThreadGroup().Limits().Get(unix.RLIMIT_MEMLOCK).Cur,
		Privileged: t.Credentials().HasGlobalCapability(unix.CAP_IPC_LOCK),
	}
}

func mlock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MLock(a[0], a[1], 0, memlockLimit(t))
}

func mlock2(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MLock(a[0], a[1], int(a[2]), memlockLimit(t))
}

func munlock(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MUnlock(a[0], a[1])
}

func mlockall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MLockAll(int(a[0]), memlockLimit(t))
}

func munlockall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	t.MemoryManager().MUnlockAll()
	return 0, nil
}

// readImpliesExec adds PROT_EXEC to a readable protection under the
// READ_IMPLIES_EXEC personality.
func readImpliesExec(t *kernel.Task, prot int) int {
	if prot&unix.PROT_READ != 0 && t.Personality()&kernel.ReadImpliesExec != 0 {
		prot |= unix.PROT_EXEC
	}
	return prot
}

func mseal(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().MSeal(a[0], a[1], a[2])
}

// processMadvise is process_madvise(2): advice for the address space of
// the process a pidfd names, over a vector of ranges. Another process may
// only be given advice that needs no write access to its memory (COLD,
// PAGEOUT, WILLNEED, COLLAPSE), with CAP_SYS_NICE; the caller's own
// address space takes any madvise advice. It returns the bytes of the
// ranges advised before the first that failed, or that one's error.
func processMadvise(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	advice := int(int32(a[3]))
	if uint32(a[4]) != 0 {
		return 0, unix.EINVAL
	}
	iovs, _, err := copyInIovecs(t, a[1], a[2])
	if err != nil {
		return 0, err
	}
	x, err := pidfdTask(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var done uintptr
	err = t.WithMemoryOf(x, true, func(m *mm.MemoryManager) error {
		if m != t.MemoryManager() {
			switch advice {
			case unix.MADV_COLD, unix.MADV_PAGEOUT, unix.MADV_WILLNEED, unix.MADV_COLLAPSE:
			default:
				return unix.EINVAL
			}
			if !t.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) {
				return unix.EPERM
			}
		}
		if advice == unix.MADV_HWPOISON || advice == madvSoftOffline {
			// Memory failure injection is madvise's alone.
			return unix.EINVAL
		}
		for _, v := range iovs {
			if v.len == 0 {
				continue // an iov_iter never stops at an empty iovec
			}
			if err := m.MAdvise(v.base, v.len, advice); err != nil {
				return err
			}
			done += v.len
		}
		return nil
	})
	if done > 0 {
		return done, nil
	}
	return 0, err
}

// madvSoftOffline is MADV_SOFT_OFFLINE.
const madvSoftOffline = 101

// pkeyNote is the table's note for the protection key calls.
const pkeyNote = "as Linux on an x86 CPU without protection keys (no PKU), whatever the host CPU: the first pkey_alloc of an address space is EINVAL, later ones ENOSPC; pkey_free is EINVAL; pkey_mprotect is mprotect with key -1 and EINVAL with any other"

// pkeyAccessMask is PKEY_DISABLE_ACCESS|PKEY_DISABLE_WRITE.
const pkeyAccessMask = 3

func pkeyAlloc(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	if a[0] != 0 || a[1]&^pkeyAccessMask != 0 {
		return 0, unix.EINVAL
	}
	return 0, t.MemoryManager().PkeyAlloc()
}

// pkeyFree: no key is ever allocated (mm/pkey.go).
func pkeyFree(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, unix.EINVAL
}

func pkeyMprotect(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().PkeyMProtect(a[0], a[1], readImpliesExec(t, int(a[2])), int(int32(a[3])))
}

func remapFilePages(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.MemoryManager().RemapFilePages(a[0], a[1], int(a[2]), uint64(a[3]), int(a[4]))
}
