package platformtest

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

// crashTest is the name of the test that calls Run in each backend's
// package; crashHelperEnv set makes its CrashHelper subtest the process
// CrashKillsStubs kills.
const (
	crashTest      = "TestPlatform"
	crashHelperEnv = "KITE_PLATFORMTEST_CRASH_HELPER"
)

// eflagsTF is the trap flag.
const eflagsTF = 1 << 8

// Run runs the suite against b. Call it from a test named TestPlatform.
func Run(t *testing.T, b Backend) {
	if t.Name() != crashTest {
		t.Fatalf("platformtest.Run called from %s, want %s (CrashKillsStubs re-runs it by name)", t.Name(), crashTest)
	}
	tests := []struct {
		name string
		f    func(*testing.T, Backend)
	}{
		{"SyscallEvent", testSyscallEvent},
		{"SyscallRepeat", testSyscallRepeat},
		{"FaultReadOnly", testFaultReadOnly},
		{"FaultUnmapped", testFaultUnmapped},
		{"FaultStubIsNotUser", testFaultStubIsNotUser},
		{"FaultUD2", testFaultUD2},
		{"FaultInt3", testFaultInt3},
		{"MapFileSharing", testMapFileSharing},
		{"MapFileOffset", testMapFileOffset},
		{"Interrupt", testInterrupt},
		{"InterruptNotLost", testInterruptNotLost},
		{"FPState", testFPState},
		{"TwoContextsOneAddressSpace", testTwoContextsOneAddressSpace},
		{"ReleaseLeavesNothing", testReleaseLeavesNothing},
		{"InvalidRegisters", testInvalidRegisters},
		{"Stress", testStress},
		{"ContextReuseOfOSThread", testContextReuseOfOSThread},
		{"ReleaseDuringSwitch", testReleaseDuringSwitch},
		{"StubKilled", testStubKilled},
		{"ExternalSignalsIgnored", testExternalSignalsIgnored},
		{"SwitchStep", testSwitchStep},
		{"CrashHelper", testCrashHelper},
		{"CrashKillsStubs", testCrashKillsStubs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.f(t, b) })
	}
}

func testSyscallEvent(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsSyscall, InsMovRdiRax, InsSyscall))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	r.Rax, r.Rdi, r.Rsi, r.Rdx, r.R10, r.R8, r.R9 = 1, 11, 12, 13, 14, 15, 16
	ev, _ := SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventSyscall {
		t.Fatalf("event %v, want syscall", ev)
	}
	nr, args := arch.Syscall(&r)
	if nr != 1 || args != (arch.SyscallArgs{11, 12, 13, 14, 15, 16}) {
		t.Fatalf("syscall %d %v", nr, args)
	}
	if r.Rip != CodeAddr+2 {
		t.Fatalf("rip %#x, want %#x", r.Rip, CodeAddr+2)
	}
	arch.SetReturn(&r, 42)
	ev, _ = SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventSyscall || r.Rdi != 42 || r.Orig_rax != 42 {
		t.Fatalf("second event %v rdi %d orig_rax %d, want syscall 42 42", ev, r.Rdi, r.Orig_rax)
	}
}

func testSyscallRepeat(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// loop: mov eax, 39; syscall; jmp loop
	e.LoadCode(t, Cat(InsMovEaxImm(39), InsSyscall, InsJmpRel8(-9)))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	for i := 0; i < 1000; i++ {
		ev, _ := SwitchOK(t, c, e.AS, &r)
		if ev != platform.EventSyscall || r.Orig_rax != 39 {
			t.Fatalf("iteration %d: event %v nr %d", i, ev, r.Orig_rax)
		}
		r.Rax = uint64(i)
	}
}

func testFaultReadOnly(t *testing.T, b Backend) {
	f, r := FaultTest(t, b, InsStoreRax, func(e *Env, r *arch.Registers) {
		if err := e.AS.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ); err != nil {
			t.Fatal(err)
		}
		r.Rdi = DataAddr + 0x10
	})
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 2 /* SEGV_ACCERR */, Addr: DataAddr + 0x10}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
	if r.Rip != CodeAddr {
		t.Fatalf("rip %#x, want %#x", r.Rip, CodeAddr)
	}
}

