package syscalls

import (
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/kernel"
)

// rseq(rseq, rseq_len, flags, sig) registers or unregisters the calling
// thread's restartable-sequences area (kernel/rseq.go).
func rseq(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, t.RSeq(uintptr(a[0]), uint32(a[1]), int32(a[2]), uint32(a[3]))
}
