package mm

import (
	"math"

	"golang.org/x/sys/unix"
)

// MRemap resizes and/or moves the mapping at [oldAddr, oldAddr+oldLen)
// with the semantics of Linux 6.18's mremap (MREMAP_MAYMOVE,
// MREMAP_FIXED, MREMAP_DONTUNMAP) and returns its new address. Pages move
// with the mapping. Parameters are checked first (EINVAL), then a VMA must
// contain oldAddr (EFAULT). A move to a fixed address without resizing
// may span several VMAs (and the gaps between them), as since Linux 6.17.
func (m *MemoryManager) MRemap(oldAddr, oldLen, newLen uintptr, flags int, newAddr uintptr) (uintptr, error) {
	if flags&^(unix.MREMAP_MAYMOVE|unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 {
		return 0, unix.EINVAL
	}
	if oldAddr&pageMask != 0 {
		return 0, unix.EINVAL
	}
	if flags&(unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0 && flags&unix.MREMAP_MAYMOVE == 0 {
		return 0, unix.EINVAL
	}
	oldLen, _ = pageRoundUp(oldLen) // wraps to 0 like Linux's PAGE_ALIGN
	newLen, ok := pageRoundUp(newLen)
	if !ok || newLen == 0 || newLen > m.maxAddr {
		return 0, unix.EINVAL
	}
	impliesNewAddr := flags&(unix.MREMAP_FIXED|unix.MREMAP_DONTUNMAP) != 0
	if impliesNewAddr {
		if newAddr&pageMask != 0 {
			return 0, unix.EINVAL
		}
		if newLen > m.maxAddr || newAddr > m.maxAddr-newLen {
			return 0, unix.EINVAL
		}
		if flags&unix.MREMAP_DONTUNMAP != 0 && oldLen != newLen {
			return 0, unix.EINVAL
		}
		// The old and new ranges must not overlap.
		if oldAddr+oldLen > newAddr && newAddr+newLen > oldAddr {
			return 0, unix.EINVAL
		}
	}

	m.mu.Lock()
	defer m.unlock()
	if impliesNewAddr && m.vmas.len()+6 > maxMapCount {
		return 0, unix.ENOMEM
	}
	if v := m.vmas.find(oldAddr); v == nil {
		return 0, unix.EFAULT
	} else if v.sealed {
		return 0, unix.EPERM
	}
	if impliesNewAddr {
		return m.mremapToLocked(oldAddr, oldLen, newLen, flags, newAddr)
	}
	if oldLen >= newLen {
		if oldLen > newLen {
			// The tail is unmapped as munmap would, with its range
			// check: a tail past the address space is EINVAL, not
			// everything above oldAddr gone.
			start, n := oldAddr+newLen, oldLen-newLen
			if start > m.maxAddr || n > m.maxAddr-start {
				return 0, unix.EINVAL
			}
			if m.sealedInLocked(start, start+n) {
				return 0, unix.EPERM
			}
			m.unmapLocked(start, start+n)
		}
		return oldAddr, nil
	}
	v, err := m.vmaToResizeLocked(oldAddr, oldLen, newLen)
	if err != nil {
		return 0, err
	}
	// Grow in place if the mapping ends its VMA and the space after it
	// is free.
	if oldLen != 0 && oldAddr+oldLen == v.end {
		end := oldAddr + newLen
		if end > oldAddr && end <= m.maxAddr && !m.vmas.overlaps(v.end, end) {
			m.vmas.account(v, end-v.end, +1)
			v.end = end
			m.vmas.mergeRange(v.start, v.end)
			return oldAddr, nil
		}
	}
	if flags&unix.MREMAP_MAYMOVE == 0 {
		return 0, unix.ENOMEM
	}
	to, err := m.findUnmappedLocked(newLen, 0)
	if err != nil {
		return 0, err
	}
	return m.moveLocked(oldAddr, oldLen, newLen, to, false)
}

// mremapToLocked handles MREMAP_FIXED and MREMAP_DONTUNMAP.
//
// Preconditions: m.mu is held for writing; the parameters are valid and a
// VMA contains oldAddr.
func (m *MemoryManager) mremapToLocked(oldAddr, oldLen, newLen uintptr, flags int, newAddr uintptr) (uintptr, error) {
	fixed := flags&unix.MREMAP_FIXED != 0
	dontUnmap := flags&unix.MREMAP_DONTUNMAP != 0
	if fixed {
		if newAddr < minAddr {
			return 0, unix.EPERM
		}
		if m.sealedInLocked(newAddr, newAddr+newLen) {
			return 0, unix.EPERM
		}
		m.unmapLocked(newAddr, newAddr+newLen)
		if oldLen == newLen && oldLen != 0 {
			return m.moveRangeLocked(oldAddr, oldLen, newAddr, dontUnmap)
		}
	}
	if oldLen > newLen {
		if m.sealedInLocked(oldAddr+newLen, oldAddr+oldLen) {
			return 0, unix.EPERM
		}
		m.unmapLocked(oldAddr+newLen, oldAddr+oldLen)
		oldLen = newLen
	}
	if _, err := m.vmaToResizeLocked(oldAddr, oldLen, newLen); err != nil {
		return 0, err
	}
	to := newAddr
	if !fixed {
		var err error
		if to, err = m.findUnmappedLocked(newLen, newAddr); err != nil {
			return 0, err
		}
	}
	return m.moveLocked(oldAddr, oldLen, newLen, to, dontUnmap)
}

// moveRangeLocked moves every VMA piece in [oldAddr, oldAddr+length) to the
// same offset from to, keeping the gaps between them (a fixed move without
// resizing, which may span VMAs).
//
// Preconditions: m.mu is held for writing; [to, to+length) is free and
// does not overlap the old range; a VMA contains oldAddr.
func (m *MemoryManager) moveRangeLocked(oldAddr, length, to uintptr, dontUnmap bool) (uintptr, error) {
	end := oldAddr + length
	if end < oldAddr {
		return 0, unix.EFAULT
	}
	type piece struct{ start, end uintptr }
	var pieces []piece
	for v := m.vmas.lowerBound(oldAddr); v != nil && v.start < end; v = v.next {
		pieces = append(pieces, piece{max(v.start, oldAddr), min(v.end, end)})
	}
	for _, p := range pieces {
		if m.vmas.find(p.start).sealed {
			// Linux moves the VMAs before a sealed one, then fails.
			return 0, unix.EPERM
		}
		n := p.end - p.start
		if _, err := m.moveLocked(p.start, n, n, to+(p.start-oldAddr), dontUnmap); err != nil {
			return 0, err
		}
	}
	return to, nil
}

// vmaToResizeLocked checks that [addr, addr+oldLen) lies in one VMA that
// may become newLen bytes long, as Linux's vma_to_resize, and returns it.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) vmaToResizeLocked(addr, oldLen, newLen uintptr) (*vma, error) {
	v := m.vmas.find(addr)
	if v == nil {
		return nil, unix.EFAULT
	}
	if oldLen == 0 && !v.shared {
		// Only shared mappings can be duplicated with old_len 0.
		return nil, unix.EINVAL
	}
	if oldLen > v.end-addr {
		return nil, unix.EFAULT
	}
	if newLen == oldLen {
		return v, nil
	}
	if v.file != nil || v.obj != nil {
		off := v.off + uint64(addr-v.start)
		if off>>pageShift+uint64(newLen>>pageShift) < off>>pageShift {
			return nil, unix.EINVAL
		}
		if v.file != nil && off > math.MaxInt64-uint64(newLen) {
			return nil, unix.EINVAL
		}
	}
	if newLen > oldLen {
		if err := m.mayExpandLocked(newLen-oldLen, v.isData(), 0, 0); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// moveLocked moves [oldAddr, oldAddr+oldLen), which lies in one VMA, to
// [to, to+newLen), which is free, with its pages. Unless dontUnmap, the
// old range is unmapped; with it, the old range stays mapped, empty. An
// oldLen of 0 duplicates a shared mapping.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) moveLocked(oldAddr, oldLen, newLen, to uintptr, dontUnmap bool) (uintptr, error) {
	if m.vmas.len() >= maxMapCount-2 {
		return 0, unix.ENOMEM
	}
	if oldLen == 0 {
		v := m.vmas.find(oldAddr)
		nv := *v
		nv.takeRefs(m)
		nv.off += uint64(oldAddr - v.start)
		nv.start, nv.end = to, to+newLen
		m.vmas.insert(&nv)
		return to, nil
	}
	// The guard pages move too, if the guard set has room for them
	// at their new alignment.
	gmove, err := m.planGuardMoveLocked(oldAddr, min(oldLen, newLen), to)
	if err != nil {
		return 0, err
	}
	oldEnd := oldAddr + oldLen
	m.vmas.splitAt(oldAddr)
	m.vmas.splitAt(oldEnd)
	ov := m.vmas.find(oldAddr)
	nv := *ov
	nv.takeRefs(m)
	nv.start, nv.end = to, to+newLen

	// Move the pages. The platform must stop showing them at the old
	// address before anything else can.
	var pages []movedPage
	// Pages the application had mapped are mapped again at the new
	// address right away, so that moving a mapping (realloc of a large
	// block) does not cost a fault per window afterwards.
	var remap []mapRun
	hostMapped := false
	m.pt.forRange(oldAddr, oldEnd, func(addr uintptr, p *pte) bool {
		q := *p
		q.mapped, q.hostProt, q.stale = false, 0, 0
		newAddr := addr - oldAddr + to
		if p.mapped {
			hostMapped = true
			if prot := nv.effProt(&q); prot != 0 {
				remap = appendRun(remap, newAddr, q.frame, prot)
			}
		}
		pages = append(pages, movedPage{addr: newAddr, p: q})
		m.pt.remove(addr)
		return true
	})
	if hostMapped {
		if err := m.as.Unmap(oldAddr, oldLen); err != nil {
			// Keep the old frames away from anyone else; the new
			// range gets no pages.
			pages, remap = nil, nil
		}
	}
	if len(remap) > 1 && nv.anonymous() && !nv.shared {
		pages, remap = m.compactLocked(pages, remap, nv.prot)
	}
	for _, mv := range pages {
		m.pt.set(mv.addr, mv.p)
	}
	m.applyGuardMoveLocked(gmove)
	if !dontUnmap {
		m.unmapLocked(oldAddr, oldEnd)
	} else {
		m.vmas.mergeRange(oldAddr, oldEnd)
	}
	m.vmas.insert(&nv)
	for _, r := range remap {
		if len(remap) > maxSyncRuns {
			break // cheaper to fault them back in
		}
		if err := m.as.MapFile(r.addr, r.frame, r.n*pageSize, r.prot); err == nil {
			m.setMapped(r, true)
		}
	}
	return to, nil
}

// movedPage is a page of a mapping being moved, at its new address.
type movedPage struct {
	addr uintptr
	p    pte
}

// maxCompactPages bounds the size of a moved mapping compactLocked copies.
const maxCompactPages = 4096

// compactLocked copies the pages of a moved private anonymous mapping whose
// frames are scattered (so that mapping them would take one platform call
// per piece) into one run of fresh frames, which one call maps. Copying a
// page costs far less than a platform call. The platform no longer maps
// the old frames and no other address space refers to them (no page is
// copy-on-write), so nothing can write them meanwhile. It returns the
// pages and the runs to map; unchanged if compacting does not pay or no
// run of frames is free.
//
// Preconditions: m.mu is held for writing; pages is sorted by address.
func (m *MemoryManager) compactLocked(pages []movedPage, remap []mapRun, prot int) ([]movedPage, []mapRun) {
	first, last := pages[0].addr, pages[len(pages)-1].addr
	n := uint64((last-first)>>pageShift) + 1
	if n > maxCompactPages || n > 2*uint64(len(pages)) || prot == 0 {
		return pages, remap
	}
	for _, mp := range pages {
		if mp.p.cow {
			return pages, remap
		}
	}
	off, got, err := m.mf.allocRun(n)
	if err != nil {
		return pages, remap
	}
	if got < n {
		m.mf.decRef(off, got)
		return pages, remap
	}
	out := make([]movedPage, n)
	old := make([]uint64, 0, len(pages))
	for i := range out {
		out[i] = movedPage{addr: first + uintptr(i)<<pageShift, p: pte{frame: off + uint64(i)*pageSize}}
	}
	for _, mp := range pages {
		i := (mp.addr - first) >> pageShift
		copy(m.mf.frame(out[i].p.frame), m.mf.frame(mp.p.frame))
		old = append(old, mp.p.frame)
	}
	m.decRefFrames(old)
	return out, []mapRun{{addr: first, frame: off, n: uintptr(n), prot: prot}}
}
