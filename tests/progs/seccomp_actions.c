/* seccomp filter actions: ERRNO, TRAP (SIGSYS and its siginfo), TRACE
 * without a tracer, LOG, ALLOW, KILL_PROCESS, KILL_THREAD, unknown
 * actions, the precedence of several filters, filters on arguments, and
 * strict mode. Each case runs in its own child. */
#include "seccomp_common.h"
#include <sched.h>
#include <signal.h>
#include <ucontext.h>

static volatile int trapped;
static siginfo_t got;
static long got_rax, got_rip_match;

static void on_sys(int sig, siginfo_t *si, void *uc)
{
	ucontext_t *u = uc;
	(void)sig;
	got = *si;
	got_rax = u->uc_mcontext.gregs[REG_RAX];
	got_rip_match = (uint64_t)u->uc_mcontext.gregs[REG_RIP] == (uint64_t)si->si_call_addr;
	trapped++;
}

static void errno_cases(void)
{
	report("install errno(7) getppid", install_one(SYS_getppid, SECCOMP_RET_ERRNO | 7, 0));
	report("getppid", syscall(SYS_getppid));
	report("install errno(0) getuid", install_one(SYS_getuid, SECCOMP_RET_ERRNO | 0, 0));
	errno = 0;
	report("getuid", syscall(SYS_getuid));
	report("install errno(5000) getgid", install_one(SYS_getgid, SECCOMP_RET_ERRNO | 5000, 0));
	errno = 0;
	long r = syscall(SYS_getgid);
	printf("getgid = %ld errno %d\n", r, errno);
	report("install trace getegid", install_one(SYS_getegid, SECCOMP_RET_TRACE | 3, 0));
	report("getegid", syscall(SYS_getegid));
	report("install log geteuid", install_one(SYS_geteuid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG));
	printf("geteuid ok: %d\n", syscall(SYS_geteuid) == geteuid());
	/* A later ALLOW does not override an earlier ERRNO. */
	report("install allow all", install_one(SYS_getppid, SECCOMP_RET_ALLOW, 0));
	report("getppid", syscall(SYS_getppid));
	/* ERRNO(9) beats TRAP? No: TRAP (0x30000) is more severe. */
	report("install errno(9) getpgrp", install_one(SYS_getpgrp, SECCOMP_RET_ERRNO | 9, 0));
	report("install errno(11) getpgrp", install_one(SYS_getpgrp, SECCOMP_RET_ERRNO | 11, 0));
	report("getpgrp", syscall(SYS_getpgrp));
	status("errno");
	report("prctl get", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	report("strict after filter", sc(SECCOMP_SET_MODE_STRICT, 0, NULL));
}

static void args_cases(void)
{
	/* kill(0, 0) is refused with EPERM when arg 1 is 0 and the arch is
	 * x86-64; dup with the low word of arg 0 above 100 gets EBADF's
	 * value as ERRNO; the instruction pointer is not zero. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARCH_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_kill, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_OFF(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 9),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_OFF(0)),
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 5),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 77),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getsid, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JEQ | BPF_JMP | BPF_K, 0, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 33),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	/* Arithmetic: (nr * 3 + 1) ^ 5, stored and reloaded, decides
	 * getpid's fate. */
	struct sock_filter g[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 5),
		BPF_STMT(BPF_ST, 4),
		BPF_STMT(BPF_LDX | BPF_MEM, 4),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_LDX | BPF_IMM, 2),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 1),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (((SYS_getpid * 3 + 1) ^ 5) / 2) << 1, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 42),
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpgid, 0, 2),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	report("install args", install(0, f, sizeof f / sizeof f[0]));
	report("kill(0,0)", syscall(SYS_kill, 0, 0));
	report("kill(0,SIGCONT)", syscall(SYS_kill, 0, SIGCONT));
	report("dup(1)", syscall(SYS_dup, 1) >= 0);
	report("dup(1000)", syscall(SYS_dup, 1000));
	report("dup(1<<32|1000)", syscall(SYS_dup, (1L << 32) | 1000));
	report("getsid", syscall(SYS_getsid, 0) > 0);
	report("install arith", install(0, g, sizeof g / sizeof g[0]));
	report("getpid", syscall(SYS_getpid));
	report("getpgid (X=0 division ends the filter with 0: kill)", 0);
	pid_t pid = fork();
	if (pid == 0) {
		syscall(SYS_getpgid, 0);
		_exit(0);
	}
	waitdesc("getpgid child", pid);
}

