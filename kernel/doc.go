// Package kernel holds kite's kernel proper: tasks, thread groups, the task
// run loop, signals, limits, and (in later issues) sessions, namespaces,
// futexes and timers.
//
// Each application thread is a Task served by one goroutine locked to its
// OS thread (the platform's Context requires it). The loop runs application
// code with platform.Context.Switch and handles what comes back: system
// calls go through the SyscallTable the kernel was given (package syscalls
// builds it; kernel never imports syscalls), faults go to the task's
// mm.MemoryManager, interrupts check for pending work.
//
// kernel imports vfs, mm, loader, auth, platform, arch and abi; never
// syscalls, cmd or the storage file systems.
//
// Lock order: Kernel.mu before ThreadGroup.mu before Task.mu.
package kernel
