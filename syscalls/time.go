package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/kernel/timekeeping"
)

// Clock ids.
const (
	clockRealtime         = 0
	clockMonotonic        = 1
	clockProcessCPUTimeID = 2
	clockThreadCPUTimeID  = 3
	clockMonotonicRaw     = 4
	clockRealtimeCoarse   = 5
	clockMonotonicCoarse  = 6
	clockBoottime         = 7
	clockRealtimeAlarm    = 8
	clockBoottimeAlarm    = 9
	clockTAI              = 11
)

// clockNow returns the value of clock id in nanoseconds. CLOCK_MONOTONIC
// and CLOCK_BOOTTIME count from the kernel's boot (kite's start).
func clockNow(t *kernel.Task, id int32) (int64, error) {
	switch id {
	case clockRealtime, clockRealtimeCoarse, clockRealtimeAlarm:
		return t.Kernel().Clock().Realtime(), nil
	case clockTAI:
		// TAI is UTC plus the leap-second offset, which Linux keeps at 0
		// unless adjtimex sets it.
		return t.Kernel().Clock().Realtime(), nil
	case clockMonotonic, clockMonotonicRaw, clockMonotonicCoarse, clockBoottime, clockBoottimeAlarm:
		// A time namespace shifts these clocks.
		return t.Kernel().Clock().Monotonic() + int64(t.ClockOffset(id)), nil
	case clockProcessCPUTimeID:
		u, s := t.ThreadGroup().CPUTime()
		return int64(u + s), nil
	case clockThreadCPUTimeID:
		u, s := t.CPUTime()
		return int64(u + s), nil
	}
	if id < 0 {
		return cpuClockNow(t, id, true)
	}
	return 0, unix.EINVAL
}

// cpuClockNow reads a dynamic CPU-time clock (kernel.ResolveCPUClock).
func cpuClockNow(t *kernel.Task, id int32, gettime bool) (int64, error) {
	c, err := t.ResolveCPUClock(id, gettime)
	if err != nil {
		return 0, err
	}
	return int64(c.Read()), nil
}

func clockGettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	ns, err := clockNow(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	var b [16]byte
	encodeTimespec(b[:], ns)
	return 0, copyOutFull(t, a[1], b[:])
}

func clockGetres(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id := int32(a[0])
	if _, err := clockNow(t, id); err != nil {
		return 0, err
	}
	res := int64(1)
	if id == clockRealtimeCoarse || id == clockMonotonicCoarse || id < 0 && id&3 != kernel.CPUClockSched {
		// One tick at HZ=250, as Debian's kernels: also the
		// resolution Linux gives the user and user+system CPU clocks.
		res = 4000000
	}
	if a[1] == 0 {
		return 0, nil
	}
	var b [16]byte
	encodeTimespec(b[:], res)
	return 0, copyOutFull(t, a[1], b[:])
}

