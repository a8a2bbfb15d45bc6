// Package syscalls is kite's system call table for amd64 and its handlers,
// one file per family (file.go, mmap.go, process.go, signal.go, time.go,
// ...). Handlers act on a *kernel.Task; they reach application memory only
// through the task's copy-in/copy-out methods and never make host system
// calls.
//
// The table is data: each family file registers its entries (number,
// handler, support level, note) from init, and NewTable assembles them
// with every other Linux syscall name as ENOSYS. The compatibility list in
// docs/syscalls.md is generated from it (go generate).
//
// syscalls imports kernel and everything below it.
package syscalls

//go:generate go run ./internal/gendoc -o ../docs/syscalls.md
