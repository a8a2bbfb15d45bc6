package proc

import (
	"time"

	"github.com/kite-os/kite/vfs"
)

// ProcessInfo is implemented by Processes that show /proc/PID/stat,
// status, comm, cmdline, environ, maps and task/. A Process without it
// has only the links of doc.go. Every method is safe from any goroutine.
type ProcessInfo interface {
	// Threads lists the thread ids of the process in increasing order.
	Threads() []int32
	// TaskStat describes thread tid of the process; with whole set, the
	// process as /proc/PID/stat shows it (CPU times of every thread).
	// ok is false if the thread is gone. ctx is the reader (a task
	// reading itself is running, state R).
	TaskStat(ctx vfs.Context, tid int32, whole bool) (st TaskStat, ok bool)
	// Cmdline returns the argument area of the process's memory, as the
	// process holds it now (nil once it has no address space).
	Cmdline() []byte
	// Environ returns the environment area likewise.
	Environ() []byte
	// Maps lists the process's memory mappings in address order.
	Maps(ctx vfs.Context) []Mapping
	// Smaps is Maps with each mapping's Usage (/proc/PID/smaps).
	Smaps(ctx vfs.Context) []Mapping
	// SetComm sets the command name of thread tid (a write to its comm
	// file), truncated to 15 bytes; ESRCH if the thread is gone.
	SetComm(tid int32, name string) error
	// Limits are the process's resource limits, indexed by RLIMIT_*.
	Limits() [NumLimits]RLimit
	// Auxv is the auxiliary vector the process started with, as written
	// on its stack (pairs of little-endian uint64s, AT_NULL included).
	Auxv() []byte
}

// NumLimits is the number of resource limits (RLIM_NLIMITS).
const NumLimits = 16

// RLimit is one resource limit; ^uint64(0) is unlimited.
type RLimit struct {
	Cur, Max uint64
}

// TaskStat is what procfs shows of a thread or process.
type TaskStat struct {
	Comm  string
	State byte // R, S, D, T, t, Z, X
	// PID is the thread id, TGID the process id.
	PID, TGID, PPID, PGRP, Session int32
	// TracerPID is the thread id of the task tracing this one (0: none).
	TracerPID int32
	// NSTGID, NSPID, NSPGID and NSSID are the process, thread, group and
	// session ids in each PID namespace from the one the procfs shows
	// down to the task's own (status's NS lines); nil shows the single
	// id above.
	NSTGID, NSPID, NSPGID, NSSID []int32
	// TTYNr is the controlling terminal's device number as stat shows
	// it (0: none); TPGID its foreground process group (-1: no
	// terminal).
	TTYNr, TPGID int32
	// UIDs and GIDs are the real, effective, saved and file-system ids.
	UIDs, GIDs [4]uint32
	Groups     []uint32
	Umask      uint32
	FDSize     int

	// CPU times of the task (or of the process's tasks) and of its
	// reaped children.
	UTime, STime, CUTime, CSTime time.Duration
	Nice                         int
	NumThreads                   int
	// Start is when the task started, counted from the kernel's boot.
	Start time.Duration

	// HasMM is false for a task without an address space; the Vm fields
	// are then left out of status, and stat shows zero.
	HasMM bool
	// Memory use in bytes (mm's Usage).
	VmSize, VmRSS, VmShared, VmLck, VmData, VmStk, VmExe uint64
	// ArgStart..EnvEnd delimit argv and envp on the stack.
	ArgStart, ArgEnd, EnvStart, EnvEnd uint64

	// SigQ is the number of queued signals and SigQLimit the
	// RLIMIT_SIGPENDING limit.
	SigQ, SigQLimit uint64
	// Signal sets: bit n-1 is signal n.
	SigPnd, ShdPnd, SigBlk, SigIgn, SigCgt uint64
	// Capabilities.
	CapInh, CapPrm, CapEff, CapBnd, CapAmb uint64
	NoNewPrivs                             bool
	// Seccomp is the seccomp mode (0 none, 1 strict, 2 filter) and
	// SeccompFilters the number of filters attached.
	Seccomp, SeccompFilters int
	ExitSignal              int
}

// Mapping is one line of /proc/PID/maps.
type Mapping struct {
	Start, End uint64
	Read       bool
	Write      bool
	Exec       bool
	Shared     bool
	Offset     uint64
	// DevMajor, DevMinor and Inode identify a mapped file.
	DevMajor, DevMinor uint32
	Inode              uint64
	// Path is the file's path, "[heap]", "[stack]" or "".
	Path string
	// VmFlags are the mnemonics of the VMA's flags (smaps' VmFlags).
	VmFlags []string
	// Usage is the mapping's memory use, for smaps (Smaps fills it).
	Usage *MappingUsage
}

// MappingUsage is a mapping's memory use in bytes (/proc/PID/smaps).
type MappingUsage struct {
	Rss, Pss                   uint64
	SharedClean, SharedDirty   uint64
	PrivateClean, PrivateDirty uint64
	Anonymous, Locked          uint64
}

