package kernel

import (
	"math/bits"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/platform"
)

// Scheduling policies.
const (
	SchedOther = 0
	SchedFIFO  = 1
	SchedRR    = 2
	SchedBatch = 3
	SchedIdle  = 5
)

// SchedState is a task's scheduling attributes. kite reports them back
// and, on platforms that implement platform.Scheduler, applies them to the
// host threads that run the task (the run loop does, before it next runs
// the task's code).
type SchedState struct {
	Policy   int
	Priority int // real-time priority, 1..99 for FIFO/RR, 0 otherwise
	Nice     int // -20..19
	Affinity uint64
	// ResetOnFork is SCHED_RESET_ON_FORK: a child starts with
	// SCHED_OTHER (from a real-time policy) and a nice value of at least 0.
	ResetOnFork bool
}

// forked returns the attributes a child of a task with s starts with.
func (s SchedState) forked() SchedState {
	if !s.ResetOnFork {
		return s
	}
	if s.Policy == SchedFIFO || s.Policy == SchedRR {
		s.Policy, s.Priority, s.Nice = SchedOther, 0, 0
	}
	s.Nice = max(s.Nice, 0)
	s.ResetOnFork = false
	return s
}

// Sched returns the task's scheduling attributes.
func (t *Task) Sched() SchedState {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sched
}

// SchedDeadline is SCHED_DEADLINE's policy number. kite has no deadline
// scheduler: a request for it is checked as Linux checks it and then
// refused as Linux refuses a task it cannot admit.
const SchedDeadline = 6

// KeepPolicy as SchedAttr.Policy keeps the task's policy and its
// SCHED_RESET_ON_FORK flag (sched_setattr's SCHED_FLAG_KEEP_POLICY,
// sched_setparam).
const KeepPolicy = -1

// SchedAttr is a request to change a task's scheduling, as
// sched_setattr's struct sched_attr carries it.
type SchedAttr struct {
	Policy      int // a policy or KeepPolicy
	Priority    int // real-time priority, 0 for the other policies
	Nice        int // applied for SCHED_OTHER and SCHED_BATCH only
	ResetOnFork bool
	// SCHED_DEADLINE's parameters, in nanoseconds.
	Runtime, Deadline, Period uint64
	// KeepParams is SCHED_FLAG_KEEP_PARAMS: the request is checked,
	// then only ResetOnFork is stored (Linux skips setting the policy
	// and parameters; the flag is meant for utilization clamps).
	KeepParams bool
	// Refuse, when set, is returned after the checks instead of
	// applying the request (what kite lacks: utilization clamps).
	Refuse error
}

// SetSched changes the task's policy, real-time priority and
// SCHED_RESET_ON_FORK flag and keeps its nice value, as
// sched_setscheduler does.
func (t *Task) SetSched(caller *Task, policy, prio int, resetOnFork bool) error {
	return t.SetSchedAttr(caller, SchedAttr{Policy: policy, Priority: prio, Nice: t.Sched().Nice, ResetOnFork: resetOnFork})
}

// validDeadline is Linux's __checkparam_dl: a deadline, a runtime of at
// least 1024 ns, runtime <= deadline <= period (the deadline when 0),
// the period within sched_deadline_period_{min,max}_us' defaults (100 us
// and 2^22 us), no top bit set.
func validDeadline(a SchedAttr) bool {
	if a.Deadline == 0 || a.Runtime < 1<<10 || a.Deadline>>63 != 0 || a.Period>>63 != 0 {
		return false
	}
	period := a.Period
	if period == 0 {
		period = a.Deadline
	}
	if period < a.Deadline || a.Deadline < a.Runtime {
		return false
	}
	return period >= 100*1000 && period <= (1<<22)*1000
}

