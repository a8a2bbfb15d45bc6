package kernel

// Pagemap implements proc.PagemapMemory: nothing once no task uses the
// address space.
func (p *procMemory) Pagemap(addr uintptr, e []uint64) {
	if !p.inUse() {
		clear(e)
		return
	}
	p.m.Pagemap(addr, e)
}
