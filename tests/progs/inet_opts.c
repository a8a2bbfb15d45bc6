/* INET socket options (SOL_SOCKET, SOL_TCP, SOL_IP, SOL_IPV6) with their
 * defaults, ranges and errors, and dual-stack IPv6: a socket bound to ::
 * accepts IPv4 connections shown as IPv4-mapped addresses unless
 * IPV6_V6ONLY. */
#include "inet_common.h"

#define SHOW(fd, level, name) printf("%s: %d\n", #name, getint(fd, level, name))
#define SET(fd, level, name, v) ICHECK("set " #name " " #v, setint(fd, level, name, v))

static void tcp_options(int fam) {
	printf("== %s\n", famname(fam));
	int s = socket(fam, SOCK_STREAM, 0);
	SHOW(s, SOL_TCP, TCP_NODELAY);
	SET(s, SOL_TCP, TCP_NODELAY, 5);
	SHOW(s, SOL_TCP, TCP_NODELAY);
	SHOW(s, SOL_TCP, TCP_CORK);
	SET(s, SOL_TCP, TCP_CORK, 1);
	SHOW(s, SOL_TCP, TCP_CORK);
	SHOW(s, SOL_TCP, TCP_KEEPIDLE);
	SHOW(s, SOL_TCP, TCP_KEEPINTVL);
	SHOW(s, SOL_TCP, TCP_KEEPCNT);
	SET(s, SOL_TCP, TCP_KEEPIDLE, 30);
	SET(s, SOL_TCP, TCP_KEEPIDLE, 0);
	SET(s, SOL_TCP, TCP_KEEPIDLE, 32768);
	SET(s, SOL_TCP, TCP_KEEPINTVL, 5);
	SET(s, SOL_TCP, TCP_KEEPCNT, 3);
	SET(s, SOL_TCP, TCP_KEEPCNT, 128);
	SHOW(s, SOL_TCP, TCP_KEEPIDLE);
	SHOW(s, SOL_TCP, TCP_KEEPINTVL);
	SHOW(s, SOL_TCP, TCP_KEEPCNT);
	SHOW(s, SOL_TCP, TCP_USER_TIMEOUT);
	SET(s, SOL_TCP, TCP_USER_TIMEOUT, 1500);
	SET(s, SOL_TCP, TCP_USER_TIMEOUT, -1);
	SHOW(s, SOL_TCP, TCP_USER_TIMEOUT);
	SHOW(s, SOL_TCP, TCP_DEFER_ACCEPT);
	SET(s, SOL_TCP, TCP_DEFER_ACCEPT, 5);
	SHOW(s, SOL_TCP, TCP_DEFER_ACCEPT);
	ICHECK("TCP_NODELAY short", setsockopt(s, SOL_TCP, TCP_NODELAY, "", 1));
	ICHECK("unknown SOL_TCP option", getint(s, SOL_TCP, 999));
	SHOW(s, SOL_SOCKET, SO_KEEPALIVE);
	SET(s, SOL_SOCKET, SO_KEEPALIVE, 7);
	SHOW(s, SOL_SOCKET, SO_KEEPALIVE);
	SHOW(s, SOL_SOCKET, SO_REUSEADDR);
	SET(s, SOL_SOCKET, SO_REUSEADDR, 1);
	SHOW(s, SOL_SOCKET, SO_REUSEADDR);
	SET(s, SOL_SOCKET, SO_REUSEPORT, 1);
	SHOW(s, SOL_SOCKET, SO_REUSEPORT);
	struct linger lg = {1, 3};
	ICHECK("SO_LINGER", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	socklen_t ll = sizeof lg;
	memset(&lg, 0, sizeof lg);
	ICHECK("get SO_LINGER", getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &ll));
	printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
	SHOW(s, SOL_SOCKET, SO_ERROR);
	SHOW(s, SOL_SOCKET, SO_ACCEPTCONN);
	SHOW(s, SOL_IP, IP_TTL);
	SET(s, SOL_IP, IP_TTL, 32);
	SET(s, SOL_IP, IP_TTL, 0);
	SET(s, SOL_IP, IP_TTL, 256);
	SHOW(s, SOL_IP, IP_TTL);
	SET(s, SOL_IP, IP_TTL, -1);
	SHOW(s, SOL_IP, IP_TTL);
	SHOW(s, SOL_IP, IP_TOS);
	SET(s, SOL_IP, IP_TOS, 0x13);
	SHOW(s, SOL_IP, IP_TOS);
	SET(s, SOL_IP, IP_RECVERR, 1);
	SHOW(s, SOL_IP, IP_RECVERR);
	if (fam == AF_INET6) {
		SHOW(s, SOL_IPV6, IPV6_V6ONLY);
		SET(s, SOL_IPV6, IPV6_V6ONLY, 1);
		SHOW(s, SOL_IPV6, IPV6_V6ONLY);
		SET(s, SOL_IPV6, IPV6_TCLASS, 0x20);
		SHOW(s, SOL_IPV6, IPV6_TCLASS);
		SHOW(s, SOL_IPV6, IPV6_UNICAST_HOPS);
		SET(s, SOL_IPV6, IPV6_UNICAST_HOPS, 7);
		SHOW(s, SOL_IPV6, IPV6_UNICAST_HOPS);
	} else {
		ICHECK("SOL_IPV6 on AF_INET", getint(s, SOL_IPV6, IPV6_V6ONLY));
	}
	iaddr a;
	socklen_t alen = loopback(&a, fam, 0);
	bind(s, &a.sa, alen);
	if (fam == AF_INET6)
		SET(s, SOL_IPV6, IPV6_V6ONLY, 0);
	close(s);

	/* on a connection */
	int l = listener(fam, SOCK_STREAM);
	int c = connect_to(fam, SOCK_STREAM, local_port(l));
	int t = accept(l, NULL, NULL);
	SHOW(t, SOL_SOCKET, SO_KEEPALIVE);
	SET(c, SOL_TCP, TCP_NODELAY, 1);
	SET(c, SOL_TCP, TCP_QUICKACK, 1);
	struct tcp_info ti;
	socklen_t tl = sizeof ti;
	ICHECK("TCP_INFO", getsockopt(c, SOL_TCP, TCP_INFO, &ti, &tl));
	printf("tcpi_state %d len ok %d\n", ti.tcpi_state, tl >= 104);
	close(c);
	close(t);
	close(l);
}

