package net

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// Family is one address family (AF_UNIX, AF_INET...) registered in a
// Stack.
type Family interface {
	// Socket makes a socket of type typ (SOCK_STREAM..., without
	// SOCK_NONBLOCK and SOCK_CLOEXEC) and protocol: ESOCKTNOSUPPORT or
	// EPROTONOSUPPORT for what the family lacks.
	Socket(ctx Context, typ, protocol int) (Socket, error)
	// Pair makes two connected sockets (socketpair(2)); EOPNOTSUPP for
	// families without pairs.
	Pair(ctx Context, typ, protocol int) (Socket, Socket, error)
}

// Socket is the per-family behaviour of one socket. The socket layer has
// decoded the user's arguments; addresses are raw sockaddr bytes (the
// family checks their length and sa_family). Blocking operations get
// their nonblocking mode and deadline in the request.
type Socket interface {
	vfs.Waitable
	// Family, Type and Protocol as socket(2) got them (SO_DOMAIN,
	// SO_TYPE, SO_PROTOCOL).
	Info() (family, typ, protocol int)
	// Options are the socket's SOL_SOCKET settings the layer keeps.
	Options() *Options
	// SetFile tells the socket its file and inode number, once, when
	// the layer has made them.
	SetFile(f *vfs.File, ino uint64)
	Bind(ctx Context, addr []byte) error
	Listen(ctx Context, backlog int) error
	// Accept takes a connection; with nonblock it gives EAGAIN when
	// there is none.
	Accept(ctx Context, nonblock bool, d Deadline) (Socket, error)
	Connect(ctx Context, addr []byte, nonblock bool, d Deadline) error
	// Shutdown is shutdown(2) with how already checked.
	Shutdown(ctx Context, how int) error
	// Name and PeerName are getsockname and getpeername's addresses.
	Name(ctx Context) ([]byte, error)
	PeerName(ctx Context) ([]byte, error)
	SendMsg(ctx Context, req *SendRequest) (int64, error)
	RecvMsg(ctx Context, req *RecvRequest) (RecvResult, error)
	// GetSockOpt returns the option's value (the socket layer truncates
	// it to the user's length); ENOPROTOOPT for unknown options.
	GetSockOpt(ctx Context, level, name int, optlen int) ([]byte, error)
	SetSockOpt(ctx Context, level, name int, val []byte) error
	// Ioctl carries out family ioctls (SIOCINQ, SIOCOUTQ...); ENOTTY or
	// ENOIOCTLCMD-style EINVAL otherwise, as the family's Linux does.
	Ioctl(ctx Context, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error)
	// Release is close: the last reference to the file went.
	Release(ctx Context)
}

// SendRequest is one sendmsg.
type SendRequest struct {
	// Len bytes come from Source, which fills its argument and returns
	// how many it filled (fewer, with EFAULT, on bad memory).
	Len    int64
	Source func([]byte) (int, error)
	// User, when not nil, is the program's buffer of a write(2),
	// writev(2) or sendmsg(2) that Source copies from: a socket may
	// take the bytes from its pages in place (User.Pin, User.CopyIn
	// from byte 0 on) instead of calling Source, but never uses both
	// in one request.
	User vfs.UserBuffer
	// To is the destination address (sendto), nil for none.
	To      []byte
	Control Control
	// Flags are the MSG_* flags.
	Flags    int
	Nonblock bool
	Deadline Deadline
}

// RecvRequest is one recvmsg.
type RecvRequest struct {
	// Up to Len bytes go to Sink, which returns how many it took
	// (fewer, with EFAULT, on bad memory).
	Len  int64
	Sink func([]byte) (int, error)
	// User, when not nil, is the program's buffer of a read(2),
	// readv(2) or recvmsg(2) that Sink copies to: a socket may put the
	// bytes in its pages in place (User.Pin, User.CopyOut from byte 0
	// on) instead of calling Sink, but never uses both in one request.
	User     vfs.UserBuffer
	Flags    int
	Nonblock bool
	Deadline Deadline
	// WantCreds asks for the sender's credentials (SO_PASSCRED).
	WantCreds bool
}

// RecvResult is what a recvmsg got.
type RecvResult struct {
	// N is the byte count the call returns (with MSG_TRUNC on a
	// datagram socket, the datagram's real length).
	N int64
	// From is the sender's address, nil if none.
	From    []byte
	Control Control
	// Flags are MSG_TRUNC, MSG_EOR... for msg_flags.
	Flags int
}

// Creds are the credentials SCM_CREDENTIALS and SO_PEERCRED carry.
type Creds struct {
	PID      int32
	UID, GID uint32
}

