package kernel

import (
	"encoding/binary"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// SeccompNotifier is the listener side of a seccomp filter created with
// SECCOMP_FILTER_FLAG_NEW_LISTENER: system calls the filter answers with
// SECCOMP_RET_USER_NOTIF wait here until a supervisor reads them
// (SECCOMP_IOCTL_NOTIF_RECV) and answers (SECCOMP_IOCTL_NOTIF_SEND).
type SeccompNotifier struct {
	vfs.StreamFile
	queue vfs.WaitQueue
	// k finds the supervisor's files for SECCOMP_IOCTL_NOTIF_ADDFD.
	k *Kernel

	// mu guards the fields below.
	mu     sync.Mutex
	nextID uint64
	// notifs are the outstanding notifications, oldest first.
	notifs []*seccompNotif
	// closed is set when the listener file is released: waiting and
	// later notifications fail with ENOSYS.
	closed bool
	// changed is closed and replaced whenever a notification arrives or
	// the listener closes, to wake readers.
	changed chan struct{}
}

// Notification states, as Linux's.
const (
	notifInit = iota
	notifSent
	notifReplied
)

// seccompNotif is one system call waiting for its supervisor. Guarded by
// the notifier's mu.
type seccompNotif struct {
	id    uint64
	tid   int32
	task  *Task // the task whose call waits (ADDFD installs files in it)
	data  [64]byte
	state int
	// The answer: errVal if not 0 (a negative errno), else val; or
	// continue the call.
	val    int64
	errVal int32
	cont   bool
	// done is closed when the notification is answered or abandoned.
	done chan struct{}
}

// Listener ioctls (linux/seccomp.h).
const (
	seccompIoctlNotifRecv         = 0xc0502100
	seccompIoctlNotifSend         = 0xc0182101
	seccompIoctlNotifIDValid      = 0x40082102
	seccompIoctlNotifIDValidWrong = 0x80082102
	seccompIoctlNotifAddFD        = 0x40182103
	seccompUserNotifFlagContinue  = 1
	seccompAddFDFlagSetFD         = 1
	seccompAddFDFlagSend          = 2

	// pollWrNorm is POLLWRNORM (x/sys/unix lacks it on amd64).
	pollWrNorm = 0x100
)

// NewSeccompListener returns a notifier and its listener file
// ("anon_inode:seccomp notify"), to attach with AttachSeccompFilter.
func (k *Kernel) NewSeccompListener(ctx vfs.Context) (*SeccompNotifier, *vfs.File, error) {
	n := &SeccompNotifier{k: k, changed: make(chan struct{})}
	f, err := k.vfs.NewAnonymousFile(ctx, "anon_inode:seccomp notify", seccompAnonInode{}, n, unix.O_RDWR)
	if err != nil {
		return nil, nil, err
	}
	return n, f, nil
}

// seccompAnonInode answers fstat of the listener as anon_inodefs does.
type seccompAnonInode struct{ vfs.InodeDefaults }

// Stat implements vfs.Inode.
func (seccompAnonInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

// wakeLocked wakes readers and pollers.
//
// Preconditions: n.mu is held.
func (n *SeccompNotifier) wakeLocked() {
	close(n.changed)
	n.changed = make(chan struct{})
}

// notify makes task t's system call (described by data) wait for the
// supervisor. It returns the value to return, or cont to let the call
// run; ENOSYS without a listener; ERESTARTSYS if t was interrupted
// first (the call then restarts, as on Linux).
func (n *SeccompNotifier) notify(t *Task, data []byte) (val int64, cont bool, err error) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return 0, false, unix.ENOSYS
	}
	sn := &seccompNotif{id: n.nextID, tid: t.tid, task: t, done: make(chan struct{})}
	n.nextID++
	copy(sn.data[:], data)
	n.notifs = append(n.notifs, sn)
	n.wakeLocked()
	n.mu.Unlock()
	n.queue.Notify(unix.POLLIN | pollRdNorm)

	err = t.BlockOn(sn.done)
	n.mu.Lock()
	defer n.mu.Unlock()
	n.removeLocked(sn)
	if sn.state != notifReplied {
		if err != nil {
			return 0, false, err
		}
		return 0, false, unix.ENOSYS
	}
	if sn.cont {
		return 0, true, nil
	}
	if sn.errVal != 0 {
		return int64(sn.errVal), false, nil
	}
	return sn.val, false, nil
}

