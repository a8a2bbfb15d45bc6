package linux

// SigAction is the kernel's struct sigaction on amd64 (what rt_sigaction
// reads and writes), as opposed to libc's.
type SigAction struct {
	Handler  uint64
	Flags    uint64
	Restorer uint64
	Mask     uint64
}

// SigActionSize is sizeof(struct sigaction) in the kernel ABI.
const SigActionSize = 32

// Special handler values.
const (
	SIG_DFL = 0
	SIG_IGN = 1
)

// SigAction flags.
const (
	SA_NOCLDSTOP = 0x1
	SA_NOCLDWAIT = 0x2
	SA_SIGINFO   = 0x4
	SA_RESTORER  = 0x04000000
	SA_ONSTACK   = 0x08000000
	SA_RESTART   = 0x10000000
	SA_NODEFER   = 0x40000000
	SA_RESETHAND = 0x80000000
)

// SignalStack is stack_t, the argument of sigaltstack.
type SignalStack struct {
	Sp    uint64
	Flags int32
	_     int32
	Size  uint64
}

// SignalStackSize is sizeof(stack_t).
const SignalStackSize = 24

// sigaltstack flags.
const (
	SS_ONSTACK    = 1
	SS_DISABLE    = 2
	SS_AUTODISARM = 1 << 31
)

// MINSIGSTKSZ is the smallest alternate signal stack sigaltstack accepts
// on amd64.
const MINSIGSTKSZ = 2048

// SignalSet is a set of signals 1..64; bit n-1 is signal n.
type SignalSet uint64

// SignalSetSize is the only sigsetsize rt_sig* calls accept on amd64.
const SignalSetSize = 8

// NumSignals is the highest signal number.
const NumSignals = 64

// SigBit returns the set holding only signal sig.
func SigBit(sig int) SignalSet { return 1 << (uint(sig) - 1) }

// UnblockableSignals can never be blocked: SIGKILL and SIGSTOP.
const UnblockableSignals = SignalSet(1<<(9-1) | 1<<(19-1))
