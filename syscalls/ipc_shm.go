package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/mm"
)

// System V shared memory: the segments live in the task's IPC namespace
// (ipc.Namespace); attaching maps the segment's mm.SharedMemory.

func sysvNS(t *kernel.Task) *ipc.Namespace { return t.Namespaces().IPC.SysV }

func shmget(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, err := sysvNS(t).ShmGet(t.Credentials(), t.ThreadGroupID(), int32(a[0]), uint64(a[1]), int(int32(a[2])))
	return uintptr(id), err
}

func shmat(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, addr, flag := int32(a[0]), a[1], int(int32(a[2]))
	if addr != 0 && addr&(ipc.ShmLBA-1) != 0 {
		if flag&ipc.ShmRnd == 0 {
			return 0, unix.EINVAL
		}
		addr &^= ipc.ShmLBA - 1
		if addr == 0 && flag&ipc.ShmRemap != 0 {
			return 0, unix.EINVAL
		}
	}
	ns := sysvNS(t)
	seg, prot, err := ns.ShmAttach(t.Credentials(), id, flag)
	if err != nil {
		return 0, err
	}
	o := mm.MMapOpts{
		Addr: addr, Length: uintptr(seg.Obj.Size()), Prot: prot, Flags: unix.MAP_SHARED,
		Shm: seg.Obj, Name: seg.Name() + " (deleted)",
	}
	if addr != 0 {
		if flag&ipc.ShmRemap != 0 {
			o.Flags |= unix.MAP_FIXED
		} else {
			o.Flags |= unix.MAP_FIXED_NOREPLACE
		}
	}
	got, err := t.MemoryManager().MMap(o)
	seg.Obj.DecRef()
	if err == unix.EEXIST {
		return 0, unix.EINVAL
	}
	if err != nil {
		return 0, err
	}
	ns.Attached(seg, t.ThreadGroupID(), true)
	return got, nil
}

func shmdt(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	addr := a[0]
	if addr&(4096-1) != 0 {
		return 0, unix.EINVAL
	}
	m := t.MemoryManager()
	var obj *mm.SharedMemory
	var end uintptr
	detached := false
	for _, v := range m.VMAs() {
		if obj == nil && v.Start == addr && v.Shm != nil && v.Offset == 0 && ipc.IsSegmentName(v.Name) {
			obj = v.Shm
			end = addr + uintptr(obj.Size())
		}
		if obj != nil && v.Shm == obj && v.Start < end {
			err := m.MUnmap(v.Start, min(v.End, end)-v.Start)
			if err == unix.EPERM {
				// A sealed mapping stays attached: Linux's shmdt
				// ignores the unmap's failure.
				continue
			}
			if err != nil {
				return 0, err
			}
			detached = true
		}
	}
	if obj == nil {
		return 0, unix.EINVAL
	}
	if detached {
		sysvNS(t).Detached(obj, t.ThreadGroupID())
	}
	return 0, nil
}

func shmctl(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	id, cmd, buf := int32(a[0]), int(int32(a[1]))&^ipc.IPC64, a[2]
	size := 0
	switch cmd {
	case ipc.IPCStat, ipc.IPCSet, ipc.ShmStat, ipc.ShmStatAny:
		size = 112
	case ipc.IPCInfo:
		size = 72
	case ipc.ShmInfo:
		size = 48
	case ipc.IPCRmid, ipc.ShmLock, ipc.ShmUnlock:
	default:
		return 0, unix.EINVAL
	}
	b := make([]byte, size)
	if cmd == ipc.IPCSet {
		if err := copyInFull(t, buf, b); err != nil {
			return 0, err
		}
	}
	memlock := t.ThreadGroup().Limits().Get(unix.RLIMIT_MEMLOCK).Cur
	r, err := sysvNS(t).ShmCtl(t.Credentials(), id, cmd, b, memlock, t.ChargeShmLock)
	if err != nil {
		return 0, err
	}
	if cmd == ipc.IPCStat || cmd == ipc.ShmStat || cmd == ipc.ShmStatAny {
		// shm_cpid and shm_lpid as the caller's PID namespace numbers them.
		pidsInView(t, b, 80, 84)
	}
	if size > 0 && cmd != ipc.IPCSet {
		if err := copyOutFull(t, buf, b); err != nil {
			return 0, err
		}
	}
	return uintptr(r), nil
}
