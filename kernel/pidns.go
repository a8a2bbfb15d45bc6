package kernel

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
)

// maxPIDNSLevel is Linux's MAX_PID_NS_LEVEL: the deepest nesting of PID
// namespaces below the initial one.
const maxPIDNSLevel = 32

// maxPID is Linux's PID_MAX_LIMIT on 64-bit: numbers stay below it in
// every PID namespace.
const maxPID = 4194304

// PIDNamespace is a PID namespace. Every id kite hands out (thread,
// process, process group and session ids are all task ids) is a global
// number, the key of the kernel's tables, which is also its number in the
// initial namespace (level 0). A task created in a namespace at level n
// has one more number in each of the n namespaces between the initial
// one and its own, which hold the translation both ways; a number has no
// translation in namespaces the task is not in or below (its pid there is
// 0, as Linux's pid_nr_ns).
type PIDNamespace struct {
	nsCommon
	k      *Kernel
	parent *PIDNamespace
	level  int

	// The fields below are guarded by k.pidMu (a leaf lock).

	// last is the last local number handed out.
	last int32
	// toGlobal and toLocal translate the namespace's numbers (nil for
	// the initial namespace, where both are the identity).
	toGlobal map[int32]int32
	toLocal  map[int32]int32

	// The fields below are guarded by k.mu.

	// reaper is the namespace's init (its pid 1), nil until the first
	// process is made in it; the initial namespace's is k.init.
	reaper *ThreadGroup
	// hadInit is set once the namespace's first process was made.
	hadInit bool
	// dead is set when the init exited: no process can be made in the
	// namespace any more (fork fails with ENOMEM).
	dead bool
	// ntasks counts the live tasks with a number in the namespace (its
	// own and its descendants').
	ntasks int
	// tasksChanged is closed (and replaced) when ntasks falls, for an
	// exiting init that waits for the namespace to empty.
	tasksChanged chan struct{}
}

// Kind implements Namespace.
func (*PIDNamespace) Kind() string { return "pid" }

// CloneFlag implements Namespace.
func (*PIDNamespace) CloneFlag() int { return unix.CLONE_NEWPID }

// Parent returns the parent namespace, nil for the initial one.
func (ns *PIDNamespace) Parent() *PIDNamespace { return ns.parent }

// Level is the namespace's depth (0 for the initial namespace).
func (ns *PIDNamespace) Level() int { return ns.level }

// IsAncestorOf reports whether o is ns or lies below it.
func (ns *PIDNamespace) IsAncestorOf(o *PIDNamespace) bool {
	for ; o != nil; o = o.parent {
		if o == ns {
			return true
		}
	}
	return false
}

// newPIDNamespace returns a child of parent owned by owner (ENOSPC below
// the deepest level, as Linux).
func (k *Kernel) newPIDNamespace(parent *PIDNamespace, owner *auth.UserNamespace) (*PIDNamespace, error) {
	if parent.level >= maxPIDNSLevel {
		return nil, unix.ENOSPC
	}
	return &PIDNamespace{
		nsCommon:     nsCommon{inode: k.newNSInode(), owner: owner},
		k:            k,
		parent:       parent,
		level:        parent.level + 1,
		toGlobal:     map[int32]int32{},
		toLocal:      map[int32]int32{},
		tasksChanged: make(chan struct{}),
	}, nil
}

// Local returns global id g as the namespace numbers it; 0 if g is not in
// the namespace or below it.
func (ns *PIDNamespace) Local(g int32) int32 {
	if ns == nil || ns.level == 0 || g <= 0 {
		return g
	}
	ns.k.pidMu.Lock()
	defer ns.k.pidMu.Unlock()
	return ns.toLocal[g]
}

// Global returns the global id of the namespace's number l; 0 if l is
// not in use there.
func (ns *PIDNamespace) Global(l int32) int32 {
	if ns == nil || ns.level == 0 || l <= 0 {
		return l
	}
	ns.k.pidMu.Lock()
	defer ns.k.pidMu.Unlock()
	return ns.toGlobal[l]
}

// Contains reports whether global id g has a number in ns.
func (ns *PIDNamespace) Contains(g int32) bool { return ns.Local(g) != 0 }

