package strace

import (
	"io"
	"testing"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"golang.org/x/sys/unix"
)

// FuzzTrace decodes arbitrary system calls against arbitrary memory: the
// arguments come from the traced program, so no decoder may panic or
// read without bound.
func FuzzTrace(f *testing.F) {
	f.Add(uint16(0), uint64(3), uint64(0x1000), uint64(8), uint64(0), uint64(0), uint64(0), uint64(8), false, []byte("hello\x00world"))
	f.Add(uint16(257), uint64(0xffffffffffffff9c), uint64(0x1000), uint64(0x241), uint64(0644), uint64(0), uint64(0), uint64(3), false, []byte("/etc/passwd\x00"))
	f.Add(uint16(56), uint64(0x3d0f00), uint64(0x1000), uint64(0x1008), uint64(0x1010), uint64(0x1018), uint64(0), uint64(5), false, make([]byte, 64))
	f.Fuzz(func(t *testing.T, nr uint16, a0, a1, a2, a3, a4, a5, ret uint64, fail bool, mem []byte) {
		m := newMem().put(0x1000, mem)
		args := arch.SyscallArgs{uintptr(a0), uintptr(a1), uintptr(a2), uintptr(a3), uintptr(a4), uintptr(a5)}
		var err error
		if fail {
			err = unix.Errno(ret % 600)
		}
		tr := New(io.Discard)
		n := uintptr(nr) % (linux.MaxSyscall + 10)
		tr.Enter(1, n, args, m)
		tr.Exit(1, n, args, uintptr(ret), err, m)
		tr.Enter(2, n, args, m)
		tr.Enter(3, n, args, m)
		tr.ExitNoReturn(2, n, args, m)
		tr.Exit(3, n, args, uintptr(ret), err, m)
	})
}
