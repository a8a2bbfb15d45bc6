package unix

import (
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/net/netlink"
	"github.com/kite-os/kite/vfs"
)

// maxDgramQlen is net.unix.max_dgram_qlen: a datagram receiver's queue
// takes this many messages beyond the first before senders wait.
const maxDgramQlen = 10

// Family is the AF_UNIX family of one kernel instance.
type Family struct {
	v       *vfs.VirtualFilesystem
	bufPool sync.Pool

	// init is the view of the initial network namespace, which
	// Family's own Socket and Pair use.
	init *Namespace

	// mu guards the fields below.
	mu sync.Mutex
	// all is every open socket of every namespace (for the collector).
	all map[*endpoint]struct{}
	// userInflight counts the files in flight each user (real uid)
	// sent.
	userInflight map[uint32]int64

	// inflight counts sockets in messages not yet received; gcMu is
	// held by a running collection (gc.go).
	inflight atomic.Int64
	gcMu     sync.Mutex
}

// New returns the AF_UNIX family of the sockets of VFS v.
func New(v *vfs.VirtualFilesystem) *Family {
	f := &Family{
		v:   v,
		all: make(map[*endpoint]struct{}),

		userInflight: make(map[uint32]int64),
	}
	f.bufPool.New = func() any { b := make([]byte, maxStreamMsg); return &b }
	f.init = f.NewNamespace()
	return f
}

// Namespace is AF_UNIX as one network namespace sees it: its own
// abstract names (Linux keys them by namespace) and the sockets
// /proc/net/unix and sock_diag show there; path names, buffers and the
// collection of descriptors in flight are the Family's, shared by all.
type Namespace struct {
	f *Family

	// mu guards the fields below.
	mu sync.Mutex
	// abstract maps abstract names to the sockets bound to them.
	abstract map[string]*endpoint
	// autobind is the last autobind name tried.
	autobind uint32
}

// NewNamespace returns the view of a new network namespace, a
// net.Family of its own.
func (f *Family) NewNamespace() *Namespace {
	return &Namespace{f: f, abstract: make(map[string]*endpoint)}
}

// Socket implements net.Family in the initial namespace.
func (f *Family) Socket(ctx net.Context, typ, protocol int) (net.Socket, error) {
	return f.init.Socket(ctx, typ, protocol)
}

// Pair implements net.Family in the initial namespace.
func (f *Family) Pair(ctx net.Context, typ, protocol int) (net.Socket, net.Socket, error) {
	return f.init.Pair(ctx, typ, protocol)
}

// ProcNet implements net.ProcNetter for the initial namespace.
func (f *Family) ProcNet() map[string]func() []byte { return f.init.ProcNet() }

// DiagSockets is the initial namespace's DiagSockets.
func (f *Family) DiagSockets(ctx net.Context) []netlink.UnixSock {
	return f.init.DiagSockets(ctx)
}

// Socket implements net.Family.
func (n *Namespace) Socket(ctx net.Context, typ, protocol int) (net.Socket, error) {
	if protocol != 0 && protocol != unix.AF_UNIX {
		return nil, unix.EPROTONOSUPPORT
	}
	switch typ {
	case unix.SOCK_STREAM, unix.SOCK_DGRAM, unix.SOCK_SEQPACKET:
	case unix.SOCK_RAW:
		typ = unix.SOCK_DGRAM
	default:
		return nil, unix.ESOCKTNOSUPPORT
	}
	e := n.newEndpoint(typ, net.NewOptions())
	e.mu.Lock()
	e.uid = ctx.Credentials().FSUID
	e.mu.Unlock()
	return e, nil
}

// Pair implements net.Family: two sockets connected to each other, each
// with the caller's credentials as its peer's.
func (n *Namespace) Pair(ctx net.Context, typ, protocol int) (net.Socket, net.Socket, error) {
	s, err := n.Socket(ctx, typ, protocol)
	if err != nil {
		return nil, nil, err
	}
	a := s.(*endpoint)
	b := n.newEndpoint(a.typ, net.NewOptions())
	creds := credsOf(ctx)
	g := groupsOf(ctx)
	// Both are in the family's list already (sock_diag and
	// /proc/net/unix read them): each is set under its lock.
	for _, e := range []*endpoint{a, b} {
		peer := a
		if e == a {
			peer = b
		}
		e.mu.Lock()
		e.uid = ctx.Credentials().FSUID
		e.peer = peer
		e.peerCreds, e.creds = creds, creds
		e.groups, e.peerGroups = g, g
		if e.typ != unix.SOCK_DGRAM {
			e.state = stateConnected
		}
		e.mu.Unlock()
	}
	return a, b, nil
}

func (n *Namespace) newEndpoint(typ int, opts *net.Options) *endpoint {
	f := n.f
	e := &endpoint{fam: f, ns: n, typ: typ, opts: opts, peerCreds: noCreds}
	f.mu.Lock()
	f.all[e] = struct{}{}
	f.mu.Unlock()
	return e
}

// credsOf returns the caller's credentials for SO_PEERCRED and
// SCM_CREDENTIALS.
func credsOf(ctx net.Context) net.Creds {
	c := ctx.Credentials()
	return net.Creds{PID: ctx.ThreadGroupID(), UID: c.EffectiveUID, GID: c.EffectiveGID}
}

// groupsOf returns the caller's supplementary groups (never nil).
func groupsOf(ctx net.Context) []uint32 {
	return append([]uint32{}, ctx.Credentials().Groups...)
}

// noCreds is what an unconnected socket reports as its peer: no pid,
// uid and gid -1.
var noCreds = net.Creds{UID: ^uint32(0), GID: ^uint32(0)}

// ProcNet implements net.ProcNetter: /proc/net/unix.
func (n *Namespace) ProcNet() map[string]func() []byte {
	return map[string]func() []byte{"unix": n.ProcNetUnix}
}

// sockets returns the namespace's open sockets in inode order.
func (n *Namespace) sockets() []*endpoint {
	f := n.f
	f.mu.Lock()
	eps := make([]*endpoint, 0, len(f.all))
	for e := range f.all {
		if e.ns == n {
			eps = append(eps, e)
		}
	}
	f.mu.Unlock()
	sort.Slice(eps, func(i, j int) bool { return eps[i].ino < eps[j].ino })
	return eps
}

// ProcNetUnix returns the text of /proc/net/unix.
func (n *Namespace) ProcNetUnix() []byte {
	eps := n.sockets()
	b := []byte("Num       RefCount Protocol Flags    Type St Inode Path\n")
	for _, e := range eps {
		e.mu.Lock()
		flags, st := 0, 1
		switch {
		case e.state == stateListening:
			flags, st = 1<<16, 1
		case e.state == stateConnected || (e.typ == unix.SOCK_DGRAM && e.peer != nil):
			st = 3
		}
		path := ""
		if e.addr != nil {
			path = " " + e.addr.name
			if e.addr.abstract {
				path = " @" + e.addr.name[1:]
			}
		}
		ino := e.ino
		typ := e.typ
		e.mu.Unlock()
		b = fmt.Appendf(b, "%016x: %08X %08X %08X %04X %02X %5d%s\n", 0, 2, 0, flags, typ, st, ino, path)
	}
	return b
}
