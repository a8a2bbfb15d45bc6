/* O_ASYNC on TCP and UDP sockets over 127.0.0.1 and ::1: F_SETOWN's
 * process gets SIGIO (si_code SI_KERNEL) when a datagram arrives; with
 * F_SETSIG a real-time signal says why (si_code POLL_*, si_band, si_fd):
 * a listener hears of a connection (POLL_IN), a non-blocking connect of
 * its end (POLL_OUT), data and the peer's FIN come as POLL_IN, and
 * nothing else is queued. A refused connect is POLL_ERR. When the
 * real-time queue is full (RLIMIT_SIGPENDING) the owner gets SIGIO
 * instead. The signals are blocked and taken with sigtimedwait. */
#include "inet_common.h"
#include <signal.h>
#include <sys/resource.h>

#define RTSIG (SIGRTMIN + 1)

static const char *codename(int c) {
	switch (c) {
	case POLL_IN: return "POLL_IN";
	case POLL_OUT: return "POLL_OUT";
	case POLL_ERR: return "POLL_ERR";
	case POLL_HUP: return "POLL_HUP";
	case POLL_PRI: return "POLL_PRI";
	case POLL_MSG: return "POLL_MSG";
	case SI_KERNEL: return "SI_KERNEL";
	}
	static char b[32];
	snprintf(b, sizeof b, "code %d", c);
	return b;
}

/* take waits (up to 2 minutes) for sig and prints what it says. */
static void take(const char *label, int sig, int fd) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec ts = {120, 0};
	siginfo_t si;
	int r = sigtimedwait(&s, &si, &ts);
	if (r < 0) {
		printf("%s: no signal (%s)\n", label, errname(errno));
		return;
	}
	if (sig == SIGIO)
		printf("%s: SIGIO %s\n", label, codename(si.si_code));
	else
		printf("%s: RT %s band %#lx fd ok %d\n", label, codename(si.si_code), (long)si.si_band, si.si_fd == fd);
}

/* drain takes the pending RT signals. */
static void drain(void) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, RTSIG);
	struct timespec zero = {0, 0};
	siginfo_t si;
	while (sigtimedwait(&s, &si, &zero) == RTSIG)
		;
}

/* pending says whether sig is pending, without taking it. */
static int pending(int sig) {
	sigset_t s;
	sigpending(&s);
	return sigismember(&s, sig);
}

static void async_on(int fd, int sig) {
	fcntl(fd, F_SETOWN, getpid());
	if (sig) fcntl(fd, F_SETSIG, sig);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC | O_NONBLOCK);
}

static void tcp_case(int fam) {
	printf("-- %s TCP\n", famname(fam));
	int ls = listener(fam, SOCK_STREAM);
	async_on(ls, RTSIG);
	int c = socket(fam, SOCK_STREAM, 0);
	async_on(c, RTSIG);
	iaddr a;
	socklen_t l = loopback(&a, fam, local_port(ls));
	int r = connect(c, &a.sa, l);
	printf("connect: %s\n", r == 0 ? "0" : errname(errno));
	/* Both signals are the same RT number: the listener's and the
	 * connector's order is not fixed, so take two and sort them by fd. */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, RTSIG);
	struct timespec ts = {120, 0};
	int got_ls = 0, got_c = 0;
	for (int i = 0; i < 2; i++) {
		siginfo_t si;
		if (sigtimedwait(&s, &si, &ts) < 0) break;
		if (si.si_fd == ls) got_ls = si.si_code;
		if (si.si_fd == c) got_c = si.si_code;
	}
	printf("listener: %s; connector: %s\n", codename(got_ls), codename(got_c));
	int acc = accept(ls, NULL, NULL);
	printf("accepted: %d\n", acc >= 0);
	printf("pending after accept: %d\n", pending(RTSIG));
	send(acc, "a", 1, 0);
	take("data", RTSIG, c);
	char buf[8];
	printf("read %zd\n", recv(c, buf, sizeof buf, 0));
	/* Our own sends do not signal: their ACKs free room nobody
	 * waited for. */
	send(c, "b", 1, 0);
	recv(acc, buf, 1, MSG_WAITALL);
	close(acc);
	take("peer closed", RTSIG, c);
	printf("read at EOF %zd\n", recv(c, buf, sizeof buf, 0));
	/* Linux signals a FIN twice (tcp_fin and the data-ready
	 * callback): drop what is left. */
	drain();
	close(c);
	close(ls);

	/* A refused connect: POLL_ERR. */
	c = socket(fam, SOCK_STREAM, 0);
	async_on(c, RTSIG);
	l = loopback(&a, fam, unused_port(fam));
	r = connect(c, &a.sa, l);
	if (r < 0 && errno == EINPROGRESS) {
		take("refused", RTSIG, c);
		printf("SO_ERROR %s\n", errname(getint(c, SOL_SOCKET, SO_ERROR)));
	} else
		printf("connect: %s\n", r == 0 ? "0" : errname(errno));
	close(c);
}

static void udp_case(int fam) {
	printf("-- %s UDP\n", famname(fam));
	int u = listener(fam, SOCK_DGRAM);
	async_on(u, 0);
	int c = connect_to(fam, SOCK_DGRAM, local_port(u));
	send(c, "x", 1, 0);
	take("datagram", SIGIO, u);
	char buf[8];
	printf("read %zd\n", recv(u, buf, sizeof buf, 0));
	/* With F_SETSIG: POLL_IN with the descriptor. */
	fcntl(u, F_SETSIG, RTSIG);
	send(c, "y", 1, 0);
	take("datagram with F_SETSIG", RTSIG, u);
	printf("read %zd\n", recv(u, buf, sizeof buf, 0));
	/* O_ASYNC off: nothing. */
	fcntl(u, F_SETFL, fcntl(u, F_GETFL) & ~O_ASYNC);
	send(c, "z", 1, 0);
	printf("readable: %d\n", !!(waitfor(u, POLLIN) & POLLIN));
	printf("SIGIO or RT pending without O_ASYNC: %d\n", pending(SIGIO) || pending(RTSIG));
	recv(u, buf, sizeof buf, 0);

	/* A full real-time queue: SIGIO instead. */
	struct rlimit old, one = {1, 1};
	getrlimit(RLIMIT_SIGPENDING, &old);
	one.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_SIGPENDING, &one);
	fcntl(u, F_SETFL, fcntl(u, F_GETFL) | O_ASYNC);
	/* One datagram at a time, each read before the next is sent
	 * (kite's UDP signals when its queue stops being empty). */
	for (int i = 0; i < 3; i++) {
		send(c, "w", 1, 0);
		waitfor(u, POLLIN);
		recv(u, buf, sizeof buf, 0);
	}
	take("queue full", SIGIO, u);
	setrlimit(RLIMIT_SIGPENDING, &old);
	/* Whether the first real-time signals were queued depends on
	 * what else the user has pending (Linux counts per user). */
	drain();
	close(u);
	close(c);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	sigaddset(&s, RTSIG);
	sigprocmask(SIG_BLOCK, &s, NULL);
	int fams[] = {AF_INET, AF_INET6};
	for (int i = 0; i < 2; i++) {
		tcp_case(fams[i]);
		udp_case(fams[i]);
	}
	return 0;
}
