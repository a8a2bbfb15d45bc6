package strace

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// Flag and value tables, in the order strace prints them.

var openFlags = []flag{
	{unix.O_CREAT, "O_CREAT"},
	{unix.O_EXCL, "O_EXCL"},
	{unix.O_NOCTTY, "O_NOCTTY"},
	{unix.O_TRUNC, "O_TRUNC"},
	{unix.O_APPEND, "O_APPEND"},
	{unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_SYNC, "O_SYNC"}, // includes O_DSYNC's bit
	{unix.O_DSYNC, "O_DSYNC"},
	{unix.O_DIRECT, "O_DIRECT"},
	{0x8000, "O_LARGEFILE"}, // x/sys calls it 0 on amd64
	{unix.O_NOFOLLOW, "O_NOFOLLOW"},
	{unix.O_NOATIME, "O_NOATIME"},
	{unix.O_CLOEXEC, "O_CLOEXEC"},
	{unix.O_PATH, "O_PATH"},
	{unix.O_TMPFILE, "O_TMPFILE"}, // includes O_DIRECTORY's bit
	{unix.O_DIRECTORY, "O_DIRECTORY"},
	{unix.O_ASYNC, "FASYNC"},
}

// openFlagsString prints open(2) flags: the access mode, then the rest.
func openFlagsString(v uint64) string {
	var mode string
	switch v & unix.O_ACCMODE {
	case unix.O_RDONLY:
		mode = "O_RDONLY"
	case unix.O_WRONLY:
		mode = "O_WRONLY"
	case unix.O_RDWR:
		mode = "O_RDWR"
	default:
		mode = "O_ACCMODE"
	}
	rest := v &^ unix.O_ACCMODE
	if rest == 0 {
		return mode
	}
	return mode + "|" + flags(rest, openFlags, "")
}

var protFlags = []flag{
	{unix.PROT_READ, "PROT_READ"},
	{unix.PROT_WRITE, "PROT_WRITE"},
	{unix.PROT_EXEC, "PROT_EXEC"},
	{0x8, "PROT_SEM"},
	{unix.PROT_GROWSDOWN, "PROT_GROWSDOWN"},
	{unix.PROT_GROWSUP, "PROT_GROWSUP"},
}

var mapTypes = []flag{
	{unix.MAP_SHARED, "MAP_SHARED"},
	{unix.MAP_PRIVATE, "MAP_PRIVATE"},
	{unix.MAP_SHARED_VALIDATE, "MAP_SHARED_VALIDATE"},
}

