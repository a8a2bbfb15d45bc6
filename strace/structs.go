package strace

import (
	"encoding/binary"
	"strings"

	"golang.org/x/sys/unix"
)

var le = binary.LittleEndian

// maxArrayElems bounds how many elements of an array strace prints before
// "..." (it uses the -s value for this too).
func (c *call) maxArrayElems() int { return c.strSize() }

// fileMode prints st_mode as strace does: S_IFREG|S_ISUID|0755.
func fileMode(m uint32) string {
	var parts []string
	switch m & unix.S_IFMT {
	case unix.S_IFREG:
		parts = append(parts, "S_IFREG")
	case unix.S_IFDIR:
		parts = append(parts, "S_IFDIR")
	case unix.S_IFLNK:
		parts = append(parts, "S_IFLNK")
	case unix.S_IFCHR:
		parts = append(parts, "S_IFCHR")
	case unix.S_IFBLK:
		parts = append(parts, "S_IFBLK")
	case unix.S_IFIFO:
		parts = append(parts, "S_IFIFO")
	case unix.S_IFSOCK:
		parts = append(parts, "S_IFSOCK")
	case 0:
	default:
		parts = append(parts, hex(uint64(m&unix.S_IFMT)))
	}
	if m&unix.S_ISUID != 0 {
		parts = append(parts, "S_ISUID")
	}
	if m&unix.S_ISGID != 0 {
		parts = append(parts, "S_ISGID")
	}
	if m&unix.S_ISVTX != 0 {
		parts = append(parts, "S_ISVTX")
	}
	parts = append(parts, oct(uint64(m&0777)))
	return strings.Join(parts, "|")
}

// makedev prints a device number as strace does: makedev(0x88, 0x1).
func makedev(dev uint64) string {
	return "makedev(" + hex(uint64(unix.Major(dev))) + ", " + hex(uint64(unix.Minor(dev))) + ")"
}

// statSize is sizeof(struct stat) on amd64.
const statSize = 144

// fStat prints a struct stat the call fills, abbreviated as strace does
// by default: {st_mode=S_IFREG|0644, st_size=1234, ...}, with st_rdev
// instead of st_size for devices.
func fStat(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, statSize)
	if !ok {
		return ptr(v)
	}
	mode := le.Uint32(b[24:])
	s := "{st_mode=" + fileMode(mode)
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK:
		s += ", st_rdev=" + makedev(le.Uint64(b[40:]))
	default:
		s += ", st_size=" + dec(int64(le.Uint64(b[48:])))
	}
	return s + ", ...}"
}

// statxSize is the part of struct statx printed here.
const statxSize = 0x100

var statxMask = []flag{
	{unix.STATX_BASIC_STATS, "STATX_BASIC_STATS"},
	{unix.STATX_TYPE, "STATX_TYPE"},
	{unix.STATX_MODE, "STATX_MODE"},
	{unix.STATX_NLINK, "STATX_NLINK"},
	{unix.STATX_UID, "STATX_UID"},
	{unix.STATX_GID, "STATX_GID"},
	{unix.STATX_ATIME, "STATX_ATIME"},
	{unix.STATX_MTIME, "STATX_MTIME"},
	{unix.STATX_CTIME, "STATX_CTIME"},
	{unix.STATX_INO, "STATX_INO"},
	{unix.STATX_SIZE, "STATX_SIZE"},
	{unix.STATX_BLOCKS, "STATX_BLOCKS"},
	{unix.STATX_BTIME, "STATX_BTIME"},
	{unix.STATX_MNT_ID, "STATX_MNT_ID"},
	{unix.STATX_DIOALIGN, "STATX_DIOALIGN"},
}

// fStatx prints a struct statx the call fills, abbreviated:
// {stx_mask=..., stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=1, ...}.
func fStatx(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, statxSize)
	if !ok {
		return ptr(v)
	}
	mode := uint32(le.Uint16(b[0x1c:]))
	s := "{stx_mask=" + flags(uint64(le.Uint32(b[0:])), statxMask, "") +
		", stx_attributes=" + hex(le.Uint64(b[8:])) +
		", stx_mode=" + fileMode(mode)
	switch mode & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK:
		s += ", stx_rdev_major=" + udec(uint64(le.Uint32(b[0x80:]))) +
			", stx_rdev_minor=" + udec(uint64(le.Uint32(b[0x84:])))
	default:
		s += ", stx_size=" + udec(le.Uint64(b[0x28:]))
	}
	return s + ", ...}"
}

// timespec prints a struct timespec at v.
func (c *call) timespec(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 16)
	if !ok {
		return ptr(v)
	}
	return "{tv_sec=" + dec(int64(le.Uint64(b))) + ", tv_nsec=" + dec(int64(le.Uint64(b[8:]))) + "}"
}

func fTimespec(c *call, v uintptr) string { return c.timespec(v) }

