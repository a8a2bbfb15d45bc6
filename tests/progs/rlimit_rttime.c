/* RLIMIT_RTTIME: a SCHED_FIFO thread that uses CPU without sleeping gets
 * SIGXCPU (si_code SI_KERNEL) at the soft limit, the soft limit growing
 * by a second while under the hard one, and SIGKILL at the hard limit; a
 * thread that sleeps between shorter bursts never reaches it (each sleep
 * starts the count again); a SCHED_OTHER thread is not limited; a child
 * forked by a SCHED_FIFO process keeps the policy and the limit and is
 * watched from its start, unless SCHED_RESET_ON_FORK drops the policy. Needs
 * root (SCHED_FIFO). Each child gives up after 20 s of CPU, printing a
 * failure instead of spinning for ever. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int report;

struct note {
	int code;
	long cur;
};

static void onxcpu(int s, siginfo_t *si, void *uc) {
	(void)s;
	(void)uc;
	struct rlimit rl;
	getrlimit(RLIMIT_RTTIME, &rl);
	struct note n = {si->si_code, (long)rl.rlim_cur};
	if (write(report, &n, sizeof n) < 0) _exit(5);
}

static long long cpu_ns(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* spin uses CPU for ns nanoseconds without sleeping. */
static void spin(long long ns) {
	long long end = cpu_ns() + ns;
	volatile long x = 0;
	while (cpu_ns() < end)
		for (long i = 0; i < 10000; i++) x += i;
}

/* run forks a child that sets the limit and policy, then does body. */
static void run(const char *label, long soft, long hard, int policy, void (*body)(void)) {
	int p[2];
	if (pipe(p) < 0) { perror("pipe"); return; }
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		report = p[1];
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = onxcpu;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigaction(SIGXCPU, &sa, NULL);
		struct rlimit rl = {soft, hard};
		if (setrlimit(RLIMIT_RTTIME, &rl) < 0) { perror("setrlimit"); _exit(2); }
		struct sched_param sp = {policy == SCHED_OTHER ? 0 : 1};
		if (sched_setscheduler(0, policy, &sp) < 0) { perror("sched_setscheduler"); _exit(2); }
		body();
		_exit(0);
	}
	close(p[1]);
	struct note n;
	int k = 0;
	while (read(p[0], &n, sizeof n) == sizeof n) {
		k++;
		printf("%s: SIGXCPU %d: si_code %s, soft limit then %ld us\n", label, k,
		       n.code == SI_KERNEL ? "SI_KERNEL" : "other", n.cur);
	}
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st)) printf("%s: killed by %s\n", label, strsignal(WTERMSIG(st)));
	else printf("%s: exit %d\n", label, WEXITSTATUS(st));
}

static void forever(void) {
	spin(20LL * 1000000000LL);
	printf("FAIL: not killed after 20 s of CPU\n");
}

static void bursts(void) {
	/* Ten bursts of 100 ms with a sleep between: under a 300 ms limit. */
	for (int i = 0; i < 10; i++) {
		spin(100000000LL);
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static void other(void) { spin(500000000LL); }

/* forked forks a child that spins (it keeps SCHED_FIFO and the limit)
 * and exits with 100 + the signal that killed it (its output would race
 * with the SIGXCPU reports). */
static void forked(void) {
	pid_t pid = fork();
	if (pid == 0) {
		forever();
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0) _exit(3);
	_exit(WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
}

/* forkedreset forks after SCHED_RESET_ON_FORK: the child is SCHED_OTHER
 * (else it exits 4) and not limited; the exit status is as forked's. */
static void forkedreset(void) {
	struct sched_param sp = {1};
	if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp) < 0) _exit(3);
	pid_t pid = fork();
	if (pid == 0) {
		if (sched_getscheduler(0) != SCHED_OTHER) _exit(4);
		spin(500000000LL);
		_exit(0);
	}
	int st;
	if (waitpid(pid, &st, 0) < 0) _exit(3);
	_exit(WIFSIGNALED(st) ? 100 + WTERMSIG(st) : WEXITSTATUS(st));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (geteuid() != 0) {
		printf("needs root\n");
		return 0;
	}
	run("FIFO, soft 200 ms, hard 1 s", 200000, 1000000, SCHED_FIFO, forever);
	run("RR, soft 200 ms, hard 1.5 s", 200000, 1500000, SCHED_RR, forever);
	run("FIFO bursts of 100 ms, limit 300 ms", 300000, 300000, SCHED_FIFO, bursts);
	run("OTHER, limit 100 ms", 100000, 100000, SCHED_OTHER, other);
	run("FIFO parent forks (exit 100 + child's signal), soft 200 ms, hard 1 s", 200000, 1000000, SCHED_FIFO, forked);
	run("FIFO parent with RESET_ON_FORK forks (exit 100 + child's signal), limit 100 ms", 100000, 100000, SCHED_FIFO, forkedreset);
	return 0;
}
