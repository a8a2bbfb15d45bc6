package ipc

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// Semaphore commands and limits (linux/sem.h).
const (
	GetPid     = 11
	GetVal     = 12
	GetAll     = 13
	GetNCnt    = 14
	GetZCnt    = 15
	SetVal     = 16
	SetAll     = 17
	SemStat    = 18
	SemInfo    = 19
	SemStatAny = 20

	SemUndo = 0x1000

	// SemVMX is the largest semaphore value, SemAEM the largest undo
	// adjustment.
	SemVMX = 32767
	SemAEM = SemVMX
)

// semaphore is one semaphore of a set.
type semaphore struct {
	val int32
	pid int32
}

// semWaiter is a semop sleeping on a set: the operation that blocked it,
// for GETNCNT and GETZCNT.
type semWaiter struct {
	num  uint16
	zero bool
}

// SemSet is a System V semaphore set.
type SemSet struct {
	Perm
	sems  []semaphore
	otime time.Time
	ctime time.Time
	// removed is set by IPC_RMID: sleepers return EIDRM.
	removed bool
	// changed is closed (and replaced) whenever values change or the
	// set is removed, waking every sleeper to retry.
	changed chan struct{}
	waiters map[*semWaiter]struct{}
	// undo holds the SEM_UNDO adjustments of each undo list.
	undo map[*UndoList][]int32
}

func (s *SemSet) perm() *Perm { return &s.Perm }

// wakeLocked wakes every sleeper of s.
func (s *SemSet) wakeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// SemBuf is one struct sembuf.
type SemBuf struct {
	Num  uint16
	Op   int16
	Flag int16
}

// SemGet is semget(2) by c.
func (ns *Namespace) SemGet(c *auth.Credentials, key int32, nsems int32, flag int) (int32, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	l := ns.limits
	if nsems < 0 || nsems > l.SemMsl {
		return 0, unix.EINVAL
	}
	o, err := ns.sem.get(c, ns.owner, key, flag, func(o ipcObject) error {
		if int(nsems) > len(o.(*SemSet).sems) {
			return unix.EINVAL
		}
		return nil
	}, func() (ipcObject, error) {
		if nsems == 0 {
			return nil, unix.EINVAL
		}
		if ns.semsUsedLocked()+int64(nsems) > int64(l.SemMns) {
			return nil, unix.ENOSPC
		}
		s := &SemSet{Perm: newPerm(c, key, flag), sems: make([]semaphore, nsems), ctime: ns.now(),
			changed: make(chan struct{}), waiters: make(map[*semWaiter]struct{}), undo: make(map[*UndoList][]int32)}
		if err := ns.sem.add(s, int(l.SemMni)); err != nil {
			return nil, err
		}
		return s, nil
	})
	if err != nil {
		return 0, err
	}
	return o.perm().ID, nil
}

// semsUsedLocked counts the semaphores of every set.
//
// Preconditions: ns.mu is held.
func (ns *Namespace) semsUsedLocked() int64 {
	var n int64
	for _, o := range ns.sem.objs {
		n += int64(len(o.(*SemSet).sems))
	}
	return n
}

// UndoList is the SEM_UNDO adjustments of a process (shared by the tasks
// of clone with CLONE_SYSVSEM), applied when its last user exits.
type UndoList struct {
	mu sync.Mutex
	// refs counts the tasks sharing the list; sets are the sets it holds
	// adjustments in, with their namespaces. Guarded by mu.
	refs int
	sets map[*SemSet]*Namespace
}

// NewUndoList returns an undo list with one user.
func NewUndoList() *UndoList { return &UndoList{refs: 1, sets: make(map[*SemSet]*Namespace)} }

// IncRef adds a user (clone with CLONE_SYSVSEM).
func (u *UndoList) IncRef() {
	u.mu.Lock()
	u.refs++
	u.mu.Unlock()
}

// Release drops a user; the last one applies every adjustment (exit_sem)
// on behalf of process pid.
func (u *UndoList) Release(pid int32) {
	u.mu.Lock()
	u.refs--
	if u.refs > 0 {
		u.mu.Unlock()
		return
	}
	sets := u.sets
	u.sets = nil
	u.mu.Unlock()
	for s, ns := range sets {
		ns.mu.Lock()
		if adj, ok := s.undo[u]; ok && !s.removed {
			for i, a := range adj {
				if a == 0 {
					continue
				}
				v := min(max(s.sems[i].val+a, 0), SemVMX)
				s.sems[i].val, s.sems[i].pid = v, pid
			}
			s.otime = ns.now()
			s.wakeLocked()
		}
		delete(s.undo, u)
		ns.mu.Unlock()
	}
}

