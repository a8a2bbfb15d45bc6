package kernel

import (
	"sort"

	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/vfs"
)

// ProcSource returns the view of the kernel that fs/proc reads: the
// processes of the initial PID namespace.
func (k *Kernel) ProcSource() proc.Source { return procSource{k: k, ns: k.pidns} }

// procSource implements proc.Source over a Kernel: the processes of PID
// namespace ns, named by its numbers.
type procSource struct {
	k  *Kernel
	ns *PIDNamespace
}

// ForMount implements proc.Source: a procfs mount shows the PID
// namespace of the process that mounts it.
func (s procSource) ForMount(ctx vfs.Context) proc.Source {
	if t := s.k.TaskByID(ctx.ThreadID()); t != nil {
		return procSource{k: s.k, ns: t.pidns}
	}
	return s
}

// Self implements proc.Source.
func (s procSource) Self(ctx vfs.Context) (tgid, tid int32) {
	tgid, tid = s.ns.Local(ctx.ThreadGroupID()), s.ns.Local(ctx.ThreadID())
	if tgid == 0 || tid == 0 {
		return 0, 0
	}
	return tgid, tid
}

// view returns how the procfs shows task t: t itself in the initial
// namespace, or t with the namespace's numbers.
func (s procSource) view(t *Task) proc.Process {
	if s.ns.level == 0 {
		return t
	}
	return procTask{Task: t, ns: s.ns}
}

// Process returns the leader task of process pid; a zombie shows
// through its exited leader until it is reaped.
func (s procSource) Process(_ vfs.Context, pid int32) proc.Process {
	g := s.ns.Global(pid)
	if g <= 0 {
		return nil
	}
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	tg := s.k.groups[g]
	if tg == nil {
		return nil
	}
	if len(tg.tasks) == 0 {
		if tg.state == groupZombie && tg.leader != nil {
			return s.view(tg.leader)
		}
		return nil
	}
	if tg.leader != nil && tg.state == groupAlive {
		for _, t := range tg.tasks {
			if t == tg.leader {
				return s.view(t)
			}
		}
	}
	return s.view(tg.tasks[0])
}

// Processes lists the pids of live and zombie processes in increasing
// order.
func (s procSource) Processes(vfs.Context) []int32 {
	s.k.mu.Lock()
	ids := make([]int32, 0, len(s.k.groups))
	for id, tg := range s.k.groups {
		if len(tg.tasks) > 0 || (tg.state == groupZombie && tg.leader != nil) {
			ids = append(ids, id)
		}
	}
	s.k.mu.Unlock()
	if s.ns.level > 0 {
		local := ids[:0]
		for _, id := range ids {
			if l := s.ns.Local(id); l != 0 {
				local = append(local, l)
			}
		}
		ids = local
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// procTask is a task as a procfs of a PID namespace below the initial
// one shows it: its ids are that namespace's numbers.
type procTask struct {
	*Task
	ns *PIDNamespace
}

// ThreadGroupID implements proc.Process.
func (p procTask) ThreadGroupID() int32 { return p.ns.Local(p.tg.tgid) }

// Threads implements proc.ProcessInfo.
func (p procTask) Threads() []int32 {
	ids := p.Task.Threads()
	for i, id := range ids {
		ids[i] = p.ns.Local(id)
	}
	sortIDs(ids)
	return ids
}

// TaskStat implements proc.ProcessInfo.
func (p procTask) TaskStat(ctx vfs.Context, tid int32, whole bool) (proc.TaskStat, bool) {
	return p.taskStat(ctx, p.ns.Global(tid), whole, p.ns)
}

// SetComm implements proc.ProcessInfo.
func (p procTask) SetComm(tid int32, name string) error {
	return p.Task.SetComm(p.ns.Global(tid), name)
}
