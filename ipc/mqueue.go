package ipc

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// POSIX message queues: each IPC namespace has an mqueue file system
// (MQFS) whose root holds the queues by name. mq_open creates a queue
// there and opens it through the VFS; mounting "mqueue" shows the
// caller's namespace's file system (at /dev/mqueue by convention).
// Locking: MQFS.mu (the names) is taken before a Queue's mu.

// mqueueMagic is MQUEUE_MAGIC.
const mqueueMagic = 0x19800202

// Queue limits (Linux's defaults and hard limits, /proc/sys/fs/mqueue).
const (
	mqMsgMaxDefault     = 10
	mqMsgSizeDefault    = 8192
	mqMsgMax            = 10
	mqMsgSizeMax        = 8192
	mqHardMsgMax        = 65536
	mqHardMsgSizeMax    = 16 << 20
	mqQueuesMax         = 256
	mqPrioMax           = 32768
	mqNameMax           = 255
	mqFileSize          = 80 // FILENT_SIZE: the size stat reports
	sigevNone           = 1
	mqueueStatusPattern = "QSIZE:%-10d NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n"
)

// MQAttr is struct mq_attr.
type MQAttr struct {
	Flags, MaxMsg, MsgSize, CurMsgs int64
}

// MQFS is the mqueue file system of one IPC namespace.
type MQFS struct {
	v     *vfs.VirtualFilesystem
	owner *auth.UserNamespace
	root  *mqDir

	mu sync.Mutex
	// queues maps names to queues; mnt is the internal mount mq_open
	// resolves names in (made on first use). Guarded by mu.
	queues map[string]*Queue
	mnt    *vfs.MountNamespace
}

// NewMQFS returns an empty mqueue file system for an IPC namespace
// owned by owner.
func NewMQFS(v *vfs.VirtualFilesystem, owner *auth.UserNamespace) *MQFS {
	fs := &MQFS{v: v, owner: owner, queues: make(map[string]*Queue)}
	fs.root = &mqDir{fs: fs, ino: v.NewInodeNumber(), time: v.NowTimespec()}
	return fs
}

// Name implements vfs.Filesystem.
func (*MQFS) Name() string { return "mqueue" }

// Root implements vfs.Filesystem.
func (fs *MQFS) Root(vfs.Context) (vfs.Inode, error) { return fs.root, nil }

// Statfs implements vfs.Filesystem.
func (*MQFS) Statfs(vfs.Context) (vfs.Statfs, error) {
	return vfs.Statfs{Type: mqueueMagic, Bsize: 4096, NameLen: vfs.NameMax, Frsize: 4096}, nil
}

// rootPath returns the root of the internal mount.
func (fs *MQFS) rootPath(ctx vfs.Context) (vfs.Path, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.mnt == nil {
		m, err := fs.v.NewMountNamespace(ctx, fs, 0)
		if err != nil {
			return vfs.Path{}, err
		}
		fs.mnt = m
	}
	return fs.mnt.Root(), nil
}

// checkAttr validates mq_open's attributes (nil: the defaults).
func checkAttr(c *auth.Credentials, owner *auth.UserNamespace, a *MQAttr) (int64, int64, error) {
	if a == nil {
		return mqMsgMaxDefault, mqMsgSizeDefault, nil
	}
	if a.MaxMsg <= 0 || a.MsgSize <= 0 {
		return 0, 0, unix.EINVAL
	}
	if !c.HasCapabilityIn(unix.CAP_SYS_RESOURCE, owner) {
		if a.MaxMsg > mqMsgMax || a.MsgSize > mqMsgSizeMax {
			return 0, 0, unix.EINVAL
		}
	} else if a.MaxMsg > mqHardMsgMax || a.MsgSize > mqHardMsgSizeMax {
		return 0, 0, unix.EINVAL
	}
	return a.MaxMsg, a.MsgSize, nil
}

// MQCharge charges the memory a new queue may use to its creator's
// RLIMIT_MSGQUEUE (EMFILE past it) and returns what gives it back when
// the queue is freed. Nil charges nothing.
type MQCharge func(bytes uint64) (release func(), err error)

