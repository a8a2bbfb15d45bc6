package unix

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// Socket states.
const (
	stateUnconnected = iota
	stateListening
	stateConnected
)

// Shutdown bits (Linux's RCV_SHUTDOWN and SEND_SHUTDOWN).
const (
	shutRcv  = 1
	shutSend = 2
	shutBoth = shutRcv | shutSend
)

// Readiness bits.
const (
	readable = unix.POLLIN | vfs.PollRdNorm
	writable = unix.POLLOUT | vfs.PollWrNorm | vfs.PollWrBand
)

// message is one queued message: a datagram, a record, or a piece of a
// stream.
type message struct {
	buf  *[]byte // from the family's pool, or nil
	data []byte
	off  int
	// from is the sending socket (recvfrom's address).
	from *endpoint
	// charge is what the message costs its sender's send buffer until
	// it is read.
	charge int64
	creds  net.Creds
	rights []*vfs.File
	// user is the real uid of the sender of rights, whose count of
	// files in flight they are in.
	user uint32
	// conn is a connection waiting in a listener's queue.
	conn *endpoint
	// stamp is when a datagram was sent to a receiver that asked for
	// receive times (SO_TIMESTAMP), zero otherwise.
	stamp time.Time
}

func (m *message) len() int { return len(m.data) - m.off }

// endpoint is one AF_UNIX socket.
type endpoint struct {
	fam *Family
	// ns is the network namespace the socket was made in.
	ns   *Namespace
	typ  int
	opts *net.Options
	// queue is notified of readability, writability and state changes.
	queue vfs.WaitQueue
	// peerWait is where datagram senders wait for room in this
	// socket's receive queue.
	peerWait vfs.WaitQueue
	// sendWait is where writers blocked on a full send buffer wait.
	sendWait vfs.WaitQueue
	// wmem is the send-buffer charge of messages sent and not yet read.
	wmem atomic.Int64
	// async is the files with O_ASYNC on the socket; readersWaiting
	// counts stream readers asleep for data (Linux's
	// SOCKWQ_ASYNC_WAITDATA: no SIGIO for data while one sleeps);
	// noSpace is SOCKWQ_ASYNC_NOSPACE: a writer found the buffer full,
	// so room gives POLL_OUT.
	async          vfs.FasyncList
	readersWaiting atomic.Int32
	noSpace        atomic.Bool
	// recvSpin and sendSpin let readers waiting for data and writers
	// waiting for room spin before they sleep (vfs.Spinner).
	recvSpin, sendSpin vfs.Spinner
	// iolock serialises a stream's readers (Linux's u->iolock): a
	// reader holds it from its first look at the queue to its return,
	// except while it sleeps, and copies out without mu, so that a
	// writer queueing its next messages does not wait for the copy.
	// Only a holder takes messages off a stream's queue or moves their
	// offsets. Taken before mu, never while holding it.
	iolock sync.Mutex

	// mu guards the fields below.
	mu  sync.Mutex
	ino uint64
	// file is the socket's file (no reference: the file owns the
	// endpoint).
	file  *vfs.File
	state int
	dead  bool
	// shutdown holds shutRcv and shutSend.
	shutdown int
	// err is the pending socket error (SO_ERROR), e.g. ECONNRESET.
	err unix.Errno
	// addr is the bound name, nil when unbound.
	addr *address
	// path is where a path-name socket's inode is.
	path vfs.Path
	// ownsName says the socket bound addr itself (an accepted socket
	// shows its listener's).
	ownsName bool
	peer     *endpoint
	// creds are the socket's own credentials (from listen, connect or
	// socketpair); peerCreds the peer's (SO_PEERCRED).
	creds     net.Creds
	peerCreds net.Creds
	// groups are the socket's own supplementary groups (with creds);
	// peerGroups the peer's (SO_PEERGROUPS), nil when there is no peer.
	groups     []uint32
	peerGroups []uint32
	backlog    int
	recvq      []*message
	// recvqArr is the whole array recvq was last appended into: reads
	// take messages off recvq's front, and enqueueLocked moves what is
	// left back to the array's start rather than growing a new one.
	recvqArr  []*message
	recvBytes int
	// oob is the message of recvq holding the out-of-band byte
	// (MSG_OOB on a stream), nil when there is none.
	oob *message
	// uid is the owner of the socket's file (the creator's or
	// accepter's fsuid), which sock_diag shows.
	uid uint32
	// dgramEst is Linux's TCP_ESTABLISHED sk_state of a datagram
	// socket that another connected to: it stays until the socket
	// itself disconnects.
	dgramEst bool
}

