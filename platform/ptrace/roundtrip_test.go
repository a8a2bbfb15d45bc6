package ptrace

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/platform"
	"github.com/kite-os/kite/platform/internal/hostsys"
	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// Where a ptrace round trip's time goes (bench/README.md, "Where a
// trapped call's time goes"): BenchmarkRoundTripParts takes one trapped
// getpid apart, BenchmarkHostCalls times each host call it is made of.

// lastCPU returns the CPU thread tid of process pid last ran on (field 39
// of its stat), or -1.
func lastCPU(pid, tid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/stat", pid, tid))
	if err != nil {
		return -1
	}
	// The fields after the command, which is in parentheses.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 37 {
		return -1
	}
	cpu, err := strconv.Atoi(f[36])
	if err != nil {
		return -1
	}
	return cpu
}

// rawWait is hostsys.Wait without the Go scheduler's entersyscall and
// exitsyscall (RawSyscall): for measuring only, since a wait4 that
// blocks for long there would hold up every stop-the-world.
func rawWait(tid int) error {
	for {
		var ws unix.WaitStatus
		_, _, e := unix.RawSyscall6(unix.SYS_WAIT4, uintptr(tid), uintptr(unsafe.Pointer(&ws)), unix.WALL, 0, 0, 0)
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		if !ws.Stopped() {
			return fmt.Errorf("stub thread %d: wait status %#x", tid, ws)
		}
		return nil
	}
}

// syscallInfo is struct ptrace_syscall_info for an entry stop.
type syscallInfo struct {
	op     uint8
	_      [3]uint8
	arch   uint32
	ip, sp uint64
	nr     uint64
	args   [6]uint64
	_      [2]uint64
}

const ptraceSyscallInfoEntry = 1

// getSyscallInfo is PTRACE_GET_SYSCALL_INFO.
func getSyscallInfo(tid int, si *syscallInfo) error {
	_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, unix.PTRACE_GET_SYSCALL_INFO, uintptr(tid), unsafe.Sizeof(*si), uintptr(unsafe.Pointer(si)), 0, 0)
	return errno(e)
}

func errno(e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

// BenchmarkRoundTripParts runs a stub thread looping on getpid (CPU
// following, as by default) and answers each call:
//
//   - switch: through Context.Switch, as kite does;
//   - raw: the same host calls without the Context (PTRACE_SYSEMU,
//     wait4, PTRACE_GETREGS, PTRACE_POKEUSER), each timed;
//   - raw-rawwait: raw with wait4 through RawSyscall (no entersyscall,
//     exitsyscall, and no P to hand off);
//   - raw-syscallinfo: raw with PTRACE_GET_SYSCALL_INFO (number, six
//     arguments, ip, sp) instead of GETREGS;
//   - resume: PTRACE_SYSEMU and wait4 only (the result is not set);
//   - optimistic: GETREGS right after PTRACE_SYSEMU, wait4 only if
//     that failed (the thread had not stopped yet): hits/op is how often
//     the stub had already stopped.
//
// It reports kite's and the stub thread's CPU time per round trip and
// their context switches (platformtest.ThreadUsage), the wall time of
// each part, and for switch how often (sampled every 64 calls) the stub
// thread had last run on the CPU kite's thread is on (same-cpu).
func BenchmarkRoundTripParts(b *testing.B) {
	for _, v := range []string{"switch", "raw", "raw-rawwait", "raw-syscallinfo", "resume", "optimistic"} {
		b.Run(v, func(b *testing.B) {
			e, pc := benchEnv(b, CPUFollow)
			c := pc.(*context)
			e.LoadCode(b, pt.SyscallLoop(unix.SYS_GETPID))
			r := pt.StartRegs(pt.CodeAddr)
			if _, _, err := c.Switch(e.AS, &r); err != nil {
				b.Fatal(err)
			}
			t := c.threads[e.AS.(*addressSpace)]
			regs := (*arch.Registers)(&r)
			var si syscallInfo
			var resume, wait, get, set time.Duration
			hits, sampled, same := 0, 0, 0
			start := pt.TakeThreadUsage(t.Tgid, t.Tid)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				switch v {
				case "switch":
					r.Rax = 1234
					ev, _, err := c.Switch(e.AS, &r)
					if err != nil || ev != platform.EventSyscall {
						b.Fatal(ev, err)
					}
					if i%64 == 0 {
						// Where the stub thread last ran against
						// where kite's thread runs now.
						sampled++
						if lastCPU(t.Tgid, t.Tid) == hostsys.Getcpu() {
							same++
						}
					}
					continue
				case "optimistic":
					if err := hostsys.Ptrace(unix.PTRACE_SYSEMU, t.Tid, 0, 0); err != nil {
						b.Fatal(err)
					}
					if hostsys.GetRegs(t.Tid, regs) == nil {
						hits++
					} else {
						if _, err := hostsys.Wait(t.Tid); err != nil {
							b.Fatal(err)
						}
						if err := hostsys.GetRegs(t.Tid, regs); err != nil {
							b.Fatal(err)
						}
					}
					if regs.Orig_rax != unix.SYS_GETPID {
						b.Fatalf("stopped with orig_rax %d", regs.Orig_rax)
					}
					// orig_rax -1 in the host copy, so that a stop
					// that is not a system call's tells by it.
					regs.Orig_rax, regs.Rax = ^uint64(0), 1234
					if err := hostsys.SetRegs(t.Tid, regs); err != nil {
						b.Fatal(err)
					}
					continue
				}
				t0 := time.Now()
				if err := hostsys.Ptrace(unix.PTRACE_SYSEMU, t.Tid, 0, 0); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				var err error
				if v == "raw-rawwait" {
					err = rawWait(t.Tid)
				} else {
					_, err = hostsys.Wait(t.Tid)
				}
				if err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				resume += t1.Sub(t0)
				wait += t2.Sub(t1)
				if v == "resume" {
					continue
				}
				if v == "raw-syscallinfo" {
					err = getSyscallInfo(t.Tid, &si)
					if err == nil && (si.op != ptraceSyscallInfoEntry || si.nr != unix.SYS_GETPID) {
						err = fmt.Errorf("syscall info: op %d nr %d", si.op, si.nr)
					}
				} else {
					err = hostsys.GetRegs(t.Tid, regs)
				}
				if err != nil {
					b.Fatal(err)
				}
				t3 := time.Now()
				if err := hostsys.SetRax(t.Tid, 1234); err != nil {
					b.Fatal(err)
				}
				get += t3.Sub(t2)
				set += time.Since(t3)
			}
			b.StopTimer()
			pt.TakeThreadUsage(t.Tgid, t.Tid).Sub(start).Report(b)
			n := float64(b.N)
			if resume > 0 {
				b.ReportMetric(float64(resume)/n, "sysemu-ns/op")
				b.ReportMetric(float64(wait)/n, "wait-ns/op")
			}
			if get > 0 {
				b.ReportMetric(float64(get)/n, "get-ns/op")
				b.ReportMetric(float64(set)/n, "poke-ns/op")
			}
			if v == "optimistic" {
				b.ReportMetric(float64(hits)/n, "hits/op")
			}
			if sampled > 0 {
				b.ReportMetric(float64(same)/float64(sampled), "same-cpu")
			}
		})
	}
}

