package kernel

import (
	"fmt"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel/futex"
	"github.com/kite-os/kite/kernel/timekeeping"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/vfs"
)

// SyscallTracer observes every system call (kite run --strace).
type SyscallTracer interface {
	Enter(t *Task, nr uintptr, args arch.SyscallArgs)
	Exit(t *Task, nr uintptr, args arch.SyscallArgs, ret uintptr, err error)
	// Signal reports a signal taken by t (delivered to a handler or to
	// its default action).
	Signal(t *Task, info *arch.SignalInfo)
	// Exited reports the end of a process whose leader was tid.
	Exited(tid int32, status WaitStatus)
}

// ExecTracer is implemented by tracers that also report the execve that
// starts the first process (strace's first line).
type ExecTracer interface {
	Exec(t *Task, path string, argv []string, envc int)
}

// Config is what a Kernel is made of.
type Config struct {
	Platform   platform.Platform
	MemoryFile *mm.MemoryFile
	VFS        *vfs.VirtualFilesystem
	// Net is the socket layer with its families; nil gives one with
	// none (every socket(2) is EAFNOSUPPORT).
	Net *net.Stack
	// NewNetStack makes the socket layer of a new network namespace;
	// nil refuses CLONE_NEWNET (EINVAL).
	NewNetStack func() (*net.Stack, error)
	Table       *SyscallTable
	Tracer      SyscallTracer // nil: no tracing
	Logger      *slog.Logger  // nil: slog.Default()
	Hostname    string        // the UTS node name; "kite" if empty
	Version     string        // kite's version, for uname
	// TotalMemory is the memory sysinfo reports, in bytes.
	TotalMemory uint64
	// CPUInfo is the text of /proc/cpuinfo (the host's, read by the
	// caller); empty gives one "processor" entry per CPU.
	CPUInfo []byte
	// ThreadExitHook, if set, runs for every exiting task (robust
	// futexes, CLONE_CHILD_CLEARTID wake-ups).
	ThreadExitHook ThreadExitHook
	// MaxTasks bounds the number of tasks (Linux's threads-max): clone
	// fails with EAGAIN beyond it, whatever the credentials, so that a
	// fork bomb under kite cannot exhaust the host. 0 means 4096.
	MaxTasks int
	// VDSO maps the vDSO into every process (AT_SYSINFO_EHDR).
	VDSO bool
	// Domainname is the first UTS namespace's NIS domain name;
	// "(none)" if empty.
	Domainname string
	// IPCLimits set the first IPC namespace's limits, by the name of
	// their /proc/sys/kernel file ("msgmax": "8192"): a container's
	// IPC sysctls. New fails on a name or value the file refuses.
	IPCLimits map[string]string
	// RSeq offers rseq(2) (kite run --rseq). Off, rseq is ENOSYS and the
	// aux vector has no AT_RSEQ_* entries, so C libraries fall back: kite
	// cannot keep two threads whose areas show the same CPU from running
	// critical sections at once (it neither sees the host preempt a stub
	// thread nor runs a stub on the CPU it reports), so per-CPU data
	// guarded by rseq can be corrupted.
	RSeq bool
	// HostSched says what the host lets kite do to the priority of the
	// host threads that run tasks; the zero value is no limit (kite has
	// CAP_SYS_NICE on the host).
	HostSched HostSchedLimits
}

// HostSchedLimits are the host's limits on the scheduling kite applies to
// the host threads that run tasks (sched.go). When Limited (kite lacks
// CAP_SYS_NICE on the host), a change the host would refuse is refused
// inside kite as well, as Linux refuses it to an unprivileged process,
// instead of being reported as done and never applied.
type HostSchedLimits struct {
	Limited bool
	// RLimitNice and RLimitRTPrio are kite's own host RLIMIT_NICE and
	// RLIMIT_RTPRIO soft limits.
	RLimitNice, RLimitRTPrio uint64
}

