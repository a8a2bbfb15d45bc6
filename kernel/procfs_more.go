package kernel

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/fs/pipe"
	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/loader"
	"github.com/kite-os/kite/mm"
	"github.com/kite-os/kite/net"
	"github.com/kite-os/kite/vfs"
)

// UTSRelease is the kernel release kite gives (uname -r,
// /proc/sys/kernel/osrelease).
const UTSRelease = "6.6.0-kite"

// maxProcArgs bounds what /proc/PID/cmdline and environ read.
const maxProcArgs = 1 << 20

// argArea delimits argv and envp in an address space (Linux's
// mm->arg_start .. env_end).
type argArea struct {
	argStart, argEnd, envStart, envEnd uintptr
	// auxv is the auxiliary vector in /proc/PID/auxv's encoding; never
	// changed once made.
	auxv []byte
}

// argAreaOf returns the argument area of a loaded image.
func argAreaOf(img *loader.Image) argArea {
	if img == nil || img.Stack == nil {
		return argArea{}
	}
	s := img.Stack
	a := argArea{argStart: s.ArgStart, argEnd: s.ArgEnd, envStart: s.EnvStart, envEnd: s.EnvEnd}
	for _, e := range s.Auxv {
		a.auxv = binary.LittleEndian.AppendUint64(a.auxv, e.Type)
		a.auxv = binary.LittleEndian.AppendUint64(a.auxv, e.Val)
	}
	return a
}

// argArea returns the task's argument area. Safe from any goroutine.
func (t *Task) argArea() argArea {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.args
}

// Threads implements proc.ProcessInfo: the thread ids of t's process.
func (t *Task) Threads() []int32 {
	t.k.mu.Lock()
	tasks := append([]*Task(nil), t.tg.tasks...)
	t.k.mu.Unlock()
	ids := make([]int32, 0, len(tasks))
	for _, o := range tasks {
		ids = append(ids, o.tid)
	}
	sortIDs(ids)
	return ids
}

func sortIDs(ids []int32) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// isCaller reports whether ctx is the task o itself (the reader of a
// /proc file is running while it reads).
func isCaller(ctx vfs.Context, o *Task) bool { return ctx == vfs.Context(o) }

// TaskStat implements proc.ProcessInfo, with the initial PID namespace's
// ids.
func (t *Task) TaskStat(ctx vfs.Context, tid int32, whole bool) (proc.TaskStat, bool) {
	return t.taskStat(ctx, tid, whole, t.k.pidns)
}

