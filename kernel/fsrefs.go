package kernel

import "github.com/kite-os/kite/vfs"

// ChrootFSRefs moves the root and working directory of every task whose
// root or working directory is old to new (pivot_root(2)).
func (k *Kernel) ChrootFSRefs(old, new vfs.Path) {
	k.mu.Lock()
	tasks := make([]*Task, 0, len(k.tasks))
	for _, t := range k.tasks {
		tasks = append(tasks, t)
	}
	k.mu.Unlock()
	for _, t := range tasks {
		if fsc := t.FSContext(); fsc != nil {
			fsc.ChrootRefs(old, new)
		}
	}
}
