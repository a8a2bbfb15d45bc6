package arch

import "golang.org/x/sys/unix"

// Registers is the general register file of an amd64 thread, in the layout
// of Linux's struct user_regs_struct (which ptrace uses too).
type Registers = unix.PtraceRegs

// SyscallArgs are the six argument registers of a system call.
type SyscallArgs [6]uintptr

// Syscall returns the number and arguments of the system call that stopped
// a thread. On entry Linux keeps the number in orig_rax.
func Syscall(r *Registers) (nr uintptr, args SyscallArgs) {
	return uintptr(r.Orig_rax), SyscallArgs{
		uintptr(r.Rdi), uintptr(r.Rsi), uintptr(r.Rdx),
		uintptr(r.R10), uintptr(r.R8), uintptr(r.R9),
	}
}

// SetReturn stores a system call's return value where the application
// expects it.
func SetReturn(r *Registers, v uintptr) { r.Rax = uint64(v) }

// Return reads a system call's return value.
func Return(r *Registers) uintptr { return uintptr(r.Rax) }

// SyscallInsnLen is the length of the `syscall` instruction; restarting a
// system call moves rip back by this much.
const SyscallInsnLen = 2

// User-mode segment selectors on Linux amd64.
const (
	UserCS = 0x33
	UserDS = 0x2b
)

// NewRegisters returns the registers a thread starts a new program image
// with: everything zero except the entry point, the stack pointer and the
// user segments, and IF set in rflags, as Linux's start_thread leaves them.
func NewRegisters(entry, sp uintptr) Registers {
	return Registers{
		Rip:    uint64(entry),
		Rsp:    uint64(sp),
		Cs:     UserCS,
		Ss:     UserDS,
		Eflags: 0x202,
	}
}

// FPState is an XSAVE area (the layout of NT_X86_XSTATE): the legacy 512-byte
// FXSAVE region, the XSAVE header and the extended components. An empty
// FPState means "the initial state".
type FPState []byte

// FXSaveSize is the size of the legacy FXSAVE region at the start of every
// XSAVE area.
const FXSaveSize = 512

// Clone returns a copy of s.
func (s FPState) Clone() FPState {
	if s == nil {
		return nil
	}
	return append(FPState(nil), s...)
}
