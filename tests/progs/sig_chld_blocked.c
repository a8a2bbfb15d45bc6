/* A blocked SIGCHLD with the default (ignore) disposition stays pending,
 * so sigtimedwait and sigpending see it. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0)
		_exit(5);
	siginfo_t si;
	struct timespec ts = {5, 0};
	int sig = sigtimedwait(&set, &si, &ts);
	printf("sigtimedwait: %d code %d status %d pid ok %d\n", sig, si.si_code, si.si_status, si.si_pid == c);
	waitpid(c, NULL, 0);
	/* unblocked and default: a new SIGCHLD is discarded at once */
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	c = fork();
	if (c == 0)
		_exit(6);
	waitpid(c, NULL, 0);
	sigset_t pend;
	sigpending(&pend);
	printf("pending after unblocked exit: %d\n", sigismember(&pend, SIGCHLD));
	return 0;
}
