/* connect(AF_UNSPEC) on UDP sockets as Linux's udp_disconnect: the peer
 * is forgotten (getpeername ENOTCONN, send EDESTADDRREQ, datagrams from
 * anyone arrive again), datagrams already queued stay, options stay; a
 * port the program bound stays bound, an automatic one is given up
 * (getsockname shows port 0), also one bind chose (port 0) or a send
 * took, connected or not; an address bind named stays (and the next
 * send takes a new port on it), and SO_BINDTODEVICE is cleared. */
#include "inet_common.h"

static void name(const char *label, int fd) {
	iaddr a;
	socklen_t l = sizeof a;
	if (getsockname(fd, &a.sa, &l) < 0) {
		printf("  %s: getsockname %s\n", label, errname(errno));
		return;
	}
	char h[64];
	if (a.sa.sa_family == AF_INET)
		inet_ntop(AF_INET, &a.in.sin_addr, h, sizeof h);
	else
		inet_ntop(AF_INET6, &a.in6.sin6_addr, h, sizeof h);
	printf("  %s: %s port %s\n", label, h, port_of(&a) == 0 ? "0" : "set");
}

static void unspec(int fd) {
	struct sockaddr u = {.sa_family = AF_UNSPEC};
	if (connect(fd, &u, sizeof u) < 0)
		printf("  connect(AF_UNSPEC): %s\n", errname(errno));
}

static void recvshow(const char *label, int fd) {
	char buf[64];
	waitfor(fd, POLLIN);
	long n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	if (n < 0) {
		printf("  %s: %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("  %s: \"%s\"\n", label, buf);
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int a = listener(fam, SOCK_DGRAM), b = listener(fam, SOCK_DGRAM);
	/* bound to an explicit port */
	int port = unused_port(fam);
	int s = socket(fam, SOCK_DGRAM, 0);
	iaddr sa;
	socklen_t sl = loopback(&sa, fam, port);
	if (bind(s, &sa.sa, sl) < 0)
		printf("  bind: %s\n", errname(errno));
	setint(s, SOL_SOCKET, SO_RCVBUF, 65536);
	int rcvbuf = getint(s, SOL_SOCKET, SO_RCVBUF);
	iaddr pa;
	socklen_t pl = loopback(&pa, fam, local_port(a));
	connect(s, &pa.sa, pl);
	sendto(a, "from a", 6, 0, &sa.sa, sl);
	sendto(b, "from b, filtered", 16, 0, &sa.sa, sl);
	sendto(a, "from a again", 12, 0, &sa.sa, sl);
	waitfor(s, POLLIN);
	unspec(s);
	printf("  explicit port kept: %s\n", local_port(s) == port ? "yes" : "no");
	iaddr x;
	socklen_t xl = sizeof x;
	printf("  getpeername: %s\n", getpeername(s, &x.sa, &xl) < 0 ? errname(errno) : "ok");
	printf("  SO_RCVBUF kept: %s\n", getint(s, SOL_SOCKET, SO_RCVBUF) == rcvbuf ? "yes" : "no");
	printf("  send: %s\n", send(s, "x", 1, 0) < 0 ? errname(errno) : "sent");
	recvshow("queued before", s);
	recvshow("queued before", s);
	sendto(b, "from b", 6, 0, &sa.sa, sl);
	recvshow("after", s);
	printf("  sendto a: %s\n", sendto(s, "to a", 4, 0, &pa.sa, pl) < 0 ? errname(errno) : "sent");
	recvshow("a got", a);
	printf("  connect again: %s\n", connect(s, &pa.sa, pl) < 0 ? errname(errno) : "ok");
	unspec(s);
	printf("  AF_UNSPEC twice: port kept: %s\n", local_port(s) == port ? "yes" : "no");
	close(s);

	/* an automatic port */
	s = socket(fam, SOCK_DGRAM, 0);
	connect(s, &pa.sa, pl);
	name("connected, automatic port", s);
	unspec(s);
	name("after AF_UNSPEC", s);
	printf("  sendto a: %s\n", sendto(s, "to a 2", 6, 0, &pa.sa, pl) < 0 ? errname(errno) : "sent");
	recvshow("a got", a);
	name("after sending", s);
	close(s);

	/* bound to the loopback address with port 0 */
	s = socket(fam, SOCK_DGRAM, 0);
	iaddr ba;
	socklen_t bl = loopback(&ba, fam, 0);
	bind(s, &ba.sa, bl);
	connect(s, &pa.sa, pl);
	unspec(s);
	name("bound to port 0, after AF_UNSPEC", s);
	printf("  bind again: %s\n", bind(s, &ba.sa, bl) < 0 ? errname(errno) : "ok");
	name("bound again", s);
	unspec(s);
	name("never connected, after AF_UNSPEC", s);
	printf("  sendto a: %s\n", sendto(s, "to a 3", 6, 0, &pa.sa, pl) < 0 ? errname(errno) : "sent");
	recvshow("a got", a);
	name("after sending", s);
	close(s);

	/* a port a send took, never connected */
	s = socket(fam, SOCK_DGRAM, 0);
	sendto(s, "to a 4", 6, 0, &pa.sa, pl);
	recvshow("a got", a);
	name("after sending", s);
	unspec(s);
	name("after AF_UNSPEC", s);
	close(s);

	/* SO_BINDTODEVICE (which needs CAP_NET_RAW) is cleared */
	if (geteuid() == 0) {
		s = socket(fam, SOCK_DGRAM, 0);
		setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
		connect(s, &pa.sa, pl);
		unspec(s);
		char dev[16] = {0};
		socklen_t dl = sizeof dev;
		getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, &dl);
		printf("  SO_BINDTODEVICE after AF_UNSPEC: \"%s\"\n", dev);
		close(s);
	}

	/* never connected */
	s = socket(fam, SOCK_DGRAM, 0);
	unspec(s);
	name("never connected", s);
	close(s);
	close(a);
	close(b);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
