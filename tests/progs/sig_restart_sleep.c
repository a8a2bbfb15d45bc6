/* nanosleep interrupted by a signal: with a handler it fails with EINTR
 * and reports the time left; stopped and continued (no handler runs) it
 * goes on sleeping until its original deadline. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void handler(int s) { (void)s; }

static long ms_since(struct timespec a) {
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	pid_t me = getpid();
	/* The child repeats the signal every 20 ms until the sleep has
	 * ended, so one comes while it sleeps however late a loaded machine
	 * lets the parent start it. */
	int gate[2];
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(gate[1]);
		struct pollfd pf = {.fd = gate[0], .events = POLLIN};
		do
			kill(me, SIGUSR1);
		while (poll(&pf, 1, 20) == 0);
		_exit(0);
	}
	close(gate[0]);
	struct timespec req = {100, 0}, rem = {0, 0}, start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int r = nanosleep(&req, &rem);
	int e = errno;
	close(gate[1]);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR) {}
	printf("with handler: %d %s rem plausible %d\n", r, e == EINTR ? "EINTR" : "other",
	       rem.tv_sec < 100 && (rem.tv_sec > 0 || rem.tv_nsec > 0));

	/* the child stops and continues itself mid-sleep: it sleeps on */
	c = fork();
	if (c == 0) {
		struct timespec s2;
		clock_gettime(CLOCK_MONOTONIC, &s2);
		struct timespec d = {0, 300 * 1000 * 1000};
		int rr = nanosleep(&d, NULL);
		long el = ms_since(s2);
		_exit(rr == 0 && el >= 290 ? 0 : 1);
	}
	struct timespec d = {0, 50 * 1000 * 1000};
	nanosleep(&d, NULL);
	kill(c, SIGSTOP);
	int st;
	waitpid(c, &st, WUNTRACED);
	kill(c, SIGCONT);
	waitpid(c, &st, 0);
	printf("stopped and continued: slept fully %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return 0;
}