static void trap_cases(void)
{
	struct sigaction sa = { 0 };
	sa.sa_sigaction = on_sys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	report("install trap getppid", install_one(SYS_getppid, SECCOMP_RET_TRAP | 0x1234, 0));
	long r = syscall(SYS_getppid, 11, 22);
	printf("getppid returned %ld trapped %d\n", r, trapped);
	printf("signo %d code %d errno %#x syscall %d arch %#x rax %ld rip==call_addr %ld\n", got.si_signo,
	       got.si_code, got.si_errno, got.si_syscall, got.si_arch, got_rax, got_rip_match);
	fflush(stdout);
	/* A blocked SIGSYS is forced through: the default action kills. */
	pid_t pid = fork();
	if (pid == 0) {
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGSYS);
		sigprocmask(SIG_BLOCK, &s, NULL);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("trap with SIGSYS blocked", pid);
	pid = fork();
	if (pid == 0) {
		signal(SIGSYS, SIG_IGN);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("trap with SIGSYS ignored", pid);
}

/* A raw thread (libc's join may wait for the thread's own exit path,
 * which a killed thread never takes): its id word is cleared and woken
 * by the kernel when it ends. */
static volatile int thread_tid;
static char thread_stack[64 * 1024] __attribute__((aligned(16)));

static int thread_getppid(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	return 1;
}

static void kill_cases(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		install_one(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("kill_process", pid);
	pid = fork();
	if (pid == 0) {
		install_one(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("kill_thread single", pid);
	pid = fork();
	if (pid == 0) {
		install_one(SYS_getppid, 0x00010000u, 0);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("unknown action", pid);
	pid = fork();
	if (pid == 0) {
		/* KILL_THREAD in one thread of several: the others go on. */
		install_one(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
		int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
			    CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
		if (clone(thread_getppid, thread_stack + sizeof thread_stack, flags, NULL, &thread_tid, NULL,
			  &thread_tid) < 0)
			_exit(9);
		int t;
		while ((t = thread_tid) != 0)
			syscall(SYS_futex, &thread_tid, 0 /* FUTEX_WAIT */, t, NULL);
		printf("after the thread died: the process goes on\n");
		fflush(stdout);
		_exit(3);
	}
	waitdesc("kill_thread of a thread", pid);
	/* KILL_PROCESS beats ERRNO whatever the order. */
	pid = fork();
	if (pid == 0) {
		install_one(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0);
		install_one(SYS_getppid, SECCOMP_RET_ERRNO | 1, 0);
		syscall(SYS_getppid);
		_exit(0);
	}
	waitdesc("kill_process over errno", pid);
}

static void strict_cases(void)
{
	static const char msg[] = "strict: write works\n";
	pid_t pid = fork();
	if (pid == 0) {
		if (sc(SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
			_exit(9);
		syscall(SYS_write, 1, msg, sizeof msg - 1);
		syscall(SYS_exit, 4);
	}
	waitdesc("strict exit", pid);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 12345, 0, 0) != 0)
			_exit(9);
		syscall(SYS_getpid);
		syscall(SYS_exit, 4);
	}
	waitdesc("strict getpid", pid);
	pid = fork();
	if (pid == 0) {
		if (sc(SECCOMP_SET_MODE_STRICT, 0, NULL) != 0)
			_exit(9);
		syscall(SYS_exit_group, 5);
	}
	waitdesc("strict exit_group", pid);
}

static void run(const char *name, void (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	waitdesc(name, pid);
}

int main(void)
{
	unprivileged_setup();
	run("errno", errno_cases);
	run("args", args_cases);
	run("trap", trap_cases);
	run("kill", kill_cases);
	run("strict", strict_cases);
	status("parent");
	return 0;
}
