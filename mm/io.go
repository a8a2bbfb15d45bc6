package mm

import (
	"bytes"

	"golang.org/x/sys/unix"
)

// CopyIn copies len(dst) bytes of application memory at addr into dst. It
// faults pages in as an application read would; at the first address a
// read could not reach it returns the count copied so far and EFAULT.
func (m *MemoryManager) CopyIn(addr uintptr, dst []byte) (int, error) {
	return m.access(addr, len(dst), accessRead, func(b []byte, at int) { copy(dst[at:], b) })
}

// CopyOut copies src into application memory at addr, faulting pages in
// and breaking copy-on-write as an application write would; at the first
// address a write could not reach it returns the count copied and EFAULT.
func (m *MemoryManager) CopyOut(addr uintptr, src []byte) (int, error) {
	return m.access(addr, len(src), accessWrite, func(b []byte, at int) { copy(b, src[at:]) })
}

// CopyInForce reads application memory as ptrace(PTRACE_PEEKDATA) and
// /proc/PID/mem do: regardless of the mappings' protection.
func (m *MemoryManager) CopyInForce(addr uintptr, dst []byte) (int, error) {
	return m.access(addr, len(dst), accessForceRead, func(b []byte, at int) { copy(dst[at:], b) })
}

// CopyOutForce writes application memory as ptrace(PTRACE_POKEDATA) and
// /proc/PID/mem do: private mappings are written (copy-on-write) even
// without PROT_WRITE, so that a debugger can set breakpoints in code;
// shared mappings only if writable.
func (m *MemoryManager) CopyOutForce(addr uintptr, src []byte) (int, error) {
	return m.access(addr, len(src), accessForceWrite, func(b []byte, at int) { copy(b, src[at:]) })
}

// ZeroOut writes n zero bytes at addr (EFAULT as CopyOut).
func (m *MemoryManager) ZeroOut(addr, n uintptr) error {
	if int(n) < 0 {
		return unix.EFAULT
	}
	_, err := m.access(addr, int(n), accessWrite, func(b []byte, _ int) { clear(b) })
	return err
}

// CopyInString reads a NUL-terminated string of at most maxLen bytes
// (counting the NUL) at addr and returns it without the NUL:
// ENAMETOOLONG if there is no NUL within maxLen bytes, EFAULT if memory
// ends first.
func (m *MemoryManager) CopyInString(addr uintptr, maxLen int) (string, error) {
	var out []byte
	var buf [pageSize]byte
	for len(out) < maxLen {
		a := addr + uintptr(len(out))
		if a < addr {
			return "", unix.EFAULT
		}
		chunk := min(pageSize-int(a&pageMask), maxLen-len(out))
		n, err := m.CopyIn(a, buf[:chunk])
		if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
			return string(append(out, buf[:i]...)), nil
		}
		if err != nil {
			return "", err
		}
		out = append(out, buf[:n]...)
	}
	return "", unix.ENAMETOOLONG
}

// access runs fn over the frames behind [addr, addr+n): b is the next
// piece of memory and at its offset from addr. Most of the work happens
// under the read lock; pages that need faulting in are prepared under the
// write lock.
func (m *MemoryManager) access(addr uintptr, n int, acc accessType, fn func(b []byte, at int)) (int, error) {
	return m.accessFrames(addr, n, acc, func(off uint64, k, at int) { fn(m.mf.bytes(off, uint64(k)), at) })
}

// accessFrames is access with fn given the memory file's offset of the
// next piece of memory and its length rather than a view of it.
func (m *MemoryManager) accessFrames(addr uintptr, n int, acc accessType, fn func(off uint64, k, at int)) (int, error) {
	return m.accessFramesThen(addr, n, acc, fn, nil, false)
}