// taskStat describes thread tid (a global id) of t's process, with the
// ids PID namespace ns gives.
func (t *Task) taskStat(ctx vfs.Context, tid int32, whole bool, ns *PIDNamespace) (proc.TaskStat, bool) {
	k := t.k
	var st proc.TaskStat

	// Task list lock: find the thread and the process's relations.
	k.mu.Lock()
	tg := t.tg
	var target *Task
	for _, o := range tg.tasks {
		if o.tid == tid {
			target = o
		}
	}
	if target == nil && whole && tid == tg.tgid {
		// The leader has exited: the process shows through another
		// thread, or through the leader itself once it is a zombie.
		if len(tg.tasks) > 0 {
			target = tg.tasks[0]
		} else if tg.state == groupZombie {
			target = tg.leader
		}
	}
	if target == nil {
		k.mu.Unlock()
		return st, false
	}
	st.PID, st.TGID = tid, tg.tgid
	if whole {
		st.PID = tg.tgid
	}
	if tg.parent != nil {
		st.PPID = tg.parent.tgid
	}
	if tg.pgrp != nil {
		st.PGRP = tg.pgrp.id
		if tg.pgrp.session != nil {
			st.Session = tg.pgrp.session.id
		}
	}
	if chain := ns.chainTo(tid); chain != nil {
		st.NSPID, st.NSTGID = localIn(chain, st.PID), localIn(chain, st.TGID)
		st.NSPGID, st.NSSID = localIn(chain, st.PGRP), localIn(chain, st.Session)
	}
	st.PID, st.TGID, st.PPID = ns.Local(st.PID), ns.Local(st.TGID), ns.Local(st.PPID)
	st.PGRP, st.Session = ns.Local(st.PGRP), ns.Local(st.Session)
	st.NumThreads = len(tg.tasks)
	st.ExitSignal = tg.exitSignal
	if tr := target.ptrace.tracer; tr != nil {
		st.TracerPID = ns.Local(tr.tid)
	}
	traceStopped := target.ptraceStoppedLocked()
	zombie := tg.state != groupAlive
	// A task is running ('R') unless it sleeps in a wait (SleepBegin),
	// as Linux's TASK_RUNNING covers a task that runs or may run: a
	// task between two system calls is not asleep, so that a reader
	// waiting for 'S' knows the task really waits.
	running := isCaller(ctx, target) || target.sleeping.Load() == 0
	if whole {
		for _, o := range tg.tasks {
			running = running || isCaller(ctx, o)
		}
	}
	ctty := tg.ctty
	k.mu.Unlock()
	st.TPGID = -1
	if ctty != nil {
		rdev := ctty.Rdev()
		major, minor := unix.Major(rdev), unix.Minor(rdev)
		st.TTYNr = int32(minor&0xff | major<<8 | (minor&^0xff)<<12)
		st.TPGID, _ = ctty.Foreground()
		if st.TPGID > 0 {
			st.TPGID = ns.Local(st.TPGID)
		}
	}

	// Signal state.
	tg.sigMu.Lock()
	stopped := tg.stopped
	st.SigPnd = uint64(target.pending.set)
	st.ShdPnd = uint64(tg.pending.set)
	st.SigBlk = uint64(target.sigMask)
	// SigQ counts the signals queued for every process of the real user.
	st.SigQ = uint64(max(tg.k.SigQueued(target.Credentials().RealUID), 0))
	handlers := tg.handlers
	tg.sigMu.Unlock()
	if handlers != nil {
		for sig := 1; sig <= linux.NumSignals; sig++ {
			switch h := handlers.get(sig).Handler; h {
			case linux.SIG_DFL:
			case linux.SIG_IGN:
				st.SigIgn |= uint64(linux.SigBit(sig))
			default:
				st.SigCgt |= uint64(linux.SigBit(sig))
			}
		}
	}
	st.SigQLimit = tg.limits.Get(unix.RLIMIT_SIGPENDING).Cur

	// The task's own state.
	target.mu.Lock()
	st.Comm = target.name
	m := target.mm
	fsc := target.fs
	files := target.files
	nice := target.sched.Nice
	nnp := target.noNewPrivs
	args := target.args
	target.mu.Unlock()
	st.Nice = nice
	st.NoNewPrivs = nnp
	st.Seccomp, st.SeccompFilters = target.SeccompMode()
	st.ArgStart, st.ArgEnd = uint64(args.argStart), uint64(args.argEnd)
	st.EnvStart, st.EnvEnd = uint64(args.envStart), uint64(args.envEnd)
	if fsc != nil {
		st.Umask = fsc.c.Umask()
	}
	st.FDSize = 64
	if files != nil {
		if fds := files.t.FDs(); len(fds) > 0 {
			for int(fds[len(fds)-1]) >= st.FDSize {
				st.FDSize *= 2
			}
		}
	}

	switch {
	case zombie:
		st.State = 'Z'
	case traceStopped:
		st.State = 't'
	case stopped:
		st.State = 'T'
	default:
		st.State = 'S'
		if running {
			st.State = 'R'
		}
	}

	c := target.Credentials()
	if c != nil {
		// Ids as the reader's user namespace sees them.
		rns := ctx.Credentials().UserNamespace
		st.UIDs = [4]uint32{rns.UIDOf(c.RealUID), rns.UIDOf(c.EffectiveUID), rns.UIDOf(c.SavedUID), rns.UIDOf(c.FSUID)}
		st.GIDs = [4]uint32{rns.GIDOf(c.RealGID), rns.GIDOf(c.EffectiveGID), rns.GIDOf(c.SavedGID), rns.GIDOf(c.FSGID)}
		st.Groups = make([]uint32, len(c.Groups))
		for i, g := range c.Groups {
			st.Groups[i] = rns.GIDOf(g)
		}
		st.CapInh, st.CapPrm, st.CapEff = uint64(c.InheritableCaps), uint64(c.PermittedCaps), uint64(c.EffectiveCaps)
		st.CapBnd, st.CapAmb = uint64(c.BoundingCaps), uint64(c.AmbientCaps)
	}

	if whole {
		st.UTime, st.STime = tg.CPUTime()
	} else {
		st.UTime, st.STime = target.CPUTime()
	}
	st.CUTime, st.CSTime = tg.ChildrenCPUTime()
	if !target.started.IsZero() {
		st.Start = target.started.Sub(k.bootTime)
	}
	if m != nil {
		u := m.Usage()
		st.HasMM = true
		st.VmSize, st.VmRSS, st.VmShared = u.Virtual, u.Resident, u.Shared
		st.VmLck, st.VmData, st.VmStk, st.VmExe = u.Locked, u.Data, u.Stack, u.Text
	}
	return st, true
}

