package ptrace

import (
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// cloneFlags create a stub thread sharing everything with the stub.
const cloneFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM

// addressSpace is one stub process. Its owner goroutine, locked to its OS
// thread, started the stub, traces the stub's main thread and runs the
// requests sent on reqs: mapping changes from goroutines without a stub
// thread of their own, and the creation of stub threads.
type addressSpace struct {
	p *Platform

	// pid is the stub process; main is its main thread, traced by the
	// owner. Both are set before the owner accepts requests.
	pid  int
	main *thread

	// cpu is the CPU the owner and the stub's main thread are pinned to,
	// or -1. Set before the owner accepts requests.
	cpu int

	// reqs carries work to the owner; quit is closed once the owner has
	// stopped taking it.
	reqs chan func()
	quit chan struct{}

	// released is set (under mu) when Release starts.
	released atomic.Bool

	releaseOnce sync.Once

	mu sync.Mutex
	// threads maps the host tid of a kite OS thread to the stub thread it
	// traces in this address space. Guarded by mu.
	threads map[int]*thread
	// tids holds every stub thread cloned and not yet reaped by its
	// Context, so Release can reap them. Guarded by mu.
	tids map[int]struct{}
}

var _ platform.AddressSpace = (*addressSpace)(nil)

// NewAddressSpace implements platform.Platform.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	a, err := p.newAddressSpace()
	if err != nil {
		return nil, err
	}
	return a, nil
}

func (p *Platform) newAddressSpace() (*addressSpace, error) {
	a := &addressSpace{
		p:       p,
		cpu:     -1,
		reqs:    make(chan func()),
		quit:    make(chan struct{}),
		threads: make(map[int]*thread),
		tids:    make(map[int]struct{}),
	}
	ready := make(chan error)
	go a.owner(ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return a, nil
}

// owner is the owner goroutine. It never unlocks its OS thread: the stub's
// parent-death signal fires when that thread exits, which happens when
// this goroutine returns, after the stub is gone.
func (a *addressSpace) owner(ready chan<- error) {
	runtime.LockOSThread()
	t, err := a.p.startStub()
	if err != nil {
		ready <- err
		return
	}
	a.pid, a.main = t.tgid, t
	if a.p.pin.Load() && len(a.p.cpus) > 1 {
		a.cpu = a.p.pickCPU()
		pinThread(0, a.cpu)
		pinThread(t.tid, a.cpu)
	}
	ready <- nil
	for f := range a.reqs {
		f()
		if a.main.dead && a.released.Load() {
			close(a.quit)
			return
		}
	}
}

// do runs f on the owner goroutine and waits for it.
func (a *addressSpace) do(f func()) error {
	done := make(chan struct{})
	select {
	case a.reqs <- func() { f(); close(done) }:
	case <-a.quit:
		return errReleased
	}
	<-done
	return nil
}

// inject runs a system call in the stub: directly through the calling OS
// thread's own stub thread if it has one (no hand-off), else through the
// owner.
func (a *addressSpace) inject(nr uintptr, args ...uintptr) (uintptr, error) {
	if a.released.Load() {
		return 0, errReleased
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	a.mu.Lock()
	t := a.threads[gettid()]
	a.mu.Unlock()
	if t != nil && !t.dead {
		return t.syscall(nr, args...)
	}
	var ret uintptr
	var err error
	if e := a.do(func() { ret, err = a.main.syscall(nr, args...) }); e != nil {
		return 0, e
	}
	return ret, err
}

// checkRange validates an application range: page-aligned, non-empty and
// below the stub.
func checkRange(addr, length uintptr) error {
	if addr%pageSize != 0 || length%pageSize != 0 || length == 0 {
		return unix.EINVAL
	}
	if addr+length < addr || addr+length > stubStart {
		return unix.EINVAL
	}
	return nil
}

// MapFile implements platform.AddressSpace.
func (a *addressSpace) MapFile(addr uintptr, off uint64, length uintptr, prot int) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	if off%pageSize != 0 {
		return unix.EINVAL
	}
	prot &= unix.PROT_READ | unix.PROT_WRITE | unix.PROT_EXEC
	got, err := a.inject(unix.SYS_MMAP, addr, length, uintptr(prot),
		unix.MAP_SHARED|unix.MAP_FIXED, 0 /* the memory file */, uintptr(off))
	if err != nil {
		return err
	}
	if got != addr {
		return unix.EINVAL
	}
	return nil
}

// Unmap implements platform.AddressSpace.
func (a *addressSpace) Unmap(addr, length uintptr) error {
	if err := checkRange(addr, length); err != nil {
		return err
	}
	_, err := a.inject(unix.SYS_MUNMAP, addr, length)
	return err
}

// newThread clones a stub thread, points it at the pause loop and lets it
// go untraced, for a Context's OS thread to seize. It returns its tid.
func (a *addressSpace) newThread() (int, error) {
	var tid int
	var err error
	if e := a.do(func() { tid, err = a.cloneOnOwner() }); e != nil {
		return 0, e
	}
	return tid, err
}

func (a *addressSpace) cloneOnOwner() (int, error) {
	ret, err := a.main.syscall(unix.SYS_CLONE, cloneFlags, 0, 0, 0, 0)
	if err != nil {
		return 0, err
	}
	t := &thread{tgid: a.pid, tid: int(ret)}
	a.mu.Lock()
	a.tids[t.tid] = struct{}{}
	a.mu.Unlock()
	// PTRACE_O_TRACECLONE attached it to us; it starts with a SIGSTOP.
	ws, err := wait(t.tid)
	if err != nil {
		return 0, t.errHost("wait", err)
	}
	if !ws.stopped() {
		return 0, t.errDied(ws)
	}
	var r = a.main.base
	if err := getRegs(t.tid, &r); err != nil {
		return 0, t.errHost("GETREGS", err)
	}
	r.Rip = stubPause
	r.Orig_rax = ^uint64(0)
	if err := setRegs(t.tid, &r); err != nil {
		return 0, t.errHost("SETREGS", err)
	}
	if err := ptrace(unix.PTRACE_DETACH, t.tid, 0, 0); err != nil {
		return 0, t.errHost("DETACH", err)
	}
	return t.tid, nil
}

// Release implements platform.AddressSpace: it kills the stub and reaps
// every thread of it, including those other OS threads trace (a thread of
// kite may wait for the tracees of any other thread of kite).
func (a *addressSpace) Release() {
	a.releaseOnce.Do(func() {
		a.mu.Lock()
		a.released.Store(true)
		a.mu.Unlock()
		a.do(a.kill)
	})
}

// kill runs on the owner.
func (a *addressSpace) kill() {
	unix.Kill(a.pid, unix.SIGKILL)
	a.mu.Lock()
	tids := make([]int, 0, len(a.tids))
	for tid := range a.tids {
		tids = append(tids, tid)
	}
	a.tids = nil
	a.threads = nil
	a.mu.Unlock()
	// The leader is reported only after all other threads are reaped.
	for _, tid := range tids {
		(&thread{tgid: a.pid, tid: tid}).reap()
	}
	a.main.reap()
}