// Kernel is one instance of kite's kernel. There are no globals: tests may
// run many kernels in one process.
type Kernel struct {
	platform platform.Platform
	// load is the load average (loadavg.go).
	load loadAvg
	mf   *mm.MemoryFile
	vfs  *vfs.VirtualFilesystem
	net  *net.Stack
	// initNet is the initial network namespace (over net);
	// newNetStack makes the stacks of new ones.
	initNet     *NetNamespace
	newNetStack func() (*net.Stack, error)
	table       *SyscallTable
	tracer      SyscallTracer
	// rseq is Config.RSeq: rseq(2) is offered.
	rseq bool
	// sigCounts are the per-user counts of queued signals
	// (RLIMIT_SIGPENDING).
	sigCounts sigUserCounts
	// mqBytes are the per-user bytes of POSIX message queues
	// (RLIMIT_MSGQUEUE).
	mqBytes userCharges
	// shmLocked are the per-user pages locked by SHM_LOCK
	// (RLIMIT_MEMLOCK).
	shmLocked userCharges
	// inotify is /proc/sys/fs/inotify and the per-user inotify counts.
	inotify inotifyLimits
	// rtTimers are the timerfds told when CLOCK_REALTIME is set.
	rtTimers ipc.RealtimeTimerFDs
	// rtWatch are the absolute realtime timers and sleeps (clockset.go).
	rtWatch realtimeWatchers

	log      *slog.Logger
	hostname string
	version  string
	totalMem uint64
	// hostSched is what the host allows kite's priority changes.
	hostSched HostSchedLimits
	cpuInfo   []byte // immutable
	// domainname and ipcLimits are Config's, for the first namespaces.
	domainname string
	ipcLimits  map[string]string

	threadExitHook ThreadExitHook
	maxTasks       int

	// vdso is the vDSO every exec maps; nil without one. Immutable.
	vdso *vdsoPages
	// clock is the kernel's clock, which the vDSO's data page
	// publishes. Immutable.
	clock *timekeeping.Clock

	// futex holds every futex wait queue.
	futex *futex.Manager

	// userNS is the initial user namespace.
	userNS *auth.UserNamespace
	// nsInodes hands out namespace inode numbers (Linux's proc_alloc_inum).
	nsInodes atomic.Uint64
	// nsfs is the pseudo file system of namespace files.
	nsfs *nsfs

	// pidns is the initial PID namespace.
	pidns *PIDNamespace
	// pidMu guards the number maps of every PID namespace and idNS. It
	// is a leaf: taken under k.mu or alone.
	pidMu sync.Mutex
	// idNS maps the global ids made in a PID namespace below the
	// initial one to that namespace. Guarded by pidMu.
	idNS map[int32]*PIDNamespace

	// bootTime is when the kernel started; CLOCK_BOOTTIME and
	// CLOCK_MONOTONIC count from the host's clocks, this is for uptime.
	bootTime time.Time
	// bootID is /proc/sys/kernel/random/boot_id: a random UUID chosen
	// once per boot.
	bootID string

	mu sync.Mutex
	// tasks maps thread ids to live tasks. Guarded by mu.
	tasks map[int32]*Task
	// tasksGone, when not nil, is closed once tasks becomes empty
	// (Shutdown waits on it). Guarded by mu.
	tasksGone chan struct{}
	// oomMu guards oomVictim, the process the OOM killer last killed
	// (oom.go), so that tasks faulting while it dies do not kill more.
	oomMu     sync.Mutex
	oomVictim *ThreadGroup

	// groups maps thread group ids to thread groups that have not been
	// reaped. Guarded by mu.
	groups map[int32]*ThreadGroup
	// lastID is the last id handed out. Guarded by mu.
	lastID int32
	// init is the first thread group (pid 1). Guarded by mu.
	init *ThreadGroup
	// pgrps and sessions map ids to live process groups and sessions.
	// Guarded by mu.
	pgrps    map[int32]*ProcessGroup
	sessions map[int32]*Session
	// unimplemented records the syscalls already logged as ENOSYS.
	// Guarded by mu.
	unimplemented map[uintptr]bool

	mmMu sync.Mutex
	// mmUsers counts the tasks of each address space. Guarded by mmMu.
	mmUsers map[*mm.MemoryManager]int

	// kcmp scrambles kcmp's ordering (misc.go).
	kcmp kcmpCookies
	// aio is the AIO contexts of every address space (aio.go).
	aio aioState
	// keys is the key registry (keys.go).
	keys keysState
	// klog is the kernel log (klog.go).
	klog klogState
	// forks counts the tasks created (/proc/stat's processes).
	forks atomic.Uint64
}