// Control is the ancillary data of one message.
type Control struct {
	// Rights are files in flight (SCM_RIGHTS), one reference each;
	// RightsLimit is the sender's RLIMIT_NOFILE (unix_attach_fds'
	// limit on a user's files in flight).
	Rights      []*vfs.File
	RightsLimit int
	// Creds is set when the message carries SCM_CREDENTIALS.
	Creds *Creds
	// Stamp is the receive time SO_TIMESTAMP and its kin ask for, of
	// control message type StampType (0: none).
	Stamp     time.Time
	StampType int32
	// StampingType is the type of SO_TIMESTAMPING's message carrying
	// Stamp as the software time (0: none).
	StampingType int32
	// Proto are the family's own control messages (IP_PKTINFO,
	// IP_TTL...), delivered first.
	Proto []Cmsg
}

// Cmsg is one control message: its level, type and data.
type Cmsg struct {
	Level, Type int32
	Data        []byte
}

// Empty reports whether c carries nothing.
func (c *Control) Empty() bool {
	return c.Creds == nil && len(c.Rights) == 0 && len(c.Proto) == 0 && c.StampType == 0 && c.StampingType == 0
}

// Release drops the references c holds.
func (c *Control) Release(ctx vfs.Context) {
	for _, f := range c.Rights {
		f.DecRef(ctx)
	}
	c.Rights = nil
}

// Stack is the socket layer of one kernel instance.
type Stack struct {
	v *vfs.VirtualFilesystem

	// mu guards families and devIoctl.
	mu       sync.RWMutex
	families map[int]Family
	devIoctl DeviceIoctl

	// refMu guards the fields below (a leaf like mu).
	refMu sync.Mutex
	// refs counts the stack's users: its namespace's tasks and
	// namespace files (kernel) and its open sockets, as Linux's net
	// refcount.
	refs int64
	// closed is set once the stack is shut down.
	closed bool
	// idle runs when refs falls to zero (nil: nothing happens, as for
	// the initial namespace's stack).
	idle func()
	// closers shut the families' resources down (timers, goroutines).
	closers []func()

	// somaxconn is net.core.somaxconn.
	somaxconn atomic.Int32

	// nsMu guards the fields below (a leaf; Closed's refMu is taken
	// under it).
	nsMu sync.Mutex
	// resolver is the kernel's, for the namespace ids below.
	resolver NSResolver
	// nsids are the ids this namespace gives others (Linux's
	// netns_ids), set by RTM_NEWNSID.
	nsids map[*Stack]int32
	// owner is the user namespace owning the network namespace
	// (net->user_ns), over which changes to it need CAP_NET_ADMIN.
	owner *auth.UserNamespace
}

// IncRef counts a user of the stack.
func (s *Stack) IncRef() {
	s.refMu.Lock()
	s.refs++
	s.refMu.Unlock()
}

// DecRef drops a user; the last one runs the idle function.
func (s *Stack) DecRef() {
	s.refMu.Lock()
	s.refs--
	idle := s.refs == 0 && !s.closed && s.idle != nil
	fn := s.idle
	s.refMu.Unlock()
	if idle {
		fn()
	}
}

// SetIdle installs what runs when the stack has no users left: the
// kernel closes a dead network namespace's stack with it.
func (s *Stack) SetIdle(fn func()) {
	s.refMu.Lock()
	s.idle = fn
	s.refMu.Unlock()
}

// OnClose adds fn to what Close runs.
func (s *Stack) OnClose(fn func()) {
	s.refMu.Lock()
	s.closers = append(s.closers, fn)
	s.refMu.Unlock()
}

// CloseIfUnused shuts the stack down (its families' closers, once) if
// it has no users, and reports whether it is closed.
func (s *Stack) CloseIfUnused() bool {
	s.refMu.Lock()
	if s.closed || s.refs > 0 {
		closed := s.closed
		s.refMu.Unlock()
		return closed
	}
	s.closed = true
	closers := s.closers
	s.closers = nil
	s.idle = nil
	s.refMu.Unlock()
	for i := len(closers) - 1; i >= 0; i-- {
		closers[i]()
	}
	// The families go too, so that nothing that still points at the
	// stack keeps their memory.
	s.mu.Lock()
	s.families = map[int]Family{}
	s.devIoctl = nil
	s.mu.Unlock()
	return true
}

// Closed reports whether the stack was shut down.
func (s *Stack) Closed() bool {
	s.refMu.Lock()
	defer s.refMu.Unlock()
	return s.closed
}

