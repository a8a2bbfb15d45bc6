package unix

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// Garbage collection of sockets in flight, as Linux's unix_gc: a socket
// whose every reference sits in messages queued on sockets that are
// themselves only in flight (a socket sent over itself, or two sockets
// sent over each other, then closed) can never be received. When a
// socket is released and some are in flight, the collector finds such
// sockets and empties their queues, which drops the references and
// releases them.

// socketOf returns the AF_UNIX socket of this family behind file, or nil.
func (f *Family) socketOf(file *vfs.File) *endpoint {
	sf := net.Of(file)
	if sf == nil {
		return nil
	}
	e, ok := sf.Socket().(*endpoint)
	if !ok || e.fam != f {
		return nil
	}
	return e
}

// noteInFlight counts the files of m entering (delta 1) or leaving
// (delta -1) a queue: sockets for the collector, and every file against
// its sender's user (Linux's user->unix_inflight).
func (f *Family) noteInFlight(m *message, delta int64) {
	if len(m.rights) == 0 {
		return
	}
	var n int64
	for _, r := range m.rights {
		if f.socketOf(r) != nil {
			n++
		}
	}
	if n > 0 {
		f.inflight.Add(delta * n)
	}
	f.mu.Lock()
	f.userInflight[m.user] += delta * int64(len(m.rights))
	if f.userInflight[m.user] == 0 {
		delete(f.userInflight, m.user)
	}
	f.mu.Unlock()
}

// rightsUser checks that the caller may send the files of c, as
// unix_attach_fds: a user whose files in flight already exceed the
// sender's RLIMIT_NOFILE gets ETOOMANYREFS unless it has
// CAP_SYS_RESOURCE or CAP_SYS_ADMIN. It returns the user (real uid) the
// files count against.
func (f *Family) rightsUser(ctx net.Context, c *net.Control) (uint32, error) {
	cr := ctx.Credentials()
	if len(c.Rights) == 0 {
		return cr.RealUID, nil
	}
	f.mu.Lock()
	n := f.userInflight[cr.RealUID]
	f.mu.Unlock()
	if n > int64(c.RightsLimit) && !cr.HasCapability(unix.CAP_SYS_RESOURCE) && !cr.HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.ETOOMANYREFS
	}
	return cr.RealUID, nil
}

// collect runs the collector if sockets are in flight and it is not
// already running (a release during the collection calls it again).
func (f *Family) collect(ctx net.Context) {
	if f.inflight.Load() <= 0 || !f.gcMu.TryLock() {
		return
	}
	defer f.gcMu.Unlock()
	f.mu.Lock()
	eps := make([]*endpoint, 0, len(f.all))
	for e := range f.all {
		eps = append(eps, e)
	}
	f.mu.Unlock()

	inflight := make(map[*endpoint]int64)
	children := make(map[*endpoint][]*endpoint)
	files := make(map[*endpoint]*vfs.File)
	for _, e := range eps {
		e.mu.Lock()
		files[e] = e.file
		for _, m := range e.recvq {
			for _, r := range m.rights {
				if o := f.socketOf(r); o != nil {
					inflight[o]++
					children[e] = append(children[e], o)
				}
			}
		}
		e.mu.Unlock()
	}
	// Candidates: sockets whose every reference is in flight.
	cand := make(map[*endpoint]int64)
	for o, n := range inflight {
		if fl := files[o]; fl != nil && fl.RefCount() == n {
			cand[o] = n
		}
	}
	// References from outside the candidates keep a candidate alive,
	// and with it everything in its queue.
	for e := range cand {
		for _, o := range children[e] {
			if _, ok := cand[o]; ok {
				cand[o]--
			}
		}
	}
	alive := make(map[*endpoint]bool)
	var mark func(e *endpoint)
	mark = func(e *endpoint) {
		if alive[e] {
			return
		}
		alive[e] = true
		for _, o := range children[e] {
			if _, ok := cand[o]; ok {
				mark(o)
			}
		}
	}
	for o, ext := range cand {
		if ext > 0 {
			mark(o)
		}
	}
	var dead []*endpoint
	for o := range cand {
		if !alive[o] && files[o].RefCount() == inflight[o] {
			dead = append(dead, o)
		}
	}
	for _, o := range dead {
		o.mu.Lock()
		q := o.recvq
		o.recvq, o.recvqArr = nil, nil
		o.recvBytes = 0
		o.mu.Unlock()
		for _, m := range q {
			o.freeMessage(ctx, m)
		}
	}
}
