// Package linux holds Linux ABI facts that golang.org/x/sys/unix lacks:
// syscall names, struct layouts it does not define, and the signal frame
// layout. It imports only the standard library and x/sys/unix.
package linux

//go:generate go run ./internal/gensysnames -o sysnames_amd64.go
