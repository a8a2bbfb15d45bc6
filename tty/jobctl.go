package tty

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/vfs"
)

// errRestartSys is the kernel's ERESTARTSYS: the system call is restarted
// after the signal the terminal sent is handled (or fails with EINTR).
const errRestartSys = unix.Errno(512)

// Sessions is the kernel's side of job control that does not depend on
// who asks: kernel.Kernel implements it.
type Sessions interface {
	// SignalProcessGroup sends sig (from the kernel) to every process of
	// group pgid.
	SignalProcessGroup(pgid int32, sig int)
	// SignalSessionLeader sends sig to the leader of session sid, if it
	// is alive.
	SignalSessionLeader(sid int32, sig int)
	// DetachTerminal makes t no longer the controlling terminal of
	// session sid (hang-up, a steal, TIOCNOTTY).
	DetachTerminal(sid int32, t *Terminal)
	// ProcessGroupSession returns the session of group pgid, 0 if no such
	// group exists.
	ProcessGroupSession(pgid int32) int32
	// Process returns the caller ctx as job control sees it, nil when ctx
	// is not a process (kite's own work, tests).
	Process(ctx vfs.Context) Process
}

// Process is the caller of a terminal operation as job control sees it
// (kernel.Task implements it; Sessions.Process finds it for a
// vfs.Context). A caller that is no process (kite's own work, tests) is
// never stopped or signalled by a terminal and cannot acquire one.
type Process interface {
	// ProcessGroupID and SessionID are the caller's.
	ProcessGroupID() int32
	SessionID() int32
	// IsSessionLeader reports whether the caller leads its session.
	IsSessionLeader() bool
	// ControllingTerminal is the caller's session's controlling terminal
	// (nil: none).
	ControllingTerminal() *Terminal
	// SetControllingTerminal makes t the controlling terminal of the
	// caller's session.
	SetControllingTerminal(t *Terminal)
	// SignalBlockedOrIgnored reports whether the caller blocks or ignores
	// sig.
	SignalBlockedOrIgnored(sig int) bool
	// InOrphanedProcessGroup reports whether the caller's process group
	// is orphaned.
	InOrphanedProcessGroup() bool
	// HasCapSysAdmin reports whether the caller has CAP_SYS_ADMIN (to
	// steal a terminal).
	HasCapSysAdmin() bool
}

// processOf finds the caller in sessions (nil: no job control).
func processOf(sessions Sessions, ctx vfs.Context) Process {
	if sessions == nil {
		return nil
	}
	return sessions.Process(ctx)
}