// chainTo returns the namespaces from ns down to the one global id g was
// made in (/proc/PID/status's NS lines have one column for each); nil if
// ns does not see g.
func (ns *PIDNamespace) chainTo(g int32) []*PIDNamespace {
	k := ns.k
	k.pidMu.Lock()
	own := k.idNS[g]
	k.pidMu.Unlock()
	if own == nil {
		own = k.pidns
	}
	if !ns.IsAncestorOf(own) {
		return nil
	}
	chain := make([]*PIDNamespace, own.level-ns.level+1)
	for n := own; ; n = n.parent {
		chain[n.level-ns.level] = n
		if n == ns {
			break
		}
	}
	return chain
}

// localIn returns g's number in each namespace of chain.
func localIn(chain []*PIDNamespace, g int32) []int32 {
	ids := make([]int32, len(chain))
	for i, n := range chain {
		ids[i] = n.Local(g)
	}
	return ids
}

// idUsedLocked reports whether g is a live thread, process, process
// group or session id.
//
// Preconditions: k.mu is held.
func (k *Kernel) idUsedLocked(g int32) bool {
	if _, used := k.tasks[g]; used {
		return true
	}
	if _, used := k.groups[g]; used {
		return true
	}
	if _, used := k.pgrps[g]; used {
		return true
	}
	_, used := k.sessions[g]
	return used
}

// allocIDLocked returns a new global id with a number in ns and each of
// its ancestors. setTID, if not empty, names the numbers to use, from ns
// outwards (clone3's set_tid), which c needs CAP_SYS_ADMIN over each
// namespace's owner for; a number already taken is EEXIST. A namespace
// whose init has exited takes no more (ENOMEM), and a new namespace's
// first number is 1.
//
// Preconditions: k.mu is held.
func (k *Kernel) allocIDLocked(ns *PIDNamespace, setTID []int32, c *auth.Credentials) (int32, error) {
	if len(setTID) > ns.level+1 {
		return 0, unix.EINVAL
	}
	// Linux's alloc_pid checks each level from the innermost outwards.
	n := ns
	for _, x := range setTID {
		if x <= 0 || x >= maxPID || (x != 1 && n.level > 0 && !n.hadInit) {
			return 0, unix.EINVAL
		}
		if !c.HasCapabilityIn(unix.CAP_SYS_ADMIN, n.owner) {
			return 0, unix.EPERM
		}
		n = n.parent
	}
	for n := ns; n != nil && n.level > 0; n = n.parent {
		if n.dead {
			return 0, unix.ENOMEM
		}
	}
	// want returns the requested number at level l (0: any).
	want := func(l int) int32 {
		if i := ns.level - l; i < len(setTID) {
			return setTID[i]
		}
		return 0
	}
	var g int32
	if w := want(0); w != 0 {
		if k.idUsedLocked(w) {
			return 0, unix.EEXIST
		}
		g = w
	} else {
		var err error
		if g, err = k.allocID(); err != nil {
			return 0, err
		}
	}
	if ns.level == 0 {
		return g, nil
	}
	k.pidMu.Lock()
	defer k.pidMu.Unlock()
	// Choose every level's number before recording any.
	locals := make([]int32, ns.level+1)
	for n := ns; n.level > 0; n = n.parent {
		l := want(n.level)
		switch {
		case l != 0:
			if _, used := n.toGlobal[l]; used {
				return 0, unix.EEXIST
			}
		case !n.hadInit && n == ns:
			l = 1
		default:
			l = n.nextLocalLocked()
			if l == 0 {
				return 0, errTooManyTasks
			}
		}
		locals[n.level] = l
	}
	for n := ns; n.level > 0; n = n.parent {
		n.toGlobal[locals[n.level]] = g
		n.toLocal[g] = locals[n.level]
		if locals[n.level] > n.last {
			n.last = locals[n.level]
		}
	}
	k.idNS[g] = ns
	return g, nil
}

// nextLocalLocked returns an unused number of ns, 0 if none is left.
//
// Preconditions: k.pidMu is held.
func (ns *PIDNamespace) nextLocalLocked() int32 {
	for i := 0; i < maxPID; i++ {
		ns.last++
		if ns.last >= maxPID {
			// Linux wraps to RESERVED_PIDS (300) past pid 1.
			ns.last = 300
		}
		if _, used := ns.toGlobal[ns.last]; !used {
			return ns.last
		}
	}
	return 0
}

