/* sendmsg control messages that set one UDP datagram's IPv4 TOS
 * (IP_TOS), IPv6 traffic class (IPV6_TCLASS) and source (IP_PKTINFO,
 * IPV6_PKTINFO) over loopback; the receiver reads them back with
 * IP_RECVTOS, IP_PKTINFO, IPV6_RECVTCLASS and IPV6_RECVPKTINFO and its
 * source address. The socket's own TOS (IP_TOS, IPV6_TCLASS options)
 * is what the next datagram without the message gets. Bad lengths and
 * values are EINVAL, unknown interfaces ENODEV, a source address that is
 * not local ENETUNREACH (IPv4) or EINVAL (IPv6). */
#include "inet_common.h"
#include <net/if.h>

static int sendc(int s, int level, int type, const void *val, int len) {
	char cbuf[CMSG_SPACE(64)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), val, len);
	return sendmsg(s, &m, 0) < 0 ? errno : 0;
}

/* recvshow receives one datagram on r and prints its source address and
 * the control messages of interest. */
static void recvshow(int r) {
	char b[8], cbuf[256];
	iaddr from;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	waitfor(r, POLLIN);
	if (recvmsg(r, &m, MSG_DONTWAIT) < 0) {
		printf("    recv: %s\n", errname(errno));
		return;
	}
	printf("    from %s:", addrstr(&from));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
			printf(" tos %d", *(unsigned char *)CMSG_DATA(c));
		} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			char x[32], y[32];
			inet_ntop(AF_INET, &p.ipi_spec_dst, x, sizeof x);
			inet_ntop(AF_INET, &p.ipi_addr, y, sizeof y);
			printf(" pktinfo(lo %s, spec_dst %s, addr %s)", p.ipi_ifindex == (int)if_nametoindex("lo") ? "yes" : "no", x, y);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" tclass %d", v);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo p;
			memcpy(&p, CMSG_DATA(c), sizeof p);
			char y[64];
			inet_ntop(AF_INET6, &p.ipi6_addr, y, sizeof y);
			printf(" pktinfo(lo %s, addr %s)", p.ipi6_ifindex == if_nametoindex("lo") ? "yes" : "no", y);
		} else {
			printf(" level %d type %d", c->cmsg_level, c->cmsg_type);
		}
	}
	printf("\n");
}

static void try(const char *label, int s, int r, int e) {
	printf("  %s: %s\n", label, e ? ierrname(e) : "sent");
	if (!e)
		recvshow(r);
}

#define BADIF 0x7ffffff0

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int lo = if_nametoindex("lo");
	printf("ipv4:\n");
	int r = listener(AF_INET, SOCK_DGRAM);
	int s = connect_to(AF_INET, SOCK_DGRAM, local_port(r));
	setint(r, IPPROTO_IP, IP_RECVTOS, 1);
	setint(r, IPPROTO_IP, IP_PKTINFO, 1);
	int v = 0x28, neg = -1, big = 256;
	unsigned char byte = 0x48;
	try("IP_TOS 0x28", s, r, sendc(s, IPPROTO_IP, IP_TOS, &v, sizeof v));
	try("IP_TOS byte 0x48", s, r, sendc(s, IPPROTO_IP, IP_TOS, &byte, 1));
	try("IP_TOS -1", s, r, sendc(s, IPPROTO_IP, IP_TOS, &neg, sizeof neg));
	try("IP_TOS 256", s, r, sendc(s, IPPROTO_IP, IP_TOS, &big, sizeof big));
	try("IP_TOS 2 bytes", s, r, sendc(s, IPPROTO_IP, IP_TOS, &v, 2));
	try("without", s, r, send(s, "x", 1, 0) < 0 ? errno : 0);
	setint(s, IPPROTO_IP, IP_TOS, 0x10);
	try("IP_TOS 0x28 on a socket with IP_TOS 0x10", s, r, sendc(s, IPPROTO_IP, IP_TOS, &v, sizeof v));
	try("without", s, r, send(s, "x", 1, 0) < 0 ? errno : 0);
	printf("  IP_TOS option: %#x\n", getint(s, IPPROTO_IP, IP_TOS));
	struct in_pktinfo p = {0};
	try("IP_PKTINFO zero", s, r, sendc(s, IPPROTO_IP, IP_PKTINFO, &p, sizeof p));
	p.ipi_ifindex = lo;
	p.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	try("IP_PKTINFO lo, 127.0.0.1", s, r, sendc(s, IPPROTO_IP, IP_PKTINFO, &p, sizeof p));
	p.ipi_ifindex = BADIF;
	try("IP_PKTINFO unknown interface", s, r, sendc(s, IPPROTO_IP, IP_PKTINFO, &p, sizeof p));
	p.ipi_ifindex = 0;
	p.ipi_spec_dst.s_addr = htonl(0xc0000201); /* 192.0.2.1, TEST-NET-1 */
	try("IP_PKTINFO non-local source", s, r, sendc(s, IPPROTO_IP, IP_PKTINFO, &p, sizeof p));
	try("IP_PKTINFO 8 bytes", s, r, sendc(s, IPPROTO_IP, IP_PKTINFO, &p, 8));
	try("SOL_IP type 200", s, r, sendc(s, IPPROTO_IP, 200, &v, sizeof v));
	close(s);
	close(r);

	printf("ipv6:\n");
	r = listener(AF_INET6, SOCK_DGRAM);
	s = connect_to(AF_INET6, SOCK_DGRAM, local_port(r));
	setint(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
	setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	try("IPV6_TCLASS 0x28", s, r, sendc(s, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof v));
	try("IPV6_TCLASS -2", s, r, sendc(s, IPPROTO_IPV6, IPV6_TCLASS, &(int){-2}, sizeof(int)));
	try("IPV6_TCLASS 256", s, r, sendc(s, IPPROTO_IPV6, IPV6_TCLASS, &big, sizeof big));
	try("IPV6_TCLASS byte", s, r, sendc(s, IPPROTO_IPV6, IPV6_TCLASS, &byte, 1));
	setint(s, IPPROTO_IPV6, IPV6_TCLASS, 0x10);
	try("IPV6_TCLASS 0x28 on a socket with IPV6_TCLASS 0x10", s, r, sendc(s, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof v));
	try("without", s, r, send(s, "x", 1, 0) < 0 ? errno : 0);
	printf("  IPV6_TCLASS option: %#x\n", getint(s, IPPROTO_IPV6, IPV6_TCLASS));
	struct in6_pktinfo p6 = {0};
	try("IPV6_PKTINFO zero", s, r, sendc(s, IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6));
	p6.ipi6_addr = in6addr_loopback;
	p6.ipi6_ifindex = lo;
	try("IPV6_PKTINFO lo, ::1", s, r, sendc(s, IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6));
	p6.ipi6_ifindex = BADIF;
	try("IPV6_PKTINFO unknown interface", s, r, sendc(s, IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6));
	p6.ipi6_ifindex = 0;
	inet_pton(AF_INET6, "2001:db8::1", &p6.ipi6_addr);
	try("IPV6_PKTINFO non-local source", s, r, sendc(s, IPPROTO_IPV6, IPV6_PKTINFO, &p6, sizeof p6));
	try("IPV6_PKTINFO 16 bytes", s, r, sendc(s, IPPROTO_IPV6, IPV6_PKTINFO, &p6, 16));
	close(s);
	close(r);
	return 0;
}
