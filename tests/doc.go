// Package tests holds kite's end-to-end differential tests: each program
// runs on the host kernel and under `kite run`, and the two runs' stdout,
// stderr, exit status (and, where a test says so, the files they leave)
// must be identical.
//
// Every C file in progs/ is built as a static glibc executable, a
// static-PIE executable and, when musl-gcc is installed, a static musl
// executable, and each build is compared. Programs must print deterministic
// output (no pids, inode numbers, addresses or timestamps) and clean up any
// files they make.
package tests
