// Package tmpfs is kite's in-memory file system: regular files (sparse,
// data in 4 KiB Go byte slices until the page cache arrives), directories
// with getdents offsets that stay valid across concurrent unlinks,
// symbolic links, hard links, and device, FIFO and socket nodes (their
// inodes exist; opening them goes through the vfs device and FIFO
// registries). It implements the vfs.Filesystem and vfs.Inode interfaces
// and imports vfs, auth and x/sys/unix only.
//
// Lock order: Filesystem.mu (namespace changes: create, link, unlink,
// rename), then inode.mu.
package tmpfs
