package loader

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// Auxiliary vector entry types (include/uapi/linux/auxvec.h and
// arch/x86/include/uapi/asm/auxvec.h); x/sys/unix does not define them.
const (
	AT_NULL              = 0
	AT_IGNORE            = 1
	AT_EXECFD            = 2
	AT_PHDR              = 3
	AT_PHENT             = 4
	AT_PHNUM             = 5
	AT_PAGESZ            = 6
	AT_BASE              = 7
	AT_FLAGS             = 8
	AT_ENTRY             = 9
	AT_NOTELF            = 10
	AT_UID               = 11
	AT_EUID              = 12
	AT_GID               = 13
	AT_EGID              = 14
	AT_PLATFORM          = 15
	AT_HWCAP             = 16
	AT_CLKTCK            = 17
	AT_SECURE            = 23
	AT_BASE_PLATFORM     = 24
	AT_RANDOM            = 25
	AT_HWCAP2            = 26
	AT_RSEQ_FEATURE_SIZE = 27
	AT_RSEQ_ALIGN        = 28
	AT_EXECFN            = 31
	AT_SYSINFO_EHDR      = 33
	AT_MINSIGSTKSZ       = 51
)

// Limits on execve's arguments (include/uapi/linux/binfmts.h and
// fs/exec.c).
const (
	// MaxArgStrlen is MAX_ARG_STRLEN: the longest argument or environment
	// string, NUL included.
	MaxArgStrlen = 32 * PageSize

	// MinArgLimit is ARG_MAX, the least room execve gives argv and envp
	// whatever the stack limit.
	MinArgLimit = 32 * PageSize

	// DefaultStackLimit is Linux's default RLIMIT_STACK (_STK_LIM).
	DefaultStackLimit = 8 << 20
)

// ArgLimit returns how many bytes argv and envp strings plus their
// pointers may take for a given RLIMIT_STACK soft limit, as Linux's
// bprm_stack_limits computes it: a quarter of the stack limit, at most
// three quarters of _STK_LIM and at least ARG_MAX.
func ArgLimit(stackRlimit uint64) uint64 {
	limit := uint64(DefaultStackLimit) / 4 * 3
	if q := stackRlimit / 4; q < limit {
		limit = q
	}
	if limit < MinArgLimit {
		limit = MinArgLimit
	}
	return limit
}

// AuxEntry is one auxiliary vector entry.
type AuxEntry struct {
	Type uint64
	Val  uint64
}

// StackSpec says what the initial stack of a new program holds.
type StackSpec struct {
	Argv []string // an empty argv gets one "" (as Linux does since 5.18)
	Envv []string

	// ExecFn is the path given to execve; AT_EXECFN points to it.
	ExecFn string

	// Platform is the AT_PLATFORM string ("x86_64"); empty omits the
	// string (an AT_PLATFORM entry then gets value 0).
	Platform string

	// Random are the 16 bytes AT_RANDOM points to.
	Random [16]byte

	// Auxv lists the auxiliary vector in order, without the final AT_NULL
	// (BuildStack appends it). BuildStack fills in the values of
	// AT_EXECFN, AT_PLATFORM and AT_RANDOM with the addresses of the
	// strings it places.
	Auxv []AuxEntry

	// ArgLimit bounds the bytes taken by all strings (ExecFn included)
	// plus the argv and envp pointers; see ArgLimit. Zero means the limit
	// for the default stack rlimit.
	ArgLimit uint64
}

// Stack is a built initial stack.
type Stack struct {
	// Data is the stack's content: it occupies [SP, Top) with
	// len(Data) == Top-SP.
	Data []byte

	// Top is the address just past the stack's content.
	Top uintptr

	// SP is the initial stack pointer: the address of argc, 16-byte
	// aligned.
	SP uintptr

	// ArgStart/ArgEnd and EnvStart/EnvEnd delimit the argv and envp
	// strings (Linux's mm->arg_start and friends, used by
	// /proc/pid/cmdline and environ).
	ArgStart, ArgEnd uintptr
	EnvStart, EnvEnd uintptr

	// Auxv is the auxiliary vector as written, AT_NULL included (for
	// /proc/pid/auxv).
	Auxv []AuxEntry
}

