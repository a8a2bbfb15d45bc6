package strace

import (
	"github.com/kite-os/kite/abi/linux"
	"golang.org/x/sys/unix"
)

// spec says how to print one system call.
type spec struct {
	args []arg
	ret  func(c *call, v uintptr) string
	// noReturn calls (exit, exit_group) are printed whole at entry with
	// " = ?", as strace does.
	noReturn bool
}

func retDec(_ *call, v uintptr) string { return dec(int64(v)) }
func retHex(_ *call, v uintptr) string { return hex(uint64(v)) }
func retOct(_ *call, v uintptr) string { return oct(uint64(v)) }

// genericSpec prints all six argument registers in hex, for calls without
// a decoder.
var genericSpec = &spec{
	args: []arg{in(0, fHex), in(1, fHex), in(2, fHex), in(3, fHex), in(4, fHex), in(5, fHex)},
	ret:  retDec,
}

// specs is indexed by system call number; nil entries use genericSpec.
// It is filled at init and read-only after.
var specs [linux.MaxSyscall + 1]*spec

func specFor(nr uintptr) *spec {
	if nr < uintptr(len(specs)) && specs[nr] != nil {
		return specs[nr]
	}
	return genericSpec
}

// Formatters specific to a few calls.

func fOpenFlags(_ *call, v uintptr) string { return openFlagsString(uint64(uint32(v))) }

// fModeIfCreat prints open's mode only when the flags (in flagsReg) create
// a file.
func fModeIfCreat(flagsReg int) func(*call, uintptr) string {
	return func(c *call, v uintptr) string {
		fl := uint64(c.arg(flagsReg))
		if fl&unix.O_CREAT == 0 && fl&unix.O_TMPFILE != unix.O_TMPFILE {
			return skip
		}
		return oct(uint64(uint32(v)))
	}
}

func fProt(_ *call, v uintptr) string     { return flags(uint64(v), protFlags, "PROT_NONE") }
func fMapFlags(_ *call, v uintptr) string { return mapFlagsString(uint64(v)) }
func fAtFlags(_ *call, v uintptr) string  { return flags(uint64(uint32(v)), atFlags, "0") }
func fAccessMode(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), accessModes, "F_OK")
}
func fWhence(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), whences, hex)
}
func fIoctlCmd(_ *call, v uintptr) string { return value(uint64(uint32(v)), ioctlCmds, hex) }
func fSigHow(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), sigprocmaskHows, hex)
}
func fWaitOptions(_ *call, v uintptr) string { return flags(uint64(uint32(v)), waitOptions, "0") }
func fClockID(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), clockIDs, func(x uint64) string { return dec(int64(int32(x))) })
}
func fRlimitResource(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), rlimitResources, hex)
}
func fPipeFlags(_ *call, v uintptr) string  { return flags(uint64(uint32(v)), pipeFlags, "0") }
func fCloneFlags(_ *call, v uintptr) string { return cloneFlagsString(uint64(v)) }
func fNsFlags(_ *call, v uintptr) string    { return flags(uint64(v), cloneFlags, "0") }
func fMadvise(_ *call, v uintptr) string    { return value(uint64(v), madviseAdvice, hex) }
func fMsync(_ *call, v uintptr) string      { return flags(uint64(v), msyncFlags, "0") }
func fMremapFlags(_ *call, v uintptr) string {
	return flags(uint64(v), mremapFlags, "0")
}
func fFamily(_ *call, v uintptr) string   { return value(uint64(v), socketFamilies, udec) }
func fSockType(_ *call, v uintptr) string { return socketTypeString(uint64(v)) }
func fPrctlOption(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), prctlOptions, udec)
}
func fGetrandomFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), getrandomFlags, "0")
}
func fFutexOp(_ *call, v uintptr) string { return futexOpString(uint64(v)) }

// fGetrandomBuf prints getrandom's result in hex escapes, as strace does.
func fGetrandomBuf(c *call, v uintptr) string {
	if c.failed {
		return ptr(v)
	}
	n := uint64(c.ret)
	want := n
	if want > uint64(c.strSize()) {
		want = uint64(c.strSize())
	}
	b, ok := c.readBytes(v, int(want))
	if !ok {
		return ptr(v)
	}
	s := quoteHex(b)
	if want < n {
		s += "..."
	}
	return s
}

