/* IP options and IPv6 extension headers as sendmsg control messages on
 * UDP sockets (IP_RETOPTS; IPV6_HOPOPTS, IPV6_DSTOPTS,
 * IPV6_RTHDRDSTOPTS, IPV6_RTHDR and their RFC 2292 forms), and the
 * receiver's view of them (IP_RECVOPTS, IPV6_RECVHOPOPTS,
 * IPV6_RECVDSTOPTS, IPV6_RECVRTHDR). Under kite it runs with --net=host
 * (kite's own stack sends no options). Bad lengths and malformed options
 * are EINVAL; options other than the route-recording and timestamp ones
 * need CAP_NET_RAW (EINVAL without), and so do IPv6 option headers
 * (EPERM without): the results differ between root and an unprivileged
 * user, the same on the host and under kite. An IPv6 socket reads SOL_IP
 * messages only when it sends to an IPv4-mapped address, and IPv6 ones
 * only when it does not. */
#include "inet_common.h"
#include <netinet/ip.h>

#ifndef IPV6_2292HOPOPTS
#define IPV6_2292HOPOPTS 3
#endif
#ifndef IPV6_2292DSTOPTS
#define IPV6_2292DSTOPTS 4
#endif
#ifndef IPV6_2292RTHDR
#define IPV6_2292RTHDR 5
#endif
#ifndef IPV6_2292HOPLIMIT
#define IPV6_2292HOPLIMIT 8
#endif

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

/* recvshow receives one datagram on r (blocking: the send before it
 * succeeded on loopback) and prints its control messages' bytes. */
static void recvshow(int r) {
	char b[8];
	union {
		char buf[1024];
		struct cmsghdr align;
	} cb;
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = sizeof cb.buf};
	if (recvmsg(r, &m, 0) < 0) {
		printf("    recv: %s\n", ierrname(errno));
		return;
	}
	printf("    received%s:", m.msg_flags & MSG_CTRUNC ? " (ctrunc)" : "");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf(" [%d/%d", c->cmsg_level, c->cmsg_type);
		unsigned char *d = CMSG_DATA(c);
		for (size_t i = 0; i < c->cmsg_len - CMSG_LEN(0); i++)
			printf(" %02x", d[i]);
		printf("]");
	}
	printf("\n");
}

/* try sends "x" from s to dst with c's messages, shows the result and,
 * if it was sent and r is not -1, what r received; c is emptied. */
