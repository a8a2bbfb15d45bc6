package kernel

import "golang.org/x/sys/unix"

// LimitChanged applies a changed resource limit of tg to the objects that
// enforce it. Limits read at the time of use (RLIMIT_NOFILE, RLIMIT_NPROC)
// need nothing here.
func (k *Kernel) LimitChanged(tg *ThreadGroup, res int) {
	if res != unix.RLIMIT_STACK {
		return
	}
	tg.sigMu.Lock()
	var leader *Task
	if len(tg.tasks) > 0 {
		leader = tg.tasks[0]
	}
	tg.sigMu.Unlock()
	if leader == nil {
		return
	}
	// Every task of a group shares one address space.
	if m := leader.MemoryManagerShared(); m != nil {
		m.SetStackLimit(tg.limits.Get(res).Cur)
	}
}
