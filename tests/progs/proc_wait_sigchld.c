/* A wait blocked for a child that exits (or stops) while the parent has
 * a SIGCHLD handler without SA_RESTART: Linux's wait looks at the
 * children again after the wake-up, so waitpid, waitid and wait4 report
 * the child instead of failing with EINTR (the handler still runs).
 * Each child waits for the parent to close a pipe, so the parent is
 * usually already asleep in the wait when the child ends; either order
 * gives the same result on Linux. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_chld(int sig) {
	(void)sig;
	handled++;
}

/* child forks a child that waits for EOF on a pipe, then exits with
 * code 3 (or stops itself when stop is set), and returns its pid after
 * closing the pipe's write end. */
static pid_t child(int stop) {
	int p[2];
	if (pipe(p) < 0) {
		perror("pipe");
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		if (stop)
			raise(SIGSTOP);
		_exit(3);
	}
	close(p[0]);
	close(p[1]);
	return pid;
}

int main(void) {
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_chld;
	if (sigaction(SIGCHLD, &sa, NULL) < 0) {
		perror("sigaction");
		return 1;
	}
	int bad = 0;
	const int rounds = 30;
	for (int i = 0; i < rounds; i++) {
		int st;
		pid_t pid = child(0);
		pid_t r = waitpid(pid, &st, 0);
		if (r != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 3) {
			printf("waitpid round %d: %d (%s)\n", i, (int)r, r < 0 ? strerror(errno) : "");
			bad++;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		}

		siginfo_t si;
		pid = child(0);
		memset(&si, 0, sizeof si);
		int rc = waitid(P_PID, pid, &si, WEXITED);
		if (rc != 0 || si.si_pid != pid || si.si_code != CLD_EXITED || si.si_status != 3) {
			printf("waitid round %d: %d (%s)\n", i, rc, rc < 0 ? strerror(errno) : "");
			bad++;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
		}

		struct rusage ru;
		pid = child(1);
		r = wait4(pid, &st, WUNTRACED, &ru);
		if (r != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP) {
			printf("wait4 stop round %d: %d (%s)\n", i, (int)r, r < 0 ? strerror(errno) : "");
			bad++;
		}
		kill(pid, SIGKILL);
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
	}
	printf("rounds %d, failed waits %d, handler ran: %s\n", rounds, bad, handled > 0 ? "yes" : "no");
	return bad != 0;
}