// BuildStack lays out the initial stack of a new program so that it ends
// at top, exactly as Linux's execve and create_elf_tables do with address
// randomization off. From the top down: a zero word, the ExecFn string,
// the envp strings, the argv strings (argv[0] lowest); then, 16-byte
// aligned, the platform string and the 16 random bytes; then, aligned so
// that SP is 16-byte aligned, argc, the argv pointers and NULL, the envp
// pointers and NULL, and the auxv pairs ending with AT_NULL.
//
// It fails with E2BIG if a string is longer than MaxArgStrlen or all of
// them with their pointers exceed the limit.
func BuildStack(top uintptr, spec StackSpec) (*Stack, error) {
	if top%16 != 0 {
		return nil, &Error{Errno: unix.EINVAL, Reason: "stack top not 16-byte aligned"}
	}
	argv := spec.Argv
	if len(argv) == 0 {
		argv = []string{""}
	}
	if err := checkArgs(argv, spec.Envv, spec.ExecFn, spec.ArgLimit); err != nil {
		return nil, err
	}

	// Everything below is first computed as offsets below top, then
	// written into a buffer that covers [sp, top).
	type placed struct {
		at uint64 // address
		s  string
	}
	var strs []placed
	p := uint64(top) - 8 // Linux keeps the top word zero
	push := func(s string) uint64 {
		p -= uint64(len(s)) + 1
		strs = append(strs, placed{p, s})
		return p
	}
	execfn := push(spec.ExecFn)
	envEnd := p
	envp := make([]uint64, len(spec.Envv))
	for i := len(spec.Envv) - 1; i >= 0; i-- {
		envp[i] = push(spec.Envv[i])
	}
	envStart := p
	argEnd := p
	argvp := make([]uint64, len(argv))
	for i := len(argv) - 1; i >= 0; i-- {
		argvp[i] = push(argv[i])
	}
	argStart := p

	p &^= 15
	var platform uint64
	if spec.Platform != "" {
		platform = push(spec.Platform)
	}
	p -= 16
	random := p

	auxv := make([]AuxEntry, 0, len(spec.Auxv)+1)
	for _, a := range spec.Auxv {
		switch a.Type {
		case AT_EXECFN:
			a.Val = execfn
		case AT_PLATFORM:
			a.Val = platform
		case AT_RANDOM:
			a.Val = random
		}
		auxv = append(auxv, a)
	}
	auxv = append(auxv, AuxEntry{Type: AT_NULL})

	words := uint64(1+len(argv)+1+len(spec.Envv)+1) + 2*uint64(len(auxv))
	sp := (p - 8*words) &^ 15

	data := make([]byte, uint64(top)-sp)
	le := binary.LittleEndian
	for _, s := range strs {
		copy(data[s.at-sp:], s.s) // the NUL is already zero
	}
	copy(data[random-sp:], spec.Random[:])
	w := data
	put := func(v uint64) {
		le.PutUint64(w, v)
		w = w[8:]
	}
	put(uint64(len(argv)))
	for _, a := range argvp {
		put(a)
	}
	put(0)
	for _, e := range envp {
		put(e)
	}
	put(0)
	for _, a := range auxv {
		put(a.Type)
		put(a.Val)
	}
	return &Stack{
		Data:     data,
		Top:      top,
		SP:       uintptr(sp),
		ArgStart: uintptr(argStart),
		ArgEnd:   uintptr(argEnd),
		EnvStart: uintptr(envStart),
		EnvEnd:   uintptr(envEnd),
		Auxv:     auxv,
	}, nil
}

// checkArgs enforces execve's limits on argument and environment strings
// as Linux's bprm_stack_limits and copy_strings do.
func checkArgs(argv, envv []string, execfn string, limit uint64) error {
	if limit == 0 {
		limit = ArgLimit(DefaultStackLimit)
	}
	ptrs := 8 * uint64(len(argv)+len(envv))
	if limit <= ptrs {
		return &Error{Errno: unix.E2BIG, Reason: "too many arguments"}
	}
	room := limit - ptrs
	var total uint64
	for _, list := range [][]string{{execfn}, envv, argv} {
		for _, s := range list {
			n := uint64(len(s)) + 1
			if n > MaxArgStrlen {
				return &Error{Errno: unix.E2BIG, Reason: "argument string too long"}
			}
			total += n
			if total > room {
				return &Error{Errno: unix.E2BIG, Reason: "argument list too long"}
			}
		}
	}
	return nil
}
