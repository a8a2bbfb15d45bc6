/* poll on a TCP socket whose peer reset the connection, over 127.0.0.1
 * and ::1: the reset is an error (POLLERR) until recv or SO_ERROR takes
 * it; then the socket is readable, writable and hung up, and recv and
 * send say so. A refused connect leaves its socket the same. */
#include "inet_common.h"

#define ALL (POLLIN | POLLOUT | POLLPRI | POLLRDHUP)

/* reset_pair returns a socket connected to ln whose peer has reset the
 * connection, after it has arrived. */
static int reset_pair(int fam, int ln) {
	int c = connect_to(fam, SOCK_STREAM, local_port(ln));
	int a = accept(ln, NULL, NULL);
	struct linger lg = {1, 0};
	setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	close(a);
	waitfor(c, POLLIN);
	return c;
}

static void after(const char *label, int c) {
	char b;
	char l[64];
	snprintf(l, sizeof l, "  %s", label);
	pollmask(l, c, ALL);
	long n = recv(c, &b, 1, MSG_DONTWAIT);
	printf("  %s: recv: %s\n", label, n < 0 ? errname(errno) : n == 0 ? "eof" : "data");
	n = send(c, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	printf("  %s: send: %s\n", label, n < 0 ? errname(errno) : "sent");
	pollmask(l, c, ALL);
	int e = getint(c, SOL_SOCKET, SO_ERROR);
	printf("  %s: SO_ERROR: %s\n", label, e == 0 ? "0" : errname(e < 0 ? -e : e));
}

static void run(int fam) {
	char b;
	printf("%s:\n", famname(fam));
	int ln = listener(fam, SOCK_STREAM);

	int c = reset_pair(fam, ln);
	pollmask("  reset", c, ALL);
	long n = recv(c, &b, 1, 0);
	printf("  recv: %s\n", n < 0 ? errname(errno) : "data");
	after("after recv", c);
	close(c);

	c = reset_pair(fam, ln);
	int e = getint(c, SOL_SOCKET, SO_ERROR);
	printf("  SO_ERROR: %s\n", e == 0 ? "0" : errname(e < 0 ? -e : e));
	after("after SO_ERROR", c);
	close(c);

	iaddr u;
	socklen_t ul = loopback(&u, fam, unused_port(fam));
	c = socket(fam, SOCK_STREAM, 0);
	printf("  refused: connect: %s\n", connect(c, &u.sa, ul) < 0 ? errname(errno) : "ok");
	pollmask("  refused", c, ALL);
	e = getint(c, SOL_SOCKET, SO_ERROR);
	printf("  refused: SO_ERROR: %s\n", e == 0 ? "0" : errname(e < 0 ? -e : e));
	close(c);
	close(ln);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