// releaseIDLocked forgets g's namespace numbers once g names no thread,
// process, group or session any more.
//
// Preconditions: k.mu is held.
func (k *Kernel) releaseIDLocked(g int32) {
	if k.idUsedLocked(g) {
		return
	}
	k.pidMu.Lock()
	defer k.pidMu.Unlock()
	ns := k.idNS[g]
	if ns == nil {
		return
	}
	delete(k.idNS, g)
	for n := ns; n.level > 0; n = n.parent {
		if l, ok := n.toLocal[g]; ok {
			delete(n.toLocal, g)
			delete(n.toGlobal, l)
		}
	}
}

// taskAddedLocked counts a new task in its namespaces.
//
// Preconditions: k.mu is held.
func (t *Task) countInNamespacesLocked(delta int) {
	for n := t.pidns; n != nil && n.level > 0; n = n.parent {
		n.ntasks += delta
		if delta < 0 {
			close(n.tasksChanged)
			n.tasksChanged = make(chan struct{})
		}
	}
}

// reaperLocked returns the namespace's init, nil if it has none alive.
//
// Preconditions: k.mu is held.
func (ns *PIDNamespace) reaperLocked() *ThreadGroup {
	r := ns.reaper
	if ns.level == 0 {
		r = ns.k.init
	}
	if r == nil || r.state != groupAlive {
		return nil
	}
	return r
}

// pidNS returns the PID namespace of the process (its leader's).
func (tg *ThreadGroup) pidNS() *PIDNamespace {
	if tg.leader == nil {
		return tg.k.pidns
	}
	return tg.leader.pidns
}

// PIDNamespace returns the task's PID namespace (the one its own pid
// belongs to, Linux's task_active_pid_ns); it never changes.
func (t *Task) PIDNamespace() *PIDNamespace { return t.pidns }

// PIDOf returns global id g as the task sees it: 0 when g lies outside
// its PID namespace.
func (t *Task) PIDOf(g int32) int32 { return t.pidns.Local(g) }

// GlobalPID returns the global id of the task's number v (0 if there is
// none). Numbers of 0 and below are returned as they are.
func (t *Task) GlobalPID(v int32) int32 { return t.pidns.Global(v) }

// PID is getpid(2): the task's process id in its own namespace.
func (t *Task) PID() int32 { return t.pidns.Local(t.tg.tgid) }

// TID is gettid(2): the task's thread id in its own namespace.
func (t *Task) TID() int32 { return t.pidns.Local(t.tid) }

// ParentPID is getppid(2): the parent's pid as the task sees it (0 when
// the parent lies outside its namespace, or for init).
func (t *Task) ParentPID() int32 { return t.PIDOf(t.tg.ParentID()) }

// isNamespaceInit reports whether tg is the init of a PID namespace
// below the initial one (whose signals Linux filters).
func (tg *ThreadGroup) isNamespaceInit() bool { return tg.unkillable.Load() }

// waitNamespaceEmpty is the exit of a PID namespace's init (Linux's
// zap_pid_ns_processes): no process may enter the namespace any more,
// every other process in it is killed, and the init waits until their
// tasks are gone before it becomes a zombie, so that its parent's wait
// sees an empty namespace.
func (t *Task) zapPIDNamespace() {
	k := t.k
	ns := t.pidns
	k.mu.Lock()
	if ns.level == 0 || ns.reaper != t.tg {
		k.mu.Unlock()
		return
	}
	ns.dead = true
	var victims []*ThreadGroup
	for _, tg := range k.groups {
		if tg != t.tg && tg.state == groupAlive && ns.Contains(tg.tgid) {
			victims = append(victims, tg)
		}
	}
	k.mu.Unlock()
	for _, tg := range victims {
		tg.beginExit(SignaledStatus(int(unix.SIGKILL), false))
	}
	for {
		k.mu.Lock()
		// The exiting init's own task still counts.
		if ns.ntasks <= 1 {
			k.mu.Unlock()
			return
		}
		ch := ns.tasksChanged
		k.mu.Unlock()
		<-ch
	}
}

// TaskByPID returns the live task whose thread id t sees as tid, or nil.
func (t *Task) TaskByPID(tid int32) *Task {
	g := t.GlobalPID(tid)
	if g <= 0 {
		return nil
	}
	return t.k.TaskByID(g)
}

// ProcessByPID returns the process (live or zombie) t sees as pid, or
// nil.
func (t *Task) ProcessByPID(pid int32) *ThreadGroup {
	g := t.GlobalPID(pid)
	if g <= 0 {
		return nil
	}
	return t.k.ThreadGroupByID(g)
}
