/* TCP over 127.0.0.1 and ::1: socket creation errors, bind errors
 * (EINVAL, EAFNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE), ephemeral ports,
 * listen/accept4/connect, ECONNREFUSED, EISCONN, addresses, send/recv
 * flags, shutdown half-close, readiness, RST on close with unread data,
 * non-blocking connect with EINPROGRESS and SO_ERROR. */
#include "inet_common.h"

static void names(int fam, int c, int s) {
	iaddr cl, cp, sl, sp;
	socklen_t l1 = sizeof cl, l2 = sizeof cp, l3 = sizeof sl, l4 = sizeof sp;
	getsockname(c, &cl.sa, &l1);
	getpeername(c, &cp.sa, &l2);
	getsockname(s, &sl.sa, &l3);
	getpeername(s, &sp.sa, &l4);
	printf("client name %s len %d family ok %d; peer %s\n", addrstr(&cl), l1, cl.sa.sa_family == fam, addrstr(&cp));
	printf("client port = server peer port %d; server port = client peer port %d\n",
	       port_of(&cl) == port_of(&sp), port_of(&sl) == port_of(&cp));
	printf("client port ephemeral %d\n", port_of(&cl) >= 32768 && port_of(&cl) <= 60999);
}

static void run(int fam) {
	char buf[256];
	iaddr a;
	socklen_t alen;
	printf("== %s\n", famname(fam));

	/* bind errors */
	int s = socket(fam, SOCK_STREAM, 0);
	alen = loopback(&a, fam, 0);
	ICHECK("bind short", bind(s, &a.sa, fam == AF_INET ? 8 : 20));
	a.sa.sa_family = AF_UNIX;
	ICHECK("bind wrong family", bind(s, &a.sa, alen));
	alen = loopback(&a, fam, 0);
	if (fam == AF_INET)
		a.in.sin_addr.s_addr = htonl(0x0a010203);
	else
		a.in6.sin6_addr.s6_addr[0] = 0x20;
	ICHECK("bind foreign address", bind(s, &a.sa, alen));
	alen = sizeof a;
	ICHECK("getsockname unbound", getsockname(s, &a.sa, &alen));
	printf("unbound: %s port %d len %d\n", addrstr(&a), port_of(&a), alen);
	ICHECK("getpeername unbound", getpeername(s, &a.sa, &alen));
	ICHECK("listen unbound", listen(s, 4));
	printf("listen unbound picked a port %d\n", local_port(s) > 0);
	close(s);

	int l = listener(fam, SOCK_STREAM);
	int port = local_port(l);
	printf("listener port ephemeral %d\n", port >= 32768 && port <= 60999);
	printf("SO_ACCEPTCONN %d TCP_INFO state %d\n", getint(l, SOL_SOCKET, SO_ACCEPTCONN), ({
		struct tcp_info ti; socklen_t tl = sizeof ti; getsockopt(l, SOL_TCP, TCP_INFO, &ti, &tl); ti.tcpi_state; }));
	s = socket(fam, SOCK_STREAM, 0);
	alen = loopback(&a, fam, port);
	ICHECK("bind in use", bind(s, &a.sa, alen));
	ICHECK("SO_REUSEADDR", setint(s, SOL_SOCKET, SO_REUSEADDR, 1));
	ICHECK("bind in use, SO_REUSEADDR, listener", bind(s, &a.sa, alen));
	ICHECK("bind twice", ({ alen = loopback(&a, fam, 0); bind(s, &a.sa, alen) < 0 ? -1 : bind(s, &a.sa, alen); }));
	close(s);

	/* refused */
	s = socket(fam, SOCK_STREAM, 0);
	alen = loopback(&a, fam, unused_port(fam));
	ICHECK("connect refused", connect(s, &a.sa, alen));
	ICHECK("SO_ERROR after refused", getint(s, SOL_SOCKET, SO_ERROR));
	close(s);

	/* connect and accept */
	int c = connect_to(fam, SOCK_STREAM, port);
	alen = loopback(&a, fam, port);
	ICHECK("connect again", connect(c, &a.sa, alen));
	iaddr peer;
	socklen_t plen = sizeof peer;
	s = accept4(l, &peer.sa, &plen, SOCK_CLOEXEC);
	printf("accept4: fd ok %d cloexec %d peer %s len %d\n", s >= 0, fcntl(s, F_GETFD), addrstr(&peer), plen);
	names(fam, c, s);
	printf("TCP_INFO state %d SO_ACCEPTCONN %d\n", ({
		struct tcp_info ti; socklen_t tl = sizeof ti; getsockopt(s, SOL_TCP, TCP_INFO, &ti, &tl); ti.tcpi_state; }),
	       getint(s, SOL_SOCKET, SO_ACCEPTCONN));
	fcntl(l, F_SETFL, O_NONBLOCK);
	ICHECK("accept nonblocking", accept(l, NULL, NULL));
	fcntl(l, F_SETFL, 0);
	ICHECK("accept on connected", accept(c, NULL, NULL));
	ICHECK("listen on connected", listen(c, 1));

	/* data */
	pollmask("server idle", s, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("recv MSG_DONTWAIT empty", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	ICHECK("send", send(c, "hello world", 11, 0));
	waitfor(s, POLLIN);
	pollmask("server data", s, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("FIONREAD", ({ int n = -1; ioctl(s, FIONREAD, &n) < 0 ? -1 : n; }));
	ICHECK("recv MSG_PEEK", recv(s, buf, 5, MSG_PEEK));
	ICHECK("recv 0", recv(s, buf, 0, 0));
	memset(buf, 0, sizeof buf);
	ICHECK("recv 5", recv(s, buf, 5, 0));
	ICHECK("recv rest", recv(s, buf + 5, sizeof buf, 0));
	printf("got %s\n", buf);
	struct iovec iov[2] = {{"ab", 2}, {"cdef", 4}};
	ICHECK("writev", writev(s, iov, 2));
	memset(buf, 0, sizeof buf);
	ICHECK("recv MSG_WAITALL", recv(c, buf, 6, MSG_WAITALL));
	printf("got %s\n", buf);
	ICHECK("send bad buffer", send(c, BADPTR, 4, 0));
	ICHECK("recv bad buffer", ({ send(s, "x", 1, 0); waitfor(c, POLLIN); recv(c, BADPTR, 1, 0); }));
	ICHECK("recv after EFAULT", recv(c, buf, sizeof buf, 0));
	/* read(2) and write(2): host sockets move their bytes in place */
	ICHECK("write bad buffer", write(c, BADPTR, 4));
	ICHECK("read bad buffer", ({ send(s, "z", 1, 0); waitfor(c, POLLIN); read(c, BADPTR, 1); }));
	ICHECK("read after EFAULT", read(c, buf, sizeof buf));
	ICHECK("sendto with address", sendto(c, "y", 1, 0, &a.sa, alen));
	ICHECK("recvfrom", ({ waitfor(s, POLLIN); plen = sizeof peer; recvfrom(s, buf, sizeof buf, 0, &peer.sa, &plen); }));
	printf("recvfrom addrlen %d\n", plen);

	/* half-close */
	ICHECK("shutdown SHUT_WR", shutdown(c, SHUT_WR));
	waitfor(s, POLLRDHUP);
	pollmask("server after client SHUT_WR", s, POLLIN | POLLOUT | POLLRDHUP);
	pollmask("client after SHUT_WR", c, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("server recv EOF", recv(s, buf, sizeof buf, 0));
	ICHECK("client send after SHUT_WR", send(c, "z", 1, MSG_NOSIGNAL));
	ICHECK("server send after half-close", send(s, "back", 4, 0));
	ICHECK("client recv after half-close", ({ waitfor(c, POLLIN); recv(c, buf, sizeof buf, 0); }));
	close(s);
	waitfor(c, POLLHUP);
	pollmask("client after server close", c, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("client recv EOF", recv(c, buf, sizeof buf, 0));
	close(c);

	/* RST: the server closes with unread data */
	c = connect_to(fam, SOCK_STREAM, port);
	s = accept(l, NULL, NULL);
	ICHECK("send to be left unread", send(c, "unread", 6, 0));
	waitfor(s, POLLIN);
	close(s);
	waitfor(c, POLLERR);
	pollmask("client after RST", c, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("recv after RST", recv(c, buf, sizeof buf, 0));
	ICHECK("recv after RST again", recv(c, buf, sizeof buf, 0));
	ICHECK("send after RST", send(c, "x", 1, MSG_NOSIGNAL));
	close(c);

	/* SO_LINGER 0: close sends RST */
	c = connect_to(fam, SOCK_STREAM, port);
	s = accept(l, NULL, NULL);
	struct linger lg = {1, 0};
	ICHECK("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	close(s);
	waitfor(c, POLLERR);
	ICHECK("recv after linger-0 close", recv(c, buf, sizeof buf, 0));
	close(c);

	/* non-blocking connect */
	c = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	alen = loopback(&a, fam, port);
	int r = connect(c, &a.sa, alen);
	printf("nonblocking connect: %s\n", r == 0 ? "0" : ierrname(errno));
	printf("writable %d\n", (waitfor(c, POLLOUT) & POLLOUT) != 0);
	ICHECK("SO_ERROR", getint(c, SOL_SOCKET, SO_ERROR));
	ICHECK("connect after completion", connect(c, &a.sa, alen));
	s = accept(l, NULL, NULL);
	close(s);
	close(c);
	c = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
	alen = loopback(&a, fam, unused_port(fam));
	r = connect(c, &a.sa, alen);
	printf("nonblocking connect refused: %s\n", r == 0 ? "0" : ierrname(errno));
	waitfor(c, POLLOUT);
	pollmask("refused", c, POLLIN | POLLOUT | POLLRDHUP);
	ICHECK("SO_ERROR refused", getint(c, SOL_SOCKET, SO_ERROR));
	ICHECK("SO_ERROR cleared", getint(c, SOL_SOCKET, SO_ERROR));
	close(c);
	close(l);
}

int main(void) {
	signal(SIGPIPE, SIG_IGN);
	ICHECK("socket(AF_INET, SOCK_SEQPACKET)", socket(AF_INET, SOCK_SEQPACKET, 0));
	ICHECK("socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	ICHECK("socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP)", socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP));
	ICHECK("socketpair(AF_INET)", ({ int sv[2]; socketpair(AF_INET, SOCK_STREAM, 0, sv); }));
	int s = socket(AF_INET6, SOCK_STREAM, 0);
	printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d\n", getint(s, SOL_SOCKET, SO_TYPE),
	       getint(s, SOL_SOCKET, SO_DOMAIN), getint(s, SOL_SOCKET, SO_PROTOCOL));
	close(s);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
