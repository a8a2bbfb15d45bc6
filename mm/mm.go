package mm

import (
	"math"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

const (
	pageShift = 12
	pageSize  = 1 << pageShift
	pageMask  = pageSize - 1

	// faultAroundPages is how many pages (aligned window) a fault fills
	// and maps at once.
	faultAroundPages = 16

	// objectAroundPages is the wider aligned window over which a fault
	// on a shared memory object's mapping also maps the object's pages
	// that already have frames (no allocation, no file read), in at
	// most objectAroundRuns extra runs of contiguous frames: each run
	// mapped is a platform call, and on the ptrace platform every
	// fault and every map call is a round trip to the stub that costs
	// as much as the host's fault on many pages (and, on a loaded
	// machine, a wait for the scheduler on each side).
	objectAroundPages = 1024
	objectAroundRuns  = 4

	// stackGuardGap is the gap kept below a stack (Linux's
	// stack_guard_gap, 256 pages).
	stackGuardGap = 256 << pageShift

	// minAddr is the lowest address mmap hands out or accepts with
	// MAP_FIXED (Linux's default vm.mmap_min_addr).
	minAddr = 0x10000

	// maxMapCount is Linux's default vm.max_map_count.
	maxMapCount = 65530

	// MaxMapCount and MmapMinAddr are the limits as /proc/sys/vm shows
	// them (max_map_count, mmap_min_addr).
	MaxMapCount = maxMapCount
	MmapMinAddr = minAddr

	// DefaultStackLimit is the default RLIMIT_STACK soft limit.
	DefaultStackLimit = 8 << 20

	// RLimInfinity is RLIM_INFINITY.
	RLimInfinity = ^uint64(0)

	// staleBudget is how many SEGV_ACCERR faults on a page just upgraded
	// to writable are taken as stale (see doc.go).
	staleBudget = 32
)

// si_code values of SIGSEGV and SIGBUS.
const (
	SEGV_MAPERR = 1
	SEGV_ACCERR = 2
	BUS_ADRERR  = 2
)

const (
	protRWX       = unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC
	protGrowsDown = 0x01000000
	protGrowsUp   = 0x02000000
	protSem       = 0x8

	mapType           = 0x0f
	mapDroppable      = 0x08
	mapUninitialized  = 0x4000000
	mapSync           = 0x80000
	mapLegacyMask     = unix.MAP_SHARED | unix.MAP_PRIVATE | unix.MAP_FIXED | unix.MAP_ANONYMOUS | unix.MAP_DENYWRITE | unix.MAP_EXECUTABLE | mapUninitialized | unix.MAP_GROWSDOWN | unix.MAP_LOCKED | unix.MAP_NORESERVE | unix.MAP_POPULATE | unix.MAP_NONBLOCK | unix.MAP_STACK | unix.MAP_HUGETLB | unix.MAP_FIXED_NOREPLACE | unix.MAP_32BIT | 21<<26 | 30<<26
	sizeOf128MiB      = 128 << 20
	sharedAnonMapName = "/dev/zero (deleted)"
)

// FaultError tells the kernel which signal a fault that mm could not
// resolve delivers to the application.
type FaultError struct {
	Signo int32
	Code  int32
	Addr  uintptr

	// OOM says the fault needed memory and the memory file is full: the
	// kernel's OOM killer should make room (Signo is SIGBUS, what the
	// access gets if nothing can be freed).
	OOM bool
}

func (e *FaultError) Error() string {
	switch {
	case e.Signo == int32(unix.SIGSEGV) && e.Code == SEGV_MAPERR:
		return "SIGSEGV (SEGV_MAPERR)"
	case e.Signo == int32(unix.SIGSEGV) && e.Code == SEGV_ACCERR:
		return "SIGSEGV (SEGV_ACCERR)"
	case e.Signo == int32(unix.SIGBUS):
		return "SIGBUS"
	}
	return "fault"
}

// MMapOpts are the arguments of MMap.
type MMapOpts struct {
	Addr, Length uintptr
	Prot         int  // PROT_*
	Flags        int  // MAP_* as passed by the application
	File         File // nil for anonymous
	Offset       uint64
	Name         string // for /proc/PID/maps: a path, "[heap]", "[stack]", or ""

	// Shm, if set, is the shared memory object to map (System V shm,
	// shared memory files) from byte Offset on; Flags must have
	// MAP_SHARED and File is ignored.
	Shm *SharedMemory

	// NoWrite says the mapping may never become writable (the file is
	// open without write access: Linux's VM_MAYWRITE is clear for a
	// MAP_SHARED mapping of it), so mprotect(PROT_WRITE) is EACCES. A
	// MAP_SHARED file mapping needs it: until the page cache exists,
	// such a mapping reads the file when a page is first touched and
	// does not see later writes to the file.
	NoWrite bool

	// Special marks a mapping the kernel makes for itself (the vDSO's
	// data page, Linux's special mappings): NoWrite then holds for a
	// private mapping too, and ptrace's forced writes fail there.
	Special bool
}

// VMAInfo describes one VMA for /proc/PID/maps.
type VMAInfo struct {
	Start, End uintptr
	Prot       int
	Shared     bool
	Offset     uint64
	Name       string
	File       File          // nil for anonymous memory
	Shm        *SharedMemory // for shared anonymous memory and shm

	// VmFlags are the mnemonics of Linux's flags of the VMA, as
	// /proc/PID/smaps prints them.
	VmFlags []string

	// Usage is the VMA's memory use, filled by VMAsUsage only.
	Usage *VMAUsage
}

// VMAUsage is a VMA's memory use in bytes, as /proc/PID/smaps shows it.
// kite keeps no dirty or accessed bits: a page the mapping owns (private
// anonymous memory, a private copy, a shared mapping's page it may have
// written) counts as dirty and every resident page as referenced; Pss
// divides a page by the address spaces and objects holding its frame.
type VMAUsage struct {
	Rss, Pss                   uint64
	SharedClean, SharedDirty   uint64
	PrivateClean, PrivateDirty uint64
	Anonymous, Locked          uint64
}

// MemoryManager is an application address space: its VMAs, the frames
// behind its pages, and the platform address space that shows them to the
// application. Threads of a process share one MemoryManager.
type MemoryManager struct {
	mf      *MemoryFile
	p       platform.Platform
	as      platform.AddressSpace
	maxAddr uintptr

	// pinMu is held for reading while the kernel writes into pages it
	// pinned (Pin for a write) and for writing by Fork, so that a page
	// being written outside mu is never shared copy-on-write with a
	// child meanwhile. Lock order (doc.go): pinMu, then mu.
	pinMu sync.RWMutex

	// mu guards everything below. Lock order (doc.go): mu, then
	// SharedMemory.mu, then MemoryFile.mu.
	mu sync.RWMutex

	vmas vmaSet
	pt   pageTable

	// guards are the guard pages (guard.go).
	guards pageSet

	brkStart uintptr // start of the heap
	brk      uintptr // current program break

	stackLimit uint64  // RLIMIT_STACK
	mmapBase   uintptr // top of the area mmap allocates from, downwards

	// memlock is the lock limit last given to MLock or MLockAll, which
	// MAP_LOCKED and MCL_FUTURE mappings are checked against.
	memlock MemlockLimit

	// limits are RLIMIT_AS and RLIMIT_DATA (limits.go).
	limits AddressLimits

	// lockFuture and lockFutureOnFault record MCL_FUTURE and
	// MCL_ONFAULT: new mappings are locked.
	lockFuture, lockFutureOnFault bool

	// pkeyTaken: pkey_alloc took the one protection key slot of a CPU
	// without protection keys (pkey.go).
	pkeyTaken bool

	// dropped are the map references of files whose VMAs went while mu
	// was held: unlock drops them after releasing mu, because dropping
	// a file's last reference takes its file system's locks (a tmpfs
	// inode's), which rank above mu (a truncate holds them while it
	// removes pages from address spaces).
	dropped []MappedFile

	released bool
}

// unlock releases mu, held for writing, then drops the file references
// that VMAs removed under it held.
func (m *MemoryManager) unlock() {
	files := m.dropped
	m.dropped = nil
	m.mu.Unlock()
	for _, f := range files {
		f.DecMapRef()
	}
}

// NewMemoryManager returns an empty address space backed by mf, with a new
// platform address space from p.
func NewMemoryManager(mf *MemoryFile, p platform.Platform) (*MemoryManager, error) {
	as, err := p.NewAddressSpace()
	if err != nil {
		return nil, err
	}
	m := &MemoryManager{
		mf:         mf,
		p:          p,
		as:         as,
		maxAddr:    p.MaxUserAddress() &^ pageMask,
		pt:         newPageTable(),
		stackLimit: DefaultStackLimit,
		memlock:    MemlockLimit{Bytes: RLimInfinity},
		limits:     AddressLimits{AS: RLimInfinity, Data: RLimInfinity},
	}
	m.vmas.owner = m
	m.mmapBase = m.computeMmapBase()
	return m, nil
}

// computeMmapBase leaves room for the stack below the top of the address
// space as Linux's mmap_base does (at least 128 MiB, at most 5/6 of it).
func (m *MemoryManager) computeMmapBase() uintptr {
	gap := uint64(stackGuardGap)
	if m.stackLimit < RLimInfinity-gap {
		gap += m.stackLimit
	} else {
		gap = RLimInfinity
	}
	gapMax := uint64(m.maxAddr) / 6 * 5
	gap = min(max(gap, sizeOf128MiB), gapMax)
	return (m.maxAddr - uintptr(gap)) &^ pageMask
}

// AddressSpace returns the platform address space that application code
// runs in.
func (m *MemoryManager) AddressSpace() platform.AddressSpace { return m.as }

// MemoryFile returns the memory file behind the address space.
func (m *MemoryManager) MemoryFile() *MemoryFile { return m.mf }

// SetStackLimit sets RLIMIT_STACK, which bounds stack growth. Set on an
// empty address space (at execve), it also places the mmap area below the
// room the stack may need, as Linux fixes mmap_base at exec.
func (m *MemoryManager) SetStackLimit(bytes uint64) {
	m.mu.Lock()
	defer m.unlock()
	m.stackLimit = bytes
	if m.vmas.len() == 0 {
		m.mmapBase = m.computeMmapBase()
	}
}

// SetBrkStart sets the start of the heap (the page-aligned end of the
// program's bss); the break starts there.
func (m *MemoryManager) SetBrkStart(addr uintptr) {
	m.mu.Lock()
	defer m.unlock()
	m.brkStart = addr
	m.brk = addr
}

// BrkStart returns the start of the heap and the current break.
func (m *MemoryManager) BrkStart() (start, cur uintptr) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.brkStart, m.brk
}

