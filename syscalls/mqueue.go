package syscalls

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/arch"
	"github.com/kite-os/kite/ipc"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/vfs"
)

// POSIX message queues live in the IPC namespace's mqueue file system.

func mqFS(t *kernel.Task) *ipc.MQFS { return t.Namespaces().IPC.MQ }

func mqOpen(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	name, err := copyInPath(t, a[0])
	if err != nil {
		return 0, err
	}
	oflag, mode := int(int32(a[1])), uint32(a[2])
	var attr *ipc.MQAttr
	if oflag&unix.O_CREAT != 0 && a[3] != 0 {
		var b [64]byte
		if err := copyInFull(t, a[3], b[:]); err != nil {
			return 0, err
		}
		attr = &ipc.MQAttr{MaxMsg: int64(getU64(b[:], 8)), MsgSize: int64(getU64(b[:], 16))}
	}
	f, err := mqFS(t).Open(t, name, oflag, mode, t.FSContext().Umask(), attr, t.ChargeMQBytes)
	if err != nil {
		return 0, err
	}
	return installFile(t, f, oflag&unix.O_CLOEXEC != 0)
}

func mqUnlink(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	name, err := copyInPath(t, a[0])
	if err != nil {
		return 0, err
	}
	return 0, mqFS(t).Unlink(t, name)
}

// mqFile returns the queue open at fd.
func mqFile(t *kernel.Task, fd int32) (*vfs.File, *ipc.Queue, error) {
	f, _, err := t.FDTable().Get(fd)
	if err != nil {
		return nil, nil, unix.EBADF
	}
	q, err := ipc.QueueOf(f)
	if err != nil {
		f.DecRef(t)
		return nil, nil, err
	}
	return f, q, nil
}

// mqDeadline reads an absolute CLOCK_REALTIME timeout (0: none).
func mqDeadline(t *kernel.Task, addr uintptr) (time.Time, error) {
	if addr == 0 {
		return time.Time{}, nil
	}
	var b [16]byte
	if err := copyInFull(t, addr, b[:]); err != nil {
		return time.Time{}, err
	}
	sec, nsec := int64(getU64(b[:], 0)), int64(getU64(b[:], 8))
	if sec < 0 || nsec < 0 || nsec >= 1e9 {
		return time.Time{}, unix.EINVAL
	}
	if sec == 0 && nsec == 0 {
		// Already past: a full queue fails at once with ETIMEDOUT.
		return time.Unix(0, 1), nil
	}
	return time.Unix(sec, nsec), nil
}

func mqTimedsend(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	deadline, err := mqDeadline(t, a[4])
	if err != nil {
		return 0, err
	}
	f, q, err := mqFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	n := int64(a[2])
	if n < 0 || n > 16<<20 {
		return 0, unix.EMSGSIZE
	}
	b := make([]byte, n)
	if err := copyInFull(t, a[1], b); err != nil {
		return 0, err
	}
	c := t.Credentials()
	return 0, q.Send(t, f, b, uint32(a[3]), deadline, t.ThreadGroupID(), t.UID(c.RealUID))
}

func mqTimedreceive(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	deadline, err := mqDeadline(t, a[4])
	if err != nil {
		return 0, err
	}
	f, q, err := mqFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	data, prio, err := q.Receive(t, f, int64(a[2]), deadline)
	if err != nil {
		return 0, err
	}
	if err := copyOutFull(t, a[1], data); err != nil {
		return 0, err
	}
	if a[3] != 0 {
		if err := copyOutU32(t, a[3], prio); err != nil {
			return 0, err
		}
	}
	return uintptr(len(data)), nil
}

// sigevent notify values, and the si_code of a message queue signal.
const (
	sigevSignal = 0
	sigevNone   = 1
	siMesgQ     = -3
)

func mqNotify(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var n *ipc.MQNotify
	if a[1] != 0 {
		var b [64]byte
		if err := copyInFull(t, a[1], b[:]); err != nil {
			return 0, err
		}
		value, signo, notify := getU64(b[:], 0), int(int32(getU32(b[:], 8))), int32(getU32(b[:], 12))
		tg := t.ThreadGroup()
		switch notify {
		case sigevNone:
			n = &ipc.MQNotify{TGID: t.ThreadGroupID()}
		case sigevSignal:
			if signo <= 0 || signo > 64 {
				return 0, unix.EINVAL
			}
			n = &ipc.MQNotify{TGID: t.ThreadGroupID(), Signo: signo, Fire: func(pid int32, uid uint32) {
				// The sender's pid as the registered process sees it.
				info := arch.NewQueueSignalInfo(signo, siMesgQ, t.PIDOf(pid), uid, value)
				tg.SendGroupSignal(&info)
			}}
		default:
			// SIGEV_THREAD needs a netlink socket, which kite lacks.
			return 0, unix.EINVAL
		}
	}
	f, q, err := mqFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	return 0, q.SetNotify(t.ThreadGroupID(), n)
}

func mqGetsetattr(t *kernel.Task, a arch.SyscallArgs) (uintptr, error) {
	var newFlags *int64
	if a[1] != 0 {
		var b [64]byte
		if err := copyInFull(t, a[1], b[:]); err != nil {
			return 0, err
		}
		fl := int64(getU64(b[:], 0))
		if fl&^unix.O_NONBLOCK != 0 {
			return 0, unix.EINVAL
		}
		newFlags = &fl
	}
	f, q, err := mqFile(t, int32(a[0]))
	if err != nil {
		return 0, err
	}
	defer f.DecRef(t)
	old := q.Attr(f)
	if newFlags != nil {
		f.SetStatusFlags(f.Flags()&^unix.O_NONBLOCK | int(*newFlags))
	}
	if a[2] != 0 {
		var b [64]byte
		putU64(b[:], 0, uint64(old.Flags))
		putU64(b[:], 8, uint64(old.MaxMsg))
		putU64(b[:], 16, uint64(old.MsgSize))
		putU64(b[:], 24, uint64(old.CurMsgs))
		if err := copyOutFull(t, a[2], b[:]); err != nil {
			return 0, err
		}
	}
	return 0, nil
}
