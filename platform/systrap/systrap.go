package systrap

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// Platform is the systrap platform. Create it with New.
type Platform struct {
	// memfd is the memory file; it belongs to package mm.
	memfd int

	// Launcher starts the stubs: NewAddressSpace and Close.
	hostsys.Launcher[*addressSpace]

	// xstateSize is the size of the host's xsave area, initFP the state
	// of a fresh stub thread, features the user features of XCR0 and
	// mxcsrMask the MXCSR bits the CPU accepts; all set by New.
	xstateSize int
	initFP     arch.FPState
	features   uint64
	mxcsrMask  uint32

	// spinMode says how kite and the stub poll for each other (spin.go);
	// under SpinFixed, kiteSpin and stubSpin are the times they poll.
	// follow keeps each stub thread on the CPU of the kite thread that
	// serves it when the two do not poll. All set before the platform
	// is used.
	spinMode           SpinMode
	kiteSpin, stubSpin time.Duration
	follow             bool
	// gate says whether polling can pay now; pauseNs is the cost of one
	// PAUSE (the unit of the stub's polling), measured once when the
	// stub first polls (pauseOnce); cpus are the CPUs kite may run on,
	// in order, and allCPUs the same as a set, given back to a stub
	// thread that stops following.
	gate      spinGate
	pauseOnce sync.Once
	pauseNs   float64
	cpus      []int
	allCPUs   unix.CPUSet
}

// ptraceOptions are set on the stub threads kite traces (the main thread,
// new threads until they are set up). EXITKILL: a stub thread whose
// tracer thread dies is killed, so a kite crash never leaves a stub
// running.
const ptraceOptions = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACECLONE

var _ platform.Platform = (*Platform)(nil)

var (
	errReleased = errors.New("systrap: address space released")
	errClosed   = errors.New("systrap: platform closed")
)

// New returns a systrap platform whose address spaces map ranges of memfd.
// memfd stays owned by the caller. It starts one stub to check that
// ptrace and seccomp work and to learn the FP state layout.
func New(memfd int) (*Platform, error) {
	p := &Platform{memfd: memfd, follow: true}
	cpus, err := hostsys.CPUs()
	if err != nil {
		return nil, fmt.Errorf("systrap: sched_getaffinity: %w", err)
	}
	p.cpus, p.allCPUs, p.gate.ncpu = cpus, hostsys.HostCPUs(cpus, 0), int32(len(cpus))
	stub, err := hostsys.NewStub("systrap", stubImage, ptraceOptions)
	if err != nil {
		return nil, err
	}
	p.Init(stub, errClosed)
	if err := hostsys.QuietChildStops(); err != nil {
		p.Close()
		return nil, fmt.Errorf("systrap: SIGCHLD sigaction: %w", err)
	}
	a, err := p.probeFP()
	if err != nil {
		p.Close()
		return nil, err
	}
	p.StartSpares(a, p.newAddressSpace, (*addressSpace).Release)
	return p, nil
}

// SetSpin makes kite and the stub poll for each other's answer for fixed
// times, always (SpinFixed), instead of adaptively (spin.go). Tests and
// benchmarks use it, before the platform is used.
func (p *Platform) SetSpin(kite, stub time.Duration) {
	p.spinMode, p.kiteSpin, p.stubSpin = SpinFixed, kite, stub
}

// SetFollow turns CPU following on or off (see doc.go): with adaptive
// polling it applies to the Switches that do not poll. Call it before the
// platform is used.
func (p *Platform) SetFollow(on bool) { p.follow = on }

// Name implements platform.Platform.
func (p *Platform) Name() string { return "systrap" }

// MaxUserAddress implements platform.Platform: the threads' regions and
// the stub page lie above it.
func (p *Platform) MaxUserAddress() uintptr { return maxUserAddress }

// startStub starts a stub process traced by the calling OS thread, with
// the memory file as fd 0, regionFD as fd 1 and doneFD (the syscall
// thread's eventfd) as fd 2, and sets up its main thread: it never runs
// application code and takes no signal, the stub's signal handler, no new
// privileges.
//
// Preconditions: the calling goroutine is locked to its OS thread and stays
// so for the stub's whole life.
func (p *Platform) startStub(regionFD, doneFD int) (*hostsys.Thread, error) {
	t, err := p.Stub().Start([]uintptr{uintptr(p.memfd), uintptr(regionFD), uintptr(doneFD)})
	if err != nil {
		return nil, err
	}
	if _, err := t.Syscall(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, stubMaskAll, 0, 8); err != nil {
		return t.Kill(fmt.Errorf("systrap: stub rt_sigprocmask: %w", err))
	}
	if _, err := t.Syscall(unix.SYS_PRCTL, unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
		return t.Kill(fmt.Errorf("systrap: stub prctl: %w", err))
	}
	for _, sig := range handledSignals {
		if _, err := t.Syscall(unix.SYS_RT_SIGACTION, uintptr(sig), stubSigaction, 0, 8); err != nil {
			return t.Kill(fmt.Errorf("systrap: stub rt_sigaction: %w", err))
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
	fp, err := hostsys.ProbeXState("systrap", a.do, a.main.Tid, a.Release)
	if err != nil {
		return nil, err
	}
	p.xstateSize, p.initFP = len(fp), fp
	p.features = le.Uint64(p.initFP[fxSWReserved:])
	p.mxcsrMask = le.Uint32(p.initFP[fxMXCSRMask:])
	if p.mxcsrMask == 0 {
		p.mxcsrMask = 0xffbf
	}
	return a, nil
}
