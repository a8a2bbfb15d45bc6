package strace

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/kite-os/kite/abi/linux"
	"github.com/kite-os/kite/arch"
	"golang.org/x/sys/unix"
)

// fakeMem is application memory made of separate regions.
type fakeMem struct {
	regions map[uintptr][]byte
	// other makes CopyInString follow the other convention Memory allows:
	// max excludes the NUL and a too long string comes back cut, with
	// ENAMETOOLONG.
	other bool
}

func newMem() *fakeMem { return &fakeMem{regions: map[uintptr][]byte{}} }

func (m *fakeMem) put(addr uintptr, b []byte) *fakeMem {
	m.regions[addr] = append([]byte(nil), b...)
	return m
}

func (m *fakeMem) putStr(addr uintptr, s string) *fakeMem { return m.put(addr, []byte(s+"\x00")) }

func (m *fakeMem) putU64s(addr uintptr, vs ...uint64) *fakeMem {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return m.put(addr, b)
}

// find returns the bytes readable from addr on.
func (m *fakeMem) find(addr uintptr) []byte {
	for base, b := range m.regions {
		if addr >= base && addr < base+uintptr(len(b)) {
			return b[addr-base:]
		}
	}
	return nil
}

func (m *fakeMem) CopyIn(addr uintptr, dst []byte) (int, error) {
	n := copy(dst, m.find(addr))
	if n < len(dst) {
		return n, unix.EFAULT
	}
	return n, nil
}

// CopyInString behaves as mm's: maxLen counts the NUL, and a string
// without one within maxLen bytes is ENAMETOOLONG with nothing returned.
func (m *fakeMem) CopyInString(addr uintptr, maxLen int) (string, error) {
	b := m.find(addr)
	if m.other {
		if i := bytes.IndexByte(b, 0); i >= 0 && i <= maxLen {
			return string(b[:i]), nil
		}
		if len(b) >= maxLen {
			return string(b[:maxLen]), unix.ENAMETOOLONG
		}
		return string(b), unix.EFAULT
	}
	if i := bytes.IndexByte(b, 0); i >= 0 && i < maxLen {
		return string(b[:i]), nil
	}
	if len(b) >= maxLen {
		return "", unix.ENAMETOOLONG
	}
	return "", unix.EFAULT
}

func nr(t *testing.T, name string) uintptr {
	t.Helper()
	for i, n := range linux.SyscallNames {
		if n == name {
			return uintptr(i)
		}
	}
	t.Fatalf("no syscall %s", name)
	return 0
}

func args(a ...uintptr) arch.SyscallArgs {
	var s arch.SyscallArgs
	copy(s[:], a)
	return s
}

// one traces a single call by thread 1 and returns the output.
func one(name string, a arch.SyscallArgs, mem *fakeMem, ret uintptr, err error) string {
	var out strings.Builder
	tr := New(&out)
	n := uintptr(0)
	for i, s := range linux.SyscallNames {
		if s == name {
			n = uintptr(i)
		}
	}
	tr.Enter(1, n, a, mem)
	tr.Exit(1, n, a, ret, err, mem)
	return out.String()
}

func stat(mode uint32, size int64, rdev uint64) []byte {
	b := make([]byte, statSize)
	binary.LittleEndian.PutUint32(b[24:], mode)
	binary.LittleEndian.PutUint64(b[40:], rdev)
	binary.LittleEndian.PutUint64(b[48:], uint64(size))
	return b
}

func statxBytes(mask uint32, mode uint16, size uint64) []byte {
	b := make([]byte, statxSize)
	binary.LittleEndian.PutUint32(b, mask)
	binary.LittleEndian.PutUint16(b[0x1c:], mode)
	binary.LittleEndian.PutUint64(b[0x28:], size)
	return b
}

