// Package block holds kite's block devices: disks over image files, as a
// Linux guest sees virtio disks (/dev/vda, /dev/vdb... with block major
// 254 and minors disk*16+partition), their MBR and GPT partition tables
// (/dev/vda1...), and the file operations and ioctls of an open block
// device (BLKGETSIZE64, BLKSSZGET, BLKROGET...).
//
// The images arrive already open (cmd/kite opens and locks them; host
// file access stays out of this package): a Backing is anything with
// ReadAt, WriteAt and Sync, such as an *os.File. Attach scans each
// image's partition table and numbers the devices; Register installs the
// driver of their device numbers in a VFS; MakeNodes makes the nodes in
// /dev; Lookup gives mount(2) (fs/ext4, fs/fat) the device behind a node.
//
// Locking: Disks.mu guards the device-number map (a leaf).
//
// block imports vfs and x/sys/unix.
package block
