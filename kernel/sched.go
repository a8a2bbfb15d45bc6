package kernel

import "golang.org/x/sys/unix"

// Scheduling policies.
const (
	SchedOther = 0
	SchedFIFO  = 1
	SchedRR    = 2
	SchedBatch = 3
	SchedIdle  = 5
)

// SchedState is a task's scheduling attributes. kite records them and
// reports them back; host threads are scheduled by the host.
type SchedState struct {
	Policy   int
	Priority int // real-time priority, 1..99 for FIFO/RR, 0 otherwise
	Nice     int // -20..19
	Affinity uint64
}

// Sched returns the task's scheduling attributes.
func (t *Task) Sched() SchedState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sched
}

// SetSched changes the task's policy and real-time priority, with Linux's
// rules: EINVAL for a priority outside the policy's range, EPERM for an
// unprivileged caller asking for a real-time policy beyond RLIMIT_RTPRIO.
func (t *Task) SetSched(caller *Task, policy, prio int) error {
	switch policy {
	case SchedOther, SchedBatch, SchedIdle:
		if prio != 0 {
			return unix.EINVAL
		}
	case SchedFIFO, SchedRR:
		if prio < 1 || prio > 99 {
			return unix.EINVAL
		}
		if !caller.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) && uint64(prio) > caller.tg.limits.Get(unix.RLIMIT_RTPRIO).Cur {
			return unix.EPERM
		}
	default:
		return unix.EINVAL
	}
	if !caller.maySchedule(t) {
		return unix.EPERM
	}
	t.mu.Lock()
	t.sched.Policy, t.sched.Priority = policy, prio
	t.mu.Unlock()
	return nil
}

// SetNice changes the task's nice value. Lowering it needs privilege or
// RLIMIT_NICE (EACCES); changing another user's task needs privilege
// (EPERM).
func (t *Task) SetNice(caller *Task, nice int) error {
	nice = min(max(nice, -20), 19)
	if !caller.maySchedule(t) {
		return unix.EPERM
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if nice < t.sched.Nice && !caller.Credentials().HasGlobalCapability(unix.CAP_SYS_NICE) {
		if uint64(20-nice) > caller.tg.limits.Get(unix.RLIMIT_NICE).Cur {
			return unix.EACCES
		}
	}
	t.sched.Nice = nice
	return nil
}

// SetAffinity records the CPUs the task may run on; an empty set is
// EINVAL.
func (t *Task) SetAffinity(caller *Task, mask uint64) error {
	all := uint64(1)<<uint(t.k.NumCPU()) - 1
	if mask&all == 0 {
		return unix.EINVAL
	}
	if !caller.maySchedule(t) {
		return unix.EPERM
	}
	t.mu.Lock()
	t.sched.Affinity = mask & all
	t.mu.Unlock()
	return nil
}

// maySchedule reports whether t may change target's scheduling: the same
// effective uid as the target's real or effective uid, or CAP_SYS_NICE
// over the target's user namespace.
func (t *Task) maySchedule(target *Task) bool {
	c, tc := t.Credentials(), target.Credentials()
	return c.EffectiveUID == tc.RealUID || c.EffectiveUID == tc.EffectiveUID ||
		c.HasCapabilityIn(unix.CAP_SYS_NICE, tc.UserNamespace)
}

// TasksOf returns the live tasks selected by setpriority/getpriority's
// which/who: one process, a process group, or a user's processes.
func (t *Task) TasksOf(which, who int) ([]*Task, error) {
	k := t.k
	k.mu.Lock()
	defer k.mu.Unlock()
	var out []*Task
	switch which {
	case unix.PRIO_PROCESS:
		if who == 0 {
			return []*Task{t}, nil
		}
		if x := k.tasks[t.GlobalPID(int32(who))]; x != nil {
			out = append(out, x)
		}
	case unix.PRIO_PGRP:
		id := t.GlobalPID(int32(who))
		if who == 0 {
			id = t.tg.pgrp.id
		}
		if pg := k.pgrps[id]; pg != nil {
			for tg := range pg.members {
				out = append(out, tg.tasks...)
			}
		}
	case unix.PRIO_USER:
		uid := uint32(who)
		if who == 0 {
			uid = t.Credentials().RealUID
		}
		for _, x := range k.tasks {
			if x.Credentials().RealUID == uid && t.pidns.Contains(x.tid) {
				out = append(out, x)
			}
		}
	default:
		return nil, unix.EINVAL
	}
	if len(out) == 0 {
		return nil, unix.ESRCH
	}
	return out, nil
}