// VMAs returns a snapshot of the VMAs for /proc/PID/maps.
func (m *MemoryManager) VMAs() []VMAInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make([]VMAInfo, 0, m.vmas.len())
	for v := m.vmas.head; v != nil; v = v.next {
		info := VMAInfo{Start: v.start, End: v.end, Prot: v.prot, Shared: v.shared, Name: v.name, File: v.file, Shm: v.obj}
		if v.file != nil || v.obj != nil {
			info.Offset = v.off
		}
		if v.obj != nil && v.name == "" {
			info.Name = sharedAnonMapName
		}
		info.VmFlags = v.vmFlags()
		out = append(out, info)
	}
	return out
}

// VMAsUsage is VMAs with each VMA's memory use (/proc/PID/smaps).
func (m *MemoryManager) VMAsUsage() []VMAInfo {
	out := m.VMAs()
	m.mu.RLock()
	defer m.mu.RUnlock()
	for i := range out {
		v := m.vmas.find(out[i].Start)
		if v == nil || v.start != out[i].Start {
			continue // changed since the snapshot
		}
		out[i].Usage = m.usageLocked(v)
	}
	return out
}

// usageLocked counts the memory use of v's pages.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) usageLocked(v *vma) *VMAUsage {
	u := &VMAUsage{}
	m.pt.forRange(v.start, v.end, func(_ uintptr, p *pte) bool {
		refs := m.mf.refCount(p.frame)
		if refs == 0 {
			refs = 1
		}
		u.Rss += pageSize
		u.Pss += pageSize / uint64(refs)
		// The mapping's own copy, or a shared mapping's page. A
		// private file mapping without an object (the ELF loader's)
		// reads its pages into frames of its own: counted clean.
		own := !p.cow && (v.obj != nil || v.file == nil)
		dirty := own && (!v.shared || v.mayWriteShared())
		switch {
		case refs == 1 && dirty:
			u.PrivateDirty += pageSize
		case refs == 1:
			u.PrivateClean += pageSize
		case dirty:
			u.SharedDirty += pageSize
		default:
			u.SharedClean += pageSize
		}
		if !v.shared && own {
			u.Anonymous += pageSize
		}
		if v.locked {
			u.Locked += pageSize
		}
		return true
	})
	return u
}

