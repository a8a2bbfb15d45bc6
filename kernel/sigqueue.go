package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// sigQueue holds pending signals: at most one instance of each standard
// signal, and every instance of real-time signals (up to RLIMIT_SIGPENDING).
type sigQueue struct {
	set   linux.SignalSet
	infos [linux.NumSignals][]*arch.SignalInfo
}

// sigRTMin is the first real-time signal.
const sigRTMin = 32

// enqueue adds info; a standard signal already pending is merged. It
// reports false when the signal was dropped (queue limit).
func (q *sigQueue) enqueue(info *arch.SignalInfo, limit int) bool {
	sig := int(info.Signo)
	bit := linux.SigBit(sig)
	if sig < sigRTMin && q.set&bit != 0 {
		return true
	}
	if sig >= sigRTMin && len(q.infos[sig-1]) >= limit {
		return false
	}
	q.infos[sig-1] = append(q.infos[sig-1], info)
	q.set |= bit
	return true
}

// dequeue removes one instance of sig.
func (q *sigQueue) dequeue(sig int) *arch.SignalInfo {
	l := q.infos[sig-1]
	if len(l) == 0 {
		return nil
	}
	info := l[0]
	l = l[1:]
	if len(l) == 0 {
		l = nil
		q.set &^= linux.SigBit(sig)
	}
	q.infos[sig-1] = l
	return info
}

// discard removes every pending instance of the signals in set.
func (q *sigQueue) discard(set linux.SignalSet) {
	for sig := 1; sig <= linux.NumSignals; sig++ {
		if set&linux.SigBit(sig) != 0 {
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