func TestGolden(t *testing.T) {
	const (
		pathA = 0x1000
		bufA  = 0x2000
		bufB  = 0x3000
		vecA  = 0x4000
		ptrA  = 0x5000
	)
	long := strings.Repeat("abcdefghij", 5) // 50 bytes
	elfHdr := []byte("\x7fELF\x02\x01\x01\x03\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00>\x00\x01\x00\x00\x00")
	cases := []struct {
		name string
		call string
		args arch.SyscallArgs
		mem  *fakeMem
		ret  uintptr
		err  error
		want string
	}{
		{"openat", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_RDONLY|unix.O_CLOEXEC),
			newMem().putStr(pathA, "/etc/os-release"), 3, nil,
			`openat(AT_FDCWD, "/etc/os-release", O_RDONLY|O_CLOEXEC) = 3`},
		{"openat ENOENT", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_RDONLY),
			newMem().putStr(pathA, "/nope"), 0, unix.ENOENT,
			`openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)`},
		{"openat creat", "openat", args(5, pathA, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, 0644),
			newMem().putStr(pathA, "out.txt"), 4, nil,
			`openat(5, "out.txt", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 4`},
		{"open bad path", "open", args(0xdead, unix.O_RDWR|unix.O_NONBLOCK|0x8000),
			newMem(), 0, unix.EFAULT,
			`open(0xdead, O_RDWR|O_NONBLOCK|O_LARGEFILE) = -1 EFAULT (Bad address)`},
		{"read", "read", args(3, bufA, 832), newMem().put(bufA, elfHdr), 24, nil,
			`read(3, "\177ELF\2\1\1\3\0\0\0\0\0\0\0\0\3\0>\0\1\0\0\0", 832) = 24`},
		{"read long", "read", args(0, bufA, 4096), newMem().put(bufA, []byte(long)), 50, nil,
			`read(0, "abcdefghijabcdefghijabcdefghijab"..., 4096) = 50`},
		{"read EBADF", "read", args(9, bufA, 10), newMem(), 0, unix.EBADF,
			`read(9, 0x2000, 10) = -1 EBADF (Bad file descriptor)`},
		{"write escapes", "write", args(1, bufA, 10), newMem().put(bufA, []byte("a\"b\\\t\n\r\x1b19")), 10, nil,
			`write(1, "a\"b\\\t\n\r\03319", 10) = 10`},
		{"write octal before digit", "write", args(1, bufA, 3), newMem().put(bufA, []byte("\x01\x02x")), 3, nil,
			`write(1, "\1\2x", 3) = 3`},
		{"write octal padding", "write", args(1, bufA, 2), newMem().put(bufA, []byte("\x017")), 2, nil,
			`write(1, "\0017", 2) = 2`},
		{"close", "close", args(3), newMem(), 0, nil, `close(3) = 0`},
		{"mmap anon", "mmap", args(0, 8192, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS, uintptr(0xffffffffffffffff), 0),
			newMem(), 0x7f0000001000, nil,
			`mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000`},
		{"mmap file", "mmap", args(0x400000, 0x1000, unix.PROT_READ|unix.PROT_EXEC, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_DENYWRITE, 3, 0x2000),
			newMem(), 0x400000, nil,
			`mmap(0x400000, 4096, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3, 0x2000) = 0x400000`},
		{"mprotect none", "mprotect", args(0x7f0000000000, 4096, 0), newMem(), 0, nil,
			`mprotect(0x7f0000000000, 4096, PROT_NONE) = 0`},
		{"brk", "brk", args(0), newMem(), 0x555555559000, nil, `brk(NULL) = 0x555555559000`},
		{"fstat reg", "fstat", args(3, bufA), newMem().put(bufA, stat(unix.S_IFREG|0644, 2997, 0)), 0, nil,
			`fstat(3, {st_mode=S_IFREG|0644, st_size=2997, ...}) = 0`},
		{"fstat chr", "fstat", args(1, bufA), newMem().put(bufA, stat(unix.S_IFCHR|0620, 0, unix.Mkdev(0x88, 1))), 0, nil,
			`fstat(1, {st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0x1), ...}) = 0`},
		{"newfstatat", "newfstatat", args(uintptr(0xffffffffffffff9c), pathA, bufA, unix.AT_SYMLINK_NOFOLLOW),
			newMem().putStr(pathA, "/tmp").put(bufA, stat(unix.S_IFDIR|unix.S_ISVTX|0777, 4096, 0)), 0, nil,
			`newfstatat(AT_FDCWD, "/tmp", {st_mode=S_IFDIR|S_ISVTX|0777, st_size=4096, ...}, AT_SYMLINK_NOFOLLOW) = 0`},
		{"newfstatat empty path", "newfstatat", args(3, pathA, bufA, unix.AT_EMPTY_PATH),
			newMem().putStr(pathA, "").put(bufA, stat(unix.S_IFREG|0755, 0, 0)), 0, nil,
			`newfstatat(3, "", {st_mode=S_IFREG|0755, st_size=0, ...}, AT_EMPTY_PATH) = 0`},
		{"writev", "writev", args(1, vecA, 2),
			newMem().putU64s(vecA, bufA, 5, bufB, 1).put(bufA, []byte("hello")).put(bufB, []byte("\n")), 6, nil,
			`writev(1, [{iov_base="hello", iov_len=5}, {iov_base="\n", iov_len=1}], 2) = 6`},
		{"readv", "readv", args(0, vecA, 2),
			newMem().putU64s(vecA, bufA, 4, bufB, 8).put(bufA, []byte("abcd")).put(bufB, []byte("efghijkl")), 6, nil,
			`readv(0, [{iov_base="abcd", iov_len=4}, {iov_base="ef", iov_len=8}], 2) = 6`},
		{"rt_sigaction", "rt_sigaction", args(uintptr(unix.SIGINT), ptrA, 0, 8),
			newMem().putU64s(ptrA, 0x401000, 0x04000000|0x10000000, 0x401100, 1<<(15-1)), 0, nil,
			`rt_sigaction(SIGINT, {sa_handler=0x401000, sa_mask=[TERM], sa_flags=SA_RESTORER|SA_RESTART, sa_restorer=0x401100}, NULL, 8) = 0`},
		{"rt_sigaction old", "rt_sigaction", args(uintptr(unix.SIGCHLD), 0, ptrA, 8),
			newMem().putU64s(ptrA, 1, 0, 0, 0), 0, nil,
			`rt_sigaction(SIGCHLD, NULL, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, 8) = 0`},
		{"rt_sigprocmask", "rt_sigprocmask", args(unix.SIG_BLOCK, ptrA, bufA, 8),
			newMem().putU64s(ptrA, ^uint64(0)).putU64s(bufA, 3<<31), 0, nil,
			`rt_sigprocmask(SIG_BLOCK, ~[], [RTMIN RT_1], 8) = 0`},
		{"rt_sigprocmask complement", "rt_sigprocmask", args(unix.SIG_SETMASK, ptrA, 0, 8),
			newMem().putU64s(ptrA, ^uint64(1<<8|1<<18)), 0, nil,
			`rt_sigprocmask(SIG_SETMASK, ~[KILL STOP], NULL, 8) = 0`},
		{"clone", "clone", args(unix.CLONE_CHILD_CLEARTID|unix.CLONE_CHILD_SETTID|uintptr(unix.SIGCHLD), 0, 0, 0x7f0000000a10, 0),
			newMem(), 1235, nil,
			`clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0000000a10) = 1235`},
		{"clone thread", "clone", args(unix.CLONE_VM|unix.CLONE_FS|unix.CLONE_FILES|unix.CLONE_SIGHAND|unix.CLONE_THREAD|unix.CLONE_SYSVSEM|unix.CLONE_SETTLS|unix.CLONE_PARENT_SETTID|unix.CLONE_CHILD_CLEARTID, 0x7f00001000, 0x7f00002000, 0x7f00002000, 0x7f00003000),
			newMem().put(0x7f00002000, []byte{7, 0, 0, 0}), 7, nil,
			`clone(child_stack=0x7f00001000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, parent_tid=[7], tls=0x7f00003000, child_tidptr=0x7f00002000) = 7`},
		{"clone3", "clone3", args(ptrA, 88),
			newMem().putU64s(ptrA, unix.CLONE_VM|unix.CLONE_THREAD|unix.CLONE_SETTLS|unix.CLONE_PARENT_SETTID|unix.CLONE_CHILD_CLEARTID, 0, 0x7f10, 0x7f20, 0, 0x7e00, 0x800000, 0x7f30, 0, 0, 0).put(0x7f20, []byte{9, 0, 0, 0}),
			9, nil,
			`clone3({flags=CLONE_VM|CLONE_THREAD|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f10, parent_tid=0x7f20, exit_signal=0, stack=0x7e00, stack_size=0x800000, tls=0x7f30} => {parent_tid=[9]}, 88) = 9`},
		{"clone3 ENOSYS", "clone3", args(ptrA, 88),
			newMem().putU64s(ptrA, 0, 0, 0, 0, uint64(unix.SIGCHLD), 0, 0, 0),
			0, unix.ENOSYS,
			`clone3({flags=0, exit_signal=SIGCHLD, stack=0, stack_size=0}, 88) = -1 ENOSYS (Function not implemented)`},
		{"arch_prctl set", "arch_prctl", args(0x1002, 0x4c6880), newMem(), 0, nil,
			`arch_prctl(ARCH_SET_FS, 0x4c6880) = 0`},
		{"arch_prctl get", "arch_prctl", args(0x1003, ptrA), newMem().putU64s(ptrA, 0x4c6880), 0, nil,
			`arch_prctl(ARCH_GET_FS, [0x4c6880]) = 0`},
		{"arch_prctl bad", "arch_prctl", args(0x3001, 0x7ffc), newMem(), 0, unix.EINVAL,
			`arch_prctl(0x3001, 32764) = -1 EINVAL (Invalid argument)`},
		{"exit_group", "exit_group", args(0), newMem(), 0, nil, `exit_group(0) = ?`},
		{"execve", "execve", args(pathA, vecA, ptrA),
			newMem().putStr(pathA, "/bin/ls").putU64s(vecA, bufA, bufB, 0).putStr(bufA, "ls").putStr(bufB, long).putU64s(ptrA, 1, 2, 3, 0),
			0, nil,
			`execve("/bin/ls", ["ls", "abcdefghijabcdefghijabcdefghijab"...], 0x5000 /* 3 vars */) = 0`},
		{"wait4", "wait4", args(uintptr(0xffffffffffffffff), ptrA, 0, 0), newMem().put(ptrA, []byte{0, 3, 0, 0}), 1235, nil,
			`wait4(-1, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 1235`},
		{"wait4 signaled", "wait4", args(1235, ptrA, unix.WNOHANG|0x40000000, 0), newMem().put(ptrA, []byte{9, 0, 0, 0}), 1235, nil,
			`wait4(1235, [{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}], WNOHANG|__WALL, NULL) = 1235`},
		{"kill", "kill", args(1, uintptr(unix.SIGTERM)), newMem(), 0, unix.EPERM,
			`kill(1, SIGTERM) = -1 EPERM (Operation not permitted)`},
		{"pipe2", "pipe2", args(ptrA, unix.O_CLOEXEC), newMem().put(ptrA, []byte{3, 0, 0, 0, 4, 0, 0, 0}), 0, nil,
			`pipe2([3, 4], O_CLOEXEC) = 0`},
		{"fcntl getfl", "fcntl", args(3, unix.F_GETFL), newMem(), 0x8002, nil, `fcntl(3, F_GETFL) = 0x8002 (flags O_RDWR|O_LARGEFILE)`},
		{"ioctl TIOCNOTTY", "ioctl", args(0, unix.TIOCNOTTY), newMem(), 0, nil, `ioctl(0, TIOCNOTTY) = 0`},
		{"clone fork", "clone", args(uintptr(unix.SIGCHLD)), newMem(), 9, nil, `clone(child_stack=NULL, flags=SIGCHLD) = 9`},
		{"fcntl setfd", "fcntl", args(3, unix.F_SETFD, unix.FD_CLOEXEC), newMem(), 0, nil, `fcntl(3, F_SETFD, FD_CLOEXEC) = 0`},
		{"futex wait", "futex", args(ptrA, 128, 2, 0), newMem(), 0, unix.EAGAIN,
			`futex(0x5000, FUTEX_WAIT_PRIVATE, 2, NULL) = -1 EAGAIN (Resource temporarily unavailable)`},
		{"futex wake", "futex", args(ptrA, 129, 1), newMem(), 1, nil, `futex(0x5000, FUTEX_WAKE_PRIVATE, 1) = 1`},
		{"futex bitset", "futex", args(ptrA, 9|128|256, 0, 0, 0, 0xffffffff), newMem(), 0, nil,
			`futex(0x5000, FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME, 0, NULL, FUTEX_BITSET_MATCH_ANY) = 0`},
		{"nanosleep", "nanosleep", args(ptrA, 0), newMem().putU64s(ptrA, 1, 500000000), 0, nil,
			`nanosleep({tv_sec=1, tv_nsec=500000000}, NULL) = 0`},
		{"clock_gettime", "clock_gettime", args(unix.CLOCK_MONOTONIC, ptrA), newMem().putU64s(ptrA, 12, 34), 0, nil,
			`clock_gettime(CLOCK_MONOTONIC, {tv_sec=12, tv_nsec=34}) = 0`},
		{"getpid", "getpid", args(), newMem(), 1, nil, `getpid() = 1`},
		{"uname", "uname", args(bufA), newMem().put(bufA, append(append([]byte("Linux"), make([]byte, 60)...), append([]byte("kite"), make([]byte, 61)...)...)), 0, nil,
			`uname({sysname="Linux", nodename="kite", ...}) = 0`},
		{"getrandom", "getrandom", args(bufA, 4, unix.GRND_NONBLOCK), newMem().put(bufA, []byte{0xde, 0xad, 0xbe, 0xef}), 4, nil,
			`getrandom("\xde\xad\xbe\xef", 4, GRND_NONBLOCK) = 4`},
		{"rseq", "rseq", args(bufA+0x60, 32, 0, 0x53053053), newMem(), 0, nil,
			`rseq(0x2060, 0x20, 0, 0x53053053) = 0`},
		{"rseq unregister", "rseq", args(bufA+0x60, 32, 1, 0x53053053), newMem(), 0, unix.EPERM,
			`rseq(0x2060, 0x20, RSEQ_FLAG_UNREGISTER, 0x53053053) = -1 EPERM (Operation not permitted)`},
		{"access", "access", args(pathA, unix.R_OK|unix.X_OK), newMem().putStr(pathA, "/bin/sh"), 0, nil,
			`access("/bin/sh", R_OK|X_OK) = 0`},
		{"faccessat F_OK", "faccessat", args(uintptr(0xffffffffffffff9c), pathA, 0), newMem().putStr(pathA, "x"), 0, nil,
			`faccessat(AT_FDCWD, "x", F_OK) = 0`},
		{"lseek", "lseek", args(3, uintptr(0xfffffffffffffff6), unix.SEEK_END), newMem(), 90, nil,
			`lseek(3, -10, SEEK_END) = 90`},
		{"ioctl", "ioctl", args(1, unix.TCGETS, bufA), newMem(), 0, unix.ENOTTY,
			`ioctl(1, TCGETS, 0x2000) = -1 ENOTTY (Inappropriate ioctl for device)`},
		{"getcwd", "getcwd", args(bufA, 4096), newMem().putStr(bufA, "/root"), 6, nil,
			`getcwd("/root", 4096) = 6`},
		{"umask", "umask", args(022), newMem(), 022, nil, `umask(022) = 022`},
		{"unlinkat", "unlinkat", args(uintptr(0xffffffffffffff9c), pathA, unix.AT_REMOVEDIR), newMem().putStr(pathA, "d"), 0, nil,
			`unlinkat(AT_FDCWD, "d", AT_REMOVEDIR) = 0`},
		{"set_tid_address", "set_tid_address", args(ptrA), newMem(), 1, nil, `set_tid_address(0x5000) = 1`},
		{"prlimit64", "prlimit64", args(0, unix.RLIMIT_STACK, 0, ptrA), newMem().putU64s(ptrA, 8<<20, ^uint64(0)), 0, nil,
			`prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0`},
		{"sigaltstack", "sigaltstack", args(ptrA, bufA),
			newMem().putU64s(ptrA, 0x3a7206d0, 0, 65536).putU64s(bufA, 0, 2, 0), 0, nil,
			`sigaltstack({ss_sp=0x3a7206d0, ss_flags=0, ss_size=65536}, {ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}) = 0`},
		{"socket unix", "socket", args(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0), newMem(), 3, nil,
			`socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 3`},
		{"socket inet", "socket", args(unix.AF_INET, unix.SOCK_DGRAM, 0), newMem(), 4, nil,
			`socket(AF_INET, SOCK_DGRAM, IPPROTO_IP) = 4`},
		{"connect unix", "connect", args(3, bufA, 110),
			newMem().put(bufA, append([]byte{1, 0}, append([]byte("/nonexistent/sock"), make([]byte, 91)...)...)), 0, unix.ENOENT,
			`connect(3, {sa_family=AF_UNIX, sun_path="/nonexistent/sock"}, 110) = -1 ENOENT (No such file or directory)`},
		{"connect inet", "connect", args(4, bufA, 16),
			newMem().put(bufA, []byte{2, 0, 0, 53, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}), 0, nil,
			`connect(4, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.1")}, 16) = 0`},
		{"connect inet6", "connect", args(5, bufA, 28),
			newMem().put(bufA, []byte{10, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}), 0, nil,
			`connect(5, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0`},
		{"getsockname", "getsockname", args(4, bufA, ptrA),
			newMem().put(bufA, []byte{2, 0, 0xaf, 0xc6, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}).put(ptrA, []byte{16, 0, 0, 0}), 0, nil,
			`getsockname(4, {sa_family=AF_INET, sin_port=htons(44998), sin_addr=inet_addr("127.0.0.1")}, [16]) = 0`},
		{"poll", "poll", args(ptrA, 2, uintptr(0xffffffffffffffff)),
			newMem().put(ptrA, []byte{6, 0, 0, 0, 1, 0, 1, 0, 7, 0, 0, 0, 5, 0, 4, 0}), 2, nil,
			`poll([{fd=6, events=POLLIN}, {fd=7, events=POLLIN|POLLOUT}], 2, -1) = 2 ([{fd=6, revents=POLLIN}, {fd=7, revents=POLLOUT}])`},
		{"poll timeout", "poll", args(ptrA, 1, 0), newMem().put(ptrA, []byte{6, 0, 0, 0, 2, 0, 0, 0}), 0, nil,
			`poll([{fd=6, events=POLLPRI}], 1, 0) = 0 (Timeout)`},
		{"ppoll", "ppoll", args(ptrA, 1, bufA, 0, 8),
			newMem().put(ptrA, []byte{6, 0, 0, 0, 1, 0, 1, 0}).putU64s(bufA, 0, 999999028), 1, nil,
			`ppoll([{fd=6, events=POLLIN}], 1, {tv_sec=0, tv_nsec=999999028}, NULL, 8) = 1 ([{fd=6, revents=POLLIN}], left {tv_sec=0, tv_nsec=999999028})`},
		{"ioctl FIONREAD", "ioctl", args(6, 0x541b, ptrA), newMem().put(ptrA, []byte{1, 0, 0, 0}), 0, nil,
			`ioctl(6, FIONREAD, [1]) = 0`},
		{"ioctl TIOCGWINSZ", "ioctl", args(1, unix.TIOCGWINSZ, ptrA), newMem().put(ptrA, []byte{24, 0, 80, 0, 0, 0, 0, 0}), 0, nil,
			`ioctl(1, TIOCGWINSZ, {ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}) = 0`},
		{"ioctl TCGETS", "ioctl", args(0, unix.TCGETS, ptrA),
			newMem().put(ptrA, append([]byte{0, 5, 0, 0, 5, 0, 0, 0, 0xbf, 0, 0, 0, 0x3b, 0x8a, 0, 0}, make([]byte, 20)...)), 0, nil,
			`ioctl(0, TCGETS, {B38400 opost isig icanon echo ...}) = 0`},
		{"ioctl TCSETS raw", "ioctl", args(0, unix.TCSETSW, ptrA),
			newMem().put(ptrA, append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0xbd, 0x10, 0, 0, 0, 0, 0, 0}, make([]byte, 20)...)), 0, nil,
			`ioctl(0, TCSETSW, {B3000000 -opost -isig -icanon -echo ...}) = 0`},
		{"epoll_ctl", "epoll_ctl", args(5, unix.EPOLL_CTL_ADD, 3, ptrA),
			newMem().put(ptrA, []byte{1, 0, 0, 0x80, 3, 0, 0, 0, 1, 0, 0, 0}), 0, nil,
			`epoll_ctl(5, EPOLL_CTL_ADD, 3, {events=EPOLLIN|EPOLLET, data={u32=3, u64=4294967299}}) = 0`},
		{"epoll_wait", "epoll_wait", args(5, ptrA, 4, uintptr(0xffffffffffffffff)),
			newMem().put(ptrA, []byte{1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0}), 1, nil,
			`epoll_wait(5, [{events=EPOLLIN, data={u32=3, u64=4294967299}}], 4, -1) = 1`},
		{"epoll_pwait", "epoll_pwait", args(5, ptrA, 4, 0, 0, 8), newMem(), 0, nil,
			`epoll_pwait(5, [], 4, 0, NULL, 8) = 0`},
		{"epoll_create1", "epoll_create1", args(unix.EPOLL_CLOEXEC), newMem(), 5, nil, `epoll_create1(EPOLL_CLOEXEC) = 5`},
		{"waitid", "waitid", args(unix.P_PID, 25335, ptrA, unix.WEXITED, 0),
			newMem().put(ptrA, []byte{17, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xf7, 0x62, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 0, nil,
			`waitid(P_PID, 25335, {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=25335, si_uid=0, si_status=3, si_utime=0, si_stime=0}, WEXITED, NULL) = 0`},
		{"waitid ECHILD", "waitid", args(unix.P_ALL, 0, ptrA, unix.WEXITED|unix.WNOHANG, 0), newMem(), 0, unix.ECHILD,
			`waitid(P_ALL, 0, 0x5000, WNOHANG|WEXITED, NULL) = -1 ECHILD (No child processes)`},
		{"rt_sigqueueinfo", "rt_sigqueueinfo", args(25476, uintptr(unix.SIGUSR2), ptrA),
			newMem().put(ptrA, []byte{12, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0x84, 0x63, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0,
				0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 0, nil,
			`rt_sigqueueinfo(25476, SIGUSR2, {si_signo=SIGUSR2, si_code=SI_QUEUE, si_pid=25476, si_uid=0, si_int=42, si_ptr=0x2a}) = 0`},
		{"fcntl F_GETFL flags", "fcntl", args(3, unix.F_GETFL), newMem(), 0x8000, nil,
			`fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)`},
		{"fcntl F_GETFD flags", "fcntl", args(3, unix.F_GETFD), newMem(), 1, nil,
			`fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)`},
		{"setsockopt", "setsockopt", args(4, unix.SOL_SOCKET, unix.SO_REUSEADDR, ptrA, 4), newMem().put(ptrA, []byte{1, 0, 0, 0}), 0, nil,
			`setsockopt(4, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0`},
		{"getsockopt", "getsockopt", args(4, unix.SOL_SOCKET, unix.SO_TYPE, ptrA, bufA),
			newMem().put(ptrA, []byte{1, 0, 0, 0}).put(bufA, []byte{4, 0, 0, 0}), 0, nil,
			`getsockopt(4, SOL_SOCKET, SO_TYPE, [1], [4]) = 0`},
		{"sendto flags", "sendto", args(4, bufA, 2, unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT, 0, 0), newMem().put(bufA, []byte("hi")), 2, nil,
			`sendto(4, "hi", 2, MSG_DONTWAIT|MSG_NOSIGNAL, NULL, 0) = 2`},
		{"recvfrom", "recvfrom", args(5, bufA, 8, 0, 0, 0), newMem().put(bufA, []byte("hi")), 2, nil,
			`recvfrom(5, "hi", 8, 0, NULL, NULL) = 2`},
		{"sendmsg", "sendmsg", args(4, ptrA, 0),
			newMem().putU64s(ptrA, 0, 0, vecA, 1, 0, 0, 0).putU64s(vecA, bufA, 3).put(bufA, []byte("abc")), 3, nil,
			`sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=3}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 3`},
		{"sendmsg SCM_RIGHTS", "sendmsg", args(4, ptrA, 0),
			newMem().putU64s(ptrA, 0, 0, vecA, 1, bufB, 24, 0).putU64s(vecA, bufA, 1).put(bufA, []byte("x")).
				putU64s(bufB, 20, uint64(unix.SOL_SOCKET)|uint64(unix.SCM_RIGHTS)<<32, 7), 1, nil,
			`sendmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1, msg_control=[{cmsg_len=20, cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[7]}], msg_controllen=24, msg_flags=0}, 0) = 1`},
		{"shutdown", "shutdown", args(3, unix.SHUT_WR), newMem(), 0, nil, `shutdown(3, SHUT_WR) = 0`},
		{"recvmsg", "recvmsg", args(5, ptrA, 0),
			newMem().putU64s(ptrA, 0, 0, vecA, 1, 0, 0, 0).putU64s(vecA, bufA, 8).put(bufA, []byte("abc\x00\x00\x00\x00\x00")), 3, nil,
			`recvmsg(5, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="abc", iov_len=8}], msg_iovlen=1, msg_controllen=0, msg_flags=0}, 0) = 3`},
		{"prctl set name", "prctl", args(unix.PR_SET_NAME, pathA), newMem().putStr(pathA, "worker"), 0, nil,
			`prctl(PR_SET_NAME, "worker") = 0`},
		{"prctl get name", "prctl", args(unix.PR_GET_NAME, pathA), newMem().putStr(pathA, "worker"), 0, nil,
			`prctl(PR_GET_NAME, "worker") = 0`},
		{"prctl pdeathsig", "prctl", args(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGTERM)), newMem(), 0, nil,
			`prctl(PR_SET_PDEATHSIG, SIGTERM) = 0`},
		{"prctl no_new_privs", "prctl", args(unix.PR_SET_NO_NEW_PRIVS, 1), newMem(), 0, nil,
			`prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) = 0`},
		{"prctl get dumpable", "prctl", args(unix.PR_GET_DUMPABLE), newMem(), 1, nil,
			`prctl(PR_GET_DUMPABLE) = 1 (SUID_DUMP_USER)`},
		{"statfs", "statfs", args(pathA, ptrA),
			newMem().putStr(pathA, "/").putU64s(ptrA, 0xef53, 4096, 66053021, 62909641, 20731936, 16777216, 16362201, 0x44e6f70ee88ca47e, 255, 4096, 0x1020), 0, nil,
			`statfs("/", {f_type=EXT2_SUPER_MAGIC, f_bsize=4096, f_blocks=66053021, f_bfree=62909641, f_bavail=20731936, f_files=16777216, f_ffree=16362201, f_fsid={val=[0xe88ca47e, 0x44e6f70e]}, f_namelen=255, f_frsize=4096, f_flags=ST_VALID|ST_RELATIME}) = 0`},
		{"open flags order", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOCTTY|unix.O_TRUNC|unix.O_APPEND|unix.O_SYNC|unix.O_ASYNC|unix.O_NOFOLLOW|unix.O_NOATIME|unix.O_CLOEXEC, 0600),
			newMem().putStr(pathA, "/tmp/ofx"), 4, nil,
			`openat(AT_FDCWD, "/tmp/ofx", O_WRONLY|O_CREAT|O_EXCL|O_NOCTTY|O_TRUNC|O_APPEND|O_SYNC|O_NOFOLLOW|O_NOATIME|O_CLOEXEC|FASYNC, 0600) = 4`},
		{"opendir flags", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_DIRECTORY),
			newMem().putStr(pathA, "."), 3, nil,
			`openat(AT_FDCWD, ".", O_RDONLY|O_NONBLOCK|O_CLOEXEC|O_DIRECTORY) = 3`},
		{"O_TMPFILE", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_RDWR|unix.O_TMPFILE, 0600),
			newMem().putStr(pathA, "/tmp"), 5, nil,
			`openat(AT_FDCWD, "/tmp", O_RDWR|O_TMPFILE, 0600) = 5`},
		{"O_PATH", "openat", args(uintptr(0xffffffffffffff9c), pathA, unix.O_PATH|unix.O_DIRECTORY|unix.O_NOFOLLOW),
			newMem().putStr(pathA, "/"), 6, nil,
			`openat(AT_FDCWD, "/", O_RDONLY|O_NOFOLLOW|O_PATH|O_DIRECTORY) = 6`},
		{"statx", "statx", args(uintptr(0xffffffffffffff9c), pathA, unix.AT_SYMLINK_NOFOLLOW|unix.AT_NO_AUTOMOUNT, 0x25e, bufA),
			newMem().putStr(pathA, "/tmp/kroot").put(bufA, statxBytes(0x17ff, unix.S_IFDIR|0755, 4096)), 0, nil,
			`statx(AT_FDCWD, "/tmp/kroot", AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW|AT_NO_AUTOMOUNT, STATX_MODE|STATX_NLINK|STATX_UID|STATX_GID|STATX_MTIME|STATX_SIZE, {stx_mask=STATX_BASIC_STATS|STATX_MNT_ID, stx_attributes=0, stx_mode=S_IFDIR|0755, stx_size=4096, ...}) = 0`},
		{"lgetxattr", "lgetxattr", args(pathA, bufA, ptrA, 255), newMem().putStr(pathA, "/tmp/kroot").putStr(bufA, "security.selinux"), 0, unix.ENODATA,
			`lgetxattr("/tmp/kroot", "security.selinux", 0x5000, 255) = -1 ENODATA (No data available)`},
		{"pselect6", "pselect6", args(4, bufA, 0, 0, ptrA, 0),
			newMem().put(bufA, []byte{9, 0, 0, 0, 0, 0, 0, 0}).putU64s(ptrA, 0, 999997747), 2, nil,
			`pselect6(4, [0 3], NULL, NULL, {tv_sec=0, tv_nsec=999997747}, NULL) = 2 (in [0 3], left {tv_sec=0, tv_nsec=999997747})`},
		{"pselect6 sigmask", "pselect6", args(4, bufA, 0, 0, ptrA, vecA),
			newMem().put(bufA, []byte{8, 0, 0, 0, 0, 0, 0, 0}).putU64s(ptrA, 0, 500).putU64s(vecA, 0, 8), 1, nil,
			`pselect6(4, [3], NULL, NULL, {tv_sec=0, tv_nsec=500}, {sigmask=NULL, sigsetsize=8}) = 1 (in [3], left {tv_sec=0, tv_nsec=500})`},
		{"select timeout", "select", args(1, bufA, 0, 0, 0), newMem().put(bufA, []byte{1, 0, 0, 0, 0, 0, 0, 0}), 0, nil,
			`select(1, [0], NULL, NULL, NULL) = 0 (Timeout)`},
		{"setitimer", "setitimer", args(unix.ITIMER_REAL, ptrA, 0), newMem().putU64s(ptrA, 0, 0, 2, 500), 0, nil,
			`setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=2, tv_usec=500}}, NULL) = 0`},
		{"timerfd_create", "timerfd_create", args(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC), newMem(), 5, nil,
			`timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC) = 5`},
		{"timerfd_settime", "timerfd_settime", args(5, 0, ptrA, 0), newMem().putU64s(ptrA, 1, 0, 2, 0), 0, nil,
			`timerfd_settime(5, 0, {it_interval={tv_sec=1, tv_nsec=0}, it_value={tv_sec=2, tv_nsec=0}}, NULL) = 0`},
		{"mount", "mount", args(pathA, bufA, bufB, unix.MS_NOSUID|unix.MS_NODEV|unix.MS_RDONLY, vecA),
			newMem().putStr(pathA, "none").putStr(bufA, "/nonexistent").putStr(bufB, "tmpfs").putStr(vecA, "size=1m"), 0, unix.ENOENT,
			`mount("none", "/nonexistent", "tmpfs", MS_RDONLY|MS_NOSUID|MS_NODEV, "size=1m") = -1 ENOENT (No such file or directory)`},
		{"utimensat", "utimensat", args(uintptr(0xffffffffffffff9c), pathA, ptrA, 0),
			newMem().putStr(pathA, "/tmp/nonexist").putU64s(ptrA, 0, unix.UTIME_NOW, 5, unix.UTIME_OMIT), 0, unix.ENOENT,
			`utimensat(AT_FDCWD, "/tmp/nonexist", [UTIME_NOW, UTIME_OMIT], 0) = -1 ENOENT (No such file or directory)`},
		{"getgroups empty", "getgroups", args(4, ptrA), newMem(), 0, nil, `getgroups(4, []) = 0`},
		{"sched_getaffinity", "sched_getaffinity", args(0, 128, ptrA), newMem().put(ptrA, append([]byte{3}, make([]byte, 31)...)), 32, nil,
			`sched_getaffinity(0, 128, [0 1]) = 32`},
		{"getrusage", "getrusage", args(0, ptrA), newMem().putU64s(ptrA, 0, 1108, 0, 0), 0, nil,
			`getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=1108}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0`},
		{"openat2", "openat2", args(uintptr(0xffffffffffffff9c), pathA, ptrA, 24),
			newMem().putStr(pathA, "/etc/hostname").putU64s(ptrA, unix.O_RDONLY|unix.O_CLOEXEC, 0, unix.RESOLVE_NO_SYMLINKS|unix.RESOLVE_BENEATH), 0, unix.EXDEV,
			`openat2(AT_FDCWD, "/etc/hostname", {flags=O_RDONLY|O_CLOEXEC, resolve=RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH}, 24) = -1 EXDEV (Invalid cross-device link)`},
		{"openat2 creat", "openat2", args(uintptr(0xffffffffffffff9c), pathA, ptrA, 24),
			newMem().putStr(pathA, "/tmp/o2x").putU64s(ptrA, unix.O_WRONLY|unix.O_CREAT, 0600, 0), 3, nil,
			`openat2(AT_FDCWD, "/tmp/o2x", {flags=O_WRONLY|O_CREAT, mode=0600, resolve=0}, 24) = 3`},
		{"time NULL", "time", args(0), newMem(), 0, nil, `time(NULL) = 0 (` + isoTime(0) + `)`},
		{"setxattr", "setxattr", args(pathA, bufA, bufB, 3, unix.XATTR_CREATE),
			newMem().putStr(pathA, "/tmp/o2x").putStr(bufA, "user.k").put(bufB, []byte("val")), 0, nil,
			`setxattr("/tmp/o2x", "user.k", "val", 3, XATTR_CREATE) = 0`},
		{"listxattr", "listxattr", args(pathA, bufA, 64), newMem().putStr(pathA, "/tmp/o2x").put(bufA, []byte("user.k\x00")), 7, nil,
			`listxattr("/tmp/o2x", "user.k\0", 64) = 7`},
		{"interrupted", "read", args(0, bufA, 10), newMem(), 0, unix.Errno(512),
			`read(0, 0x2000, 10) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)`},
		{"generic", "kexec_load", args(1, ptrA), newMem(), 0, unix.ENOSYS,
			`kexec_load(0x1, 0x5000, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)`},
		{"path with newline", "chdir", args(pathA), newMem().putStr(pathA, "/a dir/with\nnewline and a long name over 32 bytes"), 0, nil,
			`chdir("/a dir/with\nnewline and a long name over 32 bytes") = 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := one(c.call, c.args, c.mem, c.ret, c.err)
			want := aligned("[pid 1] " + c.want)
			if got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

// aligned pads a one-line call "name(args) = ret" the way strace aligns
// results at column 40, and adds the newline.
func aligned(line string) string {
	i := strings.LastIndex(line, ") = ")
	if i < 0 {
		panic(line)
	}
	head, result := line[:i+1], line[i+4:]
	pad := " "
	if len(head) < 40 {
		pad = strings.Repeat(" ", 40-len(head))
	}
	return head + pad + "= " + result + "\n"
}

func TestUnknownSyscall(t *testing.T) {
	var out strings.Builder
	tr := New(&out)
	tr.Enter(2, 999, args(1, 2), newMem())
	tr.Exit(2, 999, args(1, 2), 0, unix.ENOSYS, newMem())
	want := aligned("[pid 2] syscall_0x3e7(0x1, 0x2, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)")
	if out.String() != want {
		t.Errorf("got  %q\nwant %q", out.String(), want)
	}
}

func TestInterleaving(t *testing.T) {
	var out strings.Builder
	tr := New(&out)
	mem := newMem().put(0x2000, []byte("data")).putStr(0x1000, "/f")
	read := nr(t, "read")
	openat := nr(t, "openat")
	futex := nr(t, "futex")
	ra := args(0, 0x2000, 100)
	fa := args(0x3000, 128, 0, 0)

	tr.Enter(1, read, ra, mem)  // read blocks
	tr.Enter(2, futex, fa, mem) // another thread
	tr.Exit(2, futex, fa, 0, nil, mem)
	tr.Enter(2, openat, args(3, 0x1000, 0), mem)
	tr.Exit(1, read, ra, 4, nil, mem) // read finishes
	tr.Exit(2, openat, args(3, 0x1000, 0), 5, nil, mem)
	tr.Enter(1, nr(t, "exit_group"), args(0), mem)
	tr.Exited(1, 0, 0, false)
	tr.Signal(3, SignalInfo{Signo: int32(unix.SIGSEGV), Code: 1, Addr: 0x10})
	tr.Exited(3, 0, int(unix.SIGSEGV), true)
	want := `[pid 1] read(0,  <unfinished ...>
[pid 2] futex(0x3000, FUTEX_WAIT_PRIVATE, 0, NULL) = 0
[pid 2] openat(3, "/f", O_RDONLY <unfinished ...>
[pid 1] <... read resumed>"data", 100)  = 4
[pid 2] <... openat resumed>)           = 5
[pid 1] exit_group(0)                   = ?
[pid 1] +++ exited with 0 +++
[pid 3] --- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---
[pid 3] +++ killed by SIGSEGV (core dumped) +++
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestExitNoReturn(t *testing.T) {
	var out strings.Builder
	tr := New(&out)
	mem := newMem().putU64s(0x1000, 123, 0)
	ns := nr(t, "nanosleep")
	a := args(0x1000, 0x2000)
	tr.Enter(2, ns, a, mem)
	tr.ExitNoReturn(2, ns, a, mem)
	tr.Enter(3, ns, a, mem)
	tr.Enter(4, nr(t, "exit_group"), args(1), mem)
	tr.ExitNoReturn(4, nr(t, "exit_group"), args(1), mem)
	tr.ExitNoReturn(3, ns, a, mem)
	want := `[pid 2] nanosleep({tv_sec=123, tv_nsec=0},  <unfinished ...>) = ?
[pid 3] nanosleep({tv_sec=123, tv_nsec=0},  <unfinished ...>
[pid 4] exit_group(1)                   = ?
[pid 3] <... nanosleep resumed> <unfinished ...>) = ?
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestSignalInfo(t *testing.T) {
	for _, c := range []struct {
		si   SignalInfo
		want string
	}{
		{SignalInfo{Signo: int32(unix.SIGTERM), PID: 12, UID: 1000},
			"{si_signo=SIGTERM, si_code=SI_USER, si_pid=12, si_uid=1000}"},
		{SignalInfo{Signo: int32(unix.SIGABRT), Code: -6, PID: 5},
			"{si_signo=SIGABRT, si_code=SI_TKILL, si_pid=5, si_uid=0}"},
		{SignalInfo{Signo: int32(unix.SIGCHLD), Code: 1, PID: 7, Status: 3, Utime: 1},
			"{si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=7, si_uid=0, si_status=3, si_utime=1, si_stime=0}"},
		{SignalInfo{Signo: int32(unix.SIGCHLD), Code: 2, PID: 7, Status: 9},
			"{si_signo=SIGCHLD, si_code=CLD_KILLED, si_pid=7, si_uid=0, si_status=SIGKILL, si_utime=0, si_stime=0}"},
		{SignalInfo{Signo: int32(unix.SIGSEGV), Code: 0x80},
			"{si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL}"},
		{SignalInfo{Signo: int32(unix.SIGBUS), Code: 2, Addr: 0x7000},
			"{si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x7000}"},
		{SignalInfo{Signo: 34, Code: -1, PID: 1, Value: 42},
			"{si_signo=SIGRT_2, si_code=SI_QUEUE, si_pid=1, si_uid=0, si_int=42, si_ptr=0x2a}"},
		{SignalInfo{Signo: int32(unix.SIGALRM), Code: -2, TimerID: 1},
			"{si_signo=SIGALRM, si_code=SI_TIMER, si_timerid=0x1, si_overrun=0}"},
	} {
		if got := formatSigInfo(c.si); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}

func TestRestartSyscall(t *testing.T) {
	var out strings.Builder
	tr := New(&out)
	mem := newMem().putU64s(0x1000, 5, 0)
	ns := nr(t, "clock_nanosleep")
	a := args(unix.CLOCK_REALTIME, 0, 0x1000, 0x2000)
	tr.Enter(1, ns, a, mem)
	tr.Exit(1, ns, a, 0, unix.Errno(516), mem)
	tr.Signal(1, SignalInfo{Signo: int32(unix.SIGALRM), PID: 1})
	rs := nr(t, "restart_syscall")
	tr.Enter(1, rs, args(), mem)
	tr.Exit(1, rs, args(), 0, nil, mem)
	tr.Enter(1, rs, args(), mem)
	tr.Exit(1, rs, args(), 0, unix.EINTR, mem)
	want := aligned("[pid 1] clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=5, tv_nsec=0}, 0x2000) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)") +
		"[pid 1] --- SIGALRM {si_signo=SIGALRM, si_code=SI_USER, si_pid=1, si_uid=0} ---\n" +
		aligned("[pid 1] restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0") +
		aligned("[pid 1] restart_syscall() = -1 EINTR (Interrupted system call)")
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestExitWithoutEntry(t *testing.T) {
	var out strings.Builder
	tr := New(&out)
	mem := newMem()
	tr.Enter(1, nr(t, "getpid"), args(), mem)
	// The kernel reports the exit of a different call than it entered
	// (tracing switched on mid-call): the open line is abandoned and the
	// call printed whole, aligned on its own.
	tr.Exit(1, nr(t, "close"), args(3), 0, nil, mem)
	want := "[pid 1] getpid( <unfinished ...>\n" + aligned("[pid 1] close(3) = 0")
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestStringSize(t *testing.T) {
	for _, other := range []bool{false, true} {
		mem := newMem().putStr(0x1000, strings.Repeat("x", 32)).putStr(0x2000, strings.Repeat("y", 33)).
			put(0x3000, []byte(strings.Repeat("z", 40)))
		mem.other = other
		var out strings.Builder
		tr := New(&out)
		c := &call{t: tr, mem: mem}
		if got := c.str(0x1000); got != `"`+strings.Repeat("x", 32)+`"` {
			t.Errorf("other=%v: 32 bytes: %s", other, got)
		}
		if got := c.str(0x2000); got != `"`+strings.Repeat("y", 32)+`"...` {
			t.Errorf("other=%v: 33 bytes: %s", other, got)
		}
		if got := c.str(0x3000); got != `"`+strings.Repeat("z", 32)+`"...` {
			t.Errorf("other=%v: unterminated: %s", other, got)
		}
		if got := c.path(0x3000); got != "0x3000" {
			t.Errorf("other=%v: unterminated path: %s", other, got)
		}
		if got := c.str(0x9000); got != "0x9000" {
			t.Errorf("other=%v: unmapped: %s", other, got)
		}
		tr.SetStringSize(4)
		if got := c.str(0x2000); got != `"yyyy"...` {
			t.Errorf("other=%v: -s 4: %s", other, got)
		}
	}
}

func TestSigsetNames(t *testing.T) {
	for _, c := range []struct {
		set  uint64
		want string
	}{
		{0, "[]"},
		{1<<1 | 1<<14, "[INT TERM]"},
		{1 << 63, "[RT_32]"},
		{^uint64(0), "~[]"},
	} {
		if got := sigset(c.set); got != c.want {
			t.Errorf("sigset(%#x) = %s, want %s", c.set, got, c.want)
		}
	}
}

func TestEverySpecFormats(t *testing.T) {
	// Every decoder must cope with garbage arguments and unreadable
	// memory, at entry and at exit, success or failure.
	garbage := []arch.SyscallArgs{
		{},
		args(^uintptr(0), ^uintptr(0), ^uintptr(0), ^uintptr(0), ^uintptr(0), ^uintptr(0)),
		args(0x1000, 0x2000, 0x3000, 0x4000, 0x5000, 0x6000),
	}
	mem := newMem().put(0x1000, make([]byte, 0x100)).put(0x2000, bytes.Repeat([]byte{0xff}, 0x200))
	for n := range specs {
		for _, a := range garbage {
			for _, err := range []error{nil, unix.EINVAL} {
				var out strings.Builder
				tr := New(&out)
				tr.Enter(1, uintptr(n), a, mem)
				tr.Exit(1, uintptr(n), a, 0x100, err, mem)
				if !strings.HasSuffix(out.String(), "\n") || strings.Contains(out.String(), ", )") || strings.Contains(out.String(), "(, ") {
					t.Fatalf("syscall %d: %q", n, out.String())
				}
			}
		}
	}
}
