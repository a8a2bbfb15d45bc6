// Package strace decodes system calls and prints them in strace's format,
// for `kite run --strace`. The kernel calls a Tracer at each system call's
// entry and exit; the Tracer reads arguments through a small Memory
// interface, so strace does not depend on package kernel.
//
// The output follows strace -f -s 32: one line per call, prefixed with
// "[pid N] ", "<unfinished ...>" and "<... name resumed>" when threads
// interleave, strings quoted and escaped as strace does, errors as
// "-1 ENOENT (No such file or directory)".
//
// strace imports arch, abi/linux and x/sys/unix only.
package strace
