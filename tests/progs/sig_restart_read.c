/* SA_RESTART versus EINTR on a blocking read of a pipe: a child signals
 * the parent while it reads an empty pipe, then writes. With SA_RESTART
 * the read restarts and returns the data; without it, EINTR. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static void handler(int s) { got = s; }

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000L * 1000L};
	nanosleep(&ts, NULL);
}

int main(void) {
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = handler;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		int p[2];
		pipe(p);
		pid_t parent = getpid();
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			close(p[0]);
			sleep_ms(50);
			kill(parent, SIGUSR1);
			sleep_ms(50);
			write(p[1], "data", 4);
			_exit(0);
		}
		close(p[1]);
		char buf[16] = {0};
		got = 0;
		errno = 0;
		ssize_t n = read(p[0], buf, sizeof buf);
		int e = errno;
		printf("SA_RESTART=%d: read %zd %s got %d\n", restart, n, n < 0 ? (e == EINTR ? "EINTR" : "other") : buf, got);
		if (n < 0) {
			n = read(p[0], buf, sizeof buf);
			printf("  read again %zd %s\n", n, buf);
		}
		waitpid(c, NULL, 0);
		close(p[0]);
	}
	return 0;
}
