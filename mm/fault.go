package mm

import (
	"errors"
	"io"
	"math"

	"golang.org/x/sys/unix"
)

// HandleFault resolves a fault reported by the platform at addr. It
// returns nil if the application can resume (the access will succeed or
// fault again with more information), or a *FaultError naming the signal
// to deliver. See doc.go for how SEGV_MAPERR and SEGV_ACCERR are read.
func (m *MemoryManager) HandleFault(addr uintptr, signo, code int32) error {
	if signo != int32(unix.SIGSEGV) || (code != SEGV_MAPERR && code != SEGV_ACCERR) {
		return &FaultError{Signo: signo, Code: code, Addr: addr}
	}
	err := m.lockedWithReads(func(rd *fileRead) error {
		return m.handleFaultLocked(addr, code, rd)
	})
	if isNeedRead(err) {
		// The mapping keeps changing under us: let the application
		// retry the access.
		return nil
	}
	var uw *UserfaultWait
	if errors.As(err, &uw) {
		if uw.u.notify != nil {
			uw.u.notify()
		}
	}
	return err
}

// lockedWithReads runs fn with m.mu held for writing. When fn needs file
// pages (it returns a *needRead), they are read without the lock and fn
// runs again with them, until it stops asking or asks for the same pages
// maxReadRetries times (the mapping keeps changing under us): then the
// *needRead is returned.
func (m *MemoryManager) lockedWithReads(fn func(rd *fileRead) error) error {
	var rd *fileRead
	defer func() { rd.release(m.mf) }()
	var last needRead
	same := 0
	for {
		m.mu.Lock()
		err := fn(rd)
		m.unlock()
		var need *needRead
		if !errors.As(err, &need) {
			return err
		}
		if sameFile(need.file, last.file) && need.obj == last.obj && need.off == last.off {
			if same++; same == maxReadRetries {
				return err
			}
		} else {
			last, same = *need, 0
		}
		rd.release(m.mf)
		rd = m.readFile(need)
	}
}

// maxReadRetries bounds how often an operation reads file pages without
// the lock and finds the mapping changed when it comes back.
const maxReadRetries = 4

// handleFaultLocked is HandleFault under the lock. It returns a *needRead
// if file pages must be read first (without the lock); rd holds pages
// read so.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) handleFaultLocked(addr uintptr, code int32, rd *fileRead) error {
	v := m.vmas.find(addr)
	if v == nil {
		v = m.growStackLocked(addr)
		if v == nil {
			return segv(SEGV_MAPERR, addr)
		}
	}
	if v.prot == 0 {
		return segv(SEGV_ACCERR, addr)
	}
	page := pageDown(addr)
	if m.guardedLocked(page) {
		return segv(SEGV_MAPERR, addr)
	}
	if w := m.userfaultLocked(v, page); w != nil {
		return w
	}
	if p := m.pt.get(page); code == SEGV_ACCERR && p != nil && p.mapped {
		return m.accessFaultLocked(v, page, p, addr)
	}
	return m.faultInLocked(v, page, addr, rd)
}

func segv(code int32, addr uintptr) *FaultError {
	return &FaultError{Signo: int32(unix.SIGSEGV), Code: code, Addr: addr}
}

func sigbus(addr uintptr) *FaultError {
	return &FaultError{Signo: int32(unix.SIGBUS), Code: BUS_ADRERR, Addr: addr}
}

