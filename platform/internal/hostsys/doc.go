// Package hostsys is the code the stub-process platforms (platform/ptrace
// and platform/systrap) share: thin wrappers around the host system calls
// they make (ptrace, wait4, futex, getcpu, ...), the layout and ELF image
// of the one-page stub executable, starting a stub traced by the calling
// OS thread, injecting system calls into a traced stub thread, and the
// address space started ahead of need.
//
// It imports arch and golang.org/x/sys/unix only; it uses unsafe and raw
// host system calls, as the platforms do, and one instruction of
// assembly (LSL, the CPU number as the vDSO's getcpu reads it).
package hostsys
