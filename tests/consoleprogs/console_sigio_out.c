// O_ASYNC on stdout when it is a pipe the test reads only after this
// program says "full" on stderr (TestConsoleSigioOut): filling the pipe
// signals nothing, and room appearing after a write found it full
// signals the owner with F_SETSIG's signal (si_code POLL_OUT, si_fd 1).
// Under kite stdout is kite's console over the host pipe.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	int sig = SIGRTMIN + 2;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (fcntl(1, F_SETOWN, getpid()) < 0 || fcntl(1, F_SETSIG, sig) < 0)
		fprintf(stderr, "fcntl: %s\n", strerror(errno));
	int fl = fcntl(1, F_GETFL);
	if (fcntl(1, F_SETFL, fl | O_ASYNC | O_NONBLOCK) < 0)
		fprintf(stderr, "F_SETFL: %s\n", strerror(errno));
	static char buf[4096];
	memset(buf, 'x', sizeof buf);
	long total = 0;
	for (;;) {
		ssize_t n = write(1, buf, sizeof buf);
		if (n < 0) {
			if (errno != EAGAIN) fprintf(stderr, "write: %s\n", strerror(errno));
			break;
		}
		total += n;
	}
	struct timespec zero = {0, 0};
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &zero);
	fprintf(stderr, "filled some: %d; signals while filling: %s\n", total > 0, r < 0 ? "none" : "some");
	fprintf(stderr, "full\n");
	r = sigwaitinfo(&set, &si);
	fprintf(stderr, "room: signal %s code %d fd %d band POLLOUT %d\n", r == sig ? "F_SETSIG's" : "other",
	        si.si_code, si.si_fd, (si.si_band & POLLOUT) != 0);
	return 0;
}
