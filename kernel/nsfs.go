package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// nsfs is the pseudo file system of namespace files: what
// /proc/PID/ns/X opens, setns takes, and whose inode numbers compare
// equal for one namespace.
type nsfs struct{ _ byte }

// nsfsMagic is NSFS_MAGIC.
const nsfsMagic = 0x6e736673

// Root implements vfs.Filesystem; nsfs is never mounted.
func (*nsfs) Root(vfs.Context) (vfs.Inode, error) { return nil, unix.EINVAL }

// Statfs implements vfs.Filesystem.
func (*nsfs) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: nsfsMagic, Bsize: 4096, NameLen: vfs.NameMax, Frsize: 4096}, nil
}

// nsInode is one namespace's file.
type nsInode struct {
	vfs.InodeDefaults
	ns Namespace
}

// Stat implements vfs.Inode.
func (i *nsInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Ino: i.ns.Inode(), Mode: unix.S_IFREG | 0o444, Nlink: 1, Blksize: 4096}, nil
}

// Open implements vfs.Inode.
func (i *nsInode) Open(vfs.Context, int) (vfs.FileOperations, error) { return &nsFile{}, nil }

// nsFile is an open namespace file: it can be held and passed to setns,
// not read.
type nsFile struct{ vfs.FileDefaults }

// NamespaceFile opens a file for namespace kind of t (O_RDONLY), as
// opening /proc/PID/ns/X does.
func (t *Task) NamespaceFile(ctx vfs.Context, kind string) (*vfs.File, error) {
	ns, ok := t.NamespaceOf(kind)
	if !ok {
		return nil, unix.ENOENT
	}
	in := &nsInode{ns: ns}
	return t.k.vfs.NewPseudoFile(ctx, t.k.nsfs, NamespaceLink(ns), in, &nsFile{}, unix.O_RDONLY)
}

// NamespaceLink implements proc.NamespaceProcess: the nsfs location of
// namespace kind of the process and the link's text.
func (t *Task) NamespaceLink(ctx vfs.Context, kind string) (vfs.Path, string, error) {
	f, err := t.NamespaceFile(ctx, kind)
	if err != nil {
		return vfs.Path{}, "", err
	}
	defer f.DecRef(ctx)
	ns := f.Inode().(*nsInode).ns
	return f.Path(), NamespaceLink(ns), nil
}

// NamespaceOfFile returns the namespace an nsfs file stands for.
func NamespaceOfFile(f *vfs.File) (Namespace, bool) {
	in, ok := f.Inode().(*nsInode)
	if !ok {
		return nil, false
	}
	return in.ns, true
}

// Name implements vfs.Filesystem.
func (*nsfs) Name() string { return "nsfs" }
