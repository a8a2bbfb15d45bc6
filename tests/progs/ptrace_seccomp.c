/* SECCOMP_RET_TRACE: a PTRACE_EVENT_SECCOMP stop for a tracer with
 * PTRACE_O_TRACESECCOMP (message and GET_SYSCALL_INFO carry the filter's
 * data), the tracer skipping a call or changing it (checked by the
 * filters again), its order with PTRACE_SYSCALL's stops; ENOSYS without
 * such a tracer. */
#include "seccomp_common.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>

struct sc_info {
	uint8_t op;
	uint8_t pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	uint64_t nr;
	uint64_t args[6];
	uint32_t ret_data;
};

static int child(int traced_option) {
	ptrace(PTRACE_TRACEME, 0, 0, 0);
	raise(SIGSTOP);
	long parent = getppid();
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 100;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x123),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getuid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 0x45),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_gettid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | 7),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	if (install(0, f, sizeof f / sizeof f[0]) < 0)
		return 101;
	int bad = 0;
	errno = 0;
	long r = syscall(SYS_getppid);
	if (!traced_option)
		return r == -1 && errno == ENOSYS ? 0 : 1;
	if (r != 77) bad |= 1;
	if (syscall(SYS_getuid) != parent) bad |= 2;
	if (syscall(SYS_gettid) != getpid()) bad |= 4;
	return bad;
}

static int waitstop(pid_t c) {
	int st;
	if (waitpid(c, &st, 0) != c || !WIFSTOPPED(st)) {
		printf("waitpid: %#x\n", st);
		exit(1);
	}
	return st;
}

static void show(pid_t c, int st) {
	unsigned long msg = 0;
	struct sc_info si;
	memset(&si, 0, sizeof si);
	ptrace(PTRACE_GETEVENTMSG, c, 0, &msg);
	long n = ptrace(0x420e, c, sizeof si, &si);
	printf("stop %#x event %d message %#lx info size %ld op %d nr %llu data %#x\n", st, st >> 16, msg,
	       n, si.op, si.op == 2 ? 0ULL : (unsigned long long)si.nr, si.op == 3 ? si.ret_data : 0);
}

static void poke(pid_t c, size_t off, long v) {
	if (ptrace(PTRACE_POKEUSER, c, off, v) < 0)
		printf("pokeuser: %s\n", strerror(errno));
}

int main(void) {
	setvbuf(stdout, NULL, _IONBF, 0);
	pid_t c = fork();
	if (c == 0)
		_exit(child(1));
	waitstop(c);
	ptrace(PTRACE_SETOPTIONS, c, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD);
	ptrace(PTRACE_CONT, c, 0, 0);
	/* getppid: skipped by the tracer with a made-up result. */
	int st = waitstop(c);
	show(c, st);
	poke(c, offsetof(struct user_regs_struct, orig_rax), -1);
	poke(c, offsetof(struct user_regs_struct, rax), 77);
	ptrace(PTRACE_CONT, c, 0, 0);
	/* getuid: turned into getppid, which the filter traces, but a
	 * changed call is checked again without a second stop. */
	st = waitstop(c);
	show(c, st);
	poke(c, offsetof(struct user_regs_struct, orig_rax), SYS_getppid);
	/* gettid under PTRACE_SYSCALL: entry stop, seccomp stop, exit
	 * stop. */
	ptrace(PTRACE_SYSCALL, c, 0, 0);
	for (int i = 0; i < 5; i++) {
		st = waitstop(c);
		show(c, st);
		ptrace(i < 4 ? PTRACE_SYSCALL : PTRACE_CONT, c, 0, 0);
	}
	waitpid(c, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));

	c = fork();
	if (c == 0)
		_exit(child(0));
	waitstop(c);
	ptrace(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	printf("child without TRACESECCOMP exit %d\n", WEXITSTATUS(st));
	return 0;
}