// accessFramesThen is accessFrames with locked, if not nil, called with
// m.mu still held after each batch of calls to fn. With noWait, a page a
// userfaultfd must resolve ends the access with its *UserfaultWait
// (queued, not yet waited for) instead of a wait.
func (m *MemoryManager) accessFramesThen(addr uintptr, n int, acc accessType, fn func(off uint64, k, at int), locked func(), noWait bool) (int, error) {
	done := 0
	stuck := 0
	for done < n {
		m.mu.RLock()
		k := m.accessReadyLocked(addr, done, n, acc, fn)
		if locked != nil {
			locked()
		}
		m.mu.RUnlock()
		done += k
		if done == n {
			break
		}
		if k > 0 {
			stuck = 0
		} else if stuck++; stuck > 3 {
			// Another thread keeps undoing our work; give up.
			return done, unix.EFAULT
		}
		a := addr + uintptr(done)
		end := a + uintptr(n-done)
		if a < addr || end < a {
			return done, unix.EFAULT
		}
		err := m.lockedWithReads(func(rd *fileRead) error { return m.prepareLocked(a, end, acc, rd) })
		if err != nil {
			if noWait && isUserfault(err) {
				return done, err
			}
			if awaitUserfault(err) {
				stuck = 0
				continue
			}
			return done, unix.EFAULT
		}
	}
	return done, nil
}

// accessReadyLocked runs fn over the pages from addr+done on that are
// ready for the access (accessible, with a frame, not copy-on-write for a
// write) and returns how many bytes it covered. Neighbouring pages in
// neighbouring frames go to fn as one piece, and the page table is looked
// up once per chunk, not per page.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) accessReadyLocked(addr uintptr, done, n int, acc accessType, fn func(off uint64, k, at int)) int {
	start := done
	var v *vma
	var c *ptChunk
	ckey := ^uintptr(0)
	// The piece not yet given to fn: k bytes of frames from off on, at
	// its offset from addr.
	var pOff uint64
	pK, pAt := 0, 0
	for done < n {
		a := addr + uintptr(done)
		if a < addr {
			break
		}
		if v == nil || a < v.start || a >= v.end {
			if v = m.vmas.find(a); v == nil || !v.allows(acc) {
				break
			}
		}
		key, i := chunkIndex(a)
		if key != ckey {
			c, ckey = m.pt.chunks[key], key
		}
		if c == nil || c.present[i/64]&(1<<(i%64)) == 0 {
			break
		}
		p := &c.e[i]
		if acc.write() && p.cow {
			break
		}
		off := uint64(a & pageMask)
		chunk := min(pageSize-int(off), n-done)
		if pK > 0 && pOff+uint64(pK) == p.frame+off {
			pK += chunk
		} else {
			if pK > 0 {
				fn(pOff, pK, pAt)
			}
			pOff, pK, pAt = p.frame+off, chunk, done
		}
		done += chunk
	}
	if pK > 0 {
		fn(pOff, pK, pAt)
	}
	return done - start
}

// Pin makes the application memory [addr, addr+n) ready for an access
// as the application's (a write breaks copy-on-write) and returns the
// kernel's views of it, one per run of neighbouring frames, with an extra
// reference on every frame until unpin is called: the views stay valid
// while the address space changes, so the caller may copy through them
// without the address space's lock, under locks that rank above it (a
// file's). read(2) and write(2) of regular files copy straight between
// these views and the file's pages, without a kernel buffer in between.
// A write pin also holds off Fork until unpin, so that a page being
// written is not shared copy-on-write with a child meanwhile (callers
// must not block indefinitely while they hold one). The views cover
// fewer than n bytes (none, with EFAULT) where the memory faults;
// unpin must be called even then.
func (m *MemoryManager) Pin(addr uintptr, n int, write bool) (views [][]byte, unpin func(), err error) {
	return m.PinRanges([]Range{{Addr: addr, Len: n}}, write)
}

// Range is one range of application memory: Len bytes from Addr.
type Range struct {
	Addr uintptr
	Len  int
}

