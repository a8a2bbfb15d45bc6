package kernel

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/loader"
)

// Restartable sequences (rseq(2)). A thread registers a struct rseq in
// its memory; the kernel keeps its CPU numbers current and, when the
// thread is taken out of a critical section that its rseq_cs field
// describes, moves it to the section's abort handler.
//
// kite writes the CPU numbers (those getcpu(2) reports, Task.CPU) before
// each return to application code, and only when they changed. It aborts a
// critical section when the task left application code for anything but
// a system call (a fault or an interrupt) and when a signal handler's
// frame is set up, as Linux does after a preemption, a migration or a
// signal. What kite cannot see is the host preempting the stub thread
// that runs the task: two tasks of one address space that report the same
// CPU can then be inside critical sections at once.

// rseqAux is an AT_RSEQ_* value, or 0 (no entry) when rseq(2) is not
// offered.
func rseqAux(offered bool, v uint64) uint64 {
	if !offered {
		return 0
	}
	return v
}

// RSeqFeatureSize and RSeqAlign are AT_RSEQ_FEATURE_SIZE and AT_RSEQ_ALIGN:
// the fields of struct rseq kite fills (up to mm_cid) and the area's
// alignment.
const (
	RSeqFeatureSize = 28
	RSeqAlign       = 32
)

const (
	// rseqOrigSize is the original struct rseq's size (with padding).
	rseqOrigSize = 32
	// rseqFlagUnregister is RSEQ_FLAG_UNREGISTER.
	rseqFlagUnregister = 1
	// rseqCPUIDUninitialized is RSEQ_CPU_ID_UNINITIALIZED, cpu_id after
	// unregistration.
	rseqCPUIDUninitialized = ^uint32(0)

	// Offsets in struct rseq.
	rseqOffCS     = 8
	rseqOffFlags  = 16
	rseqOffNodeID = 20

	// rseqCSSize is the size of struct rseq_cs: version, flags, start_ip,
	// post_commit_offset and abort_ip.
	rseqCSSize = 32
)

// rseqState is a task's rseq registration. Used only by the task's
// goroutine (and by its creator before it starts).
type rseqState struct {
	// addr is the registered struct rseq; 0 when none is.
	addr uintptr
	// length and sig are the registration's rseq_len and signature.
	length uint32
	sig    uint32
	// cpu is the CPU number last written into the area; -1 when it must
	// be written before the task next runs.
	cpu int32
	// event is set when the task left application code other than by a
	// system call since it last ran (Linux's rseq event mask): a
	// critical section it was in is aborted before it runs again.
	event bool
}

// forked returns the child's registration for clone flags f: a new
// process keeps it (the area is at the same address in its copy of the
// memory), a task sharing the address space starts without one.
func (r *rseqState) forked(f uint64) rseqState {
	if f&unix.CLONE_VM != 0 || r.addr == 0 {
		return rseqState{}
	}
	return rseqState{addr: r.addr, length: r.length, sig: r.sig, cpu: -1}
}

// RSeq is rseq(2): it registers the struct rseq at addr of length bytes,
// whose critical sections' abort handlers are preceded by sig, for the
// calling task, or with RSEQ_FLAG_UNREGISTER removes that registration.
func (t *Task) RSeq(addr uintptr, length uint32, flags int32, sig uint32) error {
	if !t.k.rseq {
		return unix.ENOSYS
	}
	r := &t.rseq
	if flags&rseqFlagUnregister != 0 {
		if flags != rseqFlagUnregister || r.addr == 0 || r.addr != addr || r.length != length {
			return unix.EINVAL
		}
		if r.sig != sig {
			return unix.EPERM
		}
		// cpu_id_start 0, cpu_id "uninitialized", node_id and mm_cid 0,
		// so that a reader sees it must register again.
		var b [8]byte
		binary.LittleEndian.PutUint32(b[4:], rseqCPUIDUninitialized)
		if _, err := t.CopyOut(addr, b[:]); err != nil {
			return unix.EFAULT
		}
		clear(b[:])
		if _, err := t.CopyOut(addr+rseqOffNodeID, b[:]); err != nil {
			return unix.EFAULT
		}
		*r = rseqState{}
		return nil
	}
	if flags != 0 {
		return unix.EINVAL
	}
	if r.addr != 0 {
		if r.addr != addr || r.length != length {
			return unix.EINVAL
		}
		if r.sig != sig {
			return unix.EPERM
		}
		return unix.EBUSY
	}
	// The original size aligned as the original struct, or a larger
	// area aligned as AT_RSEQ_ALIGN says that holds every field kite
	// fills.
	if length < rseqOrigSize || addr%RSeqAlign != 0 || (length != rseqOrigSize && length < RSeqFeatureSize) {
		return unix.EINVAL
	}
	if addr >= loader.TaskSize || uintptr(length) > loader.TaskSize-addr {
		return unix.EFAULT
	}
	// A stale rseq_cs (a C library reusing an area without clearing it)
	// is cleared rather than checked at the first return, as Linux
	// does; the area must be readable for that.
	var b [8]byte
	if _, err := t.CopyIn(addr+rseqOffCS, b[:]); err != nil {
		return unix.EFAULT
	}
	if binary.LittleEndian.Uint64(b[:]) != 0 {
		clear(b[:])
		if _, err := t.CopyOut(addr+rseqOffCS, b[:]); err != nil {
			return unix.EFAULT
		}
	}
	// The CPU numbers are written before the task returns (a fault then
	// is a SIGSEGV, as on Linux).
	*r = rseqState{addr: addr, length: length, sig: sig, cpu: -1}
	return nil
}

