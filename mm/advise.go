package mm

import (
	"slices"

	"golang.org/x/sys/unix"
)

const (
	madvSoftOffline = 101
)

// MAdvise applies advice to [addr, addr+length) with Linux's madvise
// semantics. MADV_DONTNEED (and MADV_FREE, MADV_DONTNEED_LOCKED) drops the
// pages: private anonymous memory reads as zeros again and private file
// mappings show the file again, while shared anonymous memory keeps its
// contents. MADV_DONTFORK/DOFORK and MADV_WIPEONFORK/KEEPONFORK change
// what Fork does; MADV_POPULATE_READ/WRITE fault pages in. Pure hints
// (NORMAL, RANDOM, SEQUENTIAL, WILLNEED, COLD, PAGEOUT, HUGEPAGE,
// NOHUGEPAGE, MERGEABLE, UNMERGEABLE, DONTDUMP, DODUMP) are accepted and
// change nothing kite does: it has no page reclaim, swap, readahead or
// huge pages (COLD and PAGEOUT are EINVAL on locked memory, as Linux's);
// NORMAL, RANDOM, SEQUENTIAL, DONTDUMP, DODUMP, HUGEPAGE and NOHUGEPAGE
// are kept as the VMAs' attributes, which split and merge as on Linux.
// MADV_COLLAPSE, which must make huge pages synchronously, is EINVAL, as
// on a Linux without transparent huge pages. MADV_REMOVE punches the pages out of a
// writable shared mapping's object (shared anonymous memory, a tmpfs or
// memfd file), in every process mapping it (EACCES if the mapping is
// private or may never write, EINVAL on anonymous memory).
// MADV_WILLNEED also reads the missing pages of the range that map a
// file's page cache (a file kept outside memory: ext4, FAT, host) from
// the file. MADV_GUARD_INSTALL and MADV_GUARD_REMOVE make and unmake
// guard pages (guard.go).
func (m *MemoryManager) MAdvise(addr, length uintptr, advice int) error {
	switch advice {
	case unix.MADV_NORMAL, unix.MADV_RANDOM, unix.MADV_SEQUENTIAL, unix.MADV_WILLNEED,
		unix.MADV_DONTNEED, unix.MADV_FREE, unix.MADV_DONTNEED_LOCKED, unix.MADV_REMOVE,
		unix.MADV_DONTFORK, unix.MADV_DOFORK, unix.MADV_WIPEONFORK, unix.MADV_KEEPONFORK,
		unix.MADV_MERGEABLE, unix.MADV_UNMERGEABLE, unix.MADV_HUGEPAGE, unix.MADV_NOHUGEPAGE,
		unix.MADV_DONTDUMP, unix.MADV_DODUMP, unix.MADV_COLD, unix.MADV_PAGEOUT,
		unix.MADV_POPULATE_READ, unix.MADV_POPULATE_WRITE, madvGuardInstall, madvGuardRemove:
	case unix.MADV_HWPOISON, madvSoftOffline:
		return unix.EPERM // needs CAP_SYS_ADMIN in the initial namespace
	default:
		return unix.EINVAL
	}
	end, err := adviceRange(addr, length)
	if err != nil || end == addr {
		return err
	}

	if advice == unix.MADV_POPULATE_READ || advice == unix.MADV_POPULATE_WRITE {
		err := m.lockedWithReads(func(rd *fileRead) error {
			return m.populateLocked(addr, end, advice == unix.MADV_POPULATE_WRITE, rd)
		})
		if isNeedRead(err) {
			return unix.EINTR // Linux's answer to a mapping changing under the populate
		}
		return err
	}
	var ahead []readAhead
	err = m.adviseRangeLocked(addr, end, advice, &ahead)
	// MADV_WILLNEED reads the file pages of the range into their page
	// cache, outside the lock (files are never read under it).
	for _, r := range ahead {
		r.obj.readAhead(r.first, r.last)
		r.obj.DecRef()
	}
	return err
}

// readAhead is a range of pages [first, last) of a file's page cache that
// MADV_WILLNEED reads in.
type readAhead struct {
	obj         *SharedMemory
	first, last uint64
}

