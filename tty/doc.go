// Package tty owns kite's terminals: pseudo-terminals with Linux's N_TTY
// line discipline, the devpts file system, controlling terminals and the
// job-control rules, the console (kite's own host stdio fds as files the
// application can hold) and the drivers of /dev/tty, /dev/console and
// /dev/ptmx.
//
// Pseudo-terminals (pty.go, ldisc.go, ioctl.go, devpts.go). A Terminal is
// one master/slave pair. Input written to the master goes through the
// slave's line discipline at once (input flags, signal characters,
// canonical editing, echo) into the queue the slave reads; output written
// to the slave goes through output processing (OPOST) into the queue the
// master reads. Readiness for poll, select and epoll comes from the line
// discipline: a canonical reader is readable only once a line is
// complete, a non-canonical one when VMIN bytes are there (VTIME 0). The
// settings ioctls on the master act on the slave, as Linux's. Closing the
// master hangs up the slave (reads see end of file, writes and ioctls
// EIO, the session leader gets SIGHUP and SIGCONT and the session loses
// the terminal) and removes /dev/pts/N. Each devpts mount is a new
// instance (as Linux since 4.7); /dev/ptmx opens the instance kite
// mounts at /dev/pts, and each instance's own pts/ptmx node opens that
// instance (vfs.DeviceInode, since slave numbers repeat between
// instances). TIOCSTI is refused (EIO) as Linux refuses it without
// CONFIG_LEGACY_TIOCSTI.
//
// Job control (jobctl.go). The kernel implements Sessions (signals to
// groups and session leaders, detaching a terminal from a session,
// finding the caller's Process from its vfs.Context) and Process (the
// caller's groups, its controlling terminal, its signal dispositions).
// A Terminal records the session it controls and its foreground group;
// the kernel records each process's controlling terminal (fork inherits
// it, setsid drops it). A background process using its controlling
// terminal gets SIGTTIN or SIGTTOU as Linux's __tty_check_change decides.
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
// host fd only while someone waits; O_ASYNC files get their I/O signals
// through a waiter of the same queue (console_async.go). Console.MakeRaw puts a host terminal
// in raw mode for cmd/kite, which connects it to a kite pseudo-terminal.
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
// Console.mu (the foreground group); consoleWatch.mu (the poller) and
// consoleAsync.mu (O_ASYNC state) are taken under them and are leaves.
//
// tty may import the standard library, golang.org/x/sys/unix, auth, vfs
// and fs/dev (device numbers); it must not import kernel.
package tty