func testFaultUnmapped(t *testing.T, b Backend) {
	f, _ := FaultTest(t, b, InsStoreRax, func(e *Env, r *arch.Registers) { r.Rdi = 0x700008 })
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1 /* SEGV_MAPERR */, Addr: 0x700008}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
}

func testFaultStubIsNotUser(t *testing.T, b Backend) {
	// Jumping into the stub page's syscall is still caught by SYSEMU:
	// the stub never runs a host system call for the application.
	e := NewEnv(t, b)
	c := NewCtx(t, e.P)
	r := StartRegs(b.StubSyscall)
	r.Rax = unix.SYS_GETPID
	ev, _ := SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventSyscall || r.Orig_rax != unix.SYS_GETPID {
		t.Fatalf("event %v nr %d", ev, r.Orig_rax)
	}
	if err := e.AS.Unmap(b.StubStart, PageSize); err != unix.EINVAL {
		t.Fatalf("Unmap of the stub: %v, want EINVAL", err)
	}
}

func testFaultUD2(t *testing.T, b Backend) {
	f, _ := FaultTest(t, b, InsUD2, nil)
	if f.Signo != int32(unix.SIGILL) || f.Code != 2 /* ILL_ILLOPN */ || f.Addr != CodeAddr {
		t.Fatalf("fault %+v", f)
	}
}

func testFaultInt3(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsInt3, InsSyscall))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	ev, f := SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventFault || f.Signo != int32(unix.SIGTRAP) {
		t.Fatalf("event %v %+v, want SIGTRAP fault", ev, f)
	}
	if r.Rip != CodeAddr+1 {
		t.Fatalf("rip %#x, want %#x", r.Rip, CodeAddr+1)
	}
	// The trap is suppressed: resuming continues after the int3.
	r.Rax = 7
	ev, _ = SwitchOK(t, c, e.AS, &r)
	if ev != platform.EventSyscall || r.Orig_rax != 7 {
		t.Fatalf("after int3: %v nr %d", ev, r.Orig_rax)
	}
}

func testMapFileSharing(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// mov [rdi], rax; mov rdi, [rsi]... : store rax at [rdi], syscall,
	// then load [rdi] into rdi, syscall.
	e.LoadCode(t, Cat(InsStoreRax, InsSyscall, InsLoadRdi, InsSyscall))
	if err := e.AS.MapFile(DataAddr, DataOff, 2*PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
		t.Fatal(err)
	}
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	r.Rdi = DataAddr + PageSize + 8
	r.Rax = 0x1122334455667788
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventSyscall {
		t.Fatalf("event %v", ev)
	}
	if got := binary.LittleEndian.Uint64(e.Mem[DataOff+PageSize+8:]); got != 0x1122334455667788 {
		t.Fatalf("memory file holds %#x", got)
	}
	binary.LittleEndian.PutUint64(e.Mem[DataOff+PageSize+8:], 0xcafe)
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventSyscall || r.Rdi != 0xcafe {
		t.Fatalf("event %v rdi %#x, want 0xcafe", ev, r.Rdi)
	}

	// After Unmap the same store faults.
	if err := e.AS.Unmap(DataAddr, 2*PageSize); err != nil {
		t.Fatal(err)
	}
	r.Rip, r.Rdi = CodeAddr, DataAddr+PageSize+8
	ev, f := SwitchOK(t, c, e.AS, &r)
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 1, Addr: DataAddr + PageSize + 8}
	if ev != platform.EventFault || f != want {
		t.Fatalf("after Unmap: %v %+v, want fault %+v", ev, f, want)
	}
}

