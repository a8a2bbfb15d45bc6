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
//
// The suite must hold on a loaded machine and under nice: programs run in
// parallel with each other (a program's three builds one after the
// other), each in a session of its own, and the machine may stop any of
// them for a while at any point. So a program never sleeps to order
// events: it hands off through a pipe, a wait or poll; a signal that must
// interrupt a blocking call is repeated until the call has returned (or
// blocked beforehand and released by the call's own mask); remaining
// times are checked on timers long enough that a delay cannot expire
// them. Host-wide names (files in /dev/shm, SysV keys, abstract sockets)
// must be unique to the program; programs that observe host-wide state
// run alone (serialPrograms in cprogs/cprogs_test.go); a program's host
// runs as root (tests/cprogs) and as a user (tests/cprogsuser) never
// overlap. The C programs' comparisons are package tests/cprogs, and
// tests/cprogsuser runs them again as uid 1000 (gid 1000, no
// supplementary groups, no capabilities): a program must print the same
// on the host and under kite whichever user runs it, and may only write
// where that user can (/tmp, /dev/shm). The harness the packages share
// is tests/internal/kitetest.
package tests
