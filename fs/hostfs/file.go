package hostfs

import (
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// NewFile passes the single host file hostFile (trusted configuration,
// resolved by the host normally) through as a tree whose root is that
// file: a container's bind mount of a host file (/etc/hosts,
// /etc/resolv.conf) mounts it over a file. The tree holds the O_PATH fd
// of the file's directory and reaches the file by name from it, as any
// other non-directory; nothing else of the directory is reachable. With
// writable, writes reach the host file.
func NewFile(hostFile string, writable bool) (*Filesystem, error) {
	real, err := filepath.EvalSymlinks(hostFile)
	if err != nil {
		return nil, err
	}
	dir, name := filepath.Split(real)
	if !validName(name) {
		return nil, unix.EINVAL
	}
	newFS := New
	if writable {
		newFS = NewWritable
	}
	fs, err := newFS(dir)
	if err != nil {
		return nil, err
	}
	fs.rootName = name
	return fs, nil
}

// fileRoot is Root for a tree made with NewFile: the file, found in the
// directory the tree holds.
func (fs *Filesystem) fileRoot(ctx vfs.Context, dir *inode) (vfs.Inode, error) {
	child, err := dir.Lookup(ctx, fs.rootName)
	if err != nil {
		return nil, err
	}
	if child.(*inode).typ == unix.S_IFDIR {
		return nil, unix.ENOTDIR
	}
	return child, nil
}