// Release drops every page reference and releases the platform address
// space. The MemoryManager must not be used after.
func (m *MemoryManager) Release() {
	m.mu.Lock()
	defer m.unlock()
	if m.released {
		return
	}
	m.released = true
	if m.vmas.len() > 0 {
		m.unmapLocked(m.vmas.head.start, m.vmas.tail.end)
	}
	m.as.Release()
}

func pageRoundUp(x uintptr) (uintptr, bool) {
	r := (x + pageMask) &^ pageMask
	return r, r >= x
}

func pageDown(x uintptr) uintptr { return x &^ pageMask }

// rangeEnd returns the end of the range of length bytes at addr, length
// rounded up to whole pages; ok is false if the rounding overflows or the
// range wraps past the top of the address space. The system calls that
// take a range check it with this and answer with their own errno
// (madvise and mseal EINVAL, mprotect ENOMEM, remap_file_pages EINVAL).
func rangeEnd(addr, length uintptr) (end uintptr, ok bool) {
	rlen, ok := pageRoundUp(length)
	end = addr + rlen
	if !ok || end < addr {
		return 0, false
	}
	return end, true
}

// MMap creates a mapping and returns its address.
func (m *MemoryManager) MMap(o MMapOpts) (uintptr, error) {
	if o.Offset&pageMask != 0 {
		return 0, unix.EINVAL
	}
	anon := o.Shm == nil && (o.File == nil || o.Flags&unix.MAP_ANONYMOUS != 0)
	if anon && o.Flags&unix.MAP_HUGETLB != 0 && o.Flags&mapType != mapDroppable {
		// No huge pages are reserved, as on a host without hugetlbfs
		// pages.
		return 0, unix.ENOMEM
	}
	if o.Length == 0 {
		return 0, unix.EINVAL
	}
	length, ok := pageRoundUp(o.Length)
	if !ok || length == 0 {
		return 0, unix.ENOMEM
	}
	if o.Offset>>pageShift+uint64(length>>pageShift) < o.Offset>>pageShift {
		return 0, unix.EOVERFLOW
	}
	if !anon && (uint64(length) > math.MaxInt64 || o.Offset>>pageShift > (math.MaxInt64-uint64(length))>>pageShift) {
		// Past the largest file offset (Linux's file_mmap_ok).
		return 0, unix.EOVERFLOW
	}
	flags := o.Flags
	if flags&unix.MAP_FIXED_NOREPLACE != 0 {
		flags |= unix.MAP_FIXED
	}
	shared, droppable := false, false
	growsDown := flags&unix.MAP_GROWSDOWN != 0
	switch flags & mapType {
	case unix.MAP_PRIVATE:
	case unix.MAP_SHARED:
		shared = true
	case unix.MAP_SHARED_VALIDATE:
		// Only file mappings take MAP_SHARED_VALIDATE.
		if anon {
			return 0, unix.EINVAL
		}
		if flags&^mapLegacyMask != 0 {
			return 0, unix.EOPNOTSUPP
		}
		shared = true
	case mapDroppable:
		// Private anonymous memory the kernel may drop at any time
		// (kite never does); it does not survive fork.
		if !anon || flags&unix.MAP_LOCKED != 0 || growsDown {
			return 0, unix.EINVAL
		}
		droppable = true
	default:
		return 0, unix.EINVAL
	}
	if growsDown && (shared || !anon) {
		return 0, unix.EINVAL
	}
	if shared && !anon && o.Shm == nil && (!o.NoWrite || o.Prot&unix.PROT_WRITE != 0) {
		// Writable shared mappings of files need the file's pages
		// (o.Shm). One that can never be written (the file is open
		// read-only) reads the file as a private mapping does.
		return 0, unix.ENODEV
	}

	m.mu.Lock()
	defer m.unlock()
	if m.released || m.vmas.len() >= maxMapCount {
		return 0, unix.ENOMEM
	}
	lock := flags&unix.MAP_LOCKED != 0 || m.lockFuture
	if lock {
		if flags&unix.MAP_LOCKED != 0 && !m.memlock.canLock() {
			return 0, unix.EPERM
		}
		if !m.memlock.Privileged && uint64(length>>pageShift)+m.lockedPagesLocked(0, m.maxAddr) > m.memlock.pages() {
			return 0, unix.EAGAIN
		}
	}
	isData := o.Prot&unix.PROT_WRITE != 0 && !shared && !growsDown
	mode, _ := m.mf.Overcommit()
	if mode == OvercommitGuess && isData && flags&unix.MAP_NORESERVE == 0 && uint64(length) > m.mf.HeuristicBase() {
		// Overcommit's heuristic mode (vm.overcommit_memory 0): one
		// private writable mapping larger than all of memory fails.
		return 0, unix.ENOMEM
	}
	// Private writable and shared anonymous memory is committed (Linux's
	// VM_ACCOUNT and shmem accounting), unless MAP_NORESERVE says not to
	// and overcommit is not strict.
	noReserve := flags&unix.MAP_NORESERVE != 0 && mode != OvercommitNever
	accounted := !noReserve && (!shared && o.Prot&unix.PROT_WRITE != 0 || shared && anon)
	var addr uintptr
	if flags&unix.MAP_FIXED != 0 {
		if err := m.mayExpandLocked(length, isData, o.Addr, o.Addr+length); err != nil {
			return 0, err
		}
		addr = o.Addr
		if addr&pageMask != 0 {
			return 0, unix.EINVAL
		}
		if length > m.maxAddr || addr > m.maxAddr-length {
			return 0, unix.ENOMEM
		}
		if addr < minAddr {
			return 0, unix.EPERM
		}
		if flags&unix.MAP_FIXED_NOREPLACE != 0 && m.vmas.overlaps(addr, addr+length) {
			return 0, unix.EEXIST
		}
		if m.sealedInLocked(addr, addr+length) {
			return 0, unix.EPERM
		}
		if accounted && !m.mf.mayCommit(uint64(length)-m.committedInLocked(addr, addr+length)) {
			return 0, unix.ENOMEM
		}
		m.unmapLocked(addr, addr+length)
	} else {
		if err := m.mayExpandLocked(length, isData, 0, 0); err != nil {
			return 0, err
		}
		if accounted && !m.mf.mayCommit(uint64(length)) {
			return 0, unix.ENOMEM
		}
		var err error
		if flags&unix.MAP_32BIT != 0 {
			addr, err = m.find32BitLocked(length, o.Addr)
		} else {
			addr, err = m.findUnmappedLocked(length, o.Addr)
		}
		if err != nil {
			return 0, err
		}
	}
	v := &vma{
		start:      addr,
		end:        addr + length,
		prot:       o.Prot & protRWX,
		shared:     shared,
		growsDown:  growsDown,
		name:       o.Name,
		wipeOnFork: droppable,
	}
	v.noWrite = (shared || o.Special) && o.NoWrite
	v.accounted, v.noReserve = accounted, noReserve
	switch {
	case o.Shm != nil:
		v.obj = o.Shm
		v.off = o.Offset
		o.Shm.incMap(m, v.mayWriteShared())
		if o.File != nil {
			// The file the object holds the pages of: kept open
			// and named, as Linux's vm_file.
			v.file = o.File
			if r, ok := o.File.(MappedFile); ok {
				r.IncMapRef()
			}
		}
	case shared && anon:
		v.obj = NewSharedMemory(m.mf, uint64(length))
		v.obj.incMap(m, v.mayWriteShared())
		v.obj.DecRef() // the VMA's reference is the only one
	case !anon:
		v.file = o.File
		v.off = o.Offset
		if r, ok := o.File.(MappedFile); ok {
			r.IncMapRef()
		}
	}
	if lock {
		v.locked = true
		v.lockOnFault = flags&unix.MAP_LOCKED == 0 && m.lockFutureOnFault
	}
	m.vmas.insert(v)
	switch {
	case lock && !v.lockOnFault:
		// Errors are ignored, as Linux ignores them for MAP_POPULATE.
		m.populateLockedLocked(addr, addr+length)
	case flags&unix.MAP_POPULATE != 0 && flags&unix.MAP_NONBLOCK == 0:
		// Errors are ignored as Linux does; file pages that must be
		// read are left for faults (files are not read under the lock).
		m.populateLocked(addr, addr+length, false, nil)
	}
	return addr, nil
}

