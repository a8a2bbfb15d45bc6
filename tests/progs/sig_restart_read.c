/* SA_RESTART versus EINTR on a blocking read of a pipe: a child signals
 * the parent while it reads an empty pipe, then writes. With SA_RESTART
 * the read restarts and returns the data; without it, EINTR.
 *
 * No sleeps: the child repeats the signal every 20 ms until it is told
 * that one arrived during the read (by the handler with SA_RESTART, by
 * the parent once the read failed without), so a slow parent only makes
 * the child signal again. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <poll.h>

static volatile sig_atomic_t got, reading;
static int ack[2];
static void handler(int s) {
	got = s;
	if (reading)
		write(ack[1], "a", 1);
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
		pipe(ack);
		pid_t parent = getpid();
		fflush(stdout);
		pid_t c = fork();
		if (c == 0) {
			close(p[0]);
			struct pollfd pf = {.fd = ack[0], .events = POLLIN};
			do
				kill(parent, SIGUSR1);
			while (poll(&pf, 1, 20) == 0);
			write(p[1], "data", 4);
			_exit(0);
		}
		close(p[1]);
		char buf[16] = {0};
		got = 0;
		errno = 0;
		reading = restart;
		ssize_t n = read(p[0], buf, sizeof buf);
		int e = errno;
		reading = 0;
		if (!restart)
			write(ack[1], "a", 1);
		printf("SA_RESTART=%d: read %zd %s got %d\n", restart, n, n < 0 ? (e == EINTR ? "EINTR" : "other") : buf, got);
		if (n < 0) {
			/* A signal the child sent before it saw the ack may
			 * interrupt this read too. */
			while ((n = read(p[0], buf, sizeof buf)) < 0 && errno == EINTR) {}
			printf("  read again %zd %s\n", n, buf);
		}
		while (waitpid(c, NULL, 0) < 0 && errno == EINTR) {}
		close(p[0]);
		close(ack[0]);
		close(ack[1]);
	}
	return 0;
}
