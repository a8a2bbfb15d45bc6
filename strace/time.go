package strace

import (
	"strings"

	"golang.org/x/sys/unix"
)

// Decoders of time structures, fd sets, mount flags, CPU sets and rusage.

// timeval prints a struct timeval at v.
func (c *call) timeval(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 16)
	if !ok {
		return ptr(v)
	}
	return timevalBytes(b)
}

func timevalBytes(b []byte) string {
	return "{tv_sec=" + dec(int64(le.Uint64(b))) + ", tv_usec=" + dec(int64(le.Uint64(b[8:]))) + "}"
}

func timespecBytes(b []byte) string {
	return "{tv_sec=" + dec(int64(le.Uint64(b))) + ", tv_nsec=" + dec(int64(le.Uint64(b[8:]))) + "}"
}

func fTimeval(c *call, v uintptr) string { return c.timeval(v) }

func fOutTimeval(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.timeval(v)
}

// itimer prints a struct itimerval (usec) or itimerspec (nsec).
func (c *call) itimer(v uintptr, nsec bool) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 32)
	if !ok {
		return ptr(v)
	}
	f := timevalBytes
	if nsec {
		f = timespecBytes
	}
	return "{it_interval=" + f(b) + ", it_value=" + f(b[16:]) + "}"
}

func fItimerval(c *call, v uintptr) string  { return c.itimer(v, false) }
func fItimerspec(c *call, v uintptr) string { return c.itimer(v, true) }

func fOutItimerval(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.itimer(v, false)
}

func fOutItimerspec(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.itimer(v, true)
}

var itimerWhich = []flag{
	{unix.ITIMER_REAL, "ITIMER_REAL"},
	{unix.ITIMER_VIRTUAL, "ITIMER_VIRTUAL"},
	{unix.ITIMER_PROF, "ITIMER_PROF"},
}

func fItimerWhich(_ *call, v uintptr) string { return value(uint64(uint32(v)), itimerWhich, udec) }

func fTimerfdFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.TFD_NONBLOCK, "TFD_NONBLOCK"}, {unix.TFD_CLOEXEC, "TFD_CLOEXEC"}}, "0")
}

func fTimerfdSetFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.TFD_TIMER_ABSTIME, "TFD_TIMER_ABSTIME"}, {2, "TFD_TIMER_CANCEL_ON_SET"}}, "0")
}

// fdSet prints the fds below nfds in the fd_set at v: [0 3].
func (c *call) fdSet(v uintptr, nfds int) string {
	if v == 0 {
		return "NULL"
	}
	if nfds < 0 || nfds > 1<<16 {
		return ptr(v)
	}
	b, ok := c.readBytes(v, (nfds+63)/64*8)
	if !ok {
		return ptr(v)
	}
	var fds []string
	for fd := 0; fd < nfds; fd++ {
		if b[fd/8]&(1<<(fd%8)) != 0 {
			fds = append(fds, dec(int64(fd)))
		}
	}
	return "[" + strings.Join(fds, " ") + "]"
}

func fFdSet(c *call, v uintptr) string { return c.fdSet(v, int(int32(c.arg(0)))) }

// retSelect prints select's result: the count, then the fds ready in each
// set and the time left, or "(Timeout)".
func retSelect(nsec bool) func(c *call, v uintptr) string {
	return func(c *call, v uintptr) string {
		if v == 0 {
			return "0 (Timeout)"
		}
		var parts []string
		for i, name := range []string{"in", "out", "except"} {
			if p := c.arg(1 + i); p != 0 {
				if s := c.fdSet(p, int(int32(c.arg(0)))); s != "[]" {
					parts = append(parts, name+" "+s)
				}
			}
		}
		if t := c.arg(4); t != 0 {
			if nsec {
				parts = append(parts, "left "+c.timespec(t))
			} else {
				parts = append(parts, "left "+c.timeval(t))
			}
		}
		return dec(int64(v)) + " (" + strings.Join(parts, ", ") + ")"
	}
}

// fPselectSigmask prints pselect6's sixth argument, a {sigmask, size}
// pair.
func fPselectSigmask(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 16)
	if !ok {
		return ptr(v)
	}
	mask := uintptr(le.Uint64(b))
	return "{sigmask=" + fSigset(c, mask) + ", sigsetsize=" + udec(le.Uint64(b[8:])) + "}"
}