// findUnmappedLocked finds a free range of length bytes: at hint if it is
// free, else the highest free range below mmapBase (first fit top-down),
// else the highest free range anywhere.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) findUnmappedLocked(length, hint uintptr) (uintptr, error) {
	if length > m.maxAddr-minAddr {
		return 0, unix.ENOMEM
	}
	if hint != 0 {
		hint = pageDown(hint)
		if hint < minAddr {
			hint = minAddr
		}
		if hint <= m.maxAddr-length {
			if v := m.vmas.lowerBound(hint); v == nil || hint+length <= v.startGap() {
				return hint, nil
			}
		}
	}
	if a, ok := m.topDownLocked(length, m.mmapBase); ok {
		return a, nil
	}
	if a, ok := m.topDownLocked(length, m.maxAddr); ok {
		return a, nil
	}
	return 0, unix.ENOMEM
}

// MAP_32BIT places mappings in [1 GiB, 2 GiB), as x86-64 Linux does.
const (
	map32BitStart = 0x40000000
	map32BitEnd   = 0x80000000
)

// find32BitLocked finds room for a MAP_32BIT mapping: at hint if it is free
// and below 2 GiB, else the lowest free range in [1 GiB, 2 GiB).
//
// Preconditions: m.mu is held.
func (m *MemoryManager) find32BitLocked(length, hint uintptr) (uintptr, error) {
	if length > map32BitEnd-map32BitStart {
		return 0, unix.ENOMEM
	}
	if hint != 0 {
		hint = max(pageDown(hint), minAddr)
		if hint <= map32BitEnd-length {
			if v := m.vmas.lowerBound(hint); v == nil || hint+length <= v.startGap() {
				return hint, nil
			}
		}
	}
	cur := uintptr(map32BitStart)
	for v := m.vmas.lowerBound(cur); ; v = v.next {
		gapEnd := uintptr(map32BitEnd)
		if v != nil {
			gapEnd = min(gapEnd, v.startGap())
		}
		if gapEnd >= cur && gapEnd-cur >= length {
			return cur, nil
		}
		if v == nil || v.end >= map32BitEnd {
			return 0, unix.ENOMEM
		}
		cur = max(cur, v.end)
	}
}

