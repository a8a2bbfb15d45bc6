/* RLIMIT_SIGPENDING bounds the siginfos queued for all processes of a real
 * user: sigqueue and rt_tgsigqueueinfo of a real-time signal past it fail
 * with EAGAIN; kill of a real-time signal past it succeeds but the signal
 * is pending without its siginfo (SI_USER, no sender) and further kills
 * merge; a standard signal from kill is queued beyond the limit, one from
 * sigqueue loses its siginfo; taking a signal frees a slot. The counting
 * runs in a child with a uid of its own (65531) so that no other process
 * shares the count; its own child sees the same count. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int r) {
	if (r == 0) return "ok";
	return errno == EAGAIN ? "EAGAIN" : strerror(errno);
}

static int queue(int sig, int v) {
	union sigval sv = {.sival_int = v};
	return sigqueue(getpid(), sig, sv);
}

static void take(const char *what, int sig) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec zero = {0, 0};
	siginfo_t si;
	memset(&si, 0, sizeof si);
	int r = sigtimedwait(&s, &si, &zero);
	if (r < 0) {
		printf("%s: %s\n", what, errno == EAGAIN ? "none pending" : strerror(errno));
		return;
	}
	const char *code = si.si_code == SI_USER ? "SI_USER" : si.si_code == SI_QUEUE ? "SI_QUEUE" : si.si_code == CLD_EXITED ? "CLD_EXITED" : "other";
	printf("%s: sig %d %s from self %d value %d\n", what, r >= SIGRTMIN ? r - SIGRTMIN + 100 : r, code,
	       si.si_pid == getpid(), si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
}

static void body(void) {
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	struct rlimit rl = {4, 4};
	if (setrlimit(RLIMIT_SIGPENDING, &rl) < 0) { perror("setrlimit"); return; }
	int n = 0, r;
	while (n < 100 && (r = queue(SIGRTMIN, n)) == 0) n++;
	printf("sigqueue SIGRTMIN: %d queued, then %s\n", n, en(r));
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	r = syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN + 1, &si);
	printf("rt_tgsigqueueinfo: %s\n", en(r));
	printf("kill SIGRTMIN+1: %s\n", en(kill(getpid(), SIGRTMIN + 1)));
	printf("kill SIGRTMIN+1 again: %s\n", en(kill(getpid(), SIGRTMIN + 1)));
	printf("sigqueue SIGUSR2: %s\n", en(queue(SIGUSR2, 7)));
	printf("kill SIGUSR1: %s\n", en(kill(getpid(), SIGUSR1)));
	printf("sigqueue SIGRTMIN after: %s\n", en(queue(SIGRTMIN, 99)));

	/* A child of the same user shares the count. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		printf("child sigqueue: %s\n", en(queue(SIGRTMIN + 2, 1)));
		printf("child kill SIGUSR1: %s\n", en(kill(getpid(), SIGUSR1)));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);

	sigset_t p;
	sigpending(&p);
	printf("pending: RTMIN %d RTMIN+1 %d USR1 %d USR2 %d\n", sigismember(&p, SIGRTMIN),
	       sigismember(&p, SIGRTMIN + 1), sigismember(&p, SIGUSR1), sigismember(&p, SIGUSR2));
	take("RTMIN+1", SIGRTMIN + 1);
	take("RTMIN+1 again", SIGRTMIN + 1);
	take("USR2", SIGUSR2);
	take("USR1", SIGUSR1);
	/* USR1 was counted beyond the limit, and so is the blocked SIGCHLD
	 * of the child's exit: slots free only after two more. */
	printf("sigqueue after taking three: %s\n", en(queue(SIGRTMIN + 3, 5)));
	take("RTMIN", SIGRTMIN);
	printf("sigqueue after taking one more: %s\n", en(queue(SIGRTMIN + 3, 6)));
	printf("sigqueue then: %s\n", en(queue(SIGRTMIN + 3, 6)));
	take("CHLD", SIGCHLD);
	printf("sigqueue after taking SIGCHLD: %s\n", en(queue(SIGRTMIN + 3, 7)));
	printf("sigqueue then: %s\n", en(queue(SIGRTMIN + 3, 8)));
	take("RTMIN+3", SIGRTMIN + 3);
	take("RTMIN+3", SIGRTMIN + 3);
	take("RTMIN", SIGRTMIN);
}

int main(void) {
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		if (setgid(65531) < 0 || setuid(65531) < 0) _exit(2);
		body();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