// mqBytes is what a queue of maxMsg messages of msgSize bytes counts
// against RLIMIT_MSGQUEUE, as Linux's mqueue_get_inode reckons it: the
// messages, a struct msg_msg (48 bytes) for each, and a priority tree
// node (48 bytes) for each up to MQ_PRIO_MAX.
func mqBytes(maxMsg, msgSize int64) (uint64, error) {
	const msgHeader, treeNode = 48, 48
	if uint64(msgSize) > ^uint64(0)/uint64(maxMsg) {
		return 0, unix.EOVERFLOW
	}
	data := uint64(maxMsg) * uint64(msgSize)
	tree := uint64(maxMsg)*msgHeader + uint64(min(maxMsg, mqPrioMax))*treeNode
	if data+tree < data {
		return 0, unix.EOVERFLOW
	}
	return data + tree, nil
}

// Open is mq_open(2): name without its leading slash, oflag the open
// flags, mode before the umask, attr nil for the defaults; a new queue
// is charged to charge.
func (fs *MQFS) Open(ctx vfs.Context, name string, oflag int, mode, umask uint32, attr *MQAttr, charge MQCharge) (*vfs.File, error) {
	switch {
	case name == "":
		return nil, unix.ENOENT
	case strings.Contains(name, "/") || name == "." || name == "..":
		return nil, unix.EACCES
	case len(name) > mqNameMax:
		return nil, unix.ENAMETOOLONG
	}
	root, err := fs.rootPath(ctx)
	if err != nil {
		return nil, err
	}
	c := ctx.Credentials()
	fs.mu.Lock()
	if _, ok := fs.queues[name]; ok {
		if oflag&(unix.O_CREAT|unix.O_EXCL) == unix.O_CREAT|unix.O_EXCL {
			fs.mu.Unlock()
			return nil, unix.EEXIST
		}
		if oflag&unix.O_ACCMODE == unix.O_ACCMODE {
			fs.mu.Unlock()
			return nil, unix.EINVAL
		}
	} else {
		if oflag&unix.O_CREAT == 0 {
			fs.mu.Unlock()
			return nil, unix.ENOENT
		}
		maxMsg, msgSize, err := checkAttr(c, fs.owner, attr)
		if err == nil && len(fs.queues) >= mqQueuesMax && !c.HasCapabilityIn(unix.CAP_SYS_RESOURCE, fs.owner) {
			err = unix.ENOSPC
		}
		var release func()
		if err == nil && charge != nil {
			var n uint64
			if n, err = mqBytes(maxMsg, msgSize); err == nil {
				release, err = charge(n)
			}
		}
		if err != nil {
			fs.mu.Unlock()
			return nil, err
		}
		q := fs.newQueue(c, mode&^umask&0o777, maxMsg, msgSize)
		q.release = release
		fs.queues[name] = q
	}
	fs.mu.Unlock()
	fsc := vfs.NewFSContext(root)
	return fs.v.OpenAt(ctx, fsc, root, name, oflag&^(unix.O_CREAT|unix.O_EXCL|unix.O_TRUNC), 0)
}

// Unlink is mq_unlink(2).
func (fs *MQFS) Unlink(ctx vfs.Context, name string) error {
	switch {
	case name == "":
		return unix.ENOENT
	case strings.Contains(name, "/") || name == "." || name == "..":
		return unix.EACCES
	case len(name) > mqNameMax:
		return unix.ENAMETOOLONG
	}
	root, err := fs.rootPath(ctx)
	if err != nil {
		return err
	}
	return fs.v.UnlinkAt(ctx, vfs.NewFSContext(root), root, name)
}

func (fs *MQFS) newQueue(c *auth.Credentials, mode uint32, maxMsg, msgSize int64) *Queue {
	now := fs.v.NowTimespec()
	return &Queue{fs: fs, ino: fs.v.NewInodeNumber(), uid: c.FSUID, gid: c.FSGID, mode: mode,
		maxMsg: maxMsg, msgSize: msgSize, atime: now, mtime: now, ctime: now, changed: make(chan struct{})}
}

