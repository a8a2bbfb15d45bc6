package strace

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"golang.org/x/sys/unix"
)

// Memory is read access to the traced thread's address space.
type Memory interface {
	// CopyIn copies len(dst) bytes from addr; it returns how many bytes
	// it copied and an error if it copied fewer.
	CopyIn(addr uintptr, dst []byte) (int, error)

	// CopyInString reads a NUL-terminated string of at most about max
	// bytes from addr, failing (ENAMETOOLONG) if it is longer. Whether
	// max counts the NUL, and what comes back with the error, may vary:
	// mm.MemoryManager counts the NUL and returns nothing; strace copes
	// with either.
	CopyInString(addr uintptr, max int) (string, error)
}

// DefaultStringSize is strace's default -s: how many bytes of a string or
// buffer are printed before "...".
const DefaultStringSize = 32

// Tracer prints system calls. Its methods may be called from any
// goroutine.
type Tracer struct {
	w       io.Writer
	strSize int

	mu sync.Mutex
	// open is the thread whose line has been written up to its entry
	// part, awaiting the exit part; 0 if no line is open. Guarded by mu.
	open int32
	// col is the length of the open line so far. Guarded by mu.
	col int
	// calls holds the entered, not yet exited system call of each thread.
	// Guarded by mu.
	calls map[int32]*pendingCall
	// interrupted remembers, per thread, the call that last ended with
	// ERESTART_RESTARTBLOCK, which restart_syscall resumes. Guarded by
	// mu.
	interrupted map[int32]uintptr
}

// pendingCall is a system call between Enter and Exit.
type pendingCall struct {
	nr   uintptr
	args arch.SyscallArgs
	// split is the number of arguments printed at entry; the rest are
	// printed at exit.
	split int
	// owe says the entry part printed arguments without the ", " that
	// the next (non-glue) argument needs.
	owe bool
}

// New returns a Tracer that writes to w, printing strings up to
// DefaultStringSize bytes.
func New(w io.Writer) *Tracer {
	return &Tracer{
		w:           w,
		strSize:     DefaultStringSize,
		calls:       make(map[int32]*pendingCall),
		interrupted: make(map[int32]uintptr),
	}
}

// SetStringSize sets how many bytes of strings and buffers are printed
// (strace's -s).
func (t *Tracer) SetStringSize(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if n > 0 {
		t.strSize = n
	}
}

// Enter is called when thread tid enters system call nr. It prints the
// arguments known at entry at once, so that a call that blocks shows up
// while it blocks.
func (t *Tracer) Enter(tid int32, nr uintptr, args arch.SyscallArgs, mem Memory) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeOpen()
	sp := specFor(nr)
	c := &call{t: t, mem: mem, args: args}
	var b strings.Builder
	b.WriteString(prefix(tid))
	b.WriteString(syscallName(nr))
	b.WriteByte('(')
	split := len(sp.args)
	for i, a := range sp.args {
		if a.isOut(c) {
			split = i
			break
		}
	}
	printed := c.formatArgs(&b, sp.args[:split], false)
	if nr == restartSyscallNR {
		if prev, ok := t.interrupted[tid]; ok {
			b.WriteString("<... resuming interrupted " + syscallName(prev) + " ...>")
			printed = true
		}
	}
	if sp.noReturn {
		b.WriteByte(')')
		t.write(b.String())
		t.writeResult(len(b.String()), "?")
		delete(t.calls, tid)
		return
	}
	owe := printed
	if printed && split < len(sp.args) && !sp.args[split].glue {
		b.WriteString(", ")
		owe = false
	}
	t.write(b.String())
	t.open, t.col = tid, b.Len()
	t.calls[tid] = &pendingCall{nr: nr, args: args, split: split, owe: owe}
}

// Exit is called when thread tid's system call nr returns ret, or fails
// with err (a unix.Errno, including the kernel-internal ERESTART* values).
// It prints the rest of the line, resuming it if another thread's output
// came in between.
func (t *Tracer) Exit(tid int32, nr uintptr, args arch.SyscallArgs, ret uintptr, err error, mem Memory) {
	t.mu.Lock()
	defer t.mu.Unlock()
	sp := specFor(nr)
	p := t.calls[tid]
	delete(t.calls, tid)
	if p == nil && sp.noReturn {
		return // already printed whole, with " = ?"
	}
	var b strings.Builder
	col := 0
	switch {
	case p == nil || p.nr != nr:
		// No matching entry (tracing began mid-call): print the whole
		// call now.
		t.closeOpen()
		p = &pendingCall{nr: nr, args: args}
		b.WriteString(prefix(tid))
		b.WriteString(syscallName(nr))
		b.WriteByte('(')
	case t.open == tid:
		col = t.col // the line goes on
	default:
		t.closeOpen()
		b.WriteString(prefix(tid))
		b.WriteString("<... ")
		b.WriteString(syscallName(nr))
		b.WriteString(" resumed>")
	}
	t.open = 0
	var errno unix.Errno
	failed := err != nil
	if failed && !errors.As(err, &errno) {
		errno = unix.EIO
	}
	switch {
	case failed && errno == errRestartRestartBlock:
		if nr != restartSyscallNR {
			t.interrupted[tid] = nr
		}
	case nr != restartSyscallNR || !failed:
		delete(t.interrupted, tid)
	}
	c := &call{t: t, mem: mem, args: p.args, exiting: true, ret: ret, failed: failed}
	c.formatArgs(&b, sp.args[p.split:], p.owe)
	b.WriteByte(')')
	t.write(b.String())
	if failed {
		t.writeResult(col+b.Len(), formatErrno(errno))
	} else {
		t.writeResult(col+b.Len(), sp.ret(c, ret))
	}
}

