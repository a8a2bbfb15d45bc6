package ipc

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// inotify: an instance is a queue of events and a set of watches, each a
// vfs.Watch on one inode. The VFS generates the events; an instance
// filters them by each watch's mask and queues them for read(2).

// InotifyCharges are the limits an instance is made with (the kernel's
// /proc/sys/fs/inotify, counted per user).
type InotifyCharges struct {
	// MaxQueued is the length of the queue past which events are lost
	// (IN_Q_OVERFLOW).
	MaxQueued int
	// ChargeWatch charges one more watch to the instance's user
	// (ENOSPC past the limit) and returns what gives it back.
	ChargeWatch func() (release func(), err error)
	// Release gives back the instance's own charge, when it is closed.
	Release func()
}

// InotifyInitFlags are the flags inotify_init1 takes, and
// InotifyWatchBits the bits of an inotify_add_watch mask: the events
// and the flags.
const (
	InotifyInitFlags = unix.IN_NONBLOCK | unix.IN_CLOEXEC
	InotifyWatchBits = inAllEvents | unix.IN_EXCL_UNLINK | unix.IN_MASK_ADD | unix.IN_MASK_CREATE | unix.IN_ONLYDIR | unix.IN_DONT_FOLLOW | unix.IN_ONESHOT
)

const (
	inAllEvents  = unix.IN_ALL_EVENTS
	inEventSize  = 16 // sizeof(struct inotify_event) without the name
	inQOverflow  = unix.IN_Q_OVERFLOW
	inIgnored    = unix.IN_IGNORED
	inUnmount    = unix.IN_UNMOUNT
	inIsdir      = unix.IN_ISDIR
	inExclUnlink = unix.IN_EXCL_UNLINK
	inOneshot    = unix.IN_ONESHOT
	pollRdnorm   = 0x40 // POLLRDNORM, which x/sys/unix lacks on amd64
)

// inotifyEvent is one queued event.
type inotifyEvent struct {
	wd     int32
	mask   uint32
	cookie uint32
	name   string
}

// size is the event's length in read(2)'s buffer: the name with at least
// one NUL, padded to a multiple of the header size, as Linux pads it.
func (e *inotifyEvent) size() int {
	if e.name == "" {
		return inEventSize
	}
	n := len(e.name) + 1
	n = (n + inEventSize - 1) / inEventSize * inEventSize
	return inEventSize + n
}

// Inotify is the file operations of an inotify instance.
type Inotify struct {
	eventFileOps
	vfs   *vfs.VirtualFilesystem
	queue vfs.WaitQueue

	// mu guards the fields below and every watch's mask and removed. It
	// is taken before the VFS's notify lock (AddWatch, RemoveWatch).
	mu      sync.Mutex
	events  []inotifyEvent
	bytes   int
	watches map[int32]*inotifyWatch
	byInode map[vfs.Inode]*inotifyWatch
	nextWD  int32

	// charges is immutable.
	charges InotifyCharges
}

// inotifyWatch is one watch: a vfs.Watch on inode.
type inotifyWatch struct {
	in    *Inotify
	wd    int32
	inode vfs.Inode
	// mask and removed are guarded by in.mu.
	mask    uint32
	removed bool
	// release gives back the watch's charge; guarded by in.mu.
	release func()
}

// NewInotify returns an inotify file (inotify_init1) with the limits of
// ch, whose Release it calls when the file goes (or now, on an error);
// flags are InotifyInitFlags (the caller applies IN_CLOEXEC to the fd).
//
// Preconditions: flags&^InotifyInitFlags == 0 (the caller checked them
// before it charged ch, as Linux does).
func NewInotify(ctx vfs.Context, v *vfs.VirtualFilesystem, flags int, ch InotifyCharges) (*vfs.File, error) {
	in := &Inotify{
		vfs:     v,
		watches: make(map[int32]*inotifyWatch),
		byInode: make(map[vfs.Inode]*inotifyWatch),
		nextWD:  1,
		charges: ch,
	}
	// Linux opens it read-only: write(2) gives EBADF.
	return v.NewAnonymousFile(ctx, "anon_inode:inotify", anonInode{}, in, unix.O_RDONLY|flags&unix.O_NONBLOCK)
}

