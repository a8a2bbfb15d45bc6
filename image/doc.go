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
// A Spec (LoadSpec, ParseSpec) is the declarative form read by `kite
// image build SPEC.toml`: base layers, groups and users merged into
// /etc/passwd and /etc/group, directories, files, symlinks, hard links,
// host programs and the default command and environment (Config, stored
// at ConfigPath). Spec.Tree makes its Tree; the format, with an example,
// is in docs/image-spec.md.
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
// Imports: the standard library, golang.org/x/sys/unix,
// github.com/klauspost/compress/zstd, github.com/BurntSushi/toml and
// fs/ext4 (for the on-disk format definitions).
package image
