package kernel

import (
	"github.com/kite-os/kite/tty"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/bpf"
	"github.com/kite-os/kite/vfs"
)

// ProcessArgs describe the first process of a kernel.
type ProcessArgs struct {
	// Filename is the program to run, resolved in FSContext.
	Filename string
	Argv     []string
	Envv     []string

	FDTable     *vfs.FDTable
	FSContext   *vfs.FSContext
	Credentials *auth.Credentials
	// MountNamespace is the mount tree FSContext's root lies in (for
	// unshare(CLONE_NEWNS)); nil leaves the first process unable to make
	// a new mount namespace.
	MountNamespace *vfs.MountNamespace
	// Limits are the resource limits; nil means DefaultLimits.
	Limits *Limits
	// Nice is the process's nice value (-20..19), as inherited from the
	// process that started kite.
	Nice int
	// Terminal, if not nil, is the controlling terminal of the process's
	// session, with the process's group in the foreground.
	Terminal *tty.Terminal
	// NoNewPrivs sets no_new_privs before the program runs.
	NoNewPrivs bool
	// Seccomp, if not nil, is a checked seccomp filter
	// (bpf.CheckSeccomp) attached with SeccompFlags before the program
	// runs, as a container runtime installs its profile.
	Seccomp      []bpf.Instruction
	SeccompFlags uint32
}

// StartInit creates the kernel's first process (pid 1) running
// a.Filename, and starts it. The returned thread group's Done channel is
// closed when it has exited.
func (k *Kernel) StartInit(a ProcessArgs) (*ThreadGroup, error) { return k.startProcess(a, true) }

// StartProcess starts another process beside init, in init's namespaces,
// as a container runtime's exec does: it has no parent in the kernel
// (its end is seen through Done and ExitStatus) and a session of its
// own. ESRCH once init has exited.
func (k *Kernel) StartProcess(a ProcessArgs) (*ThreadGroup, error) { return k.startProcess(a, false) }

func (k *Kernel) startProcess(a ProcessArgs, init bool) (*ThreadGroup, error) {
	limits := a.Limits
	if limits == nil {
		limits = DefaultLimits()
	}
	k.mu.Lock()
	if init && k.init != nil {
		k.mu.Unlock()
		return nil, errInitExists
	}
	if !init && (k.init == nil || k.init.state != groupAlive) {
		k.mu.Unlock()
		return nil, unix.ESRCH
	}
	id, err := k.allocID()
	if err != nil {
		k.mu.Unlock()
		return nil, err
	}
	tg := &ThreadGroup{
		k:          k,
		tgid:       id,
		limits:     limits,
		done:       make(chan struct{}),
		exitSignal: int(unix.SIGCHLD),
		childEvent: make(chan struct{}),
		handlers:   &SignalHandlers{},
		exitingCh:  make(chan struct{}),
		dumpable:   1,
	}
	t := &Task{
		k:        k,
		tg:       tg,
		tid:      id,
		pidns:    k.pidns,
		fs:       newFSContextRef(a.FSContext),
		files:    newFDTableRef(a.FDTable),
		wake:     make(chan struct{}, 1),
		exitedCh: make(chan struct{}),
		started:  time.Now(),
	}
	t.creds.Store(k.inInitialUserNamespace(a.Credentials))
	if init {
		t.setNamespaces(k.initialNamespaces(a.MountNamespace))
	} else {
		t.setNamespaces(k.init.leader.Namespaces())
	}
	t.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
	t.sched.Affinity = uint64(1)<<uint(k.NumCPU()) - 1
	t.sched.Nice = min(max(a.Nice, -20), 19)
	t.initSchedGen()
	t.noNewPrivs = a.NoNewPrivs
	tg.leader = t
	tg.tasks = []*Task{t}
	sess := &Session{id: id, leader: tg}
	k.joinGroup(tg, newProcessGroup(id, sess))
	tg.ctty = a.Terminal
	k.tasks[id] = t
	k.groups[id] = tg
	if init {
		k.init = tg
	}
	k.mu.Unlock()
	if a.Terminal != nil {
		a.Terminal.Attach(id, id)
	}

	if a.Seccomp != nil {
		_, err = t.AttachSeccompFilter(a.Seccomp, a.SeccompFlags)
	}
	if err == nil {
		err = t.Execve(vfs.Path{}, a.Filename, a.Argv, a.Envv, 0)
	}
	if err != nil {
		k.mu.Lock()
		delete(k.tasks, id)
		delete(k.groups, id)
		k.leaveGroupLocked(tg)
		if init {
			k.init = nil
		}
		k.mu.Unlock()
		return nil, err
	}
	if et, ok := k.tracer.(ExecTracer); ok {
		et.Exec(t, a.Filename, a.Argv, len(a.Envv))
	}
	tg.armCPULimit()
	t.start()
	return tg, nil
}
