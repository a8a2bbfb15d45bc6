/* O_ASYNC on host sockets (run under kite with --net=host): a datagram
 * or stream data that the program reads at once, or after polling for
 * it, has had its SIGIO by the time the read returns, as on Linux, which
 * signals each arrival as it comes (under kite the signal comes from
 * the host's readiness edges, which the host drops once the data they
 * were about is read); so does a connection accepted at once. Two datagrams read at once make two real-time
 * signals. SIGIO is blocked and taken with sigtimedwait; only that a
 * signal is pending is printed (a signal more, which kite may send
 * for a readiness edge it takes late, does not show). */
#include "inet_common.h"
#include <signal.h>

#define RTSIG (SIGRTMIN + 2)

/* take takes sig if pending (0 s) and says whether it was. */
static int take(int sig) {
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec zero = {0, 0};
	siginfo_t si;
	return sigtimedwait(&s, &si, &zero) == sig;
}

/* count takes every pending sig. */
static int count(int sig) {
	int n = 0;
	while (take(sig))
		n++;
	return n;
}

static void async_on(int fd) {
	fcntl(fd, F_SETOWN, getpid());
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

static void udp_case(int fam) {
	printf("-- %s UDP\n", famname(fam));
	int u = listener(fam, SOCK_DGRAM);
	async_on(u);
	int c = connect_to(fam, SOCK_DGRAM, local_port(u));
	char buf[8];
	for (int i = 0; i < 3; i++) {
		send(c, "x", 1, 0);
		printf("polled: readable %d", !!(waitfor(u, POLLIN) & POLLIN));
		ssize_t n = recv(u, buf, sizeof buf, 0);
		printf(", read %zd, SIGIO pending %d\n", n, take(SIGIO));
		send(c, "y", 1, 0);
		n = recv(u, buf, sizeof buf, 0);
		printf("read at once %zd, SIGIO pending %d\n", n, take(SIGIO));
	}
	fcntl(u, F_SETSIG, RTSIG);
	send(c, "a", 1, 0);
	send(c, "b", 1, 0);
	ssize_t n1 = recv(u, buf, sizeof buf, 0);
	ssize_t n2 = recv(u, buf, sizeof buf, 0);
	/* Linux queues one per datagram; kite may add one for an edge
	 * it takes late. */
	printf("two datagrams read %zd %zd: at least two real-time signals: %d\n", n1, n2, count(RTSIG) >= 2);
	close(c);
	close(u);
}

static void tcp_case(int fam) {
	printf("-- %s TCP\n", famname(fam));
	int ls = listener(fam, SOCK_STREAM);
	async_on(ls);
	int c = connect_to(fam, SOCK_STREAM, local_port(ls));
	int a = accept(ls, NULL, NULL);
	printf("accepted %d, SIGIO pending %d\n", a >= 0, take(SIGIO));
	async_on(c);
	count(SIGIO);
	char buf[8];
	for (int i = 0; i < 3; i++) {
		send(a, "x", 1, 0);
		printf("polled: readable %d", !!(waitfor(c, POLLIN) & POLLIN));
		ssize_t n = recv(c, buf, sizeof buf, 0);
		printf(", read %zd, SIGIO pending %d\n", n, take(SIGIO));
		send(a, "yz", 2, 0);
		n = recv(c, buf, 2, MSG_WAITALL);
		printf("read at once %zd, SIGIO pending %d\n", n, take(SIGIO));
	}
	/* A part of what came: the signal was sent all the same. */
	send(a, "abcd", 4, 0);
	ssize_t n = recv(c, buf, 2, MSG_WAITALL);
	printf("read part %zd, SIGIO pending %d\n", n, take(SIGIO));
	printf("read the rest %zd\n", recv(c, buf, 2, MSG_WAITALL));
	close(a);
	n = recv(c, buf, sizeof buf, 0);
	printf("read at the end %zd, SIGIO pending %d\n", n, take(SIGIO));
	close(c);
	close(ls);
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
		udp_case(fams[i]);
		tcp_case(fams[i]);
	}
	return 0;
}
