package systrap

import (
	"fmt"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/platform"
)

// benchEnv is newEnv for benchmarks, with the spin counts set before the
// Context's thread exists.
func benchEnv(b *testing.B, kiteSpin, stubSpin int, follow bool) (*env, platform.Context) {
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
	p.SetSpin(kiteSpin, stubSpin)
	p.SetFollow(follow)
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

// BenchmarkSyscallRoundTrip measures one application system call: the stub
// loops on getpid and the benchmark answers each, with several spin
// counts (kite's, the stub's).
func BenchmarkSyscallRoundTrip(b *testing.B) {
	for _, v := range []struct {
		follow bool
		spin   [2]int
	}{{true, [2]int{0, 0}}, {true, [2]int{200, 200}}, {false, [2]int{0, 0}}, {false, [2]int{2000, 2000}}, {false, [2]int{20000, 20000}}} {
		name := fmt.Sprintf("spin%d-%d", v.spin[0], v.spin[1])
		if v.follow {
			name = "follow-" + name
		}
		b.Run(name, func(b *testing.B) {
			e, c := benchEnv(b, v.spin[0], v.spin[1], v.follow)
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

// BenchmarkMapFile measures a mapping change (injected through the owner).
func BenchmarkMapFile(b *testing.B) {
	e, _ := benchEnv(b, defaultKiteSpin, defaultStubSpin, true)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.as.MapFile(dataAddr, dataOff, pageSize, unix.PROT_READ); err != nil {
			b.Fatal(err)
		}
	}
}
