package mm

import "golang.org/x/sys/unix"

// RemapFilePages is remap_file_pages(2), which Linux emulates since 3.16
// by mapping the file again: [start, start+size) (start rounded down,
// size truncated to pages), which must lie in shared mappings of one file
// with the same attributes and no holes, is mapped over with the pages of
// that file (or shared memory object) from page pgoff on, with the
// mapping's protection, MAP_SHARED|MAP_FIXED|MAP_POPULATE and its lock.
// prot must be 0; flags keeps only MAP_NONBLOCK.
func (m *MemoryManager) RemapFilePages(start, size uintptr, prot int, pgoff uint64, flags int) error {
	if prot != 0 {
		return unix.EINVAL
	}
	start, size = pageDown(start), pageDown(size)
	end, ok := rangeEnd(start, size)
	if !ok || end == start || pgoff+uint64(size>>pageShift) < pgoff {
		return unix.EINVAL
	}

	m.mu.Lock()
	v := m.vmas.find(start)
	if v == nil || !v.shared {
		m.mu.Unlock()
		return unix.EINVAL
	}
	for prev, next := v, v.next; prev.end < end; prev, next = next, next.next {
		if next == nil || next.start != prev.end || next.obj != v.obj || !sameFile(next.file, v.file) ||
			next.prot != v.prot || next.locked != v.locked || next.noWrite != v.noWrite || next.sealed != v.sealed || next.dontFork != v.dontFork {
			m.mu.Unlock()
			return unix.EINVAL
		}
	}
	o := MMapOpts{
		Addr:    start,
		Length:  size,
		Prot:    v.prot,
		Flags:   flags&unix.MAP_NONBLOCK | unix.MAP_SHARED | unix.MAP_FIXED | unix.MAP_POPULATE,
		File:    v.file,
		Name:    v.name,
		Shm:     v.obj,
		NoWrite: v.noWrite,
	}
	if v.locked {
		o.Flags |= unix.MAP_LOCKED
	}
	accounted := v.accounted
	// The object and file must outlive the mapping they are taken from
	// until they are mapped again (MMap takes the lock anew).
	if o.Shm != nil {
		o.Shm.IncRef()
		defer o.Shm.DecRef()
	}
	if r, ok := o.File.(MappedFile); ok {
		r.IncMapRef()
		defer r.DecMapRef()
	}
	m.mu.Unlock()

	if pgoff >= 1<<(64-pageShift) {
		return unix.EOVERFLOW // past any file's largest offset
	}
	o.Offset = pgoff << pageShift
	if _, err := m.MMap(o); err != nil {
		return err
	}
	if accounted {
		// Shared anonymous memory is committed by its VMAs (MMap
		// accounts it only when it makes the object).
		m.mu.Lock()
		defer m.unlock()
		m.changeLocked(start, end, func(nv *vma) {
			if nv.obj == o.Shm && !nv.accounted {
				nv.accounted = true
				m.vmas.account(nv, nv.length(), +1)
			}
		})
	}
	return nil
}
