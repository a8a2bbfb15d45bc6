// Package image builds ext4 root-file-system images without privileges,
// loop devices or external tools.
//
// A build has two steps: collect a Tree — from a host directory
// (FromDir), a tarball, plain, gzip or zstd (FromTar), an OCI image layout with
// its layers and whiteouts (FromOCILayout, ApplyLayer), host programs with
// the shared libraries they need (Tree.AddHostProgram), or node by node
// (Tree.Add, AddBytes, Link) — then lay it out as a fresh ext4 file system
// with Build or BuildFile. OpenSource picks the reader for a path.
//
// The image has a clean jbd2 journal, extent-mapped files, htree
// directories, in-inode and block xattrs, crc32c metadata checksums and
// the usual mke2fs feature set (64bit, extents, dir_index, metadata_csum,
// huge_file, dir_nlink, extra_isize), so Linux, e2fsck and package fs/ext4
// accept it; an empty Tree gives an empty file system of Options.Size.
// Builds are reproducible: the UUID and directory hash seed are derived
// from the tree unless given, inode numbers follow sorted names, and inode
// times come from the sources (access times are set to modification times
// for host directories).
//
// Not yet: host xattrs of directory sources.
//
// Imports: the standard library, golang.org/x/sys/unix,
// github.com/klauspost/compress/zstd and fs/ext4 (for the on-disk format
// definitions).
package image
