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

// ptraceGetRseqConfiguration is PTRACE_GET_RSEQ_CONFIGURATION: struct
// ptrace_rseq_configuration (the area's address, its length, the
// signature, flags 0, padding), truncated to size bytes; it returns the
// structure's full size.
func ptraceGetRseqConfiguration(t *kernel.Task, pid int32, size, data uintptr) (uintptr, error) {
	var b [ptraceRseqConfigSize]byte
	if err := t.PtraceRun(pid, func(c *kernel.Task) error {
		addr, length, sig := c.RSeqConfiguration()
		putU64(b[:], 0, addr)
		putU32(b[:], 8, length)
		putU32(b[:], 12, sig)
		return nil
	}); err != nil {
		return 0, err
	}
	if err := copyOutFull(t, data, b[:min(size, uintptr(len(b)))]); err != nil {
		return 0, err
	}
	return ptraceRseqConfigSize, nil
}

// ptraceRseqConfigSize is sizeof(struct ptrace_rseq_configuration).
const ptraceRseqConfigSize = 24
