package systrap

import (
	"fmt"
	"testing"

	"golang.org/x/sys/unix"

	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// spinBackend is the platform with the spin counts and CPU following
// set before the first Context's thread exists.
func spinBackend(kiteSpin, stubSpin int, follow bool) pt.Backend {
	return backend(func(memfd int) (*Platform, error) {
		p, err := New(memfd)
		if err != nil {
			return nil, err
		}
		p.SetSpin(kiteSpin, stubSpin)
		p.SetFollow(follow)
		return p, nil
	})
}

// BenchmarkSyscallRoundTrip measures one application system call with
// several spin counts (kite's, the stub's).
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
			pt.BenchSyscallRoundTrip(b, spinBackend(v.spin[0], v.spin[1], v.follow))
		})
	}
}

// BenchmarkMapFile measures a mapping change (through the syscall thread).
func BenchmarkMapFile(b *testing.B) {
	e, _ := pt.BenchEnv(b, systrapBackend)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := e.AS.MapFile(pt.DataAddr, pt.DataOff, pt.PageSize, unix.PROT_READ); err != nil {
			b.Fatal(err)
		}
	}
}
