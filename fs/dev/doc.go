// Package dev is kite's own /dev: a small in-memory file system with the
// memory devices null (1:3), zero (1:5), full (1:7), random (1:8) and
// urandom (1:9), kmsg (1:11, the kernel's driver: the kernel log), tty
// (5:0, the controlling terminal) and console (5:1);
// the symbolic links fd -> /proc/self/fd and stdin, stdout, stderr ->
// /proc/self/fd/0..2; and the empty directories pts and shm (the lead
// mounts tmpfs on /dev/shm and, later, devpts on /dev/pts).
//
// The tree's names are fixed: creating or removing entries fails with
// EPERM. Modes, owners and times of the entries may be changed (chmod,
// chown, touch), in memory.
//
// Device nodes only carry their rdev: opening one goes through the VFS's
// device registry, so a node made with mknod anywhere (tmpfs, a host tree)
// opens the same driver, as on Linux. RegisterDevices installs the drivers
// of the memory devices; the terminals' drivers (tty, console, ptmx) are
// the tty package's.
//
// dev may import the standard library, golang.org/x/sys/unix, auth and
// vfs; it makes no host calls.
package dev
