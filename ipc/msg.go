package ipc

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// Message queue flags and commands (linux/msg.h).
const (
	MsgNoError = 0o10000
	MsgExcept  = 0o20000
	MsgCopy    = 0o40000

	MsgStat    = 11
	MsgInfo    = 12
	MsgStatAny = 13
)

// errRestartNoHand is Linux's ERESTARTNOHAND: the call restarts unless a
// handler ran (then EINTR), as msgsnd and msgrcv do when interrupted.
const errRestartNoHand = unix.Errno(514)

// message is one queued message.
type message struct {
	typ  int64
	text []byte
}

// MsgQueue is a System V message queue.
type MsgQueue struct {
	Perm
	msgs   []message
	bytes  uint64
	qbytes uint64
	stime  time.Time
	rtime  time.Time
	ctime  time.Time
	lspid  int32
	lrpid  int32
	// removed is set by IPC_RMID; changed is closed and replaced when
	// messages come or go, waking senders and receivers to retry.
	removed bool
	changed chan struct{}
}

func (q *MsgQueue) perm() *Perm { return &q.Perm }

func (q *MsgQueue) wakeLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// MsgGet is msgget(2) by c.
func (ns *Namespace) MsgGet(c *auth.Credentials, key int32, flag int) (int32, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	o, err := ns.msg.get(c, ns.owner, key, flag, nil, func() (ipcObject, error) {
		q := &MsgQueue{Perm: newPerm(c, key, flag), qbytes: uint64(ns.limits.MsgMnb), ctime: ns.now(), changed: make(chan struct{})}
		if err := ns.msg.add(q, int(ns.limits.MsgMni)); err != nil {
			return nil, err
		}
		return q, nil
	})
	if err != nil {
		return 0, err
	}
	return o.perm().ID, nil
}

// MsgMax returns the namespace's msgmax.
func (ns *Namespace) MsgMax() int {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	return int(ns.limits.MsgMax)
}

// wait sleeps on ch until it is closed, the deadline-free way msgsnd and
// msgrcv wait; an interruption is ERESTARTNOHAND.
func wait(ctx vfs.Context, ch <-chan struct{}) error {
	if err := ctx.BlockOn(ch); err != nil {
		return errRestartNoHand
	}
	return nil
}

// MsgSnd is msgsnd(2) by c, process pid.
func (ns *Namespace) MsgSnd(ctx vfs.Context, c *auth.Credentials, pid int32, id int32, typ int64, text []byte, flag int) error {
	ns.mu.Lock()
	for {
		o, err := ns.msg.lookup(id)
		if err != nil {
			ns.mu.Unlock()
			return err
		}
		q := o.(*MsgQueue)
		if !q.allowed(c, ns.owner, 0o222) {
			ns.mu.Unlock()
			return unix.EACCES
		}
		n := uint64(len(text))
		if n+q.bytes <= q.qbytes && uint64(len(q.msgs))+1 <= q.qbytes {
			q.msgs = append(q.msgs, message{typ: typ, text: text})
			q.bytes += n
			q.lspid, q.stime = pid, ns.now()
			q.wakeLocked()
			ns.mu.Unlock()
			return nil
		}
		if flag&IPCNoWait != 0 {
			ns.mu.Unlock()
			return unix.EAGAIN
		}
		ch := q.changed
		ns.mu.Unlock()
		err = wait(ctx, ch)
		ns.mu.Lock()
		if q.removed {
			ns.mu.Unlock()
			return unix.EIDRM
		}
		if err != nil {
			ns.mu.Unlock()
			return err
		}
	}
}

// find returns the index of the message msgrcv takes, or -1.
func (q *MsgQueue) find(typ int64, flag int) int {
	switch {
	case flag&MsgCopy != 0:
		if typ >= 0 && typ < int64(len(q.msgs)) {
			return int(typ)
		}
	case typ == 0:
		if len(q.msgs) > 0 {
			return 0
		}
	case typ > 0:
		for i, m := range q.msgs {
			if (m.typ == typ) != (flag&MsgExcept != 0) {
				return i
			}
		}
	default:
		best := -1
		for i, m := range q.msgs {
			if m.typ <= -typ && (best < 0 || m.typ < q.msgs[best].typ) {
				best = i
			}
		}
		return best
	}
	return -1
}

