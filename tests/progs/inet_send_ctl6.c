/* The SOL_IPV6 control messages of a UDP sendmsg over ::1 beyond
 * inet_send_tos's: IPV6_2292PKTINFO (the source, as IPV6_PKTINFO),
 * IPV6_2292HOPLIMIT (as IPV6_HOPLIMIT), IPV6_DONTFRAG (a datagram
 * larger than lo's MTU is EMSGSIZE instead of fragmented),
 * IPV6_FLOWINFO (4 bytes at least),
 * the extension headers (EPERM without CAP_NET_RAW; a routing header of
 * type 0 EINVAL) and types ip6_datagram_send_ctl does not know (EINVAL).
 * Other levels' messages are ignored. */
#include "inet_common.h"
#include <net/if.h>

#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11 /* linux/in6.h */
#endif

static int sendc(int s, int level, int type, const void *val, int len, size_t size) {
	static char data[70000];
	char cbuf[CMSG_SPACE(64)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {data, size};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), val, len);
	return sendmsg(s, &m, 0) < 0 ? errno : 0;
}

/* recvshow receives one datagram on r (sent before, so there is one)
 * and prints its size and the control messages of interest. */
static void recvshow(int r) {
	static char b[70000];
	char cbuf[256];
	iaddr from;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	ssize_t n = recvmsg(r, &m, 0);
	if (n < 0) {
		printf("    recv: %s\n", ierrname(errno));
		return;
	}
	printf("    %zd bytes from %s:", n, addrstr(&from));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		int v;
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" tclass %d", v);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
			memcpy(&v, CMSG_DATA(c), sizeof v);
			printf(" hoplimit %d", v);
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

static void try(const char *label, int r, int e) {
	printf("  %s: %s\n", label, e ? ierrname(e) : "sent");
	if (!e)
		recvshow(r);
}

#define BADIF 0x7ffffff0

/* exthdrs tries the extension-header messages with a valid 8-byte
 * header of each kind. */
