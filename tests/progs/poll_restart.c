/* poll with a timeout, stopped and continued mid-wait (no handler runs),
 * goes on until its original deadline through restart_syscall.
 *
 * The verdict does not depend on how fast the machine is: the child
 * reports when its poll started and ended, the parent when it stopped
 * and continued it. A poll that restarted with its whole timeout would
 * end 500 ms or more after the continue; one that kept its deadline ends
 * 500 ms after it started, or at once if that passed while stopped. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

int main(void) {
	int rep[2], ready[2];
	pipe(rep);
	pipe(ready);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int p[2];
		pipe(p);
		struct pollfd f = {p[0], POLLIN, 0};
		long long t[3];
		t[0] = now_ms();
		write(ready[1], "r", 1);
		t[2] = poll(&f, 1, 500);
		t[1] = now_ms() - t[0]; /* elapsed since just before the poll */
		write(rep[1], t, sizeof t);
		_exit(0);
	}
	char b;
	read(ready[0], &b, 1);
	struct timespec d = {0, 250 * 1000 * 1000};
	nanosleep(&d, NULL);
	kill(c, SIGSTOP);
	int st;
	waitpid(c, &st, WUNTRACED);
	long long stopped = now_ms();
	kill(c, SIGCONT);
	long long cont = now_ms();
	waitpid(c, &st, 0);
	long long t[3] = {0, 0, -1};
	read(rep[0], t, sizeof t);
	long long start = t[0], elapsed = t[1], end = start + elapsed;
	int ok = t[2] == 0 && elapsed >= 490;
	/* Only a stop that came while the poll waited tells anything. */
	if (ok && stopped < start + 500)
		ok = end < cont + 490 || end < start + 500 + 100;
	printf("poll after stop/continue keeps its deadline: %d\n", ok);
	return 0;
}