// removeLocked drops sn from the outstanding notifications.
//
// Preconditions: n.mu is held.
func (n *SeccompNotifier) removeLocked(sn *seccompNotif) {
	for i, x := range n.notifs {
		if x == sn {
			n.notifs = append(n.notifs[:i], n.notifs[i+1:]...)
			return
		}
	}
}

// findLocked returns the outstanding notification id. One already
// answered counts as gone, as it is on Linux once its task has woken
// (kite's wake-up is slower, and the answer is final either way).
//
// Preconditions: n.mu is held.
func (n *SeccompNotifier) findLocked(id uint64) *seccompNotif {
	for _, x := range n.notifs {
		if x.id == id && x.state != notifReplied {
			return x
		}
	}
	return nil
}

// Release implements vfs.FileOperations: the waiting calls fail with
// ENOSYS.
func (n *SeccompNotifier) Release(vfs.Context) {
	n.mu.Lock()
	n.closed = true
	for _, x := range n.notifs {
		close(x.done)
	}
	n.notifs = nil
	n.wakeLocked()
	n.mu.Unlock()
}

// Ioctl implements vfs.FileOperations: the SECCOMP_IOCTL_NOTIF_* calls.
func (n *SeccompNotifier) Ioctl(ctx vfs.Context, f *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	switch cmd {
	case seccompIoctlNotifRecv:
		return 0, n.recv(ctx, io, arg)
	case seccompIoctlNotifSend:
		return 0, n.send(io, arg)
	case seccompIoctlNotifAddFD:
		fd, err := n.addFD(ctx, io, arg)
		return uintptr(fd), err
	case seccompIoctlNotifIDValid, seccompIoctlNotifIDValidWrong:
		var b [8]byte
		if _, err := io.CopyIn(arg, b[:]); err != nil {
			return 0, unix.EFAULT
		}
		n.mu.Lock()
		defer n.mu.Unlock()
		if sn := n.findLocked(binary.LittleEndian.Uint64(b[:])); sn != nil && sn.state == notifSent {
			return 0, nil
		}
		return 0, unix.ENOENT
	}
	return 0, unix.EINVAL
}

// recv is SECCOMP_IOCTL_NOTIF_RECV: wait for a notification not yet
// received and copy out struct seccomp_notif (which must be zeroed).
func (n *SeccompNotifier) recv(ctx vfs.Context, io vfs.UserIO, arg uintptr) error {
	var b [80]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return unix.EFAULT
	}
	for _, c := range b {
		if c != 0 {
			return unix.EINVAL
		}
	}
	for {
		n.mu.Lock()
		var sn *seccompNotif
		for _, x := range n.notifs {
			if x.state == notifInit {
				sn = x
				break
			}
		}
		if sn != nil {
			binary.LittleEndian.PutUint64(b[0:], sn.id)
			binary.LittleEndian.PutUint32(b[8:], uint32(sn.tid))
			copy(b[16:], sn.data[:])
			if _, err := io.CopyOut(arg, b[:]); err != nil {
				n.mu.Unlock()
				return unix.EFAULT
			}
			sn.state = notifSent
			n.mu.Unlock()
			n.queue.Notify(unix.POLLOUT | pollWrNorm)
			return nil
		}
		ch := n.changed
		n.mu.Unlock()
		if err := ctx.BlockOn(ch); err != nil {
			return err
		}
	}
}

