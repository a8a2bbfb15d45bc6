package systrap

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// cloneFlags create an application thread of the stub. CLONE_CHILD_CLEARTID
// (with the thread's state word as the address) makes the host zero the
// state word and wake kite when the thread exits.
const cloneFlags = unix.CLONE_VM | unix.CLONE_FS | unix.CLONE_FILES | unix.CLONE_SIGHAND |
	unix.CLONE_THREAD | unix.CLONE_SYSVSEM | unix.CLONE_CHILD_CLEARTID

// addressSpace is one stub process. Its owner goroutine, locked to its OS
// thread, started the stub, traces the stub's main thread and runs the
// requests sent on reqs: mapping changes and the creation of threads.
type addressSpace struct {
	p *Platform

	// pid is the stub process; main is its main thread, traced by the
	// owner and used only there. Both are set before the owner accepts
	// requests.
	pid  int
	main *hostsys.Thread

	// regionFD is the memfd holding every thread's region; regions is
	// kite's mapping of all of it. The mapping stays until refs drops
	// to zero: one reference for the address space until Release, one
	// for each Context thread until its Context lets it go, so that no
	// Context ever reads an unmapped region.
	regionFD int
	regions  []byte
	refs     atomic.Int32

	// doneFD is the eventfd the syscall thread (sysTid) reports on.
	doneFD int
	sysTid int

	// sysMu serializes requests to the syscall thread; sysSeq is the
	// number of the last one. Guarded by sysMu.
	sysMu  sync.Mutex
	sysSeq uint32
	// sysFollow keeps the syscall thread on its caller's CPU (follow).
	// Guarded by sysMu.
	sysFollow hostsys.Follower

	reqs chan func()
	quit chan struct{}

	released    atomic.Bool
	releaseOnce sync.Once

	mu sync.Mutex
	// stubRegions is how many regions (from index 0) the stub maps.
	// Guarded by mu.
	stubRegions int
	// free are regions whose threads have exited. Guarded by mu.
	free []int
	// live are the regions of threads that may be running. Guarded by mu.
	live map[int]struct{}
}

var _ platform.AddressSpace = (*addressSpace)(nil)

