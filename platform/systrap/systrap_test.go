package systrap

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// Test layout: the memory file holds code at codeOff, data at dataOff; the
// tests map them at codeAddr (R+X) and dataAddr.
const (
	memSize  = 1 << 20
	codeOff  = 0
	dataOff  = 0x10000
	codeAddr = 0x400000
	dataAddr = 0x500000
)

type env struct {
	p     *Platform
	memfd int
	mem   []byte
	as    platform.AddressSpace
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fd, err := unix.MemfdCreate("kite-test-mem", unix.MFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Ftruncate(fd, memSize); err != nil {
		t.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, memSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(fd)
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{p: p, memfd: fd, mem: mem, as: as}
	t.Cleanup(func() {
		e.as.Release()
		p.Close()
		unix.Munmap(mem)
		unix.Close(fd)
	})
	return e
}

// loadCode writes code at codeOff and maps it at codeAddr.
func (e *env) loadCode(t *testing.T, code []byte) {
	t.Helper()
	copy(e.mem[codeOff:], code)
	if err := e.as.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatalf("MapFile code: %v", err)
	}
}

// newCtx returns a Context for the calling goroutine, which it locks.
func newCtx(t *testing.T, p *Platform) platform.Context {
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

func startRegs(rip uintptr) arch.Registers {
	return arch.NewRegisters(rip, 0)
}

func switchOK(t *testing.T, c platform.Context, as platform.AddressSpace, r *arch.Registers) (platform.Event, platform.Fault) {
	t.Helper()
	ev, f, err := c.Switch(as, r)
	if err != nil {
		t.Fatalf("Switch: %v", err)
	}
	return ev, f
}

// Instruction bytes used by the tests.
var (
	insSyscall   = []byte{0x0f, 0x05}
	insMovRdiRax = []byte{0x48, 0x89, 0xc7}             // mov rdi, rax
	insStoreRax  = []byte{0x48, 0x89, 0x07}             // mov [rdi], rax
	insLoadRdi   = []byte{0x48, 0x8b, 0x3f}             // mov rdi, [rdi]
	insUD2       = []byte{0x0f, 0x0b}                   //
	insInt3      = []byte{0xcc}                         //
	insLoop      = []byte{0xeb, 0xfe}                   // jmp .
	insMovqRdiX0 = []byte{0x66, 0x48, 0x0f, 0x7e, 0xc7} // movq rdi, xmm0
	insMovqX1Rsi = []byte{0x66, 0x48, 0x0f, 0x6e, 0xce} // movq xmm1, rsi
	insMovEaxImm = func(v uint32) []byte { return binary.LittleEndian.AppendUint32([]byte{0xb8}, v) }
	insJmpRel8   = func(rel int8) []byte { return []byte{0xeb, byte(rel)} }
)

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestStubMaps(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	switchOK(t, c, e.as, &r)
	a := e.as.(*addressSpace)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stub maps:\n%s", maps)
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		if strings.HasPrefix(line, fmt.Sprintf("%x-%x ", stubStart, stubEnd)) || strings.HasSuffix(line, "[vsyscall]") ||
			strings.HasPrefix(line, fmt.Sprintf("%08x-%08x ", codeAddr, codeAddr+pageSize)) ||
			strings.HasPrefix(line, fmt.Sprintf("%x-%x rw-s 00000000 ", regionAddr(0), regionAddr(1))) ||
			strings.HasPrefix(line, fmt.Sprintf("%x-%x r--s %08x ", regionAddr(sysRegion), regionAddr(sysRegion)+pageSize, sysRegion*regionSize)) ||
			strings.HasPrefix(line, fmt.Sprintf("%x-%x rw-s %08x ", regionAddr(sysRegion)+pageSize, regionAddr(sysRegion)+2*pageSize, sysRegion*regionSize+pageSize)) {
			continue
		}
		t.Errorf("unexpected mapping in stub: %s", line)
	}
	// Only the application thread runs under the filter (it waits in
	// its handler now, so it blocks every signal, as the main thread
	// does always).
	status := func(tid int) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/status", a.pid, tid))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if s := status(a.pid); !strings.Contains(s, "Seccomp:\t0") {
		t.Errorf("stub main thread:\n%s", s)
	}
	tid := c.(*context).threads[a].tid
	if s := status(tid); !strings.Contains(s, "Seccomp:\t2") {
		t.Errorf("stub thread:\n%s", s)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 3 || fds[0].Name() != "0" || fds[1].Name() != "1" || fds[2].Name() != "2" {
		t.Errorf("stub fds: %v, want 0, 1 and 2", fds)
	}
}

func TestSyscallEvent(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall, insMovRdiRax, insSyscall))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = 1, 11, 12, 13, 14, 15, 16
	ev, _ := switchOK(t, c, e.as, &r)
	if ev != platform.EventSyscall {
		t.Fatalf("event %v, want syscall", ev)
	}
	nr, args := arch.Syscall(&r)
	if nr != 1 || args != (arch.SyscallArgs{11, 12, 13, 14, 15, 16}) {
		t.Fatalf("syscall %d %v", nr, args)
	}
	if r.Rip != codeAddr+2 {
		t.Fatalf("rip %#x, want %#x", r.Rip, codeAddr+2)
	}
	arch.SetReturn(&r, 42)
	ev, _ = switchOK(t, c, e.as, &r)
	if ev != platform.EventSyscall || r.Rdi != 42 || r.Orig_rax != 42 {
		t.Fatalf("second event %v rdi %d orig_rax %d, want syscall 42 42", ev, r.Rdi, r.Orig_rax)
	}
}

