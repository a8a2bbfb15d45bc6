package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/vfs"
)

// Owner kinds of F_SETOWN_EX (struct f_owner_ex's type).
const (
	OwnerTID  = 0 // F_OWNER_TID: one thread
	OwnerPID  = 1 // F_OWNER_PID: a process
	OwnerPGRP = 2 // F_OWNER_PGRP: a process group
)

// FileOwner is a file's owner for I/O signals (Linux's fown_struct): a
// thread, process or process group id, with the uid and euid of whoever
// set it, which decide whom it may signal (sigio_perm).
type FileOwner struct {
	k         *Kernel
	kind      int
	id        int32
	uid, euid uint32
}

var _ vfs.FileOwner = (*FileOwner)(nil)

// NewFileOwner makes the owner F_SETOWN or F_SETOWN_EX names (kind
// OwnerTID, OwnerPID or OwnerPGRP): ESRCH when nothing has id, as
// find_vpid; id 0 names nobody (the kind is kept for F_GETOWN_EX).
func (t *Task) NewFileOwner(kind int, id int32) (*FileOwner, error) {
	k := t.k
	c := t.Credentials()
	if id == 0 {
		return &FileOwner{k: k, kind: kind, uid: c.RealUID, euid: c.EffectiveUID}, nil
	}
	// The owner is kept by its global id; F_GETOWN shows the caller's.
	if id = t.GlobalPID(id); id <= 0 {
		return nil, unix.ESRCH
	}
	k.mu.Lock()
	found := false
	switch kind {
	case OwnerTID:
		found = k.tasks[id] != nil
	case OwnerPID:
		// Any id in use names a pid: a thread id too (Linux looks up
		// the struct pid, which a thread's id also has).
		found = k.groups[id] != nil || k.tasks[id] != nil
	case OwnerPGRP:
		found = k.pgrps[id] != nil || k.groups[id] != nil || k.tasks[id] != nil
	}
	k.mu.Unlock()
	if !found {
		return nil, unix.ESRCH
	}
	return &FileOwner{k: k, kind: kind, id: id, uid: c.RealUID, euid: c.EffectiveUID}, nil
}

// Who implements vfs.FileOwner: the owner's kind (OwnerTID...) and
// global id.
func (o *FileOwner) Who() (int, int32) { return o.kind, o.id }

// Alive implements vfs.FileOwner: whether a task of the kind still has
// the id (F_GETOWN reports 0 otherwise, as pid_task finds none).
func (o *FileOwner) Alive() bool {
	if o.id == 0 {
		return false
	}
	k := o.k
	k.mu.Lock()
	defer k.mu.Unlock()
	switch o.kind {
	case OwnerTID:
		return k.tasks[o.id] != nil
	case OwnerPID:
		tg := k.groups[o.id]
		return tg != nil && tg.state != groupDead
	}
	pg := k.pgrps[o.id]
	return pg != nil && len(pg.members) > 0
}

// targets returns the owner's tasks (a thread) or processes, with the
// credentials sigio_perm compares against.
func (o *FileOwner) targets() (tasks []*Task, groups []*ThreadGroup) {
	if o.id == 0 {
		return nil, nil
	}
	k := o.k
	k.mu.Lock()
	defer k.mu.Unlock()
	switch o.kind {
	case OwnerTID:
		if t := k.tasks[o.id]; t != nil {
			tasks = append(tasks, t)
		}
	case OwnerPID:
		if tg := k.groups[o.id]; tg != nil && tg.state != groupDead {
			groups = append(groups, tg)
		}
	default:
		if pg := k.pgrps[o.id]; pg != nil {
			for tg := range pg.members {
				groups = append(groups, tg)
			}
		}
	}
	return tasks, groups
}

// mayAlert is sigio_perm: the owner's setter was root, or its uid or
// euid is the target's real or saved uid.
func (o *FileOwner) mayAlert(t *Task) bool {
	if t == nil {
		return false
	}
	c := t.Credentials()
	return o.euid == 0 || o.euid == c.SavedUID || o.euid == c.RealUID ||
		o.uid == c.SavedUID || o.uid == c.RealUID
}

// send delivers the siginfo info makes to every target the owner may
// signal; a target whose real-time queue is full gets a plain SIGIO
// instead (send_sigio_to_task's fallback).
func (o *FileOwner) send(info func() *arch.SignalInfo) {
	tasks, groups := o.targets()
	for _, t := range tasks {
		if o.mayAlert(t) && !t.tg.sendQueued(t, info()) {
			t.SendSignal(kernelSigInfo(int(unix.SIGIO)))
		}
	}
	for _, tg := range groups {
		o.k.mu.Lock()
		leader := tg.leader
		o.k.mu.Unlock()
		if o.mayAlert(leader) && !tg.sendQueued(nil, info()) {
			tg.send(nil, kernelSigInfo(int(unix.SIGIO)))
		}
	}
}

// pollBands are the si_band of each POLL_* reason (Linux's band_table).
var pollBands = [...]int64{
	vfs.PollIn:  unix.POLLIN | vfs.PollRdNorm,
	vfs.PollOut: unix.POLLOUT | vfs.PollWrNorm | vfs.PollWrBand,
	vfs.PollMsg: unix.POLLIN | vfs.PollRdNorm | 0x400,
	vfs.PollErr: unix.POLLERR,
	vfs.PollPri: unix.POLLPRI | vfs.PollRdBand,
	vfs.PollHup: unix.POLLHUP | unix.POLLERR,
}

// SendIO implements vfs.FileOwner, as send_sigio_to_task: F_SETSIG's
// signal carries si_code reason, si_band and si_fd; without one the
// kernel sends a plain SIGIO.
func (o *FileOwner) SendIO(sig int, fd int32, reason int32) {
	if sig <= 0 || sig > linux.NumSignals {
		o.send(func() *arch.SignalInfo { return kernelSigInfo(int(unix.SIGIO)) })
		return
	}
	band := int64(^uint64(0) >> 1)
	if reason >= vfs.PollIn && int(reason) < len(pollBands) {
		band = pollBands[reason]
	}
	o.send(func() *arch.SignalInfo {
		info := arch.NewPollSignalInfo(sig, reason, band, fd)
		return &info
	})
}

// SendURG implements vfs.FileOwner: SIGURG from the kernel.
func (o *FileOwner) SendURG() bool {
	if o.id == 0 {
		return false
	}
	o.send(func() *arch.SignalInfo { return kernelSigInfo(int(unix.SIGURG)) })
	return true
}