// SemOp is semop(2)/semtimedop(2) by c, process pid, with undo list
// undo (made on first use by newUndo). deadline zero waits forever.
func (ns *Namespace) SemOp(ctx vfs.Context, c *auth.Credentials, pid int32, id int32, ops []SemBuf, deadline time.Time, undo func() *UndoList) error {
	if len(ops) < 1 {
		return unix.EINVAL
	}
	ns.mu.Lock()
	if len(ops) > int(ns.limits.SemOpm) {
		ns.mu.Unlock()
		return unix.E2BIG
	}
	o, err := ns.sem.lookup(id)
	if err != nil {
		ns.mu.Unlock()
		return err
	}
	s := o.(*SemSet)
	alter, wantUndo := false, false
	maxNum := uint16(0)
	for _, op := range ops {
		maxNum = max(maxNum, op.Num)
		if op.Op != 0 {
			alter = true
		}
		if op.Flag&SemUndo != 0 {
			wantUndo = true
		}
	}
	if int(maxNum) >= len(s.sems) {
		ns.mu.Unlock()
		return unix.EFBIG
	}
	acc := uint32(0o444)
	if alter {
		acc = 0o222
	}
	if !s.allowed(c, ns.owner, acc) {
		ns.mu.Unlock()
		return unix.EACCES
	}
	var ul *UndoList
	if wantUndo {
		ns.mu.Unlock()
		ul = undo()
		ns.mu.Lock()
		if s.removed {
			ns.mu.Unlock()
			return unix.EIDRM
		}
	}
	for {
		blocked, err := s.tryLocked(ops, ul, pid)
		if err != nil || blocked == nil {
			if err == nil {
				s.otime = ns.now()
				if ul != nil {
					ul.mu.Lock()
					if ul.sets != nil {
						ul.sets[s] = ns
					}
					ul.mu.Unlock()
				}
			}
			ns.mu.Unlock()
			return err
		}
		if blocked.Flag&IPCNoWait != 0 {
			ns.mu.Unlock()
			return unix.EAGAIN
		}
		w := &semWaiter{num: blocked.Num, zero: blocked.Op == 0}
		s.waiters[w] = struct{}{}
		ch := s.changed
		ns.mu.Unlock()
		if deadline.IsZero() {
			err = ctx.BlockOn(ch)
		} else {
			err = ctx.BlockOnTimeout(ch, deadline)
		}
		ns.mu.Lock()
		delete(s.waiters, w)
		switch {
		case s.removed:
			ns.mu.Unlock()
			return unix.EIDRM
		case err == unix.ETIMEDOUT:
			ns.mu.Unlock()
			return unix.EAGAIN
		case err != nil:
			// semop is not restarted after a handler (Linux returns
			// EINTR whatever SA_RESTART says).
			ns.mu.Unlock()
			return unix.EINTR
		}
	}
}

// tryLocked applies ops atomically if none blocks: it returns the first
// operation that would block, or an error (ERANGE) without changing
// anything.
//
// Preconditions: the namespace's mu is held.
func (s *SemSet) tryLocked(ops []SemBuf, ul *UndoList, pid int32) (*SemBuf, error) {
	vals := make([]int32, len(s.sems))
	for i := range s.sems {
		vals[i] = s.sems[i].val
	}
	var adj []int32
	if ul != nil {
		adj = append([]int32(nil), s.undo[ul]...)
		if adj == nil {
			adj = make([]int32, len(s.sems))
		}
	}
	for i := range ops {
		op := &ops[i]
		cur := vals[op.Num]
		r := cur + int32(op.Op)
		if op.Op == 0 && cur != 0 || r < 0 {
			return op, nil
		}
		if r > SemVMX {
			return nil, unix.ERANGE
		}
		if op.Flag&SemUndo != 0 {
			u := adj[op.Num] - int32(op.Op)
			if u < -SemAEM-1 || u > SemAEM {
				return nil, unix.ERANGE
			}
			adj[op.Num] = u
		}
		vals[op.Num] = r
	}
	changed := false
	for i := range ops {
		n := ops[i].Num
		if s.sems[n].val != vals[n] {
			changed = true
		}
		s.sems[n].val = vals[n]
		s.sems[n].pid = pid
	}
	if ul != nil {
		s.undo[ul] = adj
	}
	if changed {
		s.wakeLocked()
	}
	return nil, nil
}

