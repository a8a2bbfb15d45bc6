package kernel

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/vfs"
)

// Namespaces are the namespaces a task lives in besides its user
// namespace (which its credentials carry), as Linux's nsproxy. A value is
// never changed: clone, unshare and setns install a new one, so readers
// (/proc/PID/ns) need no lock.
type Namespaces struct {
	UTS   *UTSNamespace
	IPC   *IPCNamespace
	Mount *MountNamespace
	Net   *NetNamespace
	// PIDChildren is the PID namespace the task's children are made in
	// (pid_for_children): its own, unless unshare or setns changed it.
	PIDChildren *PIDNamespace
	// Time is the task's time namespace and TimeChildren the one its
	// children enter (time_for_children).
	Time, TimeChildren *TimeNamespace
	// Cgroup is the task's cgroup namespace.
	Cgroup *CgroupNamespace
}

// Namespace is what every namespace kind shares: its nsfs inode number,
// the user namespace that owns it and its kind's name.
type Namespace interface {
	// Inode is the namespace's nsfs inode number (/proc/PID/ns/X links
	// read "kind:[inode]").
	Inode() uint64
	// Owner is the user namespace whose capabilities govern it.
	Owner() *auth.UserNamespace
	// Kind is the link name in /proc/PID/ns ("uts", "ipc", "mnt", "user").
	Kind() string
	// CloneFlag is the CLONE_NEW* flag of the kind, setns's nstype.
	CloneFlag() int
}

// nsCommon holds the fields every namespace has.
type nsCommon struct {
	inode uint64
	owner *auth.UserNamespace
}

// Inode implements Namespace.
func (n *nsCommon) Inode() uint64 { return n.inode }

// Owner implements Namespace.
func (n *nsCommon) Owner() *auth.UserNamespace { return n.owner }

// UTSNamespace holds a host name and a NIS domain name.
type UTSNamespace struct {
	nsCommon

	mu sync.Mutex
	// hostname and domainname are uname's nodename and domainname.
	// Guarded by mu.
	hostname, domainname string
}

// Kind implements Namespace.
func (*UTSNamespace) Kind() string { return "uts" }

// CloneFlag implements Namespace.
func (*UTSNamespace) CloneFlag() int { return unix.CLONE_NEWUTS }

// Names returns the host name and domain name.
func (u *UTSNamespace) Names() (hostname, domainname string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hostname, u.domainname
}

// SetHostname is sethostname(2) in u by c (CAP_SYS_ADMIN over u's owner).
func (u *UTSNamespace) SetHostname(c *auth.Credentials, name string, domain bool) error {
	if !c.HasCapabilityIn(unix.CAP_SYS_ADMIN, u.owner) {
		return unix.EPERM
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if domain {
		u.domainname = name
	} else {
		u.hostname = name
	}
	return nil
}

// IPCNamespace holds the System V IPC objects and POSIX message queues of
// the tasks in it.
type IPCNamespace struct {
	nsCommon
	// SysV is the namespace's System V IPC objects.
	SysV *ipc.Namespace
	// MQ is the namespace's POSIX message queue file system.
	MQ *ipc.MQFS
}

// Kind implements Namespace.
func (*IPCNamespace) Kind() string { return "ipc" }

// CloneFlag implements Namespace.
func (*IPCNamespace) CloneFlag() int { return unix.CLONE_NEWIPC }

func (k *Kernel) newIPCNamespace(inode uint64, owner *auth.UserNamespace) *IPCNamespace {
	return &IPCNamespace{nsCommon: nsCommon{inode: inode, owner: owner}, SysV: ipc.NewNamespace(k.mf, owner, time.Now),
		MQ: ipc.NewMQFS(k.vfs, owner)}
}

// MountNamespace is a tree of mounts.
type MountNamespace struct {
	nsCommon
	// VFS is the mount tree.
	VFS *vfs.MountNamespace
}

// Kind implements Namespace.
func (*MountNamespace) Kind() string { return "mnt" }

// CloneFlag implements Namespace.
func (*MountNamespace) CloneFlag() int { return unix.CLONE_NEWNS }

// userNamespace adapts auth's user namespace to Namespace.
type userNamespace struct{ ns *auth.UserNamespace }

func (u userNamespace) Inode() uint64 { return u.ns.ID }

func (u userNamespace) Owner() *auth.UserNamespace {
	if p := u.ns.Parent(); p != nil {
		return p
	}
	return u.ns
}

func (userNamespace) Kind() string   { return "user" }
func (userNamespace) CloneFlag() int { return unix.CLONE_NEWUSER }

// initialNamespaces returns the namespaces of the kernel's first process,
// with mount tree mnt (nil: the tree its root lies in).
func (k *Kernel) initialNamespaces(mnt *vfs.MountNamespace) *Namespaces {
	hostname, domain := k.hostname, k.domainname
	if mnt != nil {
		mnt.SetOwner(k.userNS)
	}
	initTime := &TimeNamespace{nsCommon: nsCommon{inode: initTimeNSInode, owner: k.userNS}, frozen: true}
	ipcNS := k.newIPCNamespace(initIPCNSInode, k.userNS)
	for name, value := range k.ipcLimits {
		// Checked by New.
		ipcNS.SysV.SetLimitText(name, value)
	}
	return &Namespaces{
		Time:         initTime,
		TimeChildren: initTime,
		Cgroup:       &CgroupNamespace{nsCommon{inode: initCgroupNSInode, owner: k.userNS}},
		UTS:          &UTSNamespace{nsCommon: nsCommon{inode: initUTSNSInode, owner: k.userNS}, hostname: hostname, domainname: domain},
		IPC:          ipcNS,
		Mount:        &MountNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: k.userNS}, VFS: mnt},
		Net:          k.initNet,
		PIDChildren:  k.pidns,
	}
}