// PinRanges is Pin over several ranges at once (the iovecs of readv(2),
// recvmsg(2) and the like), their views following one another in order,
// under one hold of the lock that keeps Fork off: pinning them one by one
// would take that read lock again while holding it, which deadlocks
// against a Fork waiting in between. The views stop where the first
// range faults (EFAULT, with the views of what came before).
func (m *MemoryManager) PinRanges(ranges []Range, write bool) (views [][]byte, unpin func(), err error) {
	acc := accessRead
	if write {
		acc = accessWrite
		m.pinMu.RLock()
	}
	var runs []frameRun // byte offset and length in the memory file
	reffed := 0         // runs[:reffed] hold their extra references
again:
	for _, r := range ranges {
		if r.Len == 0 {
			continue
		}
		_, err = m.accessFramesThen(r.Addr, r.Len, acc, func(off uint64, k, _ int) {
			if i := len(runs) - 1; i >= reffed && runs[i].off+runs[i].n == off {
				runs[i].n += uint64(k)
			} else {
				runs = append(runs, frameRun{off: off, n: uint64(k)})
			}
		}, func() {
			// Under m.mu: the frames are in the page table, so they
			// have references the extra ones can join (one call per
			// run, not per page).
			for _, r := range runs[reffed:] {
				first := r.off &^ pageMask
				m.mf.incRef(first, (r.off+r.n-first+pageMask)>>pageShift)
			}
			reffed = len(runs)
		}, write)
		if write && isUserfault(err) {
			// A userfaultfd must resolve a page: wait for it
			// holding nothing (not the lock that keeps Fork off,
			// which a fork waiting behind it would make the
			// handler's own pinned reads wait for), then pin again
			// from the start, since a fork meanwhile may have
			// shared what was pinned so far.
			for _, r := range runs {
				first := r.off &^ pageMask
				m.mf.decRef(first, (r.off+r.n-first+pageMask)>>pageShift)
			}
			runs, reffed = runs[:0], 0
			m.pinMu.RUnlock()
			ok := awaitUserfault(err)
			m.pinMu.RLock()
			if ok {
				goto again
			}
			err = unix.EFAULT
		}
		if err != nil {
			break
		}
	}
	views = make([][]byte, len(runs))
	for i, r := range runs {
		views[i] = m.mf.bytes(r.off, r.n)
	}
	unpin = func() {
		for _, r := range runs {
			first := r.off &^ pageMask
			m.mf.decRef(first, (r.off+r.n-first+pageMask)>>pageShift)
		}
		if write {
			m.pinMu.RUnlock()
		}
	}
	return views, unpin, err
}

// accessType is how the kernel accesses application memory.
type accessType int

const (
	accessRead  accessType = iota // as an application read
	accessWrite                   // as an application write
	// accessForceRead and accessForceWrite ignore the VMA's protection
	// as ptrace and /proc/PID/mem do (Linux's FOLL_FORCE): any mapping
	// may be read, and private mappings written (copy-on-write).
	accessForceRead
	accessForceWrite
)

func (a accessType) write() bool { return a == accessWrite || a == accessForceWrite }

// allows reports whether the kernel may make an access of type a to v.
// As on x86, any access right implies read. A write through a shared
// mapping of an object that refuses writes (an immutable ext4 file) is
// refused, as the fault a program's own write takes.
func (v *vma) allows(a accessType) bool {
	switch a {
	case accessWrite:
		return v.prot&unix.PROT_WRITE != 0 && !v.refusesWrites()
	case accessForceRead:
		return true
	case accessForceWrite:
		return !v.noWrite && (!v.shared || v.prot&unix.PROT_WRITE != 0) && !v.refusesWrites()
	}
	return v.prot != 0
}

// prepareLocked makes the page at a ready for a kernel access as the
// application's access would (growing a stack, filling frames up to end
// within the VMA, breaking copy-on-write). A missing page that a
// userfaultfd handles is not filled: its *UserfaultWait is returned, for
// the caller to wait on without the lock (awaitUserfault).
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) prepareLocked(a, end uintptr, acc accessType, rd *fileRead) error {
	v := m.vmas.find(a)
	if v == nil {
		if v = m.growStackLocked(a); v == nil {
			return unix.EFAULT
		}
	}
	if !v.allows(acc) {
		return unix.EFAULT
	}
	page := pageDown(a)
	p := m.pt.get(page)
	if p == nil {
		if m.guardedLocked(page) {
			return unix.EFAULT
		}
		if err := m.kernelUserfaultLocked(v, page, acc.write()); err != nil {
			return err
		}
		fillEnd, _ := pageRoundUp(end)
		if fillEnd == 0 || fillEnd > v.end {
			fillEnd = v.end
		}
		b := page + pageSize
		for b < fillEnd && m.pt.get(b) == nil {
			b += pageSize
		}
		if err := m.fillLocked(v, page, b, rd); isNeedRead(err) {
			return err
		}
		if p = m.pt.get(page); p == nil {
			return unix.EFAULT
		}
	}
	if !acc.write() || !p.cow {
		return nil
	}
	old, copied, err := m.breakCOWLocked(p)
	if err != nil {
		return unix.EFAULT
	}
	var syncErr error
	if p.mapped {
		syncErr = m.syncHostLocked(v, page, page+pageSize, false)
	}
	if copied {
		m.dropOld(v, page, old, syncErr)
	}
	return nil
}
