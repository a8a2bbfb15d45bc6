/* O_ASYNC on a pseudo-terminal: setting it names the caller as owner when
 * nobody was named (the pty is nobody's controlling terminal); a line
 * typed into the master signals the slave's owner, output written by the
 * slave signals the master's. Linux hands master writes to the line
 * discipline asynchronously, so each step waits for its signal with
 * sigtimedwait instead of assuming it is already queued. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static int slave_fd, master_fd;

static void wait_sig(const char *label, int sig) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec ten = {10, 0};
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &ten);
	if (r < 0) {
		printf("%s: no signal (%s)\n", label, strerror(errno));
		return;
	}
	if (sig == SIGIO)
		printf("%s: SIGIO code=%#x\n", label, si.si_code);
	else
		printf("%s: RTMIN code=%d band=%#lx fd=%s\n", label, si.si_code, (long)si.si_band,
		       si.si_fd == slave_fd ? "slave" : si.si_fd == master_fd ? "master" : "other");
}

static void drain(int sig) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec zero = {0, 0};
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
}

int main(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	master_fd = posix_openpt(O_RDWR | O_NOCTTY);
	if (master_fd < 0 || grantpt(master_fd) < 0 || unlockpt(master_fd) < 0)
		return 1;
	slave_fd = open(ptsname(master_fd), O_RDWR | O_NOCTTY);
	if (slave_fd < 0)
		return 2;
	struct termios tio;
	tcgetattr(slave_fd, &tio);
	tio.c_lflag &= ~ECHO;
	tcsetattr(slave_fd, TCSANOW, &tio);

	printf("slave owner before: %d\n", fcntl(slave_fd, F_GETOWN));
	fcntl(slave_fd, F_SETFL, fcntl(slave_fd, F_GETFL) | O_ASYNC);
	printf("slave owner is self: %d\n", fcntl(slave_fd, F_GETOWN) == getpid());
	fcntl(master_fd, F_SETFL, fcntl(master_fd, F_GETFL) | O_ASYNC);
	printf("master owner is self: %d\n", fcntl(master_fd, F_GETOWN) == getpid());

	write(master_fd, "hello\n", 6);
	wait_sig("line typed", SIGIO);
	char buf[64];
	printf("slave read %zd\n", read(slave_fd, buf, sizeof buf));
	drain(SIGIO);

	write(slave_fd, "out", 3);
	wait_sig("slave output", SIGIO);
	printf("master read %zd\n", read(master_fd, buf, sizeof buf));
	drain(SIGIO);

	fcntl(slave_fd, F_SETSIG, SIGRTMIN);
	write(master_fd, "second\n", 7);
	wait_sig("line typed, F_SETSIG", SIGRTMIN);
	printf("slave read %zd\n", read(slave_fd, buf, sizeof buf));
	drain(SIGRTMIN);
	drain(SIGIO);

	/* An owner named before O_ASYNC stays. */
	int s2 = open(ptsname(master_fd), O_RDWR | O_NOCTTY);
	fcntl(s2, F_SETOWN, getppid());
	fcntl(s2, F_SETFL, O_ASYNC);
	printf("named owner kept: %d\n", fcntl(s2, F_GETOWN) == getppid());
	close(s2);

	fcntl(slave_fd, F_SETFL, 0);
	fcntl(master_fd, F_SETFL, 0);
	write(master_fd, "third\n", 6);
	read(slave_fd, buf, sizeof buf);
	struct timespec zero = {0, 0};
	printf("after O_ASYNC off: %s\n", sigtimedwait(&set, NULL, &zero) > 0 ? "signal" : "none");
	return 0;
}