// readArea reads [start, end) of t's address space, at most maxProcArgs
// bytes; nil if the task has no address space.
func (t *Task) readArea(start, end uintptr) []byte {
	m := t.MemoryManagerShared()
	if m == nil || end <= start {
		return nil
	}
	n := end - start
	if n > maxProcArgs {
		n = maxProcArgs
	}
	buf := make([]byte, n)
	got, _ := m.CopyIn(start, buf)
	return buf[:got]
}

// Cmdline implements proc.ProcessInfo: the argv strings as the process's
// memory holds them now. As on Linux, a process that overwrote the end
// of its argument area (setproctitle) gets its title instead: the text
// from the start up to the first NUL, running on into the environment
// area.
func (t *Task) Cmdline() []byte {
	a := t.argArea()
	b := t.readArea(a.argStart, a.argEnd)
	if len(b) == 0 || b[len(b)-1] == 0 || a.envStart != a.argEnd {
		return b
	}
	b = t.readArea(a.argStart, a.envEnd)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i+1]
	}
	return b
}

// Environ implements proc.ProcessInfo: the environment strings.
func (t *Task) Environ() []byte {
	a := t.argArea()
	return t.readArea(a.envStart, a.envEnd)
}

// Maps implements proc.ProcessInfo: t's mappings, named as the reader
// (ctx) sees paths.
func (t *Task) Maps(ctx vfs.Context) []proc.Mapping { return t.maps(ctx, false) }

// Smaps implements proc.ProcessInfo: Maps with each mapping's memory use.
func (t *Task) Smaps(ctx vfs.Context) []proc.Mapping { return t.maps(ctx, true) }

func (t *Task) maps(ctx vfs.Context, usage bool) []proc.Mapping {
	m := t.MemoryManagerShared()
	if m == nil {
		return nil
	}
	root := vfs.Path{}
	if fsc := ctx.FSContext(); fsc != nil {
		root = fsc.Root()
	}
	if !root.Ok() {
		if fsc := t.FSContext(); fsc != nil {
			root = fsc.Root()
		}
	}
	var vmas []mm.VMAInfo
	if usage {
		vmas = m.VMAsUsage()
	} else {
		vmas = m.VMAs()
	}
	out := make([]proc.Mapping, 0, len(vmas))
	for _, v := range vmas {
		out = append(out, t.mapping(ctx, root, v))
	}
	return out
}

