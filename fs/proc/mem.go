package proc

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// MemoryProcess is implemented by processes whose memory /proc/PID/mem
// reads and writes (kernel.Task).
type MemoryProcess interface {
	// OpenMemory checks that ctx may access the process's memory as a
	// debugger (ptrace's PTRACE_MODE_ATTACH with filesystem ids: EACCES
	// otherwise) and returns the address space the process has now;
	// the file keeps it across the process's execve.
	OpenMemory(ctx vfs.Context) (Memory, error)
}

// Memory is an address space as /proc/PID/mem sees it.
type Memory interface {
	// ReadAt and WriteAt copy at application address addr regardless
	// of the mappings' protection, as a debugger does; they return the
	// count copied and an error at the first address they cannot
	// reach. Once no process uses the address space they copy nothing.
	ReadAt(dst []byte, addr uintptr) (int, error)
	WriteAt(src []byte, addr uintptr) (int, error)
	// Release drops the file's hold on the address space.
	Release()
}

// memFile is /proc/PID/mem.
type memFile struct {
	base
	proc Process
}

// Stat implements vfs.Inode: mode 0600, size 0, as Linux.
func (m *memFile) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(m.proc)
	return m.stat(unix.S_IFREG|0o600, uid, gid, 1), nil
}

// SetStat implements vfs.Inode.
func (m *memFile) SetStat(vfs.Context, *vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode.
func (m *memFile) Open(ctx vfs.Context, _ int) (vfs.FileOperations, error) {
	mem, err := openMemory(ctx, m.proc)
	if err != nil {
		return nil, err
	}
	return &memFileOps{mem: mem}, nil
}

// openMemory opens proc's address space with /proc/PID/mem's access
// check (EACCES for a process without one).
func openMemory(ctx vfs.Context, proc Process) (Memory, error) {
	mp, ok := proc.(MemoryProcess)
	if !ok {
		return nil, unix.EACCES
	}
	return mp.OpenMemory(ctx)
}

// memFileOps is an open /proc/PID/mem: the file offset is the address.
type memFileOps struct {
	vfs.FileDefaults
	mem Memory
}

// Read implements vfs.FileOperations: EIO when nothing at off can be
// read, as Linux's mem_rw.
func (o *memFileOps) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	n, err := o.mem.ReadAt(dst, uintptr(off))
	if n == 0 && err != nil {
		return 0, unix.EIO
	}
	return n, nil
}

// Write implements vfs.FileOperations.
func (o *memFileOps) Write(_ vfs.Context, _ *vfs.File, src []byte, off int64) (int, error) {
	n, err := o.mem.WriteAt(src, uintptr(off))
	if n == 0 && err != nil {
		return 0, unix.EIO
	}
	return n, nil
}

// Seek implements vfs.FileOperations: offsets are addresses, so any
// value is allowed (Linux's FMODE_UNSIGNED_OFFSET); SEEK_END is EINVAL.
func (o *memFileOps) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	switch whence {
	case unix.SEEK_SET:
		return off, nil
	case unix.SEEK_CUR:
		return cur + off, nil
	}
	return 0, unix.EINVAL
}

// Release implements vfs.FileOperations.
func (o *memFileOps) Release(vfs.Context) { o.mem.Release() }
