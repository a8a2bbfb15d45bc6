package systrap

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// Platform is the systrap platform. Create it with New.
type Platform struct {
	// memfd is the memory file; it belongs to package mm.
	memfd int

	// stubFD is a sealed memfd holding the stub executable; stubPath
	// names it for execve.
	stubFD   int
	stubPath string

	// xstateSize is the size of the host's xsave area, initFP the state
	// of a fresh stub thread, features the user features of XCR0 and
	// mxcsrMask the MXCSR bits the CPU accepts; all set by New.
	xstateSize int
	initFP     arch.FPState
	features   uint64
	mxcsrMask  uint32

	// spin is how many times each side polls the other's answer before
	// it sleeps on the futex (see doc.go).
	kiteSpin int
	stubSpin uint32
	// follow keeps each stub thread on the CPU of the kite thread that
	// serves it.
	follow bool

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

var (
	errReleased = errors.New("systrap: address space released")
	errClosed   = errors.New("systrap: platform closed")
)

// Default spin counts: see doc.go for the measurements.
const (
	defaultKiteSpin = 200
	defaultStubSpin = 200
)

// New returns a systrap platform whose address spaces map ranges of memfd.
// memfd stays owned by the caller. It starts one stub to check that
// ptrace and seccomp work and to learn the FP state layout.
func New(memfd int) (*Platform, error) {
	p := &Platform{
		memfd:    memfd,
		stubFD:   -1,
		kiteSpin: defaultKiteSpin,
		stubSpin: defaultStubSpin,
		follow:   true,
		spares:   make(chan spare),
		closed:   make(chan struct{}),
	}
	if err := p.writeStub(); err != nil {
		return nil, err
	}
	if err := quietChildStops(); err != nil {
		p.Close()
		return nil, fmt.Errorf("systrap: SIGCHLD sigaction: %w", err)
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

// SetSpin sets how many times kite and the stub poll for the other side's
// answer before sleeping, for threads created from now on (stub) and
// every Switch (kite). Tests and benchmarks use it.
func (p *Platform) SetSpin(kite, stub int) {
	p.kiteSpin = kite
	p.stubSpin = uint32(stub)
}

// SetFollow turns CPU following on or off (see doc.go).
func (p *Platform) SetFollow(on bool) { p.follow = on }

// NewAddressSpace implements platform.Platform: the caller takes the
// address space started ahead and the next one starts in the background.
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

// Close releases the platform's own host resources (not the memory file).
// Address spaces and Contexts must be released first.
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
func (p *Platform) Name() string { return "systrap" }

// MaxUserAddress implements platform.Platform: the threads' regions and
// the stub page lie above it.
func (p *Platform) MaxUserAddress() uintptr { return maxUserAddress }

// writeStub puts the stub executable into a sealed memfd.
func (p *Platform) writeStub() error {
	fd, err := unix.MemfdCreate("kite-systrap-stub", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING|unix.MFD_EXEC)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate("kite-systrap-stub", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	}
	if err != nil {
		return fmt.Errorf("systrap: memfd_create: %w", err)
	}
	if _, err := unix.Write(fd, stubImage); err != nil {
		unix.Close(fd)
		return fmt.Errorf("systrap: writing stub: %w", err)
	}
	seals := unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return fmt.Errorf("systrap: sealing stub: %w", err)
	}
	ro, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", fd), unix.O_RDONLY|unix.O_CLOEXEC, 0)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("systrap: reopening stub: %w", err)
	}
	p.stubFD = ro
	p.stubPath = fmt.Sprintf("/proc/self/fd/%d", ro)
	return nil
}

// startStub starts a stub process traced by the calling OS thread, with
// the memory file as fd 0, regionFD as fd 1 and doneFD (the syscall
// thread's eventfd) as fd 2, and strips its address space down to the
// stub page.
//
// Preconditions: the calling goroutine is locked to its OS thread and stays
// so for the stub's whole life.
func (p *Platform) startStub(regionFD, doneFD int) (*thread, error) {
	var err error
	for attempt := 0; attempt < 8; attempt++ {
		var t *thread
		t, err = p.startStubOnce(regionFD, doneFD)
		if err == nil {
			return t, nil
		}
	}
	return nil, err
}

func (p *Platform) startStubOnce(regionFD, doneFD int) (*thread, error) {
	pid, err := syscall.ForkExec(p.stubPath, []string{"kite-stub"}, &syscall.ProcAttr{
		Env:   []string{},
		Files: []uintptr{uintptr(p.memfd), uintptr(regionFD), uintptr(doneFD)},
		Sys: &syscall.SysProcAttr{
			Ptrace:    true,
			Pdeathsig: syscall.SIGKILL,
			Setsid:    true,
		},
	})
	if err == unix.EACCES {
		return nil, fmt.Errorf("systrap: starting stub: %w (does vm.memfd_noexec forbid executing memfds?)", err)
	}
	if err != nil {
		return nil, fmt.Errorf("systrap: starting stub: %w", err)
	}
	t := &thread{tgid: pid, tid: pid, waiter: &ownerWaiter{pgid: pid}}
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
		t.dead = true
		return nil, t.errDied(ws)
	}
	if ws.stopSig() != int(unix.SIGTRAP) {
		return fail(fmt.Errorf("systrap: stub %d stopped by signal %d after exec", pid, ws.stopSig()))
	}
	if err := ptrace(unix.PTRACE_SETOPTIONS, pid, 0, ptraceOptions); err != nil {
		return fail(t.errHost("SETOPTIONS", err))
	}
	if err := getRegs(pid, &t.base); err != nil {
		return fail(t.errHost("GETREGS", err))
	}
	steps := []struct {
		name string
		nr   uintptr
		args []uintptr
	}{
		{"munmap", unix.SYS_MUNMAP, []uintptr{0, stubStart}},
		{"munmap", unix.SYS_MUNMAP, []uintptr{stubEnd, taskSize - stubEnd}},
		{"close_range", unix.SYS_CLOSE_RANGE, []uintptr{3, ^uintptr(0) >> 32, 0}},
		// The main thread never runs application code and takes no
		// signal; application threads unblock theirs.
		{"rt_sigprocmask", unix.SYS_RT_SIGPROCMASK, []uintptr{unix.SIG_SETMASK, stubMaskAll, 0, 8}},
		{"prctl", unix.SYS_PRCTL, []uintptr{unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0}},
	}
	for _, sig := range handledSignals {
		steps = append(steps, struct {
			name string
			nr   uintptr
			args []uintptr
		}{"rt_sigaction", unix.SYS_RT_SIGACTION, []uintptr{uintptr(sig), stubSigaction, 0, 8}})
	}
	for _, s := range steps {
		if _, err := t.syscall(s.nr, s.args...); err != nil {
			if s.nr == unix.SYS_CLOSE_RANGE && err == unix.ENOSYS {
				continue
			}
			return fail(fmt.Errorf("systrap: stub %s: %w", s.name, err))
		}
	}
	return t, nil
}

// handledSignals are the signals the stub's handler reports to kite:
// SIGSYS (a system call), the synchronous faults, and interruptSignal.
var handledSignals = []unix.Signal{
	unix.SIGSYS, unix.SIGSEGV, unix.SIGBUS, unix.SIGFPE, unix.SIGILL, unix.SIGTRAP, interruptSignal,
}

// probeFP learns the size of the xsave area and the initial FP state from
// the main thread of a fresh stub, and returns that stub's address space.
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
		return nil, fmt.Errorf("systrap: reading xstate: %w", err)
	}
	if n < arch.FXSaveSize+64 {
		a.Release()
		return nil, fmt.Errorf("systrap: xstate of %d bytes is too small", n)
	}
	p.xstateSize = n
	p.initFP = arch.FPState(buf[:n]).Clone()
	p.features = le.Uint64(p.initFP[fxSWReserved:])
	p.mxcsrMask = le.Uint32(p.initFP[fxMXCSRMask:])
	if p.mxcsrMask == 0 {
		p.mxcsrMask = 0xffbf
	}
	return a, nil
}
