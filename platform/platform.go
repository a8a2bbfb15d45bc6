// Package platform is the interface between kite's kernel and the CPU: it
// runs application code in an address space until the application makes a
// system call, faults, or is interrupted. Each backend lives in its own
// package (platform/ptrace, the default; platform/systrap; platform/kvm is
// planned) and honours the same few methods.
//
// platform imports arch and x/sys/unix only. Raw host system calls and
// unsafe code are allowed here and in the backends.
package platform

import "github.com/kite-os/kite/arch"

// Platform creates address spaces and execution contexts.
type Platform interface {
	// Name is the name used by `kite run --platform`.
	Name() string

	// MaxUserAddress is the end (exclusive) of the range of addresses an
	// application may map; everything above belongs to the platform.
	MaxUserAddress() uintptr

	// NewAddressSpace returns an empty address space. It may be called from
	// any goroutine.
	NewAddressSpace() (AddressSpace, error)

	// NewContext returns an execution context for one application thread.
	//
	// Preconditions: the calling goroutine is locked to its OS thread
	// (runtime.LockOSThread) and stays locked for the Context's life; the
	// Context's methods other than Interrupt are called only from it.
	NewContext() (Context, error)
}

// AddressSpace is the set of memory-file pages visible to application code
// at each address. The memory manager (package mm) decides what goes where;
// an AddressSpace only carries out its decisions.
type AddressSpace interface {
	// MapFile maps length bytes of the memory file starting at offset off at
	// application address addr with protection prot (PROT_* bits), shared
	// with the memory file and replacing whatever the range held.
	// addr, off and length are page-aligned.
	MapFile(addr uintptr, off uint64, length uintptr, prot int) error

	// Unmap removes every mapping in [addr, addr+length).
	Unmap(addr, length uintptr) error

	// Release destroys the address space. It must not be used after.
	Release()
}

// Event says why Switch returned.
type Event int

const (
	// EventSyscall: the application made a system call. The registers hold
	// its number (Orig_rax) and arguments; rip points after the
	// instruction.
	EventSyscall Event = iota + 1

	// EventFault: the application took a synchronous exception (SIGSEGV,
	// SIGBUS, SIGFPE, SIGILL, SIGTRAP); Fault describes it.
	EventFault

	// EventInterrupt: Interrupt was called.
	EventInterrupt
)

func (e Event) String() string {
	switch e {
	case EventSyscall:
		return "syscall"
	case EventFault:
		return "fault"
	case EventInterrupt:
		return "interrupt"
	}
	return "unknown"
}

// Stepper is implemented by Contexts that can run application code one
// instruction at a time (a guest debugger's PTRACE_SINGLESTEP).
type Stepper interface {
	// SwitchStep is Switch for at most one instruction. After it the
	// thread reports EventFault with SIGTRAP (code TRAP_TRACE, Addr the
	// next instruction), unless another event came first; a system call
	// instruction reports EventSyscall as Switch does.
	SwitchStep(as AddressSpace, regs *arch.Registers) (Event, Fault, error)
}

// Scheduling is a thread's scheduling attributes as sched_setattr(2)
// names them.
type Scheduling struct {
	Policy   int    // SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH or SCHED_IDLE
	Priority int    // real-time priority (FIFO and RR), else 0
	Nice     int    // -20..19
	CPUs     uint64 // bit i: the platform's i-th CPU (see Scheduler.CPU)
	// IOPrio is ioprio_set's raw value (class << 13 | level); 0 is
	// none (the I/O priority follows the nice value).
	IOPrio int
}

// Scheduler is implemented by Contexts whose application code runs on host
// threads that the host schedules: the attributes a program sets for a
// thread are applied to those threads, so that the host orders and places
// the thread as Linux would.
type Scheduler interface {
	// SetScheduling applies s to the host threads that run the Context
	// (the calling OS thread and the application's threads), now and for
	// the application threads it makes later; the I/O priority goes to
	// the calling OS thread, which does the host I/O of the system calls
	// of the Context's thread. What the host refuses (a
	// real-time policy or a lower nice value without host privilege) is
	// left as it was. Called on the Context's goroutine only.
	SetScheduling(s Scheduling)

	// CPU returns the index, among the CPUs the platform runs on (0 to
	// their number less one), of the CPU the application thread runs on,
	// or -1 if it cannot tell. Called on the Context's goroutine only.
	CPU() int
}

// Fault describes a synchronous exception taken by application code.
type Fault struct {
	Signo int32   // SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP
	Code  int32   // si_code, e.g. SEGV_MAPERR or SEGV_ACCERR
	Addr  uintptr // si_addr: the faulting address (or instruction)
}

// Context runs one application thread.
type Context interface {
	// Switch runs application code in as, starting from regs, until an
	// event; regs then holds the thread's registers at the event. A
	// non-nil error means the context can no longer run application code
	// (the host process died); the kernel treats it as fatal for the task.
	Switch(as AddressSpace, regs *arch.Registers) (Event, Fault, error)

	// FPState returns the thread's floating-point/xsave state. The state
	// belongs to the Context: it carries across Switches into different
	// address spaces.
	FPState() (arch.FPState, error)

	// SetFPState replaces the floating-point state; nil means the initial
	// state (as after execve).
	SetFPState(arch.FPState) error

	// Interrupt makes the current or next Switch return EventInterrupt as
	// soon as possible. It may be called from any goroutine.
	Interrupt()

	// Release frees the context's host resources.
	Release()
}