// SemCtl is semctl(2) by c, process pid: buf is the struct semid64_ds
// (IPC_STAT, IPC_SET, SEM_STAT: 104 bytes), struct seminfo (IPC_INFO,
// SEM_INFO: 40 bytes) or the values (GETALL, SETALL: 2 bytes each); val
// is SETVAL's value.
func (ns *Namespace) SemCtl(c *auth.Credentials, pid int32, id, num int32, cmd int, val int32, buf []byte) (int32, error) {
	if cmd == SetVal && (val < 0 || val > SemVMX) {
		return 0, unix.ERANGE
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	uns := c.UserNamespace
	switch cmd {
	case IPCInfo, SemInfo:
		l := ns.limits
		// semmap, semmnu, semume and semusz are Linux's constants.
		info := [10]int32{1024000000, l.SemMni, l.SemMns, 1024000000, l.SemMsl, l.SemOpm, 500, 20, SemVMX, SemAEM}
		if cmd == SemInfo {
			info[7] = int32(len(ns.sem.objs))
			info[9] = int32(ns.semsUsedLocked())
		}
		for i, v := range info {
			le32(buf[4*i:], uint32(v))
		}
		return max(ns.sem.maxIdx(), 0), nil
	case SemStat, SemStatAny:
		o, ok := ns.sem.objs[id]
		if !ok {
			return 0, unix.EINVAL
		}
		s := o.(*SemSet)
		if cmd == SemStat && !s.allowed(c, ns.owner, 0o444) {
			return 0, unix.EACCES
		}
		s.encodeStat(buf, uns)
		return s.ID, nil
	}
	o, err := ns.sem.lookup(id)
	if err != nil {
		return 0, err
	}
	s := o.(*SemSet)
	switch cmd {
	case IPCStat:
		if !s.allowed(c, ns.owner, 0o444) {
			return 0, unix.EACCES
		}
		s.encodeStat(buf, uns)
		return 0, nil
	case IPCSet, IPCRmid:
		if !s.ownerOrCreator(c, ns.owner) {
			return 0, unix.EPERM
		}
		if cmd == IPCSet {
			if err := s.setFromIPCSet(buf, uns); err != nil {
				return 0, err
			}
			s.ctime = ns.now()
			return 0, nil
		}
		s.removed = true
		s.wakeLocked()
		ns.sem.remove(s)
		return 0, nil
	case GetAll, SetAll:
		acc := uint32(0o444)
		if cmd == SetAll {
			acc = 0o222
		}
		if !s.allowed(c, ns.owner, acc) {
			return 0, unix.EACCES
		}
		if cmd == GetAll {
			for i, sem := range s.sems {
				buf[2*i], buf[2*i+1] = byte(sem.val), byte(sem.val>>8)
			}
			return 0, nil
		}
		for i := range s.sems {
			if v := uint16(buf[2*i]) | uint16(buf[2*i+1])<<8; v > SemVMX {
				return 0, unix.ERANGE
			}
		}
		for i := range s.sems {
			s.sems[i].val = int32(uint16(buf[2*i]) | uint16(buf[2*i+1])<<8)
			s.sems[i].pid = pid
		}
		clear(s.undo)
		s.ctime = ns.now()
		s.wakeLocked()
		return 0, nil
	case GetVal, GetPid, GetNCnt, GetZCnt, SetVal:
	default:
		return 0, unix.EINVAL
	}
	if cmd == SetVal {
		if num < 0 || int(num) >= len(s.sems) {
			return 0, unix.EINVAL
		}
		if !s.allowed(c, ns.owner, 0o222) {
			return 0, unix.EACCES
		}
		s.sems[num].val, s.sems[num].pid = val, pid
		for _, adj := range s.undo {
			adj[num] = 0
		}
		s.ctime = ns.now()
		s.wakeLocked()
		return 0, nil
	}
	if !s.allowed(c, ns.owner, 0o444) {
		return 0, unix.EACCES
	}
	if num < 0 || int(num) >= len(s.sems) {
		return 0, unix.EINVAL
	}
	switch cmd {
	case GetVal:
		return s.sems[num].val, nil
	case GetPid:
		return s.sems[num].pid, nil
	}
	n := int32(0)
	for w := range s.waiters {
		if int32(w.num) == num && w.zero == (cmd == GetZCnt) {
			n++
		}
	}
	return n, nil
}

// NumSems returns the size of set id, for semctl's GETALL/SETALL buffer.
func (ns *Namespace) NumSems(id int32) (int, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	o, err := ns.sem.lookup(id)
	if err != nil {
		return 0, err
	}
	return len(o.(*SemSet).sems), nil
}

// encodeStat fills a struct semid64_ds.
func (s *SemSet) encodeStat(b []byte, uns *auth.UserNamespace) {
	s.Perm.encode(b, uns)
	le64(b[48:], unixTime(s.otime))
	le64(b[64:], unixTime(s.ctime))
	le64(b[80:], uint64(len(s.sems)))
}