static void try(const char *label, int s, int r, const iaddr *dst, socklen_t dl, struct cmsgs *c) {
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_name = (void *)dst, .msg_namelen = dst ? dl : 0, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = c->len ? c->buf : NULL, .msg_controllen = c->len};
	int e = sendmsg(s, &m, 0) < 0 ? errno : 0;
	printf("  %s: %s\n", label, e ? ierrname(e) : "sent");
	if (!e && r >= 0)
		recvshow(r);
	c->len = 0;
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct cmsgs c = {.len = 0};
	iaddr dst;

	printf("ipv4 IP_RETOPTS:\n");
	int r = listener(AF_INET, SOCK_DGRAM);
	setint(r, IPPROTO_IP, IP_RECVOPTS, 1);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t dl = loopback(&dst, AF_INET, local_port(r));
	/* Record route with room for two addresses, then a no-op. */
	unsigned char rr[12] = {IPOPT_RR, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, IPOPT_NOOP};
	add(&c, IPPROTO_IP, IP_RETOPTS, rr, sizeof rr);
	try("record route", s, r, &dst, dl, &c);
	unsigned char noops[44];
	memset(noops, IPOPT_NOOP, sizeof noops);
	add(&c, IPPROTO_IP, IP_RETOPTS, noops, 3);
	try("three no-ops", s, r, &dst, dl, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, noops, 0);
	try("empty", s, r, &dst, dl, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, noops, sizeof noops);
	try("44 bytes (the first 40 are read)", s, r, &dst, dl, &c);
	unsigned char endthen[8] = {IPOPT_NOOP, IPOPT_END, 99, 99, 99, 99, 99, 99};
	add(&c, IPPROTO_IP, IP_RETOPTS, endthen, sizeof endthen);
	try("an end of options, then junk", s, r, &dst, dl, &c);
	unsigned char longer[8] = {IPOPT_RR, 12, 4, 0, 0, 0, 0, 0};
	add(&c, IPPROTO_IP, IP_RETOPTS, longer, sizeof longer);
	try("an option longer than the rest", s, r, &dst, dl, &c);
	unsigned char cut[4] = {IPOPT_NOOP, IPOPT_NOOP, IPOPT_NOOP, IPOPT_RR};
	add(&c, IPPROTO_IP, IP_RETOPTS, cut, sizeof cut);
	try("an option without its length", s, r, &dst, dl, &c);
	unsigned char badptr[8] = {IPOPT_RR, 7, 2, 0, 0, 0, 0, IPOPT_NOOP};
	add(&c, IPPROTO_IP, IP_RETOPTS, badptr, sizeof badptr);
	try("record route pointing into its header", s, r, &dst, dl, &c);
	unsigned char unknown[4] = {158, 4, 0, 0};
	add(&c, IPPROTO_IP, IP_RETOPTS, unknown, sizeof unknown);
	try("an unknown option (needs CAP_NET_RAW)", s, r, &dst, dl, &c);
	unsigned char sec[12] = {IPOPT_SEC, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, IPOPT_NOOP};
	add(&c, IPPROTO_IP, IP_RETOPTS, sec, sizeof sec);
	try("a security option (needs CAP_NET_RAW)", s, r, &dst, dl, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, rr, sizeof rr);
	add(&c, IPPROTO_IP, IP_RETOPTS, noops, 4);
	try("two messages (the last counts)", s, r, &dst, dl, &c);
	close(s);

	printf("ipv6 extension headers:\n");
	int r6 = listener(AF_INET6, SOCK_DGRAM);
	setint(r6, IPPROTO_IPV6, IPV6_RECVHOPOPTS, 1);
	setint(r6, IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1);
	setint(r6, IPPROTO_IPV6, IPV6_RECVRTHDR, 1);
	int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	iaddr dst6;
	socklen_t dl6 = loopback(&dst6, AF_INET6, local_port(r6));
	/* An option header of 8 bytes: next header and length (the kernel
	 * sets the first), a PadN option of 4 bytes of padding. */
	unsigned char opt8[8] = {0, 0, 1, 4, 0, 0, 0, 0};
	/* 16 bytes: two options of an unassigned type whose action is
	 * "skip" (0x1e), then a PadN of 2 bytes of padding. */
	unsigned char opt16[16] = {0, 1, 0x1e, 4, 1, 2, 3, 4, 0x1e, 2, 5, 6, 1, 2, 0, 0};
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	try("hop-by-hop options", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_DSTOPTS, opt16, sizeof opt16);
	try("destination options of 16 bytes", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	add(&c, IPPROTO_IPV6, IPV6_DSTOPTS, opt8, sizeof opt8);
	try("both", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_RTHDRDSTOPTS, opt8, sizeof opt8);
	try("destination options before a routing header (there is none)", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_2292HOPOPTS, opt8, sizeof opt8);
	try("RFC 2292 hop-by-hop options", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_2292DSTOPTS, opt8, sizeof opt8);
	try("RFC 2292 destination options", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	try("hop-by-hop options twice", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, 1);
	try("one byte of a header", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_DSTOPTS, opt16, 8);
	try("a header of 16 bytes in 8", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt16, sizeof opt16);
	try("a header of 16 bytes", s6, r6, &dst6, dl6, &c);
	unsigned char rt0[24] = {0, 2, 0, 1};
	add(&c, IPPROTO_IPV6, IPV6_RTHDR, rt0, sizeof rt0);
	try("a type 0 routing header", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_2292RTHDR, rt0, sizeof rt0);
	try("a type 0 routing header (RFC 2292)", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, IPV6_RTHDR, rt0, 3);
	try("a routing header of 3 bytes", s6, r6, &dst6, dl6, &c);
	int hl = 7;
	add(&c, IPPROTO_IPV6, IPV6_2292HOPLIMIT, &hl, sizeof hl);
	try("an RFC 2292 hop limit", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IPV6, 12345, opt8, sizeof opt8);
	try("an unknown type", s6, r6, &dst6, dl6, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, unknown, sizeof unknown);
	try("IP_RETOPTS with an unknown option is not read", s6, r6, &dst6, dl6, &c);

	printf("ipv6 socket to an ipv4-mapped address:\n");
	iaddr m4;
	memset(&m4, 0, sizeof m4);
	m4.in6.sin6_family = AF_INET6;
	m4.in6.sin6_port = htons(local_port(r));
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &m4.in6.sin6_addr);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	try("hop-by-hop options are not read", s6, r, &m4, sizeof m4.in6, &c);
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, 1);
	try("nor checked", s6, r, &m4, sizeof m4.in6, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, rr, sizeof rr);
	try("record route", s6, r, &m4, sizeof m4.in6, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, unknown, sizeof unknown);
	try("an unknown option (needs CAP_NET_RAW)", s6, r, &m4, sizeof m4.in6, &c);
	if (connect(s6, &m4.sa, sizeof m4.in6) < 0)
		printf("connect: %s\n", ierrname(errno));
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	try("connected: hop-by-hop options are not read", s6, r, NULL, 0, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, unknown, sizeof unknown);
	try("connected: an unknown option (needs CAP_NET_RAW)", s6, r, NULL, 0, &c);
	close(s6);

	printf("ipv6 socket connected to ::1:\n");
	s6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (connect(s6, &dst6.sa, dl6) < 0)
		printf("connect: %s\n", ierrname(errno));
	add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt8, sizeof opt8);
	try("hop-by-hop options", s6, r6, NULL, 0, &c);
	add(&c, IPPROTO_IP, IP_RETOPTS, unknown, sizeof unknown);
	try("IP_RETOPTS is not read", s6, r6, NULL, 0, &c);
	close(s6);
	close(r6);
	close(r);
	return 0;
}