// New returns a kernel with no tasks.
func New(c Config) (*Kernel, error) {
	if c.Platform == nil || c.MemoryFile == nil || c.VFS == nil || c.Table == nil {
		return nil, fmt.Errorf("kernel: incomplete configuration")
	}
	k := &Kernel{
		platform:       c.Platform,
		mf:             c.MemoryFile,
		vfs:            c.VFS,
		net:            c.Net,
		table:          c.Table,
		tracer:         c.Tracer,
		log:            c.Logger,
		hostname:       c.Hostname,
		version:        c.Version,
		totalMem:       c.TotalMemory,
		hostSched:      c.HostSched,
		cpuInfo:        append([]byte(nil), c.CPUInfo...),
		threadExitHook: c.ThreadExitHook,
		maxTasks:       c.MaxTasks,
		futex:          futex.NewManager(),
		bootTime:       time.Now(),
		bootID:         proc.RandomUUID(),
		tasks:          make(map[int32]*Task),
		groups:         make(map[int32]*ThreadGroup),
		unimplemented:  make(map[uintptr]bool),
		pgrps:          make(map[int32]*ProcessGroup),
		sessions:       make(map[int32]*Session),
		mmUsers:        make(map[*mm.MemoryManager]int),
	}
	if k.net == nil {
		k.net = net.NewStack(k.vfs)
	}
	k.newNetStack = c.NewNetStack
	k.nsInodes.Store(nsInodeFirst)
	k.userNS = auth.NewRootUserNamespace(initUserNSInode)
	k.net.SetNSResolver(netNSResolver{k})
	k.net.SetOwner(k.userNS)
	k.initNet = &NetNamespace{nsCommon: nsCommon{inode: k.newNSInode(), owner: k.userNS}, Stack: k.net}
	k.nsfs = &nsfs{}
	k.pidns = &PIDNamespace{nsCommon: nsCommon{inode: initPIDNSInode, owner: k.userNS}, k: k}
	k.idNS = make(map[int32]*PIDNamespace)
	k.registerMqueue()
	k.klog.consoleLevel = 7 // CONSOLE_LOGLEVEL_DEFAULT
	k.logBoot()
	k.inotify.init()
	if k.maxTasks <= 0 {
		k.maxTasks = 4096
	}
	k.rseq = c.RSeq
	if c.VDSO {
		v, err := newVDSOPages(c.MemoryFile)
		if err != nil {
			return nil, err
		}
		k.vdso = v
		words, err := v.data.Words(0)
		if err != nil {
			return nil, err
		}
		k.clock = timekeeping.New(words, arch.TSCUsable(c.CPUInfo))
	} else {
		k.clock = timekeeping.New(nil, false)
	}
	k.clock.OnRealtimeStep(k.clockWasSet)
	// File timestamps come from the same clock as clock_gettime.
	c.VFS.SetClock(k.clock.RealtimeTime)
	// File systems keep file pages (tmpfs data, page caches) in the
	// memory file, so that mapping a file maps the pages read and write
	// use.
	c.VFS.SetPageAllocator(pageAllocator{c.MemoryFile})
	if k.log == nil {
		k.log = slog.Default()
	}
	if k.hostname == "" {
		k.hostname = "kite"
	}
	k.domainname = c.Domainname
	if k.domainname == "" {
		k.domainname = "(none)"
	}
	if len(c.IPCLimits) > 0 {
		// Check them on a namespace of their own: the first one is
		// made with the first process.
		check := ipc.NewNamespace(c.MemoryFile, k.userNS, time.Now)
		for name, value := range c.IPCLimits {
			if !slices.Contains(ipc.LimitNames(), name) {
				return nil, fmt.Errorf("kernel.%s: no such IPC limit", name)
			}
			if err := check.SetLimitText(name, value); err != nil {
				return nil, fmt.Errorf("kernel.%s=%s: %w", name, value, err)
			}
		}
		k.ipcLimits = maps.Clone(c.IPCLimits)
	}
	return k, nil
}

