/* IP_PKTINFO and IP_PROTOCOL on a UDP sendmsg over 127.0.0.1, from
 * unbound, bound and connected sockets, and the control messages of an
 * IPv6 socket's datagram to an IPv4-mapped address: Linux reads them as
 * IPv4's (SOL_IP messages apply, IPV6_PKTINFO must hold a mapped
 * address, other SOL_IPV6 messages are ignored). */
#include "inet_common.h"
#include <net/if.h>

#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52 /* linux/in.h */
#endif

/* sendc sends "x" from s to to (NULL: the peer) with the control
 * messages of n (level, type, data, len) entries. */
struct cm {
	int level, type;
	const void *data;
	int len;
};

static int sendc(int s, const iaddr *to, socklen_t tolen, const struct cm *c, int n) {
	char cbuf[256];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = to ? tolen : 0, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	size_t used = 0;
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	for (int i = 0; i < n; i++) {
		h->cmsg_level = c[i].level;
		h->cmsg_type = c[i].type;
		h->cmsg_len = CMSG_LEN(c[i].len);
		memcpy(CMSG_DATA(h), c[i].data, c[i].len);
		used += CMSG_SPACE(c[i].len);
		h = (struct cmsghdr *)((char *)h + CMSG_SPACE(c[i].len));
	}
	m.msg_controllen = used;
	return sendmsg(s, &m, 0) < 0 ? errno : 0;
}

/* recvshow receives the datagram sent before and prints its source
 * and the control messages of interest. */
static void recvshow(int r) {
	char b[8], cbuf[256];
	iaddr from;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(r, &m, 0) < 0) {
		printf("    recv: %s\n", ierrname(errno));
		return;
	}
	printf("    from %s:", addrstr(&from));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			printf(" tos %#x", *(unsigned char *)CMSG_DATA(c));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" ttl %d", v);
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			char y[32];
			inet_ntop(AF_INET, &p.ipi_addr, y, sizeof y);
			printf(" pktinfo(lo %s, addr %s)", p.ipi_ifindex == (int)if_nametoindex("lo") ? "yes" : "no", y);
		} else {
			printf(" level %d type %d", c->cmsg_level, c->cmsg_type);
		}
	}
	printf("\n");
}

