// Package fat reads and writes FAT12, FAT16 and FAT32 file systems with
// VFAT long names, stored in an image file.
//
// It owns the on-disk format: the boot sector's BIOS parameter block, the
// FAT copies, directory entries with their long-name (LFN) chains, 8.3
// alias generation and the FAT32 FSInfo sector. The API is path based
// (ReadDir, Stat, ReadAt, ReadFile, WriteAt, Truncate, Create, Mkdir,
// Remove, Rename, SetTimes, SetReadOnly, FreeClusters), independent of
// the VFS. Names are matched case-insensitively, as FAT does, and stored
// case-preserving. Corrupt metadata gives errors wrapping
// unix.EUCLEAN, never a panic.
//
// vfs.go adapts an FS to kite's VFS with Linux vfat's behaviour
// (NewFilesystem; RegisterType for mount -t vfat of a block device).
//
// Locking: Mounts.mu (the file systems mount(2) opened) comes before
// FS.mu (an RWMutex: writers hold it for writing, readers for reading).
// The adapter's Filesystem.mu (its inode records) is a leaf: it is never
// held while calling FS, whose lock it therefore never nests with.
//
// Imports: the standard library, golang.org/x/sys/unix and (for the
// adapter only) vfs and auth (tests).
package fat