// accessFaultLocked handles SEGV_ACCERR on a page mapped in the platform
// address space.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) accessFaultLocked(v *vma, page uintptr, p *pte, addr uintptr) error {
	if p.cow && v.prot&unix.PROT_WRITE != 0 {
		// A write (or, rarely, an execution) on a copy-on-write page:
		// break it. If it was an execution the retry faults again on
		// the now fully mapped page and takes the path below.
		if err := m.breakCOWAroundLocked(v, page); err != nil {
			if errors.Is(err, unix.ENOMEM) && m.mf.full() {
				// No frame for the copy: the OOM killer's turn.
				return &FaultError{Signo: int32(unix.SIGBUS), Code: BUS_ADRERR, Addr: addr, OOM: true}
			}
			return sigbus(addr)
		}
		return nil
	}
	if int(p.hostProt) != v.effProt(p) {
		// Our mapping was out of date (e.g. a racing mprotect).
		if err := m.syncHostLocked(v, page, page+pageSize, true); err != nil {
			return sigbus(addr)
		}
		return nil
	}
	if v.prot&unix.PROT_WRITE != 0 && v.refusesWrites() {
		// Mapped without write although the VMA allows it: a write
		// to a file that refuses them (immutable on ext4).
		return sigbus(addr)
	}
	// The page has its VMA's full protection, so the access exceeded it,
	// unless it is a write that raced with another thread's COW break.
	if v.prot&unix.PROT_WRITE != 0 && p.stale > 0 {
		p.stale--
		return nil
	}
	return segv(SEGV_ACCERR, addr)
}

// effProt is the protection a page of v is mapped with in the platform
// address space: the VMA's, without write for copy-on-write pages and
// for shared mappings of a file that refuses writes (SetWritesRefused),
// so that a write faults. Write
// implies read on x86, so a copy-on-write page of a write-only VMA is
// mapped readable: mapped with no access it would fault as unmapped, be
// mapped again with none, and fault for ever.
func (v *vma) effProt(p *pte) int {
	if p.cow && !v.shared && v.prot&unix.PROT_WRITE != 0 {
		return v.prot&^unix.PROT_WRITE | unix.PROT_READ
	}
	if v.prot&unix.PROT_WRITE != 0 && v.refusesWrites() {
		return v.prot&^unix.PROT_WRITE | unix.PROT_READ
	}
	return v.prot
}

// window returns the fault-around window of page: the aligned block of
// faultAroundPages pages around it, clipped to v.
func (v *vma) window(page uintptr) (uintptr, uintptr) {
	const span = faultAroundPages * pageSize
	ws := page &^ (span - 1)
	we := ws + span
	if we < ws {
		we = math.MaxUint64 &^ pageMask
	}
	return max(ws, v.start), min(we, v.end)
}

// faultInLocked gives page (and its neighbours in the fault-around window)
// frames and maps them.
//
// Preconditions: m.mu is held for writing; v contains page and is
// accessible.
func (m *MemoryManager) faultInLocked(v *vma, page uintptr, addr uintptr, rd *fileRead) error {
	ws, we := v.window(page)
	p := m.pt.get(page)
	if p == nil {
		a, b := page, page+pageSize
		if v.obj == nil || v.obj.isCache() {
			// Anonymous memory and private file copies are filled
			// a window at a time; a cached file's missing pages
			// are read ahead. A memory object's (tmpfs, memfd,
			// shared anonymous) missing pages are its storage:
			// only the faulting page is allocated, as Linux's
			// fault-around maps only pages already in the cache.
			for a > ws && m.pt.get(a-pageSize) == nil {
				a -= pageSize
			}
			for b < we && m.pt.get(b) == nil {
				b += pageSize
			}
		}
		if err := m.fillLocked(v, a, b, rd); isNeedRead(err) {
			return err
		}
		if p = m.pt.get(page); p == nil && a < page {
			// Something before page failed (memory ran out): page
			// alone may still fit.
			if err := m.fillLocked(v, page, page+pageSize, rd); isNeedRead(err) {
				return err
			}
			p = m.pt.get(page)
		}
		if p == nil {
			if m.mf.full() {
				return &FaultError{Signo: int32(unix.SIGBUS), Code: BUS_ADRERR, Addr: addr, OOM: true}
			}
			return sigbus(addr)
		}
	} else if p.mapped {
		// The platform reported the page unmapped although we mapped
		// it: another thread's fault mapped it meanwhile, or the
		// platform lost it. Mapping it again is harmless.
		p.hostProt = 0
	}
	if v.obj != nil {
		m.objectWindowLocked(v, ws, we)
		ws, we = m.objectAroundLocked(v, page, ws, we)
	}
	if err := m.syncHostLocked(v, ws, we, true); err != nil {
		return sigbus(addr)
	}
	return nil
}

