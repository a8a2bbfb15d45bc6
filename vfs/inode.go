package vfs

import (
	"golang.org/x/sys/unix"
)

// UserIO copies to and from the application memory of the task making a
// system call (for ioctl arguments). Both return the number of bytes
// copied and EFAULT when the range is not mapped.
type UserIO interface {
	CopyIn(addr uintptr, dst []byte) (int, error)
	CopyOut(addr uintptr, src []byte) (int, error)
}

// Stat is the attributes of an inode, as Linux's struct statx.
type Stat struct {
	Dev     uint64 // filled by the VFS; file systems leave it 0
	Ino     uint64
	Nlink   uint64
	Mode    uint32 // file type (S_IFMT bits) and permission bits
	UID     uint32
	GID     uint32
	Rdev    uint64 // for S_IFCHR and S_IFBLK: unix.Mkdev(major, minor)
	Size    int64
	Blksize int64
	Blocks  int64 // in 512-byte units
	Atime   unix.Timespec
	Mtime   unix.Timespec
	Ctime   unix.Timespec
	Btime   unix.Timespec // zero when the file system does not know it
}

// Type returns the S_IFMT bits of s.Mode.
func (s *Stat) Type() uint32 { return s.Mode & unix.S_IFMT }

// SetStat is a change of attributes. Mask says which fields to apply with
// the STATX_* bits: STATX_MODE (permission bits and S_ISUID/S_ISGID/S_ISVTX
// only; the type never changes), STATX_UID, STATX_GID, STATX_SIZE,
// STATX_ATIME, STATX_MTIME. Times are resolved (UTIME_NOW became the
// current time; UTIME_OMIT cleared the mask bit). The VFS has checked
// permissions. The file system updates ctime to Ctime on every SetStat
// (Ctime is the current time, always set).
type SetStat struct {
	Mask  uint32
	Mode  uint32
	UID   uint32
	GID   uint32
	Size  int64
	Atime unix.Timespec
	Mtime unix.Timespec
	Ctime unix.Timespec
}

// Statfs is the answer to statfs(2) for one file system.
type Statfs struct {
	Type    int64 // magic number, e.g. TMPFS_MAGIC
	Bsize   int64
	Blocks  uint64
	Bfree   uint64
	Bavail  uint64
	Files   uint64
	Ffree   uint64
	NameLen int64
	Frsize  int64
	Flags   int64 // ST_* bits; the VFS adds the mount's ST_RDONLY, ST_NOSUID...
}

// Dirent is one directory entry yielded by FileOperations.IterDirents.
type Dirent struct {
	Name string
	Ino  uint64
	Type uint8 // DT_* value
	// NextOff is the offset to resume at to get the entry after this
	// one (the value lseek/telldir report after reading it).
	NextOff int64
}

// DirentType returns the DT_* value for an S_IFMT file type.
func DirentType(mode uint32) uint8 {
	switch mode & unix.S_IFMT {
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFDIR:
		return unix.DT_DIR
	case unix.S_IFLNK:
		return unix.DT_LNK
	case unix.S_IFCHR:
		return unix.DT_CHR
	case unix.S_IFBLK:
		return unix.DT_BLK
	case unix.S_IFIFO:
		return unix.DT_FIFO
	case unix.S_IFSOCK:
		return unix.DT_SOCK
	}
	return unix.DT_UNKNOWN
}

// Filesystem is one instance of a file system (one tmpfs, one host
// directory tree, one procfs). It may be mounted any number of times; the
// VFS keeps one dentry tree and one device number per Filesystem value.
type Filesystem interface {
	// Name is the file-system type as /proc/mounts shows it ("tmpfs").
	Name() string
	// Root returns the root directory inode. It is called once, on the
	// first mount.
	Root(ctx Context) (Inode, error)
	// Statfs describes the file system for statfs(2).
	Statfs(ctx Context) (Statfs, error)
}

// BlockDeviceFilesystem is implemented by file systems mounted from a
// block device (ext4 on /dev/vda1): Device returns the device's number,
// which stat's st_dev and /proc/PID/mountinfo then show, as on Linux,
// instead of an anonymous one (major 0).
type BlockDeviceFilesystem interface {
	Device() uint64
}

// FilesystemSyncer is implemented by file systems that hold changes in
// memory for a while (ext4's running journal transaction): SyncFS makes
// them durable, for sync(2) and syncfs(2).
type FilesystemSyncer interface {
	SyncFS() error
}

