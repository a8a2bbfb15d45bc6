/* Job-control stops: a child stopped by SIGSTOP and SIGTSTP is reported
 * by waitpid(WUNTRACED), continued by SIGCONT (WCONTINUED), and SIGCHLD
 * carries CLD_STOPPED and CLD_CONTINUED; SA_NOCLDSTOP silences them. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t chld_codes[8], nchld;
static void on_chld(int s, siginfo_t *si, void *uc) {
	(void)s; (void)uc;
	if (nchld < 8) chld_codes[nchld++] = si->si_code;
}

static const char *code(int c) {
	switch (c) {
	case CLD_EXITED: return "CLD_EXITED";
	case CLD_KILLED: return "CLD_KILLED";
	case CLD_STOPPED: return "CLD_STOPPED";
	case CLD_CONTINUED: return "CLD_CONTINUED";
	}
	return "other";
}

static void sleep_ms(int ms) {
	struct timespec ts = {0, ms * 1000L * 1000L};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);

	int st, gate[2];
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(gate[1]);
		raise(SIGSTOP);
		/* Linger until the parent has seen the continue (the pipe's
		 * end of file). */
		char b;
		read(gate[0], &b, 1);
		printf("child continued\n");
		fflush(stdout);
		_exit(4);
	}
	close(gate[0]);
	pid_t w = waitpid(c, &st, WUNTRACED);
	printf("stopped: %d by %s\n", w == c && WIFSTOPPED(st), strsignal(WSTOPSIG(st)));
	printf("WNOHANG|WUNTRACED again: %d\n", waitpid(c, &st, WNOHANG | WUNTRACED));
	kill(c, SIGCONT);
	w = waitpid(c, &st, WCONTINUED);
	printf("continued: %d\n", w == c && WIFCONTINUED(st));
	close(gate[1]);
	waitpid(c, &st, 0);
	printf("exited %d\n", WEXITSTATUS(st));
	sleep_ms(20);
	/* The exit's SIGCHLD merges with the CLD_CONTINUED one when that is
	 * still pending (SIGCHLD does not queue), which on Linux depends on
	 * when the continued child runs: only the stop and continue codes
	 * are compared. */
	for (int i = 0; i < nchld; i++)
		if (chld_codes[i] != CLD_EXITED)
			printf("SIGCHLD %s\n", code(chld_codes[i]));

	/* SIGKILL ends a stopped child */
	c = fork();
	if (c == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(c, &st, WUNTRACED);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	printf("killed while stopped: %d %s\n", WIFSIGNALED(st), strsignal(WTERMSIG(st)));

	/* SIGTSTP does not stop a process in an orphaned process group (a
	 * new session's group is orphaned: its member's parent is in
	 * another session); SIGSTOP always does. */
	c = fork();
	if (c == 0) {
		setsid();
		raise(SIGTSTP);
		_exit(7);
	}
	waitpid(c, &st, WUNTRACED);
	printf("orphaned SIGTSTP: stopped %d exited %d\n", WIFSTOPPED(st), WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	/* SA_NOCLDSTOP: no SIGCHLD for stops */
	sa.sa_flags |= SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	nchld = 0;
	c = fork();
	if (c == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(c, &st, WUNTRACED);
	kill(c, SIGCONT);
	waitpid(c, &st, 0);
	sleep_ms(20);
	printf("with SA_NOCLDSTOP:");
	for (int i = 0; i < nchld; i++) printf(" %s", code(chld_codes[i]));
	printf("\n");
	return 0;
}
