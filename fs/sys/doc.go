// Package sys is kite's sysfs. For now it is a fixed, read-only tree:
//
//	/sys/block /sys/bus /sys/class /sys/dev /sys/devices /sys/firmware
//	/sys/fs /sys/kernel /sys/module /sys/power
//
// so that programs that look for the usual top-level directories find
// them, and /sys/devices/system/cpu with the CPUs the applications see
// (online, possible, present, offline, kernel_max and each cpuN's
// topology), which glibc's get_nprocs, nproc, lscpu and stress-ng read,
// the disks (/sys/block) and /sys/class/net: the interfaces of the
// reader's network namespace (Options.NetLinks, asked at each lookup,
// listing and open), links to their directories in
// /sys/devices/virtual/net with net-sysfs's attributes and statistics.
// (Linux's sysfs shows the namespace of the process that mounted it;
// kite's shows the reader's.)
// Every other file programs look for is absent (ENOENT), as on a
// machine without that device or feature. Creating or removing anything
// fails with EPERM; attributes cannot be opened for writing (EACCES),
// except the network devices' that Linux shows writable, whose writes
// fail with EOPNOTSUPP (kite changes links through netlink only).
// Later issues add more (memory, cgroup mount points).
//
// sys may import the standard library, golang.org/x/sys/unix, vfs and
// fs/proc (its FixedLink, shared with procfs); the caller gives it the
// kernel state it shows (Options).
package sys