// topDownLocked returns the highest address a such that [a, a+length) is
// free, below limit and clear of stack guard gaps.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) topDownLocked(length, limit uintptr) (uintptr, bool) {
	// Walk down from the highest VMA: above is the gap ending at the
	// top, below each VMA the gap ending at its start.
	var above *vma
	for below := m.vmas.tail; ; below = below.prev {
		gapEnd := m.maxAddr
		if above != nil {
			gapEnd = above.startGap()
		}
		gapStart := uintptr(minAddr)
		if below != nil {
			gapStart = max(below.end, minAddr)
		}
		gapEnd = min(gapEnd, limit)
		if gapEnd > gapStart && gapEnd-gapStart >= length {
			return gapEnd - length, true
		}
		if below == nil {
			return 0, false
		}
		above = below
	}
}

// MUnmap removes the mappings in [addr, addr+length).
func (m *MemoryManager) MUnmap(addr, length uintptr) error {
	if addr&pageMask != 0 || addr > m.maxAddr || length > m.maxAddr-addr {
		return unix.EINVAL
	}
	length, _ = pageRoundUp(length)
	if length == 0 {
		return unix.EINVAL
	}
	m.mu.Lock()
	defer m.unlock()
	if m.sealedInLocked(addr, addr+length) {
		return unix.EPERM
	}
	m.unmapLocked(addr, addr+length)
	return nil
}

