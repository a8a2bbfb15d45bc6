/* connect(AF_UNSPEC) on a UDP socket with datagrams queued, as Linux's
 * udp_disconnect: a port the program did not name is given up at once
 * (getsockname shows port 0, another socket can bind it) while the
 * queued datagrams stay to be received, with their source, control
 * messages, MSG_PEEK, MSG_TRUNC and FIONREAD as before; the next send
 * takes a new port. On 127.0.0.1 and ::1, for a port connect chose and
 * one bind chose (port 0). */
#include "inet_common.h"
#include <net/if.h>

static void name(const char *label, int fd) {
	iaddr a;
	socklen_t l = sizeof a;
	if (getsockname(fd, &a.sa, &l) < 0) {
		printf("  %s: getsockname %s\n", label, ierrname(errno));
		return;
	}
	printf("  %s: %s port %s\n", label, addrstr(&a), port_of(&a) == 0 ? "0" : "set");
}

/* recvshow receives one datagram on fd with flags into a buffer of
 * len bytes and prints it, its source and its packet info. */
static void recvshow(const char *label, int fd, int flags, size_t len, int peer) {
	char buf[64] = {0}, cbuf[256];
	iaddr from;
	struct iovec iov = {buf, len};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n = recvmsg(fd, &m, flags);
	if (n < 0) {
		printf("  %s: %s\n", label, ierrname(errno));
		return;
	}
	printf("  %s: %zd \"%.*s\"%s from %s (%s)", label, n, (int)(n < (ssize_t)len ? n : (ssize_t)len), buf,
	       m.msg_flags & MSG_TRUNC ? " MSG_TRUNC" : "", addrstr(&from), port_of(&from) == peer ? "the peer" : "elsewhere");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		char a[64];
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			inet_ntop(AF_INET, &p.ipi_addr, a, sizeof a);
			printf(" pktinfo %s", a);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			inet_ntop(AF_INET6, &p.ipi6_addr, a, sizeof a);
			printf(" pktinfo %s", a);
		} else {
			printf(" level %d type %d", c->cmsg_level, c->cmsg_type);
		}
	}
	printf("\n");
}

static void run(int fam, int bound) {
	printf("%s, %s:\n", famname(fam), bound ? "bound to port 0" : "port chosen by connect");
	int a = listener(fam, SOCK_DGRAM);
	int pa = local_port(a);
	int s = socket(fam, SOCK_DGRAM, 0);
	iaddr x;
	socklen_t xl;
	if (bound) {
		xl = loopback(&x, fam, 0);
		bind(s, &x.sa, xl);
	}
	if (fam == AF_INET)
		setint(s, IPPROTO_IP, IP_PKTINFO, 1);
	else
		setint(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	xl = loopback(&x, fam, pa);
	connect(s, &x.sa, xl);
	int port = local_port(s);
	iaddr sa;
	socklen_t sl = loopback(&sa, fam, port);
	sendto(a, "one", 3, 0, &sa.sa, sl);
	sendto(a, "two, longer", 11, 0, &sa.sa, sl);
	sendto(a, "three", 5, 0, &sa.sa, sl);
	waitfor(s, POLLIN);
	struct sockaddr u = {.sa_family = AF_UNSPEC};
	printf("  connect(AF_UNSPEC): %s\n", connect(s, &u, sizeof u) < 0 ? ierrname(errno) : "0");
	name("after", s);
	pollmask("  after", s, POLLIN | POLLOUT);
	int q = -1;
	ioctl(s, FIONREAD, &q);
	printf("  FIONREAD: %d\n", q);
	int other = socket(fam, SOCK_DGRAM, 0);
	printf("  another socket binds the old port: %s\n", bind(other, &sa.sa, sl) < 0 ? ierrname(errno) : "ok");
	close(other);
	recvshow("peek", s, MSG_PEEK, sizeof "one", pa);
	recvshow("recv", s, 0, 63, pa);
	recvshow("recv into 3 bytes", s, 0, 3, pa);
	ioctl(s, FIONREAD, &q);
	printf("  FIONREAD: %d\n", q);
	recvshow("recv into 2 bytes, MSG_TRUNC", s, MSG_TRUNC, 2, pa);
	recvshow("recv", s, MSG_DONTWAIT, 63, pa);
	pollmask("  all received", s, POLLIN | POLLOUT);
	printf("  sendto the peer: %s\n", sendto(s, "back", 4, 0, &x.sa, xl) < 0 ? ierrname(errno) : "sent");
	name("after sending", s);
	char b[8];
	ssize_t n = recv(a, b, sizeof b, 0);
	printf("  the peer got %zd bytes\n", n);
	close(s);
	close(a);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET, 0);
	run(AF_INET, 1);
	run(AF_INET6, 0);
	run(AF_INET6, 1);
	return 0;
}
