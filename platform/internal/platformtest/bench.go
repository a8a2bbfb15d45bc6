package platformtest

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// BenchEnv is NewEnv for a benchmark, with a Context for the calling
// goroutine (locked to its OS thread until the end).
func BenchEnv(tb testing.TB, b Backend) (*Env, platform.Context) {
	e := NewEnv(tb, b)
	return e, NewCtx(tb, e.P)
}

// BenchSyscallRoundTrip measures one application system call: the
// application loops on getpid and the benchmark answers each. Besides the
// time it reports the CPU time kite's thread and the stub thread used per
// call (kite-cpu-ns/op, stub-cpu-ns/op) and their context switches
// (switches/op): host work, which a loaded machine inflates far less than
// the time.
func BenchSyscallRoundTrip(b *testing.B, be Backend) {
	e, c := BenchEnv(b, be)
	e.LoadCode(b, SyscallLoop(unix.SYS_GETPID))
	r := StartRegs(CodeAddr)
	if _, _, err := c.Switch(e.AS, &r); err != nil {
		b.Fatal(err)
	}
	pid, tid := be.StubPID(e.AS), be.ThreadTID(c, e.AS)
	start := TakeThreadUsage(pid, tid)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Rax = 1234
		ev, _, err := c.Switch(e.AS, &r)
		if err != nil || ev != platform.EventSyscall {
			b.Fatalf("%v %v", ev, err)
		}
	}
	b.StopTimer()
	TakeThreadUsage(pid, tid).Sub(start).Report(b)
}

// ThreadUsage is what the calling OS thread (kite's) and one stub thread
// have used so far.
type ThreadUsage struct {
	// KiteCPU and StubCPU are CPU times in nanoseconds; Switches counts
	// both threads' context switches, voluntary and involuntary.
	KiteCPU, StubCPU, Switches int64
}

// TakeThreadUsage reads the calling thread's usage (RUSAGE_THREAD) and
// that of thread tid of process pid (/proc).
func TakeThreadUsage(pid, tid int) ThreadUsage {
	var u ThreadUsage
	var ru unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &ru) == nil {
		u.KiteCPU = ru.Utime.Nano() + ru.Stime.Nano()
		u.Switches = ru.Nvcsw + ru.Nivcsw
	}
	dir := fmt.Sprintf("/proc/%d/task/%d/", pid, tid)
	if b, err := os.ReadFile(dir + "schedstat"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			u.StubCPU, _ = strconv.ParseInt(f[0], 10, 64)
		}
	}
	if b, err := os.ReadFile(dir + "status"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.HasSuffix(k, "ctxt_switches") {
				n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				u.Switches += n
			}
		}
	}
	return u
}

// Sub returns the usage from start to u.
func (u ThreadUsage) Sub(start ThreadUsage) ThreadUsage {
	return ThreadUsage{u.KiteCPU - start.KiteCPU, u.StubCPU - start.StubCPU, u.Switches - start.Switches}
}

// Report reports u per b.N operations.
func (u ThreadUsage) Report(b *testing.B) {
	n := float64(b.N)
	b.ReportMetric(float64(u.KiteCPU)/n, "kite-cpu-ns/op")
	b.ReportMetric(float64(u.StubCPU)/n, "stub-cpu-ns/op")
	b.ReportMetric(float64(u.Switches)/n, "switches/op")
}
