/* poll with a timeout, stopped and continued mid-wait (no handler runs),
 * goes on until its original deadline through restart_syscall. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static long ms_since(struct timespec a) { struct timespec b; clock_gettime(CLOCK_MONOTONIC, &b); return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000; }
int main(void) {
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int p[2]; pipe(p);
		struct pollfd f = {p[0], POLLIN, 0};
		struct timespec s; clock_gettime(CLOCK_MONOTONIC, &s);
		int r = poll(&f, 1, 500);
		long el = ms_since(s);
		_exit(r == 0 && el >= 490 && el < 700 ? 0 : 1);
	}
	struct timespec d = {0, 250 * 1000 * 1000}; nanosleep(&d, NULL);
	kill(c, SIGSTOP); int st; waitpid(c, &st, WUNTRACED); kill(c, SIGCONT); waitpid(c, &st, 0);
	printf("poll after stop/continue keeps its deadline: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
