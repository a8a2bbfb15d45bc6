package systrap

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
)

func TestContextReuseOfOSThread(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var used []int
	for i := 0; i < 3; i++ {
		c, err := e.p.NewContext()
		if err != nil {
			t.Fatal(err)
		}
		r := startRegs(codeAddr)
		r.Rax = uint64(100 + i)
		ev, _, err := c.Switch(e.as, &r)
		if err != nil || ev != platform.EventSyscall || r.Orig_rax != uint64(100+i) {
			t.Fatalf("round %d: %v %v nr %d", i, ev, err, r.Orig_rax)
		}
		used = append(used, c.(*context).threads[e.as.(*addressSpace)].tid)
		c.Release()
	}
	a := e.as.(*addressSpace)
	a.mu.Lock()
	defer a.mu.Unlock()
	// Each Context's thread exited and left its region for the next.
	if a.stubRegions != 1 || len(a.live) != 0 {
		t.Errorf("after Releases: %d regions, %d live", a.stubRegions, len(a.live))
	}
	for _, tid := range used {
		if alive(tid) {
			t.Errorf("released Context's thread %d still runs", tid)
		}
	}
}

func TestReleaseDuringSwitch(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, insLoop)
	c := newCtx(t, e.p)
	go func() {
		time.Sleep(20 * time.Millisecond)
		e.as.Release()
	}()
	r := startRegs(codeAddr)
	if _, _, err := c.Switch(e.as, &r); err == nil {
		t.Fatal("Switch in a released address space succeeded")
	}
	if _, _, err := c.Switch(e.as, &r); err == nil {
		t.Fatal("second Switch succeeded")
	}
	if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err == nil {
		t.Fatal("MapFile after Release succeeded")
	}
}

func TestStubKilled(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat(insSyscall, insLoop))
	c := newCtx(t, e.p)
	r := startRegs(codeAddr)
	if _, _, err := c.Switch(e.as, &r); err != nil {
		t.Fatal(err)
	}
	unix.Kill(e.as.(*addressSpace).pid, unix.SIGKILL)
	if _, _, err := c.Switch(e.as, &r); err == nil {
		t.Fatal("Switch in a killed stub succeeded")
	}
	if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err == nil {
		t.Fatal("MapFile in a killed stub succeeded")
	}
}

func TestExternalSignalsIgnored(t *testing.T) {
	// Signals sent to the stub by someone else never reach application
	// code, and a SIGSEGV from kill is not taken for a fault.
	e := newEnv(t)
	e.loadCode(t, cat(insLoop))
	c := newCtx(t, e.p)
	a := e.as.(*addressSpace)
	go func() {
		time.Sleep(10 * time.Millisecond)
		for _, sig := range []unix.Signal{unix.SIGSEGV, unix.SIGTERM, unix.SIGSTOP, unix.SIGINT, unix.SIGUSR1} {
			unix.Kill(a.pid, sig)
			time.Sleep(5 * time.Millisecond)
		}
		c.Interrupt()
	}()
	r := startRegs(codeAddr)
	ev, _, err := c.Switch(e.as, &r)
	if err != nil || ev != platform.EventInterrupt {
		t.Fatalf("%v %v, want interrupt", ev, err)
	}
	if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err != nil {
		t.Fatalf("stub unusable after signals: %v", err)
	}
	// Through the owner and the main thread too.
	errc := make(chan error)
	go func() { errc <- e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ) }()
	if err := <-errc; err != nil {
		t.Fatalf("owner unusable after signals: %v", err)
	}
}

func TestSwitchStep(t *testing.T) {
	e := newEnv(t)
	e.loadCode(t, cat([]byte{0x90, 0x90}, insSyscall))
	c := newCtx(t, e.p)
	s := c.(platform.Stepper)
	r := startRegs(codeAddr)
	for i, want := range []uint64{codeAddr + 1, codeAddr + 2} {
		ev, f, err := s.SwitchStep(e.as, &r)
		if err != nil || ev != platform.EventFault || f.Signo != int32(unix.SIGTRAP) || f.Code != 2 /* TRAP_TRACE */ || r.Rip != want {
			t.Fatalf("step %d: %v %+v %v rip %#x", i, ev, f, err, r.Rip)
		}
		if r.Eflags&eflagsTF != 0 {
			t.Fatalf("step %d: trap flag shows in eflags %#x", i, r.Eflags)
		}
	}
	r.Rax = 7
	if ev, _, err := s.SwitchStep(e.as, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != 7 {
		t.Fatalf("step over syscall: %v %v %d", ev, err, r.Orig_rax)
	}
	// A plain Switch after steps runs freely to the next event.
	r.Rip = codeAddr
	if ev, _, err := c.Switch(e.as, &r); err != nil || ev != platform.EventSyscall || r.Rip != codeAddr+4 {
		t.Fatalf("switch after steps: %v %v rip %#x", ev, err, r.Rip)
	}
}

func TestSyscallRequestsReadOnly(t *testing.T) {
	// The application can read the syscall thread's request page but not
	// write it, and a write(2, ...) from the stub page traps like any
	// other system call instead of reaching the eventfd.
	f, _ := faultTest(t, insStoreRax, func(e *env, r *arch.Registers) { r.Rdi = uint64(regionAddr(sysRegion)) })
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 2 /* SEGV_ACCERR */, Addr: regionAddr(sysRegion)}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
	e := newEnv(t)
	c := newCtx(t, e.p)
	r := startRegs(stubSyscall)
	r.Rax, r.Rdi, r.Rsi, r.Rdx = unix.SYS_WRITE, 2, stubOne, 8
	if ev, _, err := c.Switch(e.as, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != unix.SYS_WRITE {
		t.Fatalf("write from the stub page: %v %v %d", ev, err, r.Orig_rax)
	}
	if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
}
