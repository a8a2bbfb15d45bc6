package ptrace

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// Platform is the ptrace platform. Create it with New.
type Platform struct {
	// memfd is the memory file; it belongs to package mm.
	memfd int

	// stubFD is a sealed memfd holding the stub executable; stubPath
	// names it for execve.
	stubFD   int
	stubPath string

	// cpus are the CPUs kite may run on; Contexts are pinned round-robin
	// over them when pinning is on.
	cpus    []int
	nextCPU atomic.Uint32
	policy  atomic.Int32 // a CPUPolicy

	// xstateSize is the size of the host's NT_X86_XSTATE register set and
	// initFP the state of a fresh stub thread; both set by New.
	xstateSize int
	initFP     arch.FPState

	// spares delivers address spaces started ahead of need by refill;
	// closed is closed by Close, and refill then exits (wg).
	spares    chan spare
	closed    chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// spare is an address space started ahead, or the error starting it.
type spare struct {
	a   *addressSpace
	err error
}

var _ platform.Platform = (*Platform)(nil)

// errReleased is returned when an address space is used after Release.
var errReleased = errors.New("ptrace: address space released")

// errClosed is returned by NewAddressSpace after Close.
var errClosed = errors.New("ptrace: platform closed")

// New returns a ptrace platform whose address spaces map ranges of memfd.
// memfd stays owned by the caller: New never closes it. It starts one stub
// to check that ptrace works and to learn the FP state layout, and it adds
// SA_NOCLDSTOP to the process's SIGCHLD handler (see quietChildStops): a
// process-wide change, harmless to Go, that spares kite a signal per stop.
func New(memfd int) (*Platform, error) {
	p := &Platform{
		memfd:  memfd,
		stubFD: -1,
		spares: make(chan spare),
		closed: make(chan struct{}),
	}
	if err := p.writeStub(); err != nil {
		return nil, err
	}
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		p.Close()
		return nil, fmt.Errorf("ptrace: sched_getaffinity: %w", err)
	}
	for cpu := 0; cpu < 1024; cpu++ {
		if set.IsSet(cpu) {
			p.cpus = append(p.cpus, cpu)
		}
	}
	p.policy.Store(int32(defaultCPUPolicy))
	if err := quietChildStops(); err != nil {
		p.Close()
		return nil, fmt.Errorf("ptrace: SIGCHLD sigaction: %w", err)
	}
	a, err := p.probeFP()
	if err != nil {
		p.Close()
		return nil, err
	}
	p.wg.Add(1)
	go p.refillSpares(a)
	return p, nil
}

// NewAddressSpace implements platform.Platform. Starting a stub takes a
// few hundred microseconds, so the platform keeps one started ahead: the
// caller takes it and the next one starts in the background.
func (p *Platform) NewAddressSpace() (platform.AddressSpace, error) {
	select {
	case s := <-p.spares:
		if s.err != nil {
			return nil, s.err
		}
		return s.a, nil
	case <-p.closed:
		return nil, errClosed
	}
}

// refillSpares keeps one address space ready for NewAddressSpace, starting
// with first, until Close.
func (p *Platform) refillSpares(first *addressSpace) {
	defer p.wg.Done()
	next := spare{a: first}
	for {
		if next.a == nil && next.err == nil {
			next.a, next.err = p.newAddressSpace()
		}
		select {
		case p.spares <- next:
			next = spare{}
		case <-p.closed:
			if next.a != nil {
				next.a.Release()
			}
			return
		}
	}
}

// Close releases the platform's own host resources (not the memory file):
// the spare address space and the stub executable. Address spaces and
// Contexts must be released first. Without Close, what is left dies with
// kite.
func (p *Platform) Close() error {
	var err error
	p.closeOnce.Do(func() {
		close(p.closed)
		p.wg.Wait()
		if p.stubFD >= 0 {
			err = unix.Close(p.stubFD)
			p.stubFD = -1
		}
	})
	return err
}

// Name implements platform.Platform.
func (p *Platform) Name() string { return "ptrace" }

// MaxUserAddress implements platform.Platform: everything from the stub
// page up is the platform's.
func (p *Platform) MaxUserAddress() uintptr { return stubStart }

// CPUPolicy says how a Context's OS thread and its stub threads are placed
// on CPUs. Each Switch wakes the stub thread and each stop wakes kite
// again; a wake-up to another CPU costs tens of microseconds on our
// hosts, one on the same CPU a few (see doc.go for measurements).
type CPUPolicy int32

const (
	// CPUFollow leaves kite's OS thread free and, before each Switch,
	// restricts the stub thread to the CPU the OS thread is on (one
	// getcpu per Switch, one sched_setaffinity when it moved): wake-ups
	// stay on one CPU, and the scheduler can still move the pair away
	// from a busy CPU.
	CPUFollow CPUPolicy = iota
	// CPUPin pins the OS thread and its stub threads to one CPU, chosen
	// round-robin per Context (and the owner with the stub's main thread
	// per address space).
	CPUPin
	// CPUFree leaves placement to the host scheduler.
	CPUFree
)

