package kernel

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Per-user charges: RLIMIT_MSGQUEUE bounds the bytes of POSIX message
// queues a real user has created and not yet freed (Linux's
// UCOUNT_RLIMIT_MSGQUEUE), RLIMIT_MEMLOCK the pages of the SysV shared
// memory segments it locked with SHM_LOCK (UCOUNT_RLIMIT_MEMLOCK). kite
// counts per kernel uid; Linux per uid and user namespace.

// userCharges maps kernel uids to what they are charged.
type userCharges struct {
	mu sync.Mutex
	// m is guarded by mu.
	m map[uint32]uint64
}

// charge adds n to uid's charge unless that passes limit and override
// is false (errno then), and returns what takes it back.
func (c *userCharges) charge(uid uint32, n, limit uint64, override bool, errno unix.Errno) (release func(), err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.m[uid]
	if cur+n < cur || (!override && cur+n > limit) {
		return nil, errno
	}
	if c.m == nil {
		c.m = map[uint32]uint64{}
	}
	c.m[uid] = cur + n
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.m[uid] -= n; c.m[uid] == 0 {
			delete(c.m, uid)
		}
	}, nil
}

// ChargeMQBytes charges a new message queue of n bytes to t's real user,
// as mq_open does (EMFILE when that passes t's RLIMIT_MSGQUEUE, which
// no capability lifts), and returns what gives the bytes back.
func (t *Task) ChargeMQBytes(n uint64) (release func(), err error) {
	limit := t.tg.limits.Get(unix.RLIMIT_MSGQUEUE).Cur
	return t.k.mqBytes.charge(t.Credentials().RealUID, n, limit, false, unix.EMFILE)
}

// ChargeShmLock charges n pages a SHM_LOCK locks to t's real user, as
// Linux's user_shm_lock: ENOMEM past RLIMIT_MEMLOCK, unless the limit is
// infinite or t has CAP_IPC_LOCK (the pages count all the same).
func (t *Task) ChargeShmLock(n uint64) (release func(), err error) {
	limit := t.tg.limits.Get(unix.RLIMIT_MEMLOCK).Cur
	override := limit == Infinity || t.Credentials().HasGlobalCapability(unix.CAP_IPC_LOCK)
	return t.k.shmLocked.charge(t.Credentials().RealUID, n, limit>>12, override, unix.ENOMEM)
}
