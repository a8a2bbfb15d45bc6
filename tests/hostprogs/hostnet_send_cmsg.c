/* sendmsg's IP-level control messages on host sockets (run under kite
 * with --net=host only: kite's own stack cannot send from another
 * source address per datagram): several messages in one sendmsg, the
 * one-byte IP_TOS, IP_PKTINFO's source address (127.0.0.2, local on
 * lo), SOL_IP messages on an IPv6 socket sending to an IPv4-mapped
 * address, IPv6 messages ignored on IPv4 sockets, other levels
 * ignored, a message on a TCP socket ignored, IPV6_DONTFRAG and
 * IPV6_2292PKTINFO. The receiver shows what came with each datagram
 * (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, IPV6_RECVPKTINFO,
 * IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS, IPV6_2292HOPLIMIT). */
#include "../progs/inet_common.h"
#include <net/if.h>

#ifndef IPV6_2292PKTINFO
#define IPV6_2292PKTINFO 2
#endif
#ifndef IPV6_2292HOPLIMIT
#define IPV6_2292HOPLIMIT 8
#endif
#ifndef IPV6_DONTFRAG
#define IPV6_DONTFRAG 62
#endif

/* cmsgs builds up control messages for one sendmsg. */
struct cmsgs {
	char buf[512];
	size_t len;
};

static void add(struct cmsgs *c, int level, int type, const void *val, size_t n) {
	struct cmsghdr h = {.cmsg_len = CMSG_LEN(n), .cmsg_level = level, .cmsg_type = type};
	memset(c->buf + c->len, 0, CMSG_SPACE(n));
	memcpy(c->buf + c->len, &h, sizeof h);
	memcpy(c->buf + c->len + CMSG_LEN(0), val, n);
	c->len += CMSG_SPACE(n);
}

static void addint(struct cmsgs *c, int level, int type, int v) { add(c, level, type, &v, sizeof v); }

/* sendc sends "x" from s (to dst if not NULL) with c's messages. */
static int sendc(int s, const iaddr *dst, socklen_t dl, struct cmsgs *c) {
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_name = (void *)dst, .msg_namelen = dst ? dl : 0, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = c->len ? c->buf : NULL, .msg_controllen = c->len};
	return sendmsg(s, &m, 0) < 0 ? errno : 0;
}

static void recvshow(int r) {
	char b[8], cbuf[512];
	iaddr from;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	waitfor(r, POLLIN);
	if (recvmsg(r, &m, MSG_DONTWAIT) < 0) {
		printf("    recv: %s\n", ierrname(errno));
		return;
	}
	printf("    from %s%s:", addrstr(&from), m.msg_flags & MSG_CTRUNC ? " (ctrunc)" : "");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int v;
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			printf(" tos %d", *(unsigned char *)CMSG_DATA(c));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" ttl %d", v);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			char x[32], y[32];
			inet_ntop(AF_INET, &p.ipi_spec_dst, x, sizeof x);
			inet_ntop(AF_INET, &p.ipi_addr, y, sizeof y);
			printf(" pktinfo(lo %s, spec_dst %s, addr %s)", p.ipi_ifindex == (int)if_nametoindex("lo") ? "yes" : "no", x, y);
		} else if (c->cmsg_level == IPPROTO_IPV6 && (c->cmsg_type == IPV6_TCLASS || c->cmsg_type == IPV6_HOPLIMIT || c->cmsg_type == IPV6_2292HOPLIMIT)) {
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" %s %d", c->cmsg_type == IPV6_TCLASS ? "tclass" : c->cmsg_type == IPV6_HOPLIMIT ? "hoplimit" : "2292hoplimit", v);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			char y[64];
			inet_ntop(AF_INET6, &p.ipi6_addr, y, sizeof y);
			printf(" pktinfo6(lo %s, addr %s)", p.ipi6_ifindex == if_nametoindex("lo") ? "yes" : "no", y);
		} else {
			printf(" level %d type %d len %zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
		}
	}
	printf("\n");
}