func testMapFileOffset(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// Two addresses mapping the same page of the file see each other.
	e.LoadCode(t, Cat(InsStoreRax, InsSyscall))
	for _, addr := range []uintptr{DataAddr, DataAddr + 0x100000} {
		if err := e.AS.MapFile(addr, DataOff+3*PageSize, PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
			t.Fatal(err)
		}
	}
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	r.Rdi, r.Rax = DataAddr+0x100000+16, 99
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventSyscall {
		t.Fatalf("event %v", ev)
	}
	if got := binary.LittleEndian.Uint64(e.Mem[DataOff+3*PageSize+16:]); got != 99 {
		t.Fatalf("memory file holds %d", got)
	}
	if err := e.AS.MapFile(0, 0, PageSize, unix.PROT_READ); err != nil {
		t.Fatalf("MapFile at 0: %v", err)
	}
	if err := e.AS.MapFile(b.StubStart-PageSize, 0, 2*PageSize, unix.PROT_READ); err != unix.EINVAL {
		t.Fatalf("MapFile over the stub: %v, want EINVAL", err)
	}
}

func testInterrupt(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, CountLoop())
	n := e.MapCounter(t)
	c := NewCtx(t, e.P)

	// Before Switch: the next Switch returns at once.
	c.Interrupt()
	r := StartRegs(CodeAddr)
	r.Rdi = DataAddr
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventInterrupt {
		t.Fatalf("event %v, want interrupt", ev)
	}

	// From another goroutine: in even rounds at once (before or during
	// Switch), in odd ones once the application is seen running.
	for i := 0; i < 20; i++ {
		done := make(chan bool)
		from := n.Load()
		go func() {
			ok := true
			if i%2 == 1 {
				_, ok = WaitAdvance(n, from)
			}
			c.Interrupt()
			done <- ok
		}()
		ev, _ := SwitchOK(t, c, e.AS, &r)
		if !<-done {
			t.Fatalf("round %d: the application did not run", i)
		}
		if ev != platform.EventInterrupt {
			t.Fatalf("round %d: event %v, want interrupt", i, ev)
		}
		if r.Rip != CodeAddr && r.Rip != CodeAddr+uint64(len(InsIncRdi)) {
			t.Fatalf("rip %#x", r.Rip)
		}
	}
}

func testInterruptNotLost(t *testing.T, b Backend) {
	// A syscall loop with interrupts raining: every Interrupt is seen by
	// some Switch, and a Switch never returns interrupt without one.
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsMovEaxImm(39), InsSyscall, InsJmpRel8(-9)))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	var mu sync.Mutex
	sent := 0
	stop := make(chan struct{})
	// switched paces the interrupts: one more after each Switch that
	// returned since the last.
	switched := make(chan struct{}, 1)
	go func() {
		for {
			mu.Lock()
			sent++
			c.Interrupt()
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-switched:
			}
		}
	}()
	got := 0
	for i := 0; i < 3000; i++ {
		ev, _ := SwitchOK(t, c, e.AS, &r)
		if ev == platform.EventInterrupt {
			got++
		}
		select {
		case switched <- struct{}{}:
		default:
		}
	}
	close(stop)
	mu.Lock()
	defer mu.Unlock()
	if got == 0 || got > sent {
		t.Fatalf("%d interrupts seen for %d sent", got, sent)
	}
	// The last one is not lost.
	if !b.Pending(c) {
		// All consumed: fine. Otherwise the next Switch must report it.
		return
	}
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventInterrupt {
		t.Fatalf("pending interrupt lost: %v", ev)
	}
}