// SetFile implements net.Socket: the inode number is for
// /proc/net/unix, the file for the garbage collector.
func (e *endpoint) SetFile(f *vfs.File, ino uint64) {
	e.mu.Lock()
	e.file = f
	e.ino = ino
	e.mu.Unlock()
}

// Info implements net.Socket.
func (e *endpoint) Info() (int, int, int) { return unix.AF_UNIX, e.typ, 0 }

// Options implements net.Socket.
func (e *endpoint) Options() *net.Options { return e.opts }

// EventRegister implements vfs.Waitable.
func (e *endpoint) EventRegister(w *vfs.WaitEntry) { e.queue.EventRegister(w) }

// EventUnregister implements vfs.Waitable.
func (e *endpoint) EventUnregister(w *vfs.WaitEntry) { e.queue.EventUnregister(w) }

// Fasync implements vfs.Fasyncer.
func (e *endpoint) Fasync(f *vfs.File, fd int32, on bool) { e.async.Fasync(f, fd, on) }

// wakeAsync is sk_wake_async with SOCK_WAKE_WAITD: an I/O signal for
// reason unless a stream reader is waiting for data.
func (e *endpoint) wakeAsync(reason int32) {
	if e.typ == unix.SOCK_STREAM && e.readersWaiting.Load() > 0 {
		return
	}
	e.async.Kill(reason)
}

// connectionBased reports whether the type has connections.
func (e *endpoint) connectionBased() bool { return e.typ != unix.SOCK_DGRAM }

// Bind implements net.Socket.
func (e *endpoint) Bind(ctx net.Context, b []byte) error {
	if len(b) == sunPathOff && len(b) >= 2 && b[0] == unix.AF_UNIX && b[1] == 0 {
		return e.autobind()
	}
	if err := validateAddr(b); err != nil {
		return err
	}
	a := parseAddr(b)
	if a.abstract {
		return e.bindAbstract(a)
	}
	return e.bindPath(ctx, a)
}

// bindPath makes the socket inode, then records the name; a socket that
// is already bound loses the inode again and gets EINVAL, as Linux's
// unix_bind_bsd (which makes the node first).
func (e *endpoint) bindPath(ctx net.Context, a address) error {
	fsc := ctx.FSContext()
	if fsc == nil {
		return unix.ENOENT
	}
	p, err := e.fam.v.BindSocketAt(ctx, fsc, fsc.Cwd(), a.name, 0o777, e)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.addr != nil {
		e.mu.Unlock()
		e.fam.v.UnbindSocket(p, e)
		_ = e.fam.v.UnlinkAt(ctx, fsc, fsc.Cwd(), a.name)
		return unix.EINVAL
	}
	e.addr = &a
	e.path = p
	e.ownsName = true
	e.mu.Unlock()
	return nil
}

func (e *endpoint) bindAbstract(a address) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.addr != nil {
		return unix.EINVAL
	}
	n := e.ns
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, used := n.abstract[a.name]; used {
		return unix.EADDRINUSE
	}
	n.abstract[a.name] = e
	e.addr = &a
	e.ownsName = true
	return nil
}

// autobind binds the socket to a free abstract name of five hex digits,
// as unix_autobind; a bound socket stays as it is.
func (e *endpoint) autobind() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.addr != nil {
		return nil
	}
	n := e.ns
	n.mu.Lock()
	defer n.mu.Unlock()
	for range 1 << 20 {
		n.autobind = (n.autobind + 1) & 0xfffff
		name := fmt.Sprintf("\x00%05x", n.autobind)
		if _, used := n.abstract[name]; used {
			continue
		}
		a := address{abstract: true, name: name}
		n.abstract[name] = e
		e.addr = &a
		e.ownsName = true
		return nil
	}
	return unix.ENOSPC
}

// lookup finds the socket bound to the validated address b, of type typ:
// the path's errors, ECONNREFUSED when nobody is bound, EPROTOTYPE for
// another type.
func (n *Namespace) lookup(ctx net.Context, b []byte, typ int) (*endpoint, error) {
	f := n.f
	a := parseAddr(b)
	var o *endpoint
	if a.abstract {
		n.mu.Lock()
		o = n.abstract[a.name]
		n.mu.Unlock()
		if o == nil {
			return nil, unix.ECONNREFUSED
		}
	} else {
		fsc := ctx.FSContext()
		if fsc == nil {
			return nil, unix.ENOENT
		}
		ep, err := f.v.SocketAt(ctx, fsc, fsc.Cwd(), a.name)
		if err != nil {
			return nil, err
		}
		var ok bool
		if o, ok = ep.(*endpoint); !ok {
			return nil, unix.ECONNREFUSED
		}
	}
	if o.typ != typ {
		return nil, unix.EPROTOTYPE
	}
	return o, nil
}

