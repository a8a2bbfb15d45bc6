package ptrace

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// benchEnv is pt.BenchEnv with the CPU policy set before the address
// space and the Context exist.
func benchEnv(b *testing.B, policy CPUPolicy) (*pt.Env, platform.Context) {
	return pt.BenchEnv(b, backend(func(memfd int) (*Platform, error) { return newWithPolicy(memfd, policy) }))
}

// newWithPolicy is New with the CPU policy set before the first address
// space is taken.
func newWithPolicy(memfd int, policy CPUPolicy) (*Platform, error) {
	p, err := New(memfd)
	if err != nil {
		return nil, err
	}
	p.SetCPUPolicy(policy)
	// Take the spare started under the default policy, to get one started
	// under this one.
	if as, err := p.NewAddressSpace(); err == nil {
		as.Release()
	}
	return p, nil
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
			pt.BenchSyscallRoundTrip(b, backend(func(memfd int) (*Platform, error) {
				return newWithPolicy(memfd, pol.p)
			}))
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
				copy(e.Mem[pt.CodeOff:], pt.InsSyscall)
				if err := e.AS.MapFile(pt.CodeAddr, pt.CodeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
					b.Fatal(err)
				}
				r := pt.StartRegs(pt.CodeAddr)
				if _, _, err := c.Switch(e.AS, &r); err != nil {
					b.Fatal(err)
				}
				mapIt := func() {
					if err := e.AS.MapFile(pt.DataAddr, pt.DataOff, pageSize, unix.PROT_READ); err != nil {
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
			copy(e.Mem[pt.CodeOff:], pt.InsSyscall)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if spaced {
					b.StopTimer()
					time.Sleep(5 * time.Millisecond)
					b.StartTimer()
				}
				as, err := e.P.NewAddressSpace()
				if err != nil {
					b.Fatal(err)
				}
				// As after an exec: the first instruction faults, the
				// fault handler maps the page (through the Context's
				// stub thread by now), and the program runs.
				r := pt.StartRegs(pt.CodeAddr)
				if ev, _, err := c.Switch(as, &r); err != nil || ev != platform.EventFault {
					b.Fatal(ev, err)
				}
				if err := as.MapFile(pt.CodeAddr, pt.CodeOff, pageSize, unix.PROT_READ|unix.PROT_EXEC); err != nil {
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
