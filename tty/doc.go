// Package tty owns kite's terminals: the console (kite's own host stdio
// fds as files the application can hold) and the drivers of /dev/tty and
// /dev/console.
//
// The console (console.go, console_file.go, console_watch.go) is one of
// kite's stdio fds as a file: reads and writes go to the host fd; terminal
// ioctls (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TCSBRK, TCFLSH, TCXONC)
// reach the host only when it is a terminal (ENOTTY otherwise, as Linux on
// a pipe or file); FIONREAD is asked of the host fd; the foreground
// process group (TIOCGPGRP/TIOCSPGRP) is kite's own state and never set
// on the host. fstat shows a terminal as /dev/console (char 5:1), a pipe
// as a FIFO, a file as the host file. A blocked console read or write
// sleeps on the console's wait queue, fed by a goroutine that polls the
// host fd only while someone waits.
//
// The console makes host calls (read, write, poll, ioctl) on fds kite was
// given at start and never opens a host file: opening host files is
// fs/hostfs's alone.
//
// # Locking
//
// Terminal.mu guards a terminal's line discipline and job-control state;
// an operation collects the signals and wake-ups it causes under it
// (takePending) and delivers them after dropping it, so the kernel's
// Sessions and the waiters' callbacks never run under Terminal.mu.
// Devpts.mu (the pty table, which reads the VFS clock under it) and
// attr.mu (a devpts node's attributes) are leaves and never nest with
// Terminal.mu. The console's readMu and writeMu serialize kite's readers
// and writers of a host fd; each is taken alone and never with
// Console.mu (the foreground group) or consoleWatch.mu (the poller).
//
// tty may import the standard library, golang.org/x/sys/unix, auth, vfs
// and fs/dev (device numbers); it must not import kernel.
package tty
