package vfs

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// Path-name sockets: bind(2) of a Unix socket makes an S_IFSOCK inode in
// whatever file system holds the name (one whose Mknod supports sockets)
// and records the socket's endpoint against that inode; connect(2) looks
// the endpoint up through the inode, so hard links and renames reach it.
// The VFS only keeps the association: the endpoint is the socket
// family's value.

// BindSocketAt makes an S_IFSOCK inode at path with the permission bits
// mode (before the umask) and binds ep to it. It gives mknod's errors,
// with EADDRINUSE when the name exists, as Linux's unix_bind_bsd.
func (v *VirtualFilesystem) BindSocketAt(ctx Context, fsc *FSContext, start Path, path string, mode uint32, ep any) (Path, error) {
	perm := mode & 0o777 &^ fsc.Umask()
	p, err := v.createPathAt(ctx, fsc, start, path, unix.S_IFSOCK, func(dir *Dentry, name string) (Inode, error) {
		return dir.inode.Mknod(ctx, name, unix.S_IFSOCK|perm, 0)
	})
	if err == unix.EEXIST {
		return Path{}, unix.EADDRINUSE
	}
	if err != nil {
		return Path{}, err
	}
	v.sockMu.Lock()
	if v.sockets == nil {
		v.sockets = make(map[Inode]any)
	}
	v.sockets[p.Dentry.inode] = ep
	v.sockMu.Unlock()
	return p, nil
}

// UnbindSocket forgets the endpoint bound to p's inode (the socket is
// closed), if it is still ep.
func (v *VirtualFilesystem) UnbindSocket(p Path, ep any) {
	v.sockMu.Lock()
	defer v.sockMu.Unlock()
	if cur, ok := v.sockets[p.Dentry.inode]; ok && cur == ep {
		delete(v.sockets, p.Dentry.inode)
	}
}

// SocketAt resolves path (following symbolic links) for connect(2) or
// sendto(2) and returns the endpoint bound to the socket inode there:
// the resolution's errors, EACCES without write permission on the
// inode, ECONNREFUSED when it is not a socket or no socket is bound to
// it, as Linux's unix_find_bsd.
func (v *VirtualFilesystem) SocketAt(ctx Context, fsc *FSContext, start Path, path string) (any, error) {
	p, err := v.GetPath(ctx, fsc, start, path, true)
	if err != nil {
		return nil, err
	}
	if err := v.permission(ctx, p.Dentry, auth.MayWrite); err != nil {
		return nil, err
	}
	if p.Dentry.typ != unix.S_IFSOCK {
		return nil, unix.ECONNREFUSED
	}
	v.sockMu.Lock()
	defer v.sockMu.Unlock()
	ep, ok := v.sockets[p.Dentry.inode]
	if !ok {
		return nil, unix.ECONNREFUSED
	}
	return ep, nil
}
