/* connect(AF_UNSPEC) on an accepted TCP socket: the peer gets a RST,
 * the socket keeps the address its listener's bind named (getsockname
 * shows it with the old port) but not the port, which another socket
 * can bind once the listener is gone; the socket binds or connects
 * again, from that address. On 127.0.0.1 and ::1. */
#include "inet_common.h"

static void name(const char *label, int fd, int port) {
	iaddr a;
	socklen_t l = sizeof a;
	if (getsockname(fd, &a.sa, &l) < 0) {
		printf("  %s: getsockname %s\n", label, ierrname(errno));
		return;
	}
	printf("  %s: %s, %s\n", label, addrstr(&a),
	       port_of(&a) == port ? "the listener's port" : port_of(&a) ? "another port" : "port 0");
}

static void unspec(int fd) {
	struct sockaddr u = {.sa_family = AF_UNSPEC};
	printf("  connect(AF_UNSPEC): %s\n", connect(fd, &u, sizeof u) < 0 ? ierrname(errno) : "0");
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int ln = listener(fam, SOCK_STREAM);
	int port = local_port(ln);
	int c = connect_to(fam, SOCK_STREAM, port);
	int fd = accept(ln, NULL, NULL);
	name("accepted", fd, port);
	unspec(fd);
	name("after", fd, port);
	char b;
	ssize_t n = read(c, &b, 1);
	printf("  peer's read: %s\n", n < 0 ? ierrname(errno) : n ? "data" : "EOF");
	close(c);
	pollmask("  after", fd, POLLIN | POLLOUT);
	close(ln);

	iaddr a;
	socklen_t l = loopback(&a, fam, port);
	int other = socket(fam, SOCK_STREAM, 0);
	printf("  another socket binds the port: %s\n", bind(other, &a.sa, l) < 0 ? ierrname(errno) : "ok");
	close(other);

	int ln2 = listener(fam, SOCK_STREAM);
	int port2 = local_port(ln2);
	l = loopback(&a, fam, port2);
	printf("  connect to another listener: %s\n", connect(fd, &a.sa, l) < 0 ? ierrname(errno) : "0");
	int c2 = accept(ln2, NULL, NULL);
	iaddr p;
	socklen_t pl = sizeof p;
	getpeername(c2, &p.sa, &pl);
	printf("  it sees the connection from %s\n", addrstr(&p));
	close(c2);
	close(fd);

	/* An accepted socket disconnected then bound elsewhere. */
	c = connect_to(fam, SOCK_STREAM, port2);
	fd = accept(ln2, NULL, NULL);
	unspec(fd);
	l = loopback(&a, fam, 0);
	printf("  bind after the disconnect: %s\n", bind(fd, &a.sa, l) < 0 ? ierrname(errno) : "ok");
	name("bound", fd, port2);
	close(fd);
	close(c);
	close(ln2);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
