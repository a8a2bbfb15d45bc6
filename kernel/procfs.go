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

// Process returns the leader task of process pid.
func (s procSource) Process(_ vfs.Context, pid int32) proc.Process {
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	tg := s.k.groups[pid]
	if tg == nil {
		return nil
	}
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if len(tg.tasks) == 0 {
		return nil
	}
	return tg.tasks[0]
}

// Processes lists the live pids in increasing order.
func (s procSource) Processes(vfs.Context) []int32 {
	s.k.mu.Lock()
	defer s.k.mu.Unlock()
	ids := make([]int32, 0, len(s.k.groups))
	for id, tg := range s.k.groups {
		tg.mu.Lock()
		live := len(tg.tasks) > 0
		tg.mu.Unlock()
		if live {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