// send is SECCOMP_IOCTL_NOTIF_SEND: answer a received notification with
// struct seccomp_notif_resp.
func (n *SeccompNotifier) send(io vfs.UserIO, arg uintptr) error {
	var b [24]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return unix.EFAULT
	}
	id := binary.LittleEndian.Uint64(b[0:])
	val := int64(binary.LittleEndian.Uint64(b[8:]))
	errno := int32(binary.LittleEndian.Uint32(b[16:]))
	flags := binary.LittleEndian.Uint32(b[20:])
	if flags&^seccompUserNotifFlagContinue != 0 {
		return unix.EINVAL
	}
	cont := flags&seccompUserNotifFlagContinue != 0
	if cont && (errno != 0 || val != 0) {
		return unix.EINVAL
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	sn := n.findLocked(id)
	if sn == nil {
		return unix.ENOENT
	}
	if sn.state != notifSent {
		return unix.EINPROGRESS
	}
	sn.state = notifReplied
	sn.val, sn.errVal, sn.cont = val, errno, cont
	close(sn.done)
	return nil
}

// addFD is SECCOMP_IOCTL_NOTIF_ADDFD: install the supervisor's file
// srcfd in the fd table of the task whose call waits (struct
// seccomp_notif_addfd), at the lowest free fd or at newfd (SETFD, as
// dup2), and with ADDFD_FLAG_SEND answer the call with the new fd at
// once. It returns the fd number in the target.
func (n *SeccompNotifier) addFD(ctx vfs.Context, io vfs.UserIO, arg uintptr) (int32, error) {
	var b [24]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	id := binary.LittleEndian.Uint64(b[0:])
	flags := binary.LittleEndian.Uint32(b[8:])
	srcfd := binary.LittleEndian.Uint32(b[12:])
	newfd := binary.LittleEndian.Uint32(b[16:])
	newfdFlags := binary.LittleEndian.Uint32(b[20:])
	if flags&^(seccompAddFDFlagSetFD|seccompAddFDFlagSend) != 0 || newfdFlags&^unix.O_CLOEXEC != 0 ||
		newfd != 0 && flags&seccompAddFDFlagSetFD == 0 {
		return 0, unix.EINVAL
	}
	sup := n.k.TaskByID(ctx.ThreadID())
	if sup == nil || int32(srcfd) < 0 {
		return 0, unix.EBADF
	}
	f, _, err := sup.FDTable().Get(int32(srcfd))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(ctx)
	n.mu.Lock()
	sn := n.findLocked(id)
	if sn == nil {
		n.mu.Unlock()
		return 0, unix.ENOENT
	}
	if sn.state != notifSent {
		n.mu.Unlock()
		return 0, unix.EINPROGRESS
	}
	target := sn.task.FDTable()
	n.mu.Unlock()
	// Installing may close a file the target held at newfd, which may
	// be this listener: no lock of n is held.
	fdFlags := 0
	if newfdFlags&unix.O_CLOEXEC != 0 {
		fdFlags = vfs.FDCloexec
	}
	var fd int32
	if flags&seccompAddFDFlagSetFD != 0 {
		fd = int32(newfd)
		err = target.SetFD(ctx, fd, f, fdFlags)
	} else {
		fd, err = target.NewFD(0, f, fdFlags)
	}
	if err != nil {
		return 0, err
	}
	if flags&seccompAddFDFlagSend != 0 {
		n.mu.Lock()
		defer n.mu.Unlock()
		if n.findLocked(id) != sn || sn.state != notifSent {
			return 0, unix.ENOENT
		}
		sn.state = notifReplied
		sn.val = int64(fd)
		close(sn.done)
	}
	return fd, nil
}

// Readiness implements vfs.Waitable: POLLIN while a notification waits
// to be received, POLLOUT while one waits for its answer.
func (n *SeccompNotifier) Readiness(mask uint32) uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	var r uint32
	for _, x := range n.notifs {
		switch x.state {
		case notifInit:
			r |= unix.POLLIN | pollRdNorm
		case notifSent:
			r |= unix.POLLOUT | pollWrNorm
		}
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (n *SeccompNotifier) EventRegister(w *vfs.WaitEntry) { n.queue.EventRegister(w) }

// EventUnregister implements vfs.Waitable.
func (n *SeccompNotifier) EventUnregister(w *vfs.WaitEntry) { n.queue.EventUnregister(w) }