static void try(const char *label, int r, int e) {
	printf("  %s: %s\n", label, e ? ierrname(e) : "sent");
	if (!e)
		recvshow(r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int lo = if_nametoindex("lo");
	int r = listener(AF_INET, SOCK_DGRAM);
	setint(r, IPPROTO_IP, IP_PKTINFO, 1);
	setint(r, IPPROTO_IP, IP_RECVTTL, 1);
	setint(r, IPPROTO_IP, IP_RECVTOS, 1);
	iaddr to;
	socklen_t tolen = loopback(&to, AF_INET, local_port(r));

	printf("ipv4, unbound:\n");
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct in_pktinfo p = {0};
	p.ipi_ifindex = lo;
	p.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	try("IP_PKTINFO lo, 127.0.0.1", r, sendc(s, &to, tolen, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	p.ipi_spec_dst.s_addr = 0;
	try("IP_PKTINFO lo, no source", r, sendc(s, &to, tolen, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	p.ipi_ifindex = 0;
	p.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	try("IP_PKTINFO no interface, 127.0.0.1", r, sendc(s, &to, tolen, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	int protos[] = {IPPROTO_UDP, IPPROTO_TCP, 0, 256};
	for (int i = 0; i < 4; i++) {
		char l[64];
		snprintf(l, sizeof l, "IP_PROTOCOL %d", protos[i]);
		try(l, r, sendc(s, &to, tolen, &(struct cm){IPPROTO_IP, IP_PROTOCOL, &protos[i], sizeof(int)}, 1));
	}
	try("IP_PROTOCOL 1 byte", r, sendc(s, &to, tolen, &(struct cm){IPPROTO_IP, IP_PROTOCOL, &protos[0], 1}, 1));
	int ttl = 9, tos = 0x28;
	struct cm two[] = {{IPPROTO_IP, IP_TTL, &ttl, sizeof ttl}, {IPPROTO_IP, IP_TOS, &tos, sizeof tos}};
	try("IP_TTL 9 and IP_TOS 0x28", r, sendc(s, &to, tolen, two, 2));
	close(s);

	printf("ipv4, bound to 127.0.0.1 and connected:\n");
	s = connect_to(AF_INET, SOCK_DGRAM, local_port(r));
	p.ipi_ifindex = lo;
	try("IP_PKTINFO lo, 127.0.0.1", r, sendc(s, NULL, 0, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	p.ipi_spec_dst.s_addr = 0;
	try("IP_PKTINFO lo, no source", r, sendc(s, NULL, 0, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	close(s);

	printf("ipv6 to ::ffff:127.0.0.1:\n");
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	iaddr m;
	memset(&m, 0, sizeof m);
	m.in6.sin6_family = AF_INET6;
	m.in6.sin6_port = to.in.sin_port;
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.in6.sin6_addr);
	try("IP_TTL 9", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IP, IP_TTL, &ttl, sizeof ttl}, 1));
	try("IP_TOS 0x28", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IP, IP_TOS, &tos, sizeof tos}, 1));
	try("SOL_IP type 200", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IP, 200, &ttl, sizeof ttl}, 1));
	p.ipi_ifindex = 0;
	p.ipi_spec_dst.s_addr = htonl(0xc0000201); /* 192.0.2.1, TEST-NET-1 */
	try("IP_PKTINFO non-local source", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IP, IP_PKTINFO, &p, sizeof p}, 1));
	int hop = 3, df = 7, tc = 0x48;
	try("IPV6_HOPLIMIT 3 (ignored)", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_HOPLIMIT, &hop, sizeof hop}, 1));
	try("IPV6_DONTFRAG 7 (ignored)", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_DONTFRAG, &df, sizeof df}, 1));
	try("IPV6_TCLASS 0x48 (ignored)", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_TCLASS, &tc, sizeof tc}, 1));
	try("SOL_IPV6 type 1000 (ignored)", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, 1000, &tc, sizeof tc}, 1));
	struct in6_pktinfo p6 = {0};
	p6.ipi6_ifindex = lo;
	p6.ipi6_addr = m.in6.sin6_addr;
	try("IPV6_PKTINFO lo, ::ffff:127.0.0.1", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6}, 1));
	try("IPV6_2292PKTINFO lo, ::ffff:127.0.0.1 (ignored)", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, sizeof p6}, 1));
	inet_pton(AF_INET6, "::ffff:0.0.0.0", &p6.ipi6_addr);
	try("IPV6_PKTINFO lo, ::ffff:0.0.0.0", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6}, 1));
	p6.ipi6_addr = in6addr_any;
	try("IPV6_PKTINFO ::", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6}, 1));
	p6.ipi6_addr = in6addr_loopback;
	try("IPV6_PKTINFO ::1", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6}, 1));
	try("IPV6_PKTINFO 16 bytes", r, sendc(s, &m, sizeof m.in6, &(struct cm){IPPROTO_IPV6, IPV6_PKTINFO, &p6, 16}, 1));
	if (connect(s, &m.sa, sizeof m.in6) < 0)
		perror("connect");
	try("connected, IP_TTL 9", r, sendc(s, NULL, 0, &(struct cm){IPPROTO_IP, IP_TTL, &ttl, sizeof ttl}, 1));
	try("connected, IPV6_HOPLIMIT 3 (ignored)", r, sendc(s, NULL, 0, &(struct cm){IPPROTO_IPV6, IPV6_HOPLIMIT, &hop, sizeof hop}, 1));
	close(s);
	close(r);
	return 0;
}
