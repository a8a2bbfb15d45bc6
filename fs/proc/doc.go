// Package proc is kite's procfs: a view of kernel state, built on demand.
//
// Today it has (issue "Kernel foundation"):
//
//	/proc/self         symlink to the caller's pid
//	/proc/PID/         one directory per process the caller can see
//	/proc/PID/exe      magic link to the executable
//	/proc/PID/cwd      magic link to the working directory
//	/proc/PID/root     magic link to the root directory
//	/proc/PID/fd/N     magic link to the file open at fd N; readlink gives
//	                   its path as seen from the reader's root ("/dev/null",
//	                   "pipe:[N]" for anonymous files)
//
//	/proc/PID/mounts, mountinfo   the mounts seen from the process's root
//	/proc/mounts       symlink to self/mounts
//	/proc/thread-self  symlink to PID/task/TID of the caller
//	/proc/filesystems  the registered file system types
//
// For a Process that implements ProcessInfo (info.go) also:
//
//	/proc/PID/stat, statm, status, comm  Linux's formats (fs/proc/array.c)
//	/proc/PID/cmdline, environ    the argv and envp areas of its memory
//	/proc/PID/maps                its mappings, path column at byte 73
//	/proc/PID/pagemap             each page's state (pagemap.go)
//	/proc/PID/limits, auxv        resource limits; the initial auxv
//	/proc/PID/fdinfo/N            pos, flags, mnt_id, ino of an open fd
//	/proc/PID/task/TID/           stat, statm, status and comm of each thread
//
// comm is writable by the process's own threads (pthread_setname_np).
//
// and for a Source that implements SystemInfo: /proc/meminfo, cpuinfo,
// uptime, loadavg (kite's own load average), stat (btime; CPU counters 0), version and /proc/sys/kernel/{hostname,
// ostype, osrelease, pid_max}. The text of a file is made when it is read
// at offset 0 and kept for the reads that follow.
//
// Every other name is absent (ENOENT) until a later issue fills it in.
// The tree is read-only: changes fail with EPERM (Linux's answer for
// procfs) or EROFS where the VFS decides.
//
// proc must not import package kernel. It reads the kernel through the
// interfaces below, which the kernel implements:
//
//   - Source (the kernel): finds a process by pid and lists the pids, as
//     the calling context sees them.
//   - Process (the thread-group leader task): its id, credentials,
//     executable, fd table and file-system context, all safe to call from
//     any goroutine; FDTable and FSContext return nil once released.
//
// The caller is the vfs.Context: its ThreadGroupID and ThreadID name
// /proc/self and /proc/thread-self (none for a kernel context: ENOENT),
// and its FSContext's root is where link targets are named from.
//
// Links on /proc/PID/fd, readlink of exe and cwd, and reading environ,
// maps, auxv and fdinfo are allowed to the
// process's owner and to uid 0 (ptrace-read access, simplified), EACCES
// otherwise.
//
// Locking: the directories' mu (rootInode, taskDir, fdDir, fdInfoDir:
// their cached children) and dataFileOps.mu (a read's snapshot) are
// leaves with respect to each other: proc never holds two. Under them it
// calls into vfs (the clock, under regMu) and the kernel's Source, which
// must not call back into proc.
//
// proc may import the standard library, golang.org/x/sys/unix, auth and
// vfs.
package proc
