package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
)

// mayKill reports whether t may send a signal to tg (kill(2)'s permission
// rule: the sender's real or effective uid matches the target's real or
// saved uid, or it has CAP_KILL over the target's user namespace; SIGCONT
// within a session is always allowed).
//
// Preconditions: k.mu is held.
func (t *Task) mayKillLocked(tg *ThreadGroup, sig int) bool {
	if tg.leader == nil {
		return true
	}
	if t.Credentials().MaySignal(tg.leader.Credentials()) {
		return true
	}
	return sig == int(unix.SIGCONT) && tg.pgrp != nil && t.tg.pgrp != nil && tg.pgrp.session == t.tg.pgrp.session
}

// Kill sends sig to the processes pid selects, as kill(2): pid > 0 is one
// process, 0 the caller's process group, -1 every process of its PID
// namespace it may signal but init and itself, < -1 the group -pid (pids
// as t sees them). info nil means SI_USER from t.
func (t *Task) Kill(pid int32, sig int, info *arch.SignalInfo) error {
	if sig < 0 || sig > linux.NumSignals {
		return unix.EINVAL
	}
	if info == nil && sig != 0 {
		info = t.UserSignalInfo(sig, linux.SI_USER)
	}
	k := t.k
	k.mu.Lock()
	var targets []*ThreadGroup
	// prefer is the thread a positive pid names when it is not a
	// process id: the signal goes to its process, through it.
	var prefer *Task
	switch {
	case pid > 0:
		tg := k.groups[t.GlobalPID(pid)]
		if tg == nil {
			if x := k.tasks[t.GlobalPID(pid)]; x != nil {
				tg, prefer = x.tg, x
			}
		}
		if tg == nil || tg.state == groupDead {
			k.mu.Unlock()
			return unix.ESRCH
		}
		targets = []*ThreadGroup{tg}
	case pid == -1:
		for _, tg := range k.groups {
			if tg != k.init && tg != t.tg && tg.state != groupDead && t.PIDOf(tg.tgid) > 1 {
				targets = append(targets, tg)
			}
		}
		if len(targets) == 0 {
			k.mu.Unlock()
			return unix.ESRCH
		}
	default:
		id := t.GlobalPID(-pid)
		if pid == 0 {
			id = t.tg.pgrp.id
		}
		pg := k.pgrps[id]
		if pg == nil {
			k.mu.Unlock()
			return unix.ESRCH
		}
		for tg := range pg.members {
			targets = append(targets, tg)
		}
	}
	var allowed []*ThreadGroup
	for _, tg := range targets {
		if t.mayKillLocked(tg, sig) {
			allowed = append(allowed, tg)
		}
	}
	k.mu.Unlock()
	if len(allowed) == 0 {
		return unix.EPERM
	}
	if sig == 0 {
		return nil
	}
	// A signal refused at RLIMIT_SIGPENDING fails the call only if no
	// process took it (kill_pgrp_info).
	var err error
	sent := false
	for _, tg := range allowed {
		c := *info
		if tg.dropsUnforced(sig, t.crossNamespaceInfo(&c, tg)) {
			sent = true
			continue
		}
		var e error
		if prefer != nil {
			e = tg.sendPreferring(prefer, &c)
		} else {
			e = tg.sendChecked(nil, &c)
		}
		if e != nil {
			err = e
		} else {
			sent = true
		}
	}
	if sent {
		return nil
	}
	return err
}

// Tgkill sends sig to thread tid of process tgid (tgid < 0: any process,
// as tkill), as tgkill(2); ids as t sees them.
func (t *Task) Tgkill(tgid, tid int32, sig int, info *arch.SignalInfo) error {
	if sig < 0 || sig > linux.NumSignals || tid <= 0 || (tgid <= 0 && tgid != -1) {
		return unix.EINVAL
	}
	k := t.k
	k.mu.Lock()
	target := k.tasks[t.GlobalPID(tid)]
	if target == nil || (tgid > 0 && target.tg.tgid != t.GlobalPID(tgid)) {
		k.mu.Unlock()
		return unix.ESRCH
	}
	ok := t.mayKillLocked(target.tg, sig)
	k.mu.Unlock()
	if !ok {
		return unix.EPERM
	}
	if sig == 0 {
		return nil
	}
	if info == nil {
		info = t.UserSignalInfo(sig, linux.SI_TKILL)
	}
	c := *info
	if target.tg.dropsUnforced(sig, t.crossNamespaceInfo(&c, target.tg)) {
		return nil
	}
	return target.tg.sendChecked(target, &c)
}

// SignalProcessGroup sends sig from the kernel (SI_KERNEL) to every
// process of group pgid, as the terminal does for ^C and ^\.
func (k *Kernel) SignalProcessGroup(pgid int32, sig int) {
	k.mu.Lock()
	var targets []*ThreadGroup
	if pg := k.pgrps[pgid]; pg != nil {
		for tg := range pg.members {
			targets = append(targets, tg)
		}
	}
	k.mu.Unlock()
	for _, tg := range targets {
		tg.send(nil, kernelSigInfo(sig))
	}
}

// KillAll sends SIGKILL to every process of the kernel: kite ends the
// sandbox.
func (k *Kernel) KillAll() {
	k.mu.Lock()
	targets := make([]*ThreadGroup, 0, len(k.groups))
	for _, tg := range k.groups {
		targets = append(targets, tg)
	}
	k.mu.Unlock()
	for _, tg := range targets {
		tg.send(nil, kernelSigInfo(int(unix.SIGKILL)))
	}
}

// Shutdown kills every process and waits until every task has left its
// run loop and released its address space, for at most timeout. It
// reports whether they all ended; only then may the memory file that
// backs their memory be released. Calling it again is harmless.
func (k *Kernel) Shutdown(timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		k.mu.Lock()
		if len(k.tasks) == 0 {
			k.mu.Unlock()
			return true
		}
		if k.tasksGone == nil {
			k.tasksGone = make(chan struct{})
		}
		gone := k.tasksGone
		k.mu.Unlock()
		// Kill again on each round: a task that was cloning when the
		// last SIGKILL went out may have made a child since.
		k.KillAll()
		retry := time.NewTimer(100 * time.Millisecond)
		select {
		case <-gone:
			retry.Stop()
			return true
		case <-deadline.C:
			retry.Stop()
			return false
		case <-retry.C:
		}
	}
}
