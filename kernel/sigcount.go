package kernel

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
)

// RLIMIT_SIGPENDING bounds the siginfos queued for all processes of a
// real user (Linux's UCOUNT_RLIMIT_SIGPENDING). kite counts per kernel
// uid; Linux counts per uid and user namespace, up the namespace chain.

// sigUserCount is the number of siginfos queued for one user's tasks.
type sigUserCount struct {
	n atomic.Int64
}

// charge counts one more siginfo, unless that would pass limit and
// override is false.
func (c *sigUserCount) charge(limit uint64, override bool) bool {
	n := c.n.Add(1)
	if !override && uint64(n) > limit {
		c.n.Add(-1)
		return false
	}
	return true
}

// uncharge counts one siginfo fewer.
func (c *sigUserCount) uncharge() { c.n.Add(-1) }

// sigCharge is what queuing a siginfo is charged to: the count of the
// target's real user and the target's RLIMIT_SIGPENDING. The zero value
// charges nothing.
type sigCharge struct {
	count *sigUserCount
	limit uint64
	// timer is set for the signal a POSIX timer of the process sends
	// (not for an SI_TIMER siginfo rt_sigqueueinfo made): queued beside
	// a pending instance, as Linux's preallocated timer signals.
	timer bool
}

// sigUserCounts maps kernel uids to their counts; counts are never
// removed (one small record per uid that ever got a signal).
type sigUserCounts struct {
	mu sync.Mutex
	// m is guarded by mu.
	m map[uint32]*sigUserCount
}

// get returns uid's count.
func (s *sigUserCounts) get(uid uint32) *sigUserCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.m[uid]
	if c == nil {
		if s.m == nil {
			s.m = map[uint32]*sigUserCount{}
		}
		c = &sigUserCount{}
		s.m[uid] = c
	}
	return c
}

// sigChargeFor is the charge of info queued for target (a task of tg, or
// its first task for a group-directed one). A POSIX timer's signal is
// not charged: Linux charges its preallocated siginfo once, when the
// timer is made. An SI_TIMER siginfo a program queued itself
// (rt_sigqueueinfo) is charged and merged as any other.
//
// Preconditions: tg.sigMu is held.
func (tg *ThreadGroup) sigChargeFor(target *Task, info *arch.SignalInfo) sigCharge {
	if tg.isTimerSignal(info) {
		return sigCharge{timer: true}
	}
	if target == nil {
		return sigCharge{}
	}
	return sigCharge{
		count: tg.k.sigCounts.get(target.Credentials().RealUID),
		limit: tg.limits.Get(unix.RLIMIT_SIGPENDING).Cur,
	}
}

// SigQueued returns how many siginfos are queued for uid's processes
// (/proc/PID/status SigQ).
func (k *Kernel) SigQueued(uid uint32) int64 {
	return k.sigCounts.get(uid).n.Load()
}
