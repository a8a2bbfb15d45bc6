package syscalls

import (
	"encoding/binary"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// userfaultfd(2) and its file, over mm.Userfault: missing-page faults of
// private anonymous memory registered with UFFDIO_REGISTER_MODE_MISSING
// are read from the file as struct uffd_msg and resolved with
// UFFDIO_COPY, UFFDIO_ZEROPAGE or UFFDIO_WAKE. No optional feature
// (UFFD_FEATURE_*) is offered; write-protect and minor modes, the
// fork/remap/remove/unmap events, UFFDIO_MOVE, UFFDIO_POISON and
// UFFDIO_CONTINUE are not implemented.

// userfaultfd flags and ioctls (linux/userfaultfd.h).
const (
	uffdUserModeOnly = 1
	uffdAPI          = 0xaa

	uffdioRegister   = 0xc020aa00
	uffdioUnregister = 0x8010aa01
	uffdioWake       = 0x8010aa02
	uffdioCopy       = 0xc028aa03
	uffdioZeropage   = 0xc020aa04
	uffdioAPI        = 0xc018aa3f

	uffdioRegisterModeMissing = 1
	uffdioRegisterModeWP      = 2
	uffdioRegisterModeMinor   = 4

	uffdioCopyModeDontwake     = 1
	uffdioCopyModeWP           = 2
	uffdioZeropageModeDontwake = 1

	uffdEventPagefault     = 0x12
	uffdPagefaultFlagWrite = 1

	// Bits of struct uffdio_api.ioctls and uffdio_register.ioctls.
	uffdAPIIoctls   = 1<<0x00 | 1<<0x01 | 1<<0x3f // REGISTER, UNREGISTER, API
	uffdRangeIoctls = 1<<0x02 | 1<<0x03 | 1<<0x04 // WAKE, COPY, ZEROPAGE
)

func userfaultfd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	flags := int(a[0])
	// vm.unprivileged_userfaultfd is 0 (Linux's default): only a task
	// with CAP_SYS_PTRACE in the initial user namespace may handle
	// kernel faults, and only those ask for UFFD_USER_MODE_ONLY. Linux
	// checks this before the flags.
	if flags&uffdUserModeOnly == 0 && !t.Credentials().HasCapabilityIn(unix.CAP_SYS_PTRACE, t.Kernel().RootUserNamespace()) {
		return 0, unix.EPERM
	}
	if flags&^(unix.O_CLOEXEC|unix.O_NONBLOCK|uffdUserModeOnly) != 0 {
		return 0, unix.EINVAL
	}
	u := &userfaultFile{}
	u.uf = mm.NewUserfault(t.MemoryManager(), flags&uffdUserModeOnly != 0, func() { u.queue.Notify(unix.POLLIN) })
	f, err := t.Kernel().VFS().NewAnonymousFile(t, "[userfaultfd]", userfaultInode{}, u, unix.O_RDWR|flags&unix.O_NONBLOCK)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&unix.O_CLOEXEC != 0)
}

// userfaultInode answers fstat as anon_inodefs does.
type userfaultInode struct{ vfs.InodeDefaults }

// Stat implements vfs.Inode.
func (userfaultInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

// userfaultFile is a userfaultfd's file operations.
type userfaultFile struct {
	vfs.StreamFile
	uf    *mm.Userfault
	queue vfs.WaitQueue

	// api: UFFDIO_API was done; the other ioctls and read need it.
	api atomic.Bool
}

func (u *userfaultFile) ready() bool { return u.api.Load() }

// Read implements vfs.FileOperations: one struct uffd_msg per pending
// fault, as many as fit; it waits for one (EAGAIN with O_NONBLOCK).
func (u *userfaultFile) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	const msgSize = 32
	if len(dst) < msgSize {
		return 0, unix.EINVAL
	}
	if !u.ready() {
		return 0, unix.EINVAL
	}
	var ch chan struct{}
	var entry *vfs.WaitEntry
	defer func() {
		if entry != nil {
			u.queue.EventUnregister(entry)
		}
	}()
	for {
		n := 0
		for n+msgSize <= len(dst) {
			addr, write, ok := u.uf.Next()
			if !ok {
				break
			}
			msg := dst[n : n+msgSize]
			clear(msg)
			msg[0] = uffdEventPagefault
			// UFFD_PAGEFAULT_FLAG_WRITE only for the kernel's
			// accesses: the platform does not tell an
			// application's write fault from a read.
			if write {
				msg[8] = uffdPagefaultFlagWrite
			}
			binary.LittleEndian.PutUint64(msg[16:], uint64(addr))
			n += msgSize
		}
		if n > 0 {
			return n, nil
		}
		if f.Flags()&unix.O_NONBLOCK != 0 {
			return 0, unix.EAGAIN
		}
		if entry == nil {
			ch = make(chan struct{}, 1)
			entry = vfs.NewWakerEntry(unix.POLLIN, ch, ctx.Waker())
			u.queue.EventRegister(entry)
			continue
		}
		if err := ctx.Park(ch); err != nil {
			return 0, err
		}
	}
}

// Readiness implements vfs.Waitable: readable while a fault waits to be
// read.
func (u *userfaultFile) Readiness(mask uint32) uint32 {
	if u.uf.Pending() {
		return mask & unix.POLLIN
	}
	return 0
}