// resultColumn is where strace aligns " = result" (its -a default).
const resultColumn = 40

// writeResult ends a line at column col with "= result", padded with
// spaces to resultColumn as strace does.
//
// Preconditions: t.mu is held.
func (t *Tracer) writeResult(col int, result string) {
	pad := " "
	if col < resultColumn {
		pad = strings.Repeat(" ", resultColumn-col)
	}
	t.write(pad + "= " + result + "\n")
}

// ExitNoReturn is called instead of Exit when thread tid's system call
// never returns because the thread exited during it (killed by a signal
// or by another thread's exit_group, or the call was exit itself). It
// ends the call's line as strace does: " <unfinished ...>) = ?".
func (t *Tracer) ExitNoReturn(tid int32, nr uintptr, args arch.SyscallArgs, mem Memory) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.calls[tid]
	delete(t.calls, tid)
	if p == nil {
		return // printed whole at entry (exit, exit_group), or never entered
	}
	var b strings.Builder
	col := 0
	if t.open == tid {
		col = t.col
	} else {
		t.closeOpen()
		b.WriteString(prefix(tid))
		b.WriteString("<... ")
		b.WriteString(syscallName(p.nr))
		b.WriteString(" resumed>")
	}
	t.open = 0
	b.WriteString(" <unfinished ...>)")
	t.write(b.String())
	t.writeResult(col+b.Len(), "?")
}

// SignalInfo is what strace shows of a siginfo_t. Fields that do not apply
// to a signal's code are ignored.
type SignalInfo struct {
	Signo, Code int32
	Errno       int32 // si_errno, printed when non-zero

	// Sender, for signals sent by a process (SI_USER, SI_TKILL,
	// SI_QUEUE, ...) and SIGCHLD.
	PID int32
	UID uint32

	// Addr is si_addr of SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP.
	Addr uintptr

	// SIGCHLD: the exit status (CLD_EXITED) or signal, and CPU times in
	// clock ticks.
	Status       int32
	Utime, Stime int64

	// Value is si_value of SI_QUEUE, SI_MESGQ and SI_TIMER signals.
	Value uint64
	// TimerID and Overrun describe SI_TIMER signals.
	TimerID, Overrun int32

	// Band and FD describe SIGIO/SIGPOLL with a positive code.
	Band int64
	FD   int32
}

// Signal prints the delivery of a signal to thread tid, as strace's
// "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---".
func (t *Tracer) Signal(tid int32, info SignalInfo) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeOpen()
	t.write(prefix(tid) + "--- " + signalName(int(info.Signo)) + " " + formatSigInfo(info) + " ---\n")
}

// formatSigInfo renders a siginfo the way strace does.
func formatSigInfo(si SignalInfo) string {
	sig := int(si.Signo)
	s := "{si_signo=" + signalName(sig) + ", si_code=" + siCodeName(sig, si.Code)
	if si.Errno != 0 {
		s += ", si_errno=" + unix.ErrnoName(unix.Errno(si.Errno))
	}
	source := ", si_pid=" + dec(int64(si.PID)) + ", si_uid=" + udec(uint64(si.UID))
	value := ""
	if si.Value != 0 {
		value = ", si_int=" + dec(int64(int32(si.Value))) + ", si_ptr=" + hex(si.Value)
	}
	switch {
	case si.Code <= 0: // sent by a process (SI_FROMUSER)
		switch si.Code {
		case 0, -6: // SI_USER, SI_TKILL
			s += source
		case -2: // SI_TIMER
			s += ", si_timerid=" + hex(uint64(uint32(si.TimerID))) + ", si_overrun=" + dec(int64(si.Overrun)) + value
		default:
			s += source + value
		}
	case isFaultSignal(sig):
		s += ", si_addr=" + ptr(si.Addr)
	case sig == int(unix.SIGCHLD):
		status := dec(int64(si.Status))
		if si.Code != 1 { // not CLD_EXITED: a signal
			status = signalName(int(si.Status))
		}
		s += source + ", si_status=" + status + ", si_utime=" + dec(si.Utime) + ", si_stime=" + dec(si.Stime)
	case sig == int(unix.SIGIO):
		s += ", si_band=" + dec(si.Band) + ", si_fd=" + dec(int64(si.FD))
	default:
		s += source
	}
	return s + "}"
}

