package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// encodeTimeval writes a struct timeval.
func encodeTimeval(b []byte, d time.Duration) {
	putU64(b, 0, uint64(d/time.Second))
	putU64(b, 8, uint64(d%time.Second/time.Microsecond))
}

// decodeTimeval reads a struct timeval, EINVAL as Linux for bad values.
func decodeTimeval(b []byte) (time.Duration, error) {
	sec, usec := int64(getU64(b, 0)), int64(getU64(b, 8))
	if sec < 0 || usec < 0 || usec >= 1e6 {
		return 0, unix.EINVAL
	}
	return durationOf(sec, usec*1000), nil
}

func encodeITimer(v kernel.ITimerValue) []byte {
	b := make([]byte, 32)
	encodeTimeval(b[0:], v.Interval)
	encodeTimeval(b[16:], v.Value)
	return b
}

func getitimer(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	v, err := t.ThreadGroup().GetITimer(int(int32(a[0])))
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[1], encodeITimer(v))
}

func setitimer(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	which := int(int32(a[0]))
	var nv kernel.ITimerValue
	if a[1] != 0 {
		b := make([]byte, 32)
		if err := copyInFull(t, a[1], b); err != nil {
			return 0, err
		}
		var err error
		if nv.Interval, err = decodeTimeval(b[0:]); err != nil {
			return 0, err
		}
		if nv.Value, err = decodeTimeval(b[16:]); err != nil {
			return 0, err
		}
	}
	old, err := t.ThreadGroup().SetITimer(which, nv)
	if err != nil {
		return 0, err
	}
	if a[2] != 0 {
		return 0, copyOutFull(t, a[2], encodeITimer(old))
	}
	return 0, nil
}

func alarm(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	secs := uint32(a[0])
	old, err := t.ThreadGroup().SetITimer(kernel.ITimerReal, kernel.ITimerValue{Value: time.Duration(secs) * time.Second})
	if err != nil {
		return 0, err
	}
	// alarm rounds the time left to the nearest second, and reports 1
	// rather than 0 for a timer that had not expired.
	left := (old.Value + time.Second/2) / time.Second
	if left == 0 && old.Value > 0 {
		left = 1
	}
	return uintptr(left), nil
}
