// Package hostfs passes a host directory through to kite: read-only
// (New), or writable (NewWritable: `kite do --rw`, a container's
// writable root and read-write bind mounts), where programs' changes
// reach the host; NewFile passes one host file (a container's bound
// /etc/hosts), mounted over a file; ReadNetStats reads the host network
// namespace's /proc/net counters (snmp, netstat, sockstat...) for
// `--net=host`. It is the only package that opens host files (DESIGN.md,
// "Host access and isolation"); kite's own stdio fds, which it does not
// open, are the tty package's console.
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
//   - Only regular files and directories are opened for I/O (for writing
//     only in a writable tree).
//     hostfs never opens a host device node, FIFO or socket (its Open
//     answers ENXIO). The VFS does not ask it to either: like any Linux
//     file system, the node only names a driver, so a host character
//     device node opens kite's own driver for that rdev (ENXIO if kite
//     has none) and a host FIFO opens a kite pipe (fs/pipe) — no host
//     device or FIFO is ever reached. Mount hostfs with vfs.MountNoDev to
//     refuse device nodes outright (EACCES, as Linux's nodev). kite mounts
//     its own /dev, /proc and /sys over the host's.
//   - Host mounts of proc, sysfs, devpts, debugfs, tracefs, securityfs,
//     bpf, cgroup, efivarfs and pstore found inside the tree are sealed:
//     they can be stat'ed but not listed, opened or looked into (EACCES).
//   - The application never holds a host fd.
//   - Known window: a regular file is opened for reading by name from its
//     parent's fd (an O_PATH fd cannot be reopened without the host's
//     /proc), then checked to be the same regular file that was looked
//     up. If a host process swaps a device node in between, the host
//     open of that node happens (O_NONBLOCK|O_NOCTTY, read-only) before
//     the check refuses it with ESTALE.
//
// A tree made with New is read-only whatever the mount flags: writes,
// O_TRUNC, creation, removal and attribute changes give EROFS. A writable
// tree (write.go) makes each change with one host call on a checked
// component of a directory fd (creat with O_EXCL|O_NOFOLLOW, mkdirat,
// mknodat for FIFOs and sockets only -- device nodes give EPERM --,
// symlinkat, linkat, unlinkat, renameat2) after checking that the names
// involved are still the host files kite looked up (ESTALE if the host
// swapped them), and changes attributes on an O_PATH fd of the file itself
// (fchmodat2, fchownat, utimensat with AT_EMPTY_PATH; fchmodat2 needs a
// Linux 6.6 host). New files get exactly the mode asked (the host umask
// plays no part) and, when kite runs as the host's root, the owner the
// program's credentials give them. Files open for writing keep their host
// fd until closed (outside the fd cache), so data written to a file that
// is then unlinked or renamed stays reachable. Stat keeps the host
// mode, owner, size, times, link count and inode number (on a host device
// other than the root's, the device's index is xored into the top byte so
// numbers stay unique under kite's one device number for the tree); the
// device number is kite's. Directories keep an O_PATH fd in a bounded
// cache (a quarter of kite's fd limit, 64 to 4096; the root's is never
// closed): a directory whose fd was closed is reopened by name from its
// parent and must still be the same host directory (ESTALE otherwise), so
// walking a tree larger than the budget never runs kite out of fds. Other
// files hold no fd and are reached again by name from their parent. Open
// files (regular files and directory listings) keep their host fd in a
// second bounded cache of the same size: a file whose fd was closed is
// opened again on its next read by name from its parent and must still be
// the same host file (ESTALE otherwise: a file the host renamed or
// replaced while kite had closed its fd is lost to the program), so the
// program's RLIMIT_NOFILE, not kite's, limits how many it holds. Cached
// entries are revalidated against the host on each lookup
// (vfs.Revalidator), so changes made on the host are seen; attributes read
// from the host answer stat for 10ms (one fstatat then serves both the
// revalidation and the permission check of each component of a walk).
//
// Attribute flags (flags.go) are the host file's: FS_IOC_GETFLAGS,
// FS_IOC_SETFLAGS, FS_IOC_FSGETXATTR, FS_IOC_FSSETXATTR, file_getattr and
// file_setattr are passed to the host file (sets only in a writable tree,
// after the VFS's checks), and an overlay with a hostfs layer shows them
// too; the host enforces them.
//
// Locking, outermost first: dirFile.mu (a directory listing's
// snapshot), Filesystem.mu (the inode table), inode.mu (one inode's
// directory fd and attributes), Filesystem.lruMu (the directory fd cache,
// a leaf: eviction closes an fd only after dropping it). openFD.mu (an
// open file's host fd) is taken with at most dirFile.mu held and holds only
// Filesystem.openMu (the open-file fd cache, a leaf) inside it; reopening
// a closed fd takes inode.mu and lruMu with no openFD.mu held.
//
// hostfs may import the standard library, golang.org/x/sys/unix, auth and
// vfs. It may use raw host system calls; it must not import kernel.
package hostfs