func testFPState(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// movq rdi, xmm0; movq xmm1, rsi; syscall
	e.LoadCode(t, Cat(InsMovqRdiX0, InsMovqX1Rsi, InsSyscall))
	c := NewCtx(t, e.P)

	fp, err := c.FPState()
	if err != nil {
		t.Fatal(err)
	}
	if len(fp) != b.XStateSize(e.P) {
		t.Fatalf("FPState of %d bytes, want %d", len(fp), b.XStateSize(e.P))
	}
	// xmm0 lives at byte 160 of the FXSAVE area; bit 1 of XSTATE_BV (at
	// byte 512) says the SSE state is not in its initial configuration.
	binary.LittleEndian.PutUint64(fp[160:], 0xdeadbeef12345678)
	binary.LittleEndian.PutUint64(fp[512:], binary.LittleEndian.Uint64(fp[512:])|2)
	if err := c.SetFPState(fp); err != nil {
		t.Fatal(err)
	}
	r := StartRegs(CodeAddr)
	r.Rsi = 0x0badf00d
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventSyscall {
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
	as2, err := e.P.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	defer as2.Release()
	if err := as2.MapFile(CodeAddr, CodeOff, PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	r = StartRegs(CodeAddr)
	if ev, _ := SwitchOK(t, c, as2, &r); ev != platform.EventSyscall || r.Rdi != 0xdeadbeef12345678 {
		t.Fatalf("in second address space: %v xmm0 %#x", ev, r.Rdi)
	}

	// nil: the initial state.
	if err := c.SetFPState(nil); err != nil {
		t.Fatal(err)
	}
	r = StartRegs(CodeAddr)
	if ev, _ := SwitchOK(t, c, e.AS, &r); ev != platform.EventSyscall || r.Rdi != 0 {
		t.Fatalf("after reset: %v xmm0 %#x", ev, r.Rdi)
	}
	fp3, _ := c.FPState()
	if binary.LittleEndian.Uint32(fp3[24:]) != 0x1f80 {
		t.Fatalf("mxcsr %#x after reset", binary.LittleEndian.Uint32(fp3[24:]))
	}
}

func testTwoContextsOneAddressSpace(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// loop: mov [rdi], rax (rdi per thread); syscall; jmp loop
	e.LoadCode(t, Cat(InsStoreRax, InsSyscall, InsJmpRel8(-7)))
	if err := e.AS.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ|unix.PROT_WRITE); err != nil {
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
			c, err := e.P.NewContext()
			if err != nil {
				errs <- err
				return
			}
			defer c.Release()
			r := StartRegs(CodeAddr)
			r.Rdi = DataAddr + uint64(8*g)
			for i := 1; i <= 500; i++ {
				r.Rax = uint64(i)
				ev, _, err := c.Switch(e.AS, &r)
				if err != nil || ev != platform.EventSyscall {
					errs <- fmt.Errorf("goroutine %d: %v %v", g, ev, err)
					return
				}
				// A mapping change from a thread with a stub thread
				// takes the direct path.
				if i%100 == 0 {
					if err := e.AS.MapFile(DataAddr+PageSize*uintptr(1+g), DataOff, PageSize, unix.PROT_READ); err != nil {
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
		if got := binary.LittleEndian.Uint64(e.Mem[DataOff+8*g:]); got != 500 {
			t.Fatalf("thread %d wrote %d", g, got)
		}
	}
}

func testReleaseLeavesNothing(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsMovEaxImm(39), InsSyscall, InsJmpRel8(-9)))
	if err := PeekChildren(); err != nil {
		t.Fatalf("waitid before: %v, want children", err)
	}
	// Threads of two OS threads in two address spaces; one Context is
	// released before its address space, the other after.
	as2, err := e.P.NewAddressSpace()
	if err != nil {
		t.Fatal(err)
	}
	if err := as2.MapFile(CodeAddr, CodeOff, PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
		t.Fatal(err)
	}
	// switched: both goroutines ran in both address spaces (or failed),
	// and the first released its Context.
	release := make(chan struct{})
	var wg, switched sync.WaitGroup
	switched.Add(2)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := e.P.NewContext()
			if err != nil {
				switched.Done()
				t.Error(err)
				return
			}
			for _, as := range []platform.AddressSpace{e.AS, as2} {
				r := StartRegs(CodeAddr)
				if _, _, err := c.Switch(as, &r); err != nil {
					t.Error(err)
				}
			}
			if g == 0 {
				c.Release()
				switched.Done()
				return
			}
			switched.Done()
			<-release
			c.Release()
		}()
	}
	switched.Wait()
	e.AS.Release()
	as2.Release()
	close(release)
	wg.Wait()
	e.P.Close()
	for _, as := range []platform.AddressSpace{e.AS, as2} {
		if pid := b.StubPID(as); !Gone(pid) {
			t.Errorf("stub %d still runs", pid)
		}
	}
	// ECHILD: this process has no child and no tracee left, running or
	// zombie (the spare included).
	if err := PeekChildren(); err != unix.ECHILD {
		t.Fatalf("waitid: %v, want ECHILD", err)
	}
}

