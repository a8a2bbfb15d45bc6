package kernel

import (
	"slices"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// sigQueue holds pending signals: at most one instance of each standard
// signal, and every instance of real-time signals. Each queued siginfo is
// charged to its target's user (RLIMIT_SIGPENDING, sigcount.go).
type sigQueue struct {
	set   linux.SignalSet
	infos [linux.NumSignals][]*arch.SignalInfo
	// charged holds the user count each queued siginfo was charged to.
	charged map[*arch.SignalInfo]*sigUserCount
}

// sigRTMin is the first real-time signal.
const sigRTMin = 32

// enqueue adds info, charged to ch (if set) as Linux's __sigqueue_alloc:
// a standard signal already pending is merged; past the limit a
// real-time signal not sent by kill is refused (false: the sender gets
// EAGAIN), and any other is made pending without its siginfo.
func (q *sigQueue) enqueue(info *arch.SignalInfo, ch sigCharge) bool {
	sig := int(info.Signo)
	bit := linux.SigBit(sig)
	if sig < sigRTMin && q.set&bit != 0 && !ch.timer {
		// A POSIX timer's signal is queued beside another instance,
		// as Linux's preallocated timer signals are.
		return true
	}
	if ch.count != nil {
		// Standard signals from kill or the kernel go beyond the limit.
		override := sig < sigRTMin && info.Code >= 0
		if !ch.count.charge(ch.limit, override) {
			if sig >= sigRTMin && info.Code != linux.SI_USER {
				return false
			}
			q.set |= bit
			return true
		}
		if q.charged == nil {
			q.charged = map[*arch.SignalInfo]*sigUserCount{}
		}
		q.charged[info] = ch.count
	}
	q.infos[sig-1] = append(q.infos[sig-1], info)
	q.set |= bit
	return true
}

// uncharge gives back what queuing info cost.
func (q *sigQueue) uncharge(info *arch.SignalInfo) {
	if c, ok := q.charged[info]; ok {
		c.uncharge()
		delete(q.charged, info)
	}
}

// dequeue removes one instance of sig. A signal made pending without its
// siginfo (past RLIMIT_SIGPENDING) comes out as Linux's collect_signal
// makes it: SI_USER with no sender.
func (q *sigQueue) dequeue(sig int) *arch.SignalInfo {
	l := q.infos[sig-1]
	if len(l) == 0 {
		if q.set&linux.SigBit(sig) == 0 {
			return nil
		}
		q.set &^= linux.SigBit(sig)
		return &arch.SignalInfo{Signo: int32(sig), Code: linux.SI_USER}
	}
	info := l[0]
	q.uncharge(info)
	l = l[1:]
	if len(l) == 0 {
		l = nil
		q.set &^= linux.SigBit(sig)
	}
	q.infos[sig-1] = l
	return info
}

// holds reports whether info itself is queued.
func (q *sigQueue) holds(info *arch.SignalInfo) bool {
	return slices.Contains(q.infos[info.Signo-1], info)
}

// discard removes every pending instance of the signals in set.
func (q *sigQueue) discard(set linux.SignalSet) {
	for sig := 1; sig <= linux.NumSignals; sig++ {
		if set&linux.SigBit(sig) != 0 {
			for _, info := range q.infos[sig-1] {
				q.uncharge(info)
			}
			q.infos[sig-1] = nil
		}
	}
	q.set &^= set
}

// first returns the lowest-numbered signal in set&q.set, preferring the
// synchronous fault signals as Linux does, or 0.
func (q *sigQueue) first(allowed linux.SignalSet) int {
	p := q.set & allowed
	if p == 0 {
		return 0
	}
	const synchronous = linux.SignalSet(1<<(unix.SIGSEGV-1) | 1<<(unix.SIGBUS-1) | 1<<(unix.SIGILL-1) |
		1<<(unix.SIGTRAP-1) | 1<<(unix.SIGFPE-1) | 1<<(unix.SIGSYS-1))
	if s := p & synchronous; s != 0 {
		p = s
	}
	for sig := 1; sig <= linux.NumSignals; sig++ {
		if p&linux.SigBit(sig) != 0 {
			return sig
		}
	}
	return 0
}

// Default actions of signals.
type defaultAction int

const (
	actTerm defaultAction = iota
	actCore
	actIgnore
	actStop
	actContinue
)

// defaultActionOf returns what SIG_DFL does for sig (signal(7)).
func defaultActionOf(sig int) defaultAction {
	switch unix.Signal(sig) {
	case unix.SIGQUIT, unix.SIGILL, unix.SIGTRAP, unix.SIGABRT, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGSYS:
		return actCore
	case unix.SIGCHLD, unix.SIGURG, unix.SIGWINCH:
		return actIgnore
	case unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU:
		return actStop
	case unix.SIGCONT:
		return actContinue
	}
	return actTerm
}

// Signal sets used by generation.
var (
	stopSignals = linux.SigBit(int(unix.SIGSTOP)) | linux.SigBit(int(unix.SIGTSTP)) |
		linux.SigBit(int(unix.SIGTTIN)) | linux.SigBit(int(unix.SIGTTOU))
	contSignal = linux.SigBit(int(unix.SIGCONT))
	killSignal = linux.SigBit(int(unix.SIGKILL))
)
