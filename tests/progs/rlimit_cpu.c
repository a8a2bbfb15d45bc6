/* RLIMIT_CPU: at the soft limit the process gets SIGXCPU (si_code
 * SI_KERNEL) and the soft limit grows by a second, so SIGXCPU comes again
 * a second later; at the hard limit SIGKILL; by default SIGXCPU kills.
 * Each child burns CPU until a signal ends it (or gives up after 60 s of
 * CPU, which prints a failure instead of hanging). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report;
static volatile sig_atomic_t nsig;

struct note {
	int n, code;
	long cur;
};

static void onxcpu(int s, siginfo_t *si, void *uc) {
	(void)s;
	(void)uc;
	struct rlimit rl;
	getrlimit(RLIMIT_CPU, &rl);
	struct note n = {++nsig, si->si_code, (long)rl.rlim_cur};
	write(report, &n, sizeof n);
}

static double cputime(void) {
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void burn(void) {
	volatile unsigned long x = 0;
	while (cputime() < 60)
		for (int i = 0; i < 100000; i++) x++;
	_exit(3);
}

static const char *signame(int st) {
	if (WIFEXITED(st)) return WEXITSTATUS(st) == 3 ? "exit 3 (no signal in 60 s)" : "exit";
	switch (WTERMSIG(st)) {
	case SIGKILL: return "SIGKILL";
	case SIGXCPU: return "SIGXCPU";
	}
	return strsignal(WTERMSIG(st));
}

int main(void) {
	int p[2];
	if (pipe(p) < 0) return 1;
	report = p[1];
	struct rlimit rl;
	getrlimit(RLIMIT_CPU, &rl);
	printf("unlimited at start %d\n", rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);

	/* Soft 1 s, hard 3 s, with a handler: SIGXCPU at 1 s and 2 s, then
	 * SIGKILL at 3 s. */
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = onxcpu;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGXCPU, &sa, NULL);
		struct rlimit l = {1, 3};
		if (setrlimit(RLIMIT_CPU, &l) < 0) _exit(2);
		burn();
	}
	close(p[1]);
	int st;
	waitpid(c, &st, 0);
	printf("soft 1 hard 3 with a handler: %s\n", signame(st));
	struct note n;
	while (read(p[0], &n, sizeof n) == sizeof n)
		printf("SIGXCPU %d: si_code %s, soft limit then %ld\n", n.n, n.code == SI_KERNEL ? "SI_KERNEL" : "other", n.cur);
	close(p[0]);

	/* Default action: SIGXCPU kills at the soft limit. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		struct rlimit l = {1, RLIM_INFINITY};
		if (setrlimit(RLIMIT_CPU, &l) < 0) _exit(2);
		burn();
	}
	waitpid(c, &st, 0);
	printf("soft 1 by default: %s\n", signame(st));

	/* Ignored SIGXCPU: the hard limit still kills. */
	fflush(stdout);
	c = fork();
	if (c == 0) {
		signal(SIGXCPU, SIG_IGN);
		struct rlimit l = {0, 1};
		if (setrlimit(RLIMIT_CPU, &l) < 0) _exit(2);
		burn();
	}
	waitpid(c, &st, 0);
	printf("hard 1 with SIGXCPU ignored: %s\n", signame(st));
	return 0;
}
