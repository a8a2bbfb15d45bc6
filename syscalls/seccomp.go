package syscalls

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/bpf"
	"github.com/kite-os/kite/kernel"
)

// seccompFlagsKnown are the SECCOMP_SET_MODE_FILTER flags kite accepts.
// WAIT_KILLABLE_RECV is not implemented and fails with EINVAL, as on a
// kernel without it.
const seccompFlagsKnown = unix.SECCOMP_FILTER_FLAG_TSYNC | unix.SECCOMP_FILTER_FLAG_LOG |
	unix.SECCOMP_FILTER_FLAG_SPEC_ALLOW | unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
	unix.SECCOMP_FILTER_FLAG_NEW_LISTENER

func seccomp(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return doSeccomp(t, uint32(a[0]), uint32(a[1]), a[2])
}

// doSeccomp is Linux's do_seccomp, shared by seccomp(2) and prctl.
func doSeccomp(t *kernel.Task, op, flags uint32, uargs uintptr) (uintptr, error) {
	switch op {
	case unix.SECCOMP_SET_MODE_STRICT:
		if flags != 0 || uargs != 0 {
			return 0, unix.EINVAL
		}
		return 0, t.SetSeccompStrict()
	case unix.SECCOMP_SET_MODE_FILTER:
		return seccompSetFilter(t, flags, uargs)
	case unix.SECCOMP_GET_ACTION_AVAIL:
		if flags != 0 {
			return 0, unix.EINVAL
		}
		var b [4]byte
		if err := copyInFull(t, uargs, b[:]); err != nil {
			return 0, err
		}
		switch getU32(b[:], 0) {
		case unix.SECCOMP_RET_KILL_PROCESS, unix.SECCOMP_RET_KILL_THREAD, unix.SECCOMP_RET_TRAP,
			unix.SECCOMP_RET_ERRNO, unix.SECCOMP_RET_USER_NOTIF, unix.SECCOMP_RET_TRACE,
			unix.SECCOMP_RET_LOG, unix.SECCOMP_RET_ALLOW:
			return 0, nil
		}
		return 0, unix.EOPNOTSUPP
	case unix.SECCOMP_GET_NOTIF_SIZES:
		if flags != 0 {
			return 0, unix.EINVAL
		}
		// struct seccomp_notif_sizes: the sizes of seccomp_notif,
		// seccomp_notif_resp and seccomp_data.
		b := make([]byte, 6)
		putU16(b, 0, 80)
		putU16(b, 2, 24)
		putU16(b, 4, bpf.SeccompDataSize)
		return 0, copyOutFull(t, uargs, b)
	}
	return 0, unix.EINVAL
}

// seccompSetFilter is SECCOMP_SET_MODE_FILTER: uargs points to a struct
// sock_fprog.
func seccompSetFilter(t *kernel.Task, flags uint32, uargs uintptr) (uintptr, error) {
	if flags&^seccompFlagsKnown != 0 {
		return 0, unix.EINVAL
	}
	// TSYNC's failure value (a thread id) could not be told from a
	// listener fd.
	if flags&unix.SECCOMP_FILTER_FLAG_TSYNC != 0 && flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER != 0 &&
		flags&unix.SECCOMP_FILTER_FLAG_TSYNC_ESRCH == 0 {
		return 0, unix.EINVAL
	}
	var hdr [16]byte
	if err := copyInFull(t, uargs, hdr[:]); err != nil {
		return 0, err
	}
	n := int(binary.LittleEndian.Uint16(hdr[:]))
	if n == 0 || n > bpf.MaxInstructions {
		return 0, unix.EINVAL
	}
	// Without no_new_privs a filter could fool a set-user-ID program:
	// only a task with CAP_SYS_ADMIN in its user namespace may install
	// one.
	if !t.NoNewPrivs() && !t.Credentials().HasCapability(unix.CAP_SYS_ADMIN) {
		return 0, unix.EACCES
	}
	raw := make([]byte, n*bpf.InstructionSize)
	if err := copyInFull(t, uintptr(getU64(hdr[:], 8)), raw); err != nil {
		return 0, err
	}
	prog := bpf.Decode(raw)
	if err := bpf.CheckSeccomp(prog); err != nil {
		return 0, err
	}
	if flags&unix.SECCOMP_FILTER_FLAG_NEW_LISTENER == 0 {
		tid, err := t.AttachSeccompFilter(prog, flags)
		return uintptr(tid), err
	}
	notif, f, err := t.Kernel().NewSeccompListener(t)
	if err != nil {
		return 0, err
	}
	if _, err := t.AttachSeccompFilterListener(prog, flags, notif); err != nil {
		f.DecRef(t)
		return 0, err
	}
	return installFile(t, f, true)
}