// VFS returns the kernel's virtual file system.
func (k *Kernel) VFS() *vfs.VirtualFilesystem { return k.vfs }

// Net returns the kernel's socket layer.
func (k *Kernel) Net() *net.Stack { return k.net }

// Platform returns the platform application code runs on.
func (k *Kernel) Platform() platform.Platform { return k.platform }

// MemoryFile returns the memory file all application memory lives in.
func (k *Kernel) MemoryFile() *mm.MemoryFile { return k.mf }

// Logger returns the kernel's logger.
func (k *Kernel) Logger() *slog.Logger { return k.log }

// Hostname returns the UTS node name.
func (k *Kernel) Hostname() string { return k.hostname }

// Clock returns the kernel's clock (CLOCK_MONOTONIC and CLOCK_REALTIME).
func (k *Kernel) Clock() *timekeeping.Clock { return k.clock }

// RealtimeTimerFDs returns the set of timerfds on realtime clocks, told
// when CLOCK_REALTIME is set.
func (k *Kernel) RealtimeTimerFDs() *ipc.RealtimeTimerFDs { return &k.rtTimers }

// BootTime returns when the kernel started.
func (k *Kernel) BootTime() time.Time { return k.bootTime }

// allocID returns an unused thread id.
//
// Preconditions: k.mu is held.
func (k *Kernel) allocID() (int32, error) {
	for i := 0; i < maxPID; i++ {
		k.lastID++
		if k.lastID >= maxPID {
			k.lastID = 1
		}
		if k.idUsedLocked(k.lastID) {
			continue
		}
		return k.lastID, nil
	}
	return 0, errTooManyTasks
}

// logUnimplemented logs an unimplemented system call the first time it is
// made.
func (k *Kernel) logUnimplemented(nr uintptr) {
	k.mu.Lock()
	seen := k.unimplemented[nr]
	k.unimplemented[nr] = true
	k.mu.Unlock()
	if seen {
		return
	}
	name := "unknown"
	if nr < uintptr(len(linux.SyscallNames)) && linux.SyscallNames[nr] != "" {
		name = linux.SyscallNames[nr]
	}
	k.log.Info("unimplemented system call", "name", name, "nr", nr)
}

// Version returns kite's version string.
func (k *Kernel) Version() string { return k.version }

// MemoryInfo returns the total and free memory sysinfo reports.
func (k *Kernel) MemoryInfo() (total, free uint64) {
	return k.totalMem, k.totalMem
}

// NumCPU returns the number of CPUs applications see.
func (k *Kernel) NumCPU() int { return runtime.NumCPU() }

// NumTasks returns the number of live tasks.
func (k *Kernel) NumTasks() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.tasks)
}

// TaskByID returns the live task with thread id tid, or nil.
func (k *Kernel) TaskByID(tid int32) *Task {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.tasks[tid]
}

// ThreadGroupByID returns the thread group with id tgid, or nil.
func (k *Kernel) ThreadGroupByID(tgid int32) *ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.groups[tgid]
}

// Futex returns the kernel's futex manager.
func (k *Kernel) Futex() *futex.Manager { return k.futex }

// pageAllocator gives the VFS page cache objects in the memory file.
type pageAllocator struct{ mf *mm.MemoryFile }

// NewPages implements vfs.PageAllocator.
func (a pageAllocator) NewPages() vfs.Pages { return mm.NewSharedMemory(a.mf, 0) }
