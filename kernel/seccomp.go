package kernel

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/bpf"
)

// Seccomp modes, as /proc/PID/status and PR_GET_SECCOMP show them.
const (
	SeccompModeDisabled = 0
	SeccompModeStrict   = 1
	SeccompModeFilter   = 2
)

// maxSeccompPathInsns is MAX_INSNS_PER_PATH: the instructions of a
// task's whole filter chain, each filter counting 4 more.
const maxSeccompPathInsns = 32768

// seccompFilter is one attached filter; filters are immutable and shared
// by the tasks that inherited them, each pointing to the one attached
// before it.
type seccompFilter struct {
	prog []bpf.Instruction
	// log is SECCOMP_FILTER_FLAG_LOG.
	log bool
	// notif is the filter's listener (SECCOMP_FILTER_FLAG_NEW_LISTENER),
	// or nil.
	notif *SeccompNotifier
	prev  *seccompFilter
	// count is the number of filters in the chain ending here, insns
	// what they count toward Linux's limit (bpf.SeccompCost, plus 4 for
	// each filter before this one).
	count, insns int
}

// seccompState is a task's seccomp mode and filter chain. It is
// immutable: a change stores a new value in Task.seccomp.
type seccompState struct {
	mode   int
	filter *seccompFilter
	// allow has bit nr set when every filter of the chain allows system
	// call nr whatever its arguments (bpf.SeccompAlwaysAllows), so the
	// filters need not run for it (Linux's seccomp_cache).
	allow *[linux.MaxSyscall/64 + 1]uint64
}

// alwaysAllowed computes seccompState.allow for a chain whose first
// filter is f, given the bitmap of the filters before it (nil: none).
func alwaysAllowed(f *seccompFilter, prev *[linux.MaxSyscall/64 + 1]uint64) *[linux.MaxSyscall/64 + 1]uint64 {
	var bits [linux.MaxSyscall/64 + 1]uint64
	for nr := uint32(0); nr <= linux.MaxSyscall; nr++ {
		if prev != nil && prev[nr/64]&(1<<(nr%64)) == 0 {
			continue
		}
		if bpf.SeccompAlwaysAllows(f.prog, nr, unix.AUDIT_ARCH_X86_64) {
			bits[nr/64] |= 1 << (nr % 64)
		}
	}
	return &bits
}

// SeccompMode returns the task's seccomp mode and the number of filters
// attached (/proc/PID/status's Seccomp and Seccomp_filters).
func (t *Task) SeccompMode() (mode, filters int) {
	s := t.seccomp.Load()
	if s == nil {
		return SeccompModeDisabled, 0
	}
	if s.filter != nil {
		filters = s.filter.count
	}
	return s.mode, filters
}

// SetSeccompStrict enters strict mode (SECCOMP_SET_MODE_STRICT): only
// read, write, exit and rt_sigreturn remain. EINVAL if a filter is
// attached.
func (t *Task) SetSeccompStrict() error {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	if s := t.seccomp.Load(); s != nil && s.mode != SeccompModeStrict {
		return unix.EINVAL
	}
	t.seccomp.Store(&seccompState{mode: SeccompModeStrict})
	return nil
}

// Seccomp filter flags the kernel acts on.
const (
	SeccompFlagTSync      = unix.SECCOMP_FILTER_FLAG_TSYNC
	SeccompFlagLog        = unix.SECCOMP_FILTER_FLAG_LOG
	SeccompFlagTSyncESRCH = unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH
)

// AttachSeccompFilter adds a checked filter program to the task's chain
// (SECCOMP_SET_MODE_FILTER). With SeccompFlagTSync every other thread of
// the process gets the same chain; when one of them cannot (strict mode
// or a chain that is not an ancestor of the caller's), the result is that
// thread's id, or ESRCH with SeccompFlagTSyncESRCH. EINVAL in strict
// mode, ENOMEM when the chain grows past Linux's limit.
//
// Preconditions: bpf.CheckSeccomp(prog) returned nil.
func (t *Task) AttachSeccompFilter(prog []bpf.Instruction, flags uint32) (int32, error) {
	return t.AttachSeccompFilterListener(prog, flags, nil)
}

// AttachSeccompFilterListener is AttachSeccompFilter for a filter with a
// listener (SECCOMP_FILTER_FLAG_NEW_LISTENER): EBUSY if a filter of the
// chain already has one.
func (t *Task) AttachSeccompFilterListener(prog []bpf.Instruction, flags uint32, notif *SeccompNotifier) (int32, error) {
	tg := t.tg
	tg.sigMu.Lock()
	cur := t.seccomp.Load()
	var prev *seccompFilter
	if cur != nil {
		if cur.mode == SeccompModeStrict {
			tg.sigMu.Unlock()
			return 0, unix.EINVAL
		}
		prev = cur.filter
	}
	if notif != nil {
		for p := prev; p != nil; p = p.prev {
			if p.notif != nil {
				tg.sigMu.Unlock()
				return 0, unix.EBUSY
			}
		}
	}
	f := &seccompFilter{prog: prog, log: flags&SeccompFlagLog != 0, notif: notif, prev: prev, count: 1, insns: bpf.SeccompCost(prog)}
	if prev != nil {
		f.count = prev.count + 1
		f.insns += prev.insns + 4
	}
	if f.insns > maxSeccompPathInsns {
		tg.sigMu.Unlock()
		return 0, unix.ENOMEM
	}
	var others []*Task
	if flags&SeccompFlagTSync != 0 {
		for _, o := range tg.tasks {
			if o == t {
				continue
			}
			os := o.seccomp.Load()
			if os == nil || os.mode == SeccompModeDisabled ||
				(os.mode == SeccompModeFilter && isSeccompAncestor(os.filter, prev)) {
				others = append(others, o)
				continue
			}
			tg.sigMu.Unlock()
			if flags&SeccompFlagTSyncESRCH != 0 {
				return 0, unix.ESRCH
			}
			return o.tid, nil
		}
	}
	var prevAllow *[linux.MaxSyscall/64 + 1]uint64
	if cur != nil {
		prevAllow = cur.allow
	}
	s := &seccompState{mode: SeccompModeFilter, filter: f, allow: alwaysAllowed(f, prevAllow)}
	t.seccomp.Store(s)
	for _, o := range others {
		o.seccomp.Store(s)
	}
	tg.sigMu.Unlock()
	if len(others) > 0 && t.NoNewPrivs() {
		for _, o := range others {
			o.SetNoNewPrivs()
		}
	}
	return 0, nil
}

