// Package vdso holds kite's virtual dynamic shared object: the ELF image
// kite maps into every process (AT_SYSINFO_EHDR) so that clock_gettime,
// gettimeofday, time and clock_getres run without a system call, and the
// layout of the data page (vvar) it reads, which the kernel's clock
// (kernel/timekeeping) writes.
//
// The image is built from c/vdso.c and c/vdso.lds with gcc by
// internal/genvdso (`go generate ./arch/vdso`) into image_amd64.go, a
// checked-in byte slice, as Linux builds its vDSO from C: kite itself
// needs no C compiler. The package imports nothing.
package vdso

//go:generate go run ./internal/genvdso
