package kernel

import "golang.org/x/sys/unix"

// LimitChanged applies a changed resource limit of tg to the objects that
// enforce it: the stack limit to the address space, RLIMIT_NOFILE to the
// fd tables, RLIMIT_CPU to the process's watch of its CPU time. Limits read at the time of use (RLIMIT_NPROC,
// RLIMIT_SIGPENDING) need nothing here.
func (k *Kernel) LimitChanged(tg *ThreadGroup, res int) {
	if res == unix.RLIMIT_CPU {
		tg.armCPULimit()
		return
	}
	if res == unix.RLIMIT_RTTIME {
		tg.sigMu.Lock()
		tasks := tg.tasksForSignals()
		tg.sigMu.Unlock()
		for _, t := range tasks {
			t.armRTTime(false)
		}
		return
	}
	tg.sigMu.Lock()
	tasks := tg.tasksForSignals()
	tg.sigMu.Unlock()
	l := tg.limits.Get(res)
	for _, t := range tasks {
		switch res {
		case unix.RLIMIT_STACK:
			if m := t.MemoryManagerShared(); m != nil {
				m.SetStackLimit(l.Cur)
			}
		case unix.RLIMIT_NOFILE:
			if fdt := t.FDTable(); fdt != nil {
				fdt.SetLimit(l.Cur)
			}
		}
	}
}
