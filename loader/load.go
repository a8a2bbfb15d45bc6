package loader

import (
	"crypto/rand"
	"errors"
	"io"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/mm"
)

// Values of the initial process image that Linux fixes.
const (
	// Platform is the AT_PLATFORM string on x86-64.
	Platform = "x86_64"

	// ClockTick is AT_CLKTCK, USER_HZ.
	ClockTick = 100

	// stackExpand is how far below the argument pages Linux's
	// setup_arg_pages extends the initial stack VMA (128 KiB).
	stackExpand = 128 << 10

	// defaultMinSigStkSz is AT_MINSIGSTKSZ when neither the caller nor
	// the host says otherwise (MINSIGSTKSZ).
	defaultMinSigStkSz = 2048
)

// LoadArgs are the inputs of Load besides the executable.
type LoadArgs struct {
	Argv []string
	Envv []string

	// ExecFn is the path passed to execve (AT_EXECFN).
	ExecFn string

	// StackLimit is the RLIMIT_STACK soft limit; it bounds argv+envp
	// (see ArgLimit) and the initial stack VMA. Zero means
	// DefaultStackLimit.
	StackLimit uint64

	// MaxAddress is the platform's MaxUserAddress. The stack ends there
	// and a PIE's load bias is two thirds of it. Zero means TaskSize.
	MaxAddress uintptr

	// Credentials for AT_UID, AT_EUID, AT_GID, AT_EGID; Secure sets
	// AT_SECURE (setuid/setgid exec or capability gain).
	UID, EUID, GID, EGID uint32
	Secure               bool

	// HWCap and HWCap2 are AT_HWCAP (CPUID leaf 1 EDX on x86, as Linux
	// reports it) and AT_HWCAP2. Zero means the host kernel's values,
	// from kite's own auxiliary vector (the same CPU runs the
	// application).
	HWCap, HWCap2 uint64

	// MinSigStkSz is AT_MINSIGSTKSZ, the signal frame size for this CPU's
	// xsave layout. Zero means the host's value (or 2048 without one).
	MinSigStkSz uint64

	// RSeqFeatureSize and RSeqAlign, when non-zero, add AT_RSEQ_FEATURE_SIZE
	// and AT_RSEQ_ALIGN (Linux gives 28 and 32): pass them once rseq(2)
	// works, as C libraries register rseq areas when they see them.
	RSeqFeatureSize, RSeqAlign uint64

	// Random supplies the 16 AT_RANDOM bytes; nil means crypto/rand.
	Random io.Reader

	// OpenInterpreter opens the program interpreter (PT_INTERP, the
	// dynamic linker) of a dynamically linked executable, as execve
	// would: resolved from the caller's root and checked for execute
	// permission. It returns the file, its size, and a release function
	// that Load calls when done with it (the mappings keep their own
	// references). Its errors are execve's (ENOENT for a missing
	// interpreter). Nil refuses dynamically linked executables with
	// ENOEXEC.
	OpenInterpreter func(path string) (f mm.File, size int64, release func(), err error)

	// MapVDSO, if set, maps the vDSO into the new address space once the
	// program and its interpreter are mapped (Linux's
	// arch_setup_additional_pages) and returns the address of its ELF
	// header, which the auxiliary vector gives as AT_SYSINFO_EHDR.
	MapVDSO func(m *mm.MemoryManager) (uintptr, error)
}