// fOutTimespec prints a timespec the call fills.
func fOutTimespec(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.timespec(v)
}

// fRemTimespec prints nanosleep's remaining time: filled only when the
// sleep was interrupted.
func fRemTimespec(c *call, v uintptr) string {
	if v == 0 || !c.failed {
		return ptr(v)
	}
	return c.timespec(v)
}

// iovecs prints count iovecs at v; with limit >= 0 it prints at most
// limit bytes of data in total (readv's result).
func (c *call) iovecs(v uintptr, count uint64, limit int64) string {
	if v == 0 {
		return "NULL"
	}
	if count > 1024 {
		return ptr(v)
	}
	b, ok := c.readBytes(v, int(16*count))
	if !ok {
		return ptr(v)
	}
	var parts []string
	for i := uint64(0); i < count; i++ {
		if len(parts) == c.maxArrayElems() {
			parts = append(parts, "...")
			break
		}
		base := uintptr(le.Uint64(b[16*i:]))
		n := le.Uint64(b[16*i+8:])
		shown := n
		if limit >= 0 {
			if uint64(limit) < shown {
				shown = uint64(limit)
			}
			limit -= int64(shown)
		}
		parts = append(parts, "{iov_base="+c.buf(base, shown)+", iov_len="+udec(n)+"}")
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// fIovecIn prints writev's iovecs; the count is in countReg.
func fIovecIn(countReg int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string { return c.iovecs(v, uint64(c.arg(countReg)), -1) }
}

// fIovecOut prints readv's iovecs at exit, showing the bytes read.
func fIovecOut(countReg int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string {
		if c.failed {
			return ptr(v)
		}
		return c.iovecs(v, uint64(c.arg(countReg)), int64(c.ret))
	}
}

// sigset prints a signal set as strace does: [INT TERM], or ~[KILL STOP]
// when more than half the signals are in it.
func sigset(set uint64) string {
	n := 0
	for s := set; s != 0; s &= s - 1 {
		n++
	}
	pre := "["
	if n > 32 {
		pre = "~["
		set = ^set
	}
	var names []string
	for sig := 1; sig <= 64; sig++ {
		if set&(1<<(sig-1)) != 0 {
			names = append(names, strings.TrimPrefix(signalName(sig), "SIG"))
		}
	}
	return pre + strings.Join(names, " ") + "]"
}

// fSigset prints a pointer to a signal set the call reads.
func fSigset(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	set, ok := c.readU64(v)
	if !ok {
		return ptr(v)
	}
	return sigset(set)
}

// fOutSigset prints a signal set the call fills.
func fOutSigset(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return fSigset(c, v)
}

// sigaction prints a kernel struct sigaction.
func (c *call) sigaction(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 32)
	if !ok {
		return ptr(v)
	}
	handler := le.Uint64(b)
	fl := le.Uint64(b[8:])
	restorer := le.Uint64(b[16:])
	mask := le.Uint64(b[24:])
	var h string
	switch handler {
	case 0:
		h = "SIG_DFL"
	case 1:
		h = "SIG_IGN"
	default:
		h = hex(handler)
	}
	s := "{sa_handler=" + h + ", sa_mask=" + sigset(mask) + ", sa_flags=" + flags(fl, saFlags, "")
	if fl&0x04000000 != 0 {
		s += ", sa_restorer=" + hex(restorer)
	}
	return s + "}"
}

func fSigaction(c *call, v uintptr) string { return c.sigaction(v) }

func fOutSigaction(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.sigaction(v)
}

// waitStatus prints a wait status as strace does.
func waitStatus(s uint32) string {
	ws := unix.WaitStatus(s)
	switch {
	case ws.Exited():
		return "{WIFEXITED(s) && WEXITSTATUS(s) == " + dec(int64(ws.ExitStatus())) + "}"
	case ws.Signaled():
		r := "{WIFSIGNALED(s) && WTERMSIG(s) == " + signalName(int(ws.Signal()))
		if ws.CoreDump() {
			r += " && WCOREDUMP(s)"
		}
		return r + "}"
	case ws.Stopped():
		return "{WIFSTOPPED(s) && WSTOPSIG(s) == " + signalName(int(ws.StopSignal())) + "}"
	case ws.Continued():
		return "{WIFCONTINUED(s)}"
	}
	return hex(uint64(s))
}

// fOutWaitStatus prints the status wait4 fills, as [{WIFEXITED(s) ...}].
func fOutWaitStatus(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	if c.failed || c.ret == 0 {
		return ptr(v)
	}
	s, ok := c.readU32(v)
	if !ok {
		return ptr(v)
	}
	return "[" + waitStatus(s) + "]"
}

// fStrArray prints execve's argv: ["ls", "-l"].
func fStrArray(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	var parts []string
	for i := 0; ; i++ {
		p, ok := c.readU64(v + uintptr(8*i))
		if !ok {
			if i == 0 {
				return ptr(v)
			}
			parts = append(parts, "...")
			break
		}
		if p == 0 {
			break
		}
		if i == c.maxArrayElems() {
			parts = append(parts, "...")
			break
		}
		parts = append(parts, c.str(uintptr(p)))
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// fEnvArray prints execve's envp as strace does by default: the address
// and a count, 0x7ffc... /* 23 vars */.
func fEnvArray(c *call, v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	n := 0
	for ; n < 1<<16; n++ {
		p, ok := c.readU64(v + uintptr(8*n))
		if !ok {
			return ptr(v)
		}
		if p == 0 {
			break
		}
	}
	vars := " vars */"
	if n == 1 {
		vars = " var */"
	}
	return ptr(v) + " /* " + dec(int64(n)) + vars
}

// fOutFdPair prints pipe's result: [3, 4].
func fOutFdPair(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, 8)
	if !ok {
		return ptr(v)
	}
	return "[" + dec(int64(int32(le.Uint32(b)))) + ", " + dec(int64(int32(le.Uint32(b[4:])))) + "]"
}

// fOutUtsname prints the start of struct utsname, as strace does:
// {sysname="Linux", nodename="host", ...}.
func fOutUtsname(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	b, ok := c.readBytes(v, 2*65)
	if !ok {
		return ptr(v)
	}
	sys, _ := cstring(b[:65])
	node, _ := cstring(b[65:])
	return "{sysname=" + quote(sys) + ", nodename=" + quote(node) + ", ...}"
}

// fOutDirents prints getdents64's buffer as strace does by default: the
// address and the number of entries read.
func fOutDirents(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	n := int(c.ret)
	b, ok := c.readBytes(v, n)
	if !ok {
		return ptr(v)
	}
	entries := 0
	for off := 0; off+19 <= n; entries++ {
		reclen := int(le.Uint16(b[off+16:]))
		if reclen == 0 {
			break
		}
		off += reclen
	}
	word := " entries */"
	if entries == 1 {
		word = " entry */"
	}
	return ptr(v) + " /* " + dec(int64(entries)) + word
}

// rlimitValue prints one rlimit value: RLIM64_INFINITY, 8192*1024, or a
// number.
func rlimitValue(x uint64) string {
	if x == ^uint64(0) {
		return "RLIM64_INFINITY"
	}
	if x > 1024 && x%1024 == 0 {
		return udec(x/1024) + "*1024"
	}
	return udec(x)
}

func (c *call) rlimit(v uintptr) string {
	if v == 0 {
		return "NULL"
	}
	b, ok := c.readBytes(v, 16)
	if !ok {
		return ptr(v)
	}
	return "{rlim_cur=" + rlimitValue(le.Uint64(b)) + ", rlim_max=" + rlimitValue(le.Uint64(b[8:])) + "}"
}

func fRlimit(c *call, v uintptr) string { return c.rlimit(v) }

func fOutRlimit(c *call, v uintptr) string {
	if c.failed && v != 0 {
		return ptr(v)
	}
	return c.rlimit(v)
}

// fClone3Args prints struct clone_args.
func fClone3Args(c *call, v uintptr) string {
	b, ok := c.readBytes(v, 64)
	if !ok {
		return ptr(v)
	}
	f := le.Uint64(b)
	s := "{flags=" + flags(f, cloneFlags, "0")
	if f&unix.CLONE_PIDFD != 0 {
		s += ", pidfd=" + hex(le.Uint64(b[8:]))
	}
	if f&(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID) != 0 {
		s += ", child_tid=" + hex(le.Uint64(b[16:]))
	}
	if f&unix.CLONE_PARENT_SETTID != 0 {
		s += ", parent_tid=" + hex(le.Uint64(b[24:]))
	}
	s += ", exit_signal=" + signalOrZero(le.Uint64(b[32:]))
	s += ", stack=" + hex(le.Uint64(b[40:])) + ", stack_size=" + hex(le.Uint64(b[48:]))
	if f&unix.CLONE_SETTLS != 0 {
		s += ", tls=" + hex(le.Uint64(b[56:]))
	}
	return s + "}"
}

func signalOrZero(s uint64) string {
	if s == 0 {
		return "0"
	}
	return signalName(int(s))
}

// fClone3Result prints what clone3 stored for the parent, as strace's
// " => {parent_tid=[1235]}"; nothing if it stored nothing.
func fClone3Result(c *call, v uintptr) string {
	if c.failed {
		return skip
	}
	b, ok := c.readBytes(v, 32)
	if !ok || le.Uint64(b)&unix.CLONE_PARENT_SETTID == 0 {
		return skip
	}
	return " => {parent_tid=" + fOutInt(c, uintptr(le.Uint64(b[24:]))) + "}"
}
