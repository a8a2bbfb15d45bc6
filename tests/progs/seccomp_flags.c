/* seccomp filter flags and inheritance: TSYNC (success, the id of a
 * thread that cannot follow, TSYNC_ESRCH), no_new_privs carried by TSYNC,
 * LOG and SPEC_ALLOW, the length limit of a filter chain, and filters
 * kept over fork and execve. */
#include "seccomp_common.h"
#include <pthread.h>

static int go_pipe[2], done_pipe[2];

/* A thread that waits for a byte, then reports getppid and its
 * no_new_privs flag. */
static void *waiter(void *arg)
{
	char c;
	(void)arg;
	if (read(go_pipe[0], &c, 1) != 1)
		return NULL;
	if (c == 'f') {
		/* Give this thread a filter of its own first. */
		install_one(SYS_getpgrp, SECCOMP_RET_ERRNO | 3, 0);
		write(done_pipe[1], "x", 1);
		if (read(go_pipe[0], &c, 1) != 1)
			return NULL;
	}
	long r = syscall(SYS_getppid);
	int e = errno;
	printf("thread: getppid %s, nnp %d\n", r < 0 ? strerror(e) : "ok", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	fflush(stdout);
	write(done_pipe[1], "x", 1);
	return NULL;
}

static void tsync_case(void)
{
	pthread_t th;
	char c;
	pipe(go_pipe);
	pipe(done_pipe);
	pthread_create(&th, NULL, waiter, NULL);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	report("tsync", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC));
	write(go_pipe[1], "g", 1);
	read(done_pipe[0], &c, 1);
	pthread_join(th, NULL);
	status("tsync");
}

static void tsync_fail_case(void)
{
	pthread_t th;
	char c;
	pipe(go_pipe);
	pipe(done_pipe);
	pthread_create(&th, NULL, waiter, NULL);
	write(go_pipe[1], "f", 1);
	read(done_pipe[0], &c, 1);
	/* The thread's own filter is not an ancestor of ours: TSYNC fails
	 * with that thread's id. */
	long r = install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, SECCOMP_FILTER_FLAG_TSYNC);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", r);
	printf("tsync with a diverged thread: %s\n",
	       r > 0 && r != getpid() && access(path, F_OK) == 0 ? "returns the thread's id"
	       : r == 0					   ? "0"
								   : strerror(errno));
	report("tsync_esrch", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM,
					  SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH));
	report("no tsync", install_one(SYS_getppid, SECCOMP_RET_ERRNO | EPERM, 0));
	write(go_pipe[1], "g", 1);
	read(done_pipe[0], &c, 1);
	pthread_join(th, NULL);
	status("tsync_fail");
}

static void flags_case(void)
{
	report("log", install_one(SYS_getppid, SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG));
	report("spec_allow", install_one(SYS_getppid, SECCOMP_RET_ALLOW, SECCOMP_FILTER_FLAG_SPEC_ALLOW));
	report("tsync+log", install_one(SYS_getppid, SECCOMP_RET_ALLOW, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG));
	report("getppid", syscall(SYS_getppid) > 0);
	status("flags");
}

static void limit_case(void)
{
	static struct sock_filter big[4096];
	for (int i = 0; i < 4096; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	for (int i = 1; i <= 8; i++) {
		char what[32];
		snprintf(what, sizeof what, "filter %d of 4096", i);
		report(what, install(0, big, 4096));
	}
	report("small one more", install(0, big, 1));
	status("limit");
}

/* The limit counts Linux's translation of each filter: jumps of several
 * shapes cost one, two or three instructions there. */
static void limit_jumps_case(void)
{
	static struct sock_filter f[4096];
	for (int i = 0; i < 4092; i += 4) {
		f[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 1, 0);
		f[i + 1] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 5, 1, 1);
		f[i + 2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1);
		f[i + 3] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 7, 0, 1);
	}
	for (int i = 4092; i < 4096; i++)
		f[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	int n = 0;
	while (n < 100 && install(0, f, 4096) == 0)
		n++;
	printf("jump filters before ENOMEM: %d (%s)\n", n, strerror(errno));
	fflush(stdout);
	struct sock_filter d[] = { BPF_STMT(BPF_LDX | BPF_IMM, 1), BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
				   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
	while (n < 10000 && install(0, d, 3) == 0)
		n++;
	printf("then division filters: %d (%s)\n", n, strerror(errno));
}

static void inherit_case(const char *self)
{
	report("install", install_one(SYS_getppid, SECCOMP_RET_ERRNO | 21, 0));
	pid_t pid = fork();
	if (pid == 0) {
		report("forked child getppid", syscall(SYS_getppid));
		status("forked child");
		execl(self, self, "exec", (char *)NULL);
		_exit(127);
	}
	waitdesc("forked child", pid);
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

int main(int argc, char **argv)
{
	if (argc > 1) {
		report("after execve getppid", syscall(SYS_getppid));
		status("after execve");
		return 0;
	}
	unprivileged_setup();
	run("tsync", tsync_case);
	run("tsync_fail", tsync_fail_case);
	run("flags", flags_case);
	run("limit", limit_case);
	run("limit_jumps", limit_jumps_case);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		inherit_case(argv[0]);
		fflush(stdout);
		_exit(0);
	}
	waitdesc("inherit", pid);
	return 0;
}
