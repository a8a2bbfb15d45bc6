// Package sys is kite's sysfs. For now it is a fixed tree of empty
// directories, read-only:
//
//	/sys/block /sys/bus /sys/class /sys/dev /sys/devices /sys/firmware
//	/sys/fs /sys/kernel /sys/module /sys/power
//
// so that programs that look for the usual top-level directories find
// them, and every file they look for inside is absent (ENOENT), as on a
// machine without that device or feature. Creating or removing anything
// fails with EPERM; attributes cannot be changed (EPERM). Later issues add
// real entries (CPU topology, memory, cgroup mount points).
//
// sys may import the standard library, golang.org/x/sys/unix and vfs; it
// reads no kernel state yet.
package sys
