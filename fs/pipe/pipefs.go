package pipe

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// pipefsMagic is PIPEFS_MAGIC.
const pipefsMagic = 0x50495045

// pipefs is the pseudo file system of anonymous pipes. It is never
// mounted; the VFS gives it one device number.
type pipefs struct{}

func (pipefs) Name() string                        { return "pipefs" }
func (pipefs) Root(vfs.Context) (vfs.Inode, error) { return nil, unix.EINVAL }
func (pipefs) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: pipefsMagic, Bsize: pageSize, NameLen: vfs.NameMax, Frsize: pageSize}, nil
}

// anonInode is the inode of an anonymous pipe: both ends fstat to it, and
// opening it again (through /proc/PID/fd/N or /dev/stdin) gives another
// end of the same pipe, as Linux's inode->i_pipe.
type anonInode struct {
	vfs.InodeDefaults
	v *vfs.VirtualFilesystem
	p *Pipe

	// mu guards st.
	mu sync.Mutex
	st vfs.Stat
}

// Stat implements vfs.Inode.
func (i *anonInode) Stat(vfs.Context) (vfs.Stat, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.st, nil
}

// SetStat implements vfs.Inode (fchmod, fchown and futimens on a pipe).
func (i *anonInode) SetStat(_ vfs.Context, req *vfs.SetStat) error {
	i.mu.Lock()
	defer i.mu.Unlock()
	if req.Mask&unix.STATX_SIZE != 0 {
		return unix.EINVAL
	}
	if req.Mask&unix.STATX_MODE != 0 {
		i.st.Mode = i.st.Mode&unix.S_IFMT | req.Mode&^unix.S_IFMT
	}
	if req.Mask&unix.STATX_UID != 0 {
		i.st.UID = req.UID
	}
	if req.Mask&unix.STATX_GID != 0 {
		i.st.GID = req.GID
	}
	if req.Mask&unix.STATX_ATIME != 0 {
		i.st.Atime = req.Atime
	}
	if req.Mask&unix.STATX_MTIME != 0 {
		i.st.Mtime = req.Mtime
	}
	i.st.Ctime = req.Ctime
	return nil
}

// touchWrite updates mtime and ctime after a write, as pipe_write's
// file_update_time.
func (i *anonInode) touchWrite() {
	now := i.v.NowTimespec()
	i.mu.Lock()
	i.st.Mtime, i.st.Ctime = now, now
	i.mu.Unlock()
}

// New creates a pipe (pipe2) and returns its read and write ends. flags
// may hold O_NONBLOCK (both ends) and O_DIRECT (the write end: packet
// mode); the caller has rejected other flags.
func New(ctx vfs.Context, v *vfs.VirtualFilesystem, flags int) (r, w *vfs.File, err error) {
	creds := ctx.Credentials()
	now := v.NowTimespec()
	ino := &anonInode{v: v, st: vfs.Stat{
		Ino:     v.NewInodeNumber(),
		Nlink:   1,
		Mode:    unix.S_IFIFO | 0o600,
		UID:     creds.FSUID,
		GID:     creds.FSGID,
		Blksize: pageSize,
		Atime:   now,
		Mtime:   now,
		Ctime:   now,
	}}
	p := newPipe()
	p.readers, p.writers = 1, 1
	p.rCounter, p.wCounter = 1, 1
	p.files = 2
	p.onWrite = ino.touchWrite
	ino.p = p
	name := fmt.Sprintf("pipe:[%d]", ino.st.Ino)
	r, err = v.NewPseudoFile(ctx, pipefs{}, name, ino, &File{p: p, reader: true}, unix.O_RDONLY|flags&unix.O_NONBLOCK)
	if err != nil {
		return nil, nil, err
	}
	w, err = v.NewPseudoFile(ctx, pipefs{}, name, ino, &File{p: p, writer: true}, unix.O_WRONLY|flags&(unix.O_NONBLOCK|unix.O_DIRECT))
	if err != nil {
		r.DecRef(ctx)
		return nil, nil, err
	}
	return r, w, nil
}
