package systrap

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// backend describes this platform to the shared suite; newP makes the
// platform (with spin settings, for the benchmarks).
func backend(newP func(memfd int) (*Platform, error)) pt.Backend {
	return pt.Backend{
		New:     func(memfd int) (pt.Platform, error) { return newP(memfd) },
		StubPID: func(as platform.AddressSpace) int { return as.(*addressSpace).pid },
		ThreadTID: func(c platform.Context, as platform.AddressSpace) int {
			return c.(*context).threads[as.(*addressSpace)].tid
		},
		Pending:    func(c platform.Context) bool { return c.(*context).interrupted.Load() },
		XStateSize: func(p pt.Platform) int { return p.(*Platform).xstateSize },
		Idle: func(t *testing.T, as platform.AddressSpace, released []int) {
			a := as.(*addressSpace)
			a.mu.Lock()
			defer a.mu.Unlock()
			// Each Context's thread exited and left its region for
			// the next.
			if a.stubRegions != 1 || len(a.live) != 0 {
				t.Errorf("after Releases: %d regions, %d live", a.stubRegions, len(a.live))
			}
		},
		StubStart:   stubStart,
		StubSyscall: stubSyscall,
	}
}

var systrapBackend = backend(New)

func TestPlatform(t *testing.T) { pt.Run(t, systrapBackend) }

func TestStubMaps(t *testing.T) {
	e := pt.NewEnv(t, systrapBackend)
	e.LoadCode(t, pt.InsSyscall)
	c := pt.NewCtx(t, e.P)
	r := pt.StartRegs(pt.CodeAddr)
	pt.SwitchOK(t, c, e.AS, &r)
	a := e.AS.(*addressSpace)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stub maps:\n%s", maps)
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		if strings.HasPrefix(line, fmt.Sprintf("%x-%x ", stubStart, stubEnd)) || strings.HasSuffix(line, "[vsyscall]") ||
			strings.HasPrefix(line, fmt.Sprintf("%08x-%08x ", pt.CodeAddr, pt.CodeAddr+pageSize)) ||
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

func TestSyscallRequestsReadOnly(t *testing.T) {
	// The application can read the syscall thread's request page but not
	// write it, and a write(2, ...) from the stub page traps like any
	// other system call instead of reaching the eventfd.
	f, _ := pt.FaultTest(t, systrapBackend, pt.InsStoreRax, func(e *pt.Env, r *arch.Registers) { r.Rdi = uint64(regionAddr(sysRegion)) })
	want := platform.Fault{Signo: int32(unix.SIGSEGV), Code: 2 /* SEGV_ACCERR */, Addr: regionAddr(sysRegion)}
	if f != want {
		t.Fatalf("fault %+v, want %+v", f, want)
	}
	e := pt.NewEnv(t, systrapBackend)
	c := pt.NewCtx(t, e.P)
	r := pt.StartRegs(stubSyscall)
	r.Rax, r.Rdi, r.Rsi, r.Rdx = unix.SYS_WRITE, 2, stubOne, 8
	if ev, _, err := c.Switch(e.AS, &r); err != nil || ev != platform.EventSyscall || r.Orig_rax != unix.SYS_WRITE {
		t.Fatalf("write from the stub page: %v %v %d", ev, err, r.Orig_rax)
	}
	if err := e.AS.MapFile(pt.DataAddr, pt.DataOff, pageSize, unix.PROT_READ); err != nil {
		t.Fatal(err)
	}
}
