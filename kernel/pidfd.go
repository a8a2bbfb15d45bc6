package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/vfs"
)

// pidfdOps are the operations of a pidfd: a file description that refers
// to a process. It becomes readable (POLLIN) when the process exits.
type pidfdOps struct {
	vfs.StreamFile
	tg *ThreadGroup
}

// Readiness implements vfs.Waitable.
func (p *pidfdOps) Readiness(mask uint32) uint32 {
	select {
	case <-p.tg.done:
		return mask & (unix.POLLIN | pollRdNorm)
	default:
		return 0
	}
}

// EventRegister implements vfs.Waitable.
func (p *pidfdOps) EventRegister(e *vfs.WaitEntry) { p.tg.exitQueue.EventRegister(e) }

// EventUnregister implements vfs.Waitable.
func (p *pidfdOps) EventUnregister(e *vfs.WaitEntry) { p.tg.exitQueue.EventUnregister(e) }

// Read implements vfs.FileOperations: a pidfd cannot be read.
func (p *pidfdOps) Read(vfs.Context, *vfs.File, []byte, int64) (int, error) {
	return 0, unix.EINVAL
}

// pidfdInode answers fstat of a pidfd (an anonymous inode).
type pidfdInode struct {
	vfs.InodeDefaults
}

// Stat implements vfs.Inode.
func (pidfdInode) Stat(vfs.Context) (vfs.Stat, error) {
	return vfs.Stat{Mode: 0o600, Nlink: 1, Blksize: 4096}, nil
}

// NewPIDFD returns a file description referring to process tg
// (pidfd_open, CLONE_PIDFD). flags may hold O_NONBLOCK.
func (t *Task) NewPIDFD(tg *ThreadGroup, flags int) (*vfs.File, error) {
	return t.k.vfs.NewAnonymousFile(t, "anon_inode:[pidfd]", pidfdInode{}, &pidfdOps{tg: tg}, unix.O_RDWR|flags)
}

// PIDFDProcess returns the process a pidfd refers to; EBADF if f is not
// a pidfd.
func PIDFDProcess(f *vfs.File) (*ThreadGroup, error) {
	p, ok := f.Ops().(*pidfdOps)
	if !ok {
		return nil, unix.EBADF
	}
	return p.tg, nil
}

// SignalTarget returns the process pidfd_send_signal's fd names: a
// pidfd's, or that of a /proc/PID directory, which Linux accepts too;
// EBADF for any other file.
func SignalTarget(f *vfs.File) (*ThreadGroup, error) {
	if tg, err := PIDFDProcess(f); err == nil {
		return tg, nil
	}
	switch p := proc.DirProcess(f).(type) {
	case *Task:
		return p.tg, nil
	case procTask:
		return p.Task.tg, nil
	}
	return nil, unix.EBADF
}

// PIDFDOpen opens a pidfd for process pid, as pidfd_open(2): pid must be
// a live thread-group leader.
func (t *Task) PIDFDOpen(pid int32, flags int) (*vfs.File, error) {
	if flags&^unix.O_NONBLOCK != 0 || pid <= 0 {
		return nil, unix.EINVAL
	}
	k := t.k
	pid = t.GlobalPID(pid)
	if pid == 0 {
		return nil, unix.ESRCH
	}
	k.mu.Lock()
	tg := k.groups[pid]
	var leader bool
	if tg != nil {
		leader = tg.leader != nil && tg.leader.tid == pid
	}
	k.mu.Unlock()
	if tg == nil || tg.state == groupDead {
		if x := k.TaskByID(pid); x != nil {
			return nil, unix.EINVAL // a thread, not a process
		}
		return nil, unix.ESRCH
	}
	if !leader {
		return nil, unix.EINVAL
	}
	return t.NewPIDFD(tg, flags)
}

// SignalScope says what a pidfd signal reaches.
type SignalScope int

// Scopes of pidfd_send_signal.
const (
	ScopeProcess SignalScope = iota
	ScopeThread
	ScopeProcessGroup
)

// PIDFDSendSignal sends sig to the process of pidfd f (or its leader
// thread, or its process group), as pidfd_send_signal(2).
func (t *Task) PIDFDSendSignal(f *vfs.File, sig int, info *arch.SignalInfo, scope SignalScope) error {
	tg, err := SignalTarget(f)
	if err != nil {
		return err
	}
	t.k.mu.Lock()
	dead := tg.state != groupAlive
	ok := t.mayKillLocked(tg, sig)
	t.k.mu.Unlock()
	if dead {
		return unix.ESRCH
	}
	if !ok {
		return unix.EPERM
	}
	if sig == 0 {
		return nil
	}
	switch scope {
	case ScopeThread:
		t.k.mu.Lock()
		leader := tg.leader
		t.k.mu.Unlock()
		if info == nil {
			info = t.UserSignalInfo(sig, linux.SI_TKILL)
		}
		c := *info
		if !tg.dropsUnforced(sig, t.crossNamespaceInfo(&c, tg)) {
			leader.SendSignal(&c)
		}
	case ScopeProcessGroup:
		pg := t.PIDOf(tg.ProcessGroupID())
		if pg == 0 {
			return unix.ESRCH
		}
		return t.Kill(-pg, sig, info)
	default:
		if info == nil {
			info = t.UserSignalInfo(sig, linux.SI_USER)
		}
		c := *info
		if !tg.dropsUnforced(sig, t.crossNamespaceInfo(&c, tg)) {
			tg.send(nil, &c)
		}
	}
	return nil
}

// pollRdNorm is POLLRDNORM (x/sys/unix lacks it on amd64).
const pollRdNorm = 0x40
