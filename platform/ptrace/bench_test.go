package ptrace

import (
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// benchEnv is newEnv for benchmarks, with pinning set before the address
// space and the Context exist.
func benchEnv(b *testing.B, policy CPUPolicy) (*env, platform.Context) {
	b.Helper()
	fd, err := unix.MemfdCreate("kite-bench-mem", unix.MFD_CLOEXEC)
	if err != nil {
		b.Fatal(err)
	}
	if err := unix.Ftruncate(fd, memSize); err != nil {
		b.Fatal(err)
	}
	mem, err := unix.Mmap(fd, 0, memSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		b.Fatal(err)
	}
	p, err := New(fd)
	if err != nil {
		b.Fatal(err)
	}
	p.SetCPUPolicy(policy)
	// Take the spare started under the default policy, to get one started
	// under this one.
	if as, err := p.NewAddressSpace(); err == nil {
		as.Release()
	}
	as, err := p.NewAddressSpace()
	if err != nil {
		b.Fatal(err)
	}
	runtime.LockOSThread()
	c, err := p.NewContext()
	if err != nil {
		b.Fatal(err)
	}
	e := &env{p: p, memfd: fd, mem: mem, as: as}
	b.Cleanup(func() {
		c.Release()
		runtime.UnlockOSThread()
		as.Release()
		p.Close()
		unix.Munmap(mem)
		unix.Close(fd)
	})
	return e, c
}

var policies = []struct {
	name string
	p    CPUPolicy
}{{"follow", CPUFollow}, {"pinned", CPUPin}, {"unpinned", CPUFree}}

// BenchmarkSyscallRoundTrip measures one application system call: the stub
// loops on getpid under PTRACE_SYSEMU and the benchmark answers each.
func BenchmarkSyscallRoundTrip(b *testing.B) {
	for _, pol := range policies {
		b.Run(pol.name, func(b *testing.B) {
			e, c := benchEnv(b, pol.p)
			copy(e.mem[codeOff:], cat(insMovEaxImm(unix.SYS_GETPID), insSyscall, insJmpRel8(-9)))
			if err := e.as.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
				b.Fatal(err)
			}
			r := startRegs(codeAddr)
			if _, _, err := c.Switch(e.as, &r); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				r.Rax = 1234
				ev, _, err := c.Switch(e.as, &r)
				if err != nil || ev != platform.EventSyscall {
					b.Fatalf("%v %v", ev, err)
				}
			}
		})
	}
}

// BenchmarkMapFile measures a mapping change made from the Context's own OS
// thread (injected through its stub thread) and from a goroutine without a
// stub thread (handed to the owner).
func BenchmarkMapFile(b *testing.B) {
	for _, pol := range policies {
		for _, direct := range []bool{true, false} {
			name := "owner/" + pol.name
			if direct {
				name = "direct/" + pol.name
			}
			b.Run(name, func(b *testing.B) {
				e, c := benchEnv(b, pol.p)
				copy(e.mem[codeOff:], cat(insSyscall))
				if err := e.as.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
					b.Fatal(err)
				}
				r := startRegs(codeAddr)
				if _, _, err := c.Switch(e.as, &r); err != nil {
					b.Fatal(err)
				}
				mapIt := func() {
					if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err != nil {
						b.Error(err)
					}
				}
				b.ResetTimer()
				if direct {
					for i := 0; i < b.N; i++ {
						mapIt()
					}
					return
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					for i := 0; i < b.N; i++ {
						mapIt()
					}
				}()
				<-done
			})
		}
	}
}

// BenchmarkAddressSpace measures creating a stub, running one thread in it
// and releasing it: the platform's share of a fork or an exec. "spaced"
// leaves the platform 5ms between iterations (untimed) to get its spare
// address space and spare thread ready, as a program's exec would;
// "back-to-back" measures throughput, background work included.
func BenchmarkAddressSpace(b *testing.B) {
	for _, spaced := range []bool{true, false} {
		name := "back-to-back"
		if spaced {
			name = "spaced"
		}
		b.Run(name, func(b *testing.B) {
			e, c := benchEnv(b, defaultCPUPolicy)
			copy(e.mem[codeOff:], cat(insSyscall))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if spaced {
					b.StopTimer()
					time.Sleep(5 * time.Millisecond)
					b.StartTimer()
				}
				as, err := e.p.NewAddressSpace()
				if err != nil {
					b.Fatal(err)
				}
				// As after an exec: the first instruction faults, the
				// fault handler maps the page (through the Context's
				// stub thread by now), and the program runs.
				r := startRegs(codeAddr)
				if ev, _, err := c.Switch(as, &r); err != nil || ev != platform.EventFault {
					b.Fatal(ev, err)
				}
				if err := as.MapFile(codeAddr, codeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
					b.Fatal(err)
				}
				if ev, _, err := c.Switch(as, &r); err != nil || ev != platform.EventSyscall {
					b.Fatal(ev, err)
				}
				as.Release()
			}
		})
	}
}