static void dual_stack(void) {
	printf("== dual stack\n");
	int l = socket(AF_INET6, SOCK_STREAM, 0);
	iaddr a;
	memset(&a, 0, sizeof a);
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_addr = in6addr_any;
	ICHECK("bind ::", bind(l, &a.sa, sizeof a.in6));
	ICHECK("listen", listen(l, 4));
	int port = local_port(l);
	int c = connect_to(AF_INET, SOCK_STREAM, port);
	iaddr p;
	socklen_t pl = sizeof p;
	int s = accept(l, &p.sa, &pl);
	printf("accepted IPv4 client as %s len %d family6 %d\n", addrstr(&p), pl, p.sa.sa_family == AF_INET6);
	pl = sizeof p;
	getsockname(s, &p.sa, &pl);
	printf("server side name %s\n", addrstr(&p));
	ICHECK("send", send(c, "v4", 2, 0));
	char buf[8] = {0};
	ICHECK("recv", recv(s, buf, sizeof buf, 0));
	close(c);
	close(s);
	close(l);

	/* IPV6_V6ONLY: IPv4 clients are refused */
	l = socket(AF_INET6, SOCK_STREAM, 0);
	SET(l, SOL_IPV6, IPV6_V6ONLY, 1);
	ICHECK("bind :: v6only", bind(l, &a.sa, sizeof a.in6));
	listen(l, 4);
	port = local_port(l);
	c = socket(AF_INET, SOCK_STREAM, 0);
	socklen_t alen = loopback(&a, AF_INET, port);
	ICHECK("IPv4 connect to v6only", connect(c, &a.sa, alen));
	close(c);
	/* an IPv4-mapped address on an AF_INET6 socket */
	c = socket(AF_INET6, SOCK_STREAM, 0);
	SET(c, SOL_IPV6, IPV6_V6ONLY, 1);
	memset(&a, 0, sizeof a);
	a.in6.sin6_family = AF_INET6;
	a.in6.sin6_port = htons(port);
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a.in6.sin6_addr);
	ICHECK("v6only connect to mapped", connect(c, &a.sa, sizeof a.in6));
	close(c);
	close(l);
}

int main(void) {
	tcp_options(AF_INET);
	tcp_options(AF_INET6);
	dual_stack();
	return 0;
}
