package hostnet

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// A host network namespace given by path (a container engine's network,
// e.g. /run/netns/NAME or /proc/PID/ns/net) gets its sockets from one OS
// thread that entered it: socket(2) makes a socket in the caller's
// network namespace, and the socket stays in it whichever thread uses it
// afterwards (accepted connections too). The thread exists only to make
// sockets; it never runs other Go code (it is locked and never unlocked,
// so the runtime drops it when its goroutine ends).

// socketRequest asks the namespace thread for a socket.
type socketRequest struct {
	domain, typ, protocol int
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
	m.reqs <- socketRequest{domain, typ, protocol, reply}
	r := <-reply
	return r.fd, r.err
}

// stop ends the namespace thread.
func (m *nsMaker) stop() { close(m.reqs) }