var mapFlags = []flag{
	{unix.MAP_FIXED, "MAP_FIXED"},
	{unix.MAP_ANONYMOUS, "MAP_ANONYMOUS"},
	{unix.MAP_32BIT, "MAP_32BIT"},
	{unix.MAP_GROWSDOWN, "MAP_GROWSDOWN"},
	{unix.MAP_DENYWRITE, "MAP_DENYWRITE"},
	{unix.MAP_EXECUTABLE, "MAP_EXECUTABLE"},
	{unix.MAP_LOCKED, "MAP_LOCKED"},
	{unix.MAP_NORESERVE, "MAP_NORESERVE"},
	{unix.MAP_POPULATE, "MAP_POPULATE"},
	{unix.MAP_NONBLOCK, "MAP_NONBLOCK"},
	{unix.MAP_STACK, "MAP_STACK"},
	{unix.MAP_HUGETLB, "MAP_HUGETLB"},
	{unix.MAP_SYNC, "MAP_SYNC"},
	{unix.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
}

// mapFlagsString prints mmap flags: the mapping type, then the rest.
func mapFlagsString(v uint64) string {
	typ := v & 0xf
	rest := v &^ 0xf
	s := value(typ, mapTypes, hex)
	if rest != 0 {
		s += "|" + flags(rest, mapFlags, "")
	}
	return s
}

var mremapFlags = []flag{
	{unix.MREMAP_MAYMOVE, "MREMAP_MAYMOVE"},
	{unix.MREMAP_FIXED, "MREMAP_FIXED"},
	{unix.MREMAP_DONTUNMAP, "MREMAP_DONTUNMAP"},
}

var madviseAdvice = []flag{
	{unix.MADV_NORMAL, "MADV_NORMAL"},
	{unix.MADV_RANDOM, "MADV_RANDOM"},
	{unix.MADV_SEQUENTIAL, "MADV_SEQUENTIAL"},
	{unix.MADV_WILLNEED, "MADV_WILLNEED"},
	{unix.MADV_DONTNEED, "MADV_DONTNEED"},
	{unix.MADV_FREE, "MADV_FREE"},
	{unix.MADV_REMOVE, "MADV_REMOVE"},
	{unix.MADV_DONTFORK, "MADV_DONTFORK"},
	{unix.MADV_DOFORK, "MADV_DOFORK"},
	{unix.MADV_MERGEABLE, "MADV_MERGEABLE"},
	{unix.MADV_UNMERGEABLE, "MADV_UNMERGEABLE"},
	{unix.MADV_HUGEPAGE, "MADV_HUGEPAGE"},
	{unix.MADV_NOHUGEPAGE, "MADV_NOHUGEPAGE"},
	{unix.MADV_DONTDUMP, "MADV_DONTDUMP"},
	{unix.MADV_DODUMP, "MADV_DODUMP"},
	{unix.MADV_WIPEONFORK, "MADV_WIPEONFORK"},
	{unix.MADV_KEEPONFORK, "MADV_KEEPONFORK"},
	{unix.MADV_COLD, "MADV_COLD"},
	{unix.MADV_PAGEOUT, "MADV_PAGEOUT"},
	{unix.MADV_HWPOISON, "MADV_HWPOISON"},
}

var msyncFlags = []flag{
	{unix.MS_ASYNC, "MS_ASYNC"},
	{unix.MS_INVALIDATE, "MS_INVALIDATE"},
	{unix.MS_SYNC, "MS_SYNC"},
}

var cloneFlags = []flag{
	{unix.CLONE_VM, "CLONE_VM"},
	{unix.CLONE_FS, "CLONE_FS"},
	{unix.CLONE_FILES, "CLONE_FILES"},
	{unix.CLONE_SIGHAND, "CLONE_SIGHAND"},
	{unix.CLONE_PIDFD, "CLONE_PIDFD"},
	{unix.CLONE_PTRACE, "CLONE_PTRACE"},
	{unix.CLONE_VFORK, "CLONE_VFORK"},
	{unix.CLONE_PARENT, "CLONE_PARENT"},
	{unix.CLONE_THREAD, "CLONE_THREAD"},
	{unix.CLONE_NEWNS, "CLONE_NEWNS"},
	{unix.CLONE_SYSVSEM, "CLONE_SYSVSEM"},
	{unix.CLONE_SETTLS, "CLONE_SETTLS"},
	{unix.CLONE_PARENT_SETTID, "CLONE_PARENT_SETTID"},
	{unix.CLONE_CHILD_CLEARTID, "CLONE_CHILD_CLEARTID"},
	{unix.CLONE_DETACHED, "CLONE_DETACHED"},
	{unix.CLONE_UNTRACED, "CLONE_UNTRACED"},
	{unix.CLONE_CHILD_SETTID, "CLONE_CHILD_SETTID"},
	{unix.CLONE_NEWCGROUP, "CLONE_NEWCGROUP"},
	{unix.CLONE_NEWUTS, "CLONE_NEWUTS"},
	{unix.CLONE_NEWIPC, "CLONE_NEWIPC"},
	{unix.CLONE_NEWUSER, "CLONE_NEWUSER"},
	{unix.CLONE_NEWPID, "CLONE_NEWPID"},
	{unix.CLONE_NEWNET, "CLONE_NEWNET"},
	{unix.CLONE_IO, "CLONE_IO"},
	{unix.CLONE_CLEAR_SIGHAND, "CLONE_CLEAR_SIGHAND"},
	{unix.CLONE_INTO_CGROUP, "CLONE_INTO_CGROUP"},
	{unix.CLONE_NEWTIME, "CLONE_NEWTIME"},
}

// cloneFlagsString prints clone's flags: the flag bits, then the exit
// signal in the low byte by name.
func cloneFlagsString(v uint64) string {
	sig := v & 0xff
	rest := v &^ 0xff
	s := ""
	if rest != 0 {
		s = flags(rest, cloneFlags, "")
	}
	if sig != 0 {
		if s != "" {
			s += "|"
		}
		s += signalName(int(sig))
	}
	if s == "" {
		return "0"
	}
	return s
}

var atFlags = []flag{
	{unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
	{unix.AT_REMOVEDIR, "AT_REMOVEDIR"},
	{unix.AT_SYMLINK_FOLLOW, "AT_SYMLINK_FOLLOW"},
	{unix.AT_NO_AUTOMOUNT, "AT_NO_AUTOMOUNT"},
	{unix.AT_EMPTY_PATH, "AT_EMPTY_PATH"},
	{unix.AT_STATX_FORCE_SYNC, "AT_STATX_FORCE_SYNC"},
	{unix.AT_STATX_DONT_SYNC, "AT_STATX_DONT_SYNC"},
	{unix.AT_RECURSIVE, "AT_RECURSIVE"},
}

// faccessat2 reuses 0x200 as AT_EACCESS.
var accessAtFlags = []flag{
	{unix.AT_SYMLINK_NOFOLLOW, "AT_SYMLINK_NOFOLLOW"},
	{unix.AT_EACCESS, "AT_EACCESS"},
	{unix.AT_EMPTY_PATH, "AT_EMPTY_PATH"},
}

var accessModes = []flag{
	{unix.R_OK, "R_OK"},
	{unix.W_OK, "W_OK"},
	{unix.X_OK, "X_OK"},
}

var whences = []flag{
	{unix.SEEK_SET, "SEEK_SET"},
	{unix.SEEK_CUR, "SEEK_CUR"},
	{unix.SEEK_END, "SEEK_END"},
	{unix.SEEK_DATA, "SEEK_DATA"},
	{unix.SEEK_HOLE, "SEEK_HOLE"},
}

var fcntlCmds = []flag{
	{unix.F_DUPFD, "F_DUPFD"},
	{unix.F_GETFD, "F_GETFD"},
	{unix.F_SETFD, "F_SETFD"},
	{unix.F_GETFL, "F_GETFL"},
	{unix.F_SETFL, "F_SETFL"},
	{unix.F_GETLK, "F_GETLK"},
	{unix.F_SETLK, "F_SETLK"},
	{unix.F_SETLKW, "F_SETLKW"},
	{unix.F_SETOWN, "F_SETOWN"},
	{unix.F_GETOWN, "F_GETOWN"},
	{unix.F_SETSIG, "F_SETSIG"},
	{unix.F_GETSIG, "F_GETSIG"},
	{unix.F_OFD_GETLK, "F_OFD_GETLK"},
	{unix.F_OFD_SETLK, "F_OFD_SETLK"},
	{unix.F_OFD_SETLKW, "F_OFD_SETLKW"},
	{unix.F_SETLEASE, "F_SETLEASE"},
	{unix.F_GETLEASE, "F_GETLEASE"},
	{unix.F_NOTIFY, "F_NOTIFY"},
	{unix.F_DUPFD_CLOEXEC, "F_DUPFD_CLOEXEC"},
	{unix.F_SETPIPE_SZ, "F_SETPIPE_SZ"},
	{unix.F_GETPIPE_SZ, "F_GETPIPE_SZ"},
	{unix.F_ADD_SEALS, "F_ADD_SEALS"},
	{unix.F_GET_SEALS, "F_GET_SEALS"},
}

var ioctlCmds = []flag{
	{unix.TCGETS, "TCGETS"},
	{unix.TCSETS, "TCSETS"},
	{unix.TCSETSW, "TCSETSW"},
	{unix.TCSETSF, "TCSETSF"},
	{unix.TIOCSCTTY, "TIOCSCTTY"},
	{unix.TIOCGPGRP, "TIOCGPGRP"},
	{unix.TIOCSPGRP, "TIOCSPGRP"},
	{unix.TIOCGWINSZ, "TIOCGWINSZ"},
	{unix.TIOCSWINSZ, "TIOCSWINSZ"},
	{0x541b, "FIONREAD"},
	{unix.TIOCNOTTY, "TIOCNOTTY"},
	{0x5421, "FIONBIO"},
	{unix.TIOCGPTN, "TIOCGPTN"},
	{unix.TIOCSPTLCK, "TIOCSPTLCK"},
	{unix.TIOCGSID, "TIOCGSID"},
	{0x5451, "FIOCLEX"},
	{0x5450, "FIONCLEX"},
	{0x5452, "FIOASYNC"},
}

var archPrctlCodes = []flag{
	{0x1001, "ARCH_SET_GS"},
	{0x1002, "ARCH_SET_FS"},
	{0x1003, "ARCH_GET_FS"},
	{0x1004, "ARCH_GET_GS"},
	{0x1011, "ARCH_GET_CPUID"},
	{0x1012, "ARCH_SET_CPUID"},
	{0x1021, "ARCH_GET_XCOMP_SUPP"},
	{0x1022, "ARCH_GET_XCOMP_PERM"},
	{0x1023, "ARCH_REQ_XCOMP_PERM"},
	{0x1024, "ARCH_GET_XCOMP_GUEST_PERM"},
	{0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"},
	{0x4001, "ARCH_GET_UNTAG_MASK"},
	{0x4002, "ARCH_ENABLE_TAGGED_ADDR"},
	{0x4003, "ARCH_GET_MAX_TAG_BITS"},
	{0x4004, "ARCH_FORCE_TAGGED_SVA"},
	{0x5001, "ARCH_SHSTK_ENABLE"},
	{0x5002, "ARCH_SHSTK_DISABLE"},
	{0x5003, "ARCH_SHSTK_LOCK"},
	{0x5004, "ARCH_SHSTK_UNLOCK"},
	{0x5005, "ARCH_SHSTK_STATUS"},
}

var sigprocmaskHows = []flag{
	{unix.SIG_BLOCK, "SIG_BLOCK"},
	{unix.SIG_UNBLOCK, "SIG_UNBLOCK"},
	{unix.SIG_SETMASK, "SIG_SETMASK"},
}

var saFlags = []flag{
	{0x04000000, "SA_RESTORER"},
	{0x08000000, "SA_ONSTACK"},
	{0x10000000, "SA_RESTART"},
	{0x40000000, "SA_NODEFER"},
	{0x80000000, "SA_RESETHAND"},
	{0x4, "SA_SIGINFO"},
	{0x1, "SA_NOCLDSTOP"},
	{0x2, "SA_NOCLDWAIT"},
}

var waitOptions = []flag{
	{unix.WNOHANG, "WNOHANG"},
	{unix.WUNTRACED, "WUNTRACED"},
	{unix.WEXITED, "WEXITED"},
	{unix.WCONTINUED, "WCONTINUED"},
	{unix.WNOWAIT, "WNOWAIT"},
	{0x20000000, "__WNOTHREAD"},
	{0x40000000, "__WALL"},
	{0x80000000, "__WCLONE"},
}

var idTypes = []flag{
	{unix.P_ALL, "P_ALL"},
	{unix.P_PID, "P_PID"},
	{unix.P_PGID, "P_PGID"},
	{unix.P_PIDFD, "P_PIDFD"},
}

var clockIDs = []flag{
	{unix.CLOCK_REALTIME, "CLOCK_REALTIME"},
	{unix.CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
	{unix.CLOCK_PROCESS_CPUTIME_ID, "CLOCK_PROCESS_CPUTIME_ID"},
	{unix.CLOCK_THREAD_CPUTIME_ID, "CLOCK_THREAD_CPUTIME_ID"},
	{unix.CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
	{unix.CLOCK_REALTIME_COARSE, "CLOCK_REALTIME_COARSE"},
	{unix.CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
	{unix.CLOCK_BOOTTIME, "CLOCK_BOOTTIME"},
	{unix.CLOCK_REALTIME_ALARM, "CLOCK_REALTIME_ALARM"},
	{unix.CLOCK_BOOTTIME_ALARM, "CLOCK_BOOTTIME_ALARM"},
	{unix.CLOCK_TAI, "CLOCK_TAI"},
}

// Futex operations (include/uapi/linux/futex.h); x/sys/unix lacks them.
const (
	futexWait          = 0
	futexWake          = 1
	futexFD            = 2
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexLockPI        = 6
	futexUnlockPI      = 7
	futexTrylockPI     = 8
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexWaitRequeuePI = 11
	futexCmpRequeuePI  = 12
	futexLockPI2       = 13
	futexPrivateFlag   = 128
	futexClockRealtime = 256
)

var futexCmds = []flag{
	{futexWait, "FUTEX_WAIT"},
	{futexWake, "FUTEX_WAKE"},
	{futexFD, "FUTEX_FD"},
	{futexRequeue, "FUTEX_REQUEUE"},
	{futexCmpRequeue, "FUTEX_CMP_REQUEUE"},
	{futexWakeOp, "FUTEX_WAKE_OP"},
	{futexLockPI, "FUTEX_LOCK_PI"},
	{futexUnlockPI, "FUTEX_UNLOCK_PI"},
	{futexTrylockPI, "FUTEX_TRYLOCK_PI"},
	{futexWaitBitset, "FUTEX_WAIT_BITSET"},
	{futexWakeBitset, "FUTEX_WAKE_BITSET"},
	{futexWaitRequeuePI, "FUTEX_WAIT_REQUEUE_PI"},
	{futexCmpRequeuePI, "FUTEX_CMP_REQUEUE_PI"},
	{futexLockPI2, "FUTEX_LOCK_PI2"},
}

// futexOpString prints a futex operation as strace does:
// FUTEX_WAIT_PRIVATE, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME.
func futexOpString(v uint64) string {
	op := uint64(uint32(v))
	cmd := op & 0x7f
	s := value(cmd, futexCmds, func(x uint64) string { return hex(x) })
	if op&futexPrivateFlag != 0 {
		s += "_PRIVATE"
	}
	if op&futexClockRealtime != 0 {
		s += "|FUTEX_CLOCK_REALTIME"
	}
	if rest := op &^ (0x7f | futexPrivateFlag | futexClockRealtime); rest != 0 {
		s += "|" + hex(rest)
	}
	return s
}

var rlimitResources = []flag{
	{unix.RLIMIT_CPU, "RLIMIT_CPU"},
	{unix.RLIMIT_FSIZE, "RLIMIT_FSIZE"},
	{unix.RLIMIT_DATA, "RLIMIT_DATA"},
	{unix.RLIMIT_STACK, "RLIMIT_STACK"},
	{unix.RLIMIT_CORE, "RLIMIT_CORE"},
	{unix.RLIMIT_RSS, "RLIMIT_RSS"},
	{unix.RLIMIT_NPROC, "RLIMIT_NPROC"},
	{unix.RLIMIT_NOFILE, "RLIMIT_NOFILE"},
	{unix.RLIMIT_MEMLOCK, "RLIMIT_MEMLOCK"},
	{unix.RLIMIT_AS, "RLIMIT_AS"},
	{unix.RLIMIT_LOCKS, "RLIMIT_LOCKS"},
	{unix.RLIMIT_SIGPENDING, "RLIMIT_SIGPENDING"},
	{unix.RLIMIT_MSGQUEUE, "RLIMIT_MSGQUEUE"},
	{unix.RLIMIT_NICE, "RLIMIT_NICE"},
	{unix.RLIMIT_RTPRIO, "RLIMIT_RTPRIO"},
	{unix.RLIMIT_RTTIME, "RLIMIT_RTTIME"},
}

var getrandomFlags = []flag{
	{unix.GRND_NONBLOCK, "GRND_NONBLOCK"},
	{unix.GRND_RANDOM, "GRND_RANDOM"},
	{unix.GRND_INSECURE, "GRND_INSECURE"},
}

var pipeFlags = []flag{
	{unix.O_NONBLOCK, "O_NONBLOCK"},
	{unix.O_DIRECT, "O_DIRECT"},
	{unix.O_CLOEXEC, "O_CLOEXEC"},
	{unix.O_EXCL, "O_NOTIFICATION_PIPE"}, // Linux reuses O_EXCL's bit
}

var fdFlags = []flag{{unix.FD_CLOEXEC, "FD_CLOEXEC"}}

var socketFamilies = []flag{
	{unix.AF_UNSPEC, "AF_UNSPEC"},
	{unix.AF_UNIX, "AF_UNIX"},
	{unix.AF_INET, "AF_INET"},
	{unix.AF_INET6, "AF_INET6"},
	{unix.AF_NETLINK, "AF_NETLINK"},
	{unix.AF_PACKET, "AF_PACKET"},
}

var socketTypes = []flag{
	{unix.SOCK_STREAM, "SOCK_STREAM"},
	{unix.SOCK_DGRAM, "SOCK_DGRAM"},
	{unix.SOCK_RAW, "SOCK_RAW"},
	{unix.SOCK_RDM, "SOCK_RDM"},
	{unix.SOCK_SEQPACKET, "SOCK_SEQPACKET"},
	{unix.SOCK_PACKET, "SOCK_PACKET"},
}

var socketTypeFlags = []flag{
	{unix.SOCK_NONBLOCK, "SOCK_NONBLOCK"},
	{unix.SOCK_CLOEXEC, "SOCK_CLOEXEC"},
}

func socketTypeString(v uint64) string {
	s := value(v&0xf, socketTypes, hex)
	if rest := v &^ 0xf; rest != 0 {
		s += "|" + flags(rest, socketTypeFlags, "")
	}
	return s
}

var prctlOptions = []flag{
	{unix.PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"},
	{unix.PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG"},
	{unix.PR_GET_DUMPABLE, "PR_GET_DUMPABLE"},
	{unix.PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
	{unix.PR_SET_NAME, "PR_SET_NAME"},
	{unix.PR_GET_NAME, "PR_GET_NAME"},
	{unix.PR_GET_SECCOMP, "PR_GET_SECCOMP"},
	{unix.PR_SET_SECCOMP, "PR_SET_SECCOMP"},
	{unix.PR_CAPBSET_READ, "PR_CAPBSET_READ"},
	{unix.PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},
	{unix.PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
	{unix.PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER"},
	{unix.PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"},
	{unix.PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"},
	{unix.PR_SET_VMA, "PR_SET_VMA"},
}

// Signal names as strace prints them: SIGHUP..SIGSYS, then SIGRTMIN
// (32) and SIGRT_n above it.
var signalNames = [...]string{
	1: "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
	"SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM",
	"SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
	"SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM",
	"SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
}

func signalName(sig int) string {
	switch {
	case sig > 0 && sig < len(signalNames):
		return signalNames[sig]
	case sig == 32:
		return "SIGRTMIN"
	case sig > 32 && sig <= 64:
		return "SIGRT_" + strconv.Itoa(sig-32)
	}
	return strconv.Itoa(sig)
}

func isFaultSignal(sig int) bool {
	switch sig {
	case int(unix.SIGSEGV), int(unix.SIGBUS), int(unix.SIGILL), int(unix.SIGFPE), int(unix.SIGTRAP):
		return true
	}
	return false
}

// siCodeName names si_code for a signal, as strace does.
func siCodeName(sig int, code int32) string {
	generic := map[int32]string{
		0: "SI_USER", 0x80: "SI_KERNEL", -1: "SI_QUEUE", -2: "SI_TIMER",
		-3: "SI_MESGQ", -4: "SI_ASYNCIO", -5: "SI_SIGIO", -6: "SI_TKILL",
	}
	var specific map[int32]string
	switch sig {
	case int(unix.SIGSEGV):
		specific = map[int32]string{1: "SEGV_MAPERR", 2: "SEGV_ACCERR", 3: "SEGV_BNDERR", 4: "SEGV_PKUERR"}
	case int(unix.SIGBUS):
		specific = map[int32]string{1: "BUS_ADRALN", 2: "BUS_ADRERR", 3: "BUS_OBJERR", 4: "BUS_MCEERR_AR", 5: "BUS_MCEERR_AO"}
	case int(unix.SIGILL):
		specific = map[int32]string{1: "ILL_ILLOPC", 2: "ILL_ILLOPN", 3: "ILL_ILLADR", 4: "ILL_ILLTRP", 5: "ILL_PRVOPC", 6: "ILL_PRVREG", 7: "ILL_COPROC", 8: "ILL_BADSTK"}
	case int(unix.SIGFPE):
		specific = map[int32]string{1: "FPE_INTDIV", 2: "FPE_INTOVF", 3: "FPE_FLTDIV", 4: "FPE_FLTOVF", 5: "FPE_FLTUND", 6: "FPE_FLTRES", 7: "FPE_FLTINV", 8: "FPE_FLTSUB"}
	case int(unix.SIGTRAP):
		specific = map[int32]string{1: "TRAP_BRKPT", 2: "TRAP_TRACE", 3: "TRAP_BRANCH", 4: "TRAP_HWBKPT"}
	case int(unix.SIGIO):
		specific = map[int32]string{1: "POLL_IN", 2: "POLL_OUT", 3: "POLL_MSG", 4: "POLL_ERR", 5: "POLL_PRI", 6: "POLL_HUP"}
	case int(unix.SIGCHLD):
		specific = map[int32]string{1: "CLD_EXITED", 2: "CLD_KILLED", 3: "CLD_DUMPED", 4: "CLD_TRAPPED", 5: "CLD_STOPPED", 6: "CLD_CONTINUED"}
	}
	if code > 0 && code < 0x80 {
		if s, ok := specific[code]; ok {
			return s
		}
	}
	if s, ok := generic[code]; ok {
		return s
	}
	return dec(int64(code))
}
