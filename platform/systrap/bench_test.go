package systrap

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	pt "github.com/kite-os/kite/platform/internal/platformtest"
)

// spinBackend is the platform with fixed polling times and CPU following
// set before the first Context's thread exists.
func spinBackend(kiteSpin, stubSpin time.Duration, follow bool) pt.Backend {
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
// adaptive polling (the default) and fixed polling times (kite's, the
// stub's, in microseconds).
func BenchmarkSyscallRoundTrip(b *testing.B) {
	b.Run("adaptive", func(b *testing.B) { pt.BenchSyscallRoundTrip(b, systrapBackend) })
	// The adaptation alone, polling even on a loaded host.
	b.Run("adaptive-anyload", func(b *testing.B) {
		pt.BenchSyscallRoundTrip(b, backend(func(memfd int) (*Platform, error) {
			p, err := New(memfd)
			if err == nil {
				p.gate.ignoreLoad = true
			}
			return p, err
		}))
	})
	for _, v := range []struct {
		follow bool
		spin   [2]time.Duration
	}{{true, [2]time.Duration{0, 0}}, {false, [2]time.Duration{0, 0}}, {false, [2]time.Duration{10e3, 10e3}}, {false, [2]time.Duration{100e3, 100e3}}} {
		name := fmt.Sprintf("spin%d-%d", v.spin[0]/1000, v.spin[1]/1000)
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