// mqDir is the root directory of an mqueue file system.
type mqDir struct {
	vfs.InodeDefaults
	fs   *MQFS
	ino  uint64
	time unix.Timespec
}

// Stat implements vfs.Inode.
func (d *mqDir) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Ino: d.ino, Mode: unix.S_IFDIR | 0o1777, Nlink: 2, Blksize: 4096,
		Atime: d.time, Mtime: d.time, Ctime: d.time}, nil
}

// Lookup implements vfs.Inode.
func (d *mqDir) Lookup(_ vfs.Context, name string) (vfs.Inode, error) {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if q, ok := d.fs.queues[name]; ok {
		return q, nil
	}
	return nil, unix.ENOENT
}

// Revalidate implements vfs.Revalidator: mq_open adds queues behind the
// dentry cache's back.
func (d *mqDir) Revalidate(_ vfs.Context, name string, child vfs.Inode) bool {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	q, ok := d.fs.queues[name]
	return ok && vfs.Inode(q) == child
}

// Create implements vfs.Inode: open(O_CREAT) in a mounted mqueue file
// system makes a queue with the default attributes.
func (d *mqDir) Create(ctx vfs.Context, name string, mode uint32) (vfs.Inode, error) {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	if _, ok := d.fs.queues[name]; ok {
		return nil, unix.EEXIST
	}
	q := d.fs.newQueue(ctx.Credentials(), mode&0o777, mqMsgMaxDefault, mqMsgSizeDefault)
	d.fs.queues[name] = q
	return q, nil
}

// Unlink implements vfs.Inode.
func (d *mqDir) Unlink(_ vfs.Context, name string, child vfs.Inode) error {
	d.fs.mu.Lock()
	defer d.fs.mu.Unlock()
	q, ok := d.fs.queues[name]
	if !ok || vfs.Inode(q) != child {
		return unix.ENOENT
	}
	delete(d.fs.queues, name)
	q.mu.Lock()
	q.unlinked = true
	q.freeIfUnusedLocked()
	q.mu.Unlock()
	return nil
}

// Open implements vfs.Inode.
func (d *mqDir) Open(vfs.Context, int) (vfs.FileOperations, error) { return &mqDirFile{d: d}, nil }

// mqDirFile lists the queues.
type mqDirFile struct {
	vfs.FileDefaults
	d *mqDir
}

// IterDirents implements vfs.FileOperations.
func (f *mqDirFile) IterDirents(_ vfs.Context, _ *vfs.File, off int64, emit func(vfs.Dirent) bool) error {
	f.d.fs.mu.Lock()
	names := make([]string, 0, len(f.d.fs.queues))
	inos := make(map[string]uint64)
	for n, q := range f.d.fs.queues {
		names = append(names, n)
		inos[n] = q.ino
	}
	f.d.fs.mu.Unlock()
	sort.Strings(names)
	for k := off - 2; k >= 0 && k < int64(len(names)); k++ {
		if !emit(vfs.Dirent{Name: names[k], Ino: inos[names[k]], Type: unix.DT_REG, NextOff: k + 3}) {
			return nil
		}
	}
	return nil
}

// mqMessage is one queued message.
type mqMessage struct {
	prio uint32
	data []byte
}

// MQNotify is a registered mq_notify: Fire sends the notification for a
// message sent by process pid with uid.
type MQNotify struct {
	TGID  int32
	Signo int
	Fire  func(pid int32, uid uint32) // nil for SIGEV_NONE
}

// Queue is a POSIX message queue (an inode of MQFS).
type Queue struct {
	vfs.InodeDefaults
	fs  *MQFS
	ino uint64

	mu sync.Mutex
	// Everything below is guarded by mu.
	uid, gid            uint32
	mode                uint32
	maxMsg, msgSize     int64
	msgs                []mqMessage // highest priority first, FIFO within one
	bytes               int64
	atime, mtime, ctime unix.Timespec
	notify              *MQNotify
	receivers           int
	// opens counts the open descriptions; unlinked is set once the
	// name is gone. When both say the queue is unused, release (if
	// set) gives back its RLIMIT_MSGQUEUE charge, once.
	opens    int
	unlinked bool
	release  func()
	// changed is closed and replaced whenever messages come or go.
	changed chan struct{}
	queue   vfs.WaitQueue
}

