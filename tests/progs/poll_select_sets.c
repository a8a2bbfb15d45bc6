/* select and pselect6 wait for the sets an fd is in: an fd that is
 * writable but not readable (an eventfd at zero, the slave of a pseudo
 * terminal, a terminal) put in the read set only does not end the wait. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long elapsed_ms(struct timespec *t0) {
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void) {
	int efd = eventfd(0, 0);
	if (efd < 0) {
		perror("eventfd");
		return 1;
	}
	fd_set rd, wr;
	struct timespec t0;

	/* read set only, 100 ms: times out after waiting */
	FD_ZERO(&rd);
	FD_SET(efd, &rd);
	struct timeval tv = {0, 100000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int ret = select(efd + 1, &rd, NULL, NULL, &tv);
	long ms = elapsed_ms(&t0);
	printf("select read-only on writable eventfd: %d waited>=90 %d set %d\n", ret, ms >= 90, FD_ISSET(efd, &rd));

	/* pselect6 the same way */
	FD_ZERO(&rd);
	FD_SET(efd, &rd);
	struct timespec ts = {0, 100000000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = pselect(efd + 1, &rd, NULL, NULL, &ts, NULL);
	ms = elapsed_ms(&t0);
	printf("pselect read-only on writable eventfd: %d waited>=90 %d\n", ret, ms >= 90);

	/* both sets: writable counts once */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(efd, &rd);
	FD_SET(efd, &wr);
	ret = select(efd + 1, &rd, &wr, NULL, NULL);
	printf("select read+write: %d read %d write %d\n", ret, FD_ISSET(efd, &rd), FD_ISSET(efd, &wr));

	/* no timeout, read set: waits until a child makes it readable */
	int p[2];
	if (pipe(p) < 0) {
		perror("pipe");
		return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		/* wait for the parent to be about to select */
		if (read(p[0], &c, 1) == 1) {
			uint64_t one = 1;
			write(efd, &one, sizeof one);
		}
		_exit(0);
	}
	write(p[1], "g", 1);
	FD_ZERO(&rd);
	FD_SET(efd, &rd);
	ret = select(efd + 1, &rd, NULL, NULL, NULL);
	printf("select read-only, no timeout: %d readable %d\n", ret, FD_ISSET(efd, &rd));
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
	return 0;
}
