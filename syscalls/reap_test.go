package syscalls_test

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/fs/proc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/platform/fake"
)

// TestReapedProcessesAreFreed forks and reaps many children (and threads
// that exit), opening each child's /proc/PID/stat first, and checks that
// kite's heap does not grow with their number: nothing of an exited,
// reaped task stays reachable from the kernel (it did through the futex
// manager's PI tombstones, about 8 KB a process, and through the cached
// dentries of /proc/PID, 15 KB). The bound is generous: a leaked task is
// several KB.
func TestReapedProcessesAreFreed(t *testing.T) {
	var p *fake.Platform
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const n = 1000
	var before, after uint64
	tg := bootFakePlatform(t, &p, func(k *kernel.Kernel) fake.Script {
		return func(th *fake.Thread) {
			task := k.TaskByID(1)
			v, fsc := k.VFS(), task.FSContext()
			if err := v.MkdirAt(task, fsc, fsc.Root(), "/proc", 0o555); err != nil {
				t.Error(err)
			} else if at, err := v.GetPath(task, fsc, fsc.Root(), "/proc", true); err != nil {
				t.Error(err)
			} else if err := v.Mount(task, at, proc.New(v, k.ProcSource()), 0); err != nil {
				t.Error(err)
			}
			mem := th.Syscall(unix.SYS_MMAP, 0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, ^uintptr(0), 0)
			path := mem + 4096
			round := func(n int) bool {
				for i := 0; i < n; i++ {
					p.Add(func(th *fake.Thread) { th.Syscall(unix.SYS_EXIT_GROUP, 0) })
					r := th.Syscall(unix.SYS_CLONE, uintptr(unix.SIGCHLD), 0, 0, 0, 0)
					if errno(r) != 0 {
						t.Errorf("fork %d: %v", i, errno(r))
						return false
					}
					task.CopyOut(path, append([]byte(fmt.Sprintf("/proc/%d/stat", r)), 0))
					fd := th.Syscall(unix.SYS_OPEN, path, unix.O_RDONLY, 0)
					if errno(fd) != 0 {
						t.Errorf("open /proc/%d/stat: %v", r, errno(fd))
						return false
					}
					th.Syscall(unix.SYS_CLOSE, fd)
					if w := th.Syscall(unix.SYS_WAIT4, r, 0, 0, 0); w != r {
						t.Errorf("wait4 = %d, want %d", int64(w), r)
						return false
					}
					// A thread that exits, joined through its
					// CLONE_CHILD_CLEARTID word (a shared futex wake, as
					// pthread_join waits for it).
					p.Add(func(th *fake.Thread) { th.Syscall(unix.SYS_EXIT, 0) })
					const flags = threadFlags | unix.CLONE_CHILD_CLEARTID | unix.CLONE_CHILD_SETTID
					tid := th.Syscall(unix.SYS_CLONE, flags, mem+4096, 0, mem, 0)
					if errno(tid) != 0 {
						t.Errorf("clone thread %d: %v", i, errno(tid))
						return false
					}
					for {
						r := th.Syscall(unix.SYS_FUTEX, mem, 0, tid, 0)
						if errno(r) == unix.EAGAIN {
							break
						}
					}
				}
				return true
			}
			// The first round warms up maps and caches that are
			// sized once.
			if round(100) {
				before = heap()
				if round(n) {
					after = heap()
				}
			}
			th.Syscall(unix.SYS_EXIT_GROUP, 0)
		}
	})
	waitExit(t, tg)
	if after == 0 {
		return
	}
	grow := int64(after) - int64(before)
	t.Logf("heap %d -> %d bytes over %d forks and threads", before, after, n)
	if per := grow / n; per > 1024 {
		t.Errorf("kite's heap grew by %d bytes per reaped process (%d -> %d)", per, before, after)
	}
}