// fMremapNewAddr prints mremap's fifth argument only with MREMAP_FIXED.
func fMremapNewAddr(c *call, v uintptr) string {
	if c.arg(3)&unix.MREMAP_FIXED == 0 {
		return skip
	}
	return ptr(v)
}

// fcntl's third argument depends on the command.
func fFcntlArg(c *call, v uintptr) string {
	switch c.arg(1) {
	case unix.F_GETFD, unix.F_GETFL, unix.F_GETOWN, unix.F_GETSIG, unix.F_GETLEASE,
		unix.F_GETPIPE_SZ, unix.F_GET_SEALS:
		return skip
	case unix.F_SETFD:
		return flags(uint64(v), fdFlags, "0")
	case unix.F_SETFL:
		return openFlagsString(uint64(uint32(v)))
	case unix.F_DUPFD, unix.F_DUPFD_CLOEXEC, unix.F_SETOWN, unix.F_SETPIPE_SZ:
		return dec(int64(int32(v)))
	case unix.F_SETSIG:
		return signalName(int(v))
	}
	return ptr(v)
}

func fFcntlCmd(_ *call, v uintptr) string { return value(uint64(uint32(v)), fcntlCmds, hex) }

func fArchPrctlCode(_ *call, v uintptr) string {
	return value(uint64(uint32(v)), archPrctlCodes, hex)
}

// fArchPrctlAddr prints arch_prctl's second argument: an address to set,
// or where ARCH_GET_FS/GS stored the base.
func fArchPrctlAddr(c *call, v uintptr) string {
	switch c.arg(0) {
	case 0x1003, 0x1004: // ARCH_GET_FS, ARCH_GET_GS
		return fOutU64Hex(c, v)
	case 0x1001, 0x1002: // ARCH_SET_GS, ARCH_SET_FS
		return hex(uint64(v))
	}
	return dec(int64(v))
}

// futex arguments after val depend on the operation.
func futexCmd(c *call) uint64 { return uint64(c.arg(1)) & 0x7f }

func fFutexTimeout(c *call, v uintptr) string {
	switch futexCmd(c) {
	case futexWait, futexWaitBitset, futexLockPI, futexLockPI2, futexWaitRequeuePI:
		return c.timespec(v)
	case futexRequeue, futexCmpRequeue, futexWakeOp, futexCmpRequeuePI:
		return udec(uint64(uint32(v))) // val2
	}
	return skip
}

func fFutexAddr2(c *call, v uintptr) string {
	switch futexCmd(c) {
	case futexRequeue, futexCmpRequeue, futexWakeOp, futexCmpRequeuePI,
		futexWaitRequeuePI:
		return ptr(v)
	}
	return skip // the bitset operations have no uaddr2: strace omits it
}

func fFutexVal3(c *call, v uintptr) string {
	switch futexCmd(c) {
	case futexWaitBitset, futexWakeBitset:
		if uint32(v) == 0xffffffff {
			return "FUTEX_BITSET_MATCH_ANY"
		}
		return hex(uint64(uint32(v)))
	case futexCmpRequeue, futexCmpRequeuePI:
		return dec(int64(int32(v)))
	case futexWakeOp:
		return hex(uint64(uint32(v)))
	}
	return skip
}

// clone's optional arguments depend on its flags.
func fCloneIf(mask uint64, f func(*call, uintptr) string) func(*call, uintptr) string {
	return func(c *call, v uintptr) string {
		if uint64(c.arg(0))&mask == 0 {
			return skip
		}
		return f(c, v)
	}
}

func fCloneStack(_ *call, v uintptr) string { return ptr(v) }

// cloneSetsParent says whether clone stores into *parent_tid, printed at
// exit.
func cloneSetsParent(c *call) bool {
	return c.arg(0)&(unix.CLONE_PARENT_SETTID|unix.CLONE_PIDFD) != 0
}

func fTimerFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.TIMER_ABSTIME, "TIMER_ABSTIME"}}, "0")
}

func fMemfdFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{
		{unix.MFD_CLOEXEC, "MFD_CLOEXEC"},
		{unix.MFD_ALLOW_SEALING, "MFD_ALLOW_SEALING"},
		{unix.MFD_HUGETLB, "MFD_HUGETLB"},
		{unix.MFD_NOEXEC_SEAL, "MFD_NOEXEC_SEAL"},
		{unix.MFD_EXEC, "MFD_EXEC"},
	}, "0")
}

// fRseqFlags is rseq(2)'s flags, as strace names them.
func fRseqFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{1, "RSEQ_FLAG_UNREGISTER"}}, "0")
}

func fUnlinkFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.AT_REMOVEDIR, "AT_REMOVEDIR"}}, "0")
}

func fAccessAtFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), accessAtFlags, "0")
}

// atStatxSyncType masks the sync type bits of statx's flags.
const atStatxSyncType = 0x6000

// fStatxFlags prints statx's flags: the sync type first, as strace does.
func fStatxFlags(_ *call, v uintptr) string {
	f := uint64(uint32(v))
	sync := f & atStatxSyncType
	s := value(sync, []flag{
		{unix.AT_STATX_SYNC_AS_STAT, "AT_STATX_SYNC_AS_STAT"},
		{unix.AT_STATX_FORCE_SYNC, "AT_STATX_FORCE_SYNC"},
		{unix.AT_STATX_DONT_SYNC, "AT_STATX_DONT_SYNC"},
	}, hex)
	if rest := f &^ atStatxSyncType; rest != 0 {
		s += "|" + flags(rest, atFlags, "")
	}
	return s
}

func fStatxMask(_ *call, v uintptr) string { return flags(uint64(uint32(v)), statxMask, "0") }

func fRenameFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{
		{unix.RENAME_NOREPLACE, "RENAME_NOREPLACE"},
		{unix.RENAME_EXCHANGE, "RENAME_EXCHANGE"},
		{unix.RENAME_WHITEOUT, "RENAME_WHITEOUT"},
	}, "0")
}

func fEventfdFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{
		{unix.EFD_SEMAPHORE, "EFD_SEMAPHORE"},
		{unix.EFD_NONBLOCK, "EFD_NONBLOCK"},
		{unix.EFD_CLOEXEC, "EFD_CLOEXEC"},
	}, "0")
}

func fCloexecFlag(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), []flag{{unix.O_CLOEXEC, "O_CLOEXEC"}, {unix.O_NONBLOCK, "O_NONBLOCK"}}, "0")
}

func fIDType(_ *call, v uintptr) string { return value(uint64(uint32(v)), idTypes, udec) }

func fSockFlags(_ *call, v uintptr) string {
	return flags(uint64(uint32(v)), socketTypeFlags, "0")
}

var ipProtocols = []flag{
	{unix.IPPROTO_IP, "IPPROTO_IP"},
	{unix.IPPROTO_ICMP, "IPPROTO_ICMP"},
	{unix.IPPROTO_TCP, "IPPROTO_TCP"},
	{unix.IPPROTO_UDP, "IPPROTO_UDP"},
	{unix.IPPROTO_ICMPV6, "IPPROTO_ICMPV6"},
	{unix.IPPROTO_SCTP, "IPPROTO_SCTP"},
	{unix.IPPROTO_RAW, "IPPROTO_RAW"},
}

// fSockProto names socket's protocol for the IP families.
func fSockProto(c *call, v uintptr) string {
	switch c.arg(0) {
	case unix.AF_INET, unix.AF_INET6:
		return value(uint64(uint32(v)), ipProtocols, udec)
	}
	return dec(int64(int32(v)))
}

func fMknodMode(_ *call, v uintptr) string { return fileMode(uint32(v)) }
func fMknodDev(c *call, v uintptr) string {
	switch c.arg(1) & unix.S_IFMT {
	case unix.S_IFCHR, unix.S_IFBLK:
		return makedev(uint64(v))
	}
	return skip
}

