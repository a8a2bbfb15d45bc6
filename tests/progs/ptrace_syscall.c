/* ptrace of system calls and instructions: PTRACE_SYSCALL stops with
 * PTRACE_O_TRACESYSGOOD, PTRACE_GET_SYSCALL_INFO and GETEVENTMSG at them,
 * a tracer changing (orig_rax) and cancelling (-1) a call; a SYSEMU loop
 * emulating calls; SINGLESTEP and SYSEMU_SINGLESTEP over known
 * instructions (breakpoint with int3); GETFPREGS/SETFPREGS and
 * GETREGSET/SETREGSET; PEEKSIGINFO, GET/SETSIGMASK and SETSIGINFO. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>


/* The kernel's struct ptrace_syscall_info and ptrace_peeksiginfo_args
 * (glibc and musl name them differently). */
struct sc_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t instruction_pointer;
	uint64_t stack_pointer;
	union {
		struct {
			uint64_t nr;
			uint64_t args[6];
		} entry;
		struct {
			int64_t rval;
			uint8_t is_error;
		} exit;
	};
};
struct peek_args {
	uint64_t off;
	uint32_t flags;
	int32_t nr;
};
#ifndef PTRACE_PEEKSIGINFO_SHARED
#define PTRACE_PEEKSIGINFO_SHARED 1
#endif
#ifndef PTRACE_SYSCALL_INFO_ENTRY
#define PTRACE_SYSCALL_INFO_ENTRY 1
#endif

long step_r1, step_r2, fp_r;
void stepper(void);
void fpper(void);
__asm__(".text\n"
	".globl stepper\n"
	"stepper:\n"
	"	int3\n"
	"	nop\n"
	"	nop\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	mov %rax, step_r1(%rip)\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	mov %rax, step_r2(%rip)\n"
	"	ret\n"
	".globl fpper\n"
	"fpper:\n"
	"	movabs $0x1122334455667788, %rax\n"
	"	movq %rax, %xmm0\n"
	"	int3\n"
	"	movq %xmm1, %rax\n"
	"	mov %rax, fp_r(%rip)\n"
	"	ret\n");

static volatile int usr2_value = -1;
static void on_usr2(int s, siginfo_t *si, void *uc) {
	(void)s; (void)uc;
	usr2_value = si->si_value.sival_int;
}

static int child(void) {
	int bad = 0;
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	raise(SIGSTOP);
	syscall(SYS_gettid);
	if (syscall(SYS_getppid) != getpid()) bad |= 1;
	if (syscall(SYS_getuid) != 1234) bad |= 2;
	for (int i = 1; i <= 3; i++)
		if (syscall(10000, i) != 100 + i) bad |= 4;
	stepper();
	if (step_r1 != getpid()) bad |= 8;
	if (step_r2 != 555) bad |= 16;
	fpper();
	if (fp_r != (long)0xdeadbeefcafef00dL) bad |= 32;

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	union sigval v;
	v.sival_int = 1;
	sigqueue(getpid(), SIGRTMIN, v);
	v.sival_int = 2;
	sigqueue(getpid(), SIGRTMIN, v);
	__asm__ volatile("int3");
	sigprocmask(SIG_BLOCK, NULL, &set);
	if (!sigismember(&set, SIGUSR2)) bad |= 64;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr2;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR2, &sa, NULL);
	v.sival_int = 5;
	sigqueue(getpid(), SIGUSR2, v);
	if (usr2_value != 77) bad |= 128;
	return bad;
}

static int waitstop(pid_t c) {
	int st;
	if (waitpid(c, &st, 0) != c) { perror("waitpid"); exit(1); }
	if (!WIFSTOPPED(st)) {
		printf("not stopped: %#x\n", st);
		exit(1);
	}
	return st;
}

static void peekuser_set(pid_t c, size_t off, long v) {
	if (ptrace(PTRACE_POKEUSER, c, off, v) < 0)
		printf("pokeuser %zu: %s\n", off, strerror(errno));
}

static struct sc_info info(pid_t c) {
	struct sc_info si;
	memset(&si, 0, sizeof si);
	long n = ptrace(PTRACE_GET_SYSCALL_INFO, c, sizeof si, &si);
	if (n < 0)
		printf("get_syscall_info: %s\n", strerror(errno));
	return si;
}

/* syscall_until runs c with PTRACE_SYSCALL to the entry of nr. */
static void syscall_until(pid_t c, long nr) {
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, c, 0, 0) < 0) { perror("syscall"); exit(1); }
		int st = waitstop(c);
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			siginfo_t x;
			ptrace(PTRACE_GETSIGINFO, c, 0, &x);
			printf("unexpected stop %#x code %d\n", st, x.si_code);
			exit(1);
		}
		struct sc_info si = info(c);
		if (si.op == PTRACE_SYSCALL_INFO_ENTRY && (long)si.entry.nr == nr)
			return;
	}
}