// mapping describes one VMA as /proc/PID/maps shows it.
func (t *Task) mapping(ctx vfs.Context, root vfs.Path, v mm.VMAInfo) proc.Mapping {
	mp := proc.Mapping{
		Start: uint64(v.Start), End: uint64(v.End),
		Read:    v.Prot&unix.PROT_READ != 0,
		Write:   v.Prot&unix.PROT_WRITE != 0,
		Exec:    v.Prot&unix.PROT_EXEC != 0,
		Shared:  v.Shared,
		Path:    v.Name,
		VmFlags: v.VmFlags,
	}
	if u := v.Usage; u != nil {
		mp.Usage = &proc.MappingUsage{
			Rss: u.Rss, Pss: u.Pss,
			SharedClean: u.SharedClean, SharedDirty: u.SharedDirty,
			PrivateClean: u.PrivateClean, PrivateDirty: u.PrivateDirty,
			Anonymous: u.Anonymous, Locked: u.Locked,
		}
	}
	f, ok := v.File.(*vfs.File)
	if !ok {
		if v.Shm != nil && mp.Path == "" {
			// Shared anonymous memory is a deleted /dev/zero on Linux.
			mp.Path = "/dev/zero (deleted)"
		}
		return mp
	}
	mp.Offset = v.Offset
	if st, err := f.Stat(ctx); err == nil {
		mp.DevMajor, mp.DevMinor = unix.Major(st.Dev), unix.Minor(st.Dev)
		mp.Inode = st.Ino
	}
	if p := f.Path(); p.Ok() && root.Ok() {
		mp.Path = t.k.vfs.PathName(root, p)
	}
	return mp
}

// procSource's system-wide information (proc.SystemInfo).

// MemInfo implements proc.SystemInfo: the configured total, less the
// frames of the memory file in use.
func (s procSource) MemInfo() (total, free, available uint64) {
	total, free = s.k.MemoryInfo()
	if used := s.k.mf.FramesInUse() * 4096; used < free {
		free -= used
	} else {
		free = 0
	}
	return total, free, free
}

// PageCache implements proc.SystemInfo: the memory file's count of file
// and shared-memory pages.
func (s procSource) PageCache() (cached, shmem uint64) {
	return s.k.mf.PageCacheUsage()
}

// Commit implements proc.SystemInfo.
func (s procSource) Commit() (limit, committed uint64) {
	return s.k.mf.CommitLimit(), s.k.mf.Committed()
}

// Overcommit implements proc.SystemInfo: the memory file's policy.
func (s procSource) Overcommit() (mode, ratio int) { return s.k.mf.Overcommit() }

// SetOvercommit implements proc.SystemInfo.
func (s procSource) SetOvercommit(mode, ratio int) error {
	return s.k.mf.SetOvercommit(mode, ratio)
}

// CPUInfo implements proc.SystemInfo: Config.CPUInfo, or one
// "processor" entry per CPU without it.
func (s procSource) CPUInfo() []byte {
	if len(s.k.cpuInfo) > 0 {
		return append([]byte(nil), s.k.cpuInfo...)
	}
	var b []byte
	for i := 0; i < s.k.NumCPU(); i++ {
		b = fmt.Appendf(b, "processor\t: %d\n\n", i)
	}
	return b
}

// Uptime implements proc.SystemInfo.
func (s procSource) Uptime(ctx vfs.Context) time.Duration {
	up := time.Since(s.k.bootTime)
	if t := s.k.TaskByID(ctx.ThreadID()); t != nil {
		up += t.ClockOffset(unix.CLOCK_BOOTTIME)
	}
	return up
}

// NumCPU implements proc.SystemInfo.
func (s procSource) NumCPU() int { return s.k.NumCPU() }

// Hostname implements proc.SystemInfo.
func (s procSource) Hostname(ctx vfs.Context) string {
	if r := s.k.TaskByID(ctx.ThreadID()); r != nil && r.Namespaces() != nil {
		h, _ := r.Namespaces().UTS.Names()
		return h
	}
	return s.k.Hostname()
}

// Release implements proc.SystemInfo.
func (s procSource) Release() string { return UTSRelease }

// Version implements proc.SystemInfo: uname's version field.
func (s procSource) Version() string { return s.k.UTSVersion() }

// LoadAverage implements proc.SystemInfo.
func (s procSource) LoadAverage() (avg [3]uint64, running, threads int) {
	running, threads = s.k.RunningTasks()
	return s.k.LoadAverage(loadFShift), running, threads
}

