package kernel

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/vfs"
)

// CloneOptions are the arguments of clone/clone3/fork/vfork.
type CloneOptions struct {
	Flags      uint64 // CLONE_* flags without the exit signal
	ExitSignal int
	Stack      uintptr // new stack pointer; 0 keeps the caller's
	ParentTID  uintptr
	ChildTID   uintptr
	TLS        uintptr
	// PIDFD is where CLONE_PIDFD stores the new pidfd (clone: the
	// parent_tid argument; clone3: cl_args.pidfd).
	PIDFD uintptr
	// Clone3 says the call was clone3 (which has separate pidfd and
	// parent_tid fields).
	Clone3 bool
	// SetTID are clone3's set_tid numbers: the child's pid in its own
	// PID namespace first, then in each parent outwards.
	SetTID []int32
}

// Clone flags kite implements. Namespace flags come with the namespaces
// issue.
const (
	cloneSupported = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
		unix.CLONE_PTRACE | unix.CLONE_VFORK | unix.CLONE_PARENT | unix.CLONE_THREAD |
		unix.CLONE_SYSVSEM | unix.CLONE_SETTLS | unix.CLONE_PARENT_SETTID |
		unix.CLONE_CHILD_CLEARTID | unix.CLONE_DETACHED | unix.CLONE_UNTRACED |
		unix.CLONE_CHILD_SETTID | unix.CLONE_IO | unix.CLONE_PIDFD
	cloneNamespaces = unix.CLONE_NEWNS | unix.CLONE_NEWCGROUP | unix.CLONE_NEWUTS |
		unix.CLONE_NEWIPC | unix.CLONE_NEWUSER | unix.CLONE_NEWPID | unix.CLONE_NEWNET |
		unix.CLONE_NEWTIME
)

// validateClone applies Linux's rules on flag combinations.
func (t *Task) validateClone(o *CloneOptions) error {
	f := o.Flags
	if f&(unix.CLONE_NEWNS|unix.CLONE_FS) == unix.CLONE_NEWNS|unix.CLONE_FS ||
		f&(unix.CLONE_NEWUSER|unix.CLONE_FS) == unix.CLONE_NEWUSER|unix.CLONE_FS {
		return unix.EINVAL
	}
	if f&unix.CLONE_THREAD != 0 && f&unix.CLONE_SIGHAND == 0 {
		return unix.EINVAL
	}
	if f&unix.CLONE_SIGHAND != 0 && f&unix.CLONE_VM == 0 {
		return unix.EINVAL
	}
	if f&unix.CLONE_PARENT != 0 && (t.tg.isInit() || t.tg.isNamespaceInit()) {
		return unix.EINVAL
	}
	if f&unix.CLONE_THREAD != 0 && t.Namespaces().PIDChildren != t.pidns {
		return unix.EINVAL
	}
	if f&unix.CLONE_PIDFD != 0 {
		if f&(unix.CLONE_THREAD|unix.CLONE_DETACHED) != 0 {
			return unix.EINVAL
		}
		if !o.Clone3 && f&unix.CLONE_PARENT_SETTID != 0 {
			return unix.EINVAL
		}
	}
	if f&(unix.CLONE_NEWUSER|unix.CLONE_NEWPID) != 0 && f&unix.CLONE_THREAD != 0 {
		return unix.EINVAL
	}
	if f&^uint64(cloneSupported|supportedNamespaces) != 0 {
		return unix.EINVAL
	}
	if o.ExitSignal < 0 || o.ExitSignal > linux.NumSignals {
		return unix.EINVAL
	}
	return nil
}

// isInit reports whether tg is the kernel's first process.
func (tg *ThreadGroup) isInit() bool {
	tg.k.mu.Lock()
	defer tg.k.mu.Unlock()
	return tg.k.init == tg
}