// objectWindowLocked gives ptes to the pages of [ws, we) in v, a mapping
// of a shared memory object, that have none and whose object page has a
// frame (copy-on-write for a private mapping). It never allocates.
//
// Preconditions: m.mu is held for writing; v.obj != nil; [ws, we) lies
// in v.
func (m *MemoryManager) objectWindowLocked(v *vma, ws, we uintptr) {
	idx := (v.off + uint64(ws-v.start)) >> pageShift
	frames := v.obj.residentFrames(idx, uint64(we-ws)>>pageShift, func(k uint64) bool {
		a := ws + uintptr(k)*pageSize
		return m.pt.get(a) != nil || m.guardedLocked(a)
	})
	for k, f := range frames {
		if f != noFrame {
			m.pt.set(ws+uintptr(k)*pageSize, pte{frame: f, cow: !v.shared})
		}
	}
}

// objectAroundLocked extends the fault-around window [ws, we) of page in
// v, a mapping of a shared memory object, over the object's pages that
// already have frames (a tmpfs or memfd file's pages, a cached file's
// resident ones) in the aligned objectAroundPages window around page:
// forwards from we, then backwards from ws, each direction stopping at
// the first page that has a pte already or no frame in the object, or
// where a run of contiguous frames beyond objectAroundRuns would start.
// It gives those pages ptes (copy-on-write for a private mapping) and
// returns the extended window for the caller to map.
//
// Preconditions: m.mu is held for writing; v.obj != nil; [ws, we) is
// page's window in v, filled.
func (m *MemoryManager) objectAroundLocked(v *vma, page, ws, we uintptr) (uintptr, uintptr) {
	const span = objectAroundPages * pageSize
	ows := max(page&^(span-1), v.start)
	owe := v.end
	if e := page&^(span-1) + span; e > page && e < owe {
		owe = e
	}
	idxOf := func(a uintptr) uint64 { return (v.off + uint64(a-v.start)) >> pageShift }
	// Forwards from we: one walk of the object's frames (under its lock
	// once), which stops at the first page that has a pte.
	if we < owe {
		frames := v.obj.residentRun(idxOf(we), uint64(owe-we)>>pageShift, false, objectAroundRuns, func(k uint64) bool {
			a := we + uintptr(k)*pageSize
			return m.pt.get(a) != nil || m.guardedLocked(a)
		})
		for k, f := range frames {
			m.pt.set(we+uintptr(k)*pageSize, pte{frame: f, cow: !v.shared})
		}
		we += uintptr(len(frames)) * pageSize
	}
	// Backwards from ws.
	if ws > ows {
		frames := v.obj.residentRun(idxOf(ws-pageSize), uint64(ws-ows)>>pageShift, true, objectAroundRuns, func(k uint64) bool {
			a := ws - uintptr(k+1)*pageSize
			return m.pt.get(a) != nil || m.guardedLocked(a)
		})
		for k, f := range frames {
			m.pt.set(ws-uintptr(k+1)*pageSize, pte{frame: f, cow: !v.shared})
		}
		ws -= uintptr(len(frames)) * pageSize
	}
	return ws, we
}

// fillLocked gives every page of v in [start, end) a frame, stopping at the
// first page it cannot fill. Guard pages are left without.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) fillLocked(v *vma, start, end uintptr, rd *fileRead) error {
	for addr := start; addr < end; {
		if m.pt.get(addr) != nil || m.guardedLocked(addr) {
			addr += pageSize
			continue
		}
		runEnd := addr + pageSize
		for runEnd < end && m.pt.get(runEnd) == nil && !m.guardedLocked(runEnd) {
			runEnd += pageSize
		}
		if err := m.fillRunLocked(v, addr, runEnd, rd); err != nil {
			return err
		}
		addr = runEnd
	}
	return nil
}