// Inode is one file of a file system. See the package comment for what
// the VFS checks before calling each method. Implementations embed
// InodeDefaults.
type Inode interface {
	// Stat returns the inode's attributes (Dev is filled by the VFS).
	Stat(ctx Context) (Stat, error)
	// SetStat changes attributes (chmod, chown, truncate, utimes).
	// Truncating a directory is rejected by the VFS (EISDIR).
	SetStat(ctx Context, s *SetStat) error
	// Open returns the operations of a new open file description. flags
	// are the open(2) flags (access mode, O_APPEND, O_NONBLOCK, O_TRUNC
	// already applied by the VFS through SetStat). It is not called for
	// O_PATH opens, symbolic links, devices or FIFOs (those go through
	// the VFS's registries).
	Open(ctx Context, flags int) (FileOperations, error)

	// Lookup returns the child called name, or ENOENT. name is never "",
	// "." or "..".
	Lookup(ctx Context, name string) (Inode, error)
	// Create makes a regular file; mode is the permission bits (umask
	// already applied). EEXIST if name exists.
	Create(ctx Context, name string, mode uint32) (Inode, error)
	// Mkdir makes a directory; mode is the permission bits (umask
	// applied, S_ISVTX kept).
	Mkdir(ctx Context, name string, mode uint32) (Inode, error)
	// Mknod makes a device, FIFO or socket inode; mode includes the type.
	Mknod(ctx Context, name string, mode uint32, rdev uint64) (Inode, error)
	// Symlink makes a symbolic link with the given target.
	Symlink(ctx Context, name, target string) (Inode, error)
	// Link adds name as a new hard link to target, an inode of the same
	// file system that is not a directory.
	Link(ctx Context, name string, target Inode) error
	// Unlink removes name, which refers to child (not a directory).
	Unlink(ctx Context, name string, child Inode) error
	// Rmdir removes the directory name, which refers to child; ENOTEMPTY
	// if it has entries.
	Rmdir(ctx Context, name string, child Inode) error
	// Rename moves oldName (child) of this directory to newName in newDir
	// (an inode of the same file system). replaced is the inode newName
	// refers to now, or nil. flags are RENAME_NOREPLACE and
	// RENAME_EXCHANGE (RENAME_EXCHANGE: replaced is not nil and the two
	// swap). The VFS checked types and the subdirectory rule; the file
	// system checks that a replaced directory is empty (ENOTEMPTY) and
	// fixes up ".." link counts.
	Rename(ctx Context, oldName string, child Inode, newDir Inode, newName string, replaced Inode, flags uint32) error

	// Readlink returns a symbolic link's target.
	Readlink(ctx Context) (string, error)
}

// MagicLink is implemented by symbolic-link inodes that resolve to a VFS
// location rather than a string (proc's /proc/self/fd/N, /proc/self/cwd,
// /proc/self/exe). Path resolution calls GetLink without VFS locks held.
// Readlink still gives the text readlink(2) reports.
type MagicLink interface {
	GetLink(ctx Context) (Path, error)
}

// Reopener is implemented by inodes of files that exist only while open
// and that a path reaches only through a magic link (/proc/PID/fd/N,
// /dev/stdin), such as kite's host stdio console: opening one again calls
// Reopen for the operations of the new open file, which reads and writes
// the same object. (An anonymous pipe needs none: it is a FIFO inode, and
// package pipe's FIFO opener gives it a new end of its own pipe.)
type Reopener interface {
	Reopen(ctx Context, flags int) (FileOperations, error)
}

// DeviceInode is implemented by device nodes that open their own driver
// instead of the registry's for their rdev: the nodes of a devpts
// instance, whose numbers repeat from one instance to the next.
type DeviceInode interface {
	OpenDevice(ctx Context, flags int) (FileOperations, error)
}

// Revalidator is implemented by directory inodes whose cached children may
// go stale. Before using a cached child the VFS asks Revalidate; false
// drops the child from the cache (unless something is mounted on it) and
// looks name up again.
type Revalidator interface {
	Revalidate(ctx Context, name string, child Inode) bool
}

// PermissionChecker is implemented by inodes that decide access
// themselves instead of by mode, owner and group. want is auth.MayRead,
// MayWrite, MayExec bits. Return EACCES or EPERM to deny.
type PermissionChecker interface {
	Permission(ctx Context, want int) error
}

// InodeDefaults answers every Inode method with the errno Linux gives for
// an inode that does not support it. Embed it and override.
type InodeDefaults struct{}

// Stat implements Inode.Stat.
func (InodeDefaults) Stat(Context) (Stat, error) { return Stat{}, unix.EIO }

// SetStat implements Inode.SetStat.
func (InodeDefaults) SetStat(Context, *SetStat) error { return unix.EPERM }

// Open implements Inode.Open.
func (InodeDefaults) Open(Context, int) (FileOperations, error) { return nil, unix.ENXIO }

// Lookup implements Inode.Lookup.
func (InodeDefaults) Lookup(Context, string) (Inode, error) { return nil, unix.ENOTDIR }

// Create implements Inode.Create.
func (InodeDefaults) Create(Context, string, uint32) (Inode, error) { return nil, unix.EPERM }

// Mkdir implements Inode.Mkdir.
func (InodeDefaults) Mkdir(Context, string, uint32) (Inode, error) { return nil, unix.EPERM }

// Mknod implements Inode.Mknod.
func (InodeDefaults) Mknod(Context, string, uint32, uint64) (Inode, error) {
	return nil, unix.EPERM
}

// Symlink implements Inode.Symlink.
func (InodeDefaults) Symlink(Context, string, string) (Inode, error) { return nil, unix.EPERM }

// Link implements Inode.Link.
func (InodeDefaults) Link(Context, string, Inode) error { return unix.EPERM }

// Unlink implements Inode.Unlink.
func (InodeDefaults) Unlink(Context, string, Inode) error { return unix.EPERM }

// Rmdir implements Inode.Rmdir.
func (InodeDefaults) Rmdir(Context, string, Inode) error { return unix.EPERM }

// Rename implements Inode.Rename.
func (InodeDefaults) Rename(Context, string, Inode, Inode, string, Inode, uint32) error {
	return unix.EPERM
}

// Readlink implements Inode.Readlink.
func (InodeDefaults) Readlink(Context) (string, error) { return "", unix.EINVAL }
