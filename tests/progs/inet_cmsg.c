/* Control messages of INET datagram receives: IP_PKTINFO, IP_RECVTTL,
 * IP_RECVTOS on UDP over 127.0.0.1; IPV6_RECVPKTINFO,
 * IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS and the RFC 2292 IPV6_2292HOPLIMIT
 * over ::1; MSG_CTRUNC when the buffer is short. */
#define _GNU_SOURCE
#include "inet_common.h"

static void show(struct msghdr *m) {
	printf("msg_flags CTRUNC %d controllen %d\n", !!(m->msg_flags & MSG_CTRUNC), (int)m->msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		unsigned char *d = CMSG_DATA(c);
		int len = c->cmsg_len - CMSG_LEN(0);
		printf("  cmsg level %d type %d len %d:", c->cmsg_level, c->cmsg_type, len);
		if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, d, sizeof pi);
			char a[32], b[32];
			inet_ntop(AF_INET, &pi.ipi_spec_dst, a, sizeof a);
			inet_ntop(AF_INET, &pi.ipi_addr, b, sizeof b);
			printf(" ifindex %d spec_dst %s addr %s", pi.ipi_ifindex, a, b);
		} else if (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, d, sizeof pi);
			char a[64];
			inet_ntop(AF_INET6, &pi.ipi6_addr, a, sizeof a);
			printf(" addr %s ifindex %d", a, pi.ipi6_ifindex);
		} else if (len == 1) {
			printf(" %d", d[0]);
		} else if (len == 4) {
			int v;
			memcpy(&v, d, 4);
			printf(" %d", v);
		}
		printf("\n");
	}
}

static void run(int fam, int level, const int *opts, int nopts, int ctrl) {
	int r = listener(fam, SOCK_DGRAM);
	for (int i = 0; i < nopts; i++)
		ICHECK("setsockopt", setint(r, level, opts[i], 1));
	int s = connect_to(fam, SOCK_DGRAM, local_port(r));
	if (fam == AF_INET)
		setint(s, SOL_IP, IP_TOS, 0x10);
	else
		setint(s, SOL_IPV6, IPV6_TCLASS, 0x20);
	ICHECK("send", send(s, "ping", 4, 0));
	char buf[16], cbuf[256];
	struct iovec iov = {buf, sizeof buf};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = ctrl};
	memset(cbuf, 0, sizeof cbuf);
	waitfor(r, POLLIN);
	ICHECK("recvmsg", recvmsg(r, &m, 0));
	show(&m);
	close(s);
	close(r);
}

int main(void) {
	int v4[] = {IP_PKTINFO, IP_RECVTTL, IP_RECVTOS};
	int v6[] = {IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS};
	int v6old[] = {IPV6_2292HOPLIMIT};
	printf("== ipv4\n");
	run(AF_INET, SOL_IP, v4, 3, 256);
	printf("== ipv4, room for one\n");
	run(AF_INET, SOL_IP, v4, 3, CMSG_SPACE(sizeof(struct in_pktinfo)));
	printf("== ipv4, none asked\n");
	run(AF_INET, SOL_IP, v4, 0, 256);
	printf("== ipv6\n");
	run(AF_INET6, SOL_IPV6, v6, 3, 256);
	printf("== ipv6 rfc 2292\n");
	run(AF_INET6, SOL_IPV6, v6old, 1, 256);
	return 0;
}
