package vfs

import (
	"time"

	"golang.org/x/sys/unix"
)

// hiddenRootFS stands for Linux's rootfs, the mount at the bottom of every
// mount namespace that no process normally sees. kite's namespaces have
// none: their root mount is the root the processes see. When that mount
// is lazily unmounted (umount2("/", MNT_DETACH), which Linux allows
// because the root sits on rootfs), the namespace gets a mount of this
// file system, one empty read-only directory, as its new root: the
// processes keep the detached tree they were in, and a process that
// enters the namespace (setns) finds it empty.
type hiddenRootFS struct {
	root *hiddenRootDir
}

func newHiddenRootFS(now time.Time) *hiddenRootFS {
	return &hiddenRootFS{root: &hiddenRootDir{time: unix.NsecToTimespec(now.UnixNano())}}
}

// Name implements Filesystem.
func (*hiddenRootFS) Name() string { return "rootfs" }

// Root implements Filesystem.
func (f *hiddenRootFS) Root(Context) (Inode, error) { return f.root, nil }

// Statfs implements Filesystem: Linux's rootfs is a ramfs.
func (*hiddenRootFS) Statfs(Context) (Statfs, error) {
	return Statfs{Type: 0x858458f6 /* RAMFS_MAGIC */, Bsize: 4096, Frsize: 4096, NameLen: NameMax}, nil
}

// hiddenRootDir is hiddenRootFS's root: an empty directory.
type hiddenRootDir struct {
	InodeDefaults
	time unix.Timespec
}

// Stat implements Inode.
func (d *hiddenRootDir) Stat(Context) (Stat, error) {
	return Stat{Ino: 1, Mode: unix.S_IFDIR | 0o755, Nlink: 2, Blksize: 4096, Atime: d.time, Mtime: d.time, Ctime: d.time}, nil
}

// Lookup implements Inode.
func (*hiddenRootDir) Lookup(Context, string) (Inode, error) { return nil, unix.ENOENT }

// Open implements Inode.
func (*hiddenRootDir) Open(Context, int) (FileOperations, error) { return hiddenRootFile{}, nil }

// hiddenRootFile lists the empty directory.
type hiddenRootFile struct{ FileDefaults }

// Read implements FileOperations.
func (hiddenRootFile) Read(Context, *File, []byte, int64) (int, error) { return 0, unix.EISDIR }

// IterDirents implements FileOperations.
func (hiddenRootFile) IterDirents(Context, *File, int64, func(Dirent) bool) error { return nil }

// Seek implements FileOperations.
func (hiddenRootFile) Seek(_ Context, _ *File, cur, off int64, whence int) (int64, error) {
	return GenericSeek(cur, 0, off, whence)
}

// hiddenRootFS returns v's hidden root file system, made at the first
// call.
func (v *VirtualFilesystem) hiddenRootFS() *fsState {
	now := v.Now()
	v.mountMu.Lock()
	defer v.mountMu.Unlock()
	if v.hiddenRoot == nil {
		v.hiddenRoot = v.fsStateLocked(newHiddenRootFS(now))
	}
	return v.hiddenRoot
}

// detachNamespaceRootLocked lazily unmounts m, the root mount of its
// namespace, with every mount below it, and gives the namespace a
// mount of the hidden root (at) in its place.
//
// Preconditions: v.mountMu is held; m is its namespace's root; at is a
// root dentry of v.hiddenRoot.
func (v *VirtualFilesystem) detachNamespaceRootLocked(m *Mount, at *Dentry) error {
	if m.locked {
		return unix.EINVAL
	}
	ns := m.ns
	byParent := v.childrenByParentLocked()
	for _, c := range byParent[m] {
		if c.parent == m {
			v.umountTreeLocked(c, true)
		}
	}
	v.changePropagationLocked(m, unix.MS_PRIVATE)
	m.ns = nil
	v.mountSeq++
	ns.root = &Mount{vfs: v, fs: v.hiddenRoot, root: at, flags: MountReadOnly, seq: v.mountSeq, ns: ns}
	return nil
}
