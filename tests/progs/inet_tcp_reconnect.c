/* A TCP socket whose connect was refused connects again: Linux's
 * __inet_stream_connect disconnects a socket whose connection failed,
 * so it is a new socket to connect (a blocking connect's failure does
 * that at once; a non-blocking one's the next connect does, failing
 * with the error SO_ERROR has not taken, else ECONNABORTED). The
 * failed socket still shows its port and the address bind named. A
 * connection reset after connect returned 0 leaves it connected
 * (EISCONN). On 127.0.0.1 and ::1. */
#include "inet_common.h"

/* name prints the socket's address and whether its port is 0. */
static void name(const char *label, int fd) {
	iaddr a;
	socklen_t l = sizeof a;
	if (getsockname(fd, &a.sa, &l) < 0) {
		printf("  %s: getsockname %s\n", label, ierrname(errno));
		return;
	}
	printf("  %s: name %s, port %s\n", label, addrstr(&a), port_of(&a) ? "set" : "0");
}

static int conn(int fd, int fam, int port) {
	iaddr a;
	socklen_t l = loopback(&a, fam, port);
	return connect(fd, &a.sa, l) < 0 ? errno : 0;
}

/* exchange checks the connection of fd, accepted on ln, both ways. */
static void exchange(int fd, int ln) {
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	int c = accept(ln, NULL, NULL);
	char b = 0;
	int ok = c >= 0 && write(fd, "a", 1) == 1 && read(c, &b, 1) == 1 && b == 'a' &&
		 write(c, "b", 1) == 1 && read(fd, &b, 1) == 1 && b == 'b';
	printf("  exchange: %s\n", ok ? "ok" : "failed");
	if (c >= 0)
		close(c);
}

/* reset_peer accepts fd's connection on ln and closes it with a RST
 * (SO_LINGER 0), then waits until fd has it. */
static void reset_peer(int fd, int ln) {
	int c = accept(ln, NULL, NULL);
	struct linger lg = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(c);
	struct pollfd p = {fd, POLLIN, 0};
	poll(&p, 1, -1);
}

static void soerror(const char *label, int fd) {
	int e = getint(fd, SOL_SOCKET, SO_ERROR);
	printf("  %s: SO_ERROR %s\n", label, e ? ierrname(e) : "0");
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int ln = listener(fam, SOCK_STREAM);
	int port = local_port(ln);
	int closed = unused_port(fam);

	/* Blocking. */
	int fd = socket(fam, SOCK_STREAM, 0);
	int e = conn(fd, fam, closed);
	printf("  blocking connect to a closed port: %s\n", e ? ierrname(e) : "0");
	name("after", fd);
	soerror("after", fd);
	pollmask("  after", fd, POLLIN | POLLOUT);
	e = conn(fd, fam, port);
	printf("  connect again, to a listener: %s\n", e ? ierrname(e) : "0");
	if (!e)
		exchange(fd, ln);
	e = conn(fd, fam, port);
	printf("  and again: %s\n", e ? ierrname(e) : "0");
	close(fd);

	/* Blocking, bound to a port. */
	fd = socket(fam, SOCK_STREAM, 0);
	iaddr a;
	socklen_t l = loopback(&a, fam, 0);
	bind(fd, &a.sa, l);
	int bound = local_port(fd);
	e = conn(fd, fam, closed);
	printf("  socket bound to port 0, connect to a closed port: %s\n", e ? ierrname(e) : "0");
	name("after", fd);
	printf("  keeps its port: %s\n", local_port(fd) == bound ? "yes" : "no");
	e = conn(fd, fam, port);
	printf("  connect again: %s\n", e ? ierrname(e) : "0");
	if (!e) {
		exchange(fd, ln);
		name("connected", fd);
	}
	close(fd);

	/* Non-blocking, SO_ERROR read. */
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	e = conn(fd, fam, closed);
	printf("  non-blocking connect to a closed port: %s\n", e == EINPROGRESS || e == ECONNREFUSED ? "EINPROGRESS or ECONNREFUSED" : ierrname(e));
	if (e == EINPROGRESS) {
		waitfor(fd, POLLOUT);
		soerror("once done", fd);
	} else {
		printf("  once done: SO_ERROR ECONNREFUSED\n");
	}
	e = conn(fd, fam, port);
	printf("  connect again: %s\n", e ? ierrname(e) : "0");
	e = conn(fd, fam, port);
	printf("  and again: %s\n", e == EINPROGRESS || e == 0 ? "0 or EINPROGRESS" : ierrname(e));
	if (e == EINPROGRESS || e == 0) {
		waitfor(fd, POLLOUT);
		soerror("once done", fd);
		exchange(fd, ln);
	}
	close(fd);

	/* Non-blocking, SO_ERROR not read. */
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	e = conn(fd, fam, closed);
	if (e == EINPROGRESS) {
		waitfor(fd, POLLOUT);
		e = conn(fd, fam, port);
		printf("  non-blocking, refused, connect again without SO_ERROR: %s\n", e ? ierrname(e) : "0");
	} else {
		printf("  non-blocking, refused, connect again without SO_ERROR: ECONNREFUSED\n");
	}
	e = conn(fd, fam, port);
	printf("  and again: %s\n", e == EINPROGRESS || e == 0 ? "0 or EINPROGRESS" : ierrname(e));
	if (e == EINPROGRESS || e == 0) {
		waitfor(fd, POLLOUT);
		soerror("once done", fd);
		exchange(fd, ln);
	}
	close(fd);

	/* A connection reset by its peer once connect gave it: connected
	 * for good. */
	fd = socket(fam, SOCK_STREAM, 0);
	e = conn(fd, fam, port);
	printf("  blocking connect: %s\n", e ? ierrname(e) : "0");
	reset_peer(fd, ln);
	e = conn(fd, fam, port);
	printf("  reset by the peer, connect again: %s\n", e ? ierrname(e) : "0");
	close(fd);

	/* Reset before a second connect told the program it was made. */
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	e = conn(fd, fam, port);
	printf("  non-blocking connect: %s\n", e ? ierrname(e) : "0");
	waitfor(fd, POLLOUT);
	reset_peer(fd, ln);
	e = conn(fd, fam, port);
	printf("  reset by the peer, connect again: %s\n", e ? ierrname(e) : "0");
	soerror("then", fd);
	e = conn(fd, fam, port);
	printf("  and again: %s\n", e == EINPROGRESS || e == 0 ? "0 or EINPROGRESS" : ierrname(e));
	if (e == EINPROGRESS || e == 0) {
		waitfor(fd, POLLOUT);
		soerror("once done", fd);
		exchange(fd, ln);
	}
	close(fd);
	close(ln);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
