package kernel

import (
	"sort"

	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/vfs"
)

// ProcSource returns the view of the kernel that fs/proc reads.
func (k *Kernel) ProcSource() proc.Source { return procSource{k} }

// procSource implements proc.Source over a Kernel.
type procSource struct{ k *Kernel }

// Process returns the leader task of process pid; a zombie shows
// through its exited leader until it is reaped.
func (s procSource) Process(_ vfs.Context, pid int32) proc.Process {
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	tg := s.k.groups[pid]
	if tg == nil {
		return nil
	}
	if len(tg.tasks) == 0 {
		if tg.state == groupZombie && tg.leader != nil {
			return tg.leader
		}
		return nil
	}
	if tg.leader != nil && tg.state == groupAlive {
		for _, t := range tg.tasks {
			if t == tg.leader {
				return t
			}
		}
	}
	return tg.tasks[0]
}

// Processes lists the pids of live and zombie processes in increasing
// order.
func (s procSource) Processes(vfs.Context) []int32 {
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	ids := make([]int32, 0, len(s.k.groups))
	for id, tg := range s.k.groups {
		if len(tg.tasks) > 0 || (tg.state == groupZombie && tg.leader != nil) {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
