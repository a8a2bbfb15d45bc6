package ptrace

import (
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// cloneFlags create a stub thread sharing everything with the stub.
const cloneFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM

// addressSpace is one stub process. Its owner goroutine, locked to its OS
// thread, started the stub, traces the stub's main thread and runs the
// requests sent on reqs: mapping changes from goroutines without a stub
// thread of their own, and the creation of stub threads. It clones a
// spare stub thread ahead, so that a Context entering the address space
// need not wait for the owner (a hand-off to a locked goroutine costs
// 30-100us on a loaded 2-core host).
type addressSpace struct {
	p *Platform

	// pid is the stub process; main is its main thread, traced by the
	// owner and used only there. Both are set before the owner accepts
	// requests.
	pid  int
	main *thread

	// cpu is the CPU the owner and the stub's main thread are pinned to,
	// or -1. Set before the owner accepts requests.
	cpu int

	// reqs carries work to the owner; refill asks it for a new spare
	// thread; quit is closed by Release, and the owner then exits.
	reqs   chan func()
	refill chan struct{}
	quit   chan struct{}

	// released is set (under mu) when Release starts.
	released atomic.Bool

	releaseOnce sync.Once

	mu sync.Mutex
	// threads maps the host tid of a kite OS thread to the stub thread it
	// traces in this address space. Guarded by mu.
	threads map[int]*thread
	// tids holds every stub thread cloned and not yet reaped by its
	// Context. Guarded by mu; nil once released.
	tids map[int]struct{}
	// spare is an untraced stub thread in the pause loop, ready to be
	// seized, or 0. Guarded by mu.
	spare int

	// lastStopped is the stub thread whose Switch returned last: the
	// kernel usually changes mappings from the goroutine that has just
	// had a system call or fault from it, so inject tries it first
	// (trySyscall) before asking the host who the caller is.
	lastStopped atomic.Pointer[thread]
}

var _ platform.AddressSpace = (*addressSpace)(nil)

func (p *Platform) newAddressSpace() (*addressSpace, error) {
	a := &addressSpace{
		p:       p,
		cpu:     -1,
		reqs:    make(chan func()),
		refill:  make(chan struct{}, 1),
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
// this goroutine returns, after Release killed the stub. The thread's exit
// also detaches (and so frees) any tracee of it that Release did not
// reap.
func (a *addressSpace) owner(ready chan<- error) {
	runtime.LockOSThread()
	ht, err := a.p.Stub().Start([]uintptr{uintptr(a.p.memfd)}) // the memory file is fd 0 in the stub
	if err != nil {
		ready <- err
		return
	}
	t := newThread(ht)
	a.pid, a.main = t.Tgid, t
	policy := a.p.cpuPolicy()
	if policy == CPUPin {
		a.cpu = a.p.pickCPU()
		hostsys.PinThread(0, a.cpu)
		hostsys.PinThread(t.Tid, a.cpu)
	}
	a.cloneSpare()
	ready <- nil
	for {
		select {
		case f := <-a.reqs:
			if policy == CPUFollow {
				a.main.follow()
			}
			f()
		case <-a.refill:
			a.cloneSpare()
		case <-a.quit:
			return
		}
	}
}

// cloneSpare runs on the owner and makes a spare thread if there is none.
func (a *addressSpace) cloneSpare() {
	a.mu.Lock()
	have := a.spare != 0 || a.released.Load()
	a.mu.Unlock()
	if have {
		return
	}
	tid, err := a.cloneOnOwner()
	if err != nil {
		return
	}
	a.mu.Lock()
	if a.spare == 0 {
		a.spare = tid
	}
	a.mu.Unlock()
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
	if t := a.lastStopped.Load(); t != nil {
		if ret, err, ok := t.trySyscall(nr, args...); ok {
			return ret, err
		}
	}
	a.mu.Lock()
	t := a.threads[unix.Gettid()]
	a.mu.Unlock()
	if t != nil && !t.Dead {
		return t.syscall(nr, args...)
	}
	var ret uintptr
	var err error
	if e := a.do(func() { ret, err = a.main.syscall(nr, args...) }); e != nil {
		return 0, e
	}
	return ret, err
}

// MapFile implements platform.AddressSpace.
func (a *addressSpace) MapFile(addr uintptr, off uint64, length uintptr, prot int) error {
	return hostsys.MapFile(a.inject, stubStart, addr, off, length, prot)
}

// Unmap implements platform.AddressSpace.
func (a *addressSpace) Unmap(addr, length uintptr) error {
	return hostsys.Unmap(a.inject, stubStart, addr, length)
}

// newThread returns an untraced stub thread in the pause loop for a
// Context's OS thread to seize: the spare one if there is one, else one the
// owner clones now. The spare cloned at start serves the first Context
// (most address spaces only ever have one: a process that does not make
// threads); once a second is asked for, the owner keeps a spare again,
// for a program that makes several.
func (a *addressSpace) newThread() (int, error) {
	a.mu.Lock()
	tid := a.spare
	a.spare = 0
	a.mu.Unlock()
	if tid != 0 {
		return tid, nil
	}
	var err error
	if e := a.do(func() { tid, err = a.cloneOnOwner() }); e != nil {
		return 0, e
	}
	select {
	case a.refill <- struct{}{}:
	default:
	}
	return tid, err
}

// cloneOnOwner clones a stub thread, points it at the pause loop and lets
// it go untraced. It runs on the owner.
func (a *addressSpace) cloneOnOwner() (int, error) {
	ret, err := a.main.syscall(unix.SYS_CLONE, cloneFlags, 0, 0, 0, 0)
	if err != nil {
		return 0, err
	}
	t := a.main.Clone(int(ret))
	a.mu.Lock()
	if a.tids != nil {
		a.tids[t.Tid] = struct{}{}
	}
	a.mu.Unlock()
	// PTRACE_O_TRACECLONE attached it to us; it starts with a SIGSTOP.
	ws, err := t.Wait()
	if err != nil {
		return 0, t.ErrHost("wait", err)
	}
	if !ws.Stopped() {
		return 0, t.ErrDied(ws)
	}
	// While untraced it blocks every signal, so that a signal sent to the
	// stub process from outside goes to a traced thread (which kite
	// suppresses) rather than killing the stub through this one. The
	// injection also drops the pending SIGSTOP.
	if _, err := t.Syscall(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, stubMaskAll, 0, 8); err != nil {
		return 0, err
	}
	if err := t.Release(stubPause); err != nil {
		return 0, err
	}
	return t.Tid, nil
}

// Release implements platform.AddressSpace. It kills the stub, tells the
// owner to exit, and reaps every thread of the stub itself, including
// those other OS threads trace (any thread of a process may wait for the
// tracees and children of its other threads). It waits on the stub's
// process group (the stub is a session and group leader, and all its
// threads share the group), not on known tids: a thread cloned just as the
// stub died is reaped too. Waiting for the leader alone could hang, since
// the leader is reported only once every other thread is reaped.
func (a *addressSpace) Release() {
	a.releaseOnce.Do(func() {
		a.mu.Lock()
		a.released.Store(true)
		a.tids, a.threads, a.spare = nil, nil, 0
		a.mu.Unlock()
		unix.Kill(a.pid, unix.SIGKILL)
		close(a.quit)
		for {
			var ws unix.WaitStatus
			_, err := unix.Wait4(-a.pid, &ws, unix.WALL, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return // ECHILD: nothing of the stub is left
			}
		}
	})
}
