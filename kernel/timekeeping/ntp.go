package timekeeping

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// The NTP state adjtimex(2) reads and sets (Linux's kernel/time/ntp.c),
// as far as kite can honour it. kite's CLOCK_REALTIME is the host's plus
// an offset, so the clock's discipline is the host's: reading the state
// asks the host (a read-only adjtimex) for the status, errors, frequency
// and offset it applies, and overlays what programs under kite set. A
// program may set the values that are only reported (maximum and
// estimated error, time constant, STA_UNSYNC, nanosecond resolution)
// and step the clock (ADJ_SETOFFSET); changing the clock's rate
// (frequency, PLL offset, tick, adjtime's slew), the TAI offset or leap
// seconds kite cannot do, and refuses with EOPNOTSUPP.

// adjtimex mode bits and status bits (linux/timex.h).
const (
	AdjOffset       = 0x0001
	AdjFrequency    = 0x0002
	AdjMaxError     = 0x0004
	AdjEstError     = 0x0008
	AdjStatus       = 0x0010
	AdjTimeConst    = 0x0020
	AdjTAI          = 0x0080
	AdjSetOffset    = 0x0100
	AdjMicro        = 0x1000
	AdjNano         = 0x2000
	AdjTick         = 0x4000
	AdjOffsetSS     = 0x8001 // ADJ_OFFSET_SINGLESHOT
	AdjOffsetSSRead = 0xa001 // ADJ_OFFSET_SS_READ
	adjOffsetRdOnly = 0x2000
	adjOffsetSSFlag = 0x8000
	StaPLL          = 0x0001
	StaPPSFreq      = 0x0002
	StaPPSTime      = 0x0004
	StaFLL          = 0x0008
	StaIns          = 0x0010
	StaDel          = 0x0020
	StaUnsync       = 0x0040
	StaFreqHold     = 0x0080
	StaPPSSignal    = 0x0100
	StaPPSJitter    = 0x0200
	StaPPSWander    = 0x0400
	StaPPSError     = 0x0800
	StaClockErr     = 0x1000
	StaNano         = 0x2000
	StaMode         = 0x4000
	StaClk          = 0x8000
	staRonly        = StaPPSSignal | StaPPSJitter | StaPPSWander | StaPPSError | StaClockErr | StaNano | StaMode | StaClk
	TimeOK          = 0
	TimeError       = 5
	ntpPhaseLimit   = 16000000 // microseconds
	maxErrorPerSec  = 500      // MAXFREQ in microseconds per second
	maxTC           = 10
	linuxBootTick   = 10000 // microseconds (USER_HZ 100)
	linuxTolerance  = 500 << 16
	linuxBootTimeTC = 2
	linuxBootMaxErr = ntpPhaseLimit
	linuxBootEstErr = ntpPhaseLimit
)

// Timex is struct timex's fields that kite reports or takes.
type Timex struct {
	Modes                          uint32
	Offset, Freq                   int64
	MaxError, EstError             int64
	Status                         int32
	Constant, Precision, Tolerance int64
	Sec, Usec                      int64
	Tick                           int64
	TAI                            int32
}

// ntpState is what programs under kite set.
type ntpState struct {
	// mu guards the fields below; it is a leaf.
	mu sync.Mutex
	// setErrors: maxError and estError were set, at setAt (maxError
	// grows by 500 us a second from then, as second_overflow).
	setErrors          bool
	maxError, estError int64
	setAt              time.Time
	// setStatus: status holds STA_UNSYNC and STA_NANO as set.
	setStatus bool
	status    int32
	// setConst: constant was set.
	setConst bool
	constant int64
}

// hostTimex reads the host's NTP state without changing it (modes 0 or
// ADJ_OFFSET_SS_READ), or Linux's state at boot if the host refuses.
func hostTimex(modes uint32) (unix.Timex, int) {
	tx := unix.Timex{Modes: modes}
	var st int
	var err error = unix.EINVAL
	// Only the read-only modes ever reach the host.
	if modes == 0 || modes == AdjOffsetSSRead {
		st, err = unix.Adjtimex(&tx)
	}
	if err != nil {
		return unix.Timex{Status: StaUnsync, Maxerror: linuxBootMaxErr, Esterror: linuxBootEstErr,
			Constant: linuxBootTimeTC, Precision: 1, Tolerance: linuxTolerance, Tick: linuxBootTick}, TimeError
	}
	return tx, st
}

