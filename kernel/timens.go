package kernel

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// TimeNamespace holds the offsets its processes see on CLOCK_MONOTONIC
// and CLOCK_BOOTTIME (and their raw, coarse and alarm variants). The
// offsets can be written through /proc/PID/timens_offsets until the
// first process enters the namespace.
type TimeNamespace struct {
	nsCommon

	mu sync.Mutex
	// monotonic and boottime are the offsets. Guarded by mu.
	monotonic, boottime time.Duration
	// frozen is set once a process has entered. Guarded by mu.
	frozen bool
}

// Kind implements Namespace.
func (*TimeNamespace) Kind() string { return "time" }

// CloneFlag implements Namespace.
func (*TimeNamespace) CloneFlag() int { return unix.CLONE_NEWTIME }

// offsets returns the monotonic and boottime offsets.
func (n *TimeNamespace) offsets() (mono, boot time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.monotonic, n.boottime
}

// freeze marks n entered: its offsets are fixed from now on.
func (n *TimeNamespace) freeze() {
	n.mu.Lock()
	n.frozen = true
	n.mu.Unlock()
}

// newTimeNamespace returns a namespace with old's offsets (Linux's
// clone_time_ns).
func (k *Kernel) newTimeNamespace(old *TimeNamespace, owner *auth.UserNamespace) *TimeNamespace {
	mono, boot := old.offsets()
	return &TimeNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: owner}, monotonic: mono, boottime: boot}
}

// CgroupNamespace is a cgroup namespace. kite has no cgroup hierarchy:
// every namespace's root is the single root cgroup, so it only has an
// identity (/proc/PID/ns/cgroup, setns).
type CgroupNamespace struct {
	nsCommon
}

// Kind implements Namespace.
func (*CgroupNamespace) Kind() string { return "cgroup" }

// CloneFlag implements Namespace.
func (*CgroupNamespace) CloneFlag() int { return unix.CLONE_NEWCGROUP }

// ClockOffset returns what the task's time namespace adds to clock
// (CLOCK_MONOTONIC, CLOCK_BOOTTIME and their variants; 0 for the others).
func (t *Task) ClockOffset(clock int32) time.Duration {
	ns := t.Namespaces()
	if ns == nil || ns.Time == nil {
		return 0
	}
	mono, boot := ns.Time.offsets()
	switch clock {
	case unix.CLOCK_MONOTONIC, unix.CLOCK_MONOTONIC_RAW, unix.CLOCK_MONOTONIC_COARSE:
		return mono
	case unix.CLOCK_BOOTTIME, unix.CLOCK_BOOTTIME_ALARM:
		return boot
	}
	return 0
}

// TimensOffsets is /proc/PID/timens_offsets: the offsets of the time
// namespace the process's children enter.
func (t *Task) TimensOffsets() []byte {
	ns := t.Namespaces()
	if ns == nil || ns.TimeChildren == nil {
		return nil
	}
	mono, boot := ns.TimeChildren.offsets()
	var b strings.Builder
	for _, o := range []struct {
		name string
		d    time.Duration
	}{{"monotonic", mono}, {"boottime", boot}} {
		sec, nsec := int64(o.d/time.Second), int64(o.d%time.Second)
		if nsec < 0 {
			sec, nsec = sec-1, nsec+1e9
		}
		fmt.Fprintf(&b, "%-10s %10d %9d\n", o.name, sec, nsec)
	}
	return []byte(b.String())
}

// maxTimeOffsetSec bounds an offset's seconds (Linux's KTIME_SEC_MAX).
const maxTimeOffsetSec = 9223372036

// SetTimensOffsets writes /proc/PID/timens_offsets: lines "CLOCK SECS
// NSECS", CLOCK a name (monotonic, boottime) or a clock id, for the time
// namespace the process's children enter. CAP_SYS_TIME over the
// namespace's owner is needed (EPERM), and the namespace must have no
// process yet (EACCES); a clock may not be made negative (ERANGE).
func (t *Task) SetTimensOffsets(ctx vfs.Context, text string) error {
	ns := t.Namespaces()
	if ns == nil || ns.TimeChildren == nil {
		return unix.ESRCH
	}
	tn := ns.TimeChildren
	type offset struct {
		clock     int32
		sec, nsec int64
	}
	var offs []offset
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			return unix.EINVAL
		}
		var clock int32
		switch f[0] {
		case "monotonic":
			clock = unix.CLOCK_MONOTONIC
		case "boottime":
			clock = unix.CLOCK_BOOTTIME
		default:
			n, err := strconv.ParseInt(f[0], 10, 32)
			if err != nil {
				return unix.EINVAL
			}
			clock = int32(n)
		}
		if clock != unix.CLOCK_MONOTONIC && clock != unix.CLOCK_BOOTTIME {
			return unix.EINVAL
		}
		sec, err1 := strconv.ParseInt(f[1], 10, 64)
		nsec, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || nsec < 0 || nsec >= 1e9 {
			return unix.EINVAL
		}
		offs = append(offs, offset{clock, sec, nsec})
	}
	// Linux checks, in this order: the lines and their clocks, the
	// capability, the range (the clock with the offset may be neither
	// negative nor near overflow), then that no process has entered.
	if !ctx.Credentials().HasCapabilityIn(unix.CAP_SYS_TIME, tn.owner) {
		return unix.EPERM
	}
	for _, o := range offs {
		if o.sec > maxTimeOffsetSec || o.sec < -maxTimeOffsetSec {
			return unix.ERANGE
		}
		total := time.Since(t.k.bootTime).Seconds() + float64(o.sec) + float64(o.nsec)/1e9
		if total < 0 || total > maxTimeOffsetSec/2 {
			return unix.ERANGE
		}
	}
	tn.mu.Lock()
	defer tn.mu.Unlock()
	if tn.frozen {
		return unix.EACCES
	}
	for _, o := range offs {
		d := time.Duration(o.sec)*time.Second + time.Duration(o.nsec)
		if o.clock == unix.CLOCK_MONOTONIC {
			tn.monotonic = d
		} else {
			tn.boottime = d
		}
	}
	return nil
}

// Cgroups implements proc.CgroupProcess: kite has a single cgroup v2
// hierarchy with only its root, which is also the root of every cgroup
// namespace.
func (t *Task) Cgroups() []byte { return []byte("0::/\n") }

// enterTimeNamespaceForChildren moves t into its time namespace for
// children, as execve does since Linux 5.11 (the new image is the first
// to run with the namespace's clocks), freezing its offsets.
func (t *Task) enterTimeNamespaceForChildren() {
	ns := t.Namespaces()
	if ns == nil || ns.Time == ns.TimeChildren {
		return
	}
	n := *ns
	n.Time = n.TimeChildren
	n.Time.freeze()
	t.ns.Store(&n)
}
