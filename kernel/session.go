package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// Session is a set of process groups (setsid(2)).
type Session struct {
	id int32
	// leader is the session leader; nil once it has been reaped.
	// Guarded by the kernel's mu.
	leader *ThreadGroup
}

// ID returns the session id.
func (s *Session) ID() int32 { return s.id }

// ProcessGroup is a set of processes signalled together (job control).
type ProcessGroup struct {
	id      int32
	session *Session
	// members are the processes in the group. Guarded by the kernel's mu.
	members map[*ThreadGroup]struct{}
}

// ID returns the process group id.
func (pg *ProcessGroup) ID() int32 { return pg.id }

// Session returns the group's session.
func (pg *ProcessGroup) Session() *Session { return pg.session }

// joinGroup moves tg into pg, dropping its old group when it empties.
//
// Preconditions: k.mu is held.
func (k *Kernel) joinGroup(tg *ThreadGroup, pg *ProcessGroup) {
	k.leaveGroupLocked(tg)
	tg.pgrp = pg
	pg.members[tg] = struct{}{}
	k.pgrps[pg.id] = pg
	k.sessions[pg.session.id] = pg.session
}

// leaveGroupLocked takes tg out of its process group, dropping the group
// (and its session) when they empty.
//
// Preconditions: k.mu is held.
func (k *Kernel) leaveGroupLocked(tg *ThreadGroup) {
	old := tg.pgrp
	if old == nil {
		return
	}
	delete(old.members, tg)
	tg.pgrp = nil
	if len(old.members) != 0 {
		return
	}
	delete(k.pgrps, old.id)
	k.releaseIDLocked(old.id)
	for _, pg := range k.pgrps {
		if pg.session == old.session {
			return
		}
	}
	delete(k.sessions, old.session.id)
	k.releaseIDLocked(old.session.id)
}

// newProcessGroup makes a group with id in session s.
func newProcessGroup(id int32, s *Session) *ProcessGroup {
	return &ProcessGroup{id: id, session: s, members: map[*ThreadGroup]struct{}{}}
}

// ProcessGroupID returns the id of tg's process group.
func (tg *ThreadGroup) ProcessGroupID() int32 {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if tg.pgrp == nil {
		return 0
	}
	return tg.pgrp.id
}

// SessionID returns the id of tg's session.
func (tg *ThreadGroup) SessionID() int32 {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	if tg.pgrp == nil {
		return 0
	}
	return tg.pgrp.session.id
}

