// Package kernel holds kite's kernel proper: tasks, thread groups,
// sessions and process groups, the task run loop, signals (generation,
// delivery, restart, signalfd's queue), credentials and limits, clone,
// execve, exit and wait, pidfds, interval and POSIX timers, and the
// process views /proc shows (procfs.go). Futex wait queues live in the
// subpackage kernel/futex.
//
// Each application thread is a Task served by one goroutine locked to its
// OS thread (the platform's Context requires it). The loop runs application
// code with platform.Context.Switch and handles what comes back: system
// calls go through the SyscallTable the kernel was given (package syscalls
// builds it; kernel never imports syscalls), faults go to the task's
// mm.MemoryManager, interrupts check for pending work. A Task is the
// vfs.Context of its system calls.
//
// kernel imports vfs, mm, loader, auth, fs/proc (whose Source and Process
// views it implements), platform, arch and abi; never syscalls, cmd or the
// storage file systems. Its clock is kernel/timekeeping, which also fills
// the data page of the vDSO (vdso.go maps both into every process).
//
// # Locking
//
// Lock order, outermost first:
//
//  1. Kernel.mu: the task, thread-group, process-group and session
//     tables, the parent/child links and ptrace's tracer/tracee links and
//     stop state (ptrace.go).
//  2. itimer.mu: one interval timer (its clock reads the group's CPU
//     time under sigMu); limitWatch.mu (cpulimit.go: RLIMIT_CPU of a
//     process, RLIMIT_RTTIME of a task) likewise, reading Task.mu and the
//     limits under it.
//  3. ThreadGroup.sigMu: signal state of the group and of its tasks
//     (pending signals, masks, exit and stop state).
//  4. posixTimers.mu, then posixTimer.mu: a dequeued timer signal updates
//     its timer's overrun under sigMu, so a firing timer asks for sigMu
//     (isExiting) before it takes posixTimer.mu, never while holding it.
//     realtimeWatchers.mu (clockset.go) is a leaf under posixTimer.mu.
//     posixTimer.fireMu (one expiry of a timer at a time) comes before
//     every lock here, Kernel.mu too: only a firing timer takes it.
//  5. SignalHandlers.mu: the dispositions (taken under sigMu or Kernel.mu).
//  6. Task.mu: the task's mm, fd table, fs context, name and the like.
//  7. Limits.mu (taken under Task.mu, sigMu or Kernel.mu), and Kernel.mmMu
//     (leaf); loadAvg.mu (loadavg.go) is a leaf taken under none of them;
//     the per-user counts sigUserCounts.mu (sigcount.go, under sigMu) and
//     userCharges.mu (usercharges.go, under ipc's locks) are leaves.
//
// Below all of them come the locks of the packages kernel calls:
// kernel/futex's, vfs's (a VirtualFilesystem's writeMu under Kernel.mu;
// WaitQueue.mu, whose callbacks run unlocked) and mm's. Signal generation
// (ThreadGroup.send) takes Kernel.mu when a SIGCONT continues a stopped
// group, so callers that hold Kernel.mu use sendKernelLocked. The tracer
// (strace) is called with none of kernel's locks held.
package kernel