// unmapLocked removes VMAs and pages in [start, end).
//
// Preconditions: m.mu is held; start and end are page-aligned.
func (m *MemoryManager) unmapLocked(start, end uintptr) {
	if !m.vmas.overlaps(start, end) {
		return
	}
	m.vmas.splitAt(start)
	m.vmas.splitAt(end)
	m.dropPagesLocked(start, end)
	m.guards.update(start, end, false)
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; {
		next := v.next
		m.vmas.remove(v)
		v.dropRefs(m)
		v = next
	}
}

// dropPagesLocked removes every page in [start, end) from the page table
// and the platform address space and drops its frame reference.
//
// When it must unmap pages from the platform, it unmaps the whole aligned
// fault-around windows around the range: the pages of the windows outside
// it stay in the page table, unmapped, and a later access faults them
// back in (a window per fault). A program that unmaps a region page by
// page (stress-ng's mmap stressor, a free list giving pages back) then
// pays one platform call per window instead of one per page; each is a
// round trip to the ptrace stub.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) dropPagesLocked(start, end uintptr) {
	var frames []uint64
	hostMapped := false
	m.pt.forRange(start, end, func(addr uintptr, p *pte) bool {
		hostMapped = hostMapped || p.mapped
		frames = append(frames, p.frame)
		m.pt.remove(addr)
		return true
	})
	if hostMapped {
		const span = faultAroundPages * pageSize
		ws := start &^ (span - 1)
		we := min((end+span-1)&^(span-1), m.maxAddr)
		if err := m.as.Unmap(ws, we-ws); err != nil {
			// The application may still see these frames: leak them
			// rather than hand them to someone else.
			return
		}
		unmapped := func(_ uintptr, p *pte) bool {
			p.mapped, p.hostProt = false, 0
			return true
		}
		m.pt.forRange(ws, start, unmapped)
		m.pt.forRange(end, we, unmapped)
	}
	m.decRefFrames(frames)
}