// Namespaces returns the task's namespaces.
func (t *Task) Namespaces() *Namespaces { return t.ns.Load() }

// setNamespaces installs ns as t's namespaces, counting t as a user of
// its mount tree (a tree with no users left is unmounted) and of its
// network stack (one with no users left is shut down).
func (t *Task) setNamespaces(ns *Namespaces) {
	if ns.Mount.VFS != nil {
		ns.Mount.VFS.IncRef()
	}
	if ns.Net != nil {
		ns.Net.Stack.IncRef()
	}
	old := t.ns.Swap(ns)
	if old != nil && old.Mount.VFS != nil {
		old.Mount.VFS.DecRef()
	}
	if old != nil && old.Net != nil {
		old.Net.Stack.DecRef()
	}
}

// dropNamespaceRefs undoes setNamespaces for a task that never ran (a
// clone that failed late).
func (t *Task) dropNamespaceRefs() {
	ns := t.Namespaces()
	if ns == nil {
		return
	}
	if ns.Mount.VFS != nil {
		ns.Mount.VFS.DecRef()
	}
	if ns.Net != nil {
		ns.Net.Stack.DecRef()
	}
}

// Namespace flags kite implements.
const supportedNamespaces = unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNS | unix.CLONE_NEWUSER |
	unix.CLONE_NEWNET | unix.CLONE_NEWPID | unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME

// copyNamespaces returns the namespaces after clone or unshare with
// flags by a task with namespaces old and PID namespace active whose
// new credentials are c (in a
// new user namespace if CLONE_NEWUSER was given), and for CLONE_NEWNS
// the function that moves a path of the old mount tree to the new one.
// Linux's copy_namespaces and unshare_nsproxy_namespaces: CAP_SYS_ADMIN
// over c's user namespace is needed for any new namespace.
func (k *Kernel) copyNamespaces(old *Namespaces, active *PIDNamespace, c *auth.Credentials, flags uint64) (*Namespaces, func(vfs.Path) vfs.Path, error) {
	nsFlags := flags & (unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNS | unix.CLONE_NEWNET | unix.CLONE_NEWPID |
		unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME)
	if nsFlags == 0 {
		return old, nil, nil
	}
	if !c.HasCapability(unix.CAP_SYS_ADMIN) {
		return nil, nil, unix.EPERM
	}
	n := *old
	owner := c.UserNamespace
	if flags&unix.CLONE_NEWUTS != 0 {
		h, d := old.UTS.Names()
		n.UTS = &UTSNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: owner}, hostname: h, domainname: d}
	}
	if flags&unix.CLONE_NEWIPC != 0 {
		n.IPC = k.newIPCNamespace(k.newNSInode(), owner)
	}
	if flags&unix.CLONE_NEWNET != 0 {
		net, err := k.newNetNamespace(owner)
		if err != nil {
			return nil, nil, err
		}
		n.Net = net
	}
	if flags&unix.CLONE_NEWCGROUP != 0 {
		n.Cgroup = &CgroupNamespace{nsCommon{inode: k.newNSInode(), owner: owner}}
	}
	if flags&unix.CLONE_NEWTIME != 0 {
		n.TimeChildren = k.newTimeNamespace(old.TimeChildren, owner)
	}
	if flags&unix.CLONE_NEWPID != 0 {
		// A second new PID namespace before the first has a process is
		// refused, as Linux's copy_pid_ns.
		if old.PIDChildren != active {
			return nil, nil, unix.EINVAL
		}
		pn, err := k.newPIDNamespace(old.PIDChildren, owner)
		if err != nil {
			dropNewNetNamespace(n.Net, old.Net)
			return nil, nil, err
		}
		n.PIDChildren = pn
	}
	var translate func(vfs.Path) vfs.Path
	if flags&unix.CLONE_NEWNS != 0 {
		if old.Mount.VFS == nil {
			return nil, nil, unix.EINVAL
		}
		// A copy owned by a less privileged user namespace locks every
		// mount, so that its owner cannot uncover what they hide.
		mnt, tr := k.vfs.CloneMountNamespace(old.Mount.VFS, owner)
		n.Mount = &MountNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: owner}, VFS: mnt}
		translate = tr
	}
	return &n, translate, nil
}

