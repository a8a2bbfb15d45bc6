package net

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// sockfsMagic is SOCKFS_MAGIC.
const sockfsMagic = 0x534F434B

// sockfs is the pseudo file system of sockets: never mounted, one device
// number.
type sockfs struct{}

func (sockfs) Name() string                        { return "sockfs" }
func (sockfs) Root(vfs.Context) (vfs.Inode, error) { return nil, unix.EINVAL }
func (sockfs) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: sockfsMagic, Bsize: 4096, NameLen: vfs.NameMax, Frsize: 4096}, nil
}

// inode is a socket's inode: S_IFSOCK, mode 0777, owned by its creator.
type inode struct {
	vfs.InodeDefaults

	// mu guards st.
	mu sync.Mutex
	st vfs.Stat
}

// Stat implements vfs.Inode.
func (i *inode) Stat(vfs.Context) (vfs.Stat, error) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.st, nil
}

// SetStat implements vfs.Inode (fchmod and fchown of a socket).
func (i *inode) SetStat(_ vfs.Context, req *vfs.SetStat) error {
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

// File is the file operations of a socket.
type File struct {
	vfs.StreamFile
	stack *Stack
	so    Socket
	ino   uint64
}

// NewFile wraps so in a new socket file on sockfs (with O_NONBLOCK when
// nonblock). The file owns so: its release releases so.
func (s *Stack) NewFile(ctx vfs.Context, so Socket, nonblock bool) (*vfs.File, error) {
	creds := ctx.Credentials()
	ino := &inode{st: vfs.Stat{
		Ino:     s.v.NewInodeNumber(),
		Nlink:   1,
		Mode:    unix.S_IFSOCK | 0o777,
		UID:     creds.FSUID,
		GID:     creds.FSGID,
		Blksize: 4096,
	}}
	flags := unix.O_RDWR
	if nonblock {
		flags |= unix.O_NONBLOCK
	}
	sf := &File{stack: s, so: so, ino: ino.st.Ino}
	s.IncRef()
	f, err := s.v.NewPseudoFile(ctx, sockfs{}, fmt.Sprintf("socket:[%d]", ino.st.Ino), ino, sf, flags)
	if err != nil {
		so.Release(ctx)
		s.DecRef()
		return nil, err
	}
	so.SetFile(f, ino.st.Ino)
	return f, nil
}

// Of returns the socket behind f, or nil (ENOTSOCK) if f is not a
// socket.
func Of(f *vfs.File) *File {
	sf, _ := f.Ops().(*File)
	return sf
}

// Socket returns the family's socket.
func (f *File) Socket() Socket { return f.so }

// Listen is listen(2): as Linux's __sys_listen, a backlog beyond the
// namespace's net.core.somaxconn (or negative) is clamped to it before
// the family sees it.
func (f *File) Listen(ctx Context, backlog int) error {
	if m := f.stack.Somaxconn(); uint(backlog) > uint(m) {
		backlog = m
	}
	return f.so.Listen(ctx, backlog)
}

// Stack returns the stack the socket belongs to.
func (f *File) Stack() *Stack { return f.stack }

// Inode returns the socket's inode number.
func (f *File) Inode() uint64 { return f.ino }

// Release implements vfs.FileOperations: the socket goes, and with it
// its hold on the stack.
func (f *File) Release(ctx vfs.Context) {
	f.so.Release(ctx)
	f.stack.DecRef()
}

// sliceSink and sliceSource copy to and from kernel buffers.
func sliceSink(dst []byte) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n := copy(dst, b)
		dst = dst[n:]
		return n, nil
	}
}

func sliceSource(src []byte) func([]byte) (int, error) {
	return func(b []byte) (int, error) {
		n := copy(b, src)
		src = src[n:]
		return n, nil
	}
}

// Read implements vfs.FileOperations: recv with no flags.
func (f *File) Read(ctx vfs.Context, vf *vfs.File, dst []byte, _ int64) (int, error) {
	n, err := f.ReadToSink(ctx, vf, int64(len(dst)), sliceSink(dst))
	return int(n), err
}

// Write implements vfs.FileOperations: send with no flags.
func (f *File) Write(ctx vfs.Context, vf *vfs.File, src []byte, _ int64) (int, error) {
	n, err := f.WriteFromSource(ctx, vf, int64(len(src)), sliceSource(src))
	return int(n), err
}

// ReadToSink implements vfs.StreamReader: read(2) and readv(2).
func (f *File) ReadToSink(ctx vfs.Context, vf *vfs.File, n int64, sink func([]byte) (int, error)) (int64, error) {
	return f.readTo(ctx, vf, n, sink, nil)
}

// ReadToUserBuffer implements vfs.UserStreamReader: read(2), whose
// buffer the socket may receive into in place.
func (f *File) ReadToUserBuffer(ctx vfs.Context, vf *vfs.File, n int64, ub vfs.UserBuffer) (int64, error) {
	return f.readTo(ctx, vf, n, userSink(ub), ub)
}