// Listen implements net.Socket.
func (e *endpoint) Listen(ctx net.Context, backlog int) error {
	if !e.connectionBased() {
		return unix.EOPNOTSUPP
	}
	e.mu.Lock()
	if e.addr == nil {
		e.mu.Unlock()
		return unix.EINVAL
	}
	if e.state != stateUnconnected && e.state != stateListening {
		e.mu.Unlock()
		return unix.EINVAL
	}
	if backlog < 0 {
		// The socket layer clamps to net.core.somaxconn first.
		backlog = 0
	}
	grew := backlog > e.backlog
	e.backlog = backlog
	e.state = stateListening
	e.creds, e.groups = credsOf(ctx), groupsOf(ctx)
	e.mu.Unlock()
	if grew {
		e.peerWait.Notify(writable)
	}
	return nil
}

// Accept implements net.Socket.
func (e *endpoint) Accept(ctx net.Context, nonblock bool, d net.Deadline) (net.Socket, error) {
	if !e.connectionBased() {
		return nil, unix.EOPNOTSUPP
	}
	var w net.Waiter
	defer w.Unregister()
	for {
		e.mu.Lock()
		if e.state != stateListening {
			e.mu.Unlock()
			return nil, unix.EINVAL
		}
		if len(e.recvq) > 0 {
			m := e.recvq[0]
			e.recvq[0] = nil
			e.recvq = e.recvq[1:]
			e.mu.Unlock()
			// A connector may be waiting for room in the backlog.
			e.peerWait.Notify(writable)
			m.conn.mu.Lock()
			m.conn.uid = ctx.Credentials().FSUID
			m.conn.mu.Unlock()
			return m.conn, nil
		}
		if e.shutdown&shutRcv != 0 {
			e.mu.Unlock()
			return nil, unix.EINVAL
		}
		e.mu.Unlock()
		if nonblock {
			return nil, unix.EAGAIN
		}
		if !w.Registered() {
			w.Register(&e.queue, readable)
			continue
		}
		if err := w.Wait(ctx, d); err != nil {
			return nil, err
		}
	}
}

// recvqFull reports whether a listener's backlog or a datagram socket's
// queue is full (unix_recvq_full).
//
// Preconditions: e.mu is held.
func (e *endpoint) recvqFullLocked() bool {
	limit := e.backlog
	if e.typ == unix.SOCK_DGRAM {
		limit = maxDgramQlen
	}
	return len(e.recvq) > limit
}

// Connect implements net.Socket.
func (e *endpoint) Connect(ctx net.Context, b []byte, nonblock bool, d net.Deadline) error {
	if e.typ == unix.SOCK_DGRAM {
		return e.connectDgram(ctx, b)
	}
	if err := validateAddr(b); err != nil {
		return err
	}
	if e.opts.PassCred() {
		if err := e.autobind(); err != nil {
			return err
		}
	}
	var w net.Waiter
	defer w.Unregister()
	for {
		o, err := e.ns.lookup(ctx, b, e.typ)
		if err != nil {
			return err
		}
		o.mu.Lock()
		if o.dead || o.state != stateListening || o.shutdown&shutRcv != 0 {
			o.mu.Unlock()
			return unix.ECONNREFUSED
		}
		if o.recvqFullLocked() {
			o.mu.Unlock()
			if nonblock {
				return unix.EAGAIN
			}
			if !w.Registered() {
				w.Register(&o.peerWait, writable)
				continue
			}
			if err := w.Wait(ctx, d); err != nil {
				return err
			}
			w.Unregister()
			continue
		}
		if o == e {
			// A listener connecting to itself.
			o.mu.Unlock()
			return unix.EINVAL
		}
		e.mu.Lock()
		switch e.state {
		case stateConnected:
			e.mu.Unlock()
			o.mu.Unlock()
			return unix.EISCONN
		case stateListening:
			e.mu.Unlock()
			o.mu.Unlock()
			return unix.EINVAL
		}
		// The server side of the connection: the listener's options
		// and name, the connector's credentials as its peer's.
		n := e.ns.newEndpoint(e.typ, o.opts.Clone())
		n.state = stateConnected
		n.addr, n.path = o.addr, o.path
		n.peer = e
		n.peerCreds, n.peerGroups = credsOf(ctx), groupsOf(ctx)
		n.creds, n.groups = o.creds, o.groups
		e.peer = n
		e.peerCreds, e.peerGroups = o.creds, o.groups
		e.creds, e.groups = credsOf(ctx), groupsOf(ctx)
		e.state = stateConnected
		e.mu.Unlock()
		o.enqueueLocked(&message{conn: n})
		o.mu.Unlock()
		o.queue.Notify(readable)
		o.async.Kill(vfs.PollIn)
		e.queue.Notify(writable)
		return nil
	}
}

