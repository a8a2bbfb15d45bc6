package kernel

import (
	"sync"

	"golang.org/x/sys/unix"
)

// RLIMIT_MSGQUEUE bounds the bytes of POSIX message queues a real user
// has created and not yet freed (Linux's UCOUNT_RLIMIT_MSGQUEUE). kite
// counts per kernel uid; Linux per uid and user namespace.

// mqByteCounts maps kernel uids to the bytes of their queues.
type mqByteCounts struct {
	mu sync.Mutex
	// m is guarded by mu.
	m map[uint32]uint64
}

// ChargeMQBytes charges a new message queue of n bytes to t's real user,
// as mq_open does (EMFILE when that passes t's RLIMIT_MSGQUEUE, which
// no capability lifts), and returns what gives the bytes back.
func (t *Task) ChargeMQBytes(n uint64) (release func(), err error) {
	uid := t.Credentials().RealUID
	limit := t.tg.limits.Get(unix.RLIMIT_MSGQUEUE).Cur
	c := &t.k.mqBytes
	c.mu.Lock()
	defer c.mu.Unlock()
	cur := c.m[uid]
	if cur+n < cur || cur+n > limit {
		return nil, unix.EMFILE
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