func TestSyscallRepeat(t *testing.T) {
	e := newEnv(t)
	// loop: mov eax, 39; syscall; jmp loop
	e.loadCode(t, cat(insMovEaxImm(39), insSyscall, insJmpRel8(-9)))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	for i := 0; i < 1000; i++ {
		ev, _ := switchOK(t, c, e.as, &r)
		if ev != platform.EventSyscall || r.Orig_rax != 39 {
			t.Fatalf("iteration %d: event %v nr %d", i, ev, r.Orig_rax)
		}
		r.Rax = uint64(i)
	}
}

func faultTest(t *testing.T, code []byte, setup func(e *env, r *arch.Registers)) (platform.Fault, arch.Registers) {
	t.Helper()
	e := newEnv(t)
	e.loadCode(t, code)
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	if setup != nil {
		setup(e, &r)
	}
	ev, f := switchOK(t, c, e.as, &r)
	if ev != platform.EventFault {
		t.Fatalf("event %v, want fault", ev)
	}
	// Resuming without fixing anything faults again at the same place.
	ev2, f2 := switchOK(t, c, e.as, &r)
	if ev2 != platform.EventFault || f2 != f {
		t.Fatalf("refault: %v %+v, want %+v", ev2, f2, f)
	}
	return f, r
}

func TestFaultReadOnly(t *testing.T) {
	f, r := faultTest(t, insStoreRax, func(e *env, r *arch.Registers) {
		if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err != nil {
			t.Fatal(err)
		}
		r.Rdi = dataAddr + 0x10
	})
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 2 /* SEGV_ACCERR */, Addr: dataAddr + 0x10}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
	if r.Rip != codeAddr {
		t.Fatalf("rip %#x, want %#x", r.Rip, codeAddr)
	}
}

func TestFaultUnmapped(t *testing.T) {
	f, _ := faultTest(t, insStoreRax, func(e *env, r *arch.Registers) { r.Rdi = 0x700008 })
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1 /* SEGV_MAPERR */, Addr: 0x700008}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
}

func TestFaultStubIsNotUser(t *testing.T) {
	// Jumping into the stub page's syscall with a number the filter
	// does not allow from there traps like any other: the stub never
	// runs a host system call for the application.
	e := newEnv(t)
	c := newCtx(t, e.p)
	r := startRegs(stubSyscall)
	r.Rax = unix.SYS_GETPID
	ev, _ := switchOK(t, c, e.as, &r)
	if ev != platform.EventSyscall || r.Orig_rax != unix.SYS_GETPID {
		t.Fatalf("event %v nr %d", ev, r.Orig_rax)
	}
	if err := e.as.Unmap(stubStart, pageSize); err != unix.EINVAL {
		t.Fatalf("Unmap of the stub: %v, want EINVAL", err)
	}
}