// preferredFrames returns where the frames of the pages [start, end) of v
// would continue those of their neighbours: right after the frame of the
// page before start, or right before the frame of the page at end.
// Neighbouring frames let the platform map (and merge) neighbouring pages
// as one range.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) preferredFrames(v *vma, start, end uintptr) (uint64, bool) {
	if start > v.start {
		if p := m.pt.get(start - pageSize); p != nil {
			return p.frame + pageSize, true
		}
	}
	if end < v.end {
		if p := m.pt.get(end); p != nil {
			if n := uint64(end - start); p.frame >= n {
				return p.frame - n, true
			}
		}
	}
	return 0, false
}

// errPastEOF reports a private file page wholly past the end of the file.
var errPastEOF = errors.New("page past end of file")

// fillRunLocked gives frames to the pages of [start, end), none of which
// has one. Pages of a file (not backed by a shared object) come from rd;
// if rd lacks them, it returns a *needRead saying what to read.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) fillRunLocked(v *vma, start, end uintptr, rd *fileRead) error {
	if v.obj != nil {
		for addr := start; addr < end; addr += pageSize {
			idx := (v.off + uint64(addr-v.start)) >> pageShift
			f, err := v.obj.frameAt(idx)
			if err == errNeedFill && rd != nil && rd.obj == v.obj && rd.err != nil {
				return rd.err // reading the file failed: SIGBUS
			}
			if err == errNeedFill {
				return &needRead{obj: v.obj, off: idx << pageShift, pages: uint64(end-addr) >> pageShift}
			}
			if err != nil {
				return err
			}
			// A private mapping shares the object's page until it
			// writes it.
			m.pt.set(addr, pte{frame: f, cow: !v.shared})
		}
		return nil
	}
	if v.file != nil {
		for addr := start; addr < end; addr += pageSize {
			fileOff := v.off + uint64(addr-v.start)
			f, err := rd.take(v.file, fileOff)
			if err == errNotRead {
				return &needRead{file: v.file, off: fileOff, pages: uint64(end-addr) >> pageShift}
			}
			if err != nil {
				return err
			}
			m.pt.set(addr, pte{frame: f})
		}
		return nil
	}
	for addr := start; addr < end; {
		n := uint64((end - addr) >> pageShift)
		off, got, err := uint64(0), uint64(0), error(nil)
		if pref, ok := m.preferredFrames(v, addr, end); ok && m.mf.allocAt(pref, n) {
			off, got = pref, n
		} else if off, got, err = m.mf.allocRun(n); err != nil {
			return err
		}
		for i := uint64(0); i < got; i++ {
			m.pt.set(addr, pte{frame: off + i*pageSize})
			addr += pageSize
		}
	}
	return nil
}

// needRead is returned (as an error) by operations under the lock that
// need pages of a file: the caller drops the lock, reads them with
// readFile and tries again with the result. mm never reads a file while
// holding an address space's lock: reading may block, and a file (a
// /proc file) may look at this very address space.
type needRead struct {
	file  File
	obj   *SharedMemory // or a backed object's pages to fill
	off   uint64        // file (object) offset of the first page
	pages uint64
}

func (*needRead) Error() string { return "file pages must be read" }

func isNeedRead(err error) bool {
	var need *needRead
	return errors.As(err, &need)
}

// errNotRead: the pages asked of a fileRead are not in it.
var errNotRead = errors.New("file pages not read")

// fileRead is file pages read without the lock: fresh frames holding the
// file's data from off on.
type fileRead struct {
	obj    *SharedMemory // a backed object that could not be filled (err)
	file   File
	off    uint64
	frames []uint64 // per page; taken pages are set to ^0
	good   int      // pages holding file data; the rest are past EOF
	err    error    // why reading stopped at good
}