// Image is a loaded program: what execve needs to start it.
type Image struct {
	// ELF is the parsed executable.
	ELF *ELF

	// Bias is the load bias: zero for ET_EXEC, ELF_ET_DYN_BASE for a
	// PIE with an interpreter, where mmap put it for a static PIE.
	Bias uintptr

	// Entry is the address the program starts at (biased e_entry).
	Entry uintptr

	// StackPointer is the initial rsp: the address of argc.
	StackPointer uintptr

	// StackBottom and StackTop delimit the initial stack VMA.
	StackBottom, StackTop uintptr

	// BrkStart is where the heap starts (page-aligned end of the image).
	BrkStart uintptr

	// Interp is the parsed interpreter, nil for a static executable;
	// InterpBias is where it was loaded (AT_BASE). Entry is then the
	// interpreter's entry point.
	Interp     *ELF
	InterpBias uintptr

	// PhdrAddr is AT_PHDR.
	PhdrAddr uintptr

	// ExecStack is true if the stack was mapped executable.
	ExecStack bool

	// VDSO is where the vDSO's image is (AT_SYSINFO_EHDR), 0 without.
	VDSO uintptr

	// Stack describes the initial stack: argument and environment areas
	// (for /proc/PID/cmdline and environ) and the auxv (for
	// /proc/PID/auxv).
	Stack *Stack
}

// Load parses the executable exe of size bytes and builds its process
// image in m, which must be a fresh address space: it maps the main stack
// and the PT_LOAD segments, sets the start of the heap, maps the program
// interpreter if there is one, and writes argv, envp and the auxiliary
// vector onto the stack as Linux does.
//
// Static (ET_EXEC), static-PIE (ET_DYN without PT_INTERP) and dynamically
// linked executables are supported; the last need a.OpenInterpreter, and
// are refused with ENOEXEC without it. The vDSO is mapped (and given as
// AT_SYSINFO_EHDR) when a.MapVDSO is set.
//
// Errors are *Error values (errors.Is/As see their errno). On error m may
// hold some of the mappings; the caller discards it.
func Load(m *mm.MemoryManager, exe mm.File, size int64, a LoadArgs) (*Image, error) {
	e, err := Parse(exe, size)
	if err != nil {
		return nil, err
	}
	var interp *ELF
	var interpFile mm.File
	if e.Interp != "" {
		if a.OpenInterpreter == nil {
			return nil, noexec("dynamically linked executables are not supported (interpreter " + e.Interp + ")")
		}
		f, size, release, err := a.OpenInterpreter(e.Interp)
		if err != nil {
			return nil, err
		}
		if release != nil {
			defer release()
		}
		interp, err = Parse(f, size)
		if err != nil {
			var le *Error
			if errors.As(err, &le) && le.Errno == unix.ENOEXEC {
				// Linux's ELIBBAD: "Accessing a corrupted shared
				// library".
				return nil, &Error{Errno: unix.ELIBBAD, Reason: "interpreter " + e.Interp + ": " + le.Reason}
			}
			return nil, err
		}
		interpFile = f
	}
	maxAddr := uint64(a.MaxAddress) &^ (PageSize - 1)
	if maxAddr == 0 || maxAddr > TaskSize {
		maxAddr = TaskSize
	}
	stackLimit := a.StackLimit
	if stackLimit == 0 {
		stackLimit = DefaultStackLimit
	}

	img := &Image{ELF: e, ExecStack: e.ExecStack, Interp: interp}
	// A program with an interpreter loads at a fixed bias (ELF_ET_DYN_BASE
	// for a PIE). A static PIE is placed by mmap, as Linux places an
	// interpreter run directly (it is one, often).
	staticPIE := e.IsPIE() && interp == nil
	bias := loadBias(e, maxAddr)

	// Build the stack first: its size decides where the image may end.
	// The auxv values are final only once the interpreter is mapped, so
	// it is built again then (its layout does not depend on them).
	var random [16]byte
	rnd := a.Random
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, random[:]); err != nil {
		return nil, &Error{Errno: unix.EIO, Reason: "reading AT_RANDOM bytes: " + err.Error()}
	}
	spec := StackSpec{
		Argv:     a.Argv,
		Envv:     a.Envv,
		ExecFn:   a.ExecFn,
		Platform: Platform,
		Random:   random,
		Auxv:     auxv(e, img, a),
		ArgLimit: ArgLimit(stackLimit),
	}
	st, err := BuildStack(uintptr(maxAddr), spec)
	if err != nil {
		return nil, err
	}
	img.StackTop = uintptr(maxAddr)
	img.StackBottom = uintptr(maxAddr - stackSize(uint64(len(st.Data)), stackLimit))

	if !staticPIE && bias+e.Loads[len(e.Loads)-1].End() > uint64(img.StackBottom) {
		return nil, &Error{Errno: unix.ENOMEM, Reason: "executable overlaps the stack"}
	}

	// The stack VMA exists before the image, as Linux's does, so that
	// the interpreter's placement keeps clear of it.
	prot := unix.PROT_READ | unix.PROT_WRITE
	if e.ExecStack {
		prot |= unix.PROT_EXEC
	}
	if _, err := m.MMap(mm.MMapOpts{
		Addr:   img.StackBottom,
		Length: img.StackTop - img.StackBottom,
		Prot:   prot,
		Flags:  unix.MAP_PRIVATE | unix.MAP_FIXED | unix.MAP_ANONYMOUS | unix.MAP_GROWSDOWN,
		Name:   "[stack]",
	}); err != nil {
		return nil, &Error{Errno: errnoOf(err), Reason: "mapping the stack: " + err.Error()}
	}

	if staticPIE {
		if bias, err = mapPlaced(m, exe, e); err != nil {
			return nil, err
		}
		// Linux moves the heap of a program without interpreter out of
		// the mmap area, to ELF_ET_DYN_BASE (page-aligned up).
		img.BrkStart = uintptr(pageUp(dynBase(maxAddr)))
	} else {
		for _, s := range e.Loads {
			if err := mapSegment(m, exe, bias, s); err != nil {
				return nil, err
			}
		}
		img.BrkStart = uintptr(pageUp(bias + e.Loads[len(e.Loads)-1].End()))
	}
	m.SetBrkStart(img.BrkStart)
	img.Bias = uintptr(bias)
	img.Entry = uintptr(bias + e.Entry)
	img.PhdrAddr = uintptr(bias + e.PhdrVaddr)

	if interp != nil {
		ib, err := mapPlaced(m, interpFile, interp)
		if err != nil {
			return nil, err
		}
		img.InterpBias = uintptr(ib)
		img.Entry = uintptr(ib + interp.Entry)
	}
	if a.MapVDSO != nil {
		if img.VDSO, err = a.MapVDSO(m); err != nil {
			return nil, &Error{Errno: errnoOf(err), Reason: "mapping the vDSO: " + err.Error()}
		}
	}
	// Now that the addresses are known, fill in the auxv.
	spec.Auxv = auxv(e, img, a)
	if st, err = BuildStack(uintptr(maxAddr), spec); err != nil {
		return nil, err
	}
	img.Stack = st
	img.StackPointer = st.SP
	if _, err := m.CopyOut(st.SP, st.Data); err != nil {
		return nil, &Error{Errno: errnoOf(err), Reason: "writing the stack: " + err.Error()}
	}
	return img, nil
}