func TestFaultUD2(t *testing.T) {
	f, _ := faultTest(t, insUD2, nil)
	if f.Signo != int32(unix.SIGILL) || f.Code != 2 /* ILL_ILLOPN */ || f.Addr != codeAddr {
		t.Fatalf("fault %+v", f)
	}
}

func TestFaultInt3(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insInt3, insSyscall))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	ev, f := switchOK(t, c, e.as, &r)
	if ev != platform.EventFault || f.Signo != int32(unix.SIGTRAP) {
		t.Fatalf("event %v %+v, want SIGTRAP fault", ev, f)
	}
	if r.Rip != codeAddr+1 {
		t.Fatalf("rip %#x, want %#x", r.Rip, codeAddr+1)
	}
	// The trap is suppressed: resuming continues after the int3.
	r.Rax = 7
	ev, _ = switchOK(t, c, e.as, &r)
	if ev != platform.EventSyscall || r.Orig_rax != 7 {
		t.Fatalf("after int3: %v nr %d", ev, r.Orig_rax)
	}
}

func TestMapFileSharing(t *testing.T) {
	e := newEnv(t)
	// mov [rdi], rax; mov rdi, [rsi]... : store rax at [rdi], syscall,
	// then load [rdi] into rdi, syscall.
	e.loadCode(t, cat(insStoreRax, insSyscall, insLoadRdi, insSyscall))
	if err := e.as.MapFile(dataAddr, dataOff, 2*pageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	r.Rdi = dataAddr + pageSize + 8
	r.Rax = 0x1122334455667788
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventSyscall {
		t.Fatalf("event %v", ev)
	}
	if got := binary.LittleEndian.Uint64(e.mem[dataOff+pageSize+8:]); got != 0x1122334455667788 {
		t.Fatalf("memory file holds %#x", got)
	}
	binary.LittleEndian.PutUint64(e.mem[dataOff+pageSize+8:], 0xcafe)
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventSyscall || r.Rdi != 0xcafe {
		t.Fatalf("event %v rdi %#x, want 0xcafe", ev, r.Rdi)
	}

	// After Unmap the same store faults.
	if err := e.as.Unmap(dataAddr, 2*pageSize); err != nil {
		t.Fatal(err)
	}
	r.Rip, r.Rdi = codeAddr, dataAddr+pageSize+8
	ev, f := switchOK(t, c, e.as, &r)
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1, Addr: dataAddr + pageSize + 8}
	if ev != platform.EventFault || f != want {
		t.Fatalf("after Unmap: %v %+v, want fault %+v", ev, f, want)
	}
}

func TestMapFileOffset(t *testing.T) {
	e := newEnv(t)
	// Two addresses mapping the same page of the file see each other.
	e.loadCode(t, cat(insStoreRax, insSyscall))
	for _, addr := range []uintptr{dataAddr, dataAddr + 0x100000} {
		if err := e.as.MapFile(addr, dataOff+3*pageSize, pageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			t.Fatal(err)
		}
	}
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	r.Rdi, r.Rax = dataAddr+0x100000+16, 99
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventSyscall {
		t.Fatalf("event %v", ev)
	}
	if got := binary.LittleEndian.Uint64(e.mem[dataOff+3*pageSize+16:]); got != 99 {
		t.Fatalf("memory file holds %d", got)
	}
	if err := e.as.MapFile(0, 0, pageSize, unix.PROT_READ); err != nil {
		t.Fatalf("MapFile at 0: %v", err)
	}
	if err := e.as.MapFile(stubStart-pageSize, 0, 2*pageSize, unix.PROT_READ); err != unix.EINVAL {
		t.Fatalf("MapFile over the stub: %v, want EINVAL", err)
	}
}

