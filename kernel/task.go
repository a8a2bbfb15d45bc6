package kernel

import (
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/vfs"
)

// Task is one application thread (Linux's task_struct).
type Task struct {
	k   *Kernel
	tg  *ThreadGroup // changes only at execve by a non-leader, under k.mu
	tid int32
	// pidns is the PID namespace the task's ids belong to; never changed.
	pidns *PIDNamespace

	// rtTime watches RLIMIT_RTTIME (rttime.go).
	rtTime limitWatch

	// The fields below are used only by the task's own goroutine (and by
	// the creator before the goroutine starts).
	regs arch.Registers
	// creds are the task's credentials; each change stores a new value.
	creds atomic.Pointer[auth.Credentials]
	// semUndo is the task's System V semaphore undo list, shared through
	// CLONE_SYSVSEM; nil until the first SEM_UNDO. Guarded by mu.
	semUndo *ipc.UndoList
	// ns are the task's namespaces; each change stores a new value.
	ns atomic.Pointer[Namespaces]

	// pendingFP, if resetFP or non-nil, is FP state to install in the
	// context before the task next runs (fork copies the parent's; exec
	// resets it).
	pendingFP arch.FPState
	resetFP   bool

	// clearChildTID is the set_tid_address/CLONE_CHILD_CLEARTID address.
	clearChildTID uintptr

	// restartErr is the restart errno (ERESTARTSYS...) the last system
	// call returned, to be resolved when signals are handled.
	restartErr unix.Errno
	// restartBlock continues a call interrupted with
	// ERESTART_RESTARTBLOCK.
	restartBlock RestartFunc
	// savedMask, if hasSavedMask, is the mask to restore after the next
	// signal delivery (sigsuspend, ppoll, pselect).
	savedMask    linux.SignalSet
	hasSavedMask bool

	// lastFault is what the last hardware exception left for a signal
	// frame's sigcontext.
	lastFault arch.FaultState

	// rseq is the rseq(2) registration (rseq.go).
	rseq rseqState

	// vforkDone is closed when a CLONE_VFORK child execs or exits.
	vforkDone chan struct{}
	// exitedCh is closed when the task has exited.
	exitedCh chan struct{}

	// wake is signalled (without blocking) whenever the task is
	// interrupted, so that a blocking system call notices.
	wake chan struct{}
	// parker is where the task sleeps in Park; interrupt unparks it
	// too, as does every WaitEntry made with the task as its Waker.
	parker platform.Parker

	// started is when the task was created (/proc/PID/stat's
	// starttime). Set before the task starts; never changed.
	started time.Time

	// Time accounting, used only by the task's goroutine and read
	// atomically by others.
	userNanos, sysNanos atomic.Int64
	// userSince is when the task last entered application code (on
	// cpuEpoch's clock), zero while it is in kite; cpuSeq is odd while
	// the run loop changes userNanos and userSince together. Readers
	// (CPUTime) add the running slice, as Linux's clocks read the time
	// of a thread on the CPU up to now.
	userSince, cpuSeq atomic.Int64
	// sleepStart is when the task's outermost wait began (SleepBegin)
	// and sleptNanos the time it has spent in waits since the run loop
	// last accounted its system time: sleeping is not CPU time. Used
	// only by the task's goroutine.
	sleepStart time.Time
	sleptNanos int64

	// nprocExceeded is Linux's PF_NPROC_EXCEEDED: a set*uid moved the
	// task to a user over RLIMIT_NPROC, which its next execve checks.
	nprocExceeded atomic.Bool

	// Signal state, guarded by tg.sigMu.
	pending sigQueue
	// pendingFlushed is set once the exiting task's queue was emptied
	// for good. Guarded by tg.sigMu.
	pendingFlushed bool
	sigMask        linux.SignalSet
	altStack       linux.SignalStack
	// sigWaitSet is the set a task in rt_sigtimedwait waits for.
	sigWaitSet linux.SignalSet

	// ptrace is the task's ptrace state as tracee and tracer (ptrace.go).
	ptrace ptraceState

	// seccomp is the task's seccomp mode and filters; nil when it has
	// none. Read by the task without a lock; stored under tg.sigMu.
	seccomp atomic.Pointer[seccompState]

	mu sync.Mutex
	// ctx is the platform context while the task runs. Guarded by mu.
	ctx platform.Context
	// mm is the address space. Guarded by mu (changed at execve).
	mm *mm.MemoryManager
	// files is the fd table; nil after exit. Guarded by mu.
	files *fdTableRef
	// fs is the root, cwd and umask; nil after exit. Guarded by mu.
	fs *fsContextRef
	// name is the command name (comm), at most 15 bytes. Guarded by mu.
	name string
	// exe is the program image's file (/proc/PID/exe). Guarded by mu.
	exe vfs.Path
	// args delimits argv and envp in the address space (for
	// /proc/PID/cmdline and environ). Guarded by mu.
	args argArea
	// exiting is set when the task must leave its run loop. Guarded by mu.
	exiting bool
	// exitCode is the exit status of a task exiting on its own (exit(2)).
	// Guarded by mu.
	exitCode int
	// sched are the scheduling attributes. Guarded by mu.
	sched SchedState
	// schedGen counts changes of sched; schedSeen is the count the run
	// loop last gave the platform (used only on the task's goroutine).
	schedGen  atomic.Uint64
	schedSeen uint64
	// sleeping counts the waits the task is in (SleepBegin); 0 when it
	// runs or could run.
	sleeping atomic.Int32
	// robustList and robustListLen are what set_robust_list recorded.
	// Guarded by mu.
	robustList    uintptr
	robustListLen uintptr
	// pdeathSignal is PR_SET_PDEATHSIG. Guarded by mu.
	pdeathSignal int
	// timerSlack is PR_SET_TIMERSLACK's value in nanoseconds and
	// defaultTimerSlack what setting 0 restores (the parent's slack when
	// the task was made); 0 stands for Linux's 50 µs. kite's timers fire
	// without slack, within any slack allowed. Guarded by mu.
	timerSlack, defaultTimerSlack uint64
	// mceKill is PR_MCE_KILL's policy plus one; 0 is
	// PR_MCE_KILL_DEFAULT. kite sees no machine checks; the policy is
	// only kept. Guarded by mu.
	mceKill int
	// noNewPrivs is PR_SET_NO_NEW_PRIVS, inherited and never cleared.
	// Guarded by mu.
	noNewPrivs bool
	// misc is personality, ioprio and memory policy (misc.go). Guarded
	// by mu.
	misc taskMisc
	// ru counts faults and context switches (rusage.go).
	ru taskRusage
}