// adviseRangeLocked applies advice to the VMAs in [addr, end), taking
// m.mu, and collects in ahead the cached file pages MADV_WILLNEED asks
// for (with a reference on each object).
func (m *MemoryManager) adviseRangeLocked(addr, end uintptr, advice int, ahead *[]readAhead) error {
	m.mu.Lock()
	defer m.unlock()
	// Linux applies the advice to every VMA in the range and then reports
	// ENOMEM if the range had holes.
	holes := false
	cur := addr
	for cur < end {
		v := m.vmas.lowerBound(cur)
		if v == nil || v.start >= end {
			holes = true
			break
		}
		if v.start > cur {
			holes = true
			cur = v.start
		}
		e := min(v.end, end)
		if err := m.adviseLocked(v, cur, e, advice); err != nil {
			return err
		}
		if advice == unix.MADV_WILLNEED && v.obj != nil && v.obj.isCache() {
			v.obj.IncRef()
			first := (v.off + uint64(cur-v.start)) >> pageShift
			*ahead = append(*ahead, readAhead{v.obj, first, first + uint64(e-cur)>>pageShift})
		}
		cur = e
	}
	if holes {
		return unix.ENOMEM
	}
	return nil
}

// adviseLocked applies advice to [start, end), which lies within v.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) adviseLocked(v *vma, start, end uintptr, advice int) error {
	if discardSealed(v, advice) {
		return unix.EPERM
	}
	switch advice {
	case unix.MADV_DONTNEED:
		if v.locked {
			return unix.EINVAL // MADV_DONTNEED_LOCKED is for those
		}
		m.dropPagesLocked(start, end)
	case unix.MADV_DONTNEED_LOCKED:
		m.dropPagesLocked(start, end)
	case unix.MADV_FREE:
		if !v.anonymous() || v.locked {
			return unix.EINVAL
		}
		m.dropPagesLocked(start, end)
	case unix.MADV_REMOVE:
		if v.locked || v.anonymous() {
			return unix.EINVAL
		}
		if !v.mayWriteShared() {
			return unix.EACCES
		}
		if v.obj == nil {
			// A file without pages of its own cannot punch.
			return unix.EOPNOTSUPP
		}
		off := v.off + uint64(start-v.start)
		// Punch takes this address space's lock itself.
		m.unlock()
		v.obj.Punch(off, uint64(end-start))
		m.mu.Lock()
	case madvGuardInstall:
		return m.guardInstallLocked(v, start, end)
	case madvGuardRemove:
		m.guards.update(start, end, false)
	case unix.MADV_COLD, unix.MADV_PAGEOUT:
		if v.locked {
			return unix.EINVAL // locked pages stay active (can_madv_lru_vma)
		}
	case unix.MADV_NORMAL:
		m.setHintsLocked(start, end, 0, hintRandom|hintSequential)
	case unix.MADV_RANDOM:
		m.setHintsLocked(start, end, hintRandom, hintSequential)
	case unix.MADV_SEQUENTIAL:
		m.setHintsLocked(start, end, hintSequential, hintRandom)
	case unix.MADV_DONTDUMP:
		m.setHintsLocked(start, end, hintDontDump, 0)
	case unix.MADV_DODUMP:
		m.setHintsLocked(start, end, 0, hintDontDump)
	case unix.MADV_HUGEPAGE:
		m.setHintsLocked(start, end, hintHugePage, hintNoHugePage)
	case unix.MADV_NOHUGEPAGE:
		m.setHintsLocked(start, end, hintNoHugePage, hintHugePage)
	case unix.MADV_DONTFORK:
		m.changeLocked(start, end, func(v *vma) { v.dontFork = true })
	case unix.MADV_DOFORK:
		m.changeLocked(start, end, func(v *vma) { v.dontFork = false })
	case unix.MADV_WIPEONFORK:
		if !v.anonymous() || v.shared {
			return unix.EINVAL
		}
		m.changeLocked(start, end, func(v *vma) { v.wipeOnFork = true })
	case unix.MADV_KEEPONFORK:
		m.changeLocked(start, end, func(v *vma) { v.wipeOnFork = false })
	}
	return nil
}

