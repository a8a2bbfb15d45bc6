// Package systrap is the systrap platform: application code runs in host
// "stub" processes, as on the ptrace platform, but a system call does not
// stop the stub under ptrace. A seccomp filter in each application thread
// turns it into a SIGSYS, the stub's own signal handler hands the thread
// to kite through shared memory and a futex, and kite answers the same
// way. No ptrace stop, wait4 or PTRACE_GETREGS is on that path.
//
// It imports platform, arch, platform/internal/hostsys (the host system
// call wrappers, the stub's image and start-up, injection and the spare
// address space, shared with platform/ptrace) and golang.org/x/sys/unix;
// it uses unsafe and raw host system calls. Its tests run the conformance
// suite of platform/internal/platformtest, as platform/ptrace's do.
//
// # The stub
//
// A one-page static ELF built at init (stub.go; its code is stub.s.txt
// assembled, kept as bytes so that building kite needs no assembler) at
// stubStart, the ptrace platform's address, holding: a pause loop (the
// entry point), `syscall; int3` for ptrace injection, the start
// instruction of a new thread, exit(0), the signal restorer, the signal
// handler, a signal action and the seccomp filter. Started as the ptrace
// stub is (PTRACE_TRACEME, PR_SET_PDEATHSIG=SIGKILL, own session, the
// address space stripped to the stub page), with the memory file as fd 0
// and the address space's region memfd as fd 1. Its main thread stays
// traced by the address space's owner goroutine for its whole life and
// never runs application code: it blocks every signal, has no seccomp
// filter, and the owner injects into it (exactly as on the ptrace
// platform) the clone of new threads and the setup below.
// At start kite also sets PR_SET_NO_NEW_PRIVS and installs the handler
// for SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP and SIGCHLD
// (SA_SIGINFO|SA_ONSTACK, every signal blocked while it runs).
//
// # Regions
//
// Each application thread owns a 64 KiB region below the stub page,
// aligned to its size, mapped from the region memfd in the stub and (the
// whole memfd) in kite: a control page, then the thread's signal stack.
// MaxUserAddress is the bottom of the region area (4096 regions, 256 MiB),
// so the application never maps over it. The handler finds its region
// from its stack pointer. The control page holds the state word, the
// frame's ucontext and siginfo addresses, the signal number, fs/gs bases
// for the handler to load, and the spin count. A region is reused once
// the host has zeroed the state word of its exited thread.
//
// # The syscall thread
//
// MapFile and Unmap run in a second thread that never runs application
// code, the syscall thread (its region is the last one). Kite writes the
// system call into the region's first page, which the stub maps
// read-only, bumps a sequence number there and wakes it with FUTEX_WAKE;
// the thread runs the call and answers by writing 1 (done) or 2 (failed)
// to an eventfd that is the stub's fd 2, leaving the result in the
// second page. Its filter allows only futex, mmap, munmap and write to fd
// 2, from the stub page. Application threads can wake it (futex) and
// write the result page, but they can neither change a request nor write
// the eventfd (their write traps), so kite never takes a request for done
// before it is: a forged result only changes which errno kite sees. This
// takes no goroutine hand-off and no ptrace stop.
//
// # Threads
//
// A Context's first Switch in an address space asks the owner to clone a
// thread (CLONE_THREAD|CLONE_VM|... with CLONE_CHILD_CLEARTID on the
// region's state word). While the clone is still traced the owner injects
// sigaltstack (its region), a signal mask that blocks everything but the
// handled signals (a signal sent from outside stays pending instead of
// killing the stub), and seccomp(SET_MODE_FILTER) with the application
// filter; then it points the thread at the start instruction (int3) and
// detaches it. The trap enters the handler, which reports the thread
// ready; from then on the thread is never traced again.
//
// # The filter
//
// The filter lets through only system calls made from the stub page, and
// of those only futex WAIT/WAKE, rt_sigreturn, arch_prctl SET_FS/SET_GS
// and exit: all the handler needs, and all harmless to run with registers
// an application chose (it can jump into the stub page): they act on the
// calling thread or on futex words. Everything else traps (SECCOMP_RET_TRAP:
// a SIGSYS with the registers as at the system call, rax rolled back to
// the number). The host's uretprobe (335) and uprobe (336) calls bypass
// every seccomp filter: 335 from anywhere but a uprobe trampoline gets a
// SIGILL, which Switch reports as system call 335; 336 returns ENXIO to
// the application (kite answers ENOSYS on ptrace).
//
// # The round trip
//
// The handler stores the ucontext and siginfo addresses, swaps the state
// word to EVENT (waking kite with FUTEX_WAKE only if kite had gone to
// sleep), then polls the word for kite's answer a bounded number of times
// and then sleeps on it. Kite polls likewise, then sleeps. State values
// (stub.go): EVENT, EVENT_STUBWAIT (the stub sleeps), RUN, RUN_KITEWAIT
// (kite sleeps), 0 (the host cleared it: the thread exited). Kite reads
// the registers from the frame's sigcontext, the fault from the siginfo
// and the FP state from the frame's xsave area, all in its own mapping of
// the region; it writes the registers (and FP state when it changed) back
// into the frame and sets RUN; the handler loads fs/gs bases if asked
// (arch_prctl: the host's CPU lacks FSGSBASE, and sigcontext does not
// carry the bases) and returns through rt_sigreturn.
//
// The application can write everything in the regions. Kite reads each
// field once, checks every address against the region before using it,
// and treats anything odd as the thread's death (an error from Switch,
// which kills the task), never as a reason to panic or wait forever: kite
// sleeps on the state word at most 100 ms at a time and then checks that
// the thread still exists (tgkill with signal 0), and Release zeroes and
// wakes every live state word.
//
// Events: SIGSYS with si_code SYS_SECCOMP is EventSyscall (orig_rax the
// number, rax -ENOSYS, as at a ptrace syscall-stop). SIGSEGV, SIGBUS,
// SIGFPE, SIGILL and SIGTRAP with a kernel si_code are EventFault. SIGCHLD
// is the interrupt: Interrupt sets a flag and tgkills the running thread
// (SIGCONT first, in case someone stopped the stub); Switch reports
// EventInterrupt if the flag was set and otherwise resumes. Other signals
// (sent from outside) resume the thread unchanged.
//
// # Polling and CPU placement
//
// Each wake-up costs a few microseconds on the same CPU and tens across
// CPUs on our virtual machines, and a round trip has two. Where CPUs are
// free, each side polls the state word for the other's answer for a
// bounded time before it sleeps: kite's budget is a time, the stub's a
// count of PAUSEs (calibrated when it first polls) that kite writes into
// the control page at each resume. The budgets adapt (spin.go) to how
// long the other side took to answer: an answer that polling missed but
// that came within 40us sets the budget to twice its time, a later one
// halves it, down to nothing. Budgets are kept per system call number
// (the stub's for the answer to each call, kite's for what follows
// each; the stub's is that of the call predicted to come next). There
// is no polling at all while as many Contexts as half the CPUs are in a
// Switch that polls, while the host's load average less kite's own part
// of it (twice kite's CPU use, for its stubs) is at or above the CPUs,
// and for 100 ms after kite's polling thread was preempted (a 200us gap
// in its polling). A Switch that
// does not poll restricts the stub thread to the CPU kite's thread runs
// on (SetFollow; a getcpu at most every 500us, a sched_setaffinity when
// it moved), where a wake-up is cheapest; one that polls lets the host
// place it, so that the two do not poll for each other on one CPU.
// SetSpin fixes the polling times instead (benchmarks). See bench_test.go
// and bench/README.md for numbers.
//
// # FP state
//
// The Context's FP state lives in the frame of the thread that ran last;
// moving to another thread (another address space) copies it over. It is
// returned in NT_X86_XSTATE form (XCR0 in the software-reserved bytes)
// and written back keeping the frame's fpx_sw_bytes. SetFPState makes the
// checks XRSTOR would (features, MXCSR, header) and answers EINVAL, since
// a frame the host cannot load would kill the thread.
//
// # Release
//
// AddressSpace.Release kills the stub, zeroes and wakes the live state
// words, and reaps the stub's process group. Kite's mapping of the
// regions is reference-counted (the address space and each Context thread
// in it) so no Context ever reads an unmapped region. Context.Release
// sends each of its live threads to exit(0).
//
// # Locks
//
// An addressSpace has two mutexes, and neither is ever held while the
// other is taken: no lock order between them exists, and none may be
// made. sysMu serializes the requests to the syscall thread (inject:
// the request page, sysSeq, sysFollow) and is held for a whole round
// trip with it, taking no other lock. mu guards the region bookkeeping
// (stubRegions, free, live) and is held only around those fields
// (allocRegion drops it before the owner maps a new region into the
// stub; freeRegion; Release takes the live set under it, then kills and
// wakes outside it). Release does not take sysMu: a request in flight
// sees the released flag or the dead thread and fails. Of the two
// sync.Onces, releaseOnce is outermost (Release takes mu inside it) and
// Platform.pauseOnce is a leaf (its calibration takes no lock).
//
// SwitchStep (platform.Stepper) sets the trap flag in the frame and hides
// it again from the registers it returns.
//
// Known limits: an application can touch the pages of its own region and
// signal stack, which are not counted in the memory file; a SIGSTOP sent
// to the stub from outside stops it until the next Interrupt (which sends
// SIGCONT); the host's uprobe system call (336) passes the filter and
// returns ENXIO.
package systrap