// decRefFrames drops one reference on each frame, in contiguous runs.
func (m *MemoryManager) decRefFrames(frames []uint64) {
	for i := 0; i < len(frames); {
		j := i + 1
		for j < len(frames) && frames[j] == frames[j-1]+pageSize {
			j++
		}
		m.mf.decRef(frames[i], uint64(j-i))
		i = j
	}
}

// checkMProtect checks mprotect's arguments as Linux does before it looks
// at the address space; empty reports a range of length 0 (nothing to do).
func checkMProtect(addr, length uintptr, prot int) (empty bool, err error) {
	if addr&pageMask != 0 {
		return false, unix.EINVAL
	}
	if length == 0 {
		return true, nil
	}
	if _, ok := rangeEnd(addr, length); !ok {
		return false, unix.ENOMEM
	}
	grows := prot & (protGrowsDown | protGrowsUp)
	if grows == protGrowsDown|protGrowsUp || prot&^(grows|protRWX|protSem) != 0 {
		return false, unix.EINVAL
	}
	return false, nil
}

// MProtect changes the protection of the pages in [addr, addr+length).
func (m *MemoryManager) MProtect(addr, length uintptr, prot int) error {
	if empty, err := checkMProtect(addr, length, prot); empty || err != nil {
		return err
	}
	end, _ := rangeEnd(addr, length)
	grows := prot & (protGrowsDown | protGrowsUp)
	prot &= protRWX

	m.mu.Lock()
	defer m.unlock()
	first := m.vmas.lowerBound(addr)
	if first == nil || first.start >= end {
		return unix.ENOMEM
	}
	switch {
	case grows&protGrowsDown != 0:
		if !first.growsDown {
			return unix.EINVAL
		}
		addr = first.start
	case grows&protGrowsUp != 0:
		return unix.EINVAL
	case first.start > addr:
		return unix.ENOMEM
	}
	// Linux changes the VMAs before a hole (or one that may not get the
	// protection) and then fails.
	covEnd := m.coveredEndLocked(addr, end)
	var err error
	if covEnd < end {
		err = unix.ENOMEM
	}
	// A VMA that may never become writable is EACCES, a sealed one
	// EPERM: the first in address order stops the change.
	for v := m.vmas.lowerBound(addr); v != nil && v.start < covEnd; v = v.next {
		if prot&unix.PROT_WRITE != 0 && v.noWrite {
			covEnd, err = max(addr, v.start), unix.EACCES
			break
		}
		if v.sealed {
			covEnd, err = max(addr, v.start), unix.EPERM
			break
		}
	}
	m.changeLocked(addr, covEnd, func(v *vma) {
		v.prot = prot
		if prot&unix.PROT_WRITE != 0 && !v.shared && !v.noReserve && !v.accounted {
			// Private memory becoming writable is committed from
			// now on, as Linux's mprotect_fixup.
			v.accounted = true
			m.vmas.account(v, v.length(), +1)
		} else if prot&unix.PROT_WRITE == 0 && v.accounted && v.anonymous() && !m.hasPagesLocked(v.start, v.end) {
			// Anonymous memory that never had a page and is no
			// longer writable is uncommitted again (Linux: no
			// anon_vma yet).
			m.vmas.account(v, v.length(), -1)
			v.accounted = false
		}
	})
	return err
}

