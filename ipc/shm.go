package ipc

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/mm"
)

// Shared memory segment flags and commands (linux/shm.h).
const (
	ShmDest   = 0o1000 // mode: removed, destroyed at the last detach
	ShmLocked = 0o2000 // mode: SHM_LOCK

	ShmRdonly = 0o10000
	ShmRnd    = 0o20000
	ShmRemap  = 0o40000
	ShmExec   = 0o100000

	ShmLock    = 11
	ShmUnlock  = 12
	ShmStat    = 13
	ShmInfo    = 14
	ShmStatAny = 15

	// ShmLBA is SHMLBA: attach addresses are multiples of it.
	ShmLBA = 4096
)

// Segment is a System V shared memory segment.
type Segment struct {
	Perm
	// Obj is the memory every attach maps.
	Obj   *mm.SharedMemory
	Size  uint64
	atime time.Time
	dtime time.Time
	ctime time.Time
	cpid  int32
	lpid  int32
	// unlock gives back the SHM_LOCK charge while the segment is
	// locked.
	unlock func()
}

func (s *Segment) perm() *Perm { return &s.Perm }

// Name is what /proc/PID/maps shows for the segment's mappings.
func (s *Segment) Name() string { return fmt.Sprintf("/SYSV%08x", uint32(s.Key)) }

// reapLocked destroys the removed segments nothing maps any more (Linux
// does it at the last detach; kite finds them when next looked at).
//
// Preconditions: ns.mu is held.
func (ns *Namespace) reapLocked() {
	for _, o := range ns.shm.objs {
		s := o.(*Segment)
		if s.Mode&ShmDest != 0 && s.Obj.Mappings() == 0 {
			ns.destroyLocked(s)
		}
	}
}

// destroyLocked frees segment s.
//
// Preconditions: ns.mu is held.
func (ns *Namespace) destroyLocked(s *Segment) {
	if s.unlock != nil {
		s.unlock()
		s.unlock = nil
	}
	ns.shm.remove(s)
	ns.shmPages -= pages(s.Size)
	s.Obj.DecRef()
}

func pages(size uint64) uint64 { return (size + 4095) >> 12 }

// ShmGet is shmget(2) by c, process pid.
func (ns *Namespace) ShmGet(c *auth.Credentials, pid int32, key int32, size uint64, flag int) (int32, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.reapLocked()
	o, err := ns.shm.get(c, ns.owner, key, flag, func(o ipcObject) error {
		if o.(*Segment).Size < size {
			return unix.EINVAL
		}
		return nil
	}, func() (ipcObject, error) {
		l := ns.limits
		if size < 1 || size > l.ShmMax {
			return nil, unix.EINVAL
		}
		n := pages(size)
		if n < size>>12 || ns.shmPages+n < ns.shmPages || ns.shmPages+n > l.ShmAll {
			return nil, unix.ENOSPC
		}
		s := &Segment{Perm: newPerm(c, key, flag), Size: size, ctime: ns.now(), cpid: pid}
		if err := ns.shm.add(s, int(l.ShmMni)); err != nil {
			return nil, err
		}
		s.Obj = mm.NewSharedMemory(ns.mf, size)
		ns.shmPages += n
		return s, nil
	})
	if err != nil {
		return 0, err
	}
	return o.perm().ID, nil
}

// ShmAttach is the checks of shmat(2) by c: the segment and the
// protection its mapping gets. The caller maps it, then calls Attached
// and drops the reference on s.Obj it was given.
func (ns *Namespace) ShmAttach(c *auth.Credentials, id int32, flag int) (*Segment, int, error) {
	prot, acc := unix.PROT_READ|unix.PROT_WRITE, uint32(0o666)
	if flag&ShmRdonly != 0 {
		prot, acc = unix.PROT_READ, 0o444
	}
	if flag&ShmExec != 0 {
		prot |= unix.PROT_EXEC
		acc |= 0o111
	}
	ns.mu.Lock()
	defer ns.mu.Unlock()
	o, err := ns.shm.lookup(id)
	if err != nil {
		return nil, 0, err
	}
	s := o.(*Segment)
	if !s.allowed(c, ns.owner, acc) {
		return nil, 0, unix.EACCES
	}
	s.Obj.IncRef()
	return s, prot, nil
}

// Attached records an attach or detach of s by process pid.
func (ns *Namespace) Attached(s *Segment, pid int32, attach bool) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	if attach {
		s.atime = ns.now()
	} else {
		s.dtime = ns.now()
	}
	s.lpid = pid
	ns.reapLocked()
}

// IsSegmentName reports whether a VMA name is a segment's.
func IsSegmentName(name string) bool { return strings.HasPrefix(name, "/SYSV") }

// ShmLockCharge charges the pages SHM_LOCK locks to the caller's user
// (ENOMEM past RLIMIT_MEMLOCK) and returns what gives them back.
type ShmLockCharge func(pages uint64) (release func(), err error)