// newUserNamespaceCreds returns c moved into a new child user namespace
// (CLONE_NEWUSER).
func (k *Kernel) newUserNamespaceCreds(c *auth.Credentials) (*auth.Credentials, error) {
	ns, err := c.NewChildUserNamespace(k.newNSInode())
	if err != nil {
		return nil, err
	}
	return c.EnterUserNamespace(ns), nil
}

// Unshare is unshare(2) for the namespace flags and CLONE_FS, CLONE_FILES:
// the task leaves the namespaces flags name for new ones.
func (t *Task) Unshare(flags uint64) error {
	const allowed = unix.CLONE_THREAD | unix.CLONE_FS | unix.CLONE_NEWNS | unix.CLONE_SIGHAND |
		unix.CLONE_VM | unix.CLONE_FILES | unix.CLONE_SYSVSEM | unix.CLONE_NEWUTS |
		unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWUSER | unix.CLONE_NEWPID |
		unix.CLONE_NEWCGROUP | unix.CLONE_NEWTIME
	if flags&^allowed != 0 {
		return unix.EINVAL
	}
	if flags&unix.CLONE_NEWUSER != 0 {
		flags |= unix.CLONE_THREAD | unix.CLONE_FS
	}
	if flags&unix.CLONE_VM != 0 {
		flags |= unix.CLONE_SIGHAND
	}
	if flags&unix.CLONE_SIGHAND != 0 {
		flags |= unix.CLONE_THREAD
	}
	if flags&unix.CLONE_NEWNS != 0 {
		flags |= unix.CLONE_FS
	}
	if flags&(unix.CLONE_THREAD|unix.CLONE_SIGHAND|unix.CLONE_VM) != 0 {
		t.tg.sigMu.Lock()
		n := len(t.tg.tasks)
		t.tg.sigMu.Unlock()
		if n > 1 {
			return unix.EINVAL
		}
	}
	creds := t.Credentials()
	if flags&unix.CLONE_NEWUSER != 0 {
		var err error
		if creds, err = t.k.newUserNamespaceCreds(creds); err != nil {
			return err
		}
	}
	ns, translate, err := t.k.copyNamespaces(t.Namespaces(), t.pidns, creds, flags)
	if err != nil {
		return err
	}
	if flags&unix.CLONE_FS != 0 {
		t.unshareFS()
	}
	if flags&unix.CLONE_FILES != 0 {
		t.UnshareFDTable()
	}
	if translate != nil {
		fsc := t.FSContext()
		fsc.SetRoot(translate(fsc.Root()))
		fsc.SetCwd(translate(fsc.Cwd()))
	}
	if creds != t.Credentials() {
		t.installCreds(creds)
	}
	t.setNamespaces(ns)
	return nil
}

// unshareFS gives t a private copy of a root/cwd/umask shared through
// CLONE_FS.
func (t *Task) unshareFS() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fs == nil || t.fs.refs.Load() <= 1 {
		return
	}
	old := t.fs
	t.fs = newFSContextRef(old.c.Fork())
	old.decRef()
}

// nsSet is one setns(2) in the making (Linux's struct nsset): the
// credentials and namespaces the task will have once every requested
// namespace has passed its checks, so that a failure leaves the task as
// it was.
type nsSet struct {
	// orig are the caller's credentials; creds those after the change
	// (in the joined user namespace).
	orig, creds *auth.Credentials
	ns          Namespaces
	// flags are the CLONE_NEW* flags of every namespace joined.
	flags int
	// user, mount and time are set when those kinds are joined: they
	// need work at commit beyond installing ns.
	user, mount, time bool
}

