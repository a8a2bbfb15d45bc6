// Package image builds ext4 root-file-system images without privileges,
// loop devices or external tools.
//
// A build has two steps: collect a Tree (from a host directory with
// FromDir, from a tarball with FromTar, or node by node with Tree.Add),
// then lay it out as a fresh ext4 file system with Build. The image has a
// journal (empty, clean), extent-mapped files, crc32c metadata checksums
// and the usual mke2fs feature set, so Linux, e2fsck and package fs/ext4
// accept it. Builds are reproducible: the UUID and directory hash seed are
// derived from the tree unless given, inode numbers follow sorted names,
// and the inode times come from the sources.
//
// Imports: the standard library, golang.org/x/sys/unix and fs/ext4 (for
// the on-disk format definitions).
package image
