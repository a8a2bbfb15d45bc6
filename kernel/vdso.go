package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch/vdso"
	"github.com/kite-os/kite/mm"
)

// vdsoPages is the kernel's vDSO: the image's pages and the data page
// (vvar) it reads, one set shared by every process. Each exec maps the
// data page and, just above it, the image (Linux's [vvar] and [vdso]);
// fork copies the mappings as it copies any other.
type vdsoPages struct {
	// text holds the image. Processes map it private, so a debugger's
	// breakpoint copies the page.
	text    *mm.SharedMemory
	textLen uintptr
	// data is the data page the kernel's clock writes (vdsoData).
	data *mm.SharedMemory
	// none is an all-zero data page: its mode is ModeNone, so every call
	// is the system call. Processes whose time namespace shifts the
	// clocks map it instead of data.
	none *mm.SharedMemory
}

// newVDSOPages fills the vDSO's objects in mf.
func newVDSOPages(mf *mm.MemoryFile) (*vdsoPages, error) {
	n := (uintptr(len(vdso.Image)) + vdso.PageSize - 1) &^ (vdso.PageSize - 1)
	v := &vdsoPages{
		text:    mm.NewSharedMemory(mf, uint64(n)),
		textLen: n,
		data:    mm.NewSharedMemory(mf, vdso.PageSize),
		none:    mm.NewSharedMemory(mf, vdso.PageSize),
	}
	if _, err := v.text.WriteAt(vdso.Image, 0); err != nil {
		return nil, err
	}
	for _, o := range []*mm.SharedMemory{v.data, v.none} {
		if _, err := o.Words(0); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// dataFor returns the data page for processes of time namespace n: the
// live one unless n shifts the clocks (the vDSO computes the initial
// namespace's clocks only).
func (v *vdsoPages) dataFor(n *TimeNamespace) *mm.SharedMemory {
	if n == nil {
		return v.data
	}
	if mono, boot := n.offsets(); mono != 0 || boot != 0 {
		return v.none
	}
	return v.data
}

// mapInto maps the data page for time namespace n and the image above it
// into m, where mmap would put them, and returns the image's address.
func (v *vdsoPages) mapInto(m *mm.MemoryManager, n *TimeNamespace) (uintptr, error) {
	total := vdso.PageSize + v.textLen
	addr, err := m.MMap(mm.MMapOpts{
		Length: total,
		Prot:   unix.PROT_NONE,
		Flags:  unix.MAP_PRIVATE | unix.MAP_ANONYMOUS,
	})
	if err != nil {
		return 0, err
	}
	if _, err := m.MMap(mm.MMapOpts{
		Addr:    addr,
		Length:  vdso.PageSize,
		Prot:    unix.PROT_READ,
		Flags:   unix.MAP_PRIVATE | unix.MAP_FIXED,
		Shm:     v.dataFor(n),
		Name:    "[vvar]",
		NoWrite: true,
		Special: true,
	}); err != nil {
		return 0, err
	}
	text := addr + vdso.PageSize
	if _, err := m.MMap(mm.MMapOpts{
		Addr:   text,
		Length: v.textLen,
		Prot:   unix.PROT_READ | unix.PROT_EXEC,
		Flags:  unix.MAP_PRIVATE | unix.MAP_FIXED,
		Shm:    v.text,
		Name:   "[vdso]",
	}); err != nil {
		return 0, err
	}
	return text, nil
}

// switchData makes the data page mapped in m the one for time namespace
// n (a process that moved into it by setns or fork), as Linux's
// vdso_join_timens.
func (v *vdsoPages) switchData(m *mm.MemoryManager, n *TimeNamespace) {
	want := v.dataFor(n)
	for _, vi := range m.VMAs() {
		if vi.Name != "[vvar]" || vi.Shm == want || (vi.Shm != v.data && vi.Shm != v.none) {
			continue
		}
		// Errors leave the old page: its clocks are the initial
		// namespace's, or the system call.
		m.MMap(mm.MMapOpts{
			Addr:    vi.Start,
			Length:  vi.End - vi.Start,
			Prot:    vi.Prot,
			Flags:   unix.MAP_PRIVATE | unix.MAP_FIXED,
			Shm:     want,
			Name:    "[vvar]",
			NoWrite: true,
			Special: true,
		})
	}
}
