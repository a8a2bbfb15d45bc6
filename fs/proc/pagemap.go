package proc

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// PagemapMemory is a Memory that also tells its pages' state, for
// /proc/PID/pagemap.
type PagemapMemory interface {
	Memory
	// Pagemap fills e with the entries of the pages from addr on
	// (page-aligned): Linux's pagemap format, frame numbers included.
	Pagemap(addr uintptr, e []uint64)
}

// pagemapEnd is TASK_SIZE (x86-64's 47 bits): the entries stop there.
const pagemapEnd = 1 << 47

// pfnMask are the frame number's bits of an entry.
const pfnMask = 1<<55 - 1

// pagemapFile is /proc/PID/pagemap: a 64-bit entry per virtual page of
// the process, at offset page number × 8. Opening it needs the access
// /proc/PID/mem needs; the frame numbers read as 0 unless the opener
// had CAP_SYS_ADMIN (Linux since 4.2).
type pagemapFile struct {
	base
	proc Process
}

// Stat implements vfs.Inode: mode 0400, as Linux.
func (m *pagemapFile) Stat(vfs.Context) (vfs.Stat, error) {
	uid, gid := owner(m.proc)
	return m.stat(unix.S_IFREG|0o400, uid, gid, 1), nil
}

// SetStat implements vfs.Inode.
func (m *pagemapFile) SetStat(vfs.Context, *vfs.SetStat) error { return unix.EPERM }

// Open implements vfs.Inode.
func (m *pagemapFile) Open(ctx vfs.Context, _ int) (vfs.FileOperations, error) {
	mem, err := openMemory(ctx, m.proc)
	if err != nil {
		return nil, err
	}
	pm, ok := mem.(PagemapMemory)
	if !ok {
		mem.Release()
		return nil, unix.EACCES
	}
	return &pagemapOps{mem: pm, showPFN: ctx.Credentials().HasGlobalCapability(unix.CAP_SYS_ADMIN)}, nil
}

// pagemapOps is an open /proc/PID/pagemap.
type pagemapOps struct {
	vfs.FileDefaults
	mem     PagemapMemory
	showPFN bool
}

// Read implements vfs.FileOperations: whole entries at an offset that
// is a multiple of 8 (EINVAL otherwise), none past the user address
// space.
func (o *pagemapOps) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	if off%8 != 0 || len(dst)%8 != 0 {
		return 0, unix.EINVAL
	}
	if off < 0 || off/8 >= pagemapEnd>>12 {
		return 0, nil
	}
	n := min(int64(len(dst)/8), pagemapEnd>>12-off/8)
	e := make([]uint64, min(n, 512))
	for done := int64(0); done < n; {
		chunk := e[:min(n-done, int64(len(e)))]
		o.mem.Pagemap(uintptr(off/8+done)<<12, chunk)
		for i, v := range chunk {
			if !o.showPFN {
				v &^= pfnMask
			}
			binary.LittleEndian.PutUint64(dst[(done+int64(i))*8:], v)
		}
		done += int64(len(chunk))
	}
	return int(n) * 8, nil
}

// Seek implements vfs.FileOperations.
func (o *pagemapOps) Seek(_ vfs.Context, _ *vfs.File, cur, off int64, whence int) (int64, error) {
	return vfs.GenericSeek(cur, 0, off, whence)
}

// Release implements vfs.FileOperations.
func (o *pagemapOps) Release(vfs.Context) { o.mem.Release() }
