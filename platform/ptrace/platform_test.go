package ptrace

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/kite-os/kite/platform"
	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// backend describes this platform to the shared suite; newP makes the
// platform (with a CPU policy, for the benchmarks).
func backend(newP func(memfd int) (*Platform, error)) pt.Backend {
	return pt.Backend{
		New:     func(memfd int) (pt.Platform, error) { return newP(memfd) },
		StubPID: func(as platform.AddressSpace) int { return as.(*addressSpace).pid },
		ThreadTID: func(c platform.Context, as platform.AddressSpace) int {
			return c.(*context).threads[as.(*addressSpace)].Tid
		},
		Pending:    func(c platform.Context) bool { return c.(*context).interrupted.Load() },
		XStateSize: func(p pt.Platform) int { return p.(*Platform).xstateSize },
		Idle: func(t *testing.T, as platform.AddressSpace, released []int) {
			a := as.(*addressSpace)
			a.mu.Lock()
			defer a.mu.Unlock()
			if len(a.threads) != 0 {
				t.Errorf("after Releases: %d threads remain", len(a.threads))
			}
			// Only spares (one ready, one maybe being cloned) may remain.
			for _, tid := range released {
				if _, ok := a.tids[tid]; ok {
					t.Errorf("released Context's thread %d still listed", tid)
				}
			}
		},
		StubStart:   stubStart,
		StubSyscall: stubSyscall,
	}
}

var ptraceBackend = backend(New)

func TestPlatform(t *testing.T) { pt.Run(t, ptraceBackend) }

func TestStubMaps(t *testing.T) {
	e := pt.NewEnv(t, ptraceBackend)
	a := e.AS.(*addressSpace)
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stub maps:\n%s", maps)
	for _, line := range strings.Split(strings.TrimSpace(string(maps)), "\n") {
		if strings.HasPrefix(line, fmt.Sprintf("%x-%x ", stubStart, stubStart+pageSize)) || strings.HasSuffix(line, "[vsyscall]") {
			continue
		}
		t.Errorf("unexpected mapping in stub: %s", line)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(status), "SigBlk:\t0000000000000000") {
		t.Errorf("stub blocks signals:\n%s", status)
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", a.pid))
	if err != nil {
		t.Fatal(err)
	}
	if len(fds) != 1 || fds[0].Name() != "0" {
		t.Errorf("stub fds: %v, want only 0", fds)
	}
}