// SetSchedAttr changes the task's scheduling with Linux's
// __sched_setscheduler rules: EINVAL for a bad priority or deadline
// parameters; EPERM without CAP_SYS_NICE for another user's task, a
// lower nice value or a higher real-time priority than the target's
// RLIMIT_NICE and RLIMIT_RTPRIO allow, leaving SCHED_IDLE beyond
// RLIMIT_NICE, clearing SCHED_RESET_ON_FORK or asking for
// SCHED_DEADLINE; EPERM for what kite's host would refuse kite (see
// HostSchedLimits). SCHED_DEADLINE then fails as on a Linux without the
// bandwidth to admit the task: EPERM when the task's affinity is not
// every CPU, else EBUSY.
func (t *Task) SetSchedAttr(caller *Task, a SchedAttr) error {
	cur := t.Sched()
	policy, resetOnFork := a.Policy, a.ResetOnFork
	if policy == KeepPolicy {
		policy, resetOnFork = cur.Policy, cur.ResetOnFork
	}
	rt := policy == SchedFIFO || policy == SchedRR
	fair := policy == SchedOther || policy == SchedBatch
	switch {
	case rt, fair, policy == SchedIdle, policy == SchedDeadline:
	default:
		return unix.EINVAL
	}
	if a.Priority < 0 || a.Priority > 99 || rt != (a.Priority != 0) {
		return unix.EINVAL
	}
	if policy == SchedDeadline && !validDeadline(a) {
		return unix.EINVAL
	}
	niceAllowed := func(nice int) bool {
		return uint64(20-nice) <= t.tg.limits.Get(unix.RLIMIT_NICE).Cur
	}
	c, tc := caller.Credentials(), t.Credentials()
	needPriv := false
	if fair && a.Nice < cur.Nice && !niceAllowed(a.Nice) {
		needPriv = true
	}
	if rt {
		rlim := t.tg.limits.Get(unix.RLIMIT_RTPRIO).Cur
		curRT := cur.Policy == SchedFIFO || cur.Policy == SchedRR
		if policy != cur.Policy && rlim == 0 {
			needPriv = true
		}
		if (!curRT || a.Priority > cur.Priority) && uint64(a.Priority) > rlim {
			needPriv = true
		}
	}
	if policy == SchedDeadline {
		needPriv = true
	}
	if cur.Policy == SchedIdle && policy != SchedIdle && !niceAllowed(cur.Nice) {
		needPriv = true
	}
	if !sameSchedOwner(c, tc) {
		needPriv = true
	}
	if cur.ResetOnFork && !resetOnFork {
		needPriv = true
	}
	if needPriv && !c.HasGlobalCapability(unix.CAP_SYS_NICE) {
		return unix.EPERM
	}
	if a.Refuse != nil {
		return a.Refuse
	}
	if policy == SchedDeadline {
		if all := uint64(1)<<uint(t.k.NumCPU()) - 1; cur.Affinity&all != all {
			return unix.EPERM
		}
		return unix.EBUSY
	}
	t.mu.Lock()
	if a.KeepParams {
		t.sched.ResetOnFork = resetOnFork
		t.mu.Unlock()
		return nil
	}
	if !t.k.hostSched.allowsPolicy(t.sched, policy, a.Priority) ||
		(fair && a.Nice < t.sched.Nice && !t.k.hostSched.allowsNice(a.Nice)) {
		t.mu.Unlock()
		return unix.EPERM
	}
	wasRT := t.sched.Policy == SchedFIFO || t.sched.Policy == SchedRR
	t.sched.Policy, t.sched.Priority, t.sched.ResetOnFork = policy, a.Priority, resetOnFork
	if fair {
		t.sched.Nice = min(max(a.Nice, -20), 19)
	}
	t.mu.Unlock()
	t.schedChanged(caller)
	t.armRTTime(!wasRT)
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
	if nice < t.sched.Nice && !t.k.hostSched.allowsNice(nice) {
		return unix.EACCES
	}
	t.sched.Nice = nice
	t.schedChangedLocked(caller)
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
	t.schedChanged(caller)
	return nil
}

// initSchedGen makes a new task's run loop apply its scheduling if it
// differs from the host threads' defaults.
func (t *Task) initSchedGen() {
	all := uint64(1)<<uint(t.k.NumCPU()) - 1
	if s := t.sched; s.Policy != SchedOther || s.Nice != 0 || s.Affinity != all ||
		(t.misc.io != nil && t.misc.io.prio.Load() != 0) {
		t.schedGen.Store(1)
	}
}