func TestInterrupt(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, insLoop)
	c := newCtx(t, e.p)

	// Before Switch: the next Switch returns at once.
	c.Interrupt()
	r := startRegs(codeAddr)
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventInterrupt {
		t.Fatalf("event %v, want interrupt", ev)
	}

	// During Switch, from another goroutine.
	for i := 0; i < 20; i++ {
		done := make(chan struct{})
		go func() {
			defer close(done)
			time.Sleep(time.Duration(i%4) * time.Millisecond)
			c.Interrupt()
		}()
		ev, _ := switchOK(t, c, e.as, &r)
		<-done
		if ev != platform.EventInterrupt {
			t.Fatalf("round %d: event %v, want interrupt", i, ev)
		}
		if r.Rip != codeAddr {
			t.Fatalf("rip %#x", r.Rip)
		}
	}
}

func TestInterruptNotLost(t *testing.T) {
	// A syscall loop with interrupts raining: every Interrupt is seen by
	// some Switch, and a Switch never returns interrupt without one.
	e := newEnv(t)
	e.loadCode(t, cat(insMovEaxImm(39), insSyscall, insJmpRel8(-9)))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	var mu sync.Mutex
	sent := 0
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			mu.Lock()
			sent++
			c.Interrupt()
			mu.Unlock()
			time.Sleep(50 * time.Microsecond)
		}
	}()
	got := 0
	for i := 0; i < 3000; i++ {
		ev, _ := switchOK(t, c, e.as, &r)
		if ev == platform.EventInterrupt {
			got++
		}
	}
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	if got == 0 || got > sent {
		t.Fatalf("%d interrupts seen for %d sent", got, sent)
	}
	// The last one is not lost.
	if !c.(*context).interrupted.Load() {
		// All consumed: fine. Otherwise the next Switch must report it.
		return
	}
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventInterrupt {
		t.Fatalf("pending interrupt lost: %v", ev)
	}
}

func TestFPState(t *testing.T) {
	e := newEnv(t)
	// movq rdi, xmm0; movq xmm1, rsi; syscall
	e.loadCode(t, cat(insMovqRdiX0, insMovqX1Rsi, insSyscall))
	c := newCtx(t, e.p)

	fp, err := c.FPState()
	if err != nil {
		t.Fatal(err)
	}
	if len(fp) != e.p.xstateSize {
		t.Fatalf("FPState of %d bytes, want %d", len(fp), e.p.xstateSize)
	}
	// xmm0 lives at byte 160 of the FXSAVE area; bit 1 of XSTATE_BV (at
	// byte 512) says the SSE state is not in its initial configuration.
	binary.LittleEndian.PutUint64(fp[160:], 0xdeadbeef12345678)
	binary.LittleEndian.PutUint64(fp[512:], binary.LittleEndian.Uint64(fp[512:])|2)
	if err := c.SetFPState(fp); err != nil {
		t.Fatal(err)
	}
	r := startRegs(codeAddr)
	r.Rsi = 0x0badf00d
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventSyscall {
		t.Fatalf("event %v", ev)
	}
	if r.Rdi != 0xdeadbeef12345678 {
		t.Fatalf("app read xmm0 = %#x", r.Rdi)
	}
	fp2, err := c.FPState()
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint64(fp2[176:]); got != 0x0badf00d {
		t.Fatalf("xmm1 = %#x after the app set it", got)
	}

	// The state follows the Context into another address space.
	as2, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as2.Release()
	if err := as2.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	r = startRegs(codeAddr)
	if ev, _ := switchOK(t, c, as2, &r); ev != platform.EventSyscall || r.Rdi != 0xdeadbeef12345678 {
		t.Fatalf("in second address space: %v xmm0 %#x", ev, r.Rdi)
	}

	// nil: the initial state.
	if err := c.SetFPState(nil); err != nil {
		t.Fatal(err)
	}
	r = startRegs(codeAddr)
	if ev, _ := switchOK(t, c, e.as, &r); ev != platform.EventSyscall || r.Rdi != 0 {
		t.Fatalf("after reset: %v xmm0 %#x", ev, r.Rdi)
	}
	fp3, _ := c.FPState()
	if binary.LittleEndian.Uint32(fp3[24:]) != 0x1f80 {
		t.Fatalf("mxcsr %#x after reset", binary.LittleEndian.Uint32(fp3[24:]))
	}
}

