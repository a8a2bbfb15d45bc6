/* connect(AF_UNSPEC) on TCP sockets over 127.0.0.1 and ::1 as Linux's
 * tcp_disconnect. A connected socket aborts: the peer gets a reset, what
 * had arrived is dropped, the socket is unconnected (ENOTCONN) with
 * ECONNRESET pending, its automatic port is given up (its name keeps the
 * port) and the address bind named kept, its options stay, and it can
 * connect again. A port the program bound stays bound. A listener stops
 * listening (connections are refused, those not accepted are reset) and
 * keeps the port it bound, and may listen again. A socket never
 * connected takes it without error. */
#include "inet_common.h"

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
	char buf[8];
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

	ln = listener(fam, SOCK_STREAM);
	port = local_port(ln);
	ll = loopback(&la, fam, port);

	/* bound to the loopback address with port 0: the address stays,
	 * the port goes (the name keeps showing it) */
	c = socket(fam, SOCK_STREAM, 0);
	iaddr ba;
	socklen_t bl = loopback(&ba, fam, 0);
	bind(c, &ba.sa, bl);
	connect(c, &la.sa, ll);
	a = accept_one(ln);
	int p = local_port(c);
	unspec("bound address", c);
	iaddr na;
	socklen_t nl = sizeof na;
	getsockname(c, &na.sa, &nl);
	printf("  bound address: name %s, same port: %s\n", addrstr(&na), port_of(&na) == p ? "yes" : "no");
	printf("  bind again: %s\n", bind(c, &ba.sa, bl) < 0 ? errname(errno) : "ok");
	printf("  connect again: %s\n", connect(c, &la.sa, ll) < 0 ? errname(errno) : "ok");
	nl = sizeof na;
	getsockname(c, &na.sa, &nl);
	printf("  bound address: name %s\n", addrstr(&na));
	close(a);
	a = accept_one(ln);
	close(a);
	close(c);

	/* an automatic port: the address goes too */
	c = connect_to(fam, SOCK_STREAM, port);
	a = accept_one(ln);
	unspec("automatic", c);
	nl = sizeof na;
	getsockname(c, &na.sa, &nl);
	printf("  automatic: name %s, port %s\n", addrstr(&na), port_of(&na) ? "set" : "0");
	close(a);
	close(c);

	/* a port the program named stays bound, and options stay */
	bound = -1;
	for (int tries = 0; tries < 50 && bound < 0; tries++) {
		p = unused_port(fam);
		bl = loopback(&ba, fam, p);
		c = socket(fam, SOCK_STREAM, 0);
		if ((bound = bind(c, &ba.sa, bl)) < 0)
			close(c);
	}
	setint(c, SOL_SOCKET, SO_KEEPALIVE, 1);
	setint(c, IPPROTO_TCP, TCP_NODELAY, 1);
	setint(c, IPPROTO_TCP, TCP_KEEPIDLE, 77);
	setint(c, SOL_SOCKET, SO_RCVBUF, 100000);
	int rcvbuf = getint(c, SOL_SOCKET, SO_RCVBUF);
	connect(c, &la.sa, ll);
	a = accept_one(ln);
	shutdown(c, SHUT_WR);
	unspec("named port", c);
	printf("  named port: kept: %s\n", local_port(c) == p ? "yes" : "no");
	int o = socket(fam, SOCK_STREAM, 0);
	printf("  named port: bind by another: %s\n", bind(o, &ba.sa, bl) < 0 ? errname(errno) : "ok");
	close(o);
	printf("  named port: bind again: %s\n", bind(c, &ba.sa, bl) < 0 ? errname(errno) : "ok");
	printf("  options: SO_KEEPALIVE %d TCP_NODELAY %d TCP_KEEPIDLE %d SO_RCVBUF kept %s\n",
	       getint(c, SOL_SOCKET, SO_KEEPALIVE), getint(c, IPPROTO_TCP, TCP_NODELAY),
	       getint(c, IPPROTO_TCP, TCP_KEEPIDLE), getint(c, SOL_SOCKET, SO_RCVBUF) == rcvbuf ? "yes" : "no");
	struct pollfd pf = {c, POLLIN | POLLOUT, 0};
	poll(&pf, 1, 0);
	printf("  poll: %s%s%s%s\n", pf.revents & POLLIN ? " IN" : "", pf.revents & POLLOUT ? " OUT" : "",
	       pf.revents & POLLERR ? " ERR" : "", pf.revents & POLLHUP ? " HUP" : "");
	printf("  send: %s\n", send(c, "x", 1, MSG_NOSIGNAL) < 0 ? errname(errno) : "sent");
	printf("  send: %s\n", send(c, "x", 1, MSG_NOSIGNAL) < 0 ? errname(errno) : "sent");
	printf("  recv: %s\n", recv(c, buf, 1, MSG_DONTWAIT) < 0 ? errname(errno) : "data");
	printf("  connect again: %s\n", connect(c, &la.sa, ll) < 0 ? errname(errno) : "ok");
	printf("  same port: %s\n", local_port(c) == p ? "yes" : "no");
	printf("  send: %s\n", send(c, "x", 1, MSG_NOSIGNAL) < 0 ? errname(errno) : "sent");
	close(a);
	a = accept_one(ln);
	close(a);
	close(c);

	/* a listener with a connection not accepted: it is reset */
	c = connect_to(fam, SOCK_STREAM, port);
	waitfor(ln, POLLIN);
	unspec("listener with a connection", ln);
	int ev2 = waitfor(c, POLLERR);
	printf("  its connection: POLLERR: %s\n", ev2 & POLLERR ? "yes" : "no");
	printf("  its connection: recv: %s\n", recv(c, buf, 1, MSG_DONTWAIT) < 0 ? errname(errno) : "data");
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
