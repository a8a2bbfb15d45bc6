package proc

import (
	"github.com/kite-os/kite/auth"
	"github.com/kite-os/kite/vfs"
)

// Source is the kernel as procfs reads it.
type Source interface {
	// Process returns the process whose pid, as the caller (ctx) sees
	// pids, is pid; nil if there is none. The same process must give the
	// same Process value (comparable with ==) while it lives.
	Process(ctx vfs.Context, pid int32) Process
	// Processes lists the pids the caller can see, in increasing order.
	Processes(ctx vfs.Context) []int32
	// Self returns the caller's process and thread ids as the source
	// numbers them (0, 0 when it does not see the caller).
	Self(ctx vfs.Context) (tgid, tid int32)
	// ForMount returns the source a new procfs mount by ctx shows (a
	// kernel shows the PID namespace of the mounting process).
	ForMount(ctx vfs.Context) Source
}

// Process is one process (thread group) as procfs reads it. kernel.Task
// (the thread-group leader) implements it.
type Process interface {
	// ThreadGroupID is the process's pid.
	ThreadGroupID() int32
	// Credentials are the process's credentials (owner of /proc/PID).
	Credentials() *auth.Credentials
	// Executable is the path of the program image (zero Path if none).
	Executable() vfs.Path
	// FDTable is the process's fd table, nil once released.
	FDTable() *vfs.FDTable
	// FSContext is the process's root and cwd, nil once released.
	FSContext() *vfs.FSContext
}

// TimeNamespaceProcess is implemented by processes with a time
// namespace (kernel.Task): /proc/PID/timens_offsets reads and writes the
// offsets of the one its children enter.
type TimeNamespaceProcess interface {
	TimensOffsets() []byte
	SetTimensOffsets(ctx vfs.Context, text string) error
}

// CgroupProcess is implemented by processes that show
// /proc/PID/cgroup (kernel.Task).
type CgroupProcess interface {
	// Cgroups is the file's text: one "ID:CONTROLLERS:PATH" line per
	// hierarchy, the path relative to the reader's cgroup namespace.
	Cgroups() []byte
}

// NamespaceProcess is implemented by processes whose namespaces
// /proc/PID/ns shows (kernel.Task).
type NamespaceProcess interface {
	// NamespaceKinds are the link names ("ipc", "mnt", "user", "uts").
	NamespaceKinds() []string
	// NamespaceLink returns where link kind leads (an nsfs file) and the
	// text readlink gives ("uts:[4026531838]").
	NamespaceLink(ctx vfs.Context, kind string) (vfs.Path, string, error)
}