// Adjtimex is adjtimex(2) on kite's CLOCK_REALTIME after the caller's
// checks (timekeeping_validate_timex, which includes CAP_SYS_TIME): it
// applies tx's modes and fills tx with the state, returning the clock
// state (TIME_OK, TIME_ERROR, ...).
func (c *Clock) Adjtimex(tx *Timex) (int, error) {
	m := tx.Modes
	// zeroSlew is adjtime(3) with a zero delta: ADJ_OFFSET_SINGLESHOT
	// ending the slew in progress. Without one there is nothing to end
	// and it reads the state as ADJ_OFFSET_SS_READ does.
	zeroSlew := m == AdjOffsetSS && tx.Offset == 0
	if m&adjOffsetSSFlag != 0 {
		// adjtime(3): ADJ_OFFSET_SS_READ reads the slew left; a slew
		// kite cannot make.
		if m != AdjOffsetSSRead && !zeroSlew {
			return 0, unix.EOPNOTSUPP
		}
	} else if m&(AdjOffset|AdjFrequency|AdjTick|AdjTAI) != 0 ||
		m&AdjStatus != 0 && tx.Status&^staRonly&^StaUnsync != 0 {
		return 0, unix.EOPNOTSUPP
	}
	if m&AdjSetOffset != 0 {
		d := tx.Usec
		if m&AdjNano == 0 {
			d *= 1000
		}
		now := c.Realtime()
		to := now + tx.Sec*1e9 + d
		if to < 0 || to/1e9 > SettodSecMax {
			return 0, unix.EINVAL
		}
		c.SetRealtime(to)
	}
	// The host is asked once; only the two read-only modes reach it.
	var hostModes uint32
	if m == AdjOffsetSSRead || zeroSlew {
		hostModes = AdjOffsetSSRead
	}
	host, state := hostTimex(hostModes)
	if zeroSlew && host.Offset != 0 {
		// The host's clock, which kite's follows, is slewing: kite
		// cannot stop that.
		return 0, unix.EOPNOTSUPP
	}
	n := &c.ntp
	n.mu.Lock()
	if m&adjOffsetSSFlag == 0 {
		if m&AdjNano != 0 || m&AdjMicro != 0 || m&AdjStatus != 0 {
			if !n.setStatus {
				n.status, n.setStatus = host.Status&(StaUnsync|StaNano), true
			}
			if m&AdjStatus != 0 {
				n.status = n.status&StaNano | tx.Status&StaUnsync
			}
			if m&AdjNano != 0 {
				n.status |= StaNano
			}
			if m&AdjMicro != 0 {
				n.status &^= StaNano
			}
		}
		if m&(AdjMaxError|AdjEstError) != 0 {
			if !n.setErrors {
				n.maxError, n.estError = host.Maxerror, host.Esterror
			} else {
				n.maxError = n.grownMaxError()
			}
			n.setErrors, n.setAt = true, time.Now()
			if m&AdjMaxError != 0 {
				n.maxError = min(max(tx.MaxError, 0), ntpPhaseLimit)
			}
			if m&AdjEstError != 0 {
				n.estError = min(max(tx.EstError, 0), ntpPhaseLimit)
			}
		}
		if m&AdjTimeConst != 0 {
			k := min(max(tx.Constant, 0), maxTC)
			if !n.nanoLocked(host) {
				k += 4
			}
			n.constant, n.setConst = min(k, maxTC), true
		}
	}
	out := Timex{
		Offset: host.Offset, Freq: host.Freq, MaxError: host.Maxerror, EstError: host.Esterror,
		Status: host.Status, Constant: host.Constant, Precision: host.Precision,
		Tolerance: host.Tolerance, Tick: host.Tick, TAI: host.Tai,
	}
	hostNano := host.Status&StaNano != 0
	if n.setStatus {
		out.Status = host.Status&staRonly&^StaNano | n.status
		if n.status&StaUnsync != 0 {
			state = TimeError
		} else if state == TimeError && host.Status&StaClockErr == 0 {
			state = TimeOK
		}
	}
	if n.setErrors {
		out.MaxError, out.EstError = n.grownMaxError(), n.estError
		if out.MaxError >= ntpPhaseLimit {
			out.Status |= StaUnsync
			state = TimeError
		}
	}
	if n.setConst {
		out.Constant = n.constant
	}
	nano := out.Status&StaNano != 0
	n.mu.Unlock()
	// The offset is in the units the status says.
	if m&adjOffsetSSFlag == 0 && hostNano != nano {
		if nano {
			out.Offset *= 1000
		} else {
			out.Offset /= 1000
		}
	}
	now := c.Realtime()
	out.Sec, out.Usec = now/1e9, now%1e9
	if !nano {
		out.Usec /= 1000
	}
	out.Modes = tx.Modes
	*tx = out
	return state, nil
}

// grownMaxError is the maximum error set, grown since.
//
// Preconditions: n.mu is held.
func (n *ntpState) grownMaxError() int64 {
	secs := int64(time.Since(n.setAt) / time.Second)
	return min(n.maxError+secs*maxErrorPerSec, ntpPhaseLimit)
}

// nanoLocked reports whether the state is in nanoseconds (the host's
// status says, until the program set one).
//
// Preconditions: n.mu is held.
func (n *ntpState) nanoLocked(host unix.Timex) bool {
	if n.setStatus {
		return n.status&StaNano != 0
	}
	return host.Status&StaNano != 0
}

// SettodSecMax is timespec64_valid_settod's bound on a time the realtime
// clock is set to: KTIME_SEC_MAX less 30 years of uptime.
const SettodSecMax = 9223372036 - 30*365*86400
