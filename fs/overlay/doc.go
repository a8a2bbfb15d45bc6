// Package overlay is kite's overlay file system, as Linux's overlayfs: a
// writable upper file system (a tmpfs) stacked on one or more read-only
// lower file systems (hostfs, tmpfs, ext4), seen as one tree.
//
// Rules, as Linux's overlayfs without index, redirect_dir or metacopy:
//
//   - A name resolves in the upper layer first, then in each lower layer
//     top first. A non-directory hides everything below it; directories
//     of the same name in several layers merge, unless one is opaque.
//   - Removing a name that exists in a lower layer leaves a whiteout in
//     the upper layer: a character device 0/0 (Linux's representation),
//     or an internal marker when the upper file system cannot make device
//     nodes. A directory made where a whiteout was is opaque: it carries
//     trusted.overlay.opaque="y" (or an internal marker when the upper
//     layer has no extended attributes) and hides the lower layers below
//     it. Lower layers may hold whiteouts and opaque directories too.
//   - Changing a file of a lower layer copies it up first: data, mode,
//     owner, times and extended attributes, after its parent directories.
//     Opening for writing, truncating, chmod, chown, utimes, setxattr,
//     link and rename copy up (a copy-up for O_TRUNC or truncate copies
//     only the data that stays). A lower file changed through a
//     descriptor after its last name was removed is copied up to an
//     unlinked temporary in the upper root. Open descriptions of a lower
//     file move to the upper copy, so every reader sees the new data.
//     Lower layers are never written.
//   - Names of one lower file with several hard links stay one file after
//     a copy-up (as Linux with index=on; without it Linux breaks the link):
//     the VFS needs one inode value per file, so they share the copy.
//   - Renaming a directory that exists in a lower layer gives EXDEV (as
//     Linux without redirect_dir), so programs fall back to copying.
//   - Inode numbers: a file keeps the number it had where it was first
//     seen, also after copy-up; a lower layer's numbers have the layer's
//     index xored into bits 48-55 so they do not collide with the upper
//     layer's. The device number is the overlay's own (the VFS's).
//   - Directory listings are merged when the listing starts (offset 2)
//     and served from that snapshot, so offsets stay stable during a
//     getdents loop. Names trusted.overlay.* are hidden from xattr calls.
//   - statfs reports the upper layer, with OVERLAYFS_SUPER_MAGIC.
//   - Attribute flags (FS_IOC_GETFLAGS, FS_IOC_FSGETXATTR) are the
//     upper file's, else the lower file's (a hostfs layer's are the host
//     file's; a layer keeping none shows 0 where Linux gives ENOTTY).
//     FS_IOC_SETFLAGS copies up and sets them on the upper file. A
//     copy-up carries the sync, no-atime, immutable and append-only
//     flags of a regular file or directory over (Linux keeps the last
//     two in an xattr; kite's overlay changes its upper files past the
//     VFS's checks, so the upper file may hold them).
//
// New stacks whole file systems (kite run --overlay: a tmpfs on the
// host root); NewLayers stacks directories, and RegisterType makes
// mount -t overlay -o lowerdir=A:B,upperdir=U,workdir=W work from
// programs (without upperdir the overlay is read-only).
//
// The overlay calls the layers' inodes directly (not through their
// mounts, so mounts inside a layer are not seen, as on Linux). As on
// Linux, changing a layer behind the overlay's back while it is mounted
// is undefined: the overlay keeps its own record of each file (one inode
// value per file for the VFS's identity rule), and the VFS's cached names
// of an upper directory mounted elsewhere may lag behind the overlay's
// changes.
//
// Lock order: Filesystem.copyMu (copy-ups and namespace changes), then
// regularFile.mu or dirFile.mu (an open file's state), then inode.mu or
// Filesystem.mu (never both), then the layers' own locks. The overlay
// never calls back into the VFS's path operations (only its clock).
//
// It imports vfs and x/sys/unix only.
package overlay
