package platformtest

import (
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
// application loops on getpid and the benchmark answers each.
func BenchSyscallRoundTrip(b *testing.B, be Backend) {
	e, c := BenchEnv(b, be)
	e.LoadCode(b, SyscallLoop(unix.SYS_GETPID))
	r := StartRegs(CodeAddr)
	if _, _, err := c.Switch(e.AS, &r); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.Rax = 1234
		ev, _, err := c.Switch(e.AS, &r)
		if err != nil || ev != platform.EventSyscall {
			b.Fatalf("%v %v", ev, err)
		}
	}
}
