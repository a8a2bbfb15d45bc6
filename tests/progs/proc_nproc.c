/* A fork bomb bounded by RLIMIT_NPROC gets EAGAIN: the child drops to an
 * unprivileged uid, sets a small limit and forks until fork fails. Every
 * forked process only sleeps and exits; none forks again. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		setgid(65534);
		setuid(65534);
		struct rlimit rl = {8, 8};
		setrlimit(RLIMIT_NPROC, &rl);
		pid_t kids[64];
		int n = 0, err = 0;
		while (n < 64) {
			pid_t k = fork();
			if (k == 0) {
				pause();
				_exit(0);
			}
			if (k < 0) {
				err = errno;
				break;
			}
			kids[n++] = k;
		}
		printf("fork failed with %s, bounded %d\n", err == EAGAIN ? "EAGAIN" : "something else", n < 8);
		for (int i = 0; i < n; i++) kill(kids[i], SIGKILL);
		for (int i = 0; i < n; i++) waitpid(kids[i], NULL, 0);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exited %d\n", WEXITSTATUS(st));
	return 0;
}