// Forks implements proc.ForkCounter: the tasks created since boot.
func (s procSource) Forks() uint64 { return s.k.forks.Load() }

// BootID implements proc.KernelSysctlInfo.
func (s procSource) BootID() string { return s.k.bootID }

// FixedSysctls implements proc.KernelSysctlInfo: the limits kite
// enforces and cannot change.
func (s procSource) FixedSysctls() map[string]int64 {
	return map[string]int64{
		// clone's bound on tasks (EAGAIN beyond it).
		"kernel/threads-max": int64(s.k.maxTasks),
		// Kite never taints itself.
		"kernel/tainted": 0,
		// Kite places mmap, the stack and ELF images at fixed bases
		// (Linux's layout with randomization off).
		"kernel/randomize_va_space": 0,
		"vm/max_map_count":          mm.MaxMapCount,
		"vm/mmap_min_addr":          mm.MmapMinAddr,
		// The ceiling of RLIMIT_NOFILE (setrlimit EPERM above it).
		"fs/nr_open": nrOpen,
		// F_SETPIPE_SZ's ceiling without CAP_SYS_RESOURCE.
		"fs/pipe-max-size": pipe.MaxSize,
		// Kite has no system-wide limit on open files: LONG_MAX, the
		// value Linux shows when the limit is set as high as it goes.
		"fs/file-max": math.MaxInt64,
	}
}

// PIDMax implements proc.SystemInfo: the bound of allocID.
func (s procSource) PIDMax() int { return 4194304 }

var (
	_ proc.ProcessInfo = (*Task)(nil)
	_ proc.SystemInfo  = procSource{}
	_ proc.ProcessInfo = procTask{}
)

// SetComm implements proc.ProcessInfo: rename thread tid of t's process.
func (t *Task) SetComm(tid int32, name string) error {
	t.k.mu.Lock()
	var target *Task
	for _, o := range t.tg.tasks {
		if o.tid == tid {
			target = o
		}
	}
	t.k.mu.Unlock()
	if target == nil {
		return unix.ESRCH
	}
	target.SetName(name)
	return nil
}

// Limits implements proc.ProcessInfo.
func (t *Task) Limits() [proc.NumLimits]proc.RLimit {
	var ls [proc.NumLimits]proc.RLimit
	for r := range ls {
		l := t.tg.limits.Get(r)
		ls[r] = proc.RLimit{Cur: l.Cur, Max: l.Max}
	}
	return ls
}

// Auxv implements proc.ProcessInfo.
func (t *Task) Auxv() []byte { return t.argArea().auxv }

// readerIPC returns the IPC namespace of the task reading a /proc file
// (nil for a reader that is not a task).
func (s procSource) readerIPC(ctx vfs.Context) *ipc.Namespace {
	if r := s.k.TaskByID(ctx.ThreadID()); r != nil && r.Namespaces() != nil {
		return r.Namespaces().IPC.SysV
	}
	return nil
}

// SysVIPCText implements proc.IPCInfo.
func (s procSource) SysVIPCText(ctx vfs.Context, kind string) string {
	r := s.k.TaskByID(ctx.ThreadID())
	ns := s.readerIPC(ctx)
	if r == nil || ns == nil {
		return ""
	}
	return ns.ProcText(kind, ctx.Credentials().UserNamespace, r.PIDOf)
}

// IPCLimitNames implements proc.IPCInfo.
func (procSource) IPCLimitNames() []string { return ipc.LimitNames() }

// IPCLimit implements proc.IPCInfo.
func (s procSource) IPCLimit(ctx vfs.Context, name string) string {
	ns := s.readerIPC(ctx)
	if ns == nil {
		return ""
	}
	return ns.LimitText(name)
}