static void syscalls(pid_t c) {
	int st = waitstop(c);
	printf("first stop sig %d\n", WSTOPSIG(st));
	/* Without TRACESYSGOOD a syscall stop is a plain SIGTRAP and
	 * GET_SYSCALL_INFO cannot tell it. */
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	st = waitstop(c);
	struct sc_info si = info(c);
	printf("plain syscall stop %#x, info op %d\n", st, si.op);
	if (ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESYSGOOD) < 0)
		printf("setoptions: %s\n", strerror(errno));
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	st = waitstop(c);
	si = info(c);
	printf("next syscall stop %#x, info op %d\n", st, si.op);

	syscall_until(c, SYS_getppid);
	si = info(c);
	printf("getppid entry: op %d arch %#x nr %lld\n", si.op, si.arch, (long long)si.entry.nr);
	unsigned long m = 0;
	ptrace(PTRACE_GETEVENTMSG, c, 0, &m);
	printf("event message at entry %lu\n", m);
	long full = ptrace(PTRACE_GET_SYSCALL_INFO, c, 0, &si);
	printf("entry info size %ld\n", full);
	peekuser_set(c, offsetof(struct user_regs_struct, orig_rax), SYS_getpid);
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	st = waitstop(c);
	si = info(c);
	ptrace(PTRACE_GETEVENTMSG, c, 0, &m);
	printf("exit stop %#x op %d is_error %d rval is pid %d message %lu\n", st, si.op,
	       si.exit.is_error, si.exit.rval == c, m);
	printf("exit info size %ld\n", ptrace(PTRACE_GET_SYSCALL_INFO, c, 0, &si));

	syscall_until(c, SYS_getuid);
	peekuser_set(c, offsetof(struct user_regs_struct, orig_rax), -1);
	peekuser_set(c, offsetof(struct user_regs_struct, rax), 1234);
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	waitstop(c);
	si = info(c);
	printf("cancelled call: op %d rval %lld\n", si.op, (long long)si.exit.rval);

	/* A SYSEMU loop: the tracer answers three calls the kernel does not
	 * know. */
	for (int i = 0; i < 3; i++) {
		if (ptrace(PTRACE_SYSEMU, c, 0, 0) < 0) { perror("sysemu"); exit(1); }
		st = waitstop(c);
		si = info(c);
		printf("sysemu stop %#x op %d nr %lld arg %lld\n", st, si.op, (long long)si.entry.nr,
		       (long long)si.entry.args[0]);
		peekuser_set(c, offsetof(struct user_regs_struct, rax), 100 + si.entry.args[0]);
	}
	ptrace(PTRACE_CONT, c, 0, 0);
}

static void steps(pid_t c) {
	int st = waitstop(c);
	siginfo_t si;
	ptrace(PTRACE_GETSIGINFO, c, 0, &si);
	long base = (long)stepper;
	long rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), 0);
	printf("breakpoint sig %d code %d at +%ld\n", WSTOPSIG(st), si.si_code, rip - base);
	for (int i = 0; i < 4; i++) {
		ptrace(PTRACE_SINGLESTEP, c, 0, 0);
		st = waitstop(c);
		ptrace(PTRACE_GETSIGINFO, c, 0, &si);
		rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), 0);
		printf("step sig %d code %d at +%ld\n", WSTOPSIG(st), si.si_code, rip - base);
	}
	for (int i = 0; i < 3; i++) {
		ptrace(PTRACE_SYSEMU_SINGLESTEP, c, 0, 0);
		st = waitstop(c);
		rip = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, rip), 0);
		printf("sysemu step stop %#x at +%ld\n", st, rip - base);
	}
	peekuser_set(c, offsetof(struct user_regs_struct, rax), 555);
	ptrace(PTRACE_CONT, c, 0, 0);
}