// userSink copies to ub from its start on, advancing.
func userSink(ub vfs.UserBuffer) func([]byte) (int, error) {
	var at int64
	return func(b []byte) (int, error) {
		n, err := ub.CopyOut(at, b)
		at += int64(n)
		return n, err
	}
}

// userSource copies from ub as userSink copies to it.
func userSource(ub vfs.UserBuffer) func([]byte) (int, error) {
	var at int64
	return func(b []byte) (int, error) {
		n, err := ub.CopyIn(at, b)
		at += int64(n)
		return n, err
	}
}

func (f *File) readTo(ctx vfs.Context, vf *vfs.File, n int64, sink func([]byte) (int, error), ub vfs.UserBuffer) (int64, error) {
	r, err := f.RecvMsg(ctx, &RecvRequest{
		Len:      n,
		Sink:     sink,
		User:     ub,
		Nonblock: vf.Flags()&unix.O_NONBLOCK != 0,
		Deadline: f.so.Options().RcvTimeo().Deadline(),
	})
	r.Control.Release(ctx)
	if err != nil {
		return 0, err
	}
	return r.N, nil
}

// WriteFromSource implements vfs.StreamWriter: write(2) and writev(2)
// (a write on a SOCK_SEQPACKET socket ends a record, MSG_EOR).
func (f *File) WriteFromSource(ctx vfs.Context, vf *vfs.File, n int64, source func([]byte) (int, error)) (int64, error) {
	return f.writeFrom(ctx, vf, n, source, nil)
}

// WriteFromUserBuffer implements vfs.UserStreamWriter: write(2), whose
// buffer the socket may send from in place.
func (f *File) WriteFromUserBuffer(ctx vfs.Context, vf *vfs.File, n int64, ub vfs.UserBuffer) (int64, error) {
	return f.writeFrom(ctx, vf, n, userSource(ub), ub)
}

func (f *File) writeFrom(ctx vfs.Context, vf *vfs.File, n int64, source func([]byte) (int, error), ub vfs.UserBuffer) (int64, error) {
	flags := 0
	if _, typ, _ := f.so.Info(); typ == unix.SOCK_SEQPACKET {
		flags = unix.MSG_EOR
	}
	return f.so.SendMsg(ctx, &SendRequest{
		Len:      n,
		Source:   source,
		User:     ub,
		Flags:    flags,
		Nonblock: vf.Flags()&unix.O_NONBLOCK != 0,
		Deadline: f.so.Options().SndTimeo().Deadline(),
	})
}

// Ioctl implements vfs.FileOperations.
func (f *File) Ioctl(ctx vfs.Context, _ *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if isDeviceIoctl(cmd) {
		f.stack.mu.RLock()
		h := f.stack.devIoctl
		f.stack.mu.RUnlock()
		if h != nil {
			domain, _, _ := f.so.Info()
			return h(ctx, domain, io, cmd, arg)
		}
	}
	return f.so.Ioctl(ctx, io, cmd, arg)
}

// Readiness implements vfs.Waitable.
func (f *File) Readiness(mask uint32) uint32 {
	r := f.so.Readiness(mask)
	if f.so.Options().hasPendingError() {
		r |= unix.POLLERR
	}
	return r
}

// RecvMsg is the socket's RecvMsg after the error recvmmsg left
// pending, which the next receive of a datagram socket reports first
// (sock_error in the datagram receive paths) and a stream socket once
// no data is queued (tcp_recvmsg); the error queue is read regardless.
func (f *File) RecvMsg(ctx Context, req *RecvRequest) (RecvResult, error) {
	o := f.so.Options()
	if req.Flags&unix.MSG_ERRQUEUE != 0 || !o.hasPendingError() {
		return f.so.RecvMsg(ctx, req)
	}
	if _, typ, _ := f.so.Info(); typ == unix.SOCK_STREAM {
		r := *req
		r.Nonblock = true
		res, err := f.so.RecvMsg(ctx, &r)
		if err != unix.EAGAIN {
			return res, err
		}
	}
	if e := o.TakePendingError(); e != 0 {
		return RecvResult{}, e
	}
	return f.so.RecvMsg(ctx, req)
}

// EventRegister implements vfs.Waitable.
func (f *File) EventRegister(e *vfs.WaitEntry) { f.so.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (f *File) EventUnregister(e *vfs.WaitEntry) { f.so.EventUnregister(e) }

// Fasync implements vfs.Fasyncer for families whose sockets send I/O
// signals (O_ASYNC).
func (f *File) Fasync(vf *vfs.File, fd int32, on bool) {
	if a, ok := f.so.(vfs.Fasyncer); ok {
		a.Fasync(vf, fd, on)
	}
}
