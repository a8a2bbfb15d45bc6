package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
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
	k  *Kernel
	ns Namespace
}

// Stat implements vfs.Inode.
func (i *nsInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Ino: i.ns.Inode(), Mode: unix.S_IFREG | 0o444, Nlink: 1, Blksize: 4096}, nil
}

// Open implements vfs.Inode.
func (i *nsInode) Open(vfs.Context, int) (vfs.FileOperations, error) { return newNSFile(i), nil }

// Unmounted implements vfs.UnmountNotifier: a network or mount
// namespace whose bind mount went may have no user left.
func (i *nsInode) Unmounted() {
	switch n := i.ns.(type) {
	case *NetNamespace:
		go i.k.netNamespaceIdle(n)
	case *MountNamespace:
		if n.VFS != nil {
			go n.VFS.ReleaseIfUnused()
		}
	}
}

// MayBind implements vfs.PseudoBindable: a namespace file may be bound
// (ip netns add), but a mount namespace's only into an older mount
// namespace than itself, so that no two namespaces keep each other
// alive (Linux's mnt_ns_loop: namespaces are ordered by creation, as
// their inode numbers are).
func (i *nsInode) MayBind(ctx vfs.Context) error {
	m, ok := i.ns.(*MountNamespace)
	if !ok {
		return nil
	}
	t := i.k.TaskByID(ctx.ThreadID())
	if t == nil || t.Namespaces() == nil {
		return unix.EINVAL
	}
	if t.Namespaces().Mount.Inode() >= m.Inode() {
		return unix.EINVAL
	}
	return nil
}

// Pins implements vfs.MountNamespacePinner: a bind mount of a mount
// namespace's file keeps its tree mounted.
func (i *nsInode) Pins(ns *vfs.MountNamespace) bool {
	m, ok := i.ns.(*MountNamespace)
	return ok && m.VFS == ns
}

// newNSFile returns an open file of in: a mount namespace's file keeps
// its tree mounted and a network namespace's its stack running while it
// is open.
func newNSFile(in *nsInode) *nsFile {
	switch n := in.ns.(type) {
	case *MountNamespace:
		if n.VFS != nil {
			n.VFS.IncRef()
		}
	case *NetNamespace:
		n.Stack.IncRef()
	}
	return &nsFile{in: in}
}

// nsFile is an open namespace file: it can be held and passed to setns,
// not read.
type nsFile struct {
	vfs.FileDefaults
	in *nsInode
}

// ioctl(2) requests of namespace files (linux/nsfs.h).
const (
	nsGetUserNS   = 0xb701
	nsGetParent   = 0xb702
	nsGetNSType   = 0xb703
	nsGetOwnerUID = 0xb704
)

// Ioctl implements vfs.FileOperations: NS_GET_USERNS and NS_GET_PARENT
// open the owning user namespace or the parent user or PID namespace
// (visible only if it is the caller's or below it), NS_GET_NSTYPE names the kind, NS_GET_OWNER_UID
// gives a user namespace's creator.
func (n *nsFile) Ioctl(ctx vfs.Context, _ *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	t := n.in.k.TaskByID(ctx.ThreadID())
	if t == nil {
		return 0, unix.ENOTTY
	}
	ns := n.in.ns
	un, isUser := ns.(userNamespace)
	switch cmd {
	case nsGetNSType:
		return uintptr(ns.CloneFlag()), nil
	case nsGetOwnerUID:
		if !isUser {
			return 0, unix.EINVAL
		}
		var b [4]byte
		uid := t.UID(un.ns.Owner())
		b[0], b[1], b[2], b[3] = byte(uid), byte(uid>>8), byte(uid>>16), byte(uid>>24)
		if _, err := io.CopyOut(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		return 0, nil
	case nsGetParent:
		if pn, ok := ns.(*PIDNamespace); ok {
			// A PID namespace's parent is shown only if it is the
			// caller's own or lies below it.
			if pn.parent == nil || !t.pidns.IsAncestorOf(pn.parent) {
				return 0, unix.EPERM
			}
			return n.in.k.installNSFile(ctx, t, pn.parent)
		}
		fallthrough
	case nsGetUserNS:
		var target *auth.UserNamespace
		switch {
		case cmd == nsGetParent && !isUser:
			return 0, unix.EINVAL
		case isUser:
			target = un.ns.Parent()
		default:
			target = ns.Owner()
		}
		if target == nil || !t.UserNamespace().IsAncestorOf(target) {
			return 0, unix.EPERM
		}
		return n.in.k.installNSFile(ctx, t, userNamespace{target})
	}
	return 0, unix.ENOTTY
}

// installNSFile opens ns's nsfs file in t's fd table (close-on-exec).
func (k *Kernel) installNSFile(ctx vfs.Context, t *Task, ns Namespace) (uintptr, error) {
	in := &nsInode{k: k, ns: ns}
	f, err := k.vfs.NewPseudoFile(ctx, k.nsfs, NamespaceLink(ns), in, newNSFile(in), unix.O_RDONLY)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(ctx)
	fd, err := t.FDTable().NewFD(0, f, unix.FD_CLOEXEC)
	return uintptr(fd), err
}

// NamespaceFile opens a file for namespace kind of t (O_RDONLY), as
// opening /proc/PID/ns/X does.
func (t *Task) NamespaceFile(ctx vfs.Context, kind string) (*vfs.File, error) {
	ns, ok := t.NamespaceOf(kind)
	if !ok {
		return nil, unix.ENOENT
	}
	in := &nsInode{k: t.k, ns: ns}
	return t.k.vfs.NewPseudoFile(ctx, t.k.nsfs, NamespaceLink(ns), in, newNSFile(in), unix.O_RDONLY)
}

// Release implements vfs.FileOperations: it drops what newNSFile took.
func (n *nsFile) Release(vfs.Context) {
	switch ns := n.in.ns.(type) {
	case *MountNamespace:
		if ns.VFS != nil {
			ns.VFS.DecRef()
		}
	case *NetNamespace:
		ns.Stack.DecRef()
	}
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
