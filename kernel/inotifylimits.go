package kernel

import (
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/ipc"
)

// inotify's limits, /proc/sys/fs/inotify: max_user_instances and
// max_user_watches bound the instances and watches of one user (Linux's
// UCOUNT_INOTIFY_INSTANCES and UCOUNT_INOTIFY_WATCHES, charged to the
// effective uid that made the instance), max_queued_events the queue of
// each instance made after it is set. kite counts per kernel uid; Linux
// per uid and user namespace.

// Linux's defaults (max_user_watches is computed from the memory size on
// Linux, at least 8192).
const (
	defaultInotifyInstances = 128
	defaultInotifyWatches   = 8192
	defaultInotifyQueued    = 16384
)

// inotifyLimits are the three values and the per-user counts.
type inotifyLimits struct {
	instances, watches, queued atomic.Int64
	// instanceCount and watchCount charge each user.
	instanceCount, watchCount userCharges
}

func (l *inotifyLimits) init() {
	l.instances.Store(defaultInotifyInstances)
	l.watches.Store(defaultInotifyWatches)
	l.queued.Store(defaultInotifyQueued)
}

// InotifyCharges charges a new inotify instance to t's effective user
// (EMFILE past max_user_instances) and returns what its watches are
// charged against (ENOSPC past max_user_watches), with the queue limit
// it gets (max_queued_events now).
func (t *Task) InotifyCharges() (ipc.InotifyCharges, error) {
	l := &t.k.inotify
	uid := t.Credentials().EffectiveUID
	release, err := l.instanceCount.charge(uid, 1, uint64(l.instances.Load()), false, unix.EMFILE)
	if err != nil {
		return ipc.InotifyCharges{}, err
	}
	return ipc.InotifyCharges{
		MaxQueued: int(l.queued.Load()),
		ChargeWatch: func() (func(), error) {
			return l.watchCount.charge(uid, 1, uint64(l.watches.Load()), false, unix.ENOSPC)
		},
		Release: release,
	}, nil
}

// inotifySysctl returns the value of /proc/sys/fs/inotify/NAME.
func (l *inotifyLimits) value(name string) *atomic.Int64 {
	switch name {
	case "max_user_instances":
		return &l.instances
	case "max_user_watches":
		return &l.watches
	case "max_queued_events":
		return &l.queued
	}
	return nil
}

// FSSysctls implements proc.FSSysctlInfo.
func (s procSource) FSSysctls() []string {
	return []string{"inotify/max_queued_events", "inotify/max_user_instances", "inotify/max_user_watches", "dir-notify-enable", "lease-break-time", "leases-enable"}
}

// FSSysctl implements proc.FSSysctlInfo.
func (s procSource) FSSysctl(name string) string {
	switch name {
	case "lease-break-time":
		return strconv.FormatInt(s.k.vfs.LeaseBreakTime(), 10) + "\n"
	case "leases-enable":
		return strconv.FormatInt(s.k.vfs.LeasesEnable(), 10) + "\n"
	case "dir-notify-enable":
		return strconv.FormatInt(s.k.vfs.DirNotifyEnable(), 10) + "\n"
	}
	v := s.k.inotify.value(strings.TrimPrefix(name, "inotify/"))
	if v == nil {
		return ""
	}
	return strconv.FormatInt(v.Load(), 10) + "\n"
}

// SetFSSysctl implements proc.FSSysctlInfo: a decimal integer from 0 to
// INT_MAX, as Linux's proc_dointvec_minmax and proc_doulongvec_minmax
// with those bounds read it (EINVAL otherwise).
func (s procSource) SetFSSysctl(name, value string) error {
	switch name {
	case "lease-break-time", "leases-enable", "dir-notify-enable":
		// proc_dointvec: any int.
		n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 32)
		if err != nil {
			return unix.EINVAL
		}
		switch name {
		case "leases-enable":
			s.k.vfs.SetLeasesEnable(n)
		case "dir-notify-enable":
			s.k.vfs.SetDirNotifyEnable(n)
		default:
			s.k.vfs.SetLeaseBreakTime(n)
		}
		return nil
	}
	v := s.k.inotify.value(strings.TrimPrefix(name, "inotify/"))
	if v == nil {
		return unix.EINVAL
	}
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || n < 0 || n > 1<<31-1 {
		return unix.EINVAL
	}
	v.Store(n)
	return nil
}