// InotifyOf returns the inotify instance behind f, or nil.
func InotifyOf(f *vfs.File) *Inotify {
	in, _ := f.Ops().(*Inotify)
	return in
}

// AddWatch adds a watch on d's inode with mask (inotify_add_watch after
// the path was resolved and checked), or changes the existing one, and
// returns its descriptor.
func (in *Inotify) AddWatch(d *vfs.Dentry, mask uint32) (int32, error) {
	inode := d.Inode()
	in.mu.Lock()
	defer in.mu.Unlock()
	if w := in.byInode[inode]; w != nil {
		if mask&unix.IN_MASK_CREATE != 0 {
			return 0, unix.EEXIST
		}
		if mask&unix.IN_MASK_ADD != 0 {
			w.mask |= mask &^ unix.IN_MASK_ADD
		} else {
			w.mask = mask
		}
		return w.wd, nil
	}
	release, err := in.charges.ChargeWatch()
	if err != nil {
		return 0, err
	}
	w := &inotifyWatch{in: in, wd: in.nextWD, inode: inode, mask: mask &^ (unix.IN_MASK_ADD | unix.IN_MASK_CREATE), release: release}
	in.nextWD++
	in.watches[w.wd] = w
	in.byInode[inode] = w
	in.vfs.AddWatch(d, w)
	return w.wd, nil
}

// RemoveWatch removes watch wd (inotify_rm_watch) and queues IN_IGNORED.
func (in *Inotify) RemoveWatch(wd int32) error {
	in.mu.Lock()
	w := in.watches[wd]
	if w == nil {
		in.mu.Unlock()
		return unix.EINVAL
	}
	in.dropLocked(w)
	in.queueLocked(inotifyEvent{wd: wd, mask: inIgnored})
	in.mu.Unlock()
	in.vfs.RemoveWatch(w.inode, w)
	in.queue.Notify(unix.POLLIN)
	return nil
}

// dropLocked forgets w.
//
// Preconditions: in.mu is held.
func (in *Inotify) dropLocked(w *inotifyWatch) {
	if w.release != nil {
		w.release()
		w.release = nil
	}
	w.removed = true
	delete(in.watches, w.wd)
	delete(in.byInode, w.inode)
}

// queueLocked appends ev, unless it repeats the last queued event; when
// the queue is full it ends with one IN_Q_OVERFLOW event instead.
//
// Preconditions: in.mu is held.
func (in *Inotify) queueLocked(ev inotifyEvent) {
	if n := len(in.events); n > 0 {
		last := &in.events[n-1]
		if last.mask == inQOverflow {
			return
		}
		if *last == ev {
			return
		}
	}
	if len(in.events) >= in.charges.MaxQueued {
		ev = inotifyEvent{wd: -1, mask: inQOverflow}
	}
	in.events = append(in.events, ev)
	in.bytes += ev.size()
}

// Event implements vfs.Watch.
func (w *inotifyWatch) Event(ev vfs.NotifyEvent) {
	in := w.in
	in.mu.Lock()
	if w.removed {
		in.mu.Unlock()
		return
	}
	if ev.Mask&inIgnored != 0 {
		// The VFS dropped the watch: its inode is gone.
		in.dropLocked(w)
		in.queueLocked(inotifyEvent{wd: w.wd, mask: inIgnored})
		in.mu.Unlock()
		in.queue.Notify(unix.POLLIN)
		return
	}
	if ev.Mask&w.mask&inAllEvents == 0 && ev.Mask&inUnmount == 0 {
		in.mu.Unlock()
		return
	}
	if ev.Name != "" && ev.Unlinked && w.mask&inExclUnlink != 0 {
		in.mu.Unlock()
		return
	}
	in.queueLocked(inotifyEvent{wd: w.wd, mask: ev.Mask, cookie: ev.Cookie, name: ev.Name})
	oneshot := w.mask&inOneshot != 0
	if oneshot {
		in.dropLocked(w)
		in.queueLocked(inotifyEvent{wd: w.wd, mask: inIgnored})
	}
	in.mu.Unlock()
	if oneshot {
		in.vfs.RemoveWatch(w.inode, w)
	}
	in.queue.Notify(unix.POLLIN)
}