// connectDgram sets (or with AF_UNSPEC clears) a datagram socket's
// default destination, as unix_dgram_connect.
func (e *endpoint) connectDgram(ctx net.Context, b []byte) error {
	if len(b) < 2 {
		return unix.EINVAL
	}
	var o *endpoint
	if b[0] != unix.AF_UNSPEC || b[1] != 0 {
		if err := validateAddr(b); err != nil {
			return err
		}
		if e.opts.PassCred() {
			if err := e.autobind(); err != nil {
				return err
			}
		}
		var err error
		if o, err = e.ns.lookup(ctx, b, e.typ); err != nil {
			return err
		}
		if o != e {
			o.mu.Lock()
			ok := !o.dead && (o.peer == nil || o.peer == e)
			o.mu.Unlock()
			if !ok {
				return unix.EPERM
			}
			// Both become TCP_ESTABLISHED, as in unix_dgram_connect.
			o.mu.Lock()
			o.dgramEst = true
			o.mu.Unlock()
		}
	}
	e.mu.Lock()
	old := e.peer
	e.peer = o
	e.dgramEst = o != nil || (old == nil && e.dgramEst)
	e.mu.Unlock()
	if old != nil && old != o {
		// Datagrams from the old peer are dropped.
		e.purgeFrom(ctx, old)
		old.peerWait.Notify(writable)
	}
	e.queue.Notify(writable)
	return nil
}

// purgeFrom drops queued datagrams whose sender is from
// (unix_dgram_disconnected drops the whole queue).
func (e *endpoint) purgeFrom(ctx net.Context, from *endpoint) {
	e.mu.Lock()
	q := e.recvq
	e.recvq, e.recvqArr = nil, nil
	e.recvBytes = 0
	e.mu.Unlock()
	for _, m := range q {
		e.freeMessage(ctx, m)
	}
}

// Shutdown implements net.Socket.
func (e *endpoint) Shutdown(ctx net.Context, how int) error {
	mode := how + 1 // SHUT_RD=0 -> shutRcv, SHUT_WR=1 -> shutSend, SHUT_RDWR=2 -> both
	e.mu.Lock()
	e.shutdown |= mode
	peer := e.peer
	conn := e.connectionBased() && e.state == stateConnected
	e.mu.Unlock()
	e.queue.Notify(readable | writable | unix.POLLHUP | unix.POLLRDHUP)
	if peer != nil && conn {
		pm := 0
		if mode&shutRcv != 0 {
			pm |= shutSend
		}
		if mode&shutSend != 0 {
			pm |= shutRcv
		}
		peer.mu.Lock()
		peer.shutdown |= pm
		peer.mu.Unlock()
		peer.queue.Notify(readable | writable | unix.POLLHUP | unix.POLLRDHUP)
		switch {
		case pm == shutBoth:
			peer.wakeAsync(vfs.PollHup)
		case pm&shutRcv != 0:
			peer.wakeAsync(vfs.PollIn)
		}
	}
	if mode&shutRcv != 0 {
		e.peerWait.Notify(writable)
	}
	return nil
}

// Name implements net.Socket.
func (e *endpoint) Name(net.Context) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.addr == nil {
		return unnamed(), nil
	}
	return e.addr.sockaddr(), nil
}

// PeerName implements net.Socket.
func (e *endpoint) PeerName(net.Context) ([]byte, error) {
	e.mu.Lock()
	p := e.peer
	e.mu.Unlock()
	if p == nil {
		return nil, unix.ENOTCONN
	}
	return p.Name(nil)
}

// Release implements net.Socket: close(2) of the last reference.
func (e *endpoint) Release(ctx net.Context) {
	e.release(ctx, false)
}