// Clone creates a new task as clone(2) and returns its thread id.
func (t *Task) Clone(o CloneOptions) (int32, error) {
	if err := t.validateClone(&o); err != nil {
		return 0, err
	}
	f := o.Flags
	k := t.k

	// Credentials and namespaces come first: they are what can fail.
	creds := t.Credentials()
	if f&unix.CLONE_THREAD == 0 {
		// A new process gets a copy, as Linux's copy_creds: the files
		// its parent opened are not its own for linkat(AT_EMPTY_PATH).
		creds = creds.Fork()
	}
	if f&unix.CLONE_NEWUSER != 0 {
		var err error
		if creds, err = k.newUserNamespaceCreds(creds); err != nil {
			return 0, err
		}
	}
	nss, translate, err := k.copyNamespaces(t.Namespaces(), t.pidns, creds, f)
	if err != nil {
		return 0, err
	}
	pidns := nss.PIDChildren
	if f&unix.CLONE_THREAD != 0 {
		pidns = t.pidns
	}
	// A child that does not share the address space enters the time
	// namespace for children (timens_on_fork), which freezes its offsets.
	if f&unix.CLONE_VM == 0 && nss.Time != nss.TimeChildren {
		c := *nss
		c.Time = c.TimeChildren
		c.Time.freeze()
		nss = &c
	}

	// The address space.
	var m *mm.MemoryManager
	if f&unix.CLONE_VM != 0 {
		m = t.mm
		k.mmGet(m)
	} else {
		var err error
		if m, err = t.mm.Fork(); err != nil {
			dropNewNetNamespace(nss.Net, t.Namespaces().Net)
			return 0, err
		}
		k.mmGet(m)
		if ns := t.Namespaces(); k.vdso != nil && ns != nil && nss.Time != ns.Time {
			k.vdso.switchData(m, nss.Time)
		}
	}
	// Files and file-system context.
	t.mu.Lock()
	files, fs := t.files, t.fs
	name, exe := t.name, t.exe
	t.mu.Unlock()
	if f&unix.CLONE_FILES != 0 {
		files.incRef()
	} else {
		files = newFDTableRef(files.t.Fork())
	}
	if f&unix.CLONE_FS != 0 {
		fs.incRef()
	} else {
		fs = newFSContextRef(fs.c.Fork())
		if translate != nil {
			fs.c.SetRoot(translate(fs.c.Root()))
			fs.c.SetCwd(translate(fs.c.Cwd()))
		}
	}
	release := func() {
		files.decRef(t)
		fs.decRef()
		k.mmPut(m)
	}

	child := &Task{
		k:          k,
		pidns:      pidns,
		regs:       t.regs,
		wake:       make(chan struct{}, 1),
		exitedCh:   make(chan struct{}),
		mm:         m,
		files:      files,
		fs:         fs,
		name:       name,
		exe:        exe,
		args:       t.argArea(),
		started:    time.Now(),
		resetFP:    true,
		noNewPrivs: t.NoNewPrivs(),
		sched:      t.Sched().forked(),
		misc:       t.forkMisc(f),
		rseq:       t.rseq.forked(f),
	}
	if fp, err := t.fpState(); err == nil {
		child.pendingFP = fp
	}
	child.initSchedGen()
	child.creds.Store(creds)
	child.setNamespaces(nss)
	releaseFiles := release
	release = func() {
		releaseFiles()
		child.dropNamespaceRefs()
	}
	child.regs.Rax = 0
	if o.Stack != 0 {
		child.regs.Rsp = uint64(o.Stack)
	}
	if f&unix.CLONE_SETTLS != 0 {
		child.regs.Fs_base = uint64(o.TLS)
	}
	if f&unix.CLONE_CHILD_CLEARTID != 0 {
		child.clearChildTID = o.ChildTID
	}
	t.mu.Lock()
	child.timerSlack, child.defaultTimerSlack = t.timerSlack, t.timerSlack
	child.mceKill = t.mceKill
	t.mu.Unlock()
	if f&unix.CLONE_VFORK != 0 {
		child.vforkDone = make(chan struct{})
	}
	if f&unix.CLONE_SYSVSEM != 0 {
		// Linux's copy_semundo makes the list to share (kcmp's
		// KCMP_SYSVSEM sees it).
		u := t.SemUndoList()
		u.IncRef()
		child.semUndo = u
	}

	k.mu.Lock()
	if t.tg.isExiting() {
		k.mu.Unlock()
		release()
		return 0, unix.EINTR
	}
	if len(k.tasks) >= k.maxTasks {
		k.mu.Unlock()
		release()
		return 0, unix.EAGAIN
	}
	// RLIMIT_NPROC bounds the tasks (threads too) of the real user; it
	// does not bind the kernel's root user or a caller with
	// CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
	if c := t.Credentials(); c.RealUID != 0 &&
		!c.HasGlobalCapability(unix.CAP_SYS_RESOURCE) && !c.HasGlobalCapability(unix.CAP_SYS_ADMIN) {
		if n := k.countTasksLocked(c.RealUID); uint64(n) >= t.tg.limits.Get(unix.RLIMIT_NPROC).Cur {
			k.mu.Unlock()
			release()
			return 0, unix.EAGAIN
		}
	}
	tid, err := k.allocIDLocked(pidns, o.SetTID, creds)
	if err != nil {
		k.mu.Unlock()
		release()
		return 0, err
	}
	child.tid = tid
	tg := t.tg
	tg.sigMu.Lock()
	child.sigMask = t.sigMask
	child.seccomp.Store(t.seccomp.Load())
	if f&(unix.CLONE_VM|unix.CLONE_VFORK) != unix.CLONE_VM {
		child.altStack = t.altStack
	} else {
		child.altStack = linux.SignalStack{Flags: linux.SS_DISABLE}
	}
	handlers := tg.handlers
	tg.sigMu.Unlock()

	if f&unix.CLONE_THREAD != 0 {
		child.tg = tg
	} else {
		if f&unix.CLONE_SIGHAND == 0 {
			handlers = handlers.copy()
		}
		parent := tg
		if f&unix.CLONE_PARENT != 0 {
			parent = tg.parent
		}
		ntg := &ThreadGroup{
			k:          k,
			tgid:       tid,
			limits:     tg.limits.Fork(),
			done:       make(chan struct{}),
			leader:     child,
			parent:     parent,
			exitSignal: o.ExitSignal,
			childEvent: make(chan struct{}),
			handlers:   handlers,
			exitingCh:  make(chan struct{}),
			dumpable:   tg.Dumpable(),
			misc:       tg.forkMisc(),
		}
		if tg.image != nil && k.vfs.DenyWriteAccessInode(tg.image) == nil {
			ntg.image = tg.image
		}
		parent.children = append(parent.children, ntg)
		k.joinGroup(ntg, tg.pgrp)
		ntg.ctty = tg.ctty
		k.groups[tid] = ntg
		child.tg = ntg
		if pidns.level > 0 && !pidns.hadInit {
			pidns.hadInit = true
			pidns.reaper = ntg
			ntg.unkillable.Store(true)
		}
	}
	child.tg.sigMu.Lock()
	child.tg.tasks = append(child.tg.tasks, child)
	child.tg.sigMu.Unlock()
	k.tasks[tid] = child
	k.forks.Add(1)
	child.countInNamespacesLocked(1)
	event := t.ptraceCloneLocked(child, f, o.ExitSignal)
	k.mu.Unlock()
	if f&unix.CLONE_THREAD == 0 {
		child.tg.armCPULimit()
	}

	if f&unix.CLONE_PIDFD != 0 {
		if err := t.installPIDFD(child.tg, o.PIDFD); err != nil {
			// The child never runs: it exits at once.
			child.mu.Lock()
			child.exiting = true
			child.mu.Unlock()
			child.start()
			return 0, err
		}
	}
	// The parent sees the child's id in its own namespace, the child
	// in the child's.
	vtid := t.PIDOf(tid)
	if f&unix.CLONE_PARENT_SETTID != 0 {
		t.CopyOut(o.ParentTID, le32(uint32(vtid)))
	}
	if f&unix.CLONE_CHILD_SETTID != 0 {
		m.CopyOut(o.ChildTID, le32(uint32(pidns.Local(tid))))
	}
	// Once started, the child owns its vforkDone field: take the channel
	// first.
	vforkDone := child.vforkDone
	child.start()
	if event != 0 {
		t.ptraceEvent(event, t.ptraceTIDMessage(tid))
	}
	if vforkDone != nil {
		// The parent sleeps until the child execs or exits; signals are
		// held off until then, as on Linux (the wait is killable only).
		// A thread parent is also released when an exec in its group
		// kills it (the child may be that exec'ing thread).
		t.SleepBegin()
		for waiting := true; waiting; {
			select {
			case <-vforkDone:
				waiting = false
			case <-t.tg.exitingChan():
				waiting = false
			case <-t.wake:
				t.mu.Lock()
				waiting = !t.exiting
				t.mu.Unlock()
			}
		}
		t.SleepEnd()
		t.ptraceEvent(unix.PTRACE_EVENT_VFORK_DONE, t.ptraceTIDMessage(tid))
	}
	return vtid, nil
}

