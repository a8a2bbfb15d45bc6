// Package arch holds per-architecture CPU state and the layouts the kernel
// builds from it: general registers and syscall argument access
// (amd64.go), FP/xsave state, siginfo (siginfo.go: every union layout
// Linux's copy_siginfo_to_user writes), alternate signal stacks
// (sigaltstack.go), the time-stamp counter (tsc_amd64.go, for the
// kernel clock and the vDSO) and the signal frame a handler runs on, with
// rt_sigreturn's reading of it (signal_amd64.go). amd64 is the only
// architecture so far. It imports abi/linux and x/sys/unix only.
package arch
