package fake

import (
	"encoding/binary"
	"errors"
	"sync"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// MaxUserAddress is the end of the application's address range.
const MaxUserAddress = 0x7fff_ffff_0000

// Script is the application code of one thread.
type Script func(th *Thread)

// Platform is a platform.Platform whose contexts run scripts.
type Platform struct {
	mu sync.Mutex
	// scripts are the scripts of threads not started yet, in order.
	// Guarded by mu.
	scripts []Script
}

// New returns a platform whose threads run scripts, one per thread in
// the order the kernel creates them. A thread without a script exits
// with exit_group(0).
func New(scripts ...Script) *Platform { return &Platform{scripts: scripts} }

// Add appends scripts for threads created later.
func (p *Platform) Add(s ...Script) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.scripts = append(p.scripts, s...)
}

// Name implements platform.Platform.
func (*Platform) Name() string { return "fake" }

// MaxUserAddress implements platform.Platform.
func (*Platform) MaxUserAddress() uintptr { return MaxUserAddress }

// NewAddressSpace implements platform.Platform.
func (*Platform) NewAddressSpace() (platform.AddressSpace, error) {
	return &AddressSpace{}, nil
}

// NewContext implements platform.Platform: the context runs the next
// script.
func (p *Platform) NewContext() (platform.Context, error) {
	p.mu.Lock()
	var s Script
	if len(p.scripts) > 0 {
		s, p.scripts = p.scripts[0], p.scripts[1:]
	}
	p.mu.Unlock()
	if s == nil {
		s = func(th *Thread) { th.Syscall(sysExitGroup, 0) }
	}
	th := &Thread{
		turn:      make(chan *arch.Registers),
		done:      make(chan step),
		released:  make(chan struct{}),
		interrupt: make(chan struct{}, 1),
		ended:     make(chan struct{}),
	}
	go th.run(s)
	return &Context{th: th, fp: initialFPState()}, nil
}

// initialFPState is an XSAVE area holding x87 and SSE state as after
// execve (FNINIT, MXCSR 0x1f80), with kite's convention of the area's
// feature mask in the software-reserved bytes.
func initialFPState() arch.FPState {
	fp := make(arch.FPState, 512+64)
	le := binary.LittleEndian
	le.PutUint16(fp[0:], 0x37f)   // FCW
	le.PutUint32(fp[24:], 0x1f80) // MXCSR
	le.PutUint32(fp[28:], 0xffff) // MXCSR_MASK
	le.PutUint64(fp[464:], 3)     // features: x87 and SSE
	le.PutUint64(fp[512:], 3)     // XSTATE_BV
	return fp
}

// AddressSpace records nothing: mm keeps the memory.
type AddressSpace struct{}

// MapFile implements platform.AddressSpace.
func (*AddressSpace) MapFile(addr uintptr, off uint64, length uintptr, prot int) error { return nil }

// Unmap implements platform.AddressSpace.
func (*AddressSpace) Unmap(addr, length uintptr) error { return nil }

// Release implements platform.AddressSpace.
func (*AddressSpace) Release() {}

// step is what a script did with the CPU.
type step struct {
	ev    platform.Event
	fault platform.Fault
	err   error
}

// Context is a platform.Context running a script.
type Context struct {
	th *Thread
	fp arch.FPState
}

// ErrScriptDone is Switch's error once the script has returned: the
// context can no longer run application code.
var ErrScriptDone = errors.New("fake: the script has ended")

// Switch implements platform.Context: it hands regs to the script and
// waits for it to make a system call, take a fault or see an interrupt.
func (c *Context) Switch(_ platform.AddressSpace, regs *arch.Registers) (platform.Event, platform.Fault, error) {
	select {
	case c.th.turn <- regs:
	case <-c.th.ended:
		return 0, platform.Fault{}, ErrScriptDone
	}
	s := <-c.th.done
	return s.ev, s.fault, s.err
}

// FPState implements platform.Context.
func (c *Context) FPState() (arch.FPState, error) { return c.fp.Clone(), nil }

// SetFPState implements platform.Context: nil is the initial state.
func (c *Context) SetFPState(s arch.FPState) error {
	if s == nil {
		c.fp = initialFPState()
		return nil
	}
	c.fp = s.Clone()
	return nil
}

// Interrupt implements platform.Context: the script sees it in
// WaitInterrupt.
func (c *Context) Interrupt() {
	select {
	case c.th.interrupt <- struct{}{}:
	default:
	}
}

// Release implements platform.Context: a script still waiting for the
// CPU gives up (Thread.Exited reports it).
func (c *Context) Release() { c.th.releaseOnce.Do(func() { close(c.th.released) }) }

