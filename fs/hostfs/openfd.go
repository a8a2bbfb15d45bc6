package hostfs

import (
	"container/list"
	"sync"

	"golang.org/x/sys/unix"
)

// openFD is the host fd of one open file (a regular file or a directory
// listing). The Filesystem keeps at most maxOpenFDs of them open, closing
// the least recently used one that no call is using; a closed one is
// opened again on its next use through the same safe resolver as the first
// open (from the parent directory's fd, by name, and checked to be the
// same host file: ESTALE if the host removed or replaced it meanwhile).
// So a program that holds many host files open costs kite a bounded
// number of host fds, and only its own RLIMIT_NOFILE limits it.
type openFD struct {
	ino *inode

	// mu guards fd and users.
	mu sync.Mutex
	// fd is the host fd, -1 while closed by the cache (or released).
	fd int
	// users counts the calls using fd now; the cache closes only unused
	// fds.
	users int
	// released is set by release: the file is closed for good.
	released bool
	// pinned fds (files opened for writing) stay open until released:
	// they are never in the cache, so a written file whose name goes
	// (unlinked, renamed on the host) keeps its data reachable.
	pinned bool

	// elem is the openFD's place in fs.openLRU, nil when not in it.
	// Guarded by fs.openMu.
	elem *list.Element
}

// newOpenFD registers fd, just opened for ino, with the cache.
func (fs *Filesystem) newOpenFD(ino *inode, fd int) *openFD {
	o := &openFD{ino: ino, fd: fd}
	o.mu.Lock()
	fs.touchOpen(o)
	o.mu.Unlock()
	fs.evictOpen()
	return o
}

// newPinnedFD registers fd, just opened for writing for ino: it stays
// open until the file is released.
func (fs *Filesystem) newPinnedFD(ino *inode, fd int) *openFD {
	return &openFD{ino: ino, fd: fd, pinned: true}
}

// reopen opens the host file of o again.
func (o *openFD) reopen() (int, error) {
	i := o.ino
	switch i.typ {
	case unix.S_IFDIR:
		pathFD, release, err := i.acquireDir()
		if err != nil {
			return -1, err
		}
		fd, err := openDirFD(pathFD)
		release()
		return fd, err
	case unix.S_IFREG:
		dirfd, name, release, err := i.location()
		if err != nil {
			return -1, err
		}
		fd, err := openRegularAt(dirfd, name, i.key.dev, i.key.ino)
		release()
		if err == unix.ENOENT {
			err = unix.ESTALE
		}
		return fd, err
	}
	return -1, unix.EBADF
}

// acquire returns the host fd, opening it again if the cache closed it;
// fresh reports that it was. The fd stays open until done is called.
func (o *openFD) acquire() (fd int, fresh bool, done func(), err error) {
	fs := o.ino.fs
	o.mu.Lock()
	if o.released {
		o.mu.Unlock()
		return -1, false, nil, unix.EBADF
	}
	if o.fd >= 0 {
		o.users++
		fs.touchOpen(o)
		fd = o.fd
		o.mu.Unlock()
		return fd, false, o.unuse, nil
	}
	o.mu.Unlock()
	nfd, err := o.reopen()
	if err != nil {
		return -1, false, nil, err
	}
	o.mu.Lock()
	switch {
	case o.released:
		o.mu.Unlock()
		closeFD(nfd)
		return -1, false, nil, unix.EBADF
	case o.fd >= 0:
		closeFD(nfd) // another call reopened it first
	default:
		o.fd = nfd
		fresh = true
	}
	o.users++
	fs.touchOpen(o)
	fd = o.fd
	o.mu.Unlock()
	fs.evictOpen()
	return fd, fresh, o.unuse, nil
}

func (o *openFD) unuse() {
	o.mu.Lock()
	o.users--
	o.mu.Unlock()
}

// release closes the file for good (the open file's Release).
func (o *openFD) release() {
	fs := o.ino.fs
	o.mu.Lock()
	o.released = true
	fd := o.fd
	o.fd = -1
	o.mu.Unlock()
	fs.openMu.Lock()
	if o.elem != nil {
		fs.openLRU.Remove(o.elem)
		o.elem = nil
	}
	fs.openMu.Unlock()
	closeFD(fd)
}

// touchOpen moves o to the front of the open-fd cache, adding it if
// needed.
//
// Preconditions: o.mu is held; o.fd is open.
func (fs *Filesystem) touchOpen(o *openFD) {
	if o.pinned {
		return
	}
	fs.openMu.Lock()
	if o.elem != nil {
		fs.openLRU.MoveToFront(o.elem)
	} else {
		o.elem = fs.openLRU.PushFront(o)
	}
	fs.openMu.Unlock()
}

// evictOpen closes the least recently used open-file fds that no call is
// using until at most maxOpenFDs stay open.
func (fs *Filesystem) evictOpen() {
	fs.openMu.Lock()
	tries := fs.openLRU.Len()
	fs.openMu.Unlock()
	for ; tries > 0; tries-- {
		fs.openMu.Lock()
		if fs.openLRU.Len() <= fs.maxOpenFDs {
			fs.openMu.Unlock()
			return
		}
		e := fs.openLRU.Back()
		o := e.Value.(*openFD)
		fs.openLRU.Remove(e)
		o.elem = nil
		fs.openMu.Unlock()

		o.mu.Lock()
		if o.fd >= 0 {
			if o.users == 0 {
				closeFD(o.fd)
				o.fd = -1
			} else {
				fs.touchOpen(o)
			}
		}
		o.mu.Unlock()
	}
}

// openFDBudget is how many open-file fds a Filesystem keeps open: like the
// directory fds, a quarter of kite's fd limit, between 64 and 4096.
func openFDBudget() int { return dirFDBudget() }