// isSeccompAncestor reports whether a is f or one of the filters before
// it (nil is everyone's ancestor).
func isSeccompAncestor(a, f *seccompFilter) bool {
	if a == nil {
		return true
	}
	for ; f != nil; f = f.prev {
		if f == a {
			return true
		}
	}
	return false
}

// Strict mode's system calls.
var seccompStrictAllowed = [...]uintptr{unix.SYS_READ, unix.SYS_WRITE, unix.SYS_EXIT, unix.SYS_RT_SIGRETURN}

// seccompAllows runs the task's seccomp checks for the system call nr
// about to run. It returns false when the call must not run: the filter's
// action (a return value, a signal, the task's death) has been applied.
func (t *Task) seccompAllows(s *seccompState, nr uintptr, args arch.SyscallArgs) bool {
	if s.mode == SeccompModeStrict {
		for _, a := range seccompStrictAllowed {
			if nr == a {
				return true
			}
		}
		t.seccompKillThread(int(unix.SIGKILL))
		return false
	}
	if nr <= linux.MaxSyscall && s.allow[nr/64]&(1<<(nr%64)) != 0 {
		return true
	}
	var data [bpf.SeccompDataSize]byte
	binary.LittleEndian.PutUint32(data[0:], uint32(nr))
	binary.LittleEndian.PutUint32(data[4:], unix.AUDIT_ARCH_X86_64)
	binary.LittleEndian.PutUint64(data[8:], t.regs.Rip)
	for i, a := range args {
		binary.LittleEndian.PutUint64(data[16+8*i:], uint64(a))
	}
	ret := uint32(unix.SECCOMP_RET_ALLOW)
	var match *seccompFilter
	for f := s.filter; f != nil; f = f.prev {
		r := bpf.Run(f.prog, data[:], binary.LittleEndian)
		// The most severe action wins: actions compare as signed
		// numbers, so KILL_PROCESS (the sign bit) is first.
		if int32(r&unix.SECCOMP_RET_ACTION_FULL) < int32(ret&unix.SECCOMP_RET_ACTION_FULL) {
			ret, match = r, f
		}
	}
	action, val := ret&unix.SECCOMP_RET_ACTION_FULL, ret&unix.SECCOMP_RET_DATA
	switch action {
	case unix.SECCOMP_RET_ALLOW:
		return true
	case unix.SECCOMP_RET_LOG:
		t.k.log.Debug("seccomp", "tid", t.tid, "syscall", nr, "action", "log")
		return true
	case unix.SECCOMP_RET_ERRNO:
		if val > maxErrno {
			val = maxErrno
		}
		arch.SetReturn(&t.regs, uintptr(-int64(val)))
		return false
	case unix.SECCOMP_RET_TRAP:
		// The registers show the call as it was made: rax holds its
		// number again, as Linux's syscall_rollback.
		t.regs.Rax = t.regs.Orig_rax
		info := arch.NewSeccompSignalInfo(t.regs.Rip, int32(nr), int32(val))
		t.forceSignal(&info)
		return false
	case unix.SECCOMP_RET_USER_NOTIF:
		if match.notif == nil {
			arch.SetReturn(&t.regs, errnoReturn(unix.ENOSYS))
			return false
		}
		v, cont, err := match.notif.notify(t, data[:])
		if err == ERESTARTSYS {
			// Interrupted before the answer: the call starts over
			// once the signal is handled.
			t.restartErr = ERESTARTSYS
			arch.SetReturn(&t.regs, errnoReturn(err))
			return false
		}
		if err != nil {
			arch.SetReturn(&t.regs, errnoReturn(err))
			return false
		}
		if cont {
			return true
		}
		arch.SetReturn(&t.regs, uintptr(v))
		return false
	case unix.SECCOMP_RET_TRACE:
		// A PTRACE_EVENT_SECCOMP stop; without a tracer asking for
		// it, the call fails with ENOSYS.
		return t.ptraceSeccomp(s, val)
	case unix.SECCOMP_RET_KILL_THREAD:
		if match != nil && match.log {
			t.k.log.Debug("seccomp", "tid", t.tid, "syscall", nr, "action", "kill_thread")
		}
		t.seccompKillThread(int(unix.SIGSYS))
		return false
	}
	// KILL_PROCESS and unknown actions kill the whole process.
	t.k.log.Debug("seccomp", "tid", t.tid, "syscall", nr, "action", "kill_process")
	t.tg.beginExit(SignaledStatus(int(unix.SIGSYS), false))
	return false
}

// maxErrno is MAX_ERRNO: the largest errno a filter can return.
const maxErrno = 4095

// seccompKillThread ends the task with sig; when it is the last thread,
// the process dies of sig.
func (t *Task) seccompKillThread(sig int) {
	tg := t.tg
	tg.sigMu.Lock()
	last := len(tg.tasks) == 1
	tg.sigMu.Unlock()
	if last {
		tg.beginExit(SignaledStatus(sig, false))
		return
	}
	t.Exit(0)
}