// validateNS checks that t may join ns and records it in s (Linux's
// proc_ns_operations.install): CAP_SYS_ADMIN over ns's owner and over the
// user namespace t will be in.
func (t *Task) validateNS(s *nsSet, ns Namespace) error {
	if n, ok := ns.(userNamespace); ok {
		// userns_install: a single-threaded task, not the same namespace,
		// not an ancestor, and CAP_SYS_ADMIN in the target.
		if n.ns == s.creds.UserNamespace {
			return unix.EINVAL
		}
		if t.threadCount() > 1 {
			return unix.EINVAL
		}
		if n.ns.IsAncestorOf(s.creds.UserNamespace) || !s.creds.HasCapabilityIn(unix.CAP_SYS_ADMIN, n.ns) {
			return unix.EPERM
		}
		s.creds = s.creds.EnterUserNamespace(n.ns)
		s.user = true
		return nil
	}
	if !s.orig.HasCapabilityIn(unix.CAP_SYS_ADMIN, ns.Owner()) || !s.orig.HasCapabilityIn(unix.CAP_SYS_ADMIN, s.creds.UserNamespace) {
		return unix.EPERM
	}
	switch n := ns.(type) {
	case *PIDNamespace:
		// pidns_install: only the task's own PID namespace or one below
		// it; it becomes the namespace of the task's children.
		if !t.pidns.IsAncestorOf(n) {
			return unix.EINVAL
		}
		s.ns.PIDChildren = n
	case *UTSNamespace:
		s.ns.UTS = n
	case *CgroupNamespace:
		s.ns.Cgroup = n
	case *TimeNamespace:
		// timens_install: a single-threaded task moves into it at once.
		if t.threadCount() > 1 {
			return unix.EUSERS
		}
		s.ns.Time, s.ns.TimeChildren = n, n
		s.time = true
	case *IPCNamespace:
		s.ns.IPC = n
	case *NetNamespace:
		s.ns.Net = n
	case *MountNamespace:
		if !s.orig.HasCapabilityIn(unix.CAP_SYS_CHROOT, s.creds.UserNamespace) {
			return unix.EPERM
		}
		if n.VFS == nil {
			return unix.EINVAL
		}
		t.mu.Lock()
		shared := t.fs != nil && t.fs.refs.Load() > 1
		t.mu.Unlock()
		// Linux checks the sharing of the task's fs_struct only when
		// the mount namespace is all that is joined; otherwise it
		// works on a private copy.
		if shared && s.flags == unix.CLONE_NEWNS {
			return unix.EINVAL
		}
		s.ns.Mount = n
		s.mount = true
	default:
		return unix.EINVAL
	}
	return nil
}

// threadCount returns the number of threads in t's thread group.
func (t *Task) threadCount() int {
	t.tg.sigMu.Lock()
	defer t.tg.sigMu.Unlock()
	return len(t.tg.tasks)
}

// commitNSSet makes t's namespaces and credentials those of s (Linux's
// commit_nsset); nothing can fail any more.
func (t *Task) commitNSSet(s *nsSet) {
	if s.user {
		t.unshareFS()
		t.installCreds(s.creds)
	}
	if s.mount {
		// The task moves to the new tree's root, as Linux's mntns_install.
		fsc := t.FSContext()
		fsc.SetRoot(s.ns.Mount.VFS.Root())
		fsc.SetCwd(s.ns.Mount.VFS.Root())
	}
	if s.time {
		s.ns.Time.freeze()
		if m := t.MemoryManagerShared(); m != nil && t.k.vdso != nil {
			t.k.vdso.switchData(m, s.ns.Time)
		}
	}
	if *t.Namespaces() != s.ns {
		ns := s.ns
		t.setNamespaces(&ns)
	}
}

// newNSSet starts a setns(2) of t.
func (t *Task) newNSSet(flags int) *nsSet {
	c := t.Credentials()
	return &nsSet{orig: c, creds: c, ns: *t.Namespaces(), flags: flags}
}

// SetNamespace is setns(2) with the namespace ns (from an nsfs file):
// nstype 0 or ns's CLONE_NEW* flag, CAP_SYS_ADMIN over ns's owner and
// over the caller's own user namespace (Linux's *_install rules).
func (t *Task) SetNamespace(ns Namespace, nstype int) error {
	if nstype != 0 && nstype != ns.CloneFlag() {
		return unix.EINVAL
	}
	s := t.newNSSet(ns.CloneFlag())
	if err := t.validateNS(s, ns); err != nil {
		return err
	}
	t.commitNSSet(s)
	return nil
}