// readFile reads the pages need asks for (at most a fault-around window)
// into fresh frames. It is called without m.mu.
func (m *MemoryManager) readFile(need *needRead) *fileRead {
	n := min(need.pages, faultAroundPages)
	if need.obj != nil {
		// The object takes the pages itself; the retry finds them.
		if err := need.obj.fill(need.off>>pageShift, n); err != nil {
			return &fileRead{obj: need.obj, err: err}
		}
		return nil
	}
	rd := &fileRead{file: need.file, off: need.off}
	for uint64(len(rd.frames)) < n {
		off, got, err := m.mf.allocRun(n - uint64(len(rd.frames)))
		if err != nil {
			if len(rd.frames) == 0 {
				rd.err = err
				return rd
			}
			break
		}
		for i := uint64(0); i < got; i++ {
			rd.frames = append(rd.frames, off+i*pageSize)
		}
	}
	if r, ok := need.file.(MappedFile); ok {
		// The mapping may go away while we read.
		r.IncMapRef()
		defer r.DecMapRef()
	}
	for i := 0; i < len(rd.frames); {
		j := i + 1
		for j < len(rd.frames) && rd.frames[j] == rd.frames[j-1]+pageSize {
			j++
		}
		fileOff := need.off + uint64(i)*pageSize
		want := uint64(j-i) * pageSize
		var read int
		var err error
		if fileOff > math.MaxInt64-want {
			err = unix.EOVERFLOW
		} else {
			read, err = need.file.ReadAt(m.mf.bytes(rd.frames[i], want), int64(fileOff))
		}
		if uint64(read) == want {
			rd.good = j
			i = j
			continue
		}
		rd.good = i + (read+pageMask)>>pageShift
		if err == nil || err == io.EOF {
			err = errPastEOF
		}
		rd.err = err
		break
	}
	return rd
}

// take hands over the frame holding the page of file at fileOff:
// errNotRead if rd did not read it, rd.err if it lies past what could be
// read.
func (rd *fileRead) take(file File, fileOff uint64) (uint64, error) {
	if rd == nil || !sameFile(rd.file, file) || fileOff < rd.off {
		return 0, errNotRead
	}
	i := (fileOff - rd.off) >> pageShift
	if rd.err != nil && i >= uint64(rd.good) && (i < uint64(len(rd.frames)) || len(rd.frames) == 0) {
		return 0, rd.err
	}
	if i >= uint64(len(rd.frames)) || rd.frames[i] == ^uint64(0) {
		return 0, errNotRead
	}
	f := rd.frames[i]
	rd.frames[i] = ^uint64(0)
	return f, nil
}

// release frees the frames nobody took.
func (rd *fileRead) release(mf *MemoryFile) {
	if rd == nil {
		return
	}
	for i, f := range rd.frames {
		if f != ^uint64(0) {
			mf.decRef(f, 1)
			rd.frames[i] = ^uint64(0)
		}
	}
}

// mapRun is n pages at addr backed by contiguous frames from frame.
type mapRun struct {
	addr  uintptr
	frame uint64
	n     uintptr
	prot  int
}

func appendRun(runs []mapRun, addr uintptr, frame uint64, prot int) []mapRun {
	if k := len(runs); k > 0 {
		r := &runs[k-1]
		if r.addr+r.n*pageSize == addr && r.frame+uint64(r.n)*pageSize == frame && r.prot == prot {
			r.n++
			return runs
		}
	}
	return append(runs, mapRun{addr: addr, frame: frame, n: 1, prot: prot})
}

// maxSyncRuns bounds the platform calls syncHostLocked makes to change
// existing mappings; beyond it, unmapping the range and letting the
// application fault back in is cheaper.
const maxSyncRuns = 64

