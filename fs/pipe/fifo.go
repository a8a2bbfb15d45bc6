package pipe

import (
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// fifoTable maps FIFO inodes to the pipe of their open files: every open
// of one FIFO shares one pipe, dropped (with its data) when the last
// file closes, as Linux's inode->i_pipe.
type fifoTable struct {
	// mu guards pipes.
	mu    sync.Mutex
	pipes map[vfs.Inode]*Pipe
}

// InstallFIFOOpener makes package pipe the opener of v's FIFO inodes
// (mknod S_IFIFO, mkfifo). Call it once when building a kernel.
func InstallFIFOOpener(v *vfs.VirtualFilesystem) {
	t := &fifoTable{pipes: make(map[vfs.Inode]*Pipe)}
	v.SetFIFOOpener(t.open)
}

// get returns the pipe of inode with one more file counted on it.
func (t *fifoTable) get(inode vfs.Inode) *Pipe {
	if ai, ok := inode.(*anonInode); ok {
		// An anonymous pipe reopened through a magic link: its own pipe.
		ai.p.mu.Lock()
		ai.p.files++
		ai.p.mu.Unlock()
		return ai.p
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pipes[inode]
	if p == nil {
		p = newPipe()
		p.rCounter, p.wCounter = 1, 1
		t.pipes[inode] = p
	}
	p.mu.Lock()
	p.files++
	p.mu.Unlock()
	return p
}

// put drops a file counted by get and forgets the pipe when none is left.
func (t *fifoTable) put(inode vfs.Inode, p *Pipe) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p.mu.Lock()
	unused := p.files == 0
	p.mu.Unlock()
	if unused && t.pipes[inode] == p {
		delete(t.pipes, inode)
	}
}

// open is the vfs.FIFOOpener, as Linux's fifo_open: a reader waits for a
// writer unless O_NONBLOCK; a writer waits for a reader, or fails with
// ENXIO under O_NONBLOCK; O_RDWR never waits. An anonymous pipe opened
// again through /proc/PID/fd/N never waits: it gives a new end of the
// same pipe.
func (t *fifoTable) open(ctx vfs.Context, inode vfs.Inode, flags int) (vfs.FileOperations, error) {
	_, isPipe := inode.(*anonInode)
	p := t.get(inode)
	f := &File{p: p}
	f.release = func() { t.put(inode, p) }
	nonblock := flags&unix.O_NONBLOCK != 0
	var err error
	p.mu.Lock()
	switch flags & unix.O_ACCMODE {
	case unix.O_RDONLY:
		f.reader = true
		p.rCounter++
		p.readers++
		if p.writers == 0 && !isPipe {
			if nonblock {
				f.hupAfter = p.wCounter
			} else {
				err = p.waitForPartner(ctx, &p.wCounter)
			}
		}
	case unix.O_WRONLY:
		if nonblock && p.readers == 0 && !isPipe {
			err = unix.ENXIO
			break
		}
		f.writer = true
		p.wCounter++
		p.writers++
		if p.readers == 0 && !isPipe {
			err = p.waitForPartner(ctx, &p.rCounter)
		}
	case unix.O_RDWR:
		f.reader, f.writer = true, true
		p.rCounter++
		p.wCounter++
		p.readers++
		p.writers++
	default:
		err = unix.EINVAL
	}
	p.mu.Unlock()
	// Partners waiting in open, and readers or writers waiting for the
	// other side, look again.
	p.queue.Notify(readableEvents | writableEvents)
	if err != nil {
		f.Release(ctx)
		return nil, err
	}
	return f, nil
}

// waitForPartner waits until *counter changes (the other side opened),
// as wait_for_partner. It returns ERESTARTSYS if interrupted first.
//
// Preconditions: p.mu is held.
func (p *Pipe) waitForPartner(ctx vfs.Context, counter *uint64) error {
	cur := *counter
	ch := make(chan struct{}, 1)
	entry := vfs.NewWakerEntry(readableEvents|writableEvents, ch, ctx.Waker())
	p.queue.EventRegister(entry)
	defer p.queue.EventUnregister(entry)
	// Wake the other side, which may be waiting in its own open.
	p.mu.Unlock()
	p.queue.Notify(readableEvents | writableEvents)
	p.mu.Lock()
	for cur == *counter {
		if err := p.wait(ctx, ch, nil); err != nil {
			if cur == *counter {
				return err
			}
		}
	}
	return nil
}