static void fp(pid_t c) {
	int st = waitstop(c);
	printf("fp breakpoint sig %d\n", WSTOPSIG(st));
	struct user_fpregs_struct fpr;
	if (ptrace(PTRACE_GETFPREGS, c, 0, &fpr) < 0)
		printf("getfpregs: %s\n", strerror(errno));
	uint64_t x0;
	memcpy(&x0, (char *)fpr.xmm_space, 8);
	printf("xmm0 %#llx mxcsr %#x\n", (unsigned long long)x0, fpr.mxcsr);

	struct user_fpregs_struct fpr2;
	struct iovec iov = {&fpr2, sizeof fpr2};
	if (ptrace(PTRACE_GETREGSET, c, NT_PRFPREG, &iov) < 0)
		printf("getregset prfpreg: %s\n", strerror(errno));
	memcpy(&x0, (char *)fpr2.xmm_space, 8);
	printf("prfpreg len %zu xmm0 %#llx\n", iov.iov_len, (unsigned long long)x0);

	static char xs[16384];
	iov.iov_base = xs;
	iov.iov_len = sizeof xs;
	if (ptrace(PTRACE_GETREGSET, c, NT_X86_XSTATE, &iov) < 0)
		printf("getregset xstate: %s\n", strerror(errno));
	memcpy(&x0, xs + 160, 8);
	printf("xstate len is a multiple of 64 %d, above 576 %d, xmm0 %#llx\n",
	       iov.iov_len % 64 == 0, iov.iov_len > 576, (unsigned long long)x0);

	struct user_regs_struct regs;
	iov.iov_base = &regs;
	iov.iov_len = sizeof regs;
	ptrace(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov);
	printf("prstatus len %zu rip is past int3 %d\n", iov.iov_len,
	       regs.rip == (unsigned long long)fpper + 16);
	iov.iov_len = 100;
	errno = 0;
	ptrace(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov);
	printf("prstatus len 100: %s\n", strerror(errno));
	iov.iov_len = 104;
	ptrace(PTRACE_GETREGSET, c, NT_PRSTATUS, &iov);
	printf("prstatus len 104 -> %zu\n", iov.iov_len);
	errno = 0;
	iov.iov_len = sizeof regs;
	ptrace(PTRACE_GETREGSET, c, 0x999, &iov);
	printf("unknown regset: %s\n", strerror(errno));
	iov.iov_len = sizeof regs;
	printf("setregset prstatus: %ld\n", ptrace(PTRACE_SETREGSET, c, NT_PRSTATUS, &iov));

	uint64_t x1 = 0xdeadbeefcafef00dULL;
	memcpy((char *)fpr.xmm_space + 16, &x1, 8);
	fpr.mxcsr |= 0x80000000u;
	errno = 0;
	ptrace(PTRACE_SETFPREGS, c, 0, &fpr);
	printf("setfpregs reserved mxcsr: %s\n", strerror(errno));
	fpr.mxcsr &= 0xffff;
	if (ptrace(PTRACE_SETFPREGS, c, 0, &fpr) < 0)
		printf("setfpregs: %s\n", strerror(errno));
	ptrace(PTRACE_CONT, c, 0, 0);
}

static void sigs(pid_t c) {
	int st = waitstop(c);
	printf("sig breakpoint sig %d\n", WSTOPSIG(st));
	siginfo_t si[4];
	struct peek_args a = {0, 0, 4};
	long n = ptrace(PTRACE_PEEKSIGINFO, c, &a, si);
	printf("thread queue: %ld", n);
	for (long i = 0; i < n; i++)
		printf(" [%d code %d]", si[i].si_signo, si[i].si_code);
	printf("\n");
	a.flags = PTRACE_PEEKSIGINFO_SHARED;
	n = ptrace(PTRACE_PEEKSIGINFO, c, &a, si);
	printf("process queue: %ld", n);
	for (long i = 0; i < n; i++)
		printf(" [%d is rtmin %d value %d]", si[i].si_signo, si[i].si_signo == SIGRTMIN,
		       si[i].si_value.sival_int);
	printf("\n");
	a.off = 1;
	n = ptrace(PTRACE_PEEKSIGINFO, c, &a, si);
	printf("process queue from 1: %ld value %d\n", n, n > 0 ? si[0].si_value.sival_int : -1);
	a.flags = 2;
	errno = 0;
	ptrace(PTRACE_PEEKSIGINFO, c, &a, si);
	printf("peeksiginfo bad flags: %s\n", strerror(errno));

	uint64_t mask = 0;
	ptrace(PTRACE_GETSIGMASK, c, 8, &mask);
	printf("mask has usr1 %d rtmin %d\n", !!(mask & (1ULL << (SIGUSR1 - 1))),
	       !!(mask & (1ULL << (SIGRTMIN - 1))));
	errno = 0;
	ptrace(PTRACE_GETSIGMASK, c, 4, &mask);
	printf("getsigmask size 4: %s\n", strerror(errno));
	mask |= 1ULL << (SIGUSR2 - 1);
	ptrace(PTRACE_SETSIGMASK, c, 8, &mask);
	ptrace(PTRACE_CONT, c, 0, 0);

	st = waitstop(c);
	siginfo_t one;
	ptrace(PTRACE_GETSIGINFO, c, 0, &one);
	printf("usr2 stop sig %d value %d\n", WSTOPSIG(st), one.si_value.sival_int);
	one.si_value.sival_int = 77;
	printf("setsiginfo: %ld\n", ptrace(PTRACE_SETSIGINFO, c, 0, &one));
	ptrace(PTRACE_CONT, c, 0, SIGUSR2);
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t c = fork();
	if (c == 0)
		_exit(child());
	syscalls(c);
	steps(c);
	fp(c);
	sigs(c);
	int st;
	waitpid(c, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	return 0;
}
