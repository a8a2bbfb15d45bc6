package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// timerfd_create, timerfd_settime and timerfd_gettime, on package ipc's
// timer files.

// hasCapability stands in for a capability check: kite has no capability
// sets yet, and root has them all.
func hasCapability(t *kernel.Task) bool {
	return t.Credentials().HasGlobalCapability(unix.CAP_WAKE_ALARM)
}

func timerfdCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags := int32(a[0]), int(int32(a[1]))
	if flags&^(ipc.TFD_CLOEXEC|ipc.TFD_NONBLOCK) != 0 {
		return 0, unix.EINVAL
	}
	ok, alarm := ipc.ValidTimerClock(id)
	if !ok {
		return 0, unix.EINVAL
	}
	if alarm && !hasCapability(t) { // CAP_WAKE_ALARM
		return 0, unix.EPERM
	}
	f, err := ipc.NewTimerFD(t, t.Kernel().VFS(), id, timerClock(t, id), flags, t.Kernel().RealtimeTimerFDs())
	if err != nil {
		return 0, err
	}
	return installFile(t, f, flags&ipc.TFD_CLOEXEC != 0)
}

// timerClock returns the current time of a timerfd clock in nanoseconds,
// as clock_gettime reads it: the realtime clocks from the host's, the
// others from the kernel's boot, shifted by the creator's time namespace.
func timerClock(t *kernel.Task, id int32) func() int64 {
	clk := t.Kernel().Clock()
	switch id {
	case ipc.ClockRealtime, ipc.ClockRealtimeAlarm:
		return clk.Realtime
	}
	off := int64(t.ClockOffset(id))
	return func() int64 { return clk.Monotonic() + off }
}

// getTimerFD returns the timerfd at fd (EBADF), or EINVAL if it is
// another kind of file. The caller drops the reference.
func getTimerFD(t *kernel.Task, fd uintptr) (*vfs.File, *ipc.TimerFD, error) {
	f, err := getFile(t, fd)
	if err != nil {
		return nil, nil, err
	}
	tf := ipc.TimerFDOf(f)
	if tf == nil {
		f.DecRef(t)
		if f.IsPath() {
			return nil, nil, unix.EBADF
		}
		return nil, nil, unix.EINVAL
	}
	return f, tf, nil
}

// itimerspecSize is sizeof(struct itimerspec): it_interval, then
// it_value.
const itimerspecSize = 32

func encodeTimerfdSpec(s ipc.TimerSpec) []byte {
	b := make([]byte, itimerspecSize)
	encodeTimespec(b[0:], s.Interval)
	encodeTimespec(b[16:], s.Value)
	return b
}

func timerfdSettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	fd, flags, newAddr, oldAddr := a[0], int(int32(a[1])), a[2], a[3]
	var b [itimerspecSize]byte
	if err := copyInFull(t, newAddr, b[:]); err != nil {
		return 0, err
	}
	if flags&^(ipc.TFD_TIMER_ABSTIME|ipc.TFD_TIMER_CANCEL_ON_SET) != 0 {
		return 0, unix.EINVAL
	}
	interval, ok1 := timerfdTimespec(b[0:])
	value, ok2 := timerfdTimespec(b[16:])
	if !ok1 || !ok2 {
		return 0, unix.EINVAL
	}
	f, tf, err := getTimerFD(t, fd)
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	if tf.IsAlarm() && !hasCapability(t) {
		return 0, unix.EPERM
	}
	old := tf.SetTime(flags, ipc.TimerSpec{Value: value, Interval: interval})
	if oldAddr != 0 {
		return 0, copyOutFull(t, oldAddr, encodeTimerfdSpec(old))
	}
	return 0, nil
}

// timerfdTimespec decodes a struct timespec as nanoseconds (saturating),
// reporting false when it is not valid (negative seconds, nanoseconds
// out of range).
func timerfdTimespec(b []byte) (int64, bool) {
	sec, nsec := int64(getU64(b, 0)), int64(getU64(b, 8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return 0, false
	}
	return int64(timespecDuration(sec, nsec)), true
}

func timerfdGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	f, tf, err := getTimerFD(t, a[0])
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, copyOutFull(t, a[1], encodeTimerfdSpec(tf.GetTime()))
}
