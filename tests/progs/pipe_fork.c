/* Pipes between processes: SIGPIPE (default action, ignored, handled with
 * its siginfo), a writer blocked at capacity woken by a reader, blocking
 * reads and writes interrupted by signals (EINTR, SA_RESTART, partial
 * counts), and a large transfer. Every fork is followed by _exit in the
 * child. */
#include "pipe_common.h"
#include <poll.h>

static volatile sig_atomic_t got_sig;
static volatile int si_code_seen, si_pid_ok;
static pid_t me;

static void on_pipe(int sig, siginfo_t *si, void *uc) {
	(void)uc;
	got_sig = sig;
	si_code_seen = si->si_code;
	si_pid_ok = si->si_pid == me;
}

static void on_alrm(int sig) { (void)sig; got_sig = sig; }

static void sleep_ms(long ms) {
	struct timespec d = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&d, NULL);
}

/* signal_until forks a child that sends sig to the parent every ms
 * until stop_signals: a call that must be interrupted is, however late
 * a loaded machine lets the parent start it. */
static int stop_fd = -1;

static pid_t signal_until(int sig, long ms) {
	pid_t parent = getpid();
	int gate[2];
	pipe(gate);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(gate[1]);
		struct pollfd pf = {.fd = gate[0], .events = POLLIN};
		do
			kill(parent, sig);
		while (poll(&pf, 1, ms) == 0);
		_exit(0);
	}
	close(gate[0]);
	stop_fd = gate[1];
	return c;
}

/* stop_signals ends signal_until's child c. */
static void stop_signals(pid_t c) {
	int st;
	close(stop_fd);
	while (waitpid(c, &st, 0) < 0 && errno == EINTR) {}
}

static void handle(int sig, void (*fn)(int), int flags) {
	struct sigaction sa = {0};
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigaction(sig, &sa, NULL);
}

int main(void) {
	int p[2], st;
	static char buf[1 << 20];
	me = getpid();

	/* SIGPIPE's default action kills the writer */
	pipe(p);
	close(p[0]);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "x", 1);
		_exit(0);
	}
	close(p[1]);
	waitpid(c, &st, 0);
	describe("writer to a pipe without readers", st);

	/* SIGPIPE handled: siginfo is SI_USER from the writer itself */
	struct sigaction sa = {0};
	sa.sa_sigaction = on_pipe;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGPIPE, &sa, NULL);
	pipe(p);
	close(p[0]);
	CHECK("write with SIGPIPE handled", write(p[1], "x", 1));
	printf("  signal %d si_code %d si_pid is mine %d\n", got_sig, si_code_seen, si_pid_ok);
	close(p[1]);
	signal(SIGPIPE, SIG_IGN);

	/* a writer blocked at capacity is woken by a reader in a child */
	pipe(p);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		close(p[1]);
		sleep_ms(50);
		long total = 0;
		ssize_t n;
		while ((n = read(p[0], buf, 7000)) > 0)
			total += n;
		_exit(total == 300000 ? 0 : 1);
	}
	close(p[0]);
	memset(buf, 'a', 300000);
	CHECK("blocking write of 300000", write(p[1], buf, 300000));
	close(p[1]);
	waitpid(c, &st, 0);
	describe("reader child (0: got everything)", st);

	/* a blocked read interrupted by a handler without SA_RESTART */
	pipe(p);
	handle(SIGALRM, on_alrm, 0);
	c = signal_until(SIGALRM, 20);
	CHECK("read interrupted", read(p[0], buf, 10));
	stop_signals(c);
	printf("  handler ran %d\n", got_sig == SIGALRM);

	/* with SA_RESTART the read goes on and gets the data a child writes */
	handle(SIGALRM, on_alrm, SA_RESTART);
	got_sig = 0;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		sleep_ms(50);
		kill(getppid(), SIGALRM);
		sleep_ms(50);
		write(p[1], "late", 4);
		_exit(0);
	}
	CHECK("read restarted", read(p[0], buf, 10));
	printf("  handler ran %d\n", got_sig == SIGALRM);
	waitpid(c, &st, 0);

	/* a blocked write interrupted after a partial transfer returns the
	 * count, even with SA_RESTART */
	got_sig = 0;
	c = signal_until(SIGALRM, 20);
	CHECK("write interrupted after 64 KiB", write(p[1], buf, 100000));
	stop_signals(c);
	/* and with nothing transferred: EINTR without SA_RESTART */
	handle(SIGALRM, on_alrm, 0);
	c = signal_until(SIGALRM, 20);
	CHECK("write into a full pipe interrupted", write(p[1], buf, 10));
	stop_signals(c);
	close(p[0]);
	close(p[1]);

	/* 8 MiB through a pipe between two processes */
	pipe(p);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		close(p[0]);
		for (int i = 0; i < (int)sizeof buf; i++)
			buf[i] = (char)(i * 7 + i / 4096);
		for (int k = 0; k < 8; k++)
			if (write(p[1], buf, sizeof buf) != (ssize_t)sizeof buf)
				_exit(1);
		_exit(0);
	}
	close(p[1]);
	unsigned long sum = 0, total = 0;
	ssize_t n;
	while ((n = read(p[0], buf, 65536 + 123)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		total += n;
	}
	waitpid(c, &st, 0);
	describe("8 MiB writer", st);
	printf("received %lu bytes, checksum %lu\n", total, sum);
	close(p[0]);
	return 0;
}
