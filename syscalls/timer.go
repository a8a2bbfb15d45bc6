package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// sigeventSize is sizeof(struct sigevent).
const sigeventSize = 64

func timerCreate(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	clock := int32(a[0])
	var ev *kernel.SigEvent
	if a[1] != 0 {
		b := make([]byte, sigeventSize)
		if err := copyInFull(t, a[1], b); err != nil {
			return 0, err
		}
		ev = &kernel.SigEvent{
			Value:  getU64(b, 0),
			Signo:  int(int32(getU32(b, 8))),
			Notify: int(int32(getU32(b, 12))),
			TID:    int32(getU32(b, 16)),
		}
	}
	id, err := t.TimerCreate(clock, ev)
	if err != nil {
		return 0, err
	}
	if err := copyOutU32(t, a[2], uint32(id)); err != nil {
		t.TimerDelete(id)
		return 0, err
	}
	return 0, nil
}

// itimerspec encoding: interval then value, each a timespec.
func encodeTimerSpec(s kernel.TimerSpec) []byte {
	b := make([]byte, 32)
	encodeTimespec(b[0:], int64(s.Interval))
	encodeTimespec(b[16:], int64(s.Value))
	return b
}

func decodeTimespecBytes(b []byte) (time.Duration, error) {
	sec, nsec := int64(getU64(b, 0)), int64(getU64(b, 8))
	if !validTimespec(sec, nsec) {
		return 0, unix.EINVAL
	}
	return durationOf(sec, nsec), nil
}

func timerSettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags := int32(a[0]), int(a[1])
	if flags&^timerAbstime != 0 {
		return 0, unix.EINVAL
	}
	b := make([]byte, 32)
	if err := copyInFull(t, a[2], b); err != nil {
		return 0, err
	}
	var spec kernel.TimerSpec
	var err error
	if spec.Interval, err = decodeTimespecBytes(b[0:]); err != nil {
		return 0, err
	}
	if spec.Value, err = decodeTimespecBytes(b[16:]); err != nil {
		return 0, err
	}
	old, err := t.TimerSettime(id, flags&timerAbstime != 0, spec)
	if err != nil {
		return 0, err
	}
	if a[3] != 0 {
		return 0, copyOutFull(t, a[3], encodeTimerSpec(old))
	}
	return 0, nil
}

func timerGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	s, err := t.TimerGettime(int32(a[0]))
	if err != nil {
		return 0, err
	}
	return 0, copyOutFull(t, a[1], encodeTimerSpec(s))
}

func timerGetoverrun(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	n, err := t.TimerGetoverrun(int32(a[0]))
	return uintptr(n), err
}

func timerDelete(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.TimerDelete(int32(a[0]))
}
