/* UDP over 127.0.0.1 and ::1: message boundaries, MSG_TRUNC, MSG_PEEK,
 * FIONREAD, zero-length datagrams, sender addresses, connect and
 * AF_UNSPEC disconnect, EDESTADDRREQ, EMSGSIZE, ECONNREFUSED from an
 * ICMP port unreachable, readiness. */
#include "inet_common.h"

static void run(int fam) {
	char buf[256];
	iaddr a, from;
	socklen_t alen, flen;
	printf("== %s\n", famname(fam));
	int r = listener(fam, SOCK_DGRAM);
	int rport = local_port(r);
	int s = socket(fam, SOCK_DGRAM, 0);
	pollmask("idle", r, POLLIN | POLLOUT);
	alen = loopback(&a, fam, rport);
	ICHECK("send unconnected", send(s, "x", 1, 0));
	ICHECK("sendto 1", sendto(s, "first", 5, 0, &a.sa, alen));
	printf("sender got a port %d\n", local_port(s) > 0);
	ICHECK("sendto 2", sendto(s, "second message", 14, 0, &a.sa, alen));
	ICHECK("sendto empty", sendto(s, "", 0, 0, &a.sa, alen));
	waitfor(r, POLLIN);
	pollmask("queued", r, POLLIN | POLLOUT);
	ICHECK("FIONREAD", ({ int n = -1; ioctl(r, FIONREAD, &n) < 0 ? -1 : n; }));
	ICHECK("recv MSG_PEEK 3", recv(r, buf, 3, MSG_PEEK));
	flen = sizeof from;
	memset(buf, 0, sizeof buf);
	ICHECK("recvfrom", recvfrom(r, buf, sizeof buf, 0, &from.sa, &flen));
	printf("got %s from %s port matches %d len %d\n", buf, addrstr(&from), port_of(&from) == local_port(s), flen);
	struct iovec iov = {buf, 3};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ICHECK("recvmsg short", recvmsg(r, &m, 0));
	printf("msg_flags MSG_TRUNC %d\n", (m.msg_flags & MSG_TRUNC) != 0);
	ICHECK("recv empty datagram", recv(r, buf, sizeof buf, 0));
	ICHECK("recv nothing", recv(r, buf, sizeof buf, MSG_DONTWAIT));
	ICHECK("sendto 3", sendto(s, "truncated", 9, 0, &a.sa, alen));
	ICHECK("recv MSG_TRUNC", ({ waitfor(r, POLLIN); recv(r, buf, 2, MSG_TRUNC); }));

	/* sizes */
	static char big[65536];
	ICHECK("sendto 65507", sendto(s, big, 65507, 0, &a.sa, alen));
	ICHECK("recv 65507", ({ waitfor(r, POLLIN); recv(r, big, sizeof big, 0); }));
	ICHECK("sendto 65536", sendto(s, big, 65536, 0, &a.sa, alen));

	/* connected */
	ICHECK("connect", connect(s, &a.sa, alen));
	ICHECK("send connected", send(s, "c", 1, 0));
	ICHECK("recv", ({ waitfor(r, POLLIN); recv(r, buf, sizeof buf, 0); }));
	flen = sizeof from;
	ICHECK("getpeername", getpeername(s, &from.sa, &flen));
	printf("peer port matches %d\n", port_of(&from) == rport);
	/* r, not connected to s, answers; s receives only from its peer */
	int other = socket(fam, SOCK_DGRAM, 0);
	iaddr sa;
	socklen_t salen = sizeof sa;
	getsockname(s, &sa.sa, &salen);
	ICHECK("sendto from a stranger", sendto(other, "stranger", 8, 0, &sa.sa, salen));
	ICHECK("sendto from the peer", sendto(r, "peer", 4, 0, &sa.sa, salen));
	memset(buf, 0, sizeof buf);
	ICHECK("recv connected", ({ waitfor(s, POLLIN); recv(s, buf, sizeof buf, 0); }));
	printf("got %s\n", buf);
	close(other);
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	ICHECK("connect AF_UNSPEC", connect(s, &un, sizeof un));
	ICHECK("getpeername after disconnect", getpeername(s, &from.sa, &flen));

	/* ECONNREFUSED from the ICMP port unreachable */
	alen = loopback(&a, fam, unused_port(fam));
	ICHECK("connect to closed port", connect(s, &a.sa, alen));
	ICHECK("send to closed port", send(s, "x", 1, 0));
	waitfor(s, POLLERR);
	pollmask("after port unreachable", s, POLLIN | POLLOUT);
	ICHECK("recv ECONNREFUSED", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	ICHECK("recv again", recv(s, buf, sizeof buf, MSG_DONTWAIT));
	ICHECK("shutdown", shutdown(s, SHUT_RDWR));
	close(s);
	close(r);
}

int main(void) {
	run(AF_INET);
	run(AF_INET6);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	printf("SO_TYPE %d SO_PROTOCOL %d\n", getint(s, SOL_SOCKET, SO_TYPE), getint(s, SOL_SOCKET, SO_PROTOCOL));
	ICHECK("listen on UDP", listen(s, 1));
	ICHECK("accept on UDP", accept(s, NULL, NULL));
	ICHECK("getsockopt SOL_TCP on UDP", getint(s, SOL_TCP, TCP_NODELAY));
	return 0;
}