func (p *Platform) newAddressSpace() (*addressSpace, error) {
	fd, err := unix.MemfdCreate("kite-systrap-regions", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	if err := unix.Ftruncate(fd, maxRegions*regionSize); err != nil {
		unix.Close(fd)
		return nil, err
	}
	mem, err := unix.Mmap(fd, 0, maxRegions*regionSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_NORESERVE)
	if err != nil {
		unix.Close(fd)
		return nil, err
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Munmap(mem)
		unix.Close(fd)
		return nil, err
	}
	a := &addressSpace{
		p:         p,
		regionFD:  fd,
		regions:   mem,
		doneFD:    efd,
		sysFollow: hostsys.Follower{CPU: -1},
		reqs:      make(chan func()),
		quit:      make(chan struct{}),
		live:      make(map[int]struct{}),
	}
	a.refs.Store(1)
	ready := make(chan error)
	go a.owner(ready)
	if err := <-ready; err != nil {
		a.unref()
		return nil, err
	}
	return a, nil
}

// unref drops a reference to the regions mapping.
func (a *addressSpace) unref() {
	if a.refs.Add(-1) == 0 {
		unix.Munmap(a.regions)
		unix.Close(a.regionFD)
		unix.Close(a.doneFD)
	}
}

// owner is the owner goroutine; it never unlocks its OS thread (the stub's
// parent-death signal is tied to it).
func (a *addressSpace) owner(ready chan<- error) {
	runtime.LockOSThread()
	t, err := a.p.startStub(a.regionFD, a.doneFD)
	if err != nil {
		ready <- err
		return
	}
	a.pid, a.main = t.Tgid, t
	if err := a.startSysThread(); err != nil {
		t.Kill(nil)
		ready <- err
		return
	}
	ready <- nil
	for {
		select {
		case f := <-a.reqs:
			f()
		case <-a.quit:
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

// startSysThread maps the syscall thread's pages and starts it. It runs
// on the owner.
func (a *addressSpace) startSysThread() error {
	base := regionAddr(sysRegion)
	off := uintptr(sysRegion) * regionSize
	if _, err := a.main.Syscall(unix.SYS_MMAP, base, pageSize, unix.PROT_READ,
		unix.MAP_SHARED|unix.MAP_FIXED, 1, off); err != nil {
		return err
	}
	if _, err := a.main.Syscall(unix.SYS_MMAP, base+pageSize, pageSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED|unix.MAP_FIXED, 1, off+pageSize); err != nil {
		return err
	}
	t, err := a.cloneTraced(cloneFlags&^unix.CLONE_CHILD_CLEARTID, 0)
	if err != nil {
		return err
	}
	if _, err := t.Syscall(unix.SYS_SECCOMP, seccompSetModeFilter, 0, stubSysFprog); err != nil {
		return err
	}
	if err := t.Release(stubSysLoop); err != nil {
		return err
	}
	a.sysTid = t.Tid
	return nil
}

// cloneTraced clones a thread of the stub from the main thread; it is
// left stopped and traced by the owner. It runs on the owner.
func (a *addressSpace) cloneTraced(flags, ctid uintptr) (*hostsys.Thread, error) {
	ret, err := a.main.Syscall(unix.SYS_CLONE, flags, 0, 0, ctid, 0)
	if err != nil {
		return nil, err
	}
	t := a.main.Clone(int(ret))
	ws, err := t.Wait()
	if err != nil {
		return nil, t.ErrHost("wait", err)
	}
	if !ws.Stopped() {
		return nil, t.ErrDied(ws)
	}
	return t, nil
}

// inject runs a system call in the stub through the syscall thread: the
// request goes into its request page, which the stub maps read-only, and
// the answer comes on the eventfd, which no application thread can write
// (the value next to it can be, so it only tells which error).
func (a *addressSpace) inject(nr uintptr, args ...uintptr) (uintptr, error) {
	a.sysMu.Lock()
	defer a.sysMu.Unlock()
	if a.released.Load() {
		return 0, errReleased
	}
	sys := a.region(sysRegion)
	le.PutUint64(sys[8:], uint64(nr))
	for i := 0; i < 6; i++ {
		var v uintptr
		if i < len(args) {
			v = args[i]
		}
		le.PutUint64(sys[16+8*i:], uint64(v))
	}
	a.sysSeq++
	if a.sysSeq == 0 {
		a.sysSeq++
	}
	if a.p.follow {
		// The syscall thread runs where the caller waits for it.
		a.sysFollow.Follow(a.sysTid)
	}
	w := stateWord(sys)
	atomic.StoreUint32(w, a.sysSeq)
	hostsys.FutexWakeShared(w)
	var buf [8]byte
	for {
		n, err := unix.Read(a.doneFD, buf[:])
		if err == nil && n == 8 {
			break
		}
		if err != unix.EAGAIN && err != unix.EINTR {
			return 0, err
		}
		fds := []unix.PollFd{{Fd: int32(a.doneFD), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 100); n == 0 {
			if a.released.Load() || unix.Tgkill(a.pid, a.sysTid, 0) == unix.ESRCH {
				return 0, errReleased
			}
		}
	}
	switch le.Uint64(buf[:]) {
	case 1:
		ret := le.Uint64(sys[pageSize+8:])
		return uintptr(ret), nil
	case 2:
		ret := -int64(le.Uint64(sys[pageSize+8:]))
		if ret <= 0 || ret > 4095 {
			ret = int64(unix.EINVAL)
		}
		return 0, unix.Errno(ret)
	}
	return 0, fmt.Errorf("systrap: syscall thread of stub %d answered %d", a.pid, le.Uint64(buf[:]))
}

// MapFile implements platform.AddressSpace.
func (a *addressSpace) MapFile(addr uintptr, off uint64, length uintptr, prot int) error {
	return hostsys.MapFile(a.inject, maxUserAddress, addr, off, length, prot)
}

// Unmap implements platform.AddressSpace.
func (a *addressSpace) Unmap(addr, length uintptr) error {
	return hostsys.Unmap(a.inject, maxUserAddress, addr, length)
}

// regionAddr is where region r lies in the stub.
func regionAddr(r int) uintptr { return regionsBase + uintptr(r)*regionSize }

// region returns kite's view of region r.
func (a *addressSpace) region(r int) []byte {
	return a.regions[r*regionSize : (r+1)*regionSize : (r+1)*regionSize]
}

// stateWord returns the state word of a region.
func stateWord(ctl []byte) *uint32 { return (*uint32)(unsafe.Pointer(&ctl[ctlState])) }

// newThread makes an application thread in the stub, waiting in its
// handler to report itself, and returns its tid and region.
func (a *addressSpace) newThread() (tid, r int, err error) {
	if e := a.do(func() { tid, r, err = a.cloneOnOwner() }); e != nil {
		return 0, 0, e
	}
	return tid, r, err
}

// allocRegion returns a region for a new thread: one whose thread has
// exited, or a new one the stub maps now. It runs on the owner.
func (a *addressSpace) allocRegion() (int, error) {
	a.mu.Lock()
	for i := len(a.free) - 1; i >= 0; i-- {
		r := a.free[i]
		if atomic.LoadUint32(stateWord(a.region(r))) == stateDead {
			a.free = append(a.free[:i], a.free[i+1:]...)
			a.live[r] = struct{}{}
			a.mu.Unlock()
			return r, nil
		}
	}
	r := a.stubRegions
	a.mu.Unlock()
	if r >= sysRegion {
		return 0, unix.EAGAIN
	}
	if _, err := a.main.Syscall(unix.SYS_MMAP, regionAddr(r), regionSize, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_SHARED|unix.MAP_FIXED, 1 /* regionFD */, uintptr(r)*regionSize); err != nil {
		return 0, err
	}
	a.mu.Lock()
	a.stubRegions++
	a.live[r] = struct{}{}
	a.mu.Unlock()
	return r, nil
}

// freeRegion returns region r once its thread has exited (or is being
// told to).
func (a *addressSpace) freeRegion(r int) {
	a.mu.Lock()
	delete(a.live, r)
	if !a.released.Load() {
		a.free = append(a.free, r)
	}
	a.mu.Unlock()
}

// cloneOnOwner clones an application thread: it gets its region, its
// signal stack, a signal mask that blocks all but the signals its handler
// reports (so that a signal sent to the stub from outside stays pending
// rather than killing it) and the application filter, and is
// let go at the stub's start instruction, whose trap enters the handler.
func (a *addressSpace) cloneOnOwner() (int, int, error) {
	r, err := a.allocRegion()
	if err != nil {
		return 0, 0, err
	}
	ctl := a.region(r)
	base := regionAddr(r)
	clear(ctl[:pageSize])
	le.PutUint64(ctl[ctlAltStak:], uint64(base+pageSize))          // ss_sp
	le.PutUint64(ctl[ctlAltStak+16:], uint64(regionSize-pageSize)) // ss_size
	le.PutUint32(ctl[ctlSpin:], 0)
	atomic.StoreUint32(stateWord(ctl), stateRun)

	fail := func(err error) (int, int, error) {
		atomic.StoreUint32(stateWord(ctl), stateDead)
		a.freeRegion(r)
		return 0, 0, err
	}
	t, err := a.cloneTraced(cloneFlags, base+ctlState)
	if err != nil {
		return fail(err)
	}
	setup := []struct {
		nr   uintptr
		args []uintptr
	}{
		{unix.SYS_SIGALTSTACK, []uintptr{base + ctlAltStak, 0}},
		{unix.SYS_RT_SIGPROCMASK, []uintptr{unix.SIG_SETMASK, stubMaskApp, 0, 8}},
		{unix.SYS_SECCOMP, []uintptr{seccompSetModeFilter, 0, stubFprog}},
	}
	for _, s := range setup {
		if _, err := t.Syscall(s.nr, s.args...); err != nil {
			unix.Kill(a.pid, unix.SIGKILL)
			return fail(err)
		}
	}
	if err := t.Release(stubStartThr); err != nil {
		return fail(err)
	}
	return t.Tid, r, nil
}

// Release implements platform.AddressSpace. It kills the stub, wakes every
// Context waiting for one of its threads, tells the owner to exit and
// reaps the stub.
func (a *addressSpace) Release() {
	a.releaseOnce.Do(func() {
		a.mu.Lock()
		a.released.Store(true)
		live := a.live
		a.live, a.free = map[int]struct{}{}, nil
		a.mu.Unlock()
		unix.Kill(a.pid, unix.SIGKILL)
		for r := range live {
			w := stateWord(a.region(r))
			atomic.StoreUint32(w, stateDead)
			hostsys.FutexWakeShared(w)
		}
		close(a.quit)
		for {
			var ws unix.WaitStatus
			_, err := unix.Wait4(-a.pid, &ws, unix.WALL, nil)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				break
			}
		}
		a.unref()
	})
}
