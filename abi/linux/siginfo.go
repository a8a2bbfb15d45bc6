package linux

// si_code values common to all signals (include/uapi/asm-generic/siginfo.h).
// Values <= 0 say a process sent the signal; positive values are
// signal-specific and come from the kernel.
const (
	SI_USER     = 0    // kill, sigsend, raise
	SI_KERNEL   = 0x80 // sent by the kernel
	SI_QUEUE    = -1   // sigqueue, rt_sigqueueinfo
	SI_TIMER    = -2   // POSIX timer expiry
	SI_MESGQ    = -3   // POSIX message queue state change
	SI_ASYNCIO  = -4   // AIO completion
	SI_SIGIO    = -5   // queued SIGIO
	SI_TKILL    = -6   // tkill, tgkill
	SI_DETHREAD = -7   // sent by execve killing subsidiary threads
	SI_ASYNCNL  = -60  // asynchronous name lookup completion
)

// SIGILL si_codes.
const (
	ILL_ILLOPC   = 1 // illegal opcode
	ILL_ILLOPN   = 2 // illegal operand
	ILL_ILLADR   = 3 // illegal addressing mode
	ILL_ILLTRP   = 4 // illegal trap
	ILL_PRVOPC   = 5 // privileged opcode
	ILL_PRVREG   = 6 // privileged register
	ILL_COPROC   = 7 // coprocessor error
	ILL_BADSTK   = 8 // internal stack error
	ILL_BADIADDR = 9 // unimplemented instruction address
	NSIGILL      = 11
)

// SIGFPE si_codes.
const (
	FPE_INTDIV   = 1  // integer divide by zero
	FPE_INTOVF   = 2  // integer overflow
	FPE_FLTDIV   = 3  // floating-point divide by zero
	FPE_FLTOVF   = 4  // floating-point overflow
	FPE_FLTUND   = 5  // floating-point underflow
	FPE_FLTRES   = 6  // floating-point inexact result
	FPE_FLTINV   = 7  // floating-point invalid operation
	FPE_FLTSUB   = 8  // subscript out of range
	FPE_FLTUNK   = 14 // undiagnosed floating-point exception
	FPE_CONDTRAP = 15 // trap on condition
	NSIGFPE      = 15
)

// SIGSEGV si_codes.
const (
	SEGV_MAPERR  = 1  // address not mapped to object
	SEGV_ACCERR  = 2  // invalid permissions for mapped object
	SEGV_BNDERR  = 3  // failed address bound checks
	SEGV_PKUERR  = 4  // failed protection key checks
	SEGV_ACCADI  = 5  // ADI not enabled for mapped object
	SEGV_ADIDERR = 6  // disrupting MCD error
	SEGV_ADIPERR = 7  // precise MCD exception
	SEGV_MTEAERR = 8  // asynchronous ARM MTE error
	SEGV_MTESERR = 9  // synchronous ARM MTE exception
	SEGV_CPERR   = 10 // control protection fault
	NSIGSEGV     = 10
)

// SIGBUS si_codes.
const (
	BUS_ADRALN    = 1 // invalid address alignment
	BUS_ADRERR    = 2 // non-existent physical address
	BUS_OBJERR    = 3 // object-specific hardware error
	BUS_MCEERR_AR = 4 // hardware memory error consumed on a machine check
	BUS_MCEERR_AO = 5 // hardware memory error detected, action optional
	NSIGBUS       = 5
)

// SIGTRAP si_codes.
const (
	TRAP_BRKPT  = 1 // process breakpoint
	TRAP_TRACE  = 2 // process trace trap
	TRAP_BRANCH = 3 // process taken branch trap
	TRAP_HWBKPT = 4 // hardware breakpoint or watchpoint
	TRAP_UNK    = 5 // undiagnosed trap
	TRAP_PERF   = 6 // perf event with sigtrap=1
	NSIGTRAP    = 6
)

// SIGCHLD si_codes.
const (
	CLD_EXITED    = 1 // child has exited
	CLD_KILLED    = 2 // child was killed
	CLD_DUMPED    = 3 // child terminated abnormally (core dump)
	CLD_TRAPPED   = 4 // traced child has trapped
	CLD_STOPPED   = 5 // child has stopped
	CLD_CONTINUED = 6 // stopped child has continued
	NSIGCHLD      = 6
)

// SIGPOLL (SIGIO) si_codes.
const (
	POLL_IN  = 1 // data input available
	POLL_OUT = 2 // output buffers available
	POLL_MSG = 3 // input message available
	POLL_ERR = 4 // i/o error
	POLL_PRI = 5 // high priority input available
	POLL_HUP = 6 // device disconnected
	NSIGPOLL = 6
)

// SIGSYS si_codes.
const (
	SYS_SECCOMP       = 1 // seccomp triggered
	SYS_USER_DISPATCH = 2 // syscall user dispatch triggered
	NSIGSYS           = 2
)

// SIGEV_* values of struct sigevent (timer_create, mq_notify).
const (
	SIGEV_SIGNAL    = 0
	SIGEV_NONE      = 1
	SIGEV_THREAD    = 2
	SIGEV_THREAD_ID = 4
)

// uc_flags bits of the ucontext in a signal frame (asm/ucontext.h).
const (
	UC_FP_XSTATE         = 0x1 // the frame's fpstate has the xsave extension
	UC_SIGCONTEXT_SS     = 0x2 // sigcontext's ss field is meaningful
	UC_STRICT_RESTORE_SS = 0x4 // rt_sigreturn restores ss as is
)

// Markers of the xsave area in a signal frame (asm/sigcontext.h).
const (
	FP_XSTATE_MAGIC1      = 0x46505853 // in fpx_sw_bytes.magic1
	FP_XSTATE_MAGIC2      = 0x46505845 // right after the xsave area
	FP_XSTATE_MAGIC2_SIZE = 4
)