// Stat implements vfs.Inode.
func (q *Queue) Stat(vfs.Context) (vfs.Stat, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return vfs.Stat{Ino: q.ino, Mode: unix.S_IFREG | q.mode, Nlink: 1, UID: q.uid, GID: q.gid, Size: mqFileSize,
		Blksize: 4096, Atime: q.atime, Mtime: q.mtime, Ctime: q.ctime}, nil
}

// SetStat implements vfs.Inode (chmod, chown, utimes).
func (q *Queue) SetStat(_ vfs.Context, s *vfs.SetStat) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s.Mask&unix.STATX_MODE != 0 {
		q.mode = s.Mode & 0o7777
	}
	if s.Mask&unix.STATX_UID != 0 {
		q.uid = s.UID
	}
	if s.Mask&unix.STATX_GID != 0 {
		q.gid = s.GID
	}
	if s.Mask&unix.STATX_ATIME != 0 {
		q.atime = s.Atime
	}
	if s.Mask&unix.STATX_MTIME != 0 {
		q.mtime = s.Mtime
	}
	q.ctime = s.Ctime
	return nil
}

// Open implements vfs.Inode.
func (q *Queue) Open(vfs.Context, int) (vfs.FileOperations, error) {
	q.mu.Lock()
	q.opens++
	q.mu.Unlock()
	return &MQFile{q: q}, nil
}

// freeIfUnusedLocked gives back the queue's charge once it has neither
// a name nor an open description (Linux's mqueue_evict_inode).
//
// Preconditions: q.mu is held.
func (q *Queue) freeIfUnusedLocked() {
	if q.unlinked && q.opens == 0 && q.release != nil {
		q.release()
		q.release = nil
	}
}

// Release implements vfs.FileOperations.
func (m *MQFile) Release(vfs.Context) {
	q := m.q
	q.mu.Lock()
	q.opens--
	q.freeIfUnusedLocked()
	q.mu.Unlock()
}

// wakeLocked wakes sleepers and pollers.
func (q *Queue) wakeLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// MQFile is an open message queue description.
type MQFile struct {
	vfs.FileDefaults
	q *Queue
}

// QueueOf returns the queue f is open on (EBADF for another file).
func QueueOf(f *vfs.File) (*Queue, error) {
	m, ok := f.Ops().(*MQFile)
	if !ok {
		return nil, unix.EBADF
	}
	return m.q, nil
}

// Read implements vfs.FileOperations: the status line.
func (m *MQFile) Read(_ vfs.Context, _ *vfs.File, dst []byte, off int64) (int, error) {
	q := m.q
	q.mu.Lock()
	notify, signo, pid := 0, 0, int32(0)
	if q.notify != nil {
		pid, signo = q.notify.TGID, q.notify.Signo
		if q.notify.Fire == nil {
			notify = sigevNone
		}
	}
	s := fmt.Sprintf(mqueueStatusPattern, q.bytes, notify, signo, pid)
	q.mu.Unlock()
	if off >= int64(len(s)) {
		return 0, nil
	}
	return copy(dst, s[off:]), nil
}

// Readiness implements vfs.Waitable.
func (m *MQFile) Readiness(mask uint32) uint32 {
	q := m.q
	q.mu.Lock()
	defer q.mu.Unlock()
	var r uint32
	if len(q.msgs) > 0 {
		r |= unix.POLLIN | vfs.PollRdNorm
	}
	if int64(len(q.msgs)) < q.maxMsg {
		r |= unix.POLLOUT | vfs.PollWrNorm
	}
	return r & mask
}