var mountFlags = []flag{
	{unix.MS_RDONLY, "MS_RDONLY"},
	{unix.MS_NOSUID, "MS_NOSUID"},
	{unix.MS_NODEV, "MS_NODEV"},
	{unix.MS_NOEXEC, "MS_NOEXEC"},
	{unix.MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
	{unix.MS_REMOUNT, "MS_REMOUNT"},
	{unix.MS_MANDLOCK, "MS_MANDLOCK"},
	{unix.MS_DIRSYNC, "MS_DIRSYNC"},
	{unix.MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"},
	{unix.MS_NOATIME, "MS_NOATIME"},
	{unix.MS_NODIRATIME, "MS_NODIRATIME"},
	{unix.MS_BIND, "MS_BIND"},
	{unix.MS_MOVE, "MS_MOVE"},
	{unix.MS_REC, "MS_REC"},
	{unix.MS_SILENT, "MS_SILENT"},
	{unix.MS_POSIXACL, "MS_POSIXACL"},
	{unix.MS_UNBINDABLE, "MS_UNBINDABLE"},
	{unix.MS_PRIVATE, "MS_PRIVATE"},
	{unix.MS_SLAVE, "MS_SLAVE"},
	{unix.MS_SHARED, "MS_SHARED"},
	{unix.MS_RELATIME, "MS_RELATIME"},
	{unix.MS_KERNMOUNT, "MS_KERNMOUNT"},
	{unix.MS_I_VERSION, "MS_I_VERSION"},
	{unix.MS_STRICTATIME, "MS_STRICTATIME"},
	{unix.MS_LAZYTIME, "MS_LAZYTIME"},
}

// fMountFlags prints mount's flags, with the old magic number in the top
// half as MS_MGC_VAL.
func fMountFlags(_ *call, v uintptr) string {
	f := uint64(v)
	s := ""
	if f&0xffff0000 == unix.MS_MGC_VAL {
		s = "MS_MGC_VAL"
		f &^= 0xffff0000
		if f == 0 {
			return s
		}
		s += "|"
	}
	return s + flags(f, mountFlags, "0")
}

func fUmountFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{
		{unix.MNT_FORCE, "MNT_FORCE"},
		{unix.MNT_DETACH, "MNT_DETACH"},
		{unix.MNT_EXPIRE, "MNT_EXPIRE"},
		{unix.UMOUNT_NOFOLLOW, "UMOUNT_NOFOLLOW"},
	}, "0")
}

// fUtimes prints utimensat's times: NULL, or two timespecs with
// UTIME_NOW and UTIME_OMIT by name.
func fUtimes(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 32)
	if !ok {
		return ptr(v)
	}
	one := func(b []byte) string {
		switch le.Uint64(b[8:]) {
		case unix.UTIME_NOW:
			return "UTIME_NOW"
		case unix.UTIME_OMIT:
			return "UTIME_OMIT"
		}
		return timespecBytes(b)
	}
	return "[" + one(b) + ", " + one(b[16:]) + "]"
}

// gidList prints n gids at v: [0, 10].
func (c *call) gidList(v uintptr, n int) string {
	if n < 0 || n > 65536 {
		return ptr(v)
	}
	if n == 0 {
		return "[]"
	}
	b, ok := c.readBytes(v, 4*n)
	if !ok {
		return ptr(v)
	}
	parts := make([]string, 0, n)
	for i := 0; i < n; i++ {
		if i == c.maxArrayElems() {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, udec(uint64(le.Uint32(b[4*i:]))))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func fSetGroups(c *call, v uintptr) string { return c.gidList(v, int(int32(c.arg(0)))) }

func fOutGroups(c *call, v uintptr) string {
	if c.failed || int32(c.arg(0)) == 0 {
		return ptr(v)
	}
	return c.gidList(v, int(c.ret))
}

// fOutCPUSet prints the CPUs sched_getaffinity set: [0 1].
func fOutCPUSet(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, int(c.ret))
	if !ok {
		return ptr(v)
	}
	var cpus []string
	for i := 0; i < 8*len(b); i++ {
		if b[i/8]&(1<<(i%8)) != 0 {
			cpus = append(cpus, dec(int64(i)))
		}
	}
	return "[" + strings.Join(cpus, " ") + "]"
}

// fCPUSet prints a CPU set sched_setaffinity reads; its size is in
// argument register 1.
func fCPUSet(c *call, v uintptr) string {
	n := int(uint32(c.arg(1)))
	b, ok := c.readBytes(v, n)
	if !ok {
		return ptr(v)
	}
	var cpus []string
	for i := 0; i < 8*len(b); i++ {
		if b[i/8]&(1<<(i%8)) != 0 {
			cpus = append(cpus, dec(int64(i)))
		}
	}
	return "[" + strings.Join(cpus, " ") + "]"
}

var rusageWho = []flag{
	{0, "RUSAGE_SELF"},
	{uint64(uint32(0xffffffff)), "RUSAGE_CHILDREN"},
	{1, "RUSAGE_THREAD"},
}

func fRusageWho(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), rusageWho, func(x uint64) string { return dec(int64(int32(x))) })
}

// fOutRusage prints the start of struct rusage, as strace does:
// {ru_utime={...}, ru_stime={...}, ...}.
func fOutRusage(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, 32)
	if !ok {
		return ptr(v)
	}
	return "{ru_utime=" + timevalBytes(b) + ", ru_stime=" + timevalBytes(b[16:]) + ", ...}"
}