static void exthdrs(int s, int r) {
	unsigned char h[8] = {0};
	h[0] = IPPROTO_UDP;
	int types[] = {IPV6_HOPOPTS, IPV6_2292HOPOPTS, IPV6_DSTOPTS, IPV6_RTHDRDSTOPTS, IPV6_2292DSTOPTS};
	const char *names[] = {"IPV6_HOPOPTS", "IPV6_2292HOPOPTS", "IPV6_DSTOPTS", "IPV6_RTHDRDSTOPTS", "IPV6_2292DSTOPTS"};
	for (int i = 0; i < 5; i++)
		try(names[i], r, sendc(s, IPPROTO_IPV6, types[i], h, sizeof h, 1));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int lo = if_nametoindex("lo");
	int r = listener(AF_INET6, SOCK_DGRAM);
	int s = connect_to(AF_INET6, SOCK_DGRAM, local_port(r));
	setint(r, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
	setint(r, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
	setint(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);

	struct in6_pktinfo p6 = {0};
	p6.ipi6_addr = in6addr_loopback;
	p6.ipi6_ifindex = lo;
	try("IPV6_2292PKTINFO lo, ::1", r, sendc(s, IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, sizeof p6, 1));
	p6.ipi6_ifindex = BADIF;
	try("IPV6_2292PKTINFO unknown interface", r, sendc(s, IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, sizeof p6, 1));
	p6.ipi6_ifindex = 0;
	inet_pton(AF_INET6, "2001:db8::1", &p6.ipi6_addr);
	try("IPV6_2292PKTINFO non-local source", r, sendc(s, IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, sizeof p6, 1));
	try("IPV6_2292PKTINFO 16 bytes", r, sendc(s, IPPROTO_IPV6, IPV6_2292PKTINFO, &p6, 16, 1));

	int hops[] = {5, -1, 256};
	for (int i = 0; i < 3; i++) {
		char l[64];
		snprintf(l, sizeof l, "IPV6_2292HOPLIMIT %d", hops[i]);
		try(l, r, sendc(s, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hops[i], sizeof(int), 1));
	}
	try("IPV6_2292HOPLIMIT 1 byte", r, sendc(s, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hops[0], 1, 1));

	uint32_t fi = 0;
	try("IPV6_FLOWINFO 0", r, sendc(s, IPPROTO_IPV6, IPV6_FLOWINFO, &fi, sizeof fi, 1));
	fi = 0;
	try("IPV6_FLOWINFO 2 bytes", r, sendc(s, IPPROTO_IPV6, IPV6_FLOWINFO, &fi, 2, 1));

	/* The largest datagram lo takes unfragmented: MTU less the IPv6
	 * and UDP headers. */
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFMTU, &ifr) < 0) {
		perror("SIOCGIFMTU");
		return 1;
	}
	size_t fit = ifr.ifr_mtu - 48;
	int dfs[] = {0, 1};
	for (int i = 0; i < 2; i++) {
		char l[64];
		snprintf(l, sizeof l, "IPV6_DONTFRAG %d, 1 byte", dfs[i]);
		try(l, r, sendc(s, IPPROTO_IPV6, IPV6_DONTFRAG, &dfs[i], sizeof(int), 1));
		snprintf(l, sizeof l, "IPV6_DONTFRAG %d, MTU-sized", dfs[i]);
		int e = sendc(s, IPPROTO_IPV6, IPV6_DONTFRAG, &dfs[i], sizeof(int), fit);
		printf("  %s: %s\n", l, e ? ierrname(e) : "sent");
		if (!e)
			printf("    received %s\n", recv(r, (char[70000]){0}, 70000, 0) == (ssize_t)fit ? "all" : "not all");
		snprintf(l, sizeof l, "IPV6_DONTFRAG %d, one byte over", dfs[i]);
		e = sendc(s, IPPROTO_IPV6, IPV6_DONTFRAG, &dfs[i], sizeof(int), fit + 1);
		printf("  %s: %s\n", l, e ? ierrname(e) : "sent");
		if (!e)
			printf("    received %s\n", recv(r, (char[70000]){0}, 70000, 0) == (ssize_t)fit + 1 ? "all" : "not all");
	}
	int bad[] = {2, -1};
	for (int i = 0; i < 2; i++) {
		char l[64];
		snprintf(l, sizeof l, "IPV6_DONTFRAG %d", bad[i]);
		try(l, r, sendc(s, IPPROTO_IPV6, IPV6_DONTFRAG, &bad[i], sizeof(int), 1));
	}
	try("IPV6_DONTFRAG 1 byte", r, sendc(s, IPPROTO_IPV6, IPV6_DONTFRAG, &dfs[1], 1, 1));

	unsigned char rth[8] = {IPPROTO_UDP, 0, 0, 0};
	try("IPV6_RTHDR type 0", r, sendc(s, IPPROTO_IPV6, IPV6_RTHDR, rth, sizeof rth, 1));
	try("IPV6_2292RTHDR type 0", r, sendc(s, IPPROTO_IPV6, IPV6_2292RTHDR, rth, sizeof rth, 1));
	try("IPV6_HOPOPTS 1 byte", r, sendc(s, IPPROTO_IPV6, IPV6_HOPOPTS, rth, 1, 1));
	unsigned char longer[8] = {IPPROTO_UDP, 1};
	try("IPV6_DSTOPTS shorter than its length", r, sendc(s, IPPROTO_IPV6, IPV6_DSTOPTS, longer, sizeof longer, 1));

	int v = 1;
	try("IPV6_RECVPKTINFO", r, sendc(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &v, sizeof v, 1));
	try("IPV6_V6ONLY", r, sendc(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v, 1));
	try("SOL_IPV6 type 1000", r, sendc(s, IPPROTO_IPV6, 1000, &v, sizeof v, 1));
	try("SOL_IP IP_TTL 0 (another level)", r, sendc(s, IPPROTO_IP, IP_TTL, &(int){0}, sizeof(int), 1));
	try("SOL_TCP type 1 (another level)", r, sendc(s, IPPROTO_TCP, 1, &v, sizeof v, 1));

	/* Extension headers need CAP_NET_RAW: a child without it. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (getuid() == 0 && setuid(65534) < 0) {
			perror("setuid");
			_exit(1);
		}
		printf("  without CAP_NET_RAW:\n");
		exthdrs(s, r);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	describe("  child", st);
	close(s);
	close(r);
	return 0;
}
