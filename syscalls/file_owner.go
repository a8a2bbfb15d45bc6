package syscalls

import (
	"golang.org/x/sys/unix"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/kernel"
	"github.com/kite-os/kite/tty"
	"github.com/kite-os/kite/vfs"
)

// fcntl's owner commands: F_SETOWN and F_GETOWN (a process, or a process
// group as a negative id), F_SETOWN_EX and F_GETOWN_EX (struct
// f_owner_ex: a thread, process or group), F_SETSIG and F_GETSIG (the
// signal O_ASYNC sends). The owner is the file's (vfs.File.SetOwner), so
// it is shared by every descriptor of the open file.

// fcntlOwner carries out the owner commands of fcntl on f.
func fcntlOwner(t *kernel.Task, f *vfs.File, cmd int, arg uintptr) (uintptr, error) {
	switch cmd {
	case unix.F_SETOWN:
		return 0, setOwn(t, f, int32(arg))
	case unix.F_GETOWN:
		return uintptr(int64(getOwn(t, f))), nil
	case unix.F_SETOWN_EX:
		var b [8]byte
		if err := copyInFull(t, arg, b[:]); err != nil {
			return 0, err
		}
		kind := int32(getU32(b[:], 0))
		id := int32(getU32(b[:], 4))
		switch kind {
		case kernel.OwnerTID, kernel.OwnerPID, kernel.OwnerPGRP:
		default:
			return 0, unix.EINVAL
		}
		if id < 0 {
			return 0, unix.ESRCH
		}
		o, err := t.NewFileOwner(int(kind), id)
		if err != nil {
			return 0, err
		}
		f.SetOwner(o, true)
		return 0, nil
	case unix.F_GETOWN_EX:
		kind, id := kernel.OwnerTID, int32(0)
		if o := f.Owner(); o != nil {
			kind, id = o.Who()
			id = t.PIDOf(id)
			if !o.Alive() {
				id = 0
			}
		}
		var b [8]byte
		putU32(b[:], 0, uint32(kind))
		putU32(b[:], 4, uint32(id))
		return 0, copyOutFull(t, arg, b[:])
	case unix.F_SETSIG:
		if uint64(arg) > linux.NumSignals {
			return 0, unix.EINVAL
		}
		f.SetSig(int(arg))
		return 0, nil
	case unix.F_GETSIG:
		return uintptr(f.Sig()), nil
	}
	return 0, unix.EINVAL
}

// setOwn is F_SETOWN (and the sockets' FIOSETOWN, SIOCSPGRP): who > 0 a
// process, < 0 the process group -who, 0 nobody.
func setOwn(t *kernel.Task, f *vfs.File, who int32) error {
	kind := kernel.OwnerPID
	if who < 0 {
		if who == -1<<31 {
			return unix.EINVAL
		}
		kind, who = kernel.OwnerPGRP, -who
	}
	o, err := t.NewFileOwner(kind, who)
	if err != nil {
		return err
	}
	f.SetOwner(o, true)
	return nil
}

// getOwn is F_GETOWN: the owner's id, negative for a process group, 0
// when nobody (alive) is named.
func getOwn(t *kernel.Task, f *vfs.File) int32 {
	o := f.Owner()
	if o == nil || !o.Alive() {
		return 0
	}
	kind, id := o.Who()
	id = t.PIDOf(id)
	if kind == kernel.OwnerPGRP {
		return -id
	}
	return id
}

// Socket ioctls that name the owner (sock_ioctl's FIOSETOWN, SIOCSPGRP,
// FIOGETOWN, SIOCGPGRP).
const (
	ioctlFIOSETOWN = 0x8901
	ioctlSIOCSPGRP = 0x8902
	ioctlFIOGETOWN = 0x8903
	ioctlSIOCGPGRP = 0x8904
)

// socketOwnerIoctl carries out those ioctls; ok is false for other
// commands.
func socketOwnerIoctl(t *kernel.Task, f *vfs.File, cmd uint32, arg uintptr) (r uintptr, ok bool, err error) {
	switch cmd {
	case ioctlFIOSETOWN, ioctlSIOCSPGRP:
		v, err := copyInU32(t, arg)
		if err != nil {
			return 0, true, err
		}
		return 0, true, setOwn(t, f, int32(v))
	case ioctlFIOGETOWN, ioctlSIOCGPGRP:
		return 0, true, copyOutU32(t, arg, uint32(getOwn(t, f)))
	}
	return 0, false, nil
}

// fioAsync is FIOASYNC: O_ASYNC on or off through descriptor fd.
func fioAsync(t *kernel.Task, f *vfs.File, fd int32, arg uintptr) error {
	v, err := copyInU32(t, arg)
	if err != nil {
		return err
	}
	fl := f.Flags() &^ unix.O_ASYNC
	if v != 0 {
		fl |= unix.O_ASYNC
	}
	setStatusFlags(t, f, fd, fl)
	return nil
}

// setStatusFlags is F_SETFL and FIOASYNC through descriptor fd. O_ASYNC
// on a terminal without an owner names one, as __tty_fasync: the
// terminal's foreground process group (a slave's or the host console's),
// else the caller.
func setStatusFlags(t *kernel.Task, f *vfs.File, fd int32, flags int) {
	on := flags&unix.O_ASYNC != 0 && f.Flags()&unix.O_ASYNC == 0
	f.SetStatusFlagsFD(flags, fd)
	term, cons := tty.TerminalOf(f), tty.ConsoleTerminalOf(f)
	if !on || term == nil && cons == nil || f.Owner() != nil {
		return
	}
	kind, id := kernel.OwnerPID, t.ThreadGroupID()
	if term != nil {
		if pgrp, _ := term.Foreground(); pgrp > 0 && tty.IsSlave(f) {
			kind, id = kernel.OwnerPGRP, pgrp
		}
	} else if pgrp, _ := cons.ForegroundPGID(); pgrp > 0 {
		kind, id = kernel.OwnerPGRP, pgrp
	}
	if o, err := t.NewFileOwner(kind, t.PIDOf(id)); err == nil {
		f.SetOwner(o, false)
	}
}