func TestTwoContextsOneAddressSpace(t *testing.T) {
	e := newEnv(t)
	// loop: mov [rdi], rax (rdi per thread); syscall; jmp loop
	e.loadCode(t, cat(insStoreRax, insSyscall, insJmpRel8(-7)))
	if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := e.p.NewContext()
			if err != nil {
				errs <- err
				return
			}
			defer c.Release()
			r := startRegs(codeAddr)
			r.Rdi = dataAddr + uint64(8*g)
			for i := 1; i <= 500; i++ {
				r.Rax = uint64(i)
				ev, f, err := c.Switch(e.as, &r)
				if err != nil || ev != platform.EventSyscall {
					errs <- fmt.Errorf("goroutine %d: i %d %v %v %+v %#x", g, i, ev, err, f, r.Rip)
					return
				}
				// A mapping change from a thread with a stub thread
				// takes the direct path.
				if i%100 == 0 {
					if err := e.as.MapFile(dataAddr+pageSize*uintptr(1+g), dataOff, pageSize, unix.PROT_READ); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for g := 0; g < 2; g++ {
		if got := binary.LittleEndian.Uint64(e.mem[dataOff+8*g:]); got != 500 {
			t.Fatalf("thread %d wrote %d", g, got)
		}
	}
}

// peekChildren asks whether this process has any child or tracee, without
// consuming a report (WNOWAIT): a wait4(-1) here would steal the ptrace
// stops the platform waits for. It returns ECHILD if there is none.
func peekChildren() error {
	var info unix.Siginfo
	return unix.Waitid(unix.P_ALL, 0, &info, unix.WEXITED|unix.WSTOPPED|unix.WNOHANG|unix.WNOWAIT|unix.WALL, nil)
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool { return !gone(pid) }

func TestReleaseLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insMovEaxImm(39), insSyscall, insJmpRel8(-9)))
	if err := peekChildren(); err != nil {
		t.Fatalf("waitid before: %v, want children", err)
	}
	// Threads of two OS threads in two address spaces; one Context is
	// released before its address space, the other after.
	as2, err := e.p.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	if err := as2.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := e.p.NewContext()
			if err != nil {
				t.Error(err)
				return
			}
			for _, as := range []platform.AddressSpace{e.as, as2} {
				r := startRegs(codeAddr)
				if _, _, err := c.Switch(as, &r); err != nil {
					t.Error(err)
				}
			}
			if g == 0 {
				c.Release()
				return
			}
			<-release
			c.Release()
		}()
	}
	time.Sleep(100 * time.Millisecond)
	e.as.Release()
	as2.Release()
	close(release)
	wg.Wait()
	e.p.Close()
	for _, as := range []platform.AddressSpace{e.as, as2} {
		if pid := as.(*addressSpace).pid; alive(pid) {
			t.Errorf("stub %d still runs", pid)
		}
	}
	// ECHILD: this process has no child and no tracee left, running or
	// zombie (the spare included).
	if err := peekChildren(); err != unix.ECHILD {
		t.Fatalf("waitid: %v, want ECHILD", err)
	}
}

func TestInvalidRegisters(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	r.Cs = 0x10 // a kernel code selector
	if _, _, err := c.Switch(e.as, &r); err == nil || !strings.Contains(err.Error(), "invalid registers") {
		t.Fatalf("Switch with a kernel cs: %v", err)
	}
	// The context is still usable with sane registers.
	r = startRegs(codeAddr)
	r.Rax = 3
	if ev, _, err := c.Switch(e.as, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != 3 {
		t.Fatalf("after: %v %v %d", ev, err, r.Orig_rax)
	}
}

// gone reports whether pid no longer runs (absent, or a zombie waiting for
// its new parent to reap it).
func gone(pid int) bool {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	f := strings.Fields(string(st))
	return len(f) > 2 && (f[2] == "Z" || f[2] == "X")
}