// IPCLimitOwner implements proc.IPCInfo: root of the user namespace that
// owns the reader's IPC namespace, or the initial root when that
// namespace maps no root (Linux's ipc_set_ownership).
func (s procSource) IPCLimitOwner(ctx vfs.Context) (uid, gid uint32) {
	r := s.k.TaskByID(ctx.ThreadID())
	if r == nil || r.Namespaces() == nil {
		return 0, 0
	}
	owner := r.Namespaces().IPC.Owner()
	if u, ok := owner.MapUIDToKernel(0); ok {
		uid = u
	}
	if g, ok := owner.MapGIDToKernel(0); ok {
		gid = g
	}
	return uid, gid
}

// SetIPCLimit implements proc.IPCInfo.
func (s procSource) SetIPCLimit(ctx vfs.Context, name, value string) error {
	ns := s.readerIPC(ctx)
	if ns == nil {
		return unix.EINVAL
	}
	return ns.SetLimitText(name, value)
}

// NetSysctls implements proc.NetSysctlInfo: the families' /proc/sys/net
// files, each showing the reader's network namespace.
func (s procSource) NetSysctls() map[string]func(vfs.Context) []byte {
	files := make(map[string]func(vfs.Context) []byte)
	for name := range s.k.net.Sysctls() {
		files[name] = func(ctx vfs.Context) []byte {
			st := s.k.net
			if t := s.k.TaskByID(ctx.ThreadID()); t != nil {
				st = t.NetStack()
			}
			if gen := st.Sysctls()[name]; gen != nil {
				return gen()
			}
			return nil
		}
	}
	return files
}

// readerNetStack is the socket layer of the caller's network namespace.
func (s procSource) readerNetStack(ctx vfs.Context) *net.Stack {
	if t := s.k.TaskByID(ctx.ThreadID()); t != nil {
		return t.NetStack()
	}
	return s.k.net
}

// NetSysctlOwner implements proc.NetSysctlWriter: root of the user
// namespace that owns the reader's network namespace (Linux's
// net_ctl_set_ownership), or the initial root when it maps none.
func (s procSource) NetSysctlOwner(ctx vfs.Context) (uid, gid uint32) {
	r := s.k.TaskByID(ctx.ThreadID())
	if r == nil || r.Namespaces() == nil {
		return 0, 0
	}
	owner := r.Namespaces().Net.Owner()
	if u, ok := owner.MapUIDToKernel(0); ok {
		uid = u
	}
	if g, ok := owner.MapGIDToKernel(0); ok {
		gid = g
	}
	return uid, gid
}

// NetAdmin implements proc.NetSysctlWriter: CAP_NET_ADMIN over the user
// namespace owning the caller's network namespace.
func (s procSource) NetAdmin(ctx vfs.Context) bool {
	r := s.k.TaskByID(ctx.ThreadID())
	if r == nil || r.Namespaces() == nil {
		return ctx.Credentials().HasCapability(unix.CAP_NET_ADMIN)
	}
	return ctx.Credentials().HasCapabilityIn(unix.CAP_NET_ADMIN, r.Namespaces().Net.Owner())
}

// NetSysctlWritable implements proc.NetSysctlWriter.
func (s procSource) NetSysctlWritable(name string) bool { return s.k.net.SysctlWritable(name) }

// SetNetSysctl implements proc.NetSysctlWriter: the writer's network
// namespace's value.
func (s procSource) SetNetSysctl(ctx vfs.Context, name string, value []byte) error {
	return s.readerNetStack(ctx).SetSysctl(name, value)
}

// NetFiles implements proc.NetInfo: the socket families' /proc/net
// files, each showing the reader's network namespace.
func (s procSource) NetFiles() map[string]func(vfs.Context) []byte {
	files := make(map[string]func(vfs.Context) []byte)
	for name := range s.k.net.ProcNetFiles() {
		files[name] = func(ctx vfs.Context) []byte {
			st := s.k.net
			if t := s.k.TaskByID(ctx.ThreadID()); t != nil {
				st = t.NetStack()
			}
			if gen := st.ProcNetFiles()[name]; gen != nil {
				return gen()
			}
			return nil
		}
	}
	return files
}