// SetPGID moves process pid (0: the caller) into group pgid (0: a group
// of its own), as setpgid(2); ids as t sees them.
func (t *Task) SetPGID(pid, pgid int32) error {
	if pgid < 0 {
		return unix.EINVAL
	}
	if pid > 0 {
		if pid = t.GlobalPID(pid); pid == 0 {
			return unix.ESRCH
		}
	}
	if pgid > 0 {
		if pgid = t.GlobalPID(pgid); pgid == 0 {
			return unix.EPERM
		}
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	self := t.tg
	target := self
	if pid != 0 && pid != self.tgid {
		target = k.groups[pid]
		if target == nil || target.state != groupAlive || target.parent != self {
			return unix.ESRCH
		}
		if target.pgrp.session != self.pgrp.session {
			return unix.EPERM
		}
		if target.execed {
			return unix.EACCES
		}
	}
	if pgid == 0 {
		pgid = target.tgid
	}
	if target.pgrp.session.leader == target {
		return unix.EPERM
	}
	if target.pgrp.id == pgid {
		return nil
	}
	if pg := k.pgrps[pgid]; pg != nil {
		if pg.session != self.pgrp.session {
			return unix.EPERM
		}
		k.joinGroup(target, pg)
		return nil
	}
	if pgid != target.tgid {
		return unix.EPERM
	}
	k.joinGroup(target, newProcessGroup(pgid, target.pgrp.session))
	return nil
}

// SetSID makes the caller the leader of a new session and process group,
// as setsid(2).
func (t *Task) SetSID() (int32, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := t.tg
	if _, used := k.pgrps[tg.tgid]; used {
		return 0, unix.EPERM
	}
	s := &Session{id: tg.tgid, leader: tg}
	k.joinGroup(tg, newProcessGroup(tg.tgid, s))
	tg.ctty = nil
	return t.PIDOf(tg.tgid), nil
}

// GetPGID returns the process group of pid (0: the caller), getpgid(2).
func (t *Task) GetPGID(pid int32) (int32, error) {
	tg, err := t.lookupProcess(pid)
	if err != nil {
		return 0, err
	}
	return t.PIDOf(tg.ProcessGroupID()), nil
}

// GetSID returns the session of pid (0: the caller), getsid(2).
func (t *Task) GetSID(pid int32) (int32, error) {
	tg, err := t.lookupProcess(pid)
	if err != nil {
		return 0, err
	}
	return t.PIDOf(tg.SessionID()), nil
}

// lookupProcess finds a live process by pid as t sees it; 0 is the
// caller.
func (t *Task) lookupProcess(pid int32) (*ThreadGroup, error) {
	if pid == 0 {
		return t.tg, nil
	}
	if pid < 0 {
		return nil, unix.ESRCH
	}
	if pid = t.GlobalPID(pid); pid == 0 {
		return nil, unix.ESRCH
	}
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	tg := k.groups[pid]
	if tg == nil || tg.state == groupDead {
		return nil, unix.ESRCH
	}
	return tg, nil
}

// inOrphanedGroup reports whether tg's process group is orphaned: no
// member has a parent in another group of the same session.
func (tg *ThreadGroup) inOrphanedGroup() bool {
	k := tg.k
	k.mu.Lock()
	defer k.mu.Unlock()
	pg := tg.pgrp
	if pg == nil {
		return true
	}
	for m := range pg.members {
		if m.state != groupAlive {
			continue
		}
		if p := m.parent; p != nil && p.pgrp != nil && p.pgrp != pg && p.pgrp.session == pg.session {
			return false
		}
	}
	return true
}

// Controlling terminals and job control (the tty package's Process and
// Sessions). A process's controlling terminal is its own (fork inherits
// it, setsid drops it), as Linux's signal->tty.

var (
	_ tty.Process  = (*Task)(nil)
	_ tty.Sessions = (*Kernel)(nil)
)

// ProcessGroupID returns the id of the caller's process group.
func (t *Task) ProcessGroupID() int32 { return t.tg.ProcessGroupID() }

// SessionID returns the id of the caller's session.
func (t *Task) SessionID() int32 { return t.tg.SessionID() }

// IsSessionLeader reports whether the caller leads its session.
func (t *Task) IsSessionLeader() bool {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	return t.tg.pgrp != nil && t.tg.pgrp.session.leader == t.tg
}

// ControllingTerminal returns the caller's controlling terminal.
func (t *Task) ControllingTerminal() *tty.Terminal { return t.tg.ControllingTerminal() }

// ControllingTerminal returns the process's controlling terminal (nil:
// none).
func (tg *ThreadGroup) ControllingTerminal() *tty.Terminal {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.ctty
}

// SetControllingTerminal makes term the caller's controlling terminal.
func (t *Task) SetControllingTerminal(term *tty.Terminal) {
	t.k.mu.Lock()
	t.tg.ctty = term
	t.k.mu.Unlock()
}

// SignalBlockedOrIgnored reports whether the caller blocks sig or its
// disposition is SIG_IGN (Linux's is_ignored of the tty code).
func (t *Task) SignalBlockedOrIgnored(sig int) bool {
	if t.SignalMask()&linux.SigBit(sig) != 0 {
		return true
	}
	return t.tg.SigAction(sig).Handler == linux.SIG_IGN
}

// InOrphanedProcessGroup reports whether the caller's process group is
// orphaned.
func (t *Task) InOrphanedProcessGroup() bool { return t.tg.inOrphanedGroup() }

// HasCapSysAdmin reports CAP_SYS_ADMIN over the initial user namespace.
func (t *Task) HasCapSysAdmin() bool {
	return t.Credentials().HasGlobalCapability(unix.CAP_SYS_ADMIN)
}

// Process returns the task calling with ctx (a kernel.Task's context is
// itself; its thread id names it), nil when ctx is no task of k.
func (k *Kernel) Process(ctx vfs.Context) tty.Process {
	tid := ctx.ThreadID()
	if tid == 0 {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if t := k.tasks[tid]; t != nil {
		return t
	}
	return nil
}

// SignalSessionLeader sends sig from the kernel to the leader of session
// sid, if it is alive.
func (k *Kernel) SignalSessionLeader(sid int32, sig int) {
	k.mu.Lock()
	var leader *ThreadGroup
	if s := k.sessions[sid]; s != nil && s.leader != nil && s.leader.state == groupAlive {
		leader = s.leader
	}
	k.mu.Unlock()
	if leader != nil {
		leader.send(nil, kernelSigInfo(sig))
	}
}

// DetachTerminal takes term away from every process of session sid.
func (k *Kernel) DetachTerminal(sid int32, term *tty.Terminal) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, tg := range k.groups {
		if tg.ctty == term && tg.pgrp != nil && tg.pgrp.session.id == sid {
			tg.ctty = nil
		}
	}
}

// ProcessGroupSession returns the session of group pgid (0: no such
// group).
func (k *Kernel) ProcessGroupSession(pgid int32) int32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	if pg := k.pgrps[pgid]; pg != nil {
		return pg.session.id
	}
	return 0
}

// leaderTerminalLocked returns the controlling terminal a dying session
// leader hangs up (nil if tg leads no session or has none).
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) leaderTerminalLocked() *tty.Terminal {
	if tg.pgrp == nil || tg.pgrp.session.leader != tg {
		return nil
	}
	return tg.ctty
}