// mapPlaced maps an interpreter or a static PIE where mm's mmap would put
// a mapping of its whole span (below the stack and the mmap base, as
// Linux's load_elf_interp and elf_map do) and returns its load bias. An
// ET_EXEC interpreter goes at its own addresses.
func mapPlaced(m *mm.MemoryManager, f mm.File, e *ELF) (uint64, error) {
	first := pageDown(e.Loads[0].Vaddr)
	span := pageUp(e.Loads[len(e.Loads)-1].End()) - first
	var bias uint64
	if e.IsPIE() {
		// Reserve the span to choose the address, then put the
		// segments into it and give back the gaps between them.
		addr, err := m.MMap(mm.MMapOpts{
			Length: uintptr(span),
			Prot:   unix.PROT_NONE,
			Flags:  unix.MAP_PRIVATE | unix.MAP_ANONYMOUS,
		})
		if err != nil {
			return 0, &Error{Errno: errnoOf(err), Reason: "placing the image: " + err.Error()}
		}
		bias = uint64(addr) - first
	}
	prevEnd := bias + first
	for _, s := range e.Loads {
		start := bias + pageDown(s.Vaddr)
		if start > prevEnd {
			if err := m.MUnmap(uintptr(prevEnd), uintptr(start-prevEnd)); err != nil {
				return 0, &Error{Errno: errnoOf(err), Reason: "placing the image: " + err.Error()}
			}
		}
		if err := mapSegment(m, f, bias, s); err != nil {
			return 0, err
		}
		prevEnd = pageUp(bias + s.End())
	}
	return bias, nil
}