// errReleased unwinds a script whose context was released.
type errReleased struct{}

// Thread is the script's side of a context: the CPU as the script sees
// it.
type Thread struct {
	turn        chan *arch.Registers
	done        chan step
	released    chan struct{}
	releaseOnce sync.Once
	interrupt   chan struct{}
	ended       chan struct{}

	// regs is the register file while the script runs (between turns);
	// nil before the first turn.
	regs *arch.Registers
	// exited is set once the kernel stopped running this thread.
	exited bool
}

func (th *Thread) run(s Script) {
	defer close(th.ended)
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(errReleased); !ok {
				panic(r)
			}
		}
	}()
	th.wait()
	s(th)
	// The script returned while it had the CPU: the thread cannot go
	// on, as a real one falling off its code would fault.
	th.done <- step{err: ErrScriptDone}
}

// wait gives the CPU back and waits for the next turn.
func (th *Thread) wait() {
	select {
	case r := <-th.turn:
		th.regs = r
	case <-th.released:
		th.exited = true
		panic(errReleased{})
	}
}

// Regs returns the thread's registers as the kernel left them: the
// result of the last system call in Rax, a signal handler's frame after
// a delivery, the restarted call's registers after a restart. The script
// may change them before its next Syscall or Fault.
func (th *Thread) Regs() *arch.Registers { return th.regs }

// Syscall makes system call nr with args from the instruction at the
// current Rip (the `syscall` instruction is 2 bytes long: Rip moves past
// it, and a restart moves it back). It returns Rax once the kernel gives
// the CPU back. If the kernel never does (the thread exits), Syscall does
// not return.
func (th *Thread) Syscall(nr uintptr, args ...uintptr) uintptr {
	r := th.regs
	r.Orig_rax = uint64(nr)
	r.Rax = uint64(nr)
	regs := []*uint64{&r.Rdi, &r.Rsi, &r.Rdx, &r.R10, &r.R8, &r.R9}
	for i, a := range args {
		*regs[i] = uint64(a)
	}
	r.Rip += 2
	// Linux's syscall instruction clobbers rcx and r11.
	r.Rcx, r.R11 = r.Rip, r.Eflags
	th.done <- step{ev: platform.EventSyscall}
	th.wait()
	return uintptr(th.regs.Rax)
}

// Fault takes a synchronous exception f and returns once the kernel
// gives the CPU back (after a handler was set up, or a retry).
func (th *Thread) Fault(f platform.Fault) {
	th.done <- step{ev: platform.EventFault, fault: f}
	th.wait()
}

// WaitInterrupt runs "application code" until the kernel interrupts the
// thread (a signal for it, a stop, its exit), then returns once the
// kernel gives the CPU back.
func (th *Thread) WaitInterrupt() {
	select {
	case <-th.interrupt:
	case <-th.released:
		th.exited = true
		panic(errReleased{})
	}
	th.done <- step{ev: platform.EventInterrupt}
	th.wait()
}

// sysExitGroup is exit_group's number on amd64.
const sysExitGroup = 231

// ELF returns a minimal static x86-64 executable: one read-execute
// segment of a page at 0x400000 holding an infinite loop, entered at its
// start. Under this platform its code never runs: it gives the kernel an
// address space and a stack to set up.
func ELF() []byte {
	const (
		base   = 0x400000
		ehsize = 64
		phsize = 56
	)
	b := make([]byte, 4096)
	le := binary.LittleEndian
	copy(b, "\x7fELF")
	b[4], b[5], b[6] = 2, 1, 1 // ELFCLASS64, little-endian, version 1
	le.PutUint16(b[16:], 2)    // ET_EXEC
	le.PutUint16(b[18:], 62)   // EM_X86_64
	le.PutUint32(b[20:], 1)
	le.PutUint64(b[24:], base+ehsize+phsize) // entry: the code below
	le.PutUint64(b[32:], ehsize)             // phoff
	le.PutUint16(b[52:], ehsize)
	le.PutUint16(b[54:], phsize)
	le.PutUint16(b[56:], 1) // phnum
	ph := b[ehsize:]
	le.PutUint32(ph[0:], 1)                     // PT_LOAD
	le.PutUint32(ph[4:], 4|1)                   // PF_R|PF_X
	le.PutUint64(ph[8:], 0)                     // offset
	le.PutUint64(ph[16:], base)                 // vaddr
	le.PutUint64(ph[24:], base)                 // paddr
	le.PutUint64(ph[32:], 4096)                 // filesz
	le.PutUint64(ph[40:], 4096)                 // memsz
	le.PutUint64(ph[48:], 4096)                 // align
	copy(b[ehsize+phsize:], []byte{0xeb, 0xfe}) // jmp .
	return b
}
