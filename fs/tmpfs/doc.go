// Package tmpfs is kite's in-memory file system: regular files (sparse;
// their data lives in a vfs.Pages object, which the kernel allocates in
// its memory file, so the pages are the file's page cache and mmap maps
// them; memfd seals are kept here), directories
// with getdents offsets that stay valid across concurrent unlinks,
// symbolic links, hard links, and device, FIFO and socket nodes (their
// inodes exist; opening them goes through the vfs device and FIFO
// registries). It implements the vfs.Filesystem and vfs.Inode interfaces
// and imports vfs, auth and x/sys/unix only.
//
// Lock order: Filesystem.mu (namespace changes: create, link, unlink,
// rename), then inode.mu, then the locks of the file's Pages (which, when
// truncating or punching, take the lock of each address space mapping
// them; no address space calls into tmpfs under its lock).
package tmpfs