// release closes the socket; embryo says it is a connection nobody
// accepted (its peer gets ECONNRESET).
func (e *endpoint) release(ctx net.Context, embryo bool) {
	f := e.fam
	e.mu.Lock()
	e.dead = true
	e.shutdown = shutBoth
	peer := e.peer
	e.peer = nil
	q := e.recvq
	e.recvq, e.recvqArr = nil, nil
	e.recvBytes = 0
	e.oob = nil
	addr, path := e.addr, e.path
	if !e.ownsName {
		addr = nil
	}
	conn := e.connectionBased()
	wasListening := e.state == stateListening
	e.state = stateUnconnected
	e.mu.Unlock()

	f.mu.Lock()
	delete(f.all, e)
	f.mu.Unlock()
	if n := e.ns; addr != nil && addr.abstract {
		n.mu.Lock()
		if n.abstract[addr.name] == e {
			delete(n.abstract, addr.name)
		}
		n.mu.Unlock()
	}
	if addr != nil && !addr.abstract {
		f.v.UnbindSocket(path, e)
	}

	if peer != nil && conn {
		peer.mu.Lock()
		peer.shutdown = shutBoth
		if len(q) > 0 || embryo {
			peer.err = unix.ECONNRESET
		}
		peer.mu.Unlock()
		peer.queue.Notify(readable | writable | unix.POLLHUP | unix.POLLRDHUP | unix.POLLERR)
		peer.wakeAsync(vfs.PollHup)
	}
	for _, m := range q {
		if m.conn != nil && wasListening {
			m.conn.release(ctx, true)
			continue
		}
		e.freeMessage(ctx, m)
	}
	e.queue.Notify(readable | writable | unix.POLLHUP)
	e.peerWait.Notify(writable | unix.POLLHUP)
	f.collect(ctx)
}

// freeMessage releases what m holds: its send-buffer charge, its files
// and its buffer.
func (e *endpoint) freeMessage(ctx net.Context, m *message) {
	e.fam.noteInFlight(m, -1)
	for _, f := range m.rights {
		f.DecRef(ctx)
	}
	m.rights = nil
	e.uncharge(m)
	if m.buf != nil {
		e.fam.bufPool.Put(m.buf)
		m.buf = nil
	}
}

// uncharge gives m's charge back to its sender, waking it if it may
// write again.
func (e *endpoint) uncharge(m *message) {
	if m.charge == 0 || m.from == nil {
		return
	}
	s := m.from
	n := s.wmem.Add(-m.charge)
	sb := int64(s.opts.SndBuf())
	// A writer blocked in sendmsg and pollers wake once a quarter of the
	// buffer or less is in use (unix_write_space wakes sock_wait_for_wmem
	// and poll alike): a writer then sends a few messages per wake-up
	// rather than one.
	m.charge = 0
	if n<<2 <= sb {
		s.sendWait.Notify(writable)
		s.queue.Notify(writable)
		if s.noSpace.CompareAndSwap(true, false) {
			s.async.Kill(vfs.PollOut)
		}
	}
}

// GetSockOpt implements net.Socket: the options whose values are the
// family's.
func (e *endpoint) GetSockOpt(ctx net.Context, level, name int, optlen int) ([]byte, error) {
	if level != unix.SOL_SOCKET {
		return nil, unix.EOPNOTSUPP
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	switch name {
	case unix.SO_PEERCRED:
		b := make([]byte, 12)
		putU32(b, 0, uint32(ctx.PIDOf(e.peerCreds.PID)))
		putU32(b, 4, e.peerCreds.UID)
		putU32(b, 8, e.peerCreds.GID)
		return b, nil
	case unix.SO_ACCEPTCONN:
		return boolBytes(e.state == stateListening), nil
	case unix.SO_ERROR:
		v := e.err
		e.err = 0
		return intBytes(int32(v)), nil
	case unix.SO_PEERGROUPS:
		if e.peerGroups == nil {
			return nil, unix.ENODATA
		}
		if optlen < 4*len(e.peerGroups) {
			return nil, &net.RangeError{Need: 4 * len(e.peerGroups)}
		}
		b := make([]byte, 4*len(e.peerGroups))
		for i, g := range e.peerGroups {
			putU32(b, 4*i, g)
		}
		return b, nil
	}
	return nil, unix.ENOPROTOOPT
}

// SetSockOpt implements net.Socket.
func (e *endpoint) SetSockOpt(ctx net.Context, level, name int, val []byte) error {
	if level != unix.SOL_SOCKET {
		return unix.EOPNOTSUPP
	}
	if name == unix.SO_SNDBUF {
		// A larger buffer may let a blocked writer go on.
		defer e.queue.Notify(writable)
		defer e.sendWait.Notify(writable)
	}
	return unix.ENOPROTOOPT
}

func putU32(b []byte, off int, v uint32) {
	b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func intBytes(v int32) []byte {
	b := make([]byte, 4)
	putU32(b, 0, uint32(v))
	return b
}

func boolBytes(v bool) []byte {
	if v {
		return intBytes(1)
	}
	return intBytes(0)
}
