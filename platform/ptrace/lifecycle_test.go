package ptrace

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

func TestPinning(t *testing.T) {
	e := newEnv(t)
	if len(e.p.cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	e.loadCode(t, cat(insSyscall))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	e.p.SetCPUPolicy(CPUPin)
	ci, err := e.p.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	c := ci.(*context)
	r := startRegs(codeAddr)
	if _, _, err := c.Switch(e.as, &r); err != nil {
		t.Fatal(err)
	}
	var set unix.CPUSet
	for _, tid := range []int{0, c.threads[e.as.(*addressSpace)].tid} {
		if err := unix.SchedGetaffinity(tid, &set); err != nil {
			t.Fatal(err)
		}
		if set.Count() != 1 || !set.IsSet(c.cpu) {
			t.Errorf("thread %d: affinity %v, want only CPU %d", tid, set, c.cpu)
		}
	}
	c.Release()
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		t.Fatal(err)
	}
	if set != before {
		t.Errorf("affinity after Release %v, want %v", set, before)
	}

	// Unpinned: nothing changes.
	e.p.SetCPUPolicy(CPUFree)
	ci, err = e.p.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ci.Release()
	r = startRegs(codeAddr)
	if _, _, err := ci.Switch(e.as, &r); err != nil {
		t.Fatal(err)
	}
	if err := unix.SchedGetaffinity(0, &set); err != nil || set != before {
		t.Errorf("unpinned Context changed affinity: %v %v", set, err)
	}
	tid := ci.(*context).threads[e.as.(*addressSpace)].tid
	if err := unix.SchedGetaffinity(tid, &set); err != nil || set.Count() != len(e.p.cpus) {
		t.Errorf("unpinned Context's stub thread: affinity %v %v", set, err)
	}
}

func TestCPUFollow(t *testing.T) {
	e := newEnv(t)
	if len(e.p.cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	e.loadCode(t, cat(insSyscall, insJmpRel8(-4)))
	e.p.SetCPUPolicy(CPUFollow)
	c := newCtx(t, e.p)
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	r := startRegs(codeAddr)
	for i := 0; i < 100; i++ {
		if _, _, err := c.Switch(e.as, &r); err != nil {
			t.Fatal(err)
		}
	}
	var set unix.CPUSet
	th := c.(*context).threads[e.as.(*addressSpace)]
	if err := unix.SchedGetaffinity(th.tid, &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(th.cpu) {
		t.Errorf("stub thread affinity %v, want only CPU %d", set, th.cpu)
	}
	if err := unix.SchedGetaffinity(0, &set); err != nil || set != before {
		t.Errorf("CPUFollow changed kite's affinity: %v %v", set, err)
	}
}

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
	if len(a.threads) != 0 {
		t.Errorf("after Releases: %d threads remain", len(a.threads))
	}
	// Only spares (one ready, one maybe being cloned) may remain.
	for _, tid := range used {
		if _, ok := a.tids[tid]; ok {
			t.Errorf("released Context's thread %d still listed", tid)
		}
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
