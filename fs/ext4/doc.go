// Package ext4 reads and writes ext2/ext3/ext4 file systems stored in an
// image file.
//
// It owns the on-disk format: the superblock, group descriptors (32- and
// 64-bit), inodes, extent trees, indirect block maps (read and delete),
// linear and hash-indexed (htree) directories, symlinks, inline data
// (read), extended attributes, the crc32c metadata checksums and the jbd2
// journal. The format types in layout.go are exported so that package
// image writes fresh images with the same definitions.
//
// Open gives a read-only file system (a journal that needs recovery is
// replayed into memory); OpenRW a writable one (recovery is replayed into
// the image). The API works on inode numbers, independent of the VFS:
//
//	reading: Stat, Lookup, ReadDir, IterDir, Walk, ReadAt, OpenFile,
//	         Readlink, Xattrs, Statfs
//	writing: Create, CreateTmpfile, Mknod, Mkdir, Symlink, Link, Unlink, Rmdir, Rename,
//	         Exchange, WriteAt, Truncate, Allocate (fallocate), SetAttr,
//	         SetXattr, RemoveXattr,
//	         Hold/Release (open inodes survive their last unlink on the
//	         orphan list), Close
//
// Write operations join one running journal transaction that is
// committed (logged with device barriers, then written in place) every 5
// seconds, on Sync and at Close, as jbd2 does; file data is written in
// place before the commit (ordered mode): the data of small writes waits
// in memory and goes in place in batches (databuf.go), at the latest
// before the commit. Blocks and inodes are allocated from the
// bitmaps with group descriptor and superblock counts kept exact. Writing
// is refused (EROFS, or an "unsupported" EINVAL error) for features whose
// upkeep is not implemented: quota, project ids, bigalloc, mmp, orphan
// files, inline-data and indirect-mapped inodes. OpenRW deletes the
// orphans a crash left behind.
//
// Corrupt metadata is reported as an error wrapping unix.EUCLEAN (never a
// panic); unsupported incompatible features are refused when the file
// system is opened.
//
// The vfs adapter (vfs*.go) adapts an FS to kite's VFS: NewFilesystem
// (or OpenImage for an image file) gives a vfs.Filesystem whose inodes
// are the value {filesystem, inode number}, so the same file always
// compares equal; RegisterType makes "ext4" (and ext2, ext3) mountable
// with mount(2) on a block device (vfs_mount.go).
//
// Locking, outermost first: Mounts.mu (the file systems mount(2) opened),
// then FS.mu (an RWMutex: writers hold it for writing, readers for
// reading), then tx.mu (the running transaction's block map; under it
// the frozen one's, which a commit writes with FS.mu released, the
// committing flag under FS.mu keeping other commits out), then
// blockCache.mu (the metadata cache, a leaf). inodeCache.mu (decoded
// inodes), dataBuf.mu (buffered file data) and the adapter's Filesystem.flushMu (its background writeback
// timer) are leaves too. The vfs
// adapter takes FS's locks through FS's methods only.
//
// Imports: the standard library, golang.org/x/sys/unix and (for the
// adapter only) vfs.
package ext4