// Read implements vfs.FileOperations: it returns as many whole events as
// fit in dst (EINVAL if not even the first does), waiting while there is
// none (EAGAIN with O_NONBLOCK).
func (in *Inotify) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	var w *waiter
	defer func() {
		if w != nil {
			w.done()
		}
	}()
	for {
		in.mu.Lock()
		if len(in.events) > 0 {
			n, err := in.takeLocked(dst)
			in.mu.Unlock()
			return n, err
		}
		in.mu.Unlock()
		if nonblocking(f) {
			return 0, unix.EAGAIN
		}
		if w == nil {
			w = newWaiter(&in.queue, unix.POLLIN, ctx.Waker())
			continue
		}
		if err := ctx.Park(w.ch); err != nil {
			return 0, err
		}
	}
}

// takeLocked moves whole events into dst.
//
// Preconditions: in.mu is held; the queue is not empty.
func (in *Inotify) takeLocked(dst []byte) (int, error) {
	n, i := 0, 0
	for ; i < len(in.events); i++ {
		ev := &in.events[i]
		sz := ev.size()
		if n+sz > len(dst) {
			break
		}
		b := dst[n : n+sz]
		binary.LittleEndian.PutUint32(b[0:], uint32(ev.wd))
		binary.LittleEndian.PutUint32(b[4:], ev.mask)
		binary.LittleEndian.PutUint32(b[8:], ev.cookie)
		binary.LittleEndian.PutUint32(b[12:], uint32(sz-inEventSize))
		clear(b[inEventSize:])
		copy(b[inEventSize:], ev.name)
		n += sz
		in.bytes -= sz
	}
	if i == 0 {
		return 0, unix.EINVAL
	}
	in.events = append(in.events[:0:0], in.events[i:]...)
	return n, nil
}

// Ioctl implements vfs.FileOperations: FIONREAD gives the bytes queued.
func (in *Inotify) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != vfs.IoctlFIONREAD {
		return 0, unix.ENOTTY
	}
	in.mu.Lock()
	n := in.bytes
	in.mu.Unlock()
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(n))
	if _, err := io.CopyOut(arg, b[:]); err != nil {
		return 0, err
	}
	return 0, nil
}

// Readiness implements vfs.Waitable: POLLIN while events are queued.
func (in *Inotify) Readiness(mask uint32) uint32 {
	in.mu.Lock()
	n := len(in.events)
	in.mu.Unlock()
	if n > 0 {
		return (unix.POLLIN | pollRdnorm) & mask
	}
	return 0
}

// EventRegister implements vfs.Waitable.
func (in *Inotify) EventRegister(w *vfs.WaitEntry) { in.queue.EventRegister(w) }

// EventUnregister implements vfs.Waitable.
func (in *Inotify) EventUnregister(w *vfs.WaitEntry) { in.queue.EventUnregister(w) }

// Release implements vfs.FileOperations: the watches go with the file.
func (in *Inotify) Release(vfs.Context) {
	in.mu.Lock()
	ws := make([]*inotifyWatch, 0, len(in.watches))
	for _, w := range in.watches {
		in.dropLocked(w)
		ws = append(ws, w)
	}
	in.events = nil
	in.mu.Unlock()
	for _, w := range ws {
		in.vfs.RemoveWatch(w.inode, w)
	}
	in.charges.Release()
}