// EventRegister implements vfs.Waitable.
func (u *userfaultFile) EventRegister(w *vfs.WaitEntry) { u.queue.EventRegister(w) }

// EventUnregister implements vfs.Waitable.
func (u *userfaultFile) EventUnregister(w *vfs.WaitEntry) { u.queue.EventUnregister(w) }

// Release implements vfs.FileOperations: the registrations go and the
// waiting faults are woken (they are then filled as ordinary memory).
func (u *userfaultFile) Release(vfs.Context) { u.uf.Release() }

// Ioctl implements vfs.FileOperations.
func (u *userfaultFile) Ioctl(_ vfs.Context, _ *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case uffdioAPI:
		return 0, u.apiIoctl(io, arg)
	case uffdioRegister, uffdioUnregister, uffdioWake, uffdioCopy, uffdioZeropage:
	default:
		return 0, unix.EINVAL
	}
	if !u.ready() {
		return 0, unix.EINVAL
	}
	switch cmd {
	case uffdioRegister:
		var b [32]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		start, length, mode := le64(b[0:]), le64(b[8:]), le64(b[16:])
		if mode == 0 || mode&^(uffdioRegisterModeMissing|uffdioRegisterModeWP|uffdioRegisterModeMinor) != 0 {
			return 0, unix.EINVAL
		}
		if mode != uffdioRegisterModeMissing {
			return 0, unix.EINVAL // write-protect and minor modes are not implemented
		}
		if err := u.uf.Register(uintptr(start), uintptr(length)); err != nil {
			return 0, err
		}
		binary.LittleEndian.PutUint64(b[24:], uffdRangeIoctls)
		if _, err := io.CopyOut(arg+24, b[24:32]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case uffdioUnregister, uffdioWake:
		var b [16]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		start, length := uintptr(le64(b[0:])), uintptr(le64(b[8:]))
		if cmd == uffdioUnregister {
			return 0, u.uf.Unregister(start, length)
		}
		if start&0xfff != 0 || length&0xfff != 0 || length == 0 || start+length < start {
			return 0, unix.EINVAL
		}
		u.uf.Wake(start, start+length)
		return 0, nil
	case uffdioCopy:
		var b [40]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		dst, src, length, mode := uintptr(le64(b[0:])), uintptr(le64(b[8:])), uintptr(le64(b[16:])), le64(b[24:])
		if mode&^(uffdioCopyModeDontwake|uffdioCopyModeWP) != 0 {
			return 0, unix.EINVAL
		}
		// Linux's argument checks (the source need not be aligned)
		// leave the result field alone.
		if src+length <= src || length&0xfff != 0 || dst&0xfff != 0 {
			return 0, unix.EINVAL
		}
		// A MiB at a time: the program's length costs kite no more.
		const chunk = 1 << 20
		data := make([]byte, min(length, chunk))
		var done uintptr
		for done < length {
			n := min(length-done, chunk)
			if _, err := io.CopyIn(src+done, data[:n]); err != nil {
				return 0, u.result(io, arg+32, done, unix.EFAULT)
			}
			k, err := u.uf.Fill(dst+done, data[:n], n, mode&uffdioCopyModeDontwake != 0, mode&uffdioCopyModeWP != 0)
			done += k
			if err != nil {
				return 0, u.result(io, arg+32, done, err)
			}
		}
		return 0, u.result(io, arg+32, done, nil)
	default: // uffdioZeropage
		var b [32]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		start, length, mode := uintptr(le64(b[0:])), uintptr(le64(b[8:])), le64(b[16:])
		if mode&^uffdioZeropageModeDontwake != 0 {
			return 0, unix.EINVAL
		}
		n, err := u.uf.Fill(start, nil, length, mode&uffdioZeropageModeDontwake != 0, false)
		return 0, u.result(io, arg+24, n, err)
	}
}

// result writes a COPY or ZEROPAGE result (bytes done, or the negated
// errno if none were) to the struct's last field and returns err.
func (u *userfaultFile) result(io vfs.UserIO, at uintptr, n uintptr, err error) error {
	v := int64(n)
	if n == 0 && err != nil {
		if e, ok := err.(unix.Errno); ok {
			v = -int64(e)
		}
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(v))
	if _, cerr := io.CopyOut(at, b[:]); cerr != nil {
		return unix.EFAULT
	}
	if n > 0 && err != nil {
		return unix.EAGAIN // Linux's answer to a partial copy
	}
	return err
}

// apiIoctl is UFFDIO_API: api must be UFFD_API and features a subset of
// the supported ones (none); it answers with them and the ioctls.
func (u *userfaultFile) apiIoctl(io vfs.UserIO, arg uintptr) error {
	var b [24]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return unix.EFAULT
	}
	if le64(b[0:]) != uffdAPI || le64(b[8:]) != 0 || !u.api.CompareAndSwap(false, true) {
		clear(b[8:])
		io.CopyOut(arg+8, b[8:16]) // Linux clears features on failure
		return unix.EINVAL
	}
	binary.LittleEndian.PutUint64(b[8:], 0)
	binary.LittleEndian.PutUint64(b[16:], uffdAPIIoctls)
	if _, err := io.CopyOut(arg, b[:]); err != nil {
		return unix.EFAULT
	}
	return nil
}

func le64(b []byte) uint64 { return binary.LittleEndian.Uint64(b) }