// ShmCtl is shmctl(2) by c with the user namespace view uns; buf is the
// struct it reads (IPC_SET) or the one it fills (IPC_STAT, SHM_STAT,
// IPC_INFO, SHM_INFO: 112, 72 or 48 bytes); memlock is the caller's
// RLIMIT_MEMLOCK and lock charges a SHM_LOCK. It returns the result.
func (ns *Namespace) ShmCtl(c *auth.Credentials, id int32, cmd int, buf []byte, memlock uint64, lock ShmLockCharge) (int32, error) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.reapLocked()
	uns := c.UserNamespace
	switch cmd {
	case IPCInfo:
		l := ns.limits
		le64(buf[0:], l.ShmMax)
		le64(buf[8:], 1)
		le64(buf[16:], l.ShmMni)
		le64(buf[24:], l.ShmMni) // shmseg
		le64(buf[32:], l.ShmAll)
		return max(ns.shm.maxIdx(), 0), nil
	case ShmInfo:
		var rss uint64
		for _, o := range ns.shm.objs {
			rss += o.(*Segment).Obj.ResidentPages()
		}
		le32(buf[0:], uint32(len(ns.shm.objs)))
		le64(buf[8:], ns.shmPages)
		le64(buf[16:], rss)
		return max(ns.shm.maxIdx(), 0), nil
	case ShmStat, ShmStatAny:
		o, ok := ns.shm.objs[id]
		if !ok {
			return 0, unix.EINVAL
		}
		s := o.(*Segment)
		if cmd == ShmStat && !s.allowed(c, ns.owner, 0o444) {
			return 0, unix.EACCES
		}
		s.encodeStat(buf, uns)
		return s.ID, nil
	}
	o, err := ns.shm.lookup(id)
	if err != nil {
		return 0, err
	}
	s := o.(*Segment)
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
		s.Mode |= ShmDest
		ns.shm.hideKey(s)
		ns.reapLocked()
		return 0, nil
	case ShmLock, ShmUnlock:
		if !c.HasCapabilityIn(unix.CAP_IPC_LOCK, ns.owner) {
			if c.EffectiveUID != s.UID && c.EffectiveUID != s.CUID {
				return 0, unix.EPERM
			}
			if cmd == ShmLock && memlock == 0 {
				return 0, unix.EPERM
			}
		}
		switch {
		case cmd == ShmLock && s.Mode&ShmLocked == 0:
			if lock != nil {
				release, err := lock(pages(s.Size))
				if err != nil {
					return 0, err
				}
				s.unlock = release
			}
			s.Mode |= ShmLocked
		case cmd == ShmUnlock && s.Mode&ShmLocked != 0:
			if s.unlock != nil {
				s.unlock()
				s.unlock = nil
			}
			s.Mode &^= ShmLocked
		}
		return 0, nil
	}
	return 0, unix.EINVAL
}

// encodeStat fills a struct shmid64_ds.
func (s *Segment) encodeStat(b []byte, uns *auth.UserNamespace) {
	s.Perm.encode(b, uns)
	le64(b[48:], s.Size)
	le64(b[56:], unixTime(s.atime))
	le64(b[64:], unixTime(s.dtime))
	le64(b[72:], unixTime(s.ctime))
	le32(b[80:], uint32(s.cpid))
	le32(b[84:], uint32(s.lpid))
	le64(b[88:], uint64(s.Obj.Mappings()))
}

func unixTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.Unix())
}

// ShmProcText is /proc/sysvipc/shm as a reader in user namespace uns
// sees it; pidOf numbers a (global) pid as the reader's PID namespace
// does.
func (ns *Namespace) ShmProcText(uns *auth.UserNamespace, pidOf func(int32) int32) string {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	ns.reapLocked()
	var b strings.Builder
	b.WriteString("       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n")
	for _, o := range ns.shm.sorted() {
		s := o.(*Segment)
		fmt.Fprintf(&b, "%10d %10d  %4o %21d %5d %5d  %5d %5d %5d %5d %5d %10d %10d %10d %21d %21d\n",
			s.Key, s.ID, s.Mode, s.Size, pidOf(s.cpid), pidOf(s.lpid), s.Obj.Mappings(),
			uns.UIDOf(s.UID), uns.GIDOf(s.GID), uns.UIDOf(s.CUID), uns.GIDOf(s.CGID),
			unixTime(s.atime), unixTime(s.dtime), unixTime(s.ctime), s.Obj.ResidentPages()*4096, 0)
	}
	return b.String()
}

// Detached records a detach (shmdt) of the segment whose memory is obj.
func (ns *Namespace) Detached(obj *mm.SharedMemory, pid int32) {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	for _, o := range ns.shm.objs {
		if s := o.(*Segment); s.Obj == obj {
			s.dtime, s.lpid = ns.now(), pid
		}
	}
	ns.reapLocked()
}