// SetCPUPolicy sets the CPU policy of Contexts and address spaces created
// from now on.
func (p *Platform) SetCPUPolicy(c CPUPolicy) { p.policy.Store(int32(c)) }

func (p *Platform) cpuPolicy() CPUPolicy {
	if len(p.cpus) < 2 {
		return CPUFree
	}
	return CPUPolicy(p.policy.Load())
}

// writeStub puts the stub executable into a sealed memfd.
func (p *Platform) writeStub() error {
	fd, err := unix.MemfdCreate("kite-stub", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		// Hosts older than 6.3 do not know MFD_EXEC (and need not).
		fd, err = unix.MemfdCreate("kite-stub", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return fmt.Errorf("ptrace: memfd_create: %w", err)
	}
	if _, err := unix.Write(fd, stubImage); err != nil {
		unix.Close(fd)
		return fmt.Errorf("ptrace: writing stub: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return fmt.Errorf("ptrace: sealing stub: %w", err)
	}
	// Keep only a read-only descriptor: a host that refuses to execute a
	// file open for writing (ETXTBSY) then accepts it.
	ro, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("ptrace: reopening stub: %w", err)
	}
	p.stubFD = ro
	p.stubPath = fmt.Sprintf("/proc/self/fd/%d", ro)
	return nil
}

// startStub starts a stub process traced by the calling OS thread and
// strips its address space down to the stub page.
//
// Preconditions: the calling goroutine is locked to its OS thread and stays
// so for the stub's whole life (the stub's parent-death signal fires when
// this thread exits).
func (p *Platform) startStub() (*thread, error) {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var t *thread
		t, err = p.startStubOnce()
		if err == nil {
			return t, nil
		}
	}
	return nil, err
}

func (p *Platform) startStubOnce() (*thread, error) {
	pid, err := syscall.ForkExec(p.stubPath, []string{"kite-stub"}, &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{uintptr(p.memfd)}, // the memory file is fd 0 in the stub
		Sys: &syscall.SysProcAttr{
			Ptrace:    true,
			Pdeathsig: syscall.SIGKILL,
			Setsid:    true, // keep terminal signals of kite's session away
		},
	})
	if err == unix.EACCES {
		return nil, fmt.Errorf("ptrace: starting stub: %w (does vm.memfd_noexec forbid executing memfds?)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("ptrace: starting stub: %w", err)
	}
	t := &thread{tgid: pid, tid: pid, cpu: -1, waiter: &ownerWaiter{pgid: pid}}
	fail := func(err error) (*thread, error) {
		unix.Kill(pid, unix.SIGKILL)
		t.reap()
		return nil, err
	}
	ws, err := t.wait()
	if err != nil {
		return fail(t.errHost("wait", err))
	}
	if !ws.stopped() {
		// exec failed after the point of no return (the host stack took
		// the stub's address): the caller retries.
		t.dead = true
		return nil, t.errDied(ws)
	}
	if ws.stopSig() != int(unix.SIGTRAP) {
		return fail(fmt.Errorf("ptrace: stub %d stopped by signal %d after exec", pid, ws.stopSig()))
	}
	if err := ptrace(unix.PTRACE_SETOPTIONS, pid, 0, ptraceOptions); err != nil {
		return fail(t.errHost("SETOPTIONS", err))
	}
	if err := getRegs(pid, &t.base); err != nil {
		return fail(t.errHost("GETREGS", err))
	}
	// Unmap everything but the stub page: the host stack, vDSO and vvar.
	if _, err := t.syscall(unix.SYS_MUNMAP, 0, stubStart); err != nil {
		return fail(fmt.Errorf("ptrace: stub munmap: %w", err))
	}
	if _, err := t.syscall(unix.SYS_MUNMAP, stubEnd, taskSize-stubEnd); err != nil {
		return fail(fmt.Errorf("ptrace: stub munmap: %w", err))
	}
	// Only the memory file (fd 0) stays open in the stub, whatever kite
	// itself inherited without close-on-exec.
	if _, err := t.syscall(unix.SYS_CLOSE_RANGE, 1, ^uintptr(0)>>32, 0); err != nil && err != unix.ENOSYS {
		return fail(fmt.Errorf("ptrace: stub close_range: %w", err))
	}
	return t, nil
}

// probeFP learns the size of the xsave area and the initial FP state from
// the main thread of a fresh stub, and returns that stub's address space
// for later use.
func (p *Platform) probeFP() (*addressSpace, error) {
	a, err := p.newAddressSpace()
	if err != nil {
		return nil, err
	}
	var n int
	var gerr error
	buf := make([]byte, 64<<10)
	if err := a.do(func() {
		n, gerr = getRegset(a.main.tid, unix.NT_X86_XSTATE, buf)
	}); err != nil {
		a.Release()
		return nil, err
	}
	if err := gerr; err != nil {
		a.Release()
		return nil, fmt.Errorf("ptrace: reading xstate: %w", err)
	}
	if n < arch.FXSaveSize+64 {
		a.Release()
		return nil, fmt.Errorf("ptrace: xstate of %d bytes is too small", n)
	}
	p.xstateSize = n
	p.initFP = arch.FPState(buf[:n]).Clone()
	return a, nil
}
