// Package bpf is classic BPF as Linux has it: the instruction format, the
// checker every classic program passes before the kernel accepts it
// (Linux's bpf_check_classic), the extra rules of seccomp filters
// (seccomp_check_filter) and an interpreter. Seccomp filters and, later,
// socket filters use it.
//
// It imports only the standard library and golang.org/x/sys/unix (for
// errno values).
package bpf