// MsgRcv is msgrcv(2) by c, process pid: it returns the message's type
// and text (cut to size with MSG_NOERROR).
func (ns *Namespace) MsgRcv(ctx vfs.Context, c *auth.Credentials, pid int32, id int32, size int, typ int64, flag int) (int64, []byte, error) {
	if flag&MsgCopy != 0 && (flag&IPCNoWait == 0 || flag&MsgExcept != 0) {
		return 0, nil, unix.EINVAL
	}
	ns.mu.Lock()
	for {
		o, err := ns.msg.lookup(id)
		if err != nil {
			ns.mu.Unlock()
			return 0, nil, err
		}
		q := o.(*MsgQueue)
		if !q.allowed(c, ns.owner, 0o444) {
			ns.mu.Unlock()
			return 0, nil, unix.EACCES
		}
		if i := q.find(typ, flag); i >= 0 {
			m := q.msgs[i]
			if len(m.text) > size && flag&MsgNoError == 0 {
				ns.mu.Unlock()
				return 0, nil, unix.E2BIG
			}
			if flag&MsgCopy == 0 {
				q.msgs = append(q.msgs[:i:i], q.msgs[i+1:]...)
				q.bytes -= uint64(len(m.text))
				q.lrpid, q.rtime = pid, ns.now()
				q.wakeLocked()
			}
			ns.mu.Unlock()
			return m.typ, m.text[:min(len(m.text), size)], nil
		}
		if flag&IPCNoWait != 0 {
			ns.mu.Unlock()
			return 0, nil, unix.ENOMSG
		}
		ch := q.changed
		ns.mu.Unlock()
		err = wait(ctx, ch)
		ns.mu.Lock()
		if q.removed {
			ns.mu.Unlock()
			return 0, nil, unix.EIDRM
		}
		if err != nil {
			ns.mu.Unlock()
			return 0, nil, err
		}
	}
}

// MsgCtl is msgctl(2) by c: buf is the struct msqid64_ds (IPC_STAT,
// IPC_SET, MSG_STAT: 120 bytes) or struct msginfo (IPC_INFO, MSG_INFO:
// 32 bytes).
func (ns *Namespace) MsgCtl(c *auth.Credentials, id int32, cmd int, buf []byte) (int32, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	uns := c.UserNamespace
	l := ns.limits
	switch cmd {
	case IPCInfo, MsgInfo:
		pool, mp, tql := int32(l.MsgMni*l.MsgMnb/1024), l.MsgMnb, l.MsgMnb
		if cmd == MsgInfo {
			var msgs, bytes int
			for _, o := range ns.msg.objs {
				q := o.(*MsgQueue)
				msgs += len(q.msgs)
				bytes += int(q.bytes)
			}
			pool, mp, tql = int32(len(ns.msg.objs)), int32(msgs), int32(bytes)
		}
		for i, v := range []int32{pool, mp, l.MsgMax, l.MsgMnb, l.MsgMni, 16, tql} {
			le32(buf[4*i:], uint32(v))
		}
		buf[28], buf[29] = 0xff, 0xff // msgseg
		return max(ns.msg.maxIdx(), 0), nil
	case MsgStat, MsgStatAny:
		o, ok := ns.msg.objs[id]
		if !ok {
			return 0, unix.EINVAL
		}
		q := o.(*MsgQueue)
		if cmd == MsgStat && !q.allowed(c, ns.owner, 0o444) {
			return 0, unix.EACCES
		}
		q.encodeStat(buf, uns)
		return q.ID, nil
	}
	o, err := ns.msg.lookup(id)
	if err != nil {
		return 0, err
	}
	q := o.(*MsgQueue)
	switch cmd {
	case IPCStat:
		if !q.allowed(c, ns.owner, 0o444) {
			return 0, unix.EACCES
		}
		q.encodeStat(buf, uns)
		return 0, nil
	case IPCSet:
		if !q.ownerOrCreator(c, ns.owner) {
			return 0, unix.EPERM
		}
		qbytes := getLE64(buf[88:])
		if qbytes > uint64(l.MsgMnb) && !c.HasCapabilityIn(unix.CAP_SYS_RESOURCE, ns.owner) {
			return 0, unix.EPERM
		}
		if err := q.setFromIPCSet(buf, uns); err != nil {
			return 0, err
		}
		q.qbytes = qbytes
		q.ctime = ns.now()
		q.wakeLocked()
		return 0, nil
	case IPCRmid:
		if !q.ownerOrCreator(c, ns.owner) {
			return 0, unix.EPERM
		}
		q.removed = true
		q.wakeLocked()
		ns.msg.remove(q)
		return 0, nil
	}
	return 0, unix.EINVAL
}

// encodeStat fills a struct msqid64_ds.
func (q *MsgQueue) encodeStat(b []byte, uns *auth.UserNamespace) {
	q.Perm.encode(b, uns)
	le64(b[48:], unixTime(q.stime))
	le64(b[56:], unixTime(q.rtime))
	le64(b[64:], unixTime(q.ctime))
	le64(b[72:], q.bytes)
	le64(b[80:], uint64(len(q.msgs)))
	le64(b[88:], q.qbytes)
	le32(b[96:], uint32(q.lspid))
	le32(b[100:], uint32(q.lrpid))
}