// syncHostLocked brings the platform mappings of v's pages in [start, end)
// in line with their ptes: pages whose mapping has the wrong protection (or
// frame) are mapped again, pages that must not be accessible are unmapped,
// and, if mapUnmapped, pages with a frame but no mapping are mapped.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) syncHostLocked(v *vma, start, end uintptr, mapUnmapped bool) error {
	var maps, unmaps []mapRun
	m.pt.forRange(start, end, func(addr uintptr, p *pte) bool {
		eff := v.effProt(p)
		switch {
		case eff == 0:
			if p.mapped {
				unmaps = appendRun(unmaps, addr, p.frame, 0)
			}
		case p.mapped && int(p.hostProt) == eff:
		case !p.mapped && !mapUnmapped:
		default:
			maps = appendRun(maps, addr, p.frame, eff)
		}
		return true
	})
	if !mapUnmapped && len(maps)+len(unmaps) > maxSyncRuns {
		if err := m.as.Unmap(start, end-start); err != nil {
			return err
		}
		m.pt.forRange(start, end, func(_ uintptr, p *pte) bool {
			p.mapped = false
			return true
		})
		return nil
	}
	var firstErr error
	for _, r := range unmaps {
		if err := m.as.Unmap(r.addr, r.n*pageSize); err != nil {
			firstErr = cmp(firstErr, err)
			continue
		}
		m.setMapped(r, false)
	}
	flushed := false
	for _, r := range maps {
		err := m.as.MapFile(r.addr, r.frame, r.n*pageSize, r.prot)
		if errors.Is(err, unix.ENOMEM) && !flushed {
			// The host ran out of mappings for the address space
			// (vm.max_map_count): start again from an empty one and
			// let the application fault back what it uses.
			flushed = true
			if m.flushHostLocked() == nil {
				err = m.as.MapFile(r.addr, r.frame, r.n*pageSize, r.prot)
			}
		}
		if err != nil {
			firstErr = cmp(firstErr, err)
			m.setMapped(r, false)
			continue
		}
		m.setMapped(r, true)
	}
	return firstErr
}

// flushHostLocked removes every mapping from the platform address space;
// pages stay in the page table and are mapped again when faulted.
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) flushHostLocked() error {
	if m.vmas.len() == 0 {
		return nil
	}
	start, end := m.vmas.head.start, m.vmas.tail.end
	if err := m.as.Unmap(start, end-start); err != nil {
		return err
	}
	m.pt.forRange(start, end, func(_ uintptr, p *pte) bool {
		p.mapped, p.hostProt = false, 0
		return true
	})
	return nil
}