func init() {
	// Argument helpers for brevity.
	fd := func(r int) arg { return in(r, fFd) }
	dirfd := func(r int) arg { return in(r, fDirfd) }
	path := func(r int) arg { return in(r, fPath) }
	i := func(r int) arg { return in(r, fInt) }
	u := func(r int) arg { return in(r, fUlong) }
	l := func(r int) arg { return in(r, fLong) }
	p := func(r int) arg { return in(r, fPtr) }
	h := func(r int) arg { return in(r, fHex) }

	def := func(name string, args ...arg) *spec {
		s := &spec{args: args, ret: retDec}
		register(name, s)
		return s
	}

	def("read", fd(0), out(1, fBufOut), u(2))
	def("write", fd(0), in(1, fBufIn(2)), u(2))
	def("pread64", fd(0), out(1, fBufOut), u(2), l(3))
	def("pwrite64", fd(0), in(1, fBufIn(2)), u(2), l(3))
	def("readv", fd(0), out(1, fIovecOut(2)), i(2))
	def("writev", fd(0), in(1, fIovecIn(2)), i(2))
	def("preadv", fd(0), out(1, fIovecOut(2)), i(2), l(3))
	def("pwritev", fd(0), in(1, fIovecIn(2)), i(2), l(3))
	def("open", path(0), in(1, fOpenFlags), in(2, fModeIfCreat(1)))
	def("openat", dirfd(0), path(1), in(2, fOpenFlags), in(3, fModeIfCreat(2)))
	def("creat", path(0), in(1, fOct))
	def("close", fd(0))
	def("close_range", fd(0), fd(1), h(2))
	def("stat", path(0), out(1, fStat))
	def("lstat", path(0), out(1, fStat))
	def("fstat", fd(0), out(1, fStat))
	def("newfstatat", dirfd(0), path(1), out(2, fStat), in(3, fAtFlags))
	def("statx", dirfd(0), path(1), in(2, fStatxFlags), in(3, fStatxMask), out(4, fStatx))
	def("lseek", fd(0), l(1), in(2, fWhence))
	def("mmap", p(0), u(1), in(2, fProt), in(3, fMapFlags), fd(4), h(5)).ret = retHex
	def("mprotect", p(0), u(1), in(2, fProt))
	def("munmap", p(0), u(1))
	def("brk", p(0)).ret = retHex
	def("mremap", p(0), u(1), u(2), in(3, fMremapFlags), in(4, fMremapNewAddr)).ret = retHex
	def("msync", p(0), u(1), in(2, fMsync))
	def("madvise", p(0), u(1), in(2, fMadvise))
	def("mlock", p(0), u(1))
	def("munlock", p(0), u(1))
	def("rt_sigaction", in(0, fSigName), in(1, fSigaction), out(2, fOutSigaction), u(3))
	def("rt_sigprocmask", in(0, fSigHow), in(1, fSigset), out(2, fOutSigset), u(3))
	def("rt_sigreturn")
	def("rt_sigsuspend", in(0, fSigset), u(1))
	def("rt_sigpending", out(0, fOutSigset), u(1))
	def("rt_sigtimedwait", in(0, fSigset), p(1), in(2, fTimespec), u(3))
	def("sigaltstack", in(0, fStackT), out(1, fOutStackT))
	def("ioctl", fd(0), in(1, fIoctlCmd), outIf(ioctlHasArg, in(2, fIoctlArg)))
	def("access", path(0), in(1, fAccessMode))
	def("faccessat", dirfd(0), path(1), in(2, fAccessMode))
	def("faccessat2", dirfd(0), path(1), in(2, fAccessMode), in(3, fAccessAtFlags))
	def("pipe", out(0, fOutFdPair))
	def("pipe2", out(0, fOutFdPair), in(1, fPipeFlags))
	def("dup", fd(0))
	def("dup2", fd(0), fd(1))
	def("dup3", fd(0), fd(1), in(2, fCloexecFlag))
	def("nanosleep", in(0, fTimespec), out(1, fRemTimespec))
	def("clock_nanosleep", in(0, fClockID), in(1, fTimerFlags), in(2, fTimespec), out(3, fRemTimespec))
	def("clock_gettime", in(0, fClockID), out(1, fOutTimespec))
	def("clock_getres", in(0, fClockID), out(1, fOutTimespec))
	def("alarm", in(0, fUint))
	def("exit", i(0)).noReturn = true
	def("exit_group", i(0)).noReturn = true
	def("wait4", i(0), out(1, fOutWaitStatus), in(2, fWaitOptions), out(3, fOutRusage))
	def("kill", i(0), in(1, fSigName))
	def("tkill", i(0), in(1, fSigName))
	def("tgkill", i(0), i(1), in(2, fSigName))
	def("uname", out(0, fOutUtsname))
	def("fcntl", fd(0), in(1, fFcntlCmd), in(2, fFcntlArg)).ret = retFcntl
	def("flock", fd(0), i(1))
	def("fsync", fd(0))
	def("fdatasync", fd(0))
	def("syncfs", fd(0))
	def("truncate", path(0), l(1))
	def("ftruncate", fd(0), l(1))
	def("getdents64", fd(0), out(1, fOutDirents), in(2, fUint))
	def("getcwd", out(0, fOutStr), u(1))
	def("chdir", path(0))
	def("fchdir", fd(0))
	def("chroot", path(0))
	def("rename", path(0), path(1))
	def("renameat", dirfd(0), path(1), dirfd(2), path(3))
	def("renameat2", dirfd(0), path(1), dirfd(2), path(3), in(4, fRenameFlags))
	def("mkdir", path(0), in(1, fOct))
	def("mkdirat", dirfd(0), path(1), in(2, fOct))
	def("rmdir", path(0))
	def("link", path(0), path(1))
	def("linkat", dirfd(0), path(1), dirfd(2), path(3), in(4, fAtFlags))
	def("symlink", path(0), path(1))
	def("symlinkat", path(0), dirfd(1), path(2))
	def("unlink", path(0))
	def("unlinkat", dirfd(0), path(1), in(2, fUnlinkFlags))
	def("readlink", path(0), out(1, fBufOut), u(2))
	def("readlinkat", dirfd(0), path(1), out(2, fBufOut), u(3))
	def("chmod", path(0), in(1, fOct))
	def("fchmod", fd(0), in(1, fOct))
	def("fchmodat", dirfd(0), path(1), in(2, fOct))
	def("chown", path(0), i(1), i(2))
	def("lchown", path(0), i(1), i(2))
	def("fchown", fd(0), i(1), i(2))
	def("fchownat", dirfd(0), path(1), i(2), i(3), in(4, fAtFlags))
	def("umask", in(0, fOct)).ret = retOct
	def("mknod", path(0), in(1, fMknodMode), in(2, fMknodDev))
	def("mknodat", dirfd(0), path(1), in(2, fMknodMode), in(3, fMknodDev))
	def("utimensat", dirfd(0), path(1), in(2, fUtimes), in(3, fAtFlags))
	def("getrlimit", in(0, fRlimitResource), out(1, fOutRlimit))
	def("setrlimit", in(0, fRlimitResource), in(1, fRlimit))
	def("prlimit64", i(0), in(1, fRlimitResource), in(2, fRlimit), out(3, fOutRlimit))
	def("setuid", i(0))
	def("setgid", i(0))
	def("setreuid", i(0), i(1))
	def("setregid", i(0), i(1))
	def("setresuid", i(0), i(1), i(2))
	def("setresgid", i(0), i(1), i(2))
	def("getresuid", out(0, fOutInt), out(1, fOutInt), out(2, fOutInt))
	def("getresgid", out(0, fOutInt), out(1, fOutInt), out(2, fOutInt))
	def("setpgid", i(0), i(1))
	def("getpgid", i(0))
	def("getsid", i(0))
	def("getgroups", i(0), out(1, fOutGroups))
	def("setgroups", i(0), in(1, fSetGroups))
	for _, name := range []string{"getpid", "getppid", "gettid", "getuid", "geteuid", "getgid",
		"getegid", "setsid", "getpgrp", "sync", "fork", "vfork", "sched_yield", "pause",
		"munlockall", "vhangup", "inotify_init", "restart_syscall"} {
		def(name)
	}
	def("arch_prctl", in(0, fArchPrctlCode), out(1, fArchPrctlAddr))
	def("prctl", in(0, fPrctlOption), outIf(prctlGets, in(1, fPrctlArg(1))), in(2, fPrctlArg(2)), in(3, fPrctlArg(3)), in(4, fPrctlArg(4))).ret = retPrctl
	def("set_tid_address", p(0))
	def("set_robust_list", p(0), u(1))
	def("get_robust_list", i(0), p(1), p(2))
	def("futex", p(0), in(1, fFutexOp), i(2), in(3, fFutexTimeout), in(4, fFutexAddr2), in(5, fFutexVal3))
	def("execve", path(0), in(1, fStrArray), in(2, fEnvArray))
	def("execveat", dirfd(0), path(1), in(2, fStrArray), in(3, fEnvArray), in(4, fAtFlags))
	def("clone",
		named("child_stack", in(1, fCloneStack)),
		named("flags", in(0, fCloneFlags)),
		named("parent_tid", outIf(cloneSetsParent, in(2, fCloneIf(unix.CLONE_PARENT_SETTID|unix.CLONE_PIDFD, fOutInt)))),
		named("tls", in(4, fCloneIf(unix.CLONE_SETTLS, fHex))),
		named("child_tidptr", in(3, fCloneIf(unix.CLONE_CHILD_SETTID|unix.CLONE_CHILD_CLEARTID, fPtr))))
	def("clone3", in(0, fClone3Args), arg{reg: 0, out: true, glue: true, f: fClone3Result}, u(1))
	def("getrandom", out(0, fGetrandomBuf), u(1), in(2, fGetrandomFlags))
	def("memfd_create", in(0, fStr), in(1, fMemfdFlags))
	def("rseq", p(0), h(1), in(2, fRseqFlags), h(3))
	def("sched_getaffinity", i(0), in(1, fUint), out(2, fOutCPUSet))
	def("sched_setaffinity", i(0), in(1, fUint), in(2, fCPUSet))
	def("socket", in(0, fFamily), in(1, fSockType), in(2, fSockProto))
	def("socketpair", in(0, fFamily), in(1, fSockType), in(2, fSockProto), out(3, fOutFdPair))
	def("connect", fd(0), in(1, fSockaddrIn(2)), i(2))
	def("bind", fd(0), in(1, fSockaddrIn(2)), i(2))
	def("listen", fd(0), i(1))
	def("accept", fd(0), out(1, fSockaddrOut(2)), out(2, fOutInt))
	def("accept4", fd(0), out(1, fSockaddrOut(2)), out(2, fOutInt), in(3, fSockFlags))
	def("getsockname", fd(0), out(1, fSockaddrOut(2)), out(2, fOutInt))
	def("getpeername", fd(0), out(1, fSockaddrOut(2)), out(2, fOutInt))
	def("sendto", fd(0), in(1, fBufIn(2)), u(2), in(3, fMsgFlags), in(4, fSockaddrIn(5)), i(5))
	def("recvfrom", fd(0), out(1, fBufOut), u(2), in(3, fMsgFlags), out(4, fSockaddrOut(5)), out(5, fOutInt))
	def("sendmsg", fd(0), in(1, fMsghdrIn), in(2, fMsgFlags))
	def("recvmsg", fd(0), out(1, fMsghdrOut), in(2, fMsgFlags))
	def("setsockopt", fd(0), in(1, fSockLevel), in(2, fSockOptName), in(3, fSetSockOptVal), i(4))
	def("getsockopt", fd(0), in(1, fSockLevel), in(2, fSockOptName), out(3, fGetSockOptVal), out(4, fOutInt))
	def("shutdown", fd(0), in(1, fShutdownHow))
	def("sendfile", fd(0), fd(1), p(2), u(3))
	def("mount", in(0, fStr), path(1), in(2, fStr), in(3, fMountFlags), in(4, fStr))
	def("umount2", path(0), in(1, fUmountFlags))
	def("sethostname", in(0, fBufIn(1)), u(1))
	def("unshare", in(0, fNsFlags))
	def("setns", fd(0), in(1, fNsFlags))
	def("eventfd2", in(0, fUint), in(1, fEventfdFlags))
	def("epoll_create", i(0))
	def("epoll_create1", in(0, fEpollFlags))
	def("epoll_ctl", fd(0), in(1, fEpollOp), fd(2), in(3, fEpollEvent))
	def("epoll_wait", fd(0), out(1, fOutEpollEvents), i(2), i(3))
	def("epoll_pwait", fd(0), out(1, fOutEpollEvents), i(2), i(3), in(4, fSigset), u(5))
	def("waitid", in(0, fIDType), i(1), out(2, fOutSiginfo), in(3, fWaitOptions), p(4))
	def("rt_sigqueueinfo", i(0), in(1, fSigName), in(2, fSiginfo))
	def("rt_tgsigqueueinfo", i(0), i(1), in(2, fSigName), in(3, fSiginfo))
	def("signalfd4", fd(0), in(1, fSigset), u(2), in(3, fCloexecFlag))
	def("timerfd_settime", fd(0), in(1, fTimerfdSetFlags), in(2, fItimerspec), out(3, fOutItimerspec))
	def("timerfd_gettime", fd(0), out(1, fOutItimerspec))
	def("pselect6", i(0), in(1, fFdSet), in(2, fFdSet), in(3, fFdSet), in(4, fTimespec), in(5, fPselectSigmask)).ret = retSelect(true)
	def("select", i(0), in(1, fFdSet), in(2, fFdSet), in(3, fFdSet), in(4, fTimeval)).ret = retSelect(false)
	def("sched_getparam", i(0), p(1))
	def("sched_getscheduler", i(0))
	def("sched_get_priority_max", i(0))
	def("sched_get_priority_min", i(0))
	def("fadvise64", fd(0), l(1), l(2), i(3))
	def("fallocate", fd(0), i(1), l(2), l(3))
	def("getxattr", path(0), in(1, fStr), out(2, fBufOut), u(3))
	def("lgetxattr", path(0), in(1, fStr), out(2, fBufOut), u(3))
	def("fgetxattr", fd(0), in(1, fStr), out(2, fBufOut), u(3))
	def("statfs", path(0), out(1, fOutStatfs))
	def("fstatfs", fd(0), out(1, fOutStatfs))
	def("personality", h(0))
	def("capget", p(0), p(1))
	def("capset", p(0), p(1))
	def("inotify_init1", in(0, fCloexecFlag))
	def("inotify_add_watch", fd(0), path(1), h(2))
	def("inotify_rm_watch", fd(0), i(1))
	def("copy_file_range", fd(0), p(1), fd(2), p(3), u(4), in(5, fUint))
	def("splice", fd(0), p(1), fd(2), p(3), u(4), h(5))
	def("tee", fd(0), fd(1), u(2), h(3))
	def("getcpu", p(0), p(1), p(2))
	def("membarrier", i(0), i(1), i(2))
	def("pidfd_open", i(0), in(1, fUint))
	def("pidfd_send_signal", fd(0), in(1, fSigName), p(2), in(3, fUint))
	def("process_vm_readv", i(0), p(1), u(2), p(3), u(4), u(5))
	def("setitimer", in(0, fItimerWhich), in(1, fItimerval), out(2, fOutItimerval))
	def("getitimer", in(0, fItimerWhich), out(1, fOutItimerval))
	def("timer_create", in(0, fClockID), p(1), p(2))
	def("timer_settime", i(0), i(1), p(2), p(3))
	def("timer_delete", i(0))
	def("sysfs", i(0), h(1), h(2))
	def("syslog", i(0), p(1), i(2))
	def("iopl", i(0))
	def("ioperm", u(0), u(1), i(2))
	def("sync_file_range", fd(0), l(1), l(2), in(3, fUint))
	def("openat2", dirfd(0), path(1), in(2, fOpenHow), u(3))
	def("time", out(0, fOutTime)).ret = retTime
	def("eventfd", in(0, fUint))
	def("signalfd", fd(0), in(1, fSigset), u(2))
	def("setxattr", path(0), in(1, fStr), in(2, fBufIn(3)), u(3), in(4, fXattrFlags))
	def("lsetxattr", path(0), in(1, fStr), in(2, fBufIn(3)), u(3), in(4, fXattrFlags))
	def("fsetxattr", fd(0), in(1, fStr), in(2, fBufIn(3)), u(3), in(4, fXattrFlags))
	def("listxattr", path(0), out(1, fBufOut), u(2))
	def("llistxattr", path(0), out(1, fBufOut), u(2))
	def("flistxattr", fd(0), out(1, fBufOut), u(2))
	def("removexattr", path(0), in(1, fStr))
	def("lremovexattr", path(0), in(1, fStr))
	def("fremovexattr", fd(0), in(1, fStr))
	def("mincore", p(0), u(1), p(2))
	def("utime", path(0), p(1))
	def("utimes", path(0), p(1))
	def("futimesat", dirfd(0), path(1), p(2))
	def("sched_setparam", i(0), p(1))
	def("sched_setscheduler", i(0), i(1), p(2))
	def("sched_rr_get_interval", i(0), out(1, fOutTimespec))
	def("mlockall", h(0))
	def("mlock2", p(0), u(1), h(2))
	def("pivot_root", path(0), path(1))
	def("acct", path(0))
	def("settimeofday", in(0, fTimeval), p(1))
	def("clock_settime", in(0, fClockID), in(1, fTimespec))
	def("swapon", path(0), h(1))
	def("swapoff", path(0))
	def("setdomainname", in(0, fBufIn(1)), u(1))
	def("readahead", fd(0), l(1), u(2))
	def("set_thread_area", p(0))
	def("get_thread_area", p(0))
	def("timer_gettime", i(0), p(1))
	def("timer_getoverrun", i(0))
	def("setfsuid", i(0))
	def("setfsgid", i(0))
	def("ptrace", i(0), i(1), p(2), p(3))
	def("shmget", h(0), u(1), h(2))
	def("shmctl", i(0), i(1), p(2))
	def("shmdt", p(0))
	def("semget", h(0), i(1), h(2))
	def("semop", i(0), p(1), u(2))
	def("semtimedop", i(0), p(1), u(2), in(3, fTimespec))
	def("semctl", i(0), i(1), i(2), h(3))
	def("msgget", h(0), h(1))
	def("msgsnd", i(0), p(1), u(2), h(3))
	def("msgrcv", i(0), p(1), u(2), l(3), h(4))
	def("msgctl", i(0), i(1), p(2))
	def("ioprio_set", i(0), i(1), i(2))
	def("ioprio_get", i(0), i(1))
	def("io_setup", u(0), p(1))
	def("io_destroy", h(0))
	def("io_submit", h(0), l(1), p(2))
	def("io_getevents", h(0), l(1), l(2), p(3), in(4, fTimespec))
	def("io_cancel", h(0), p(1), p(2))
	def("recvmmsg", fd(0), out(1, fMmsgOut), in(2, fUint), in(3, fMsgFlags), in(4, fTimespec))
	def("sendmmsg", fd(0), out(1, fMmsgIn), in(2, fUint), in(3, fMsgFlags))
	def("vmsplice", fd(0), p(1), u(2), h(3))
	def("process_vm_writev", i(0), p(1), u(2), p(3), u(4), u(5))
	def("kcmp", i(0), i(1), i(2), u(3), u(4))
	def("sched_setattr", i(0), p(1), in(2, fUint))
	def("sched_getattr", i(0), p(1), in(2, fUint), in(3, fUint))
	def("seccomp", in(0, fUint), h(1), p(2))
	def("bpf", i(0), p(1), in(2, fUint))
	def("userfaultfd", in(0, fUffdFlags))
	def("preadv2", fd(0), out(1, fIovecOut(2)), i(2), l(3), h(5))
	def("pwritev2", fd(0), in(1, fIovecIn(2)), i(2), l(3), h(5))
	def("pkey_mprotect", p(0), u(1), in(2, fProt), i(3))
	def("pkey_alloc", h(0), h(1))
	def("pkey_free", i(0))
	def("io_uring_setup", in(0, fUint), p(1))
	def("io_uring_enter", fd(0), in(1, fUint), in(2, fUint), h(3), p(4), u(5))
	def("io_uring_register", fd(0), in(1, fUint), p(2), in(3, fUint))
	def("pidfd_getfd", fd(0), fd(1), h(2))
	def("epoll_pwait2", fd(0), out(1, fOutEpollEvents), i(2), in(3, fTimespec), in(4, fSigset), u(5))
	def("fchmodat2", dirfd(0), path(1), in(2, fOct), in(3, fAtFlags))
	def("memfd_secret", h(0))
	def("process_madvise", fd(0), p(1), u(2), in(3, fMadvise), h(4))
	def("process_mrelease", fd(0), h(1))
	def("modify_ldt", i(0), p(1), u(2))
	def("adjtimex", p(0))
	def("clock_adjtime", in(0, fClockID), p(1))
	def("perf_event_open", p(0), i(1), i(2), i(3), h(4))
	def("fanotify_init", h(0), h(1))
	def("fanotify_mark", fd(0), h(1), h(2), dirfd(3), path(4))
	def("mq_open", in(0, fStr), in(1, fOpenFlags), in(2, fOct), p(3))
	def("mq_unlink", in(0, fStr))
	def("remap_file_pages", p(0), u(1), h(2), u(3), h(4))
	def("init_module", p(0), u(1), in(2, fStr))
	def("finit_module", fd(0), in(1, fStr), h(2))
	def("delete_module", in(0, fStr), h(1))
	def("reboot", h(0), h(1), h(2), p(3))
	def("getdents", fd(0), p(1), in(2, fUint))
	def("timerfd_create", in(0, fClockID), in(1, fTimerfdFlags))
	def("getpriority", i(0), i(1))
	def("setpriority", i(0), i(1), i(2))
	def("poll", in(0, fPollfds), in(1, fUint), i(2)).ret = retPoll
	def("ppoll", in(0, fPollfds), in(1, fUint), in(2, fTimespec), in(3, fSigset), u(4)).ret = retPPoll
	def("sysinfo", p(0))
	def("times", p(0))
	def("gettimeofday", out(0, fOutTimeval), p(1))
	def("getrusage", in(0, fRusageWho), out(1, fOutRusage))
	def("shmat", i(0), p(1), h(2)).ret = retHex
}

// register installs s for the system call called name.
func register(name string, s *spec) {
	for nr, n := range linux.SyscallNames {
		if n == name {
			specs[nr] = s
			return
		}
	}
	panic("strace: no system call named " + name)
}
