package ptrace

import (
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
)

// Platform is the ptrace platform. Create it with New.
type Platform struct {
	// memfd is the memory file; it belongs to package mm.
	memfd int

	// Launcher starts the stubs: NewAddressSpace and Close.
	hostsys.Launcher[*addressSpace]

	// cpus are the CPUs kite may run on; Contexts are pinned round-robin
	// over them when pinning is on.
	cpus    []int
	nextCPU atomic.Uint32
	policy  atomic.Int32 // a CPUPolicy

	// xstateSize is the size of the host's NT_X86_XSTATE register set and
	// initFP the state of a fresh stub thread; both set by New.
	xstateSize int
	initFP     arch.FPState
}

var _ platform.Platform = (*Platform)(nil)

// errReleased is returned when an address space is used after Release.
var errReleased = errors.New("ptrace: address space released")

// errClosed is returned by NewAddressSpace after Close.
var errClosed = errors.New("ptrace: platform closed")

const (
	// syscallStopSig is the stop signal of a syscall-stop with
	// PTRACE_O_TRACESYSGOOD.
	syscallStopSig = int(unix.SIGTRAP) | 0x80

	// ptraceOptions are set on every stub thread. EXITKILL: a stub thread
	// whose tracer thread dies is killed, so a kite crash never leaves a
	// stub running application code.
	ptraceOptions = unix.PTRACE_O_EXITKILL | unix.PTRACE_O_TRACECLONE | unix.PTRACE_O_TRACESYSGOOD
)

// New returns a ptrace platform whose address spaces map ranges of memfd.
// memfd stays owned by the caller: New never closes it. It starts one stub
// to check that ptrace works and to learn the FP state layout, and it adds
// SA_NOCLDSTOP to the process's SIGCHLD handler (see
// hostsys.QuietChildStops): a process-wide change, harmless to Go, that
// spares kite a signal per stop.
func New(memfd int) (*Platform, error) {
	p := &Platform{memfd: memfd}
	stub, err := hostsys.NewStub("ptrace", stubImage, ptraceOptions)
	if err != nil {
		return nil, err
	}
	p.Init(stub, errClosed)
	if p.cpus, err = hostsys.CPUs(); err != nil {
		p.Close()
		return nil, fmt.Errorf("ptrace: sched_getaffinity: %w", err)
	}
	p.policy.Store(int32(defaultCPUPolicy))
	if err := hostsys.QuietChildStops(); err != nil {
		p.Close()
		return nil, fmt.Errorf("ptrace: SIGCHLD sigaction: %w", err)
	}
	a, err := p.probeFP()
	if err != nil {
		p.Close()
		return nil, err
	}
	p.StartSpares(a, p.newAddressSpace, (*addressSpace).Release)
	return p, nil
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

// probeFP learns the size of the xsave area and the initial FP state from
// the main thread of a fresh stub, and returns that stub's address space
// for later use.
func (p *Platform) probeFP() (*addressSpace, error) {
	a, err := p.newAddressSpace()
	if err != nil {
		return nil, err
	}
	fp, err := hostsys.ProbeXState("ptrace", a.do, a.main.Tid, a.Release)
	if err != nil {
		return nil, err
	}
	p.xstateSize, p.initFP = len(fp), fp
	return a, nil
}