// SystemInfo is implemented by Sources that show the system-wide files
// (/proc/meminfo, cpuinfo, uptime, version, sys/kernel). Without it they
// are absent. Every method is safe from any goroutine.
type SystemInfo interface {
	// MemInfo returns the total, free and available memory in bytes.
	MemInfo() (total, free, available uint64)
	// PageCache returns the bytes of file pages in memory (Cached) and
	// of shared memory among them (Shmem: tmpfs, shm, shared anonymous
	// memory).
	PageCache() (cached, shmem uint64)
	// Commit returns the commit limit and the memory committed now
	// (CommitLimit, Committed_AS).
	Commit() (limit, committed uint64)
	// Overcommit returns vm.overcommit_memory and vm.overcommit_ratio;
	// SetOvercommit sets them (a negative value leaves one unchanged;
	// EINVAL out of range).
	Overcommit() (mode, ratio int)
	SetOvercommit(mode, ratio int) error
	// CPUInfo is the text of /proc/cpuinfo.
	CPUInfo() []byte
	// Uptime is the time since the kernel started, as CLOCK_BOOTTIME
	// reads for the caller ctx (its time namespace's offset included).
	Uptime(ctx vfs.Context) time.Duration
	// NumCPU is the number of CPUs the applications see.
	NumCPU() int
	// Hostname is the UTS node name the caller sees.
	Hostname(ctx vfs.Context) string
	// Release is uname's release ("6.6.0-kite") and Version its version
	// ("#1 SMP ...").
	Release() string
	Version() string
	// PIDMax is /proc/sys/kernel/pid_max.
	PIDMax() int
	// LoadAverage returns the 1, 5 and 15 minute load averages in
	// fixed point with 11 fraction bits (Linux's avenrun), and the
	// numbers of running and of all threads.
	LoadAverage() (avg [3]uint64, running, threads int)
}

// ForkCounter is implemented by SystemInfos that count the tasks
// created since boot (/proc/stat's processes, Linux's total_forks).
type ForkCounter interface {
	Forks() uint64
}

// NetInfo is implemented by Sources that have a socket layer: the files
// of /proc/net ("unix", ...), each generated when read for the reader
// (whose network namespace it shows).
type NetInfo interface {
	NetFiles() map[string]func(vfs.Context) []byte
}

// NetSysctlInfo is implemented by Sources that show /proc/sys/net: files
// by their path below it ("ipv4/ip_local_port_range"), each generated
// when read for the reader's network namespace.
type NetSysctlInfo interface {
	NetSysctls() map[string]func(vfs.Context) []byte
}

// NetSysctlWriter is implemented by Sources some of whose /proc/sys/net
// files take writes (for the writer's network namespace); the others
// are read-only (0444, EIO on write... as the VFS gives for them).
type NetSysctlWriter interface {
	NetSysctlWritable(name string) bool
	SetNetSysctl(ctx vfs.Context, name string, value []byte) error
}

// NetSysctlOwner is implemented by NetSysctlWriters whose files belong
// to the reader's network namespace (netSysctlFile).
type NetSysctlOwner interface {
	// NetSysctlOwner is the kernel uid and gid shown as the files'
	// owner for the reader: root of the user namespace owning its
	// network namespace (0 when that namespace maps no root).
	NetSysctlOwner(ctx vfs.Context) (uid, gid uint32)
	// NetAdmin reports whether the caller has CAP_NET_ADMIN over the
	// user namespace owning its network namespace.
	NetAdmin(ctx vfs.Context) bool
}

// KernelSysctlInfo is implemented by Sources that show the boot's id and
// the limits kite enforces but has no way to change.
type KernelSysctlInfo interface {
	// BootID is /proc/sys/kernel/random/boot_id (without its newline):
	// one random UUID per boot.
	BootID() string
	// FixedSysctls maps paths below /proc/sys ("kernel/threads-max",
	// "vm/max_map_count") to their values, each a file read only (0444):
	// kite enforces the value but cannot change it.
	FixedSysctls() map[string]int64
}

// FSSysctlInfo is implemented by Sources that show /proc/sys/fs: files by
// their path below it ("inotify/max_user_watches"), each 0644 and owned by
// root. SetFSSysctl parses a write (EINVAL for a malformed value).
type FSSysctlInfo interface {
	FSSysctls() []string
	FSSysctl(name string) string
	SetFSSysctl(name, value string) error
}

// IPCInfo is implemented by Sources that show the caller's IPC namespace:
// /proc/sysvipc/{shm,sem,msg} and the IPC limits of /proc/sys/kernel.
type IPCInfo interface {
	// SysVIPCText is the text of /proc/sysvipc/KIND ("shm", "sem", "msg").
	SysVIPCText(ctx vfs.Context, kind string) string
	// IPCLimitNames are the limit files ("shmmax", "sem", ...).
	IPCLimitNames() []string
	// IPCLimit is the text of /proc/sys/kernel/NAME; SetIPCLimit parses a
	// write to it (EINVAL for a malformed value).
	IPCLimit(ctx vfs.Context, name string) string
	SetIPCLimit(ctx vfs.Context, name, value string) error
	// IPCLimitOwner is the kernel uid and gid that own the limit files
	// for the reader: root of the user namespace owning its IPC
	// namespace (0 when that namespace maps no root).
	IPCLimitOwner(ctx vfs.Context) (uid, gid uint32)
}
