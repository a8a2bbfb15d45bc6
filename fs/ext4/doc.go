// Package ext4 reads (and, step by step, writes) ext2/ext3/ext4 file
// systems stored in an image file.
//
// It owns the on-disk format: the superblock, group descriptors, inodes,
// extent trees, indirect block maps, linear and hash-indexed (htree)
// directories, symlinks, inline data, extended attributes, the crc32c
// metadata checksums and the jbd2 journal superblock. The format types in
// layout.go are exported so that package image can write fresh images with
// the same definitions.
//
// The API works on inode numbers (Lookup, ReadDir, Stat, OpenFile, Readlink,
// Xattrs, Walk) so that a vfs.Filesystem adapter can be layered on top later
// without this package importing vfs. Corrupt metadata is reported as an
// error wrapping unix.EUCLEAN (never a panic); unsupported features are
// refused when the file system is opened.
//
// Imports: the standard library and golang.org/x/sys/unix only.
package ext4
