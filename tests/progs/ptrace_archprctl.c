/* A tracer reads and changes a stopped tracee's fs and gs bases through
 * PEEKUSER/POKEUSER and PTRACE_ARCH_PRCTL, with the errors (EPERM for a
 * base beyond user space, EINVAL for an unknown code, EIO for a
 * misaligned USER offset); the tracee sees the new gs base. The stop is
 * reported with si_code CLD_TRAPPED by waitid and in the SIGCHLD the
 * tracer receives. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011

#ifndef PTRACE_ARCH_PRCTL
#define PTRACE_ARCH_PRCTL 30
#endif

static void rep(const char *what, long r) {
	printf("%s: %s\n", what, r < 0 ? strerror(errno) : "ok");
}

static const char *code(int c) {
	switch (c) {
	case CLD_TRAPPED: return "CLD_TRAPPED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_EXITED: return "CLD_EXITED";
	}
	return "other";
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t chld;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	int p[2];
	if (pipe(p))
		return 1;
	pid_t c = fork();
	if (c < 0)
		return 1;
	if (c == 0) {
		unsigned long fs = 0, gs = 0;
		syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
		if (write(p[1], &fs, sizeof fs) != sizeof fs)
			_exit(90);
		if (syscall(SYS_arch_prctl, ARCH_SET_GS, 0x7000UL))
			_exit(91);
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(92);
		raise(SIGSTOP);
		syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
		_exit(gs == 0x9000 ? 0 : 93);
	}
	unsigned long fs;
	if (read(p[0], &fs, sizeof fs) != sizeof fs)
		return 1;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	rep("waitid", waitid(P_PID, c, &si, WSTOPPED | WEXITED));
	printf("waitid: %s status %d\n", code(si.si_code), si.si_status);
	struct timespec ts = {120, 0};
	memset(&si, 0, sizeof si);
	int s = sigtimedwait(&chld, &si, &ts);
	printf("SIGCHLD: %s %s status %d\n", s == SIGCHLD ? "yes" : "no", code(si.si_code), si.si_status);

	errno = 0;
	long v = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, fs_base), 0);
	printf("PEEKUSER fs_base is the child's: %s\n", errno == 0 && (unsigned long)v == fs ? "yes" : "no");
	errno = 0;
	v = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, gs_base), 0);
	printf("PEEKUSER gs_base: %#lx %s\n", v, errno ? strerror(errno) : "");
	unsigned long got = 0;
	rep("ARCH_GET_FS", ptrace(PTRACE_ARCH_PRCTL, c, &got, ARCH_GET_FS));
	printf("ARCH_GET_FS is the child's: %s\n", got == fs ? "yes" : "no");
	rep("ARCH_SET_GS", ptrace(PTRACE_ARCH_PRCTL, c, 0x8000UL, ARCH_SET_GS));
	errno = 0;
	v = ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, gs_base), 0);
	printf("PEEKUSER gs_base: %#lx %s\n", v, errno ? strerror(errno) : "");
	rep("POKEUSER gs_base", ptrace(PTRACE_POKEUSER, c, offsetof(struct user_regs_struct, gs_base), 0x9000UL));
	rep("POKEUSER gs_base beyond user space", ptrace(PTRACE_POKEUSER, c, offsetof(struct user_regs_struct, gs_base), 1UL << 47));
	rep("PEEKUSER misaligned", ptrace(PTRACE_PEEKUSER, c, offsetof(struct user_regs_struct, fs_base) + 1, 0));
	got = 0;
	rep("ARCH_GET_GS", ptrace(PTRACE_ARCH_PRCTL, c, &got, ARCH_GET_GS));
	printf("gs base %#lx\n", got);
	rep("ARCH_SET_FS beyond user space", ptrace(PTRACE_ARCH_PRCTL, c, 1UL << 47, ARCH_SET_FS));
	rep("ARCH_GET_CPUID", ptrace(PTRACE_ARCH_PRCTL, c, 0, ARCH_GET_CPUID));
	rep("unknown code", ptrace(PTRACE_ARCH_PRCTL, c, 0, 0x9999));
	rep("ARCH_SET_FS back", ptrace(PTRACE_ARCH_PRCTL, c, fs, ARCH_SET_FS));
	rep("CONT", ptrace(PTRACE_CONT, c, 0, 0));
	memset(&si, 0, sizeof si);
	rep("waitid", waitid(P_PID, c, &si, WEXITED));
	printf("waitid: %s status %d\n", code(si.si_code), si.si_status);
	return 0;
}