// elfETDynBase is Linux's ELF_ET_DYN_BASE on x86-64: two thirds of
// TASK_SIZE. Without address randomization a PIE with an interpreter
// loads there (0x555555554000 for a first segment at zero), and a static
// PIE's heap starts there.
const elfETDynBase = TaskSize / 3 * 2

// dynBase is ELF_ET_DYN_BASE, or two thirds of an address space too small
// for it (a platform that keeps only a little of the top, as the ptrace
// stub does, does not move it).
func dynBase(maxAddr uint64) uint64 {
	if elfETDynBase > maxAddr/4*3 {
		return maxAddr / 3 * 2
	}
	return elfETDynBase
}

// loadBias returns where a PIE with an interpreter goes: at Linux's
// ELF_ET_DYN_BASE (or two thirds of a much smaller address space), aligned
// to the largest segment alignment, less the first segment's page. ET_EXEC
// loads at zero bias.
func loadBias(e *ELF, maxAddr uint64) uint64 {
	if !e.IsPIE() {
		return 0
	}
	base := dynBase(maxAddr)
	if e.MaxAlign > PageSize && e.MaxAlign <= base/2 {
		base &^= e.MaxAlign - 1
	}
	return pageDown(base - pageDown(e.Loads[0].Vaddr))
}

// stackSize is the size of the initial stack VMA for a stack content of n
// bytes: the argument pages plus 128 KiB, or the stack limit if that is
// less (but never less than the argument pages), as setup_arg_pages does.
func stackSize(n, limit uint64) uint64 {
	args := pageUp(n)
	size := args + stackExpand
	if lim := limit &^ (PageSize - 1); size > lim {
		size = max(lim, args)
	}
	return size
}

// mapSegment maps one PT_LOAD segment at bias: its file part as a private
// file mapping, the rest of its last file page zeroed, and whole pages
// beyond the file part as anonymous memory, all with the segment's
// protection.
func mapSegment(m *mm.MemoryManager, exe mm.File, bias uint64, s Segment) error {
	start := bias + pageDown(s.Vaddr)
	fileEnd := bias + s.Vaddr + s.Filesz
	memEnd := bias + s.Vaddr + s.Memsz
	anonStart := start
	if s.Filesz > 0 {
		mapEnd := pageUp(fileEnd)
		zero := s.Memsz > s.Filesz && fileEnd%PageSize != 0
		prot := s.Prot
		if zero {
			// Zeroing the tail of the last file page is a kernel
			// write: allow it, then set the segment's protection.
			prot |= unix.PROT_WRITE
		}
		if _, err := m.MMap(mm.MMapOpts{
			Addr:   uintptr(start),
			Length: uintptr(mapEnd - start),
			Prot:   prot,
			Flags:  unix.MAP_PRIVATE | unix.MAP_FIXED,
			File:   exe,
			Offset: pageDown(s.Offset),
		}); err != nil {
			return &Error{Errno: errnoOf(err), Reason: "mapping a segment: " + err.Error()}
		}
		if zero {
			if err := m.ZeroOut(uintptr(fileEnd), uintptr(mapEnd-fileEnd)); err != nil {
				return &Error{Errno: errnoOf(err), Reason: "zeroing the bss: " + err.Error()}
			}
			if prot != s.Prot {
				if err := m.MProtect(uintptr(start), uintptr(mapEnd-start), s.Prot); err != nil {
					return &Error{Errno: errnoOf(err), Reason: "protecting a segment: " + err.Error()}
				}
			}
		}
		anonStart = mapEnd
	}
	if anonEnd := pageUp(memEnd); anonEnd > anonStart {
		if _, err := m.MMap(mm.MMapOpts{
			Addr:   uintptr(anonStart),
			Length: uintptr(anonEnd - anonStart),
			Prot:   s.Prot,
			Flags:  unix.MAP_PRIVATE | unix.MAP_FIXED | unix.MAP_ANONYMOUS,
		}); err != nil {
			return &Error{Errno: errnoOf(err), Reason: "mapping the bss: " + err.Error()}
		}
	}
	return nil
}