// hasPagesLocked reports whether any page in [start, end) has a frame.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) hasPagesLocked(start, end uintptr) bool {
	found := false
	m.pt.forRange(start, end, func(uintptr, *pte) bool {
		found = true
		return false
	})
	return found
}

// committedInLocked returns the bytes of accounted VMAs in [start, end).
//
// Preconditions: m.mu is held.
func (m *MemoryManager) committedInLocked(start, end uintptr) uint64 {
	var n uint64
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		if v.accounted {
			n += uint64(min(v.end, end) - max(v.start, start))
		}
	}
	return n
}

// coveredEndLocked returns the end of the VMA-covered range starting at
// start (which must be inside a VMA), limited to end.
//
// Preconditions: m.mu is held.
func (m *MemoryManager) coveredEndLocked(start, end uintptr) uintptr {
	cur := start
	for v := m.vmas.lowerBound(start); v != nil && cur < end; v = v.next {
		if v.start > cur {
			break
		}
		cur = v.end
	}
	return min(cur, end)
}

// changeLocked applies fn to the VMAs in [start, end) (splitting at the
// boundaries), brings the platform mappings of their pages in line, and
// merges the result.
//
// Preconditions: m.mu is held; [start, end) is covered by VMAs.
func (m *MemoryManager) changeLocked(start, end uintptr, fn func(v *vma)) {
	if start >= end {
		return
	}
	m.vmas.splitAt(start)
	m.vmas.splitAt(end)
	for v := m.vmas.lowerBound(start); v != nil && v.start < end; v = v.next {
		fn(v)
		m.syncHostLocked(v, v.start, v.end, false)
	}
	m.vmas.mergeRange(start, end)
}

// Brk sets the program break with Linux's semantics: it returns the new
// break, or the unchanged one if addr is invalid or cannot be satisfied.
func (m *MemoryManager) Brk(addr uintptr) uintptr {
	m.mu.Lock()
	defer m.unlock()
	if addr < m.brkStart || addr > m.maxAddr || m.released {
		return m.brk
	}
	newEnd, _ := pageRoundUp(addr)
	oldEnd, _ := pageRoundUp(m.brk)
	switch {
	case newEnd == oldEnd:
	case newEnd < oldEnd:
		if m.sealedInLocked(newEnd, oldEnd) {
			return m.brk
		}
		m.unmapLocked(newEnd, oldEnd)
	default:
		if newEnd > m.maxAddr {
			return m.brk
		}
		// Stay one page (and a stack's guard gap) clear of the next
		// mapping, as Linux.
		if v := m.vmas.lowerBound(oldEnd); v != nil && newEnd+pageSize > v.startGap() {
			return m.brk
		}
		if m.vmas.len() >= maxMapCount {
			return m.brk
		}
		// RLIMIT_DATA bounds the heap itself (Linux's
		// check_data_rlimit), RLIMIT_AS the address space.
		if l := m.limits.Data; l != RLimInfinity && uint64(addr-m.brkStart) > l {
			return m.brk
		}
		if m.mayExpandLocked(newEnd-oldEnd, false, 0, 0) != nil {
			return m.brk
		}
		if !m.mf.mayCommit(uint64(newEnd - oldEnd)) {
			return m.brk
		}
		heap := &vma{start: oldEnd, end: newEnd, prot: unix.PROT_READ | unix.PROT_WRITE, name: "[heap]", accounted: true}
		populate, err := m.lockNewLocked(heap)
		if err != nil {
			return m.brk
		}
		m.vmas.insert(heap)
		if populate {
			m.populateLockedLocked(oldEnd, newEnd)
		}
	}
	m.brk = addr
	return addr
}