// schedChanged tells t's run loop to apply its new scheduling; another
// task's code is interrupted so that it does so at once.
func (t *Task) schedChanged(caller *Task) {
	t.schedGen.Add(1)
	if caller == t {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ctx != nil {
		t.ctx.Interrupt()
	}
}

// schedChangedLocked is schedChanged with t.mu held.
//
// Preconditions: t.mu is held.
func (t *Task) schedChangedLocked(caller *Task) {
	t.schedGen.Add(1)
	if caller != t && t.ctx != nil {
		t.ctx.Interrupt()
	}
}

// applySched gives the platform the task's scheduling if it changed since
// the last time. Called on the task's goroutine.
func (t *Task) applySched(ctx platform.Context) {
	g := t.schedGen.Load()
	if g == t.schedSeen {
		return
	}
	t.schedSeen = g
	s, ok := ctx.(platform.Scheduler)
	if !ok {
		return
	}
	st := t.Sched()
	s.SetScheduling(platform.Scheduling{
		Policy:   st.Policy,
		Priority: st.Priority,
		Nice:     st.Nice,
		CPUs:     st.Affinity,
		IOPrio:   t.IOPrio(),
	})
}

// CPU returns the CPU t runs on, as getcpu(2) reports it: the CPU of the
// host thread that runs it, where the platform can tell and it is in t's
// affinity mask; else one of the mask, spread over it by thread id. Called
// on t's goroutine.
func (t *Task) CPU() int {
	mask := t.Sched().Affinity
	if s, ok := t.ctx.(platform.Scheduler); ok {
		if cpu := s.CPU(); cpu >= 0 && cpu < 64 && mask&(1<<cpu) != 0 {
			return cpu
		}
	}
	n := bits.OnesCount64(mask)
	if n == 0 {
		return 0
	}
	k := int(t.tid) % n
	for i := 0; i < 64; i++ {
		if mask&(1<<i) != 0 {
			if k == 0 {
				return i
			}
			k--
		}
	}
	return 0
}

// maySchedule reports whether t may change target's scheduling: the same
// effective uid as the target's real or effective uid, or CAP_SYS_NICE
// over the target's user namespace.
func (t *Task) maySchedule(target *Task) bool {
	c, tc := t.Credentials(), target.Credentials()
	return sameSchedOwner(c, tc) || c.HasCapabilityIn(unix.CAP_SYS_NICE, tc.UserNamespace)
}

// sameSchedOwner reports whether credentials c own the scheduling of a
// task with credentials tc without a capability: c's effective uid is
// tc's real or effective uid (Linux's check_same_owner).
func sameSchedOwner(c, tc *auth.Credentials) bool {
	return c.EffectiveUID == tc.RealUID || c.EffectiveUID == tc.EffectiveUID
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

// allowsNice reports whether the host lets kite lower a host thread's
// nice value to nice: always with CAP_SYS_NICE, else within kite's host
// RLIMIT_NICE (as Linux's can_nice).
func (h HostSchedLimits) allowsNice(nice int) bool {
	return !h.Limited || uint64(20-nice) <= h.RLimitNice
}

// allowsPolicy reports whether the host lets kite move a host thread from
// cur to policy with real-time priority prio: without CAP_SYS_NICE, a
// real-time priority above kite's host RLIMIT_RTPRIO (or raising one
// beyond it) and leaving SCHED_IDLE beyond RLIMIT_NICE are refused, as
// Linux's __sched_setscheduler refuses them to an unprivileged process.
func (h HostSchedLimits) allowsPolicy(cur SchedState, policy, prio int) bool {
	if !h.Limited {
		return true
	}
	if (policy == SchedFIFO || policy == SchedRR) && uint64(prio) > h.RLimitRTPrio {
		curRT := cur.Policy == SchedFIFO || cur.Policy == SchedRR
		if !curRT || prio > cur.Priority {
			return false
		}
	}
	if cur.Policy == SchedIdle && policy != SchedIdle && !h.allowsNice(cur.Nice) {
		return false
	}
	return true
}