// rseqReturn runs before a task with an rseq area returns to application
// code: it aborts the critical section the task was in if it left
// application code for a fault or an interrupt, and writes the CPU
// numbers if they changed. It reports false when it could not and forced
// a SIGSEGV, which must be delivered first.
func (t *Task) rseqReturn() bool {
	return t.rseqNotifyResume(0)
}

// rseqSignal runs before a frame for a handler of sig is set up: a
// critical section is aborted, so that the handler's frame returns to
// its abort handler.
func (t *Task) rseqSignal(sig int) {
	if t.rseq.addr == 0 {
		return
	}
	t.rseq.event = true
	t.rseqNotifyResume(sig)
}

// rseqNotifyResume is Linux's __rseq_handle_notify_resume: after an event
// it fixes up the instruction pointer, then it brings the CPU numbers up
// to date. A failure forces SIGSEGV (with sig's handler reset when sig,
// the signal being delivered, is SIGSEGV itself, so that it cannot loop).
func (t *Task) rseqNotifyResume(sig int) bool {
	r := &t.rseq
	if r.event {
		r.event = false
		if err := t.rseqFixup(); err != nil {
			t.rseqForceSegv(sig)
			return false
		}
	}
	cpu := int32(t.CPU())
	if cpu == r.cpu {
		return true
	}
	// cpu_id_start and cpu_id, then node_id (kite has one node) and
	// mm_cid. mm_cid is the CPU number: it is unique among the running
	// threads of the address space as far as cpu_id is, and below the
	// number of CPUs, though not compacted as Linux's is.
	var b [8]byte
	binary.LittleEndian.PutUint32(b[0:], uint32(cpu))
	binary.LittleEndian.PutUint32(b[4:], uint32(cpu))
	if _, err := t.CopyOut(r.addr, b[:]); err != nil {
		t.rseqForceSegv(sig)
		return false
	}
	binary.LittleEndian.PutUint32(b[0:], 0)
	if _, err := t.CopyOut(r.addr+rseqOffNodeID, b[:]); err != nil {
		t.rseqForceSegv(sig)
		return false
	}
	r.cpu = cpu
	return true
}

// rseqFixup is Linux's rseq_ip_fixup: it validates the critical section
// descriptor rseq_cs points to (if any) and clears the pointer; if the
// task is inside the section, it moves it to the abort handler.
func (t *Task) rseqFixup() error {
	r := &t.rseq
	var b [rseqCSSize]byte
	if _, err := t.CopyIn(r.addr+rseqOffCS, b[:8]); err != nil {
		return unix.EFAULT
	}
	ptr := binary.LittleEndian.Uint64(b[:8])
	if ptr == 0 {
		return nil
	}
	if ptr >= loader.TaskSize {
		return unix.EINVAL
	}
	if _, err := t.CopyIn(uintptr(ptr), b[:]); err != nil {
		return unix.EFAULT
	}
	version := binary.LittleEndian.Uint32(b[0:])
	flags := binary.LittleEndian.Uint32(b[4:])
	start := binary.LittleEndian.Uint64(b[8:])
	post := binary.LittleEndian.Uint64(b[16:])
	abort := binary.LittleEndian.Uint64(b[24:])
	const top = uint64(loader.TaskSize)
	if version > 0 || start >= top || abort >= top || start+post >= top || start+post < start {
		return unix.EINVAL
	}
	// The abort handler is outside the section, and the signature is
	// the four bytes before it.
	if abort-start < post {
		return unix.EINVAL
	}
	if _, err := t.CopyIn(uintptr(abort-4), b[:4]); err != nil {
		return unix.EFAULT
	}
	if binary.LittleEndian.Uint32(b[:4]) != r.sig {
		return unix.EINVAL
	}
	clearCS := func() error {
		clear(b[:8])
		if _, err := t.CopyOut(r.addr+rseqOffCS, b[:8]); err != nil {
			return unix.EFAULT
		}
		return nil
	}
	if t.regs.Rip-start >= post {
		return clearCS()
	}
	// The RSEQ_CS_FLAG_NO_RESTART_* flags are deprecated: Linux refuses
	// them (and any other) in either the descriptor or the area.
	if flags != 0 {
		return unix.EINVAL
	}
	if _, err := t.CopyIn(r.addr+rseqOffFlags, b[:4]); err != nil {
		return unix.EFAULT
	}
	if binary.LittleEndian.Uint32(b[:4]) != 0 {
		return unix.EINVAL
	}
	if err := clearCS(); err != nil {
		return err
	}
	t.regs.Rip = abort
	return nil
}

// rseqForceSegv is Linux's force_sigsegv(sig) after an rseq failure.
func (t *Task) rseqForceSegv(sig int) {
	tg := t.tg
	if sig == int(unix.SIGSEGV) {
		tg.sigMu.Lock()
		tg.handlers.mu.Lock()
		tg.handlers.actions[sig-1] = linux.SigAction{}
		tg.handlers.mu.Unlock()
		tg.sigMu.Unlock()
	}
	info := arch.NewKernelSignalInfo(int(unix.SIGSEGV))
	t.forceSignal(&info)
}

// RSeqConfiguration returns the task's registration (address, length and
// signature; zeros when it has none), for PTRACE_GET_RSEQ_CONFIGURATION.
// Called on the task's goroutine (a ptrace request run in its stop).
func (t *Task) RSeqConfiguration() (addr uint64, length, sig uint32) {
	return uint64(t.rseq.addr), t.rseq.length, t.rseq.sig
}