// EventRegister implements vfs.Waitable.
func (m *MQFile) EventRegister(e *vfs.WaitEntry) { m.q.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (m *MQFile) EventUnregister(e *vfs.WaitEntry) { m.q.queue.EventUnregister(e) }

// wait sleeps until the queue changes or the deadline (zero: none)
// passes; an interruption restarts the call as Linux's ERESTARTSYS.
func (q *Queue) waitLocked(ctx vfs.Context, deadline time.Time) error {
	ch := q.changed
	q.mu.Unlock()
	var err error
	if deadline.IsZero() {
		err = ctx.BlockOn(ch)
	} else {
		err = ctx.BlockOnTimeout(ch, deadline)
	}
	q.mu.Lock()
	return err
}

// Send is mq_timedsend(2) by process pid with uid on file f.
func (q *Queue) Send(ctx vfs.Context, f *vfs.File, data []byte, prio uint32, deadline time.Time, pid int32, uid uint32) error {
	if !f.Writable() {
		return unix.EBADF
	}
	if prio >= mqPrioMax {
		return unix.EINVAL
	}
	q.mu.Lock()
	if int64(len(data)) > q.msgSize {
		q.mu.Unlock()
		return unix.EMSGSIZE
	}
	for int64(len(q.msgs)) >= q.maxMsg {
		if f.Flags()&unix.O_NONBLOCK != 0 {
			q.mu.Unlock()
			return unix.EAGAIN
		}
		if err := q.waitLocked(ctx, deadline); err != nil {
			q.mu.Unlock()
			return err
		}
	}
	i := sort.Search(len(q.msgs), func(i int) bool { return q.msgs[i].prio < prio })
	q.msgs = append(q.msgs, mqMessage{})
	copy(q.msgs[i+1:], q.msgs[i:])
	q.msgs[i] = mqMessage{prio: prio, data: append([]byte(nil), data...)}
	q.bytes += int64(len(data))
	now := q.fs.v.NowTimespec()
	q.mtime, q.ctime = now, now
	var fire func(int32, uint32)
	if len(q.msgs) == 1 && q.notify != nil && q.receivers == 0 {
		// The first message into an empty queue nobody waits on fires
		// the registration, which is then gone.
		fire = q.notify.Fire
		q.notify = nil
	}
	q.wakeLocked()
	q.mu.Unlock()
	q.queue.Notify(unix.POLLIN | vfs.PollRdNorm)
	if fire != nil {
		fire(pid, uid)
	}
	return nil
}

// Receive is mq_timedreceive(2) on file f with a buffer of size bytes.
func (q *Queue) Receive(ctx vfs.Context, f *vfs.File, size int64, deadline time.Time) ([]byte, uint32, error) {
	if !f.Readable() {
		return nil, 0, unix.EBADF
	}
	q.mu.Lock()
	if size < q.msgSize {
		q.mu.Unlock()
		return nil, 0, unix.EMSGSIZE
	}
	for len(q.msgs) == 0 {
		if f.Flags()&unix.O_NONBLOCK != 0 {
			q.mu.Unlock()
			return nil, 0, unix.EAGAIN
		}
		q.receivers++
		err := q.waitLocked(ctx, deadline)
		q.receivers--
		if err != nil {
			q.mu.Unlock()
			return nil, 0, err
		}
	}
	m := q.msgs[0]
	q.msgs = q.msgs[1:]
	q.bytes -= int64(len(m.data))
	now := q.fs.v.NowTimespec()
	q.atime, q.ctime = now, now
	q.wakeLocked()
	q.mu.Unlock()
	q.queue.Notify(unix.POLLOUT | vfs.PollWrNorm)
	return m.data, m.prio, nil
}

// SetNotify is mq_notify(2) by process tgid: n nil removes the caller's
// registration; another process's registration is EBUSY.
func (q *Queue) SetNotify(tgid int32, n *MQNotify) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if n == nil {
		if q.notify != nil && q.notify.TGID == tgid {
			q.notify = nil
		}
		return nil
	}
	if q.notify != nil {
		return unix.EBUSY
	}
	q.notify = n
	return nil
}

// Attr returns the queue's attributes with the file's flags.
func (q *Queue) Attr(f *vfs.File) MQAttr {
	q.mu.Lock()
	defer q.mu.Unlock()
	return MQAttr{Flags: int64(f.Flags() & unix.O_NONBLOCK), MaxMsg: q.maxMsg, MsgSize: q.msgSize, CurMsgs: int64(len(q.msgs))}
}
