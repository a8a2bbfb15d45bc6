/* RLIMIT_NPROC bounds the tasks of a real user: threads and unreaped
 * processes count; fork and pthread_create fail with EAGAIN at the limit;
 * root and a caller with CAP_SYS_ADMIN are not bound; a setuid to a user
 * already over the limit succeeds but the next execve fails with EAGAIN.
 * The counted user is 65528, which nothing else uses. Every forked child
 * only waits for the end of a pipe or exits; none forks again except the
 * ones that check the bypasses, once each. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define USER 65528

static int hold[2];

static void waitend(void) {
	char c;
	while (read(hold[0], &c, 1) > 0) {}
}

static void *thread(void *a) {
	waitend();
	return a;
}

static const char *en(int e) { return e == 0 ? "ok" : e == EAGAIN ? "EAGAIN" : strerror(e); }

/* forkone forks a child that exits at once and reaps it; errno or 0. */
static int forkone(void) {
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) _exit(0);
	if (p < 0) return errno;
	waitpid(p, NULL, 0);
	return 0;
}

static void setnproc(rlim_t n) {
	struct rlimit rl = {n, n};
	if (setrlimit(RLIMIT_NPROC, &rl) < 0) { perror("setrlimit"); _exit(1); }
}

static void limited(int ready) {
	setnproc(3);
	if (setgid(USER) < 0 || setuid(USER) < 0) _exit(2);
	fflush(stdout);
	pid_t z = fork();
	if (z == 0) _exit(0);
	siginfo_t si;
	waitid(P_PID, z, &si, WEXITED | WNOWAIT);
	pid_t c1 = fork();
	if (c1 == 0) {
		waitend();
		_exit(0);
	}
	printf("second child: %s\n", en(c1 < 0 ? errno : 0));
	printf("fork beside a zombie at the limit: %s\n", en(forkone()));
	waitpid(z, NULL, 0);
	pthread_t t1, t2;
	int e = pthread_create(&t1, NULL, thread, NULL);
	printf("thread below the limit: %s\n", en(e));
	printf("fork with the thread at the limit: %s\n", en(forkone()));
	printf("thread at the limit: %s\n", en(pthread_create(&t2, NULL, thread, NULL)));
	fflush(stdout);
	write(ready, "r", 1);
	waitend();
	if (e == 0) pthread_join(t1, NULL);
	if (c1 > 0) waitpid(c1, NULL, 0);
}

/* capset_eff sets the effective capabilities to CAP_SYS_ADMIN or none. */
static int capset_eff(int admin) {
	struct { uint32_t version; int pid; } h = {0x20080522, 0};
	struct { uint32_t effective, permitted, inheritable; } d[2];
	if (syscall(SYS_capget, &h, d) < 0) return -1;
	d[0].effective = admin ? 1u << 21 /* CAP_SYS_ADMIN */ : 0;
	d[1].effective = 0;
	return syscall(SYS_capset, &h, d);
}

int main(int argc, char **argv) {
	if (argc > 1 && strcmp(argv[1], "exec") == 0) _exit(7);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	int ready[2];
	if (pipe(hold) < 0 || pipe(ready) < 0) return 1;
	fflush(stdout);
	pid_t l = fork();
	if (l == 0) {
		close(hold[1]);
		close(ready[0]);
		limited(ready[1]);
		fflush(stdout);
		_exit(0);
	}
	close(ready[1]);
	char c;
	if (read(ready[0], &c, 1) != 1) {
		printf("the limited process failed\n");
		close(hold[1]);
		waitpid(l, NULL, 0);
		return 1;
	}
	/* User USER now has three tasks. */
	int st;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		setnproc(2);
		printf("setuid to a user over the limit: %s\n", en(setuid(USER) < 0 ? errno : 0));
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		printf("execve after it: %s\n", en(errno));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		setnproc(3);
		printf("setuid to a user at the limit: %s\n", en(setuid(USER) < 0 ? errno : 0));
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
		printf("execve after it: %s\n", en(errno));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	printf("execve at the limit: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		setnproc(0);
		printf("root forks under a limit of 0: %s\n", en(forkone()));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	fflush(stdout);
	p = fork();
	if (p == 0) {
		setnproc(2);
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setresuid(USER, USER, USER) < 0) _exit(2);
		printf("CAP_SYS_ADMIN: %d\n", capset_eff(1));
		printf("fork with CAP_SYS_ADMIN over the limit: %s\n", en(forkone()));
		capset_eff(0);
		printf("fork without it: %s\n", en(forkone()));
		fflush(stdout);
		_exit(0);
	}
	waitpid(p, &st, 0);
	close(hold[1]);
	waitpid(l, &st, 0);
	printf("limited process exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
