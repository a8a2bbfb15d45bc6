package hostnet

import (
	"runtime"
	"strings"

	"golang.org/x/sys/unix"
)

// A host network namespace given by path (a container engine's network,
// e.g. /run/netns/NAME or /proc/PID/ns/net) gets its sockets from one OS
// thread that entered it: socket(2) makes a socket in the caller's
// network namespace, and the socket stays in it whichever thread uses it
// afterwards (accepted connections too). The thread exists only to make
// sockets; it never runs other Go code (it is locked and never unlocked,
// so the runtime drops it when its goroutine ends).

// socketRequest asks the namespace thread for a socket, or (fn not nil)
// to run fn there.
type socketRequest struct {
	domain, typ, protocol int
	fn                    func() error
	reply                 chan socketReply
}

type socketReply struct {
	fd  int
	err error
}

// nsMaker makes sockets inside one host network namespace.
type nsMaker struct {
	reqs chan socketRequest
}

// newNSMaker enters the network namespace at path on a thread of its own.
func newNSMaker(path string) (*nsMaker, error) {
	nsfd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	m := &nsMaker{reqs: make(chan socketRequest)}
	started := make(chan error)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread is left in the namespace
		err := unix.Setns(nsfd, unix.CLONE_NEWNET)
		unix.Close(nsfd)
		started <- err
		if err != nil {
			return
		}
		for r := range m.reqs {
			if r.fn != nil {
				r.reply <- socketReply{-1, r.fn()}
				continue
			}
			fd, err := unix.Socket(r.domain, r.typ, r.protocol)
			r.reply <- socketReply{fd, err}
		}
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return m, nil
}

// socket makes a socket in the namespace.
func (m *nsMaker) socket(domain, typ, protocol int) (int, error) {
	reply := make(chan socketReply, 1)
	m.reqs <- socketRequest{domain: domain, typ: typ, protocol: protocol, reply: reply}
	r := <-reply
	return r.fd, r.err
}

// run runs fn on the namespace thread.
func (m *nsMaker) run(fn func() error) error {
	reply := make(chan socketReply, 1)
	m.reqs <- socketRequest{fn: fn, reply: reply}
	return (<-reply).err
}

// SetSysctl writes value to the network sysctl key ("net.ipv4.X", as
// config.json's linux.sysctl names it) of the poller's host network
// namespace, as runc does inside a container's namespace: /proc/sys/net
// shows the namespace of the thread that opens it. EPERM for the
// namespace kite itself runs in (the host's own), EINVAL for a key
// outside net.
func (p *Poller) SetSysctl(key, value string) error {
	rest, ok := strings.CutPrefix(key, "net.")
	if !ok || rest == "" || strings.Contains(key, "/") || strings.Contains(key, "..") {
		return unix.EINVAL
	}
	if p.ns == nil {
		return unix.EPERM
	}
	path := "/proc/sys/net/" + strings.ReplaceAll(rest, ".", "/")
	return p.ns.run(func() error {
		fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
		if err != nil {
			return err
		}
		defer unix.Close(fd)
		_, err = unix.Write(fd, []byte(value))
		return err
	})
}

// InNamespace runs fn on a thread of the poller's host network
// namespace: the namespace thread of NewPollerIn's, else the caller's
// (kite's own namespace, which every thread but the namespace threads
// is in). fn must not block for long: the namespace thread makes the
// sockets too.
func (p *Poller) InNamespace(fn func() error) error {
	if p.ns == nil {
		return fn()
	}
	return p.ns.run(fn)
}

// stop ends the namespace thread.
func (m *nsMaker) stop() { close(m.reqs) }