func cmp(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// setMapped records the outcome of mapping (or unmapping) run r.
func (m *MemoryManager) setMapped(r mapRun, mapped bool) {
	for i := uintptr(0); i < r.n; i++ {
		p := m.pt.get(r.addr + i*pageSize)
		if p == nil {
			continue
		}
		if mapped && r.prot&unix.PROT_WRITE != 0 && !(p.mapped && p.hostProt&unix.PROT_WRITE != 0) {
			// The page just became writable: faults of writes that
			// raced with this upgrade may still arrive.
			p.stale = staleBudget
		}
		p.mapped = mapped
		p.hostProt = uint8(r.prot)
		if !mapped {
			p.hostProt = 0
		}
	}
}

// breakCOWLocked gives the copy-on-write page at addr a frame of its own:
// it takes the frame over if no one else refers to it, or copies it. If it
// copied, it returns the old frame, whose reference the caller drops after
// the platform no longer maps it (see dropOld). A mapped page is left with
// hostProt 0 so that syncHostLocked maps the new frame.
//
// Preconditions: m.mu is held for writing; p is addr's pte.
func (m *MemoryManager) breakCOWLocked(p *pte) (old uint64, copied bool, err error) {
	if !p.cow {
		return 0, false, nil
	}
	if m.mf.refCount(p.frame) == 1 {
		p.cow = false
		return 0, false, nil
	}
	off, _, err := m.mf.allocRun(1)
	if err != nil {
		return 0, false, err
	}
	copy(m.mf.frame(off), m.mf.frame(p.frame))
	old = p.frame
	p.frame = off
	p.cow = false
	if p.mapped {
		p.hostProt = 0
	}
	return old, true, nil
}

// breakCOWAroundLocked breaks copy-on-write of page after a write fault,
// and takes over the mapped copy-on-write pages around it that no one else
// refers to any more (after a fork and exec, every page of the parent), so
// that writes to them do not fault one by one.
//
// Preconditions: m.mu is held for writing; page has a pte in v.
func (m *MemoryManager) breakCOWAroundLocked(v *vma, page uintptr) error {
	old, copied, err := m.breakCOWLocked(m.pt.get(page))
	if err != nil {
		return err
	}
	ws, we := v.window(page)
	m.pt.forRange(ws, we, func(_ uintptr, q *pte) bool {
		if q.cow && q.mapped && m.mf.refCount(q.frame) == 1 {
			q.cow = false
		}
		return true
	})
	err = m.syncHostLocked(v, ws, we, false)
	if copied {
		m.dropOld(v, page, old, err)
	}
	return err
}

// dropOld drops the reference to a frame replaced by a COW copy once the
// platform maps the new one. If remapping failed, the old frame is unmapped
// explicitly; if even that fails it is leaked rather than risk another
// owner's data showing through.
func (m *MemoryManager) dropOld(v *vma, page uintptr, old uint64, syncErr error) {
	if syncErr != nil {
		if err := m.as.Unmap(page, pageSize); err != nil {
			return
		}
		if p := m.pt.get(page); p != nil {
			p.mapped = false
			p.hostProt = 0
		}
	}
	m.mf.decRef(old, 1)
}

// growStackLocked extends a MAP_GROWSDOWN VMA above addr down to cover it,
// within the stack limit and the guard gap, and returns it; nil if addr is
// not a valid stack growth.
//
// Preconditions: m.mu is held for writing; no VMA contains addr.
func (m *MemoryManager) growStackLocked(addr uintptr) *vma {
	v := m.vmas.lowerBound(addr)
	if v == nil || !v.growsDown {
		return nil
	}
	newStart := pageDown(addr)
	if newStart < minAddr {
		return nil
	}
	if m.stackLimit != RLimInfinity && uint64(v.end-newStart) > m.stackLimit {
		return nil
	}
	if prev := v.prev; prev != nil {
		if !prev.growsDown && prev.prot != 0 && newStart-prev.end < stackGuardGap {
			return nil
		}
	}
	m.vmas.account(v, v.start-newStart, +1)
	v.start = newStart
	return v
}

// populateLocked faults in every page of [start, end) as an access would
// (a write access if write), mapping them. It fails with EINVAL at the
// first VMA the access may not reach, EFAULT at the first page that
// cannot be filled (and ENOMEM at a hole).
//
// Preconditions: m.mu is held for writing.
func (m *MemoryManager) populateLocked(start, end uintptr, write bool, rd *fileRead) error {
	cur := start
	for cur < end {
		v := m.vmas.find(cur)
		if v == nil {
			return unix.ENOMEM
		}
		e := min(v.end, end)
		if v.prot == 0 || (write && v.prot&unix.PROT_WRITE == 0) {
			// A mapping the access may not reach: Linux's
			// MADV_POPULATE reports permission problems as EINVAL
			// and keeps EFAULT for faults that fail (SIGBUS).
			return unix.EINVAL
		}
		guard, guarded := m.guards.first(cur, e)
		if guarded {
			// The access faults at the guard page: EFAULT.
			e = guard
		}
		fillErr := m.fillLocked(v, cur, e, rd)
		if isNeedRead(fillErr) {
			return fillErr
		}
		var olds []uint64
		if write && !v.shared {
			m.pt.forRange(cur, e, func(_ uintptr, p *pte) bool {
				old, copied, err := m.breakCOWLocked(p)
				if err != nil {
					fillErr = err
					return false
				}
				if copied {
					olds = append(olds, old)
				}
				return true
			})
		}
		syncErr := m.syncHostLocked(v, cur, e, true)
		if syncErr == nil {
			for _, f := range olds {
				m.mf.decRef(f, 1)
			}
		}
		if fillErr != nil || syncErr != nil || guarded {
			return unix.EFAULT
		}
		cur = e
	}
	return nil
}
