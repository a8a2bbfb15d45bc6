package mm

// Pagemap fills e with the /proc/PID/pagemap entries of the pages from
// addr on (addr page-aligned): bit 63 for a page with a frame in this
// address space, its frame number (the memory file's page) in bits 0 to
// 54, bit 61 for a page of a file or shared memory object (not yet
// copied by a private mapping), bit 56 for a page mapped only here (an
// anonymous frame no other address space refers to; an object's page
// no one else maps). kite has no swap and no soft-dirty tracking: bits
// 62 and 55 stay clear.
func (m *MemoryManager) Pagemap(addr uintptr, e []uint64) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range e {
		a := addr + uintptr(i)*pageSize
		e[i] = 0
		v := m.vmas.find(a)
		if v == nil {
			continue
		}
		p := m.pt.get(a)
		if p == nil {
			continue
		}
		ent := uint64(1)<<63 | (p.frame>>pageShift)&(1<<55-1)
		refs := m.mf.refCount(p.frame)
		if (v.obj != nil || v.file != nil) && (v.shared || p.cow) {
			ent |= 1 << 61
			// The object holds one reference, the page table one.
			if refs <= 2 {
				ent |= 1 << 56
			}
		} else if refs == 1 {
			ent |= 1 << 56
		}
		e[i] = ent
	}
}
