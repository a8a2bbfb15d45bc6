package platformtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// Platform is a backend: a platform.Platform that can be closed.
type Platform interface {
	platform.Platform
	Close() error
}

// Backend describes a platform to the suite.
type Backend struct {
	// New returns a platform over the memory file memfd.
	New func(memfd int) (Platform, error)
	// StubPID returns the host process that runs as.
	StubPID func(as platform.AddressSpace) int
	// ThreadTID returns the host thread that runs c in as, after a
	// Switch of c there.
	ThreadTID func(c platform.Context, as platform.AddressSpace) int
	// Pending reports whether an Interrupt of c has not been reported
	// by a Switch yet.
	Pending func(c platform.Context) bool
	// XStateSize returns the size of p's FP state.
	XStateSize func(p Platform) int
	// Idle checks, after every Context that ran in as was released,
	// that as keeps nothing of them (with t.Error); released are the
	// host threads that ran them.
	Idle func(t *testing.T, as platform.AddressSpace, released []int)
	// StubStart is the stub's page (the first address MapFile refuses
	// is at or below it) and StubSyscall a system call instruction in
	// it.
	StubStart, StubSyscall uintptr
}

// Test layout: the memory file holds code at CodeOff, data at DataOff; the
// tests map them at CodeAddr (R+X) and DataAddr.
const (
	PageSize = 0x1000
	MemSize  = 1 << 20
	CodeOff  = 0
	DataOff  = 0x10000
	CodeAddr = 0x400000
	DataAddr = 0x500000
)

// Env is a platform over a fresh memory file, with one address space.
type Env struct {
	P     Platform
	Memfd int
	Mem   []byte
	AS    platform.AddressSpace
}

// NewEnv makes an Env of b's platform, released at the end of the test.
func NewEnv(t testing.TB, b Backend) *Env {
	t.Helper()
	fd, err := unix.MemfdCreate("kite-test-mem", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Ftruncate(fd, MemSize); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, MemSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	p, err := b.New(fd)
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{P: p, Memfd: fd, Mem: mem, AS: as}
	t.Cleanup(func() {
		e.AS.Release()
		p.Close()
		unix.Munmap(mem)
		unix.Close(fd)
	})
	return e
}

// LoadCode writes code at CodeOff and maps it at CodeAddr.
func (e *Env) LoadCode(t testing.TB, code []byte) {
	t.Helper()
	copy(e.Mem[CodeOff:], code)
	if err := e.AS.MapFile(CodeAddr, CodeOff, PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatalf("MapFile code: %v", err)
	}
}

// NewCtx returns a Context for the calling goroutine, which it locks until
// the end of the test.
func NewCtx(t testing.TB, p platform.Platform) platform.Context {
	t.Helper()
	runtime.LockOSThread()
	c, err := p.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Release()
		runtime.UnlockOSThread()
	})
	return c
}

// StartRegs returns the registers of a thread starting at rip.
func StartRegs(rip uintptr) arch.Registers {
	return arch.NewRegisters(rip, 0)
}

// SwitchOK is Switch, failing the test on an error.
func SwitchOK(t testing.TB, c platform.Context, as platform.AddressSpace, r *arch.Registers) (platform.Event, platform.Fault) {
	t.Helper()
	ev, f, err := c.Switch(as, r)
	if err != nil {
		t.Fatalf("Switch: %v", err)
	}
	return ev, f
}

// Instruction bytes used by the tests.
var (
	InsSyscall   = []byte{0x0f, 0x05}
	InsMovRdiRax = []byte{0x48, 0x89, 0xc7}             // mov rdi, rax
	InsStoreRax  = []byte{0x48, 0x89, 0x07}             // mov [rdi], rax
	InsLoadRdi   = []byte{0x48, 0x8b, 0x3f}             // mov rdi, [rdi]
	InsUD2       = []byte{0x0f, 0x0b}                   //
	InsInt3      = []byte{0xcc}                         //
	InsLoop      = []byte{0xeb, 0xfe}                   // jmp .
	InsMovqRdiX0 = []byte{0x66, 0x48, 0x0f, 0x7e, 0xc7} // movq rdi, xmm0
	InsMovqX1Rsi = []byte{0x66, 0x48, 0x0f, 0x6e, 0xce} // movq xmm1, rsi
	InsIncRdi    = []byte{0x48, 0xff, 0x07}             // inc qword [rdi]
)

// InsMovEaxImm is `mov eax, v`.
func InsMovEaxImm(v uint32) []byte { return binary.LittleEndian.AppendUint32([]byte{0xb8}, v) }

// InsJmpRel8 is `jmp rel` (from the end of the instruction).
func InsJmpRel8(rel int8) []byte { return []byte{0xeb, byte(rel)} }

// SyscallLoop is `loop: mov eax, nr; syscall; jmp loop`.
func SyscallLoop(nr uint32) []byte { return Cat(InsMovEaxImm(nr), InsSyscall, InsJmpRel8(-9)) }

// CountLoop is `loop: inc qword [rdi]; jmp loop`: run with rdi at
// DataAddr (MapCounter), it shows a test that application code runs.
func CountLoop() []byte { return Cat(InsIncRdi, InsJmpRel8(-5)) }

// MapCounter maps the data page writable at DataAddr and returns the
// counter there, which CountLoop increments.
func (e *Env) MapCounter(t testing.TB) *atomic.Uint64 {
	t.Helper()
	if err := e.AS.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatalf("MapFile data: %v", err)
	}
	return (*atomic.Uint64)(unsafe.Pointer(&e.Mem[DataOff]))
}

// WaitAdvance waits until n differs from from, that is until CountLoop
// has run, and returns the new value; it gives up after two minutes
// (ok false).
func WaitAdvance(n *atomic.Uint64, from uint64) (v uint64, ok bool) {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if v = n.Load(); v != from {
			return v, true
		}
		if time.Now().After(deadline) {
			return v, false
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// Cat concatenates instructions.
func Cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// PeekChildren asks whether this process has any child or tracee, without
// consuming a report (WNOWAIT): a wait4(-1) here would steal the ptrace
// stops the platform waits for. It returns ECHILD if there is none.
func PeekChildren() error {
	var info unix.Siginfo
	return unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
}

// Gone reports whether pid no longer runs (absent, or a zombie waiting for
// its new parent to reap it).
func Gone(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(st))
	return len(f) > 2 && (f[2] == "Z" || f[2] == "X")
}

// FaultTest runs code (after setup) to a fault, checks that resuming
// without fixing anything faults again the same way, and returns the
// fault and the registers.
func FaultTest(t *testing.T, b Backend, code []byte, setup func(e *Env, r *arch.Registers)) (platform.Fault, arch.Registers) {
	t.Helper()
	e := NewEnv(t, b)
	e.LoadCode(t, code)
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	if setup != nil {
		setup(e, &r)
	}
	ev, f := SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventFault {
		t.Fatalf("event %v, want fault", ev)
	}
	ev2, f2 := SwitchOK(t, c, e.AS, &r)
	if ev2 != platform.EventFault || f2 != f {
		t.Fatalf("refault: %v %+v, want %+v", ev2, f2, f)
	}
	return f, r
}