func gettimeofday(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	now := t.Kernel().Clock().Realtime()
	if a[0] != 0 {
		var b [16]byte
		putU64(b[:], 0, uint64(now/1e9))
		putU64(b[:], 8, uint64(now%1e9/1e3))
		if err := copyOutFull(t, a[0], b[:]); err != nil {
			return 0, err
		}
	}
	if a[1] != 0 {
		// struct timezone: kite keeps UTC, as Linux does unless told.
		var b [8]byte
		if err := copyOutFull(t, a[1], b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

func timeSyscall(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	now := t.Kernel().Clock().Realtime() / 1e9
	if a[0] != 0 {
		if err := copyOutU64(t, a[0], uint64(now)); err != nil {
			return 0, err
		}
	}
	return uintptr(now), nil
}

// sleepUntil sleeps until deadline on the kernel's CLOCK_MONOTONIC
// (nanoseconds). When a signal interrupts it, it writes the time left to
// rem (if non-zero) and returns ERESTART_RESTARTBLOCK: EINTR if a handler
// runs, otherwise the sleep goes on through restart_syscall until the
// same deadline, as Linux's hrtimer_nanosleep_restart.
func sleepUntil(t *kernel.Task, deadline int64, rem uintptr) error {
	clk := t.Kernel().Clock()
	var left time.Duration
	var err error
	for {
		// Go's timers run on the host's clock, whose rate the kernel's
		// may differ from by a few parts per million: sleep again
		// until the kernel's clock (the one the program reads) is
		// there too.
		d := time.Duration(deadline - clk.Monotonic())
		if d <= 0 {
			return nil
		}
		if left, err = t.Sleep(d); err != nil {
			break
		}
	}
	if rem != 0 {
		var b [16]byte
		encodeTimespec(b[:], int64(left))
		if cerr := copyOutFull(t, rem, b[:]); cerr != nil {
			return cerr
		}
	}
	t.SetRestartBlock(func(t *kernel.Task) (uintptr, error) {
		return 0, sleepUntil(t, deadline, rem)
	})
	return kernel.ERESTART_RESTARTBLOCK
}

// sleepFor sleeps for d (see sleepUntil).
func sleepFor(t *kernel.Task, d time.Duration, rem uintptr) error {
	return sleepUntil(t, t.Kernel().Clock().Monotonic()+int64(min(d, 1<<62)), rem)
}

func nanosleep(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	sec, nsec, err := copyInTimespec(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, sleepFor(t, durationOf(sec, nsec), a[1])
}

// durationOf converts a timespec to a Duration, saturating.
func durationOf(sec, nsec int64) time.Duration {
	if sec > int64(1<<63-1)/1e9-1 {
		return 1<<63 - 1
	}
	return time.Duration(sec)*time.Second + time.Duration(nsec)
}

// TIMER_ABSTIME
const timerAbstime = 1

// processCPUClock is the dynamic id of the caller's own process's
// CPU-time clock (pid 0, user+system), which CLOCK_PROCESS_CPUTIME_ID
// sleeps on.
const processCPUClock = ^int32(0)<<3 | kernel.CPUClockSched

func clockNanosleep(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, flags := int32(a[0]), int(a[1])
	switch {
	case id == clockRealtime, id == clockMonotonic, id == clockBoottime, id == clockTAI, id == clockRealtimeAlarm,
		id == clockBoottimeAlarm:
	case kernel.IsClockFD(id):
		// A posix clock device (kite has none): no sleeping on one.
		return 0, unix.EOPNOTSUPP
	case id == clockProcessCPUTimeID || id < 0:
		return 0, cpuNanosleep(t, id, flags&timerAbstime != 0, a[2], a[3])
	default:
		if _, err := clockNow(t, id); err != nil {
			return 0, err
		}
		return 0, unix.ENOTSUP
	}
	sec, nsec, err := copyInTimespec(t, a[2])
	if err != nil {
		return 0, err
	}
	d := durationOf(sec, nsec)
	if flags&timerAbstime != 0 {
		if id == clockRealtime || id == clockTAI || id == clockRealtimeAlarm {
			return 0, sleepUntilRealtime(t, id, int64(d))
		}
		now, err := clockNow(t, id)
		if err != nil {
			return 0, err
		}
		// An interrupted absolute sleep does not report the time left.
		return 0, sleepFor(t, time.Duration(int64(d)-now), 0)
	}
	return 0, sleepFor(t, d, a[3])
}

// cpuNanosleep is clock_nanosleep on a CPU-time clock: as Linux's, the
// sleep lasts until the clock (another process's or thread's, or the
// caller's process's, which only its other threads move) reads the
// deadline, and forever if its target exits first. After the time is
// read (EFAULT, EINVAL first): a thread clock must name another thread
// of the caller's process (its own is EINVAL), and a dynamic clock of a
// process or thread that does not exist is EINVAL.
func cpuNanosleep(t *kernel.Task, id int32, abs bool, req, rem uintptr) error {
	if id == clockProcessCPUTimeID {
		id = processCPUClock
	}
	sec, nsec, err := copyInTimespec(t, req)
	if err != nil {
		return err
	}
	if pid := ^(id >> 3); id&4 != 0 && (pid == 0 || pid == t.TID()) {
		return unix.EINVAL
	}
	c, err := t.ResolveCPUClock(id, false)
	if err != nil {
		return err
	}
	d := durationOf(sec, nsec)
	if abs {
		if err := t.SleepOnCPUClock(c, d); err != nil {
			// An interrupted absolute sleep restarts as it was
			// asked, unless a handler runs.
			return kernel.ERESTARTNOHAND
		}
		return nil
	}
	return cpuSleepUntil(t, c, kernel.AddDurationSat(c.Read(), d), rem)
}

// cpuSleepUntil is the relative CPU-clock sleep until deadline: when a
// signal interrupts it, it writes the clock's time left to rem (if
// non-zero) and continues through restart_syscall unless a handler
// runs, as sleepUntil.
func cpuSleepUntil(t *kernel.Task, c kernel.CPUClock, deadline time.Duration, rem uintptr) error {
	if t.SleepOnCPUClock(c, deadline) == nil {
		return nil
	}
	left := deadline - c.Read()
	if left <= 0 {
		// The deadline came with the signal: the sleep is done.
		return nil
	}
	if rem != 0 {
		var b [16]byte
		encodeTimespec(b[:], int64(left))
		if err := copyOutFull(t, rem, b[:]); err != nil {
			return err
		}
	}
	t.SetRestartBlock(func(t *kernel.Task) (uintptr, error) {
		return 0, cpuSleepUntil(t, c, deadline, rem)
	})
	return kernel.ERESTART_RESTARTBLOCK
}

// sleepUntilRealtime sleeps until realtime clock id reads deadline,
// looking at the clock again whenever it is set (clock_settime inside
// kite, or the host's clock stepping), as Linux's absolute
// CLOCK_REALTIME hrtimers follow clock_was_set. An interrupted sleep
// restarts with the same deadline unless a handler runs (Linux's
// ERESTARTNOHAND for absolute sleeps; the time left is not reported).
func sleepUntilRealtime(t *kernel.Task, id int32, deadline int64) error {
	k := t.Kernel()
	for {
		// Take the step channel before reading the clock, so that a
		// step between the two is not missed.
		step := k.RealtimeStep()
		now, err := clockNow(t, id)
		if err != nil {
			return err
		}
		if now >= deadline {
			return nil
		}
		// Go's timers run on the host's clock: past this host time the
		// loop reads kite's clock again.
		err = t.BlockOnTimeout(step, time.Now().Add(time.Duration(deadline-now)))
		if err != nil && err != unix.ETIMEDOUT {
			return kernel.ERESTARTNOHAND
		}
	}
}

func restartSyscall(t *kernel.Task, _ arch.SyscallArgs) (uintptr, error) {
	return t.RestartSyscall()
}

// validSettod is Linux's timespec64_valid_settod: a time the realtime
// clock may be set to.
func validSettod(sec, nsec int64) bool {
	return validTimespec(sec, nsec) && sec <= timekeeping.SettodSecMax
}

// clock_settime(clockid, tp): only CLOCK_REALTIME can be set, with
// CAP_SYS_TIME; it sets kite's realtime clock (an offset kite adds to the
// host's, which is never touched) for every process under kite, tells
// the realtime timerfds (ECANCELED for those armed with
// TFD_TIMER_CANCEL_ON_SET) and the vDSO. Linux's order of checks: a clock
// without a setter is EINVAL before the time is read; the CPU-time clocks
// are EPERM; a time out of settimeofday's range is EINVAL before the
// capability is checked.
func clockSettime(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id := int32(a[0])
	switch id {
	case clockRealtime, clockProcessCPUTimeID, clockThreadCPUTimeID:
	default:
		if id >= 0 {
			return 0, unix.EINVAL
		}
		// A dynamic CPU-time clock that exists refuses (EPERM).
		if _, err := cpuClockNow(t, id, false); err != nil {
			return 0, err
		}
	}
	// The CPU clocks refuse (EPERM) before the time is checked.
	sec, nsec, err := copyInTimeUnchecked(t, a[1])
	if err != nil {
		return 0, err
	}
	if id != clockRealtime {
		return 0, unix.EPERM
	}
	if !validSettod(sec, nsec) {
		return 0, unix.EINVAL
	}
	if !t.Credentials().HasGlobalCapability(unix.CAP_SYS_TIME) {
		return 0, unix.EPERM
	}
	t.Kernel().Clock().SetRealtime(sec*1e9 + nsec)
	return 0, nil
}
