// Package syscalls is kite's system call table for amd64 and its handlers,
// one file per family (file.go, mmap.go, process.go, signal.go, time.go,
// ...). Handlers act on a *kernel.Task; they reach application memory only
// through the task's copy-in/copy-out methods and never make host system
// calls.
//
// The table is data: table_amd64.go is one array literal in number order
// with an entry (handler, support level, note) for every Linux system
// call, so a reader finds any syscall's handler in one hop. The compatibility list in
// docs/syscalls.md is generated from it (go generate).
//
// syscalls imports kernel and everything below it.
package syscalls

//go:generate go run ./internal/gendoc -o ../docs/syscalls.md
