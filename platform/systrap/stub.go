package systrap

import (
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// The stub's layout. The stub is a one-page static ELF executable loaded
// at stubStart, the same place as the ptrace platform's; below it lie the
// threads' regions, and below those everything belongs to the
// application.
const (
	pageSize  = hostsys.PageSize
	taskSize  = hostsys.TaskSize
	stubStart = hostsys.StubStart
	stubEnd   = hostsys.StubEnd

	// codeStart is where the instructions (stub.s.txt) start in the page.
	codeStart = stubStart + hostsys.CodeOffset

	stubSyscall  = hostsys.StubSyscall // `syscall; int3` for injection
	stubStartThr = codeStart + 0x18    // a new thread's first instruction
	stubExit     = codeStart + 0x20    // exit(0)
	stubRestorer = codeStart + 0x30    // sa_restorer: rt_sigreturn
	stubHandler  = codeStart + 0x40    // the signal handler
	stubSysLoop  = codeStart + 0x100   // the syscall thread's loop

	// Data in the stub page (read-only to everyone in the stub).
	stubMaskAll   = stubStart + 0x300 // sigset_t, all signals
	stubMaskApp   = stubStart + 0x308 // sigset_t, all but the handled signals
	stubSigaction = stubStart + 0x320 // struct sigaction for every handled signal
	stubFprog     = stubStart + 0x340 // struct sock_fprog of the app threads' filter
	stubSysFprog  = stubStart + 0x350 // struct sock_fprog of the syscall thread's filter
	stubOne       = stubStart + 0x360 // uint64 1: the syscall thread's "done"
	stubTwo       = stubStart + 0x368 // uint64 2: its "failed"
	stubFilter    = stubStart + 0x400 // the app filter's instructions
	stubSysFilter = stubStart + 0x600 // the syscall thread's filter

	// Thread regions: regionSize bytes each, aligned to their size so
	// that the handler finds its region from rsp. The first page is the
	// control page, the rest the thread's signal stack.
	regionSize  = 0x10000
	maxRegions  = 4096
	regionsEnd  = stubStart &^ (regionSize - 1)
	regionsBase = regionsEnd - maxRegions*regionSize

	// sysRegion is the syscall thread's: its first page (read-only in
	// the stub) holds kite's request, the second the answer.
	sysRegion = maxRegions - 1

	// maxUserAddress is the end of the application's addresses.
	maxUserAddress = regionsBase
)

// The control page of a region. Everything in it, and in the signal
// stack, can be written by any application thread of the stub: kite reads
// each field once and checks it.
const (
	ctlState   = 0  // uint32 futex word, see the state values
	ctlUC      = 8  // uint64: the frame's ucontext (stub address)
	ctlInfo    = 16 // uint64: the frame's siginfo (stub address)
	ctlFSBase  = 24 // uint64: fs_base to load when ctlSetSeg has bit 0
	ctlGSBase  = 32 // uint64: gs_base to load when ctlSetSeg has bit 1
	ctlSetSeg  = 40 // uint32
	ctlSigno   = 48 // uint32: the signal the handler runs for
	ctlSpin    = 52 // uint32: how many times the stub polls before sleeping
	ctlAltStak = 64 // stack_t for sigaltstack
)

// State values of ctlState. The stub moves it to stateEvent when it has
// something to report (waking kite if kite sleeps: stateRunKiteWait), and
// sleeps in stateEventStubWait; kite moves it to stateRun (waking the stub
// if it sleeps) and sleeps in stateRunKiteWait. The host writes 0 when the
// thread exits (CLONE_CHILD_CLEARTID).
const (
	stateDead          = 0
	stateEvent         = 1
	stateEventStubWait = 2
	stateRun           = 3
	stateRunKiteWait   = 4
)

// stubCode is stub.s.txt assembled (as --64; objcopy -O binary).
var stubCode = []byte{
	0xb8, 0x22, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0xf7, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0f, 0x05, 0xcc, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xcc, 0x0f, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0xb8, 0x3c, 0x00, 0x00,
	0x00, 0x31, 0xff, 0x0f, 0x05, 0x0f, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xb8, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x0f, 0x0b, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x48, 0x89, 0xe3, 0x48, 0x81, 0xe3, 0x00, 0x00,
	0xff, 0xff, 0x48, 0x89, 0x53, 0x08, 0x48, 0x89, 0x73, 0x10, 0x89, 0x7b,
	0x30, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x87, 0x03, 0x83, 0xf8, 0x04, 0x75,
	0x14, 0xb8, 0xca, 0x00, 0x00, 0x00, 0x48, 0x89, 0xdf, 0xbe, 0x01, 0x00,
	0x00, 0x00, 0xba, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x8b, 0x4b, 0x34,
	0x81, 0xf9, 0xa0, 0x86, 0x01, 0x00, 0x76, 0x05, 0xb9, 0xa0, 0x86, 0x01,
	0x00, 0x8b, 0x03, 0x83, 0xf8, 0x02, 0x74, 0x1a, 0x83, 0xf8, 0x01, 0x75,
	0x2d, 0x85, 0xc9, 0x74, 0x06, 0xf3, 0x90, 0xff, 0xc9, 0xeb, 0xea, 0xba,
	0x02, 0x00, 0x00, 0x00, 0xf0, 0x0f, 0xb1, 0x13, 0x75, 0xdf, 0xb8, 0xca,
	0x00, 0x00, 0x00, 0x48, 0x89, 0xdf, 0x31, 0xf6, 0xba, 0x02, 0x00, 0x00,
	0x00, 0x45, 0x31, 0xd2, 0x0f, 0x05, 0x31, 0xc9, 0xeb, 0xc7, 0x8b, 0x43,
	0x28, 0xa9, 0x01, 0x00, 0x00, 0x00, 0x74, 0x10, 0xb8, 0x9e, 0x00, 0x00,
	0x00, 0xbf, 0x02, 0x10, 0x00, 0x00, 0x48, 0x8b, 0x73, 0x18, 0x0f, 0x05,
	0x8b, 0x43, 0x28, 0xa9, 0x02, 0x00, 0x00, 0x00, 0x74, 0x10, 0xb8, 0x9e,
	0x00, 0x00, 0x00, 0xbf, 0x01, 0x10, 0x00, 0x00, 0x48, 0x8b, 0x73, 0x20,
	0x0f, 0x05, 0xc7, 0x43, 0x28, 0x00, 0x00, 0x00, 0x00, 0xc3, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x49, 0xbc, 0x00, 0x00, 0xfd, 0xff, 0xff, 0x7f,
	0x00, 0x00, 0x4d, 0x8d, 0xac, 0x24, 0x00, 0x10, 0x00, 0x00, 0x45, 0x31,
	0xf6, 0x41, 0x8b, 0x04, 0x24, 0x44, 0x39, 0xf0, 0x75, 0x14, 0xb8, 0xca,
	0x00, 0x00, 0x00, 0x4c, 0x89, 0xe7, 0x31, 0xf6, 0x44, 0x89, 0xf2, 0x45,
	0x31, 0xd2, 0x0f, 0x05, 0xeb, 0xe3, 0x41, 0x89, 0xc6, 0x49, 0x8b, 0x44,
	0x24, 0x08, 0x49, 0x8b, 0x7c, 0x24, 0x10, 0x49, 0x8b, 0x74, 0x24, 0x18,
	0x49, 0x8b, 0x54, 0x24, 0x20, 0x4d, 0x8b, 0x54, 0x24, 0x28, 0x4d, 0x8b,
	0x44, 0x24, 0x30, 0x4d, 0x8b, 0x4c, 0x24, 0x38, 0x0f, 0x05, 0x49, 0x89,
	0x45, 0x08, 0x48, 0xbe, 0x60, 0xf3, 0xfe, 0xff, 0xff, 0x7f, 0x00, 0x00,
	0x48, 0x3d, 0x01, 0xf0, 0xff, 0xff, 0x72, 0x04, 0x48, 0x83, 0xc6, 0x08,
	0xb8, 0x01, 0x00, 0x00, 0x00, 0xbf, 0x02, 0x00, 0x00, 0x00, 0xba, 0x08,
	0x00, 0x00, 0x00, 0x0f, 0x05, 0xeb, 0x8e,
}

// Signal action flags and seccomp values.
const (
	saSiginfo  = 0x4
	saOnstack  = 0x08000000
	saRestorer = 0x04000000

	seccompSetModeFilter = 1
	seccompRetTrap       = 0x00030000
	seccompRetKillProc   = 0x80000000
	seccompRetAllow      = 0x7fff0000
	auditArchX8664       = 0xc000003e

	sysSeccomp = 1 // si_code of a SIGSYS from SECCOMP_RET_TRAP

	archSetGS = 0x1001
	archSetFS = 0x1002

	futexWait = hostsys.FutexWait
	futexWake = hostsys.FutexWake
)

// stubImage is the stub executable, built at init.
var stubImage = buildStub()

// buildStub assembles the stub ELF (hostsys's image with the code of
// stub.s.txt),
// the signal action and the seccomp filter.
func buildStub() []byte {
	img := hostsys.StubImage(stubCode)
	le.PutUint64(img[stubMaskAll-stubStart:], ^uint64(0))
	var handled uint64
	for _, sig := range handledSignals {
		handled |= 1 << (sig - 1)
	}
	le.PutUint64(img[stubMaskApp-stubStart:], ^handled)

	// struct sigaction (kernel): handler, flags, restorer, mask. Every
	// signal is blocked while the handler runs.
	sa := img[stubSigaction-stubStart:]
	le.PutUint64(sa[0:], stubHandler)
	le.PutUint64(sa[8:], saSiginfo|saOnstack|saRestorer)
	le.PutUint64(sa[16:], stubRestorer)
	le.PutUint64(sa[24:], ^uint64(0))

	putFilter(img, stubFprog, stubFilter, appFilter())
	putFilter(img, stubSysFprog, stubSysFilter, sysFilter())
	le.PutUint64(img[stubOne-stubStart:], 1)
	le.PutUint64(img[stubTwo-stubStart:], 2)
	if le.Uint64(img[stubSysLoop-stubStart+2:]) != regionsBase+sysRegion*regionSize ||
		le.Uint64(img[stubSysLoop-stubStart+0x60:]) != stubOne {
		panic("systrap: stub.s.txt's addresses differ from stub.go's")
	}
	return img
}

// putFilter writes filter at addr and its struct sock_fprog at fprog.
func putFilter(img []byte, fprog, addr uintptr, filter []bpfInsn) {
	for i, ins := range filter {
		b := img[addr-stubStart+uintptr(8*i):]
		le.PutUint16(b[0:], ins.code)
		b[2], b[3] = ins.jt, ins.jf
		le.PutUint32(b[4:], ins.k)
	}
	le.PutUint16(img[fprog-stubStart:], uint16(len(filter)))
	le.PutUint64(img[fprog-stubStart+8:], uint64(addr))
}

// bpfInsn is a classic BPF instruction (struct sock_filter).
type bpfInsn struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

const (
	bpfLdAbs = 0x20 // BPF_LD|BPF_W|BPF_ABS
	bpfJeq   = 0x15 // BPF_JMP|BPF_JEQ|BPF_K
	bpfJge   = 0x35 // BPF_JMP|BPF_JGE|BPF_K
	bpfRet   = 0x06 // BPF_RET|BPF_K

	// Offsets in struct seccomp_data.
	sdNr     = 0
	sdArch   = 4
	sdIPLo   = 8
	sdIPHi   = 12
	sdArg0Lo = 16
	sdArg1Lo = 24
)

// appFilter is the seccomp filter of every application thread: a system
// call from anywhere but the stub page traps (SIGSYS, which the handler
// reports to kite); from the stub page only what the handler itself needs
// is allowed, with arguments restricted so that an application jumping
// there with registers of its choice can do nothing but wait on or wake a
// futex, load its own fs or gs base, return from a signal or end its own
// thread. Anything else traps like a system call from elsewhere: the
// stub never runs a host system call for the application.
func appFilter() []bpfInsn {
	return assembleBPF([]bpfJump{
		{code: bpfLdAbs, k: sdIPHi},
		{code: bpfJeq, k: stubStart >> 32, jf: "trap"},
		{code: bpfLdAbs, k: sdIPLo},
		{code: bpfJge, k: stubStart & 0xffffffff, jf: "trap"},
		{code: bpfJge, k: stubEnd & 0xffffffff, jt: "trap"},
		{code: bpfLdAbs, k: sdArch},
		{code: bpfJeq, k: auditArchX8664, jf: "trap"},
		{code: bpfLdAbs, k: sdNr},
		{code: bpfJeq, k: 202 /* futex */, jt: "futex"},
		{code: bpfJeq, k: 15 /* rt_sigreturn */, jt: "allow"},
		{code: bpfJeq, k: 158 /* arch_prctl */, jt: "arch_prctl"},
		{code: bpfJeq, k: 60 /* exit */, jt: "allow"},
		{code: bpfRet, k: seccompRetTrap},
		{label: "futex", code: bpfLdAbs, k: sdArg1Lo},
		{code: bpfJeq, k: futexWait, jt: "allow"},
		{code: bpfJeq, k: futexWake, jt: "allow"},
		{code: bpfRet, k: seccompRetTrap},
		{label: "arch_prctl", code: bpfLdAbs, k: sdArg0Lo},
		{code: bpfJeq, k: archSetFS, jt: "allow"},
		{code: bpfJeq, k: archSetGS, jt: "allow"},
		{label: "allow", code: bpfRet, k: seccompRetAllow},
		{label: "trap", code: bpfRet, k: seccompRetTrap},
	})
}

// sysFilter is the syscall thread's filter: it runs only the stub's loop,
// so it may make mmap and munmap (kite's requests), futex calls and
// writes to fd 2 (its answers) from the stub page, and nothing else.
func sysFilter() []bpfInsn {
	return assembleBPF([]bpfJump{
		{code: bpfLdAbs, k: sdIPHi},
		{code: bpfJeq, k: stubStart >> 32, jf: "kill"},
		{code: bpfLdAbs, k: sdIPLo},
		{code: bpfJge, k: stubStart & 0xffffffff, jf: "kill"},
		{code: bpfJge, k: stubEnd & 0xffffffff, jt: "kill"},
		{code: bpfLdAbs, k: sdArch},
		{code: bpfJeq, k: auditArchX8664, jf: "kill"},
		{code: bpfLdAbs, k: sdNr},
		{code: bpfJeq, k: 202 /* futex */, jt: "allow"},
		{code: bpfJeq, k: 9 /* mmap */, jt: "allow"},
		{code: bpfJeq, k: 11 /* munmap */, jt: "allow"},
		{code: bpfJeq, k: 1 /* write */, jf: "kill"},
		{code: bpfLdAbs, k: sdArg0Lo},
		{code: bpfJeq, k: 2, jt: "allow"},
		{label: "kill", code: bpfRet, k: seccompRetKillProc},
		{label: "allow", code: bpfRet, k: seccompRetAllow},
	})
}

// bpfJump is a BPF instruction with symbolic jump targets.
type bpfJump struct {
	code  uint16
	k     uint32
	jt    string
	jf    string
	label string
}

// assembleBPF resolves the labels of prog.
func assembleBPF(prog []bpfJump) []bpfInsn {
	const next = ""
	at := map[string]int{}
	for i, j := range prog {
		if j.label != "" {
			at[j.label] = i
		}
	}
	rel := func(i int, l string) uint8 {
		if l == next {
			return 0
		}
		return uint8(at[l] - i - 1)
	}
	out := make([]bpfInsn, len(prog))
	for i, j := range prog {
		out[i] = bpfInsn{code: j.code, k: j.k, jt: rel(i, j.jt), jf: rel(i, j.jf)}
	}
	return out
}
