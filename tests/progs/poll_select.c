/* select and pselect6: fd sets over 1000 fds, returned counts, EBADF,
 * timeouts and their write-back, error cases, signal masks. */
#include "pipe_common.h"
#include <sys/resource.h>
#include <poll.h>
#include <sys/select.h>

#define NPIPES 500

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1++; }

static int p[NPIPES][2];

/* sum_set prints how many pipe ends are set and a checksum of their
 * pipe indices (fd numbers depend on what the program inherited). */
static void sum_set(const char *label, fd_set *s, int end) {
	long count = 0, sum = 0;
	for (int i = 0; i < NPIPES; i++)
		if (p[i][end] < FD_SETSIZE && FD_ISSET(p[i][end], s)) {
			count++;
			sum += i * 31 + 7;
		}
	printf("  %s: %ld fds, checksum %ld\n", label, count, sum);
}

struct sigarg {
	const sigset_t *ss;
	size_t len;
};

int main(void) {
	fd_set rd, wr, ex;
	struct timeval tv;
	struct timespec ts, t0;
	int ret;

	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 1100 && rl.rlim_max >= 1100) {
		rl.rlim_cur = 1100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (int i = 0; i < NPIPES; i++)
		if (pipe(p[i]) < 0) {
			printf("pipe %d: %s\n", i, errname(errno));
			return 1;
		}
	int maxfd = 0;
	for (int i = 0; i < NPIPES; i++) {
		if (i % 7 == 0)
			write(p[i][1], "x", 1);
		if (p[i][1] > maxfd)
			maxfd = p[i][1];
	}
	printf("fds in use up to 1000: %d\n", maxfd >= 1000);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	for (int i = 0; i < NPIPES; i++) {
		FD_SET(p[i][0], &rd);
		FD_SET(p[i][1], &wr);
		FD_SET(p[i][0], &ex);
	}
	tv = (struct timeval){0, 0};
	ret = select(maxfd + 1, &rd, &wr, &ex, &tv);
	printf("select over %d pipes: %d\n", NPIPES, ret);
	sum_set("readable", &rd, 0);
	sum_set("writable", &wr, 1);
	sum_set("exceptional", &ex, 0);

	/* readers of only the empty pipes: times out, sets cleared */
	FD_ZERO(&rd);
	for (int i = 0; i < NPIPES; i++)
		if (i % 7 != 0)
			FD_SET(p[i][0], &rd);
	tv = (struct timeval){0, 50000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = syscall(SYS_select, FD_SETSIZE, &rd, NULL, NULL, &tv);
	long ms = elapsed_ms(&t0);
	printf("select 50ms timeout on %d idle fds: %d waited>=45 %d tv %ld.%06ld\n", NPIPES - 72, ret, ms >= 45,
	       (long)tv.tv_sec, (long)tv.tv_usec);
	sum_set("readable", &rd, 0);

	/* a closed fd in a set */
	int hole = p[3][0];
	close(hole);
	FD_ZERO(&rd);
	FD_SET(hole, &rd);
	FD_SET(p[0][0], &rd);
	CHECK("select with a closed fd", select(hole + 1, &rd, NULL, NULL, NULL));
	printf("  set untouched: %d\n", FD_ISSET(hole, &rd) && FD_ISSET(p[0][0], &rd));
	FD_ZERO(&rd);
	FD_SET(hole, &rd);
	CHECK("closed fd past nfds", select(hole, &rd, NULL, NULL, &(struct timeval){0, 0}));
	CHECK("nfds -1", select(-1, NULL, NULL, NULL, NULL));
	CHECK("select EFAULT set", select(10, BADPTR, NULL, NULL, NULL));
	CHECK("select EFAULT timeout", syscall(SYS_select, 10, NULL, NULL, NULL, BADPTR));
	tv = (struct timeval){0, -1};
	CHECK("select usec -1", syscall(SYS_select, 1, NULL, NULL, NULL, &tv));
	tv = (struct timeval){-1, 0};
	CHECK("select sec -1", syscall(SYS_select, 1, NULL, NULL, NULL, &tv));
	tv = (struct timeval){0, 1500000};
	FD_ZERO(&rd);
	FD_SET(p[0][0], &rd);
	ret = syscall(SYS_select, p[0][0] + 1, &rd, NULL, NULL, &tv);
	printf("select usec 1500000 with data: %d tv.sec 1 %d\n", ret, tv.tv_sec == 1);
	tv = (struct timeval){0, 0};
	ret = select(0, NULL, NULL, NULL, &tv);
	printf("select nothing, zero timeout: %d\n", ret);

	/* hang-up and error count as readable / writable */
	int h[2];
	pipe(h);
	close(h[1]);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(h[0], &rd);
	FD_SET(h[0], &wr);
	ret = select(h[0] + 1, &rd, &wr, NULL, NULL);
	printf("read end, writers gone: %d rd %d wr %d\n", ret, FD_ISSET(h[0], &rd), FD_ISSET(h[0], &wr));
	close(h[0]);
	pipe(h);
	close(h[0]);
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_ZERO(&ex);
	FD_SET(h[1], &rd);
	FD_SET(h[1], &wr);
	FD_SET(h[1], &ex);
	ret = select(h[1] + 1, &rd, &wr, &ex, NULL);
	printf("write end, readers gone: %d rd %d wr %d ex %d\n", ret, FD_ISSET(h[1], &rd), FD_ISSET(h[1], &wr),
	       FD_ISSET(h[1], &ex));
	close(h[1]);

	/* pselect6: timespec write-back and the signal mask */
	FD_ZERO(&rd);
	FD_SET(p[1][0], &rd);
	ts = (struct timespec){0, 40 * 1000000};
	ret = syscall(SYS_pselect6, p[1][0] + 1, &rd, NULL, NULL, &ts, NULL);
	printf("pselect6 40ms timeout: %d ts %ld.%09ld\n", ret, (long)ts.tv_sec, ts.tv_nsec);
	ts = (struct timespec){0, 1000000000};
	CHECK("pselect6 nsec 1e9", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL));
	sigset_t none;
	sigemptyset(&none);
	struct sigarg sa6 = {&none, 4};
	ts = (struct timespec){0, 0};
	CHECK("pselect6 sigsetsize 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &sa6));
	CHECK("pselect6 sigarg EFAULT", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, BADPTR));
	sa6 = (struct sigarg){NULL, 4};
	CHECK("pselect6 NULL sigset, any size", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, &sa6));

	/* SIGUSR1 arrives during pselect with it blocked by the call's mask:
	 * no interruption; the handler runs once the call returns. */
	struct sigaction act = {0};
	act.sa_handler = on_usr1;
	sigaction(SIGUSR1, &act, NULL);
	sigset_t blockusr1;
	sigemptyset(&blockusr1);
	sigaddset(&blockusr1, SIGUSR1);
	/* Blocked from before the child exists, so a signal that comes
	 * before the call (a slow machine) waits too. */
	sigprocmask(SIG_BLOCK, &blockusr1, NULL);
	fflush(stdout);
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		struct timespec d = {0, 30 * 1000000};
		nanosleep(&d, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	FD_ZERO(&rd);
	FD_SET(p[1][0], &rd);
	ts = (struct timespec){0, 200 * 1000000};
	ret = pselect(p[1][0] + 1, &rd, NULL, NULL, &ts, &blockusr1);
	int seen = got_usr1;
	printf("pselect with SIGUSR1 masked: %d handler ran by the return %d\n", ret, seen);
	int st;
	waitpid(child, &st, 0);
	describe("child", st);
	sigprocmask(SIG_UNBLOCK, &blockusr1, NULL);
	printf("handler ran after the call: %d\n", got_usr1);

	/* SIGUSR1 interrupts select: EINTR with a handler. The child
	 * repeats the signal until the select has returned, so it comes
	 * during the call however late the call starts. */
	got_usr1 = 0;
	int gate[2];
	pipe(gate);
	fflush(stdout);
	child = fork();
	if (child == 0) {
		close(gate[1]);
		struct pollfd pf = {.fd = gate[0], .events = POLLIN};
		do
			kill(parent, SIGUSR1);
		while (poll(&pf, 1, 20) == 0);
		_exit(0);
	}
	close(gate[0]);
	FD_ZERO(&rd);
	FD_SET(p[1][0], &rd);
	tv = (struct timeval){10, 0};
	CHECK("select interrupted", syscall(SYS_select, p[1][0] + 1, &rd, NULL, NULL, &tv));
	close(gate[1]);
	/* the child may signal more than once: count "at least one" */
	printf("  handler ran %d, time left > 5s %d, set kept %d\n", got_usr1 >= 1, tv.tv_sec >= 5, FD_ISSET(p[1][0], &rd));
	while (waitpid(child, &st, 0) < 0 && errno == EINTR) {}

	for (int i = 0; i < NPIPES; i++) {
		if (i != 3)
			close(p[i][0]);
		close(p[i][1]);
	}
	return 0;
}