// Kernel returns the kernel the task belongs to.
func (t *Task) Kernel() *Kernel { return t.k }

// ThreadGroup returns the task's thread group (process).
func (t *Task) ThreadGroup() *ThreadGroup { return t.tg }

// ThreadID returns the task's thread id.
func (t *Task) ThreadID() int32 { return t.tid }

// ThreadGroupID returns the id of the task's process (its pid).
func (t *Task) ThreadGroupID() int32 { return t.tg.tgid }

// MemoryManager returns the task's address space. Only for the task's own
// goroutine; others use MemoryManagerShared.
func (t *Task) MemoryManager() *mm.MemoryManager { return t.mm }

// FDTable returns the task's file descriptor table; nil once the task has
// exited. Safe from any goroutine.
func (t *Task) FDTable() *vfs.FDTable {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.files == nil {
		return nil
	}
	return t.files.t
}

// FSContext returns the task's root, working directory and umask; nil once
// the task has exited. Safe from any goroutine.
func (t *Task) FSContext() *vfs.FSContext {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fs == nil {
		return nil
	}
	return t.fs.c
}

// Credentials returns the task's credentials. They are immutable; the
// task installs new ones to change them.
func (t *Task) Credentials() *auth.Credentials { return t.creds.Load() }

// Registers returns the task's saved registers. Only meaningful on the
// task's own goroutine while it is in the kernel (during a system call).
func (t *Task) Registers() *arch.Registers { return &t.regs }

// CopyIn copies len(dst) bytes from application memory at addr. It returns
// EFAULT, with the count copied so far, for addresses the application
// cannot read.
func (t *Task) CopyIn(addr uintptr, dst []byte) (int, error) { return t.mm.CopyIn(addr, dst) }

// CopyOut copies src to application memory at addr; EFAULT as CopyIn.
func (t *Task) CopyOut(addr uintptr, src []byte) (int, error) { return t.mm.CopyOut(addr, src) }

// CopyInString copies a NUL-terminated string of at most maxLen bytes from
// application memory (ENAMETOOLONG without a NUL within maxLen).
func (t *Task) CopyInString(addr uintptr, maxLen int) (string, error) {
	return t.mm.CopyInString(addr, maxLen)
}

// Name returns the task's command name.
func (t *Task) Name() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.name
}

// SetName sets the task's command name, truncated to 15 bytes as Linux's
// TASK_COMM_LEN.
func (t *Task) SetName(n string) {
	if len(n) > 15 {
		n = n[:15]
	}
	t.mu.Lock()
	t.name = n
	t.mu.Unlock()
}

// SignalStack returns the alternate signal stack.
func (t *Task) SignalStack() linux.SignalStack {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return t.altStack
}

// SetSignalStack replaces the alternate signal stack.
func (t *Task) SetSignalStack(s linux.SignalStack) {
	t.tg.sigMu.Lock()
	t.altStack = s
	t.tg.sigMu.Unlock()
}

// OnSignalStack reports whether sp lies on the task's alternate signal
// stack.
func (t *Task) OnSignalStack(sp uintptr) bool {
	s := t.SignalStack()
	if s.Flags&linux.SS_DISABLE != 0 || s.Size == 0 {
		return false
	}
	return uint64(sp) > s.Sp && uint64(sp)-s.Sp <= s.Size
}

// SetClearChildTID records the set_tid_address pointer.
func (t *Task) SetClearChildTID(addr uintptr) { t.clearChildTID = addr }

// SetRobustList records the set_robust_list head.
func (t *Task) SetRobustList(head, length uintptr) {
	t.mu.Lock()
	t.robustList, t.robustListLen = head, length
	t.mu.Unlock()
}

// RobustList returns the set_robust_list head and length. Safe from any
// goroutine (get_robust_list reads other tasks').
func (t *Task) RobustList() (head, length uintptr) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.robustList, t.robustListLen
}

// MemoryManagerShared returns the task's address space for callers on
// other goroutines.
func (t *Task) MemoryManagerShared() *mm.MemoryManager {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.mm
}
