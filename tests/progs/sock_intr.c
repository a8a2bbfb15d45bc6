/* Blocking socket calls interrupted by signals: accept without and with
 * SA_RESTART (restarted: the connection that comes later is accepted),
 * recv with SO_RCVTIMEO (EINTR even with SA_RESTART, as sock_intr_errno),
 * and SO_RCVTIMEO/SO_SNDTIMEO expiring (EAGAIN). The signalling child
 * repeats its signal until the handler has run (it writes to a pipe), so
 * nothing depends on timing. */
#include "sock_common.h"

static int note[2];
static void on_usr1(int sig) { (void)sig; char c = 'h'; write(note[1], &c, 1); }

static void handle(int flags) {
	struct sigaction sa = {0};
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
}

/* pester forks a child that sends SIGUSR1 to the parent every 20 ms. With
 * connect_to, it stops once the handler has noted a signal, connects and
 * writes "late" (the parent's call is restarted and gets it); without, it
 * goes on until the parent writes to the done pipe after its call
 * returned, so the call is interrupted whenever it started. */
static int done[2];

static void drain_notes(void) {
	char junk[64];
	while (read(note[0], junk, sizeof junk) > 0) {}
	while (read(done[0], junk, sizeof junk) > 0) {}
}

static pid_t pester(struct sockaddr_un *connect_to, socklen_t len) {
	pid_t parent = getpid();
	drain_notes();
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct pollfd p = {connect_to ? note[0] : done[0], POLLIN, 0};
		do {
			kill(parent, SIGUSR1);
		} while (poll(&p, 1, 20) == 0);
		if (connect_to) {
			int s = socket(AF_UNIX, SOCK_STREAM, 0);
			if (connect(s, (struct sockaddr *)connect_to, len) == 0)
				write(s, "late", 4);
			close(s);
		}
		_exit(0);
	}
	return c;
}

static void finish(pid_t c) {
	int st;
	write(done[1], "d", 1);
	waitpid(c, &st, 0);
}

static long ms_since(struct timespec a) {
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

int main(void) {
	int st;
	char buf[16];
	pipe2(note, O_NONBLOCK);
	pipe2(done, O_NONBLOCK);
	struct sockaddr_un a;
	socklen_t al = sun_abstract(&a, "kite-sock-intr");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, al);
	listen(l, 5);

	/* accept, handler without SA_RESTART: EINTR */
	handle(0);
	pid_t c = pester(NULL, 0);
	CHECK("accept interrupted, no SA_RESTART", accept(l, NULL, NULL));
	finish(c);

	/* accept, handler with SA_RESTART: restarted, gets the connection */
	handle(SA_RESTART);
	c = pester(&a, al);
	int s = accept(l, NULL, NULL);
	CHECK("accept with SA_RESTART returns a socket", s >= 0);
	memset(buf, 0, sizeof buf);
	CHECK("read from it", read(s, buf, 4));
	printf("got %s\n", buf);
	close(s);
	waitpid(c, &st, 0);

	/* recv on a socketpair, SA_RESTART: restarted until data comes */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fflush(stdout);
	pid_t parent = getpid();
	drain_notes();
	c = fork();
	if (c == 0) {
		struct pollfd p = {note[0], POLLIN, 0};
		do kill(parent, SIGUSR1); while (poll(&p, 1, 20) == 0);
		read(note[0], buf, 1);
		write(sv[1], "data", 4);
		_exit(0);
	}
	CHECK("recv with SA_RESTART", recv(sv[0], buf, sizeof buf, 0));
	waitpid(c, &st, 0);

	/* with SO_RCVTIMEO the same recv gives EINTR */
	struct timeval tv = {30, 0};
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	c = pester(NULL, 0);
	CHECK("recv with SO_RCVTIMEO and SA_RESTART", recv(sv[0], buf, sizeof buf, 0));
	finish(c);
	/* and accept with SO_RCVTIMEO too */
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	c = pester(NULL, 0);
	CHECK("accept with SO_RCVTIMEO and SA_RESTART", accept(l, NULL, NULL));
	finish(c);

	/* timeouts expire with EAGAIN */
	tv.tv_sec = 0;
	tv.tv_usec = 100000;
	setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK("recv timeout", recv(sv[0], buf, sizeof buf, 0));
	long el = ms_since(t0);
	printf("waited about the timeout %d\n", el >= 90 && el < 2000);
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	CHECK("accept timeout", accept(l, NULL, NULL));
	int sb = 4608;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sb, sizeof sb);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	static char big[1 << 16];
	long total = 0;
	for (;;) {
		ssize_t n = send(sv[0], big, sizeof big, 0);
		if (n < 0) { printf("send stopped: %s after some data %d\n", errname(errno), total > 0); break; }
		total += n;
		if (total > 1 << 24) { printf("send never stopped\n"); break; }
	}
	return 0;
}
