package kernel

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

func TestWaitStatusEncoding(t *testing.T) {
	// The encodings are what glibc's W* macros decode.
	if got := ExitedStatus(3); got != 0x300 {
		t.Errorf("ExitedStatus(3) = %#x", got)
	}
	if c, ok := ExitedStatus(300).Exited(); !ok || c != 300&0xff {
		t.Errorf("Exited() = %d, %v", c, ok)
	}
	if got := SignaledStatus(11, true); got != 0x8b {
		t.Errorf("SignaledStatus(11, core) = %#x", got)
	}
	if s, core, ok := SignaledStatus(9, false).Signaled(); !ok || s != 9 || core {
		t.Errorf("Signaled() = %d %v %v", s, core, ok)
	}
	if got := StoppedStatus(19); got != 0x137f {
		t.Errorf("StoppedStatus(19) = %#x", got)
	}
	if _, _, ok := StoppedStatus(19).Signaled(); ok {
		t.Errorf("a stopped status decoded as signaled")
	}
	if _, ok := ContinuedStatus.Exited(); ok {
		t.Errorf("the continued status decoded as exited")
	}
}

func TestSigQueue(t *testing.T) {
	var q sigQueue
	info := func(sig int) *arch.SignalInfo {
		i := arch.NewKernelSignalInfo(sig)
		return &i
	}
	// Standard signals merge; real-time signals queue up to the limit
	// of their user's count, which the standard one counts in.
	ch := sigCharge{count: &sigUserCount{}, limit: 3}
	for i := 0; i < 3; i++ {
		q.enqueue(info(int(unix.SIGUSR1)), ch)
		q.enqueue(info(40), ch)
	}
	if n := ch.count.n.Load(); n != 3 {
		t.Errorf("user count %d, want 3", n)
	}
	if n := len(q.infos[unix.SIGUSR1-1]); n != 1 {
		t.Errorf("SIGUSR1 queued %d times, want 1", n)
	}
	if n := len(q.infos[40-1]); n != 2 {
		t.Errorf("signal 40 queued %d times, want 2 (the limit)", n)
	}
	// Synchronous signals come first, then the lowest number.
	q.enqueue(info(int(unix.SIGSEGV)), ch)
	if s := q.first(^linux.SignalSet(0)); s != int(unix.SIGSEGV) {
		t.Errorf("first = %d, want SIGSEGV", s)
	}
	q.dequeue(int(unix.SIGSEGV))
	if s := q.first(^linux.SignalSet(0)); s != int(unix.SIGUSR1) {
		t.Errorf("first = %d, want SIGUSR1", s)
	}
	if s := q.first(^linux.SigBit(int(unix.SIGUSR1))); s != 40 {
		t.Errorf("first with SIGUSR1 masked = %d, want 40", s)
	}
	q.dequeue(40)
	q.dequeue(40)
	if q.set&linux.SigBit(40) != 0 {
		t.Errorf("signal 40 still pending after draining it")
	}
	q.discard(linux.SigBit(int(unix.SIGUSR1)))
	if q.set != 0 {
		t.Errorf("queue not empty: %#x", q.set)
	}
}

func TestDefaultActions(t *testing.T) {
	cases := map[unix.Signal]defaultAction{
		unix.SIGSEGV: actCore, unix.SIGQUIT: actCore, unix.SIGTERM: actTerm, unix.SIGKILL: actTerm,
		unix.SIGCHLD: actIgnore, unix.SIGWINCH: actIgnore, unix.SIGURG: actIgnore,
		unix.SIGSTOP: actStop, unix.SIGTSTP: actStop, unix.SIGCONT: actContinue, 40: actTerm,
	}
	for sig, want := range cases {
		if got := defaultActionOf(int(sig)); got != want {
			t.Errorf("defaultActionOf(%v) = %v, want %v", sig, got, want)
		}
	}
}

func TestLimits(t *testing.T) {
	ls := DefaultLimits()
	if _, err := ls.Set(unix.RLIMIT_NOFILE, Limit{Cur: 10, Max: 5}, true); err != unix.EINVAL {
		t.Errorf("cur > max: %v, want EINVAL", err)
	}
	if _, err := ls.Set(unix.RLIMIT_NOFILE, Limit{Cur: 10, Max: 1 << 30}, false); err != unix.EPERM {
		t.Errorf("raising the hard limit unprivileged: %v, want EPERM", err)
	}
	if _, err := ls.Set(unix.RLIMIT_NOFILE, Limit{Cur: 100, Max: 200}, false); err != nil {
		t.Fatal(err)
	}
	f := ls.Fork()
	f.Set(unix.RLIMIT_NOFILE, Limit{Cur: 50, Max: 200}, false)
	if ls.Get(unix.RLIMIT_NOFILE).Cur != 100 {
		t.Errorf("a forked copy changed its parent")
	}
}
