package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
)

func semget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, err := sysvNS(t).SemGet(t.Credentials(), int32(a[0]), int32(a[1]), int(int32(a[2])))
	return uintptr(id), err
}

func semop(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, doSemop(t, int32(a[0]), a[1], int(a[2]), 0)
}

func semtimedop(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	return 0, doSemop(t, int32(a[0]), a[1], int(a[2]), a[3])
}

// semopMax bounds the operations copied in before the namespace's semopm
// check (Linux reads SEMOPM_FAST on the stack, more from the heap).
const semopMax = 1 << 16

func doSemop(t *kernel.Task, id int32, addr uintptr, n int, tsAddr uintptr) error {
	if n < 1 || id < 0 {
		return unix.EINVAL
	}
	if n > semopMax || n > int(sysvNS(t).Limits().SemOpm) {
		return unix.E2BIG
	}
	b := make([]byte, 6*n)
	if err := copyInFull(t, addr, b); err != nil {
		return err
	}
	ops := make([]ipc.SemBuf, n)
	for i := range ops {
		ops[i] = ipc.SemBuf{Num: getU16(b, 6*i), Op: int16(getU16(b, 6*i+2)), Flag: int16(getU16(b, 6*i+4))}
	}
	var deadline time.Time
	if tsAddr != 0 {
		var ts [16]byte
		if err := copyInFull(t, tsAddr, ts[:]); err != nil {
			return err
		}
		sec, nsec := int64(getU64(ts[:], 0)), int64(getU64(ts[:], 8))
		if sec < 0 || nsec < 0 || nsec >= 1e9 {
			return unix.EINVAL
		}
		deadline = time.Now().Add(time.Duration(sec)*time.Second + time.Duration(nsec))
		if sec == 0 && nsec == 0 {
			deadline = time.Now()
		}
	}
	return sysvNS(t).SemOp(t, t.Credentials(), t.ThreadGroupID(), id, ops, deadline, t.SemUndoList)
}

func semctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, num, cmd, arg := int32(a[0]), int32(a[1]), int(int32(a[2]))&^ipc.IPC64, a[3]
	ns := sysvNS(t)
	var b []byte
	switch cmd {
	case ipc.IPCStat, ipc.IPCSet, ipc.SemStat, ipc.SemStatAny:
		b = make([]byte, 104)
	case ipc.IPCInfo, ipc.SemInfo:
		b = make([]byte, 40)
	case ipc.GetAll, ipc.SetAll:
		n, err := ns.NumSems(id)
		if err != nil {
			return 0, err
		}
		b = make([]byte, 2*n)
	case ipc.IPCRmid, ipc.GetVal, ipc.GetPid, ipc.GetNCnt, ipc.GetZCnt, ipc.SetVal:
	default:
		return 0, unix.EINVAL
	}
	if cmd == ipc.IPCSet || cmd == ipc.SetAll {
		if err := copyInFull(t, arg, b); err != nil {
			return 0, err
		}
	}
	r, err := ns.SemCtl(t.Credentials(), t.ThreadGroupID(), id, num, cmd, int32(arg), b)
	if err != nil {
		return 0, err
	}
	if cmd == ipc.GetPid {
		// sempid as the caller's PID namespace numbers it.
		r = t.PIDOf(r)
	}
	if len(b) > 0 && cmd != ipc.IPCSet && cmd != ipc.SetAll {
		if err := copyOutFull(t, arg, b); err != nil {
			return 0, err
		}
	}
	return uintptr(r), nil
}

// pidsInView rewrites the global pids at offsets offs of b as t's PID
// namespace numbers them (0 for a process outside it).
func pidsInView(t *kernel.Task, b []byte, offs ...int) {
	for _, o := range offs {
		if len(b) >= o+4 {
			putU32(b, o, uint32(t.PIDOf(int32(getU32(b, o)))))
		}
	}
}

func getU16(b []byte, off int) uint16 { return uint16(b[off]) | uint16(b[off+1])<<8 }