static void try(const char *label, int s, int r, const iaddr *dst, socklen_t dl, struct cmsgs *c) {
	int e = sendc(s, dst, dl, c);
	printf("  %s: %s\n", label, e ? ierrname(e) : "sent");
	if (!e)
		recvshow(r);
	c->len = 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int lo = if_nametoindex("lo");
	struct cmsgs c = {.len = 0};

	printf("ipv4:\n");
	int r = listener(AF_INET, SOCK_DGRAM);
	setint(r, IPPROTO_IP, IP_RECVTOS, 1);
	setint(r, IPPROTO_IP, IP_RECVTTL, 1);
	setint(r, IPPROTO_IP, IP_PKTINFO, 1);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	iaddr dst;
	socklen_t dl = loopback(&dst, AF_INET, local_port(r));
	try("none", s, r, &dst, dl, &c);
	addint(&c, IPPROTO_IP, IP_TTL, 17);
	addint(&c, IPPROTO_IP, IP_TOS, 0x20);
	struct in_pktinfo pi = {.ipi_ifindex = 0};
	inet_pton(AF_INET, "127.0.0.2", &pi.ipi_spec_dst);
	add(&c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
	try("TTL 17, TOS 0x20, source 127.0.0.2", s, r, &dst, dl, &c);
	unsigned char tos = 0x48;
	add(&c, IPPROTO_IP, IP_TOS, &tos, 1);
	try("TOS as one byte", s, r, &dst, dl, &c);
	pi.ipi_ifindex = lo;
	inet_pton(AF_INET, "127.0.0.3", &pi.ipi_spec_dst);
	inet_pton(AF_INET, "10.9.9.9", &pi.ipi_addr);
	add(&c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
	try("pktinfo on lo from 127.0.0.3 (ipi_addr not read)", s, r, &dst, dl, &c);
	addint(&c, IPPROTO_IPV6, IPV6_HOPLIMIT, 3);
	addint(&c, IPPROTO_IPV6, 12345, 3);
	addint(&c, IPPROTO_TCP, TCP_NODELAY, 1);
	try("IPv6 and TCP levels are ignored", s, r, &dst, dl, &c);
	addint(&c, IPPROTO_IP, IP_TTL, 9);
	addint(&c, IPPROTO_IP, 12345, 1);
	try("an unknown SOL_IP type", s, r, &dst, dl, &c);
	addint(&c, IPPROTO_IP, IP_TTL, 0);
	try("TTL 0", s, r, &dst, dl, &c);
	pi.ipi_ifindex = 0x7ffffff0;
	add(&c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi);
	try("pktinfo on an interface that is not there", s, r, &dst, dl, &c);
	add(&c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi - 1);
	try("pktinfo too short", s, r, &dst, dl, &c);
	close(s);

	printf("TCP ignores them:\n");
	int l = listener(AF_INET, SOCK_STREAM);
	int t = connect_to(AF_INET, SOCK_STREAM, local_port(l));
	int a = accept(l, NULL, NULL);
	addint(&c, IPPROTO_IP, IP_TTL, 0);
	addint(&c, IPPROTO_IP, 12345, 1);
	printf("  send: %s\n", sendc(t, NULL, 0, &c) ? ierrname(errno) : "sent");
	c.len = 0;
	char b[4];
	printf("  received %zd\n", recv(a, b, sizeof b, 0));
	close(t);
	close(a);
	close(l);

	printf("ipv6:\n");
	int r6 = listener(AF_INET6, SOCK_DGRAM);
	setint(r6, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
	setint(r6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
	setint(r6, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	dl = loopback(&dst, AF_INET6, local_port(r6));
	addint(&c, IPPROTO_IPV6, IPV6_HOPLIMIT, 5);
	addint(&c, IPPROTO_IPV6, IPV6_TCLASS, 0x28);
	addint(&c, IPPROTO_IPV6, IPV6_DONTFRAG, 1);
	struct in6_pktinfo p6 = {.ipi6_addr = in6addr_loopback, .ipi6_ifindex = lo};
	add(&c, IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6);
	try("hop limit 5, tclass 0x28, DONTFRAG, pktinfo ::1 on lo", s6, r6, &dst, dl, &c);
	add(&c, IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, sizeof p6);
	addint(&c, IPPROTO_IP, 12345, 1);
	try("IPV6_2292PKTINFO; SOL_IP is ignored", s6, r6, &dst, dl, &c);
	addint(&c, IPPROTO_IPV6, IPV6_TCLASS, 256);
	try("tclass 256", s6, r6, &dst, dl, &c);
	addint(&c, IPPROTO_IPV6, IPV6_DONTFRAG, 2);
	try("DONTFRAG 2", s6, r6, &dst, dl, &c);
	setint(r6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 0);
	setint(r6, IPPROTO_IPV6, IPV6_2292HOPLIMIT, 1);
	addint(&c, IPPROTO_IPV6, IPV6_HOPLIMIT, 6);
	try("hop limit 6, read with IPV6_2292HOPLIMIT", s6, r6, &dst, dl, &c);

	printf("ipv6 socket to an ipv4-mapped address:\n");
	iaddr m4;
	memset(&m4, 0, sizeof m4);
	m4.in6.sin6_family = AF_INET6;
	m4.in6.sin6_port = htons(local_port(r));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m4.in6.sin6_addr);
	addint(&c, IPPROTO_IP, IP_TTL, 21);
	addint(&c, IPPROTO_IP, IP_TOS, 0x10);
	try("TTL 21, TOS 0x10", s6, r, &m4, sizeof m4.in6, &c);
	close(s6);
	close(r6);
	close(r);
	return 0;
}
