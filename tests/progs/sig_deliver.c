/* Signal delivery: SA_SIGINFO fields, masks during handlers, SA_NODEFER,
 * SA_RESETHAND, sigqueue values, sigsuspend, sigtimedwait, sigpending,
 * SA_RESTART versus EINTR on a blocking wait. No recursive forks. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got, depth, maxdepth, blocked_in_handler;
static siginfo_t last;

static void info_handler(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	got = sig;
	last = *si;
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	blocked_in_handler = sigismember(&cur, sig) * 10 + sigismember(&cur, SIGUSR2);
}

static volatile sig_atomic_t calls;

/* nested_handler raises its own signal again until it has run three
 * times: nested with SA_NODEFER, one after another without it. */
static void nested_handler(int sig) {
	depth++;
	calls++;
	if (depth > maxdepth) maxdepth = depth;
	if (calls < 3) raise(sig);
	depth--;
}

static void plain_handler(int sig) { got = sig; }

/* releasing_handler also writes a byte to release_fd when that is set,
 * once (the reader exits after one). */
static volatile int release_fd = -1;
static void releasing_handler(int sig) {
	got = sig;
	if (release_fd >= 0) {
		write(release_fd, "x", 1);
		release_fd = -1;
	}
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaction(SIGUSR1, &sa, NULL);

	raise(SIGUSR1);
	printf("raise: got %d code %s pid ok %d uid ok %d mask in handler %d\n", got,
	       last.si_code == SI_TKILL ? "SI_TKILL" : last.si_code == SI_USER ? "SI_USER" : "other",
	       last.si_pid == getpid(), last.si_uid == getuid(), blocked_in_handler);
	got = 0;
	kill(getpid(), SIGUSR1);
	printf("kill: got %d code %s\n", got, last.si_code == SI_USER ? "SI_USER" : "other");
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("mask restored: usr1 %d usr2 %d\n", sigismember(&cur, SIGUSR1), sigismember(&cur, SIGUSR2));

	union sigval v = {.sival_int = 1234};
	sigqueue(getpid(), SIGUSR1, v);
	printf("sigqueue: code %s value %d\n", last.si_code == SI_QUEUE ? "SI_QUEUE" : "other", last.si_value.sival_int);

	/* blocked signals stay pending, then arrive on unblock */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	got = 0;
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("pending while blocked: %d got %d\n", sigismember(&pend, SIGUSR1), got);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	printf("after unblock got %d\n", got);

	/* real-time signals queue; standard ones merge */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain_handler;
	static int rtcount;
	sigaction(SIGRTMIN + 1, &sa, NULL);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (int i = 0; i < 3; i++) { raise(SIGRTMIN + 1); raise(SIGUSR1); }
	siginfo_t si;
	struct timespec zero = {0, 0};
	int n;
	while ((n = sigtimedwait(&set, &si, &zero)) > 0) rtcount += n == SIGRTMIN + 1 ? 100 : 1;
	printf("sigtimedwait drained: %d (rt*100 + usr1) errno %s\n", rtcount, errno == EAGAIN ? "EAGAIN" : "other");
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* SA_NODEFER allows nesting; without it the handler is not re-entered */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = nested_handler;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("nodefer max depth %d calls %d\n", maxdepth, calls);
	maxdepth = 0;
	calls = 0;
	sa.sa_flags = 0;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	printf("deferred max depth %d calls %d\n", maxdepth, calls);

	/* SA_RESETHAND */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain_handler;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGHUP, &sa, NULL);
	raise(SIGHUP);
	struct sigaction old;
	sigaction(SIGHUP, NULL, &old);
	printf("resethand: reset to default %d\n", old.sa_handler == SIG_DFL);

	/* sigsuspend returns -1/EINTR after the handler; the mask comes back */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plain_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	raise(SIGUSR1);
	sigset_t empty;
	sigemptyset(&empty);
	got = 0;
	int r = sigsuspend(&empty);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	printf("sigsuspend: r %d errno %s got %d still blocked %d\n", r, errno == EINTR ? "EINTR" : "other", got, sigismember(&cur, SIGUSR1));
	sigprocmask(SIG_UNBLOCK, &set, NULL);

	/* SA_RESTART: a wait interrupted by a handled signal restarts;
	 * without it, EINTR. The poker repeats the signal until the parent
	 * has waited, so one comes during the wait however late a loaded
	 * machine lets the parent start it; the sleeper exits only when let
	 * go: by the handler with SA_RESTART (so the restarted wait returns
	 * it), by the parent after the EINTR without. */
	for (int restart = 0; restart < 2; restart++) {
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = releasing_handler;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigaction(SIGUSR1, &sa, NULL);
		int letgo[2], gate[2];
		pipe(letgo);
		pipe(gate);
		pid_t parent = getpid();
		fflush(stdout);
		pid_t sleeper = fork();
		if (sleeper == 0) {
			close(letgo[1]);
			close(gate[1]);
			char b;
			read(letgo[0], &b, 1);
			_exit(7);
		}
		close(letgo[0]);
		got = 0;
		release_fd = restart ? letgo[1] : -1;
		pid_t poker = fork();
		if (poker == 0) {
			close(letgo[1]);
			close(gate[1]);
			struct pollfd pf = {.fd = gate[0], .events = POLLIN};
			do
				kill(parent, SIGUSR1);
			while (poll(&pf, 1, 20) == 0);
			_exit(0);
		}
		close(gate[0]);
		int st;
		errno = 0;
		pid_t w = waitpid(sleeper, &st, 0);
		int e = errno;
		close(gate[1]);
		while (waitpid(poker, &st, 0) < 0 && errno == EINTR) {}
		printf("SA_RESTART=%d: waitpid %s errno %s got %d\n", restart, w == sleeper ? "returned the child" : "failed",
		       e == EINTR ? "EINTR" : e == 0 ? "none" : "other", got);
		release_fd = -1;
		close(letgo[1]);
		if (w != sleeper) waitpid(sleeper, &st, 0);
	}

	/* ignored and default-ignored signals do nothing */
	signal(SIGUSR1, SIG_IGN);
	raise(SIGUSR1);
	signal(SIGCHLD, SIG_DFL);
	raise(SIGCHLD);
	printf("still alive\n");
	fflush(stdout);

	/* a default-terminating signal kills with the right status */
	pid_t c = fork();
	if (c == 0) {
		signal(SIGINT, SIG_DFL);
		raise(SIGINT);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("child raise(SIGINT): signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
	return 0;
}
