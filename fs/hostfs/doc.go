// Package hostfs passes a host directory through to kite read-only, and
// wraps kite's own host stdio fds as the console. It is the only package
// that opens host files (DESIGN.md, "Host access and isolation").
//
// Safety rules, kept in host.go where every host call on the tree lives:
//
//   - The tree is entered through one O_PATH fd of its root. Every other
//     host file is reached from its parent's fd with a single component
//     (never "", ".", ".." or a name containing '/'), opened with
//     O_PATH|O_NOFOLLOW; Resolve may use openat2 with RESOLVE_BENEATH|
//     RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS and falls back to that walk.
//   - The host never follows a symlink: symlinks are returned to kite as
//     their text (readlinkat) and kite's VFS follows them itself, inside
//     kite's mount tree. ".." is kite's to resolve, clamped at the root.
//   - Only regular files and directories are opened for I/O, read-only.
//     Opening a host device node, FIFO or socket through hostfs fails with
//     EACCES, so that no host device can be reached and no host FIFO can
//     block or be drained; kite mounts its own /dev, /proc and /sys.
//   - Host mounts of proc, sysfs, devpts, debugfs, tracefs, securityfs,
//     bpf, cgroup, efivarfs and pstore found inside the tree are sealed:
//     they can be stat'ed but not listed, opened or looked into (EACCES).
//   - The application never holds a host fd.
//
// The console (console.go) is one of kite's stdio fds as a file: reads and
// writes go to the host fd; terminal ioctls reach the host only when it is
// a terminal (ENOTTY otherwise, as Linux on a pipe or file); the
// foreground process group is kite's own state and never set on the host.
//
// hostfs may import the standard library, golang.org/x/sys/unix, auth and
// vfs. It may use raw host system calls; it must not import kernel.
package hostfs
