package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/kernel/timekeeping"
)

// timexSize is sizeof(struct timex) on x86-64.
const timexSize = 208

// adjtimex(buf) is clock_adjtime(CLOCK_REALTIME, buf).
func adjtimex(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doAdjtimex(t, a[0])
}

// clock_adjtime(clockid, buf): only CLOCK_REALTIME adjusts; the other
// clocks are EOPNOTSUPP, an unknown one EINVAL, after the buffer is read.
func clockAdjtime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id := int32(a[0])
	if id == clockRealtime {
		return doAdjtimex(t, a[1])
	}
	var b [timexSize]byte
	if err := copyInFull(t, a[1], b[:]); err != nil {
		return 0, err
	}
	if _, err := clockNow(t, id); err != nil {
		return 0, unix.EINVAL
	}
	return 0, unix.EOPNOTSUPP
}

// doAdjtimex reads struct timex at addr, checks it in the order of
// Linux's timekeeping_validate_timex, applies it to kite's clock
// (timekeeping.Clock.Adjtimex says what kite can and cannot do) and
// writes the state back.
func doAdjtimex(t *kernel.Task, addr uintptr) (uintptr, error) {
	var b [timexSize]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	tx := timekeeping.Timex{
		Modes:     getU32(b[:], 0),
		Offset:    int64(getU64(b[:], 8)),
		Freq:      int64(getU64(b[:], 16)),
		MaxError:  int64(getU64(b[:], 24)),
		EstError:  int64(getU64(b[:], 32)),
		Status:    int32(getU32(b[:], 40)),
		Constant:  int64(getU64(b[:], 48)),
		Sec:       int64(getU64(b[:], 72)),
		Usec:      int64(getU64(b[:], 80)),
		Tick:      int64(getU64(b[:], 88)),
		TAI:       int32(getU32(b[:], 160)),
		Precision: int64(getU64(b[:], 56)),
	}
	m := tx.Modes
	capTime := t.Credentials().HasGlobalCapability(unix.CAP_SYS_TIME)
	const adjAdjtime, adjSingleshot, adjReadonly = 0x8000, 0x0001, 0x2000
	if m&adjAdjtime != 0 {
		if m&adjSingleshot == 0 {
			return 0, unix.EINVAL
		}
		if m&adjReadonly == 0 && !capTime {
			return 0, unix.EPERM
		}
	} else {
		if m != 0 && !capTime {
			return 0, unix.EPERM
		}
		// USER_HZ 100: the tick must be within 10% of 10000 us.
		if m&timekeeping.AdjTick != 0 && (tx.Tick < 9000 || tx.Tick > 11000) {
			return 0, unix.EINVAL
		}
	}
	if m&timekeeping.AdjSetOffset != 0 {
		if !capTime {
			return 0, unix.EPERM
		}
		lim := int64(1e6)
		if m&timekeeping.AdjNano != 0 {
			lim = 1e9
		}
		if tx.Usec < 0 || tx.Usec >= lim {
			return 0, unix.EINVAL
		}
	}
	if m&timekeeping.AdjFrequency != 0 {
		// PPM_SCALE: the frequency is scaled by 2^16 ppm.
		const ppmScale = 1000 << 16
		if tx.Freq < -(1<<63)/ppmScale || tx.Freq > (1<<63-1)/ppmScale {
			return 0, unix.EINVAL
		}
	}
	state, err := t.Kernel().Clock().Adjtimex(&tx)
	if err != nil {
		return 0, err
	}
	putU64(b[:], 8, uint64(tx.Offset))
	putU64(b[:], 16, uint64(tx.Freq))
	putU64(b[:], 24, uint64(tx.MaxError))
	putU64(b[:], 32, uint64(tx.EstError))
	putU32(b[:], 40, uint32(tx.Status))
	putU64(b[:], 48, uint64(tx.Constant))
	putU64(b[:], 56, uint64(tx.Precision))
	putU64(b[:], 64, uint64(tx.Tolerance))
	putU64(b[:], 72, uint64(tx.Sec))
	putU64(b[:], 80, uint64(tx.Usec))
	putU64(b[:], 88, uint64(tx.Tick))
	putU32(b[:], 160, uint32(tx.TAI))
	if err := copyOutFull(t, addr, b[:]); err != nil {
		return 0, err
	}
	return uintptr(state), nil
}

// settimeofday(tv, tz): with CAP_SYS_TIME, tv sets kite's CLOCK_REALTIME
// as clock_settime does. Linux's order: tv is read (EFAULT) and its
// microseconds checked (EINVAL past 1000000), tz is read (EFAULT), the
// time is checked (EINVAL), then the capability (EPERM, even with both
// NULL), then tz's range (EINVAL beyond 15 hours). kite keeps UTC, as its
// vDSO's gettimeofday reports: a time zone other than 0 is EOPNOTSUPP.
func settimeofday(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var sec, usec int64
	if a[0] != 0 {
		var err error
		if sec, usec, err = copyInTimeUnchecked(t, a[0]); err != nil {
			return 0, err
		}
		if usec > 1e6 || usec < 0 {
			return 0, unix.EINVAL
		}
	}
	var west, dst int32
	if a[1] != 0 {
		var b [8]byte
		if err := copyInFull(t, a[1], b[:]); err != nil {
			return 0, err
		}
		west, dst = int32(getU32(b[:], 0)), int32(getU32(b[:], 4))
	}
	if a[0] != 0 && !validSettod(sec, usec*1e3) {
		return 0, unix.EINVAL
	}
	if !t.Credentials().HasGlobalCapability(unix.CAP_SYS_TIME) {
		return 0, unix.EPERM
	}
	if a[1] != 0 {
		if west > 15*60 || west < -15*60 {
			return 0, unix.EINVAL
		}
		if west != 0 || dst != 0 {
			return 0, unix.EOPNOTSUPP
		}
	}
	if a[0] != 0 {
		t.Kernel().Clock().SetRealtime(sec*1e9 + usec*1e3)
	}
	return 0, nil
}
