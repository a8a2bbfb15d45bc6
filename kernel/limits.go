package kernel

import (
	"sync"

	"golang.org/x/sys/unix"
)

// NumLimits is the number of resource limits (RLIMIT_NLIMITS).
const NumLimits = 16

// Infinity is RLIM_INFINITY.
const Infinity = ^uint64(0)

// Limit is one resource limit.
type Limit struct {
	Cur, Max uint64
}

// Limits is a process's set of resource limits.
type Limits struct {
	mu sync.Mutex
	// l is indexed by RLIMIT_*. Guarded by mu.
	l [NumLimits]Limit
}

// DefaultLimits returns Linux's defaults for a new init process.
func DefaultLimits() *Limits {
	ls := &Limits{}
	for i := range ls.l {
		ls.l[i] = Limit{Infinity, Infinity}
	}
	ls.l[unix.RLIMIT_STACK] = Limit{8 << 20, Infinity}
	ls.l[unix.RLIMIT_CORE] = Limit{0, Infinity}
	ls.l[unix.RLIMIT_NOFILE] = Limit{1024, 4096}
	ls.l[unix.RLIMIT_MEMLOCK] = Limit{8 << 20, 8 << 20}
	ls.l[unix.RLIMIT_NPROC] = Limit{63704, 63704}
	ls.l[unix.RLIMIT_SIGPENDING] = Limit{63704, 63704}
	ls.l[unix.RLIMIT_MSGQUEUE] = Limit{819200, 819200}
	ls.l[unix.RLIMIT_NICE] = Limit{0, 0}
	ls.l[unix.RLIMIT_RTPRIO] = Limit{0, 0}
	return ls
}

// Get returns limit r.
func (ls *Limits) Get(r int) Limit {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.l[r]
}

// Set replaces limit r. privileged says whether the caller may raise the
// hard limit (CAP_SYS_RESOURCE). It returns the old limit.
func (ls *Limits) Set(r int, nl Limit, privileged bool) (Limit, error) {
	if nl.Cur > nl.Max {
		return Limit{}, unix.EINVAL
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	old := ls.l[r]
	if nl.Max > old.Max && !privileged {
		return Limit{}, unix.EPERM
	}
	if r == unix.RLIMIT_NOFILE && nl.Max > nrOpen {
		return Limit{}, unix.EPERM
	}
	ls.l[r] = nl
	return old, nil
}

// nrOpen is Linux's default fs.nr_open, the ceiling of RLIMIT_NOFILE.
const nrOpen = 1 << 20

// Fork returns a copy for a new process.
func (ls *Limits) Fork() *Limits {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return &Limits{l: ls.l}
}
