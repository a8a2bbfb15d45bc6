package ptrace

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

func TestPinning(t *testing.T) {
	e := pt.NewEnv(t, ptraceBackend)
	if len(e.P.(*Platform).cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	e.LoadCode(t, pt.InsSyscall)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	e.P.(*Platform).SetCPUPolicy(CPUPin)
	ci, err := e.P.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	c := ci.(*context)
	r := pt.StartRegs(pt.CodeAddr)
	if _, _, err := c.Switch(e.AS, &r); err != nil {
		t.Fatal(err)
	}
	var set unix.CPUSet
	for _, tid := range []int{0, c.threads[e.AS.(*addressSpace)].Tid} {
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
	e.P.(*Platform).SetCPUPolicy(CPUFree)
	ci, err = e.P.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	defer ci.Release()
	r = pt.StartRegs(pt.CodeAddr)
	if _, _, err := ci.Switch(e.AS, &r); err != nil {
		t.Fatal(err)
	}
	if err := unix.SchedGetaffinity(0, &set); err != nil || set != before {
		t.Errorf("unpinned Context changed affinity: %v %v", set, err)
	}
	tid := ci.(*context).threads[e.AS.(*addressSpace)].Tid
	if err := unix.SchedGetaffinity(tid, &set); err != nil || set.Count() != len(e.P.(*Platform).cpus) {
		t.Errorf("unpinned Context's stub thread: affinity %v %v", set, err)
	}
}

func TestCPUFollow(t *testing.T) {
	e := pt.NewEnv(t, ptraceBackend)
	if len(e.P.(*Platform).cpus) < 2 {
		t.Skip("needs two CPUs")
	}
	e.LoadCode(t, pt.Cat(pt.InsSyscall, pt.InsJmpRel8(-4)))
	e.P.(*Platform).SetCPUPolicy(CPUFollow)
	c := pt.NewCtx(t, e.P)
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	r := pt.StartRegs(pt.CodeAddr)
	for i := 0; i < 100; i++ {
		if _, _, err := c.Switch(e.AS, &r); err != nil {
			t.Fatal(err)
		}
	}
	var set unix.CPUSet
	th := c.(*context).threads[e.AS.(*addressSpace)]
	if err := unix.SchedGetaffinity(th.Tid, &set); err != nil {
		t.Fatal(err)
	}
	if set.Count() != 1 || !set.IsSet(th.CPU) {
		t.Errorf("stub thread affinity %v, want only CPU %d", set, th.CPU)
	}
	if err := unix.SchedGetaffinity(0, &set); err != nil || set != before {
		t.Errorf("CPUFollow changed kite's affinity: %v %v", set, err)
	}
}

func TestOnlyRax(t *testing.T) {
	var a arch.Registers
	a.Rip, a.Rax, a.Orig_rax = 0x1000, 39, 39
	b := a
	b.Rax = 1234
	if !onlyRax(&a, &b) {
		t.Error("a new rax alone: not onlyRax")
	}
	for _, e := range []int64{512, 513, 514, 516} {
		b.Rax = uint64(-e)
		if onlyRax(&a, &b) {
			t.Errorf("rax -%d (a host restart code): onlyRax", e)
		}
	}
	b.Rax, b.Rip = 1234, 0x1002
	if onlyRax(&a, &b) {
		t.Error("rip changed too: onlyRax")
	}
}