// le32 encodes v little-endian.
func le32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

// countTasksLocked counts the tasks of real uid uid as RLIMIT_NPROC does:
// every live thread, and the leader of every unreaped process.
//
// Preconditions: k.mu is held.
func (k *Kernel) countTasksLocked(uid uint32) int {
	n := 0
	for _, x := range k.tasks {
		if x.Credentials().RealUID == uid {
			n++
		}
	}
	// An unreaped process still holds its leader task.
	for _, tg := range k.groups {
		if tg.state == groupZombie && tg.leader != nil && tg.leader.Credentials().RealUID == uid {
			n++
		}
	}
	return n
}

// fpState returns the task's FP state (from its context while it runs).
func (t *Task) fpState() (arch.FPState, error) {
	t.mu.Lock()
	c := t.ctx
	t.mu.Unlock()
	if c == nil {
		return t.pendingFP.Clone(), nil
	}
	return c.FPState()
}

// Task is the vfs.Context of its system calls.
var _ vfs.Context = (*Task)(nil)

// installPIDFD opens a close-on-exec pidfd for tg in t's fd table and
// stores its number at addr.
func (t *Task) installPIDFD(tg *ThreadGroup, addr uintptr) error {
	f, err := t.NewPIDFD(tg, 0)
	if err != nil {
		return err
	}
	defer f.DecRef(t)
	fdt := t.FDTable()
	fd, err := fdt.NewFD(0, f, unix.FD_CLOEXEC)
	if err != nil {
		return err
	}
	if _, err := t.CopyOut(addr, le32(uint32(fd))); err != nil {
		fdt.Remove(t, fd)
		return unix.EFAULT
	}
	return nil
}