// BenchmarkHostCalls times the host calls of a round trip one by one, on
// a stub thread stopped at a system call: the best of batches of 100 (the
// least disturbed by other work on the machine), in ns.
func BenchmarkHostCalls(b *testing.B) {
	// Everything here runs on the goroutine (and so the OS thread) that
	// traces the stub thread: no b.Run.
	e, pc := benchEnv(b, CPUFollow)
	c := pc.(*context)
	e.LoadCode(b, pt.SyscallLoop(unix.SYS_GETPID))
	r := pt.StartRegs(pt.CodeAddr)
	if _, _, err := c.Switch(e.AS, &r); err != nil {
		b.Fatal(err)
	}
	tid := c.threads[e.AS.(*addressSpace)].Tid
	var si syscallInfo
	var regs arch.Registers
	ptraceCall := func(req, addr int, data uintptr) func() error {
		return func() error {
			_, _, e := unix.RawSyscall6(unix.SYS_PTRACE, uintptr(req), uintptr(tid), uintptr(addr), data, 0, 0)
			return errno(e)
		}
	}
	var word uint64
	calls := []struct {
		name string
		f    func() error
	}{
		{"getppid-raw", func() error { _, _, e := unix.RawSyscall(unix.SYS_GETPPID, 0, 0, 0); return errno(e) }},
		{"getppid-syscall", func() error { _, _, e := unix.Syscall(unix.SYS_GETPPID, 0, 0, 0); return errno(e) }},
		{"getregs", func() error { return hostsys.GetRegs(tid, &regs) }},
		{"syscallinfo", func() error { return getSyscallInfo(tid, &si) }},
		{"peekuser", ptraceCall(unix.PTRACE_PEEKUSR, 15*8, uintptr(unsafe.Pointer(&word)))},
		{"pokeuser", func() error { return hostsys.SetRax(tid, 1234) }},
		{"setregs", func() error { return hostsys.SetRegs(tid, &regs) }},
		{"wait4-nohang", func() error {
			_, _, err := hostsys.Wait4(tid, unix.WALL|unix.WNOHANG)
			return err
		}},
		{"getcpu-syscall", func() error {
			var cpu uint32
			_, _, e := unix.RawSyscall(unix.SYS_GETCPU, uintptr(unsafe.Pointer(&cpu)), 0, 0)
			return errno(e)
		}},
		{"getcpu", func() error { hostsys.Getcpu(); return nil }},
		{"time.Now", func() error { time.Now(); return nil }},
	}
	if err := hostsys.GetRegs(tid, &regs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for _, call := range calls {
		best := time.Duration(1 << 62)
		const batch = 100
		for i := 0; i < max(b.N/len(calls), batch); i += batch {
			t0 := time.Now()
			for j := 0; j < batch; j++ {
				if err := call.f(); err != nil {
					b.Fatal(call.name, err)
				}
			}
			best = min(best, time.Since(t0))
		}
		b.ReportMetric(float64(best)/batch, call.name+"-ns")
	}
}
