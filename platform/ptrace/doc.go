// Package ptrace is the ptrace platform: application code runs in host
// "stub" processes that kite traces, and every system call the application
// makes stops the stub (PTRACE_SYSEMU) and is handed to kite's kernel
// instead of the host's.
//
// It owns the stub program, the stub processes and threads, system call
// injection, and the mapping of the memory file into stubs. It imports
// platform, arch, platform/internal/hostsys (the host system call
// wrappers, the stub's image and start-up, injection and the spare
// address space, shared with platform/systrap) and golang.org/x/sys/unix;
// it makes raw host system calls. Its tests run the conformance suite of
// platform/internal/platformtest, as platform/systrap's do.
//
// # The stub
//
// The stub is a one-page static ELF built in Go at init (stub.go): one
// PT_LOAD, read+execute, at stubStart just below the top of the 47-bit
// address space, holding two code sequences: a `pause` loop (the entry
// point, and where a new thread waits untraced) and `syscall; int3` (where
// injected system calls run). It is written to a sealed memfd and started
// with PTRACE_TRACEME, PR_SET_PDEATHSIG=SIGKILL and a new session, with the
// memory file as its fd 0 and nothing else. At the exec stop kite sets
// PTRACE_O_EXITKILL|TRACECLONE|TRACESYSGOOD and injects munmap of
// everything below and above the stub page (host stack, vDSO, vvar) and
// close_range(1, ~0). What remains is the stub page, [vsyscall] (which
// cannot be unmapped) and fd 0. MaxUserAddress is stubStart: the
// application never gets to map over the stub. If the host's randomized
// stack takes the stub's address, exec fails and is retried.
//
// # Injection
//
// A system call is injected into a stopped stub thread by setting rax,
// the argument registers, orig_rax = -1 and rip = `syscall; int3`, then
// PTRACE_CONT: the int3 stops the thread with SIGTRAP and rax holds the
// result. MapFile is mmap(MAP_SHARED|MAP_FIXED) of fd 0, Unmap is munmap,
// new threads come from clone.
//
// # Threads
//
// One stub process per AddressSpace. Its owner goroutine, locked to its OS
// thread for the address space's whole life (the stub's parent-death
// signal is tied to that thread), started the stub, traces its main thread
// and serves requests over a channel. Each Context (a locked goroutine, so
// one OS thread) runs application code in its own stub thread in each
// address space it visits, kept in the address space's map from kite
// host tid to stub thread. To make one, the owner injects
// clone(CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM) into the main thread;
// the child is auto-attached to the owner (TRACECLONE), which points it at
// the pause loop and detaches it; the Context's OS thread then
// PTRACE_SEIZEs it, PTRACE_INTERRUPTs it and waits for the stop. ptrace
// requests are only accepted from the tracer thread, which is why each
// stub thread belongs to exactly one kite OS thread. While untraced, a stub
// thread blocks every signal (an injected rt_sigprocmask, undone once
// seized), so a signal sent to the stub from outside always lands on a
// traced thread, where kite suppresses it, and can never kill the stub
// through the untraced one.
//
// MapFile and Unmap called on an OS thread that has a stub thread in the
// address space inject through it directly; otherwise they go through the
// owner (a goroutine hand-off each way, 30-100us on a loaded 2-core host).
// The usual caller is the goroutine whose Switch just returned (a system
// call or fault that changes mappings), so inject first tries the stub
// thread of the last Switch to return: if the host accepts its registers
// the caller is its tracer; if it refuses (ESRCH) nothing changed and the
// caller is looked up by tid. That saves a gettid and a lock per
// injection.
// To keep hand-offs and stub start-up off the paths of fork and exec, the
// platform keeps one address space started ahead (NewAddressSpace takes it
// and a background goroutine starts the next), and each owner clones a
// spare thread ahead for the first Context to enter (and keeps one ready
// once a second Context has come). The exec-like sequence "new address
// space, first Switch faults, map the page, run to a syscall, release"
// then measures about 0.3ms when the machine is quiet enough
// (BenchmarkAddressSpace/spaced; several times more under heavy load).
//
// # Switch
//
// Switch loads the registers (only if they differ from what the stub
// thread holds; the host copy gets orig_rax = -1 so the host never
// applies its own syscall-restart logic), resumes with PTRACE_SYSEMU and
// waits. When only rax differs (a system call's result) and is none of
// the host's restart codes (-512 to -516, the only values that logic
// acts on), it is loaded alone with PTRACE_POKEUSER: 1.2 against 1.5us
// of host time for SETREGS on our VM, where a host getppid costs 0.95us.
// A trapped getppid is then four host system calls of kite's
// (PTRACE_SYSEMU, wait4, GETREGS, POKEUSER; strace -c over 20,000 calls)
// and two context switches between kite and the stub, which cost most of
// its time. A syscall-stop (SIGTRAP|0x80) is EventSyscall. A signal-delivery
// stop for SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGTRAP with a kernel
// si_code (> 0) is EventFault with si_signo, si_code and si_addr; the
// signal is suppressed, like every other signal (the next resume passes
// 0). PTRACE_EVENT stops are resumed. An exit of the stub thread is an
// error.
//
// # Interrupt
//
// Interrupt sets a flag, then, if the Context is inside Switch, sends
// SIGCHLD to its stub thread with tgkill. Switch publishes the running
// thread before it reads the flag, so no wake-up is lost; a late signal
// finds the flag clear and is dropped. SIGCHLD is chosen because its
// default action is to ignore (it can neither stop nor kill the stub the
// way SIGSTOP or SIGKILL would, should it ever be delivered rather than
// intercepted), the stub has no children so the host never sends it one,
// and a stale tgkill to a reused tid harms no other process.
//
// # FP state
//
// The xsave area (PTRACE_GETREGSET/SETREGSET NT_X86_XSTATE; its size and
// the initial state come from a fresh stub at New) belongs to the Context:
// when Switch uses a different stub thread than the one holding the state,
// the state is copied over. SetFPState(nil) loads the initial state. If
// the address space holding the state is released first, the state resets
// to the initial one (what execve does anyway).
//
// # CPU placement
//
// Every Switch is two wake-ups (kite wakes the stub thread, the stub's
// stop wakes kite). Across CPUs each costs tens of microseconds on our
// 2-core hosts; on one CPU a few. Three policies (SetCPUPolicy):
//
//   - CPUPin pins a Context's OS thread and all its stub threads to one
//     CPU, round-robin over the CPUs kite may use (the owner and the stub's
//     main thread likewise);
//   - CPUFollow (the default) leaves kite's thread free and, before each
//     Switch, restricts the stub thread to the CPU kite's thread is on
//     (a getcpu at most every 500us, followInterval, since a host system
//     call costs several microseconds on a virtual machine; a
//     sched_setaffinity only when it moved);
//   - CPUFree leaves placement to the host.
//
// Measured with `go test -bench SyscallRoundTrip` (a stub looping on getpid
// under SYSEMU, kite answering each call), on 2 cores shared with five
// other agents' builds and tests, so the load moved under the numbers:
//
//	load ~4, 5 runs each:     pinned 10.0-10.3 us   unpinned 11.9-57.1 us (4 of 5 above 43)
//	load ~8, 3 runs each:     pinned 17-31 us       unpinned 9-14 us
//	load 5-7, 10 interleaved: follow median 17 us (13-34)   pinned 22 (13-120)   unpinned 24 (15-108)
//	load ~7, 12 interleaved:  follow median 12.7 us (8.5-22) pinned 10.4 (8.6-17) unpinned 11.8 (8.8-16)
//	load ~1.8, 8 interleaved: follow median 9.5 us (8.8-15)  pinned 8.9 (8.4-9.2) unpinned 12.4 (10-52)
//
// Pinning wins on a quiet machine (by about 7% over following) and loses
// badly when other work holds its CPU; leaving the stub free risks
// cross-CPU wake-ups (the 43-57us runs). Following was never the worst
// and has the shortest tail under load, so it is the default; kite on a
// dedicated machine may prefer CPUPin. Setting SA_NOCLDSTOP on kite's SIGCHLD handler (New
// does) took the pinned round trip from 10.3 to 8.2 us on a quiet
// machine: otherwise every ptrace stop also signals kite.
//
// Mapping changes (BenchmarkMapFile): about 13-25 us through the caller's
// own stub thread, 45-110 us through the owner.
//
// # Release
//
// AddressSpace.Release kills the stub and reaps all its threads, also
// those traced by other OS threads (any thread of a process may wait for
// the tracees of its other threads), by waiting on the stub's process
// group (the stub is a session leader) until ECHILD. Waiting on known
// tids, leader last, could hang: a leader is reported only once all its
// other threads are reaped, and a thread cloned as the stub died may be
// known to nobody. For the same reason the owner waits for its own
// tracees on the process group with __WNOTHREAD (so it never takes
// another kite thread's ptrace stops), and a tracer that finds its thread
// killed (ESRCH) reaps it at once. Context.Release injects exit into each
// of its stub threads and reaps it. A Context must be released before
// its goroutine unlocks or exits: with PTRACE_O_EXITKILL the end of a
// tracer thread kills its tracees, and with them their stub. Nothing else
// in kite may wait4(-1): it would steal the stubs' ptrace stops.
//
// Known limits: a 32-bit `int $0x80` system call is reported like a
// 64-bit one. The [vsyscall] page stays mapped and the host emulates calls
// into it (time, gettimeofday, getcpu) itself, so an old binary using it
// reads the host's clock rather than kite's (only a seccomp filter in the
// stub could route those to kite).
package ptrace