func testInvalidRegisters(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsSyscall))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	r.Cs = 0x10 // a kernel code selector
	if _, _, err := c.Switch(e.AS, &r); err == nil || !strings.Contains(err.Error(), "invalid registers") {
		t.Fatalf("Switch with a kernel cs: %v", err)
	}
	// The context is still usable with sane registers.
	r = StartRegs(CodeAddr)
	r.Rax = 3
	if ev, _, err := c.Switch(e.AS, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != 3 {
		t.Fatalf("after: %v %v %d", ev, err, r.Orig_rax)
	}
}

// TestStress runs several Contexts through several address spaces at once,
// with mapping changes, interrupts and address spaces replaced under them,
// and checks that every Switch either reports a sane event or fails
// because its address space was released, and that nothing is left over.
func testStress(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	// loop: mov eax, 39; syscall; jmp loop
	copy(e.Mem[CodeOff:], Cat(InsMovEaxImm(39), InsSyscall, InsJmpRel8(-9)))
	const nAS, nCtx, rounds = 3, 6, 1500
	var nSys, nInt, nErr, nRepl atomic.Int64
	var mu sync.Mutex
	spaces := make([]platform.AddressSpace, nAS)
	// newAS returns a new address space with the code mapped, or nil
	// after t.Error.
	newAS := func() platform.AddressSpace {
		as, err := e.P.NewAddressSpace()
		if err != nil {
			t.Error(err)
			return nil
		}
		if err := as.MapFile(CodeAddr, CodeOff, PageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
			t.Error(err)
			as.Release()
			return nil
		}
		return as
	}
	for i := range spaces {
		if spaces[i] = newAS(); spaces[i] == nil {
			for _, as := range spaces[:i] {
				as.Release()
			}
			t.FailNow()
		}
	}
	stop := make(chan struct{})
	var replacer sync.WaitGroup
	replacer.Add(1)
	go func() {
		defer replacer.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			i := rand.Intn(nAS)
			as := newAS()
			if as == nil {
				continue // failed: the old one stays
			}
			mu.Lock()
			old := spaces[i]
			spaces[i] = as
			mu.Unlock()
			nRepl.Add(1)
			old.Release()
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, nCtx)
	ctxs := make(chan platform.Context, nCtx)
	for g := 0; g < nCtx; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c, err := e.P.NewContext()
			if err != nil {
				errs <- err
				return
			}
			defer c.Release()
			ctxs <- c
			for i := 0; i < rounds; i++ {
				mu.Lock()
				as := spaces[rand.Intn(nAS)]
				mu.Unlock()
				r := StartRegs(CodeAddr)
				ev, _, err := c.Switch(as, &r)
				if err != nil {
					nErr.Add(1)
					continue // released under us
				}
				if ev == platform.EventInterrupt {
					nInt.Add(1)
				} else {
					nSys.Add(1)
				}
				if ev == platform.EventSyscall && r.Orig_rax != 39 {
					errs <- fmt.Errorf("context %d: syscall %d", g, r.Orig_rax)
					return
				}
				if ev == platform.EventFault {
					errs <- fmt.Errorf("context %d: unexpected fault", g)
					return
				}
				if i%10 == 0 {
					as.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ)
				}
			}
		}(g)
	}
	// Interrupt whoever is running, all the while.
	var all []platform.Context
	for i := 0; i < nCtx; i++ {
		select {
		case c := <-ctxs:
			all = append(all, c)
		case <-time.After(2 * time.Minute):
			t.Fatal("contexts did not start")
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
loop:
	for {
		select {
		case <-done:
			break loop
		case <-time.After(200 * time.Microsecond):
			all[rand.Intn(len(all))].Interrupt()
		}
	}
	close(stop)
	replacer.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, as := range spaces {
		as.Release()
	}
	e.AS.Release()
	e.P.Close()
	t.Logf("%d syscalls, %d interrupts, %d failed switches, %d replacements", nSys.Load(), nInt.Load(), nErr.Load(), nRepl.Load())
	if nSys.Load() < nCtx*rounds/4 {
		t.Errorf("only %d of %d switches ran", nSys.Load(), nCtx*rounds)
	}
	if err := PeekChildren(); err != unix.ECHILD {
		t.Fatalf("waitid after: %v, want ECHILD", err)
	}
}

func testContextReuseOfOSThread(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsSyscall))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var used []int
	for i := 0; i < 3; i++ {
		c, err := e.P.NewContext()
		if err != nil {
			t.Fatal(err)
		}
		r := StartRegs(CodeAddr)
		r.Rax = uint64(100 + i)
		ev, _, err := c.Switch(e.AS, &r)
		if err != nil || ev != platform.EventSyscall || r.Orig_rax != uint64(100+i) {
			t.Fatalf("round %d: %v %v nr %d", i, ev, err, r.Orig_rax)
		}
		used = append(used, b.ThreadTID(c, e.AS))
		c.Release()
	}
	b.Idle(t, e.AS, used)
	for _, tid := range used {
		if !Gone(tid) {
			t.Errorf("released Context's thread %d still runs", tid)
		}
	}
}

