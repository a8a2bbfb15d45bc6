/* PR_SET_PDEATHSIG, PR_SET_NAME, E2BIG from execve, and the clone flag
 * combinations Linux refuses. No recursive forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e) {
	switch (e) {
	case EINVAL: return "EINVAL";
	case E2BIG: return "E2BIG";
	case 0: return "OK";
	}
	return "other";
}

int main(void) {
	prctl(PR_SET_NAME, "kite-test-name-too-long");
	char name[32] = {0};
	prctl(PR_GET_NAME, name);
	printf("name: %s\n", name);

	/* grandchild asks for SIGUSR1 when its parent (the middle process)
	 * dies; it reports through its exit status to us, its subreaper. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(stdout);
	pid_t mid = fork();
	if (mid == 0) {
		/* The middle process exits once the grandchild has asked for
		 * its parent-death signal (a pipe handshake, not a sleep). */
		int ready[2];
		pipe(ready);
		pid_t g = fork();
		if (g == 0) {
			sigset_t set;
			sigemptyset(&set);
			sigaddset(&set, SIGUSR1);
			sigprocmask(SIG_BLOCK, &set, NULL);
			prctl(PR_SET_PDEATHSIG, SIGUSR1);
			int sig = 0;
			prctl(PR_GET_PDEATHSIG, &sig);
			write(ready[1], "r", 1);
			struct timespec to = {30, 0};
			siginfo_t si;
			int got = sigtimedwait(&set, &si, &to);
			_exit(got == SIGUSR1 && sig == SIGUSR1 ? 42 : 1);
		}
		char c;
		read(ready[0], &c, 1);
		_exit(0);
	}
	int st, seen = 0;
	pid_t w;
	while ((w = wait(&st)) > 0)
		if (w != mid) {
			printf("grandchild got its parent-death signal: %d\n", WEXITSTATUS(st) == 42);
			seen++;
		}
	printf("reaped grandchild %d\n", seen);

	/* E2BIG: one argument longer than MAX_ARG_STRLEN (32 pages) */
	size_t big = 33 * 4096;
	char *arg = malloc(big);
	memset(arg, 'x', big - 1);
	arg[big - 1] = 0;
	errno = 0;
	execl("/bin/busybox", "busybox", "true", arg, (char *)NULL);
	printf("execve with a huge argument: %s\n", en(errno));

	/* refused clone flag combinations */
	errno = 0;
	long r = syscall(SYS_clone, CLONE_THREAD, NULL, NULL, NULL, NULL);
	printf("clone CLONE_THREAD without SIGHAND: %ld %s\n", r, en(errno));
	errno = 0;
	r = syscall(SYS_clone, CLONE_SIGHAND, NULL, NULL, NULL, NULL);
	printf("clone CLONE_SIGHAND without VM: %ld %s\n", r, en(errno));
	errno = 0;
	r = syscall(SYS_clone, CLONE_FS | CLONE_NEWNS, NULL, NULL, NULL, NULL);
	printf("clone CLONE_FS|CLONE_NEWNS: %ld %s\n", r, en(errno));
	return 0;
}
