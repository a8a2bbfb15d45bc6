/* ppoll and pselect6 with a signal mask that unblocks a signal only for
 * the wait: the signal interrupts the call, its handler runs before the
 * call returns with EINTR, and the old mask is back afterwards. */
#include "pipe_common.h"
#include <poll.h>
#include <sys/select.h>

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static void send_later(pid_t parent) {
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		struct timespec d = {0, 30 * 1000000};
		nanosleep(&d, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
}

int main(void) {
	int p[2];
	pipe(p);
	struct sigaction act = {0};
	act.sa_handler = on_usr1;
	sigaction(SIGUSR1, &act, NULL);
	sigset_t usr1, none, cur;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigemptyset(&none);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pid_t parent = getpid();
	int st;

	send_later(parent);
	struct pollfd fd = {.fd = p[0], .events = POLLIN};
	struct timespec ts = {10, 0};
	CHECK("ppoll unblocking SIGUSR1", ppoll(&fd, 1, &ts, &none));
	printf("  handler ran by the return: %d\n", got_usr1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("  SIGUSR1 blocked again: %d\n", sigismember(&cur, SIGUSR1));
	wait(&st);

	got_usr1 = 0;
	send_later(parent);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	ts = (struct timespec){10, 0};
	CHECK("pselect unblocking SIGUSR1", pselect(p[0] + 1, &rd, NULL, NULL, &ts, &none));
	printf("  handler ran by the return: %d\n", got_usr1);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("  SIGUSR1 blocked again: %d\n", sigismember(&cur, SIGUSR1));
	wait(&st);

	/* a signal already pending and blocked is taken as soon as the mask
	 * lets it through */
	got_usr1 = 0;
	kill(parent, SIGUSR1);
	ts = (struct timespec){10, 0};
	CHECK("ppoll with SIGUSR1 already pending", ppoll(&fd, 1, &ts, &none));
	printf("  handler ran by the return: %d\n", got_usr1);
	close(p[0]);
	close(p[1]);
	return 0;
}
