/* A TCP socket bound to the any address (0.0.0.0, ::) and then
 * connected over loopback holds its port only while it lives: once the
 * connection is reset and the socket closed, the port can be bound
 * again; connect(AF_UNSPEC) on such a connection keeps a port bind
 * named. */
#include "inet_common.h"

/* anyaddr fills a with the any address of fam and port. */
static socklen_t anyaddr(iaddr *a, int fam, int port) {
	memset(a, 0, sizeof *a);
	if (fam == AF_INET) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons(port);
		return sizeof a->in;
	}
	a->in6.sin6_family = AF_INET6;
	a->in6.sin6_port = htons(port);
	return sizeof a->in6;
}

/* bound_any returns a TCP socket bound to the any address and port. */
static int bound_any(int fam, int port, const char *label) {
	iaddr a;
	int fd = socket(fam, SOCK_STREAM, 0);
	socklen_t l = anyaddr(&a, fam, port);
	errno = 0;
	int r = bind(fd, &a.sa, l);
	if (label)
		printf("  %s: bind: %s\n", label, r < 0 ? errname(errno) : "ok");
	return fd;
}

static void connect_lo(int fd, int fam, int port, const char *label) {
	iaddr a;
	socklen_t l = loopback(&a, fam, port);
	printf("  %s: connect: %s\n", label, connect(fd, &a.sa, l) < 0 ? errname(errno) : "ok");
}

/* reset closes a with a RST and waits for fd to take it. */
static void reset(int a, int fd, const char *label) {
	struct linger lg = {1, 0};
	char c;
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(a);
	waitfor(fd, POLLIN);
	long n = recv(fd, &c, 1, 0);
	printf("  %s: recv: %s\n", label, n < 0 ? errname(errno) : "data");
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int ln = listener(fam, SOCK_STREAM);
	int lport = local_port(ln);

	/* an automatic port on the any address, reset, closed */
	int c = bound_any(fam, 0, "auto");
	int p = local_port(c);
	connect_lo(c, fam, lport, "auto");
	int a = accept(ln, NULL, NULL);
	reset(a, c, "auto");
	close(c);
	c = bound_any(fam, p, "auto again");
	close(c);

	/* a named port: the same */
	c = bound_any(fam, p, "named");
	connect_lo(c, fam, lport, "named");
	a = accept(ln, NULL, NULL);
	reset(a, c, "named");
	close(c);
	c = bound_any(fam, p, "named again");

	/* connect(AF_UNSPEC) on a connection from a named port keeps it */
	connect_lo(c, fam, lport, "unspec");
	a = accept(ln, NULL, NULL);
	struct sockaddr u = {.sa_family = AF_UNSPEC};
	printf("  unspec: connect(AF_UNSPEC): %s\n", connect(c, &u, sizeof u) < 0 ? errname(errno) : "ok");
	printf("  unspec: port after: %s\n", local_port(c) == p ? "same" : "other");
	close(a);
	close(c);
	c = bound_any(fam, p, "unspec again");
	close(c);
	close(ln);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