// auxv returns the auxiliary vector in Linux's order (create_elf_tables);
// BuildStack fills in AT_RANDOM, AT_EXECFN and AT_PLATFORM.
func auxv(e *ELF, img *Image, a LoadArgs) []AuxEntry {
	hwcap, hwcap2, sigstk := a.HWCap, a.HWCap2, a.MinSigStkSz
	if hwcap == 0 {
		hwcap, _ = hostAux(AT_HWCAP)
	}
	if hwcap2 == 0 {
		hwcap2, _ = hostAux(AT_HWCAP2)
	}
	if sigstk == 0 {
		var ok bool
		if sigstk, ok = hostAux(AT_MINSIGSTKSZ); !ok || sigstk == 0 {
			sigstk = defaultMinSigStkSz
		}
	}
	secure := uint64(0)
	if a.Secure {
		secure = 1
	}
	var v []AuxEntry
	if a.MapVDSO != nil {
		// Zero in the first build of the stack, which only sizes it.
		v = append(v, AuxEntry{AT_SYSINFO_EHDR, uint64(img.VDSO)})
	}
	v = append(v, []AuxEntry{
		{AT_MINSIGSTKSZ, sigstk},
		{AT_HWCAP, hwcap},
		{AT_PAGESZ, PageSize},
		{AT_CLKTCK, ClockTick},
		{AT_PHDR, uint64(img.PhdrAddr)},
		{AT_PHENT, phdrSize},
		{AT_PHNUM, uint64(e.Phnum)},
		{AT_BASE, uint64(img.InterpBias)}, // zero without an interpreter
		{AT_FLAGS, 0},
		{AT_ENTRY, uint64(img.Bias) + e.Entry}, // the program's, not the interpreter's
		{AT_UID, uint64(a.UID)},
		{AT_EUID, uint64(a.EUID)},
		{AT_GID, uint64(a.GID)},
		{AT_EGID, uint64(a.EGID)},
		{AT_SECURE, secure},
		{AT_RANDOM, 0},
		{AT_HWCAP2, hwcap2},
		{AT_EXECFN, 0},
		{AT_PLATFORM, 0},
	}...)
	if a.RSeqFeatureSize != 0 {
		v = append(v, AuxEntry{AT_RSEQ_FEATURE_SIZE, a.RSeqFeatureSize}, AuxEntry{AT_RSEQ_ALIGN, a.RSeqAlign})
	}
	return v
}

// hostAux looks up an entry of kite's own auxiliary vector, which the
// host kernel built for this CPU.
func hostAux(typ uint64) (uint64, bool) {
	v, err := unix.Auxv()
	if err != nil {
		return 0, false
	}
	for _, kv := range v {
		if uint64(kv[0]) == typ {
			return uint64(kv[1]), true
		}
	}
	return 0, false
}

// errnoOf extracts the errno of an mm error (EFAULT for faults, ENOMEM
// for anything without one).
func errnoOf(err error) unix.Errno {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var fault *mm.FaultError
	if errors.As(err, &fault) {
		return unix.EFAULT
	}
	return unix.ENOMEM
}