// DeviceIoctl carries out the network-interface ioctls (SIOCGIFINDEX,
// SIOCGIFCONF...) that a socket of any family takes, as Linux's
// sock_ioctl passes them to dev_ioctl.
// domain is the family of the socket the ioctl was made on (some are
// AF_INET's only).
type DeviceIoctl func(ctx Context, domain int, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error)

// SetDeviceIoctl installs the interface ioctls of the network stack.
func (s *Stack) SetDeviceIoctl(h DeviceIoctl) {
	s.mu.Lock()
	s.devIoctl = h
	s.mu.Unlock()
}

// isDeviceIoctl reports whether cmd is one of the interface ioctls
// (SIOCGIFNAME 0x8910 through SIOCGIFINDEX 0x8933..., SIOCGIFMAP and
// SIOCSIFMAP).
func isDeviceIoctl(cmd uint32) bool {
	return cmd >= 0x8910 && cmd <= 0x8960 || cmd == 0x8970 || cmd == 0x8971
}

// NewStack returns a stack without families.
func NewStack(v *vfs.VirtualFilesystem) *Stack {
	s := &Stack{v: v, families: make(map[int]Family)}
	s.somaxconn.Store(DefaultSomaxconn)
	return s
}

// VFS returns the VFS socket files belong to.
func (s *Stack) VFS() *vfs.VirtualFilesystem { return s.v }

// Register makes f the family of domain (AF_UNIX...).
func (s *Stack) Register(domain int, f Family) {
	s.mu.Lock()
	s.families[domain] = f
	s.mu.Unlock()
}

// Family returns the family registered for domain, or nil.
func (s *Stack) Family(domain int) Family {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.families[domain]
}

// ProcNetter is implemented by families that show files in /proc/net
// (AF_UNIX: "unix").
type ProcNetter interface {
	ProcNet() map[string]func() []byte
}

// ProcNetFiles returns the /proc/net files of every family.
func (s *Stack) ProcNetFiles() map[string]func() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	files := make(map[string]func() []byte)
	for _, f := range s.families {
		if p, ok := f.(ProcNetter); ok {
			for name, gen := range p.ProcNet() {
				files[name] = gen
			}
		}
	}
	return files
}

// afMax is AF_MAX (NPROTO): socket(2) answers EAFNOSUPPORT for domains
// at or above it; sockMax is SOCK_MAX, the first invalid type.
const (
	afMax   = 46
	sockMax = 10
)

// Socket type bits.
const (
	sockTypeMask = 0xf
	sockFlags    = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
)

// checkArgs applies socket(2)'s checks common to every family and
// returns the family.
func (s *Stack) checkArgs(domain, typ int) (Family, int, error) {
	if typ&^(sockTypeMask|sockFlags) != 0 {
		return nil, 0, unix.EINVAL
	}
	if domain < 0 || domain >= afMax {
		return nil, 0, unix.EAFNOSUPPORT
	}
	if typ&sockTypeMask >= sockMax {
		return nil, 0, unix.EINVAL
	}
	f := s.Family(domain)
	if f == nil {
		return nil, 0, unix.EAFNOSUPPORT
	}
	return f, typ & sockTypeMask, nil
}

// NewSocket carries out socket(2): it returns the new socket file; the
// caller installs it (SOCK_CLOEXEC is the caller's). typ may hold
// SOCK_NONBLOCK and SOCK_CLOEXEC.
func (s *Stack) NewSocket(ctx Context, domain, typ, protocol int) (*vfs.File, error) {
	fam, t, err := s.checkArgs(domain, typ)
	if err != nil {
		return nil, err
	}
	so, err := fam.Socket(ctx, t, protocol)
	if err != nil {
		return nil, err
	}
	return s.NewFile(ctx, so, typ&unix.SOCK_NONBLOCK != 0)
}

// NewPair carries out socketpair(2).
func (s *Stack) NewPair(ctx Context, domain, typ, protocol int) (*vfs.File, *vfs.File, error) {
	fam, t, err := s.checkArgs(domain, typ)
	if err != nil {
		return nil, nil, err
	}
	a, b, err := fam.Pair(ctx, t, protocol)
	if err != nil {
		return nil, nil, err
	}
	nb := typ&unix.SOCK_NONBLOCK != 0
	fa, err := s.NewFile(ctx, a, nb)
	if err != nil {
		b.Release(ctx)
		return nil, nil, err
	}
	fb, err := s.NewFile(ctx, b, nb)
	if err != nil {
		fa.DecRef(ctx)
		return nil, nil, err
	}
	return fa, fb, nil
}
