package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
)

func msgget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, err := sysvNS(t).MsgGet(t.Credentials(), int32(a[0]), int(int32(a[1])))
	return uintptr(id), err
}

func msgsnd(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, addr, size, flag := int32(a[0]), a[1], int64(a[2]), int(int32(a[3]))
	var tb [8]byte
	if err := copyInFull(t, addr, tb[:]); err != nil {
		return 0, err
	}
	ns := sysvNS(t)
	if size > int64(ns.MsgMax()) || size < 0 || id < 0 {
		return 0, unix.EINVAL
	}
	typ := int64(getU64(tb[:], 0))
	if typ < 1 {
		return 0, unix.EINVAL
	}
	text := make([]byte, size)
	if err := copyInFull(t, addr+8, text); err != nil {
		return 0, err
	}
	return 0, ns.MsgSnd(t, t.Credentials(), t.ThreadGroupID(), id, typ, text, flag)
}

func msgrcv(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, addr, size, typ, flag := int32(a[0]), a[1], int64(a[2]), int64(a[3]), int(int32(a[4]))
	if id < 0 || size < 0 {
		return 0, unix.EINVAL
	}
	size = min(size, 1<<30)
	mtype, text, err := sysvNS(t).MsgRcv(t, t.Credentials(), t.ThreadGroupID(), id, int(size), typ, flag)
	if err != nil {
		return 0, err
	}
	var tb [8]byte
	putU64(tb[:], 0, uint64(mtype))
	if err := copyOutFull(t, addr, tb[:]); err != nil {
		return 0, err
	}
	if err := copyOutFull(t, addr+8, text); err != nil {
		return 0, err
	}
	return uintptr(len(text)), nil
}

func msgctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, cmd, buf := int32(a[0]), int(int32(a[1]))&^ipc.IPC64, a[2]
	var b []byte
	switch cmd {
	case ipc.IPCStat, ipc.IPCSet, ipc.MsgStat, ipc.MsgStatAny:
		b = make([]byte, 120)
	case ipc.IPCInfo, ipc.MsgInfo:
		b = make([]byte, 32)
	case ipc.IPCRmid:
	default:
		return 0, unix.EINVAL
	}
	if cmd == ipc.IPCSet {
		if err := copyInFull(t, buf, b); err != nil {
			return 0, err
		}
	}
	r, err := sysvNS(t).MsgCtl(t.Credentials(), id, cmd, b)
	if err != nil {
		return 0, err
	}
	if cmd == ipc.IPCStat || cmd == ipc.MsgStat || cmd == ipc.MsgStatAny {
		// msg_lspid and msg_lrpid.
		pidsInView(t, b, 96, 100)
	}
	if len(b) > 0 && cmd != ipc.IPCSet {
		if err := copyOutFull(t, buf, b); err != nil {
			return 0, err
		}
	}
	return uintptr(r), nil
}