// Exited prints the end of a thread group whose leader is tid: strace's
// "+++ exited with 0 +++", or "+++ killed by SIGKILL +++" (with
// " (core dumped)") when sig is non-zero.
func (t *Tracer) Exited(tid int32, status int, sig int, core bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeOpen()
	delete(t.calls, tid)
	var s string
	switch {
	case sig != 0 && core:
		s = "+++ killed by " + signalName(sig) + " (core dumped) +++\n"
	case sig != 0:
		s = "+++ killed by " + signalName(sig) + " +++\n"
	default:
		s = "+++ exited with " + strconv.Itoa(status) + " +++\n"
	}
	t.write(prefix(tid) + s)
}

// closeOpen ends an open line with "<unfinished ...>".
//
// Preconditions: t.mu is held.
func (t *Tracer) closeOpen() {
	if t.open == 0 {
		return
	}
	t.write(" <unfinished ...>\n")
	t.open = 0
}

// write writes s; output errors are ignored, as tracing must not change
// what the traced program sees.
//
// Preconditions: t.mu is held.
func (t *Tracer) write(s string) { _, _ = io.WriteString(t.w, s) }

func prefix(tid int32) string { return "[pid " + strconv.Itoa(int(tid)) + "] " }

// syscallName returns Linux's name for nr, or strace's syscall_0x... for
// numbers without one.
func syscallName(nr uintptr) string {
	if nr < uintptr(len(linux.SyscallNames)) && linux.SyscallNames[nr] != "" {
		return linux.SyscallNames[nr]
	}
	return "syscall_" + hex(uint64(nr))
}

// restartSyscallNR is restart_syscall's number on amd64.
const restartSyscallNR = 219

// Kernel-internal errnos that a system call may end with when a signal
// interrupts it (include/linux/errno.h); strace shows them as "= ?".
const (
	errRestartSys          = 512
	errRestartNoIntr       = 513
	errRestartNoHand       = 514
	errNoIoctlCmd          = 515
	errRestartRestartBlock = 516
)

var internalErrnos = map[unix.Errno][2]string{
	errRestartSys:          {"ERESTARTSYS", "To be restarted if SA_RESTART is set"},
	errRestartNoIntr:       {"ERESTARTNOINTR", "To be restarted"},
	errRestartNoHand:       {"ERESTARTNOHAND", "To be restarted if no handler"},
	errNoIoctlCmd:          {"ENOIOCTLCMD", "Unknown ioctl command"},
	errRestartRestartBlock: {"ERESTART_RESTARTBLOCK", "Interrupted by signal"},
}

// formatErrno renders a failed call's result: "-1 ENOENT (No such file
// or directory)", the message being strerror's (Go's text, capitalised).
func formatErrno(e unix.Errno) string {
	if n, ok := internalErrnos[e]; ok {
		return "? " + n[0] + " (" + n[1] + ")"
	}
	name := unix.ErrnoName(e)
	if name == "" {
		return "-1 " + strconv.Itoa(int(e)) + " (Unknown error " + strconv.Itoa(int(e)) + ")"
	}
	msg := e.Error()
	if msg != "" {
		msg = strings.ToUpper(msg[:1]) + msg[1:]
	}
	return "-1 " + name + " (" + msg + ")"
}

// Exec prints the execve that started a traced program, as strace's first
// line: execve("/bin/true", ["/bin/true"], /* 21 vars */) = 0. The
// environment's address is not printed: the call was made by kite, not
// from application memory.
func (t *Tracer) Exec(tid int32, path string, argv []string, envc int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.closeOpen()
	var b strings.Builder
	b.WriteString(prefix(tid))
	b.WriteString("execve(")
	b.WriteString(t.quoteTrunc(path))
	b.WriteString(", [")
	for i, a := range argv {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.quoteTrunc(a))
	}
	b.WriteString("], /* ")
	b.WriteString(strconv.Itoa(envc))
	if envc == 1 {
		b.WriteString(" var */) = 0\n")
	} else {
		b.WriteString(" vars */) = 0\n")
	}
	t.write(b.String())
}

// quoteTrunc quotes s cut to the string size, with strace's "..." mark.
func (t *Tracer) quoteTrunc(s string) string {
	if len(s) > t.strSize {
		return quote([]byte(s[:t.strSize])) + "..."
	}
	return quote([]byte(s))
}