func testReleaseDuringSwitch(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, CountLoop())
	n := e.MapCounter(t)
	c := NewCtx(t, e.P)
	// Release once the application is seen running: Switch is under way.
	ran := make(chan bool, 1)
	go func() {
		_, ok := WaitAdvance(n, 0)
		ran <- ok
		e.AS.Release()
	}()
	r := StartRegs(CodeAddr)
	r.Rdi = DataAddr
	if _, _, err := c.Switch(e.AS, &r); err == nil {
		t.Fatal("Switch in a released address space succeeded")
	}
	if !<-ran {
		t.Fatal("the application did not run")
	}
	expectUnusable(t, c, e.AS, "after Release")
}

// expectUnusable checks that neither Switch nor MapFile works any more in
// as, which is gone (how: what).
func expectUnusable(t *testing.T, c platform.Context, as platform.AddressSpace, what string) {
	t.Helper()
	r := StartRegs(CodeAddr)
	if _, _, err := c.Switch(as, &r); err == nil {
		t.Fatalf("Switch %s succeeded", what)
	}
	if err := as.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ); err == nil {
		t.Fatalf("MapFile %s succeeded", what)
	}
}

func testStubKilled(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat(InsSyscall, InsLoop))
	c := NewCtx(t, e.P)
	r := StartRegs(CodeAddr)
	if _, _, err := c.Switch(e.AS, &r); err != nil {
		t.Fatal(err)
	}
	unix.Kill(b.StubPID(e.AS), unix.SIGKILL)
	expectUnusable(t, c, e.AS, "in a killed stub")
}

func testExternalSignalsIgnored(t *testing.T, b Backend) {
	// Signals sent to the stub by someone else never reach application
	// code, and a SIGSEGV from kill is not taken for a fault.
	e := NewEnv(t, b)
	e.LoadCode(t, CountLoop())
	n := e.MapCounter(t)
	c := NewCtx(t, e.P)
	pid := b.StubPID(e.AS)
	// Each signal is sent while the application runs, and it runs on
	// after it; SIGSTOP, last, may stop it until the Interrupt (systrap),
	// so it is checked by a second Switch.
	lost := make(chan unix.Signal, 1)
	go func() {
		defer c.Interrupt()
		v, ok := WaitAdvance(n, 0)
		for _, sig := range []unix.Signal{unix.SIGSEGV, unix.SIGTERM, unix.SIGINT, unix.SIGUSR1, unix.SIGSTOP} {
			if !ok {
				lost <- sig
				return
			}
			unix.Kill(pid, sig)
			if sig != unix.SIGSTOP {
				v, ok = WaitAdvance(n, v)
			}
		}
	}()
	r := StartRegs(CodeAddr)
	r.Rdi = DataAddr
	ev, _, err := c.Switch(e.AS, &r)
	if err != nil || ev != platform.EventInterrupt {
		t.Fatalf("%v %v, want interrupt", ev, err)
	}
	select {
	case sig := <-lost:
		t.Fatalf("the application did not run before %v", sig)
	default:
	}
	ran := make(chan bool, 1)
	from := n.Load()
	go func() {
		_, ok := WaitAdvance(n, from)
		ran <- ok
		c.Interrupt()
	}()
	if ev, _, err := c.Switch(e.AS, &r); err != nil || ev != platform.EventInterrupt || !<-ran {
		t.Fatalf("after SIGSTOP: %v %v, want the application to run to an interrupt", ev, err)
	}
	if err := e.AS.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ); err != nil {
		t.Fatalf("stub unusable after signals: %v", err)
	}
	// Through the owner and the main thread too.
	errc := make(chan error)
	go func() { errc <- e.AS.MapFile(DataAddr, DataOff, PageSize, unix.PROT_READ) }()
	if err := <-errc; err != nil {
		t.Fatalf("owner unusable after signals: %v", err)
	}
}

