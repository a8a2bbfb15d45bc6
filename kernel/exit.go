package kernel

import (
	"slices"

	"github.com/kite-os/kite/tty"
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// Exit ends the calling task, as exit(2): other threads of the group go on.
func (t *Task) Exit(code int) {
	t.mu.Lock()
	t.exiting = true
	t.exitCode = code
	t.mu.Unlock()
}

// ExitGroup ends every task of the calling task's process, as
// exit_group(2).
func (t *Task) ExitGroup(code int) {
	t.tg.beginExit(ExitedStatus(code))
}

// ThreadExitHook runs for each task as it exits, after its robust list
// was walked and its CLONE_CHILD_CLEARTID word cleared, before its address
// space is released.
type ThreadExitHook func(t *Task)

// exit releases what the task holds once it has left its run loop, and
// turns the process into a zombie when it was the last task.
func (t *Task) exit() {
	k := t.k
	t.stopRTTime()
	if t.tg.isNamespaceInit() {
		t.tg.sigMu.Lock()
		last := len(t.tg.tasks) == 1
		t.tg.sigMu.Unlock()
		if last {
			t.zapPIDNamespace()
		}
	}
	if t.mm != nil {
		head, _ := t.RobustList()
		k.futex.ExitThread(t.mm, t.TID(), t.tid, t, head, t.clearChildTID)
		if k.threadExitHook != nil {
			k.threadExitHook(t)
		}
	}
	t.sampleRSSAtExit()
	t.closeVfork()
	t.mu.Lock()
	undo := t.semUndo
	t.semUndo = nil
	t.mu.Unlock()
	if undo != nil {
		// exit_sem: the last user of the list applies its adjustments.
		undo.Release(t.tg.tgid)
	}
	t.releaseResources()
	t.mu.Lock()
	code := t.exitCode
	t.mu.Unlock()
	user, sys := t.CPUTime()

	k.mu.Lock()
	delete(k.tasks, t.tid)
	t.countInNamespacesLocked(-1)
	k.releaseIDLocked(t.tid)
	if len(k.tasks) == 0 && k.tasksGone != nil {
		close(k.tasksGone)
		k.tasksGone = nil
	}
	tg := t.tg
	tg.sigMu.Lock()
	for i, x := range tg.tasks {
		if x == t {
			tg.tasks = append(tg.tasks[:i], tg.tasks[i+1:]...)
			break
		}
	}
	// Queued signals are given back to their users' counts
	// (flush_sigqueue); nothing is queued for t after this.
	t.pending.discard(^linux.SignalSet(0))
	t.pendingFlushed = true
	if len(tg.tasks) == 0 {
		tg.pending.discard(^linux.SignalSet(0))
	}
	tg.deadUser += user
	t.exitRusageLocked()
	tg.deadSys += sys
	last := len(tg.tasks) == 0
	if last && !tg.exiting {
		// The last thread left with exit(2): its code is the group's.
		tg.exiting = true
		close(tg.exitingCh)
		tg.exitStatus = ExitedStatus(code)
	}
	tg.sigMu.Unlock()
	t.ptraceExitLocked()
	var hangup *tty.Terminal
	if last {
		hangup = tg.leaderTerminalLocked()
		tg.becomeZombieLocked()
	}
	k.mu.Unlock()
	// TaskByID no longer finds t: its PI tombstone has done its job.
	// Not under k.mu: a PI locker holds the futex manager's piMu while
	// its TaskLookup takes k.mu (the futex lock order), so dropping the
	// tombstone (piMu) with k.mu held deadlocked the two threads.
	k.futex.ForgetExited(t.tid, t)
	if hangup != nil {
		hangup.SessionLeaderExited(k)
	}
	close(t.exitedCh)
}

// closeVfork releases a parent waiting in vfork.
func (t *Task) closeVfork() {
	if t.vforkDone != nil {
		close(t.vforkDone)
		t.vforkDone = nil
	}
}

// releaseResources drops the task's references to its address space, fd
// table and file-system context.
func (t *Task) releaseResources() {
	t.mu.Lock()
	m, files, fs := t.mm, t.files, t.fs
	t.mm, t.files, t.fs = nil, nil, nil
	t.mu.Unlock()
	if files != nil {
		files.decRef(t)
	}
	if fs != nil {
		fs.decRef()
	}
	if ns := t.Namespaces(); ns != nil && ns.Mount.VFS != nil {
		ns.Mount.VFS.DecRef()
	}
	if ns := t.Namespaces(); ns != nil && ns.Net != nil {
		ns.Net.Stack.DecRef()
	}
	if m != nil {
		t.k.mmPut(m)
	}
}

// becomeZombieLocked handles the death of a process: its children go to a
// new parent, its parent is told (or reaps it at once), and waiters on
// Done wake.
//
// Preconditions: k.mu is held; every task of tg has exited.
func (tg *ThreadGroup) becomeZombieLocked() {
	k := tg.k
	tg.state = groupZombie
	tg.stopITimers()
	tg.stopCPULimit()
	tg.stopPosixTimers()
	if tg.image != nil {
		k.vfs.AllowWriteAccess(tg.image)
		tg.image = nil
	}
	if k.init == tg {
		// The init process is gone: everything else dies with it, as
		// when a PID namespace's init exits.
		for _, other := range k.groups {
			if other != tg && other.state == groupAlive {
				go other.beginExit(SignaledStatus(int(unix.SIGKILL), false))
			}
		}
	}
	tg.reparentChildrenLocked()
	close(tg.done)
	tg.exitQueue.Notify(unix.POLLIN | pollRdNorm)
	if tr := k.tracer; tr != nil {
		tr.Exited(tg.tgid, tg.exitStatusNoLock())
	}
	if tg.ptraceZombieLocked() {
		// Its tracer reports it first; the parent hears of it then.
		return
	}
	tg.notifyParentExitLocked()
}

// notifyParentExitLocked tells zombie tg's parent of its exit, or reaps
// it at once when nobody waits for it.
//
// Preconditions: k.mu is held; tg is a zombie.
func (tg *ThreadGroup) notifyParentExitLocked() {
	p := tg.parent
	if p == nil || p.state != groupAlive {
		tg.reapLocked()
		return
	}
	sig := tg.exitSignal
	autoReap := false
	if sig == int(unix.SIGCHLD) {
		act := p.signalHandlers().get(sig)
		if act.Handler == 1 /* SIG_IGN */ || act.Flags&0x2 /* SA_NOCLDWAIT */ != 0 {
			autoReap = true
		}
	}
	if sig != 0 {
		p.sendKernelLocked(nil, tg.chldInfoLocked(p))
	}
	p.notifyChildEventLocked()
	if autoReap {
		tg.reapLocked()
	}
}

// chldInfoLocked is the SIGCHLD siginfo for tg's exit, sent to p (whose
// PID namespace numbers si_pid).
func (tg *ThreadGroup) chldInfoLocked(p *ThreadGroup) *arch.SignalInfo {
	ws := tg.exitStatusNoLock()
	var uid uint32
	if tg.leader != nil {
		uid = tg.leader.Credentials().RealUID
	}
	var code, status int32
	if c, ok := ws.Exited(); ok {
		code, status = linux.CLD_EXITED, int32(c)
	} else if sig, core, ok := ws.Signaled(); ok {
		code, status = linux.CLD_KILLED, int32(sig)
		if core {
			code = linux.CLD_DUMPED
		}
	}
	u, s := tg.CPUTime()
	info := arch.NewChildSignalInfo(code, p.pidNS().Local(tg.tgid), uid, status, int64(u/1e7), int64(s/1e7))
	info.Signo = int32(tg.exitSignal)
	return &info
}

// exitStatusNoLock reads exitStatus; it is final once the group is a
// zombie.
func (tg *ThreadGroup) exitStatusNoLock() WaitStatus {
	tg.sigMu.Lock()
	defer tg.sigMu.Unlock()
	return tg.exitStatus
}

// notifyChildEventLocked wakes tasks of p waiting for a child.
//
// Preconditions: k.mu is held.
func (p *ThreadGroup) notifyChildEventLocked() {
	close(p.childEvent)
	p.childEvent = make(chan struct{})
	for i, w := range p.childWaiters {
		w.Wake()
		p.childWaiters[i] = nil
	}
	p.childWaiters = p.childWaiters[:0]
}

// reparentChildrenLocked gives tg's children to the nearest living
// subreaper ancestor in tg's PID namespace, or to the namespace's init
// (Linux's find_new_reaper); the children of a dying init have none.
//
// Preconditions: k.mu is held.
func (tg *ThreadGroup) reparentChildrenLocked() {
	if len(tg.children) == 0 {
		return
	}
	ns := tg.pidNS()
	var np *ThreadGroup
	if r := ns.reaperLocked(); r != nil && r != tg {
		for a := tg.parent; a != nil && a != r && a.pidNS() == ns; a = a.parent {
			if a.subreaper && a.state == groupAlive {
				np = a
				break
			}
		}
		if np == nil {
			np = r
		}
	}
	children := tg.children
	tg.children = nil
	for _, c := range children {
		for _, ct := range c.tasks {
			if sig := ct.PdeathSignal(); sig != 0 {
				go ct.SendSignal(kernelSigInfo(sig))
			}
		}
		c.parent = np
		if np == nil {
			if c.state == groupZombie {
				c.reapLocked()
			}
			continue
		}
		np.children = append(np.children, c)
		if c.state == groupZombie {
			if c.exitSignal != 0 {
				np.sendKernelLocked(nil, c.chldInfoLocked(np))
			}
			np.notifyChildEventLocked()
		}
	}
}

// reapLocked removes a zombie for good.
//
// Preconditions: k.mu is held; tg is a zombie.
func (tg *ThreadGroup) reapLocked() {
	k := tg.k
	tg.state = groupDead
	if tg.parent != nil {
		if i := slices.Index(tg.parent.children, tg); i >= 0 {
			tg.parent.children = slices.Delete(tg.parent.children, i, i+1)
		}
		u, s := tg.CPUTime()
		tg.reapRusageLocked()
		tg.parent.childUser += u + tg.childUser
		tg.parent.childSys += s + tg.childSys
	}
	if k.init != tg {
		delete(k.groups, tg.tgid)
		k.releaseIDLocked(tg.tgid)
	}
	if pg := tg.pgrp; pg != nil {
		if pg.session.leader == tg {
			pg.session.leader = nil
		}
		k.leaveGroupLocked(tg)
	}
}
