package ipc

import (
	"encoding/binary"
	"math"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// timerfd flags.
const (
	TFD_CLOEXEC  = unix.O_CLOEXEC
	TFD_NONBLOCK = unix.O_NONBLOCK

	TFD_TIMER_ABSTIME       = 1
	TFD_TIMER_CANCEL_ON_SET = 2
)

// TFD_IOC_SET_TICKS is _IOW('T', 0, __u64): set the expiration count
// (for checkpoint/restore).
const TFD_IOC_SET_TICKS = 0x40085400

// Clock ids a timerfd may use.
const (
	ClockRealtime      = 0
	ClockMonotonic     = 1
	ClockBoottime      = 7
	ClockRealtimeAlarm = 8
	ClockBoottimeAlarm = 9
)

// TimerSpec is struct itimerspec in nanoseconds.
type TimerSpec struct {
	Value    int64 // time to the next expiry (relative), or 0: disarmed
	Interval int64 // period, or 0: one-shot
}

// TimerFD is the file operations of a timerfd: a timer on one clock
// whose expirations a read returns as a count.
//
// As Linux's, an expired periodic timer is not re-armed by its own
// expiry: the expirations since are counted when the file is read (or
// its time asked for), from the clock, so a very short period costs
// nothing while nobody reads.
type TimerFD struct {
	eventFileOps
	queue   vfs.WaitQueue
	clockID int32
	now     func() int64

	// mu guards the fields below.
	mu sync.Mutex
	// next is the clock time of the next expiry; armed says whether
	// there is one.
	next     int64
	armed    bool
	interval int64
	// expired is set when the timer fired and a periodic timer has not
	// been moved on yet; ticks counts the expirations not yet read.
	expired bool
	ticks   uint64
	timer   *time.Timer
	// gen numbers settings, so that a timer of an earlier one that fires
	// late does nothing.
	gen uint64
	// mightCancel: the setting asked for TFD_TIMER_CANCEL_ON_SET with
	// TFD_TIMER_ABSTIME on a realtime clock; canceled: the clock was set
	// since, and the next read fails with ECANCELED.
	mightCancel, canceled bool

	// realtime is the set of timerfds told of clock changes, for one on
	// a realtime clock; nil otherwise.
	realtime *RealtimeTimerFDs
}

// RealtimeTimerFDs are a kernel's timerfds on CLOCK_REALTIME and
// CLOCK_REALTIME_ALARM, which hear when that clock is set (Linux's
// timerfd_clock_was_set).
type RealtimeTimerFDs struct {
	// mu guards set. It is taken before any TimerFD's mu.
	mu  sync.Mutex
	set map[*TimerFD]struct{}
}

// ClockWasSet tells every realtime timerfd that CLOCK_REALTIME changed
// discontinuously: each re-evaluates its expiry against the new time,
// and one armed with TFD_TIMER_CANCEL_ON_SET becomes readable and fails
// its next read with ECANCELED.
func (r *RealtimeTimerFDs) ClockWasSet() {
	r.mu.Lock()
	tfs := make([]*TimerFD, 0, len(r.set))
	for tf := range r.set {
		tfs = append(tfs, tf)
	}
	r.mu.Unlock()
	for _, tf := range tfs {
		tf.clockWasSet()
	}
}

func (r *RealtimeTimerFDs) add(tf *TimerFD) {
	r.mu.Lock()
	if r.set == nil {
		r.set = make(map[*TimerFD]struct{})
	}
	r.set[tf] = struct{}{}
	r.mu.Unlock()
}

func (r *RealtimeTimerFDs) remove(tf *TimerFD) {
	r.mu.Lock()
	delete(r.set, tf)
	r.mu.Unlock()
}

// clockWasSet is ClockWasSet for tf.
func (tf *TimerFD) clockWasSet() {
	tf.mu.Lock()
	notify := false
	if tf.mightCancel && !tf.canceled {
		tf.canceled = true
		tf.ticks++
		notify = true
	}
	if tf.armed && !tf.expired {
		// The Go timer counts host time: start it again for the new
		// distance to the expiry (now, if the clock passed it).
		if tf.catchUpLocked() {
			tf.timer = nil
			notify = true
		} else {
			tf.startLocked()
		}
	}
	tf.mu.Unlock()
	if notify {
		tf.queue.Notify(unix.POLLIN)
	}
}

// ValidTimerClock reports whether timerfd_create accepts clock id, and
// whether it is an alarm clock (which needs CAP_WAKE_ALARM).
func ValidTimerClock(id int32) (ok, alarm bool) {
	switch id {
	case ClockRealtime, ClockMonotonic, ClockBoottime:
		return true, false
	case ClockRealtimeAlarm, ClockBoottimeAlarm:
		return true, true
	}
	return false, false
}

// NewTimerFD returns a disarmed timerfd on clock id, whose current time
// (in nanoseconds) now returns; a timerfd on a realtime clock joins rt,
// which tells it when the clock is set. flags may hold TFD_NONBLOCK and
// TFD_CLOEXEC (which the caller applies to the fd). The caller has
// checked the clock id and the capability of alarm clocks.
func NewTimerFD(ctx vfs.Context, v *vfs.VirtualFilesystem, id int32, now func() int64, flags int, rt *RealtimeTimerFDs) (*vfs.File, error) {
	if flags&^(TFD_CLOEXEC|TFD_NONBLOCK) != 0 {
		return nil, unix.EINVAL
	}
	if ok, _ := ValidTimerClock(id); !ok {
		return nil, unix.EINVAL
	}
	tf := &TimerFD{clockID: id, now: now}
	if id == ClockRealtime || id == ClockRealtimeAlarm {
		tf.realtime = rt
	}
	f, err := newAnonFile(ctx, v, "timerfd", tf, flags)
	if err == nil && tf.realtime != nil {
		tf.realtime.add(tf)
	}
	return f, err
}

// TimerFDOf returns the timerfd behind f, or nil.
func TimerFDOf(f *vfs.File) *TimerFD {
	tf, _ := f.Ops().(*TimerFD)
	return tf
}

// IsAlarm reports whether the timer is on an alarm clock.
func (tf *TimerFD) IsAlarm() bool {
	_, alarm := ValidTimerClock(tf.clockID)
	return alarm
}

// Release implements vfs.FileOperations.
func (tf *TimerFD) Release(vfs.Context) {
	if tf.realtime != nil {
		tf.realtime.remove(tf)
	}
	tf.mu.Lock()
	defer tf.mu.Unlock()
	tf.stopLocked()
}

func (tf *TimerFD) stopLocked() {
	tf.gen++
	if tf.timer != nil {
		tf.timer.Stop()
		tf.timer = nil
	}
}

// startLocked arranges for fire to run at clock time tf.next.
//
// Preconditions: tf.mu is held; tf.armed.
func (tf *TimerFD) startLocked() {
	tf.stopLocked()
	gen := tf.gen
	d := time.Duration(satSub(tf.next, tf.now()))
	tf.timer = time.AfterFunc(max(d, 0), func() { tf.fire(gen) })
}

// fire is the timer's expiry.
func (tf *TimerFD) fire(gen uint64) {
	tf.mu.Lock()
	if gen != tf.gen || !tf.armed || tf.expired {
		// An earlier setting's timer, or an expiry catchUpLocked
		// already counted (and notified).
		tf.mu.Unlock()
		return
	}
	if now := tf.now(); now < tf.next {
		// The host timer ran early against this clock: wait the rest.
		tf.startLocked()
		tf.mu.Unlock()
		return
	}
	tf.expireLocked()
	tf.timer = nil
	tf.mu.Unlock()
	tf.queue.Notify(unix.POLLIN)
}

// expireLocked counts an expiry.
//
// Preconditions: tf.mu is held; tf.armed; the clock has reached tf.next.
func (tf *TimerFD) expireLocked() {
	tf.expired = true
	tf.ticks++
	if tf.interval == 0 {
		tf.armed = false
	}
}

// catchUpLocked counts an expiry whose time has come but whose host timer
// has not run yet (a busy host runs timers late), so that the file
// answers from its clock as Linux's precise timers would. It reports
// whether it did; the caller then notifies the waiters once it has
// dropped tf.mu, as the host timer will not.
//
// Preconditions: tf.mu is held.
func (tf *TimerFD) catchUpLocked() bool { return tf.catchUpAtLocked(tf.now()) }

// catchUpAtLocked is catchUpLocked with the clock read at now.
//
// Preconditions: tf.mu is held.
func (tf *TimerFD) catchUpAtLocked(now int64) bool {
	if tf.armed && !tf.expired && now >= tf.next {
		tf.expireLocked()
		return true
	}
	return false
}

// notifyIf wakes the waiters if caught is set (see catchUpLocked).
func (tf *TimerFD) notifyIf(caught bool) {
	if caught {
		tf.queue.Notify(unix.POLLIN)
	}
}

// forwardLocked moves an expired periodic timer past now, as Linux's
// hrtimer_forward_now, returns how many periods it moved it by and
// starts it again.
//
// Preconditions: tf.mu is held; tf.expired and tf.interval > 0.
func (tf *TimerFD) forwardLocked() uint64 { return tf.forwardAtLocked(tf.now()) }

// forwardAtLocked is forwardLocked with the clock read at now.
//
// Preconditions: as forwardLocked's.
func (tf *TimerFD) forwardAtLocked(now int64) uint64 {
	var n uint64
	if now >= tf.next {
		n = uint64((now-tf.next)/tf.interval) + 1
		tf.next = satAdd(tf.next, satMul(int64(n), tf.interval))
	}
	tf.startLocked()
	return n
}

// specLocked returns the time to the next expiry (0 when disarmed or
// already passed) and the interval.
//
// Preconditions: tf.mu is held.
func (tf *TimerFD) specLocked() TimerSpec { return tf.specAtLocked(tf.now()) }

// specAtLocked is specLocked with the clock read at now.
//
// Preconditions: tf.mu is held.
func (tf *TimerFD) specAtLocked(now int64) TimerSpec {
	s := TimerSpec{Interval: tf.interval}
	if tf.armed {
		s.Value = max(satSub(tf.next, now), 0)
	}
	return s
}

// SetTime carries out timerfd_settime: it arms the timer for spec (Value
// 0 disarms it; TFD_TIMER_ABSTIME makes Value a clock time) and returns
// the setting it replaces. With TFD_TIMER_CANCEL_ON_SET and
// TFD_TIMER_ABSTIME on a realtime clock, a change of the clock cancels
// the next read (ECANCELED); any other setting ends that. The caller has
// validated flags and spec.
func (tf *TimerFD) SetTime(flags int, spec TimerSpec) TimerSpec {
	tf.mu.Lock()
	tf.catchUpLocked() // counted only to move a periodic timer on; reset below
	tf.stopLocked()
	if tf.expired && tf.interval > 0 {
		// The old setting's next expiry is what the caller learns.
		now := tf.now()
		if now >= tf.next {
			n := (now-tf.next)/tf.interval + 1
			tf.next = satAdd(tf.next, satMul(n, tf.interval))
		}
	}
	old := tf.specLocked()
	tf.mightCancel = tf.realtime != nil && flags&TFD_TIMER_ABSTIME != 0 && flags&TFD_TIMER_CANCEL_ON_SET != 0
	tf.expired, tf.ticks = false, 0
	tf.interval = spec.Interval
	tf.armed = spec.Value != 0
	if tf.armed {
		if flags&TFD_TIMER_ABSTIME != 0 {
			tf.next = spec.Value
		} else {
			tf.next = satAdd(tf.now(), spec.Value)
		}
		tf.startLocked()
	}
	tf.mu.Unlock()
	return old
}

// GetTime carries out timerfd_gettime: the time to the next expiry
// (0 when disarmed) and the interval.
func (tf *TimerFD) GetTime() TimerSpec {
	tf.mu.Lock()
	// One reading of the clock for the catch-up, the forward and the
	// value: with two, a thread preempted between them (a loaded host)
	// could find a periodic timer's next expiry, just moved past the
	// first reading, already behind the second and report 0.
	now := tf.now()
	caught := tf.catchUpAtLocked(now)
	if tf.expired && tf.interval > 0 {
		tf.expired = false
		if n := tf.forwardAtLocked(now); n > 0 {
			tf.ticks += n - 1
		}
	}
	s := tf.specAtLocked(now)
	tf.mu.Unlock()
	tf.notifyIf(caught)
	return s
}

// Read implements vfs.FileOperations: it returns the expirations since
// the last read as 8 bytes and resets the count, waiting for one if
// there are none (EAGAIN with O_NONBLOCK). A buffer under 8 bytes is
// EINVAL.
func (tf *TimerFD) Read(ctx vfs.Context, f *vfs.File, dst []byte, _ int64) (int, error) {
	if len(dst) < 8 {
		return 0, unix.EINVAL
	}
	var w *waiter
	defer func() {
		if w != nil {
			w.done()
		}
	}()
	for {
		tf.mu.Lock()
		tf.catchUpLocked()
		if tf.ticks > 0 && tf.mightCancel && tf.canceled {
			// As Linux: the expirations are dropped and the
			// timer is not moved on; the program must look at
			// the clock again.
			tf.canceled = false
			tf.expired, tf.ticks = false, 0
			tf.mu.Unlock()
			return 0, unix.ECANCELED
		}
		if tf.ticks > 0 {
			ticks := tf.ticks
			if tf.expired && tf.interval > 0 {
				if n := tf.forwardLocked(); n > 0 {
					ticks += n - 1
				}
			}
			tf.expired, tf.ticks = false, 0
			tf.mu.Unlock()
			binary.LittleEndian.PutUint64(dst, ticks)
			return 8, nil
		}
		tf.mu.Unlock()
		if nonblocking(f) {
			return 0, unix.EAGAIN
		}
		if w == nil {
			w = newWaiter(&tf.queue, unix.POLLIN, ctx.Waker())
			continue
		}
		if err := ctx.Park(w.ch); err != nil {
			return 0, err
		}
	}
}

// Ioctl implements vfs.FileOperations: TFD_IOC_SET_TICKS sets the
// expiration count (0 is EINVAL).
func (tf *TimerFD) Ioctl(_ vfs.Context, _ *vfs.File, io vfs.UserIO, cmd uint32, arg uintptr) (uintptr, error) {
	if cmd != TFD_IOC_SET_TICKS {
		return 0, unix.ENOTTY
	}
	var b [8]byte
	if _, err := io.CopyIn(arg, b[:]); err != nil {
		return 0, unix.EFAULT
	}
	ticks := binary.LittleEndian.Uint64(b[:])
	if ticks == 0 {
		return 0, unix.EINVAL
	}
	tf.mu.Lock()
	tf.ticks = ticks
	tf.mu.Unlock()
	tf.queue.Notify(unix.POLLIN)
	return 0, nil
}

// Readiness implements vfs.Waitable: readable once the timer expired.
// It does not catch up with a late host timer: the notification that
// timer sends must come first, or an edge-triggered epoll item would be
// reported twice for one expiry.
func (tf *TimerFD) Readiness(mask uint32) uint32 {
	tf.mu.Lock()
	ticks := tf.ticks
	tf.mu.Unlock()
	if ticks > 0 {
		return mask & unix.POLLIN
	}
	return 0
}

// EventRegister implements vfs.Waitable.
func (tf *TimerFD) EventRegister(e *vfs.WaitEntry) { tf.queue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (tf *TimerFD) EventUnregister(e *vfs.WaitEntry) { tf.queue.EventUnregister(e) }

// Saturating nanosecond arithmetic, as Linux's ktime helpers clamp to
// KTIME_MAX.

func satAdd(a, b int64) int64 {
	if b > 0 && a > math.MaxInt64-b {
		return math.MaxInt64
	}
	if b < 0 && a < math.MinInt64-b {
		return math.MinInt64
	}
	return a + b
}

func satSub(a, b int64) int64 {
	if b == math.MinInt64 {
		return satAdd(satAdd(a, math.MaxInt64), 1)
	}
	return satAdd(a, -b)
}

func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// NowaitIO implements vfs.NowaitIO: reads can be tried without waiting
// (RWF_NOWAIT); a write is EINVAL, as without it.
func (tf *TimerFD) NowaitIO(bool) bool { return true }