// setHintsLocked sets the hints set and clears those in clear on the VMAs
// in [start, end), splitting only where they change (as Linux's
// madvise_update_vma, which leaves a VMA whose flags stay alone).
//
// Preconditions: m.mu is held for writing; [start, end) is covered by
// VMAs.
func (m *MemoryManager) setHintsLocked(start, end uintptr, set, clear adviceHints) {
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.hints&^clear|set != v.hints {
			m.changeLocked(start, end, func(v *vma) { v.hints = v.hints&^clear | set })
			return
		}
	}
}

// MSync is msync(2): it checks the range as Linux does and writes back the
// pages of backed objects (page caches of files kept elsewhere) that the
// range maps shared, for MS_SYNC and MS_ASYNC alike, and with MS_SYNC
// has the file system make them durable (SetBackingSync); tmpfs and memfd
// pages are their own storage and need nothing. MS_INVALIDATE has nothing
// to do: every mapping of a file shows the same pages.
func (m *MemoryManager) MSync(addr, length uintptr, flags int) error {
	if flags&^(unix.MS_ASYNC|unix.MS_INVALIDATE|unix.MS_SYNC) != 0 {
		return unix.EINVAL
	}
	if addr&pageMask != 0 {
		return unix.EINVAL
	}
	if flags&unix.MS_ASYNC != 0 && flags&unix.MS_SYNC != 0 {
		return unix.EINVAL
	}
	rlen, _ := pageRoundUp(length)
	end := addr + rlen
	if end < addr {
		return unix.ENOMEM
	}
	if end == addr {
		return nil
	}
	var objs []*SharedMemory
	err := func() error {
		m.mu.RLock()
		defer m.mu.RUnlock()
		holes := false
		cur := addr
		for cur < end {
			v := m.vmas.lowerBound(cur)
			if v == nil || v.start >= end {
				return unix.ENOMEM
			}
			if v.start > cur {
				if flags == unix.MS_SYNC {
					return unix.ENOMEM
				}
				holes = true
			}
			if flags&unix.MS_INVALIDATE != 0 && v.locked {
				return unix.EBUSY
			}
			if v.shared && v.obj != nil && !slices.Contains(objs, v.obj) {
				objs = append(objs, v.obj)
			}
			cur = v.end
		}
		if holes {
			return unix.ENOMEM
		}
		return nil
	}()
	if err != nil {
		return err
	}
	if flags&(unix.MS_SYNC|unix.MS_ASYNC) == 0 {
		return nil
	}
	// Written without the lock: writing a file may block.
	for _, o := range objs {
		if werr := o.Writeback(); werr != nil && err == nil {
			err = unix.EIO
		}
		if flags&unix.MS_SYNC != 0 && err == nil {
			if serr := o.syncBacking(); serr != nil {
				err = unix.EIO
			}
		}
	}
	return err
}

// MinCore returns one byte per page of [addr, addr+length): 1 if the page
// has a frame in this address space (or, for shared anonymous memory, in
// its shared object), else 0. Unmapped pages are ENOMEM.
func (m *MemoryManager) MinCore(addr, length uintptr) ([]byte, error) {
	if addr&pageMask != 0 {
		return nil, unix.EINVAL
	}
	if length > m.maxAddr || addr > m.maxAddr-length {
		return nil, unix.ENOMEM
	}
	rlen, _ := pageRoundUp(length)
	end := addr + rlen
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]byte, 0, min(rlen>>pageShift, 1<<16))
	for cur := addr; cur < end; cur += pageSize {
		v := m.vmas.find(cur)
		if v == nil {
			return nil, unix.ENOMEM
		}
		var b byte
		switch {
		case m.pt.get(cur) != nil:
			b = 1
		case v.obj != nil && v.obj.resident((v.off+uint64(cur-v.start))>>pageShift):
			b = 1
		}
		out = append(out, b)
	}
	return out, nil
}

// adviceRange checks a range as madvise and mseal do (EINVAL for a start
// off a page boundary, a length that overflows when rounded up to pages,
// a range that wraps) and returns its end: addr itself for an empty one.
func adviceRange(addr, length uintptr) (uintptr, error) {
	if addr&pageMask != 0 {
		return 0, unix.EINVAL
	}
	end, ok := rangeEnd(addr, length)
	if !ok {
		return 0, unix.EINVAL
	}
	return end, nil
}
