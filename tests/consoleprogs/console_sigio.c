// O_ASYNC on stdin when it is a pipe the test writes to only after this
// program says "ready N" (TestConsoleSigio): input that was there when
// O_ASYNC was set signals nothing, input arriving later signals the
// owner with F_SETSIG's signal (si_code POLL_IN, si_fd 0), and the
// writer closing the pipe signals POLL_IN once more. Under kite stdin
// is kite's console over the host pipe.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void ready(int n) {
	printf("ready %d\n", n);
	fflush(stdout);
}

// readall reads what stdin has now and prints it.
static void readall(const char *what) {
	char buf[64];
	ssize_t n = read(0, buf, sizeof buf - 1);
	if (n < 0) {
		printf("%s: read: %s\n", what, strerror(errno));
		return;
	}
	buf[n] = 0;
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	printf("%s: read %zd \"%s\"\n", what, n, buf);
}

// more reports whether another signal of set is queued.
static void more(const char *what, sigset_t *set) {
	struct timespec zero = {0, 0};
	siginfo_t si;
	int r = sigtimedwait(set, &si, &zero);
	if (r < 0)
		printf("%s: no more signals (%s)\n", what, errno == EAGAIN ? "EAGAIN" : strerror(errno));
	else
		printf("%s: another signal %d code %d\n", what, r, si.si_code);
}

static void wait1(const char *what, sigset_t *set, int sig) {
	siginfo_t si;
	int r = sigwaitinfo(set, &si);
	if (r < 0) {
		printf("%s: sigwaitinfo: %s\n", what, strerror(errno));
		return;
	}
	printf("%s: signal %s code %d fd %d band POLLIN %d\n", what,
	       r == sig ? "F_SETSIG's" : "other", si.si_code, si.si_fd,
	       (si.si_band & POLLIN) != 0);
}

int main(void) {
	int sig = SIGRTMIN + 1;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigaddset(&set, SIGIO);
	sigprocmask(SIG_BLOCK, &set, NULL);

	ready(1); // the test writes "early"
	struct pollfd p = {.fd = 0, .events = POLLIN};
	if (poll(&p, 1, -1) != 1)
		printf("poll: %s\n", strerror(errno));
	if (fcntl(0, F_SETOWN, getpid()) < 0 || fcntl(0, F_SETSIG, sig) < 0)
		printf("fcntl: %s\n", strerror(errno));
	int fl = fcntl(0, F_GETFL);
	if (fcntl(0, F_SETFL, fl | O_ASYNC) < 0)
		printf("F_SETFL: %s\n", strerror(errno));
	printf("O_ASYNC set: %d\n", (fcntl(0, F_GETFL) & O_ASYNC) != 0);
	readall("early");

	ready(2); // the test writes "late"
	wait1("late", &set, sig);
	readall("late");
	more("late", &set);

	ready(3); // the test writes "again"
	wait1("again", &set, sig);
	readall("again");
	more("again", &set);

	ready(4); // the test closes the pipe
	wait1("close", &set, sig);
	readall("close");
	more("close", &set);

	// O_ASYNC off: nothing more is signalled.
	fcntl(0, F_SETFL, fl);
	printf("O_ASYNC cleared: %d\n", (fcntl(0, F_GETFL) & O_ASYNC) == 0);
	return 0;
}
