/* connect(AF_UNSPEC) on TCP sockets over 127.0.0.1 and ::1 as Linux's
 * tcp_disconnect (run under kite with --net=host only: kite's own
 * stack, gVisor's tcpip, cannot disconnect a TCP endpoint). A connected
 * socket aborts: the peer gets a reset, what had arrived is dropped, the
 * socket is unconnected (ENOTCONN), its automatic port is given up, and
 * it can connect again. A listener stops listening (connections are
 * refused) and keeps the port it bound, and may listen again. A socket
 * never connected takes it without error. */
#include "../progs/inet_common.h"

static void unspec(const char *label, int fd) {
	struct sockaddr u = {.sa_family = AF_UNSPEC};
	printf("  %s: connect(AF_UNSPEC): %s\n", label, connect(fd, &u, sizeof u) < 0 ? errname(errno) : "ok");
}

static void peer(const char *label, int fd) {
	iaddr x;
	socklen_t xl = sizeof x;
	printf("  %s: getpeername: %s\n", label, getpeername(fd, &x.sa, &xl) < 0 ? errname(errno) : "ok");
}

static void recvshow(const char *label, int fd) {
	char buf[64];
	long n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	if (n < 0) {
		printf("  %s: recv: %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("  %s: recv: \"%s\"\n", label, buf);
}

static int accept_one(int ln) {
	waitfor(ln, POLLIN);
	return accept4(ln, NULL, NULL, SOCK_NONBLOCK);
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int ln = listener(fam, SOCK_STREAM);
	int port = local_port(ln);
	iaddr la;
	socklen_t ll = loopback(&la, fam, port);

	/* a connected socket with data waiting on both sides */
	int c = connect_to(fam, SOCK_STREAM, port);
	int a = accept_one(ln);
	send(a, "to c", 4, 0);
	send(c, "to a", 4, 0);
	waitfor(c, POLLIN);
	waitfor(a, POLLIN);
	unspec("connected", c);
	peer("connected", c);
	printf("  connected: port after: %s\n", local_port(c) == 0 ? "0" : "set");
	int e = getint(c, SOL_SOCKET, SO_ERROR);
	printf("  connected: SO_ERROR: %s\n", e == 0 ? "0" : errname(e < 0 ? -e : e));
	recvshow("connected", c);
	/* the peer has the reset once it arrives; what it had received
	 * before stays to be read first */
	recvshow("peer", a);
	int ev = waitfor(a, POLLERR);
	printf("  peer: POLLERR: %s\n", ev & POLLERR ? "yes" : "no");
	recvshow("peer after", a);
	close(a);
	/* and connects again */
	printf("  connect again: %s\n", connect(c, &la.sa, ll) < 0 ? errname(errno) : "ok");
	a = accept_one(ln);
	send(c, "again", 5, 0);
	waitfor(a, POLLIN);
	recvshow("peer of the new connection", a);
	close(a);
	close(c);

	close(ln);

	/* a listener bound to a port of its choosing */
	/* Another test may take the unused port before the bind: pick
	 * again then. */
	int bound = -1;
	for (int tries = 0; tries < 50 && bound < 0; tries++) {
		port = unused_port(fam);
		ll = loopback(&la, fam, port);
		ln = socket(fam, SOCK_STREAM, 0);
		if ((bound = bind(ln, &la.sa, ll)) < 0)
			close(ln);
	}
	if (bound < 0 || listen(ln, 4) < 0)
		printf("  listener: %s\n", errname(errno));
	unspec("listener", ln);
	printf("  listener: port kept: %s\n", local_port(ln) == port ? "yes" : "no");
	c = socket(fam, SOCK_STREAM, 0);
	printf("  connect to it: %s\n", connect(c, &la.sa, ll) < 0 ? errname(errno) : "ok");
	close(c);
	printf("  listen again: %s\n", listen(ln, 4) < 0 ? errname(errno) : "ok");
	c = socket(fam, SOCK_STREAM, 0);
	int cr = connect(c, &la.sa, ll);
	printf("  connect to it: %s\n", cr < 0 ? errname(errno) : "ok");
	/* Without a connection, accept would wait for ever. */
	a = cr < 0 ? -1 : accept_one(ln);
	printf("  accepted: %s\n", a < 0 ? errname(errno) : "yes");
	close(a);
	close(c);
	close(ln);

	/* never connected */
	c = socket(fam, SOCK_STREAM, 0);
	unspec("never connected", c);
	peer("never connected", c);
	close(c);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