// NamespaceOf returns the namespace of the given kind ("uts", "ipc",
// "mnt", "user") that t lives in.
func (t *Task) NamespaceOf(kind string) (Namespace, bool) {
	ns := t.Namespaces()
	if ns == nil {
		return nil, false
	}
	switch kind {
	case "uts":
		return ns.UTS, true
	case "ipc":
		return ns.IPC, true
	case "mnt":
		return ns.Mount, true
	case "net":
		if ns.Net == nil {
			return nil, false
		}
		return ns.Net, true
	case "user":
		return userNamespace{t.UserNamespace()}, true
	case "pid":
		return t.pidns, true
	case "time":
		return ns.Time, ns.Time != nil
	case "time_for_children":
		return ns.TimeChildren, ns.TimeChildren != nil
	case "cgroup":
		return ns.Cgroup, ns.Cgroup != nil
	case "pid_for_children":
		// Linux shows it only once the namespace has its init.
		pn := ns.PIDChildren
		t.k.mu.Lock()
		ok := pn.level == 0 || pn.hadInit
		t.k.mu.Unlock()
		return pn, ok
	}
	return nil, false
}

// NamespaceKinds returns the entries of /proc/PID/ns kite has.
func (*Task) NamespaceKinds() []string {
	return []string{"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts"}
}

// NamespaceLink is the text of a /proc/PID/ns link.
func NamespaceLink(ns Namespace) string { return fmt.Sprintf("%s:[%d]", ns.Kind(), ns.Inode()) }

// SemUndoList returns the task's semaphore undo list, made on first use.
func (t *Task) SemUndoList() *ipc.UndoList {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.semUndo == nil {
		t.semUndo = ipc.NewUndoList()
	}
	return t.semUndo
}

// registerMqueue makes "mqueue" mountable: a mount shows the mounting
// task's IPC namespace's queues.
func (k *Kernel) registerMqueue() {
	k.vfs.RegisterFilesystemType("mqueue", func(ctx vfs.Context, _ string, _ uint32, _ string) (vfs.Filesystem, error) {
		t := k.TaskByID(ctx.ThreadID())
		if t == nil || t.Namespaces() == nil {
			return nil, unix.EINVAL
		}
		return t.Namespaces().IPC.MQ, nil
	})
}

// setnsOrder is the order in which setns with a pidfd checks a
// process's namespaces (Linux's validate_nsset): the user namespace
// first, whose credentials the other checks then use.
var setnsOrder = []struct {
	flag int
	kind string
}{
	{unix.CLONE_NEWUSER, "user"},
	{unix.CLONE_NEWNS, "mnt"},
	{unix.CLONE_NEWUTS, "uts"},
	{unix.CLONE_NEWIPC, "ipc"},
	{unix.CLONE_NEWPID, "pid"},
	{unix.CLONE_NEWCGROUP, "cgroup"},
	{unix.CLONE_NEWNET, "net"},
	{unix.CLONE_NEWTIME, "time"},
}

// SetNamespacesOf is setns(2) with a pidfd for process tg: the caller
// enters each of tg's namespaces that flags names, all or none: every
// namespace is checked before any is entered.
func (t *Task) SetNamespacesOf(tg *ThreadGroup, flags int) error {
	all := 0
	for _, o := range setnsOrder {
		all |= o.flag
	}
	if flags == 0 || flags&^all != 0 {
		return unix.EINVAL
	}
	t.k.mu.Lock()
	leader := tg.leader
	alive := tg.state == groupAlive && leader != nil && len(tg.tasks) > 0
	t.k.mu.Unlock()
	if !alive {
		return unix.ESRCH
	}
	if tg != t.tg && !t.Credentials().MayAccess(leader.Credentials(), true) {
		return unix.EPERM
	}
	// The namespaces are read before any is checked.
	var targets []Namespace
	for _, o := range setnsOrder {
		if flags&o.flag == 0 {
			continue
		}
		var ns Namespace
		if o.kind == "pid" {
			ns = leader.pidns
		} else if n, ok := leader.NamespaceOf(o.kind); ok {
			ns = n
		} else {
			return unix.ESRCH
		}
		targets = append(targets, ns)
	}
	s := t.newNSSet(flags)
	for _, ns := range targets {
		if err := t.validateNS(s, ns); err != nil {
			return err
		}
	}
	t.commitNSSet(s)
	return nil
}