func testSwitchStep(t *testing.T, b Backend) {
	e := NewEnv(t, b)
	e.LoadCode(t, Cat([]byte{0x90, 0x90}, InsSyscall))
	c := NewCtx(t, e.P)
	s := c.(platform.Stepper)
	r := StartRegs(CodeAddr)
	for i, want := range []uint64{CodeAddr + 1, CodeAddr + 2} {
		ev, f, err := s.SwitchStep(e.AS, &r)
		if err != nil || ev != platform.EventFault || f.Signo != int32(unix.SIGTRAP) || f.Code != 2 /* TRAP_TRACE */ || r.Rip != want {
			t.Fatalf("step %d: %v %+v %v rip %#x", i, ev, f, err, r.Rip)
		}
		if r.Eflags&eflagsTF != 0 {
			t.Fatalf("step %d: trap flag shows in eflags %#x", i, r.Eflags)
		}
	}
	r.Rax = 7
	if ev, _, err := s.SwitchStep(e.AS, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != 7 {
		t.Fatalf("step over syscall: %v %v %d", ev, err, r.Orig_rax)
	}
	// A plain Switch after steps runs freely to the next event.
	r.Rip = CodeAddr
	if ev, _, err := c.Switch(e.AS, &r); err != nil || ev != platform.EventSyscall || r.Rip != CodeAddr+4 {
		t.Fatalf("switch after steps: %v %v rip %#x", ev, err, r.Rip)
	}
}

// testCrashHelper is the process testCrashKillsStubs kills: it sets up a
// stub with a Context's thread running application code in it, prints
// the stub's pid once the code is seen running, and blocks.
func testCrashHelper(t *testing.T, b Backend) {
	if os.Getenv(crashHelperEnv) == "" {
		t.Skip("helper process only")
	}
	e := NewEnv(t, b)
	e.LoadCode(t, CountLoop())
	n := e.MapCounter(t)
	c := NewCtx(t, e.P)
	go func() {
		if _, ok := WaitAdvance(n, 0); ok {
			fmt.Printf("stub %d\n", b.StubPID(e.AS))
		}
	}()
	// The stub is executing, not stopped, at the crash.
	r := StartRegs(CodeAddr)
	r.Rdi = DataAddr
	c.Switch(e.AS, &r)
	select {}
}

func testCrashKillsStubs(t *testing.T, b Backend) {
	cmd := exec.Command(os.Args[0], "-test.run=^"+crashTest+"$/^CrashHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashHelperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(out)
	var pid int
	for sc.Scan() {
		if _, err := fmt.Sscanf(sc.Text(), "stub %d", &pid); err == nil {
			break
		}
	}
	if pid == 0 {
		t.Fatal("helper printed no stub pid")
	}
	// The stub's pidfd becomes readable when it has exited.
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("stub not running before the crash: %v", err)
	}
	defer unix.Close(pidfd)
	cmd.Process.Signal(unix.SIGKILL)
	fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int((2 * time.Minute).Milliseconds()))
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			t.Fatalf("stub %d survived kite's death (%v)", pid, err)
		}
		break
	}
	if !Gone(pid) {
		t.Fatalf("stub %d runs after its pidfd said it exited", pid)
	}
}
