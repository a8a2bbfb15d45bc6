/* UDP_CORK and MSG_MORE over 127.0.0.1 and ::1: while the option is set
 * (or for a send with MSG_MORE) sends are appended to one pending
 * datagram, sent by the first send that is not corked or by clearing
 * the option; getsockopt gives the option as 0 or 1. The datagram goes
 * where the first send said (a later send's address is ignored, or
 * refused on IPv6 when it is of the other family); a send that takes it
 * past what a datagram carries is EMSGSIZE and drops what was pending,
 * as does a bad buffer (EFAULT). A receiver reads the datagrams' sizes
 * up to an "end" datagram the sender sends afterwards. */
#include "inet_common.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_CORK
#define UDP_CORK 1
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif

static char big[140000];
static char rbuf[140000];

static void res(const char *label, ssize_t n) {
	if (n < 0)
		printf("  %s: %s\n", label, ierrname(errno));
	else
		printf("  %s: %zd\n", label, n);
}

/* drain sends "end" from s to r's address (to, tl) and prints the
 * datagrams r has before it: size, and the bytes of short ones. */
static void drain(const char *label, int r, int s, const iaddr *to, socklen_t tl) {
	printf("  %s:", label);
	if (sendto(s, "end", 3, 0, &to->sa, tl) != 3) {
		printf(" end: %s\n", ierrname(errno));
		return;
	}
	for (int i = 0; i < 20; i++) {
		ssize_t n = recv(r, rbuf, sizeof rbuf, 0);
		if (n < 0) {
			printf(" recv: %s\n", ierrname(errno));
			return;
		}
		if (n == 3 && memcmp(rbuf, "end", 3) == 0) {
			printf(" end\n");
			return;
		}
		if (n <= 16)
			printf(" %zd\"%.*s\"", n, (int)n, rbuf);
		else
			printf(" %zd", n);
	}
	printf(" more datagrams than expected\n");
}

static void cork(const char *label, int s, int v) {
	int r = setint(s, SOL_UDP, UDP_CORK, v);
	printf("  set cork %s: %s, get %d\n", label, r < 0 ? ierrname(errno) : "0", getint(s, SOL_UDP, UDP_CORK));
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int r = listener(fam, SOCK_DGRAM);
	int r2 = listener(fam, SOCK_DGRAM);
	iaddr to, to2;
	socklen_t tl = loopback(&to, fam, local_port(r));
	loopback(&to2, fam, local_port(r2));
	int s = socket(fam, SOCK_DGRAM, 0);
	memset(big, 'x', sizeof big);
	size_t max = fam == AF_INET ? 65507 : 65527;

	printf("  get cork default: %d\n", getint(s, SOL_UDP, UDP_CORK));
	cork("5", s, 5);
	cork("0", s, 0);
	short sh = 1;
	int e = setsockopt(s, SOL_UDP, UDP_CORK, &sh, sizeof sh);
	printf("  set cork as a short: %s, get %d\n", e < 0 ? ierrname(errno) : "0", getint(s, SOL_UDP, UDP_CORK));
	res("MSG_MORE without a destination", send(s, "ab", 2, MSG_MORE));

	/* The option. */
	cork("1", s, 1);
	res("corked ab", sendto(s, "ab", 2, 0, &to.sa, tl));
	res("corked cde", sendto(s, "cde", 3, 0, &to.sa, tl));
	res("corked empty", sendto(s, "", 0, 0, &to.sa, tl));
	res("corked f without an address", send(s, "f", 1, 0));
	cork("1 again", s, 1);
	cork("0", s, 0);
	drain("after uncorking", r, s, &to, tl);
	cork("1", s, 1);
	cork("0 with nothing pending", s, 0);
	drain("nothing", r, s, &to, tl);
	cork("1", s, 1);
	res("corked empty", sendto(s, "", 0, 0, &to.sa, tl));
	cork("0", s, 0);
	drain("one empty datagram", r, s, &to, tl);

	/* MSG_MORE. */
	res("MSG_MORE ab", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
	res("MSG_MORE cd", sendto(s, "cd", 2, MSG_MORE, &to.sa, tl));
	res("ef", sendto(s, "ef", 2, 0, &to.sa, tl));
	drain("after MSG_MORE", r, s, &to, tl);
	res("MSG_MORE ab", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
	cork("1", s, 1);
	res("corked cd", sendto(s, "cd", 2, 0, &to.sa, tl));
	cork("0", s, 0);
	drain("MSG_MORE then the option", r, s, &to, tl);

	/* A later destination. */
	res("MSG_MORE ab to r", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
	res("cd to r2", sendto(s, "cd", 2, 0, &to2.sa, tl));
	drain("r", r, s, &to, tl);
	drain("r2", r2, s, &to2, tl);
	iaddr odd;
	memset(&odd, 0, sizeof odd);
	odd.sa.sa_family = 12345;
	res("MSG_MORE ab to r", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
	res("cd to family 12345", sendto(s, "cd", 2, 0, &odd.sa, tl));
	res("ef to r", sendto(s, "ef", 2, 0, &to.sa, tl));
	drain("r", r, s, &to, tl);
	if (fam == AF_INET6) {
		iaddr m;
		memset(&m, 0, sizeof m);
		m.in6.sin6_family = AF_INET6;
		m.in6.sin6_port = to.in6.sin6_port;
		inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.in6.sin6_addr);
		struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = to.in6.sin6_port};
		v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		res("MSG_MORE ab to r", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
		res("cd to ::ffff:127.0.0.1", sendto(s, "cd", 2, MSG_MORE, &m.sa, sizeof m.in6));
		res("cd to 127.0.0.1", sendto(s, "cd", 2, MSG_MORE, (struct sockaddr *)&v4, sizeof v4));
		res("cd with a short address", sendto(s, "cd", 2, MSG_MORE, &to.sa, 20));
		res("ef to r", sendto(s, "ef", 2, 0, &to.sa, tl));
		drain("r", r, s, &to, tl);
	}

	/* The size limit. */
	cork("1", s, 1);
	res("corked 65000", sendto(s, big, 65000, 0, &to.sa, tl));
	res("corked the rest", sendto(s, big, max - 65000, 0, &to.sa, tl));
	cork("0", s, 0);
	drain("a full datagram", r, s, &to, tl);
	cork("1", s, 1);
	res("corked 65000", sendto(s, big, 65000, 0, &to.sa, tl));
	res("corked one byte more than the rest", sendto(s, big, max - 65000 + 1, 0, &to.sa, tl));
	res("corked ab", sendto(s, "ab", 2, 0, &to.sa, tl));
	cork("0", s, 0);
	drain("after EMSGSIZE", r, s, &to, tl);
	cork("1", s, 1);
	res("corked one byte more than a datagram", sendto(s, big, max + 1, 0, &to.sa, tl));
	res("corked ab", sendto(s, "ab", 2, 0, &to.sa, tl));
	res("corked 70000", sendto(s, big, 70000, 0, &to.sa, tl));
	cork("0", s, 0);
	drain("after 70000", r, s, &to, tl);
	res("MSG_MORE ab", sendto(s, "ab", 2, MSG_MORE, &to.sa, tl));
	res("MSG_MORE from a bad buffer", sendto(s, (void *)1, 10, MSG_MORE, &to.sa, tl));
	res("cd", sendto(s, "cd", 2, 0, &to.sa, tl));
	drain("after EFAULT", r, s, &to, tl);

	/* With UDP_SEGMENT. */
	setint(s, SOL_UDP, UDP_SEGMENT, 4);
	cork("1", s, 1);
	res("corked 6", sendto(s, "abcdef", 6, 0, &to.sa, tl));
	res("corked 5", sendto(s, "ghijk", 5, 0, &to.sa, tl));
	cork("0", s, 0);
	setint(s, SOL_UDP, UDP_SEGMENT, 0);
	drain("segments", r, s, &to, tl);

	/* A connected socket. */
	int c = connect_to(fam, SOCK_DGRAM, local_port(r));
	res("connected MSG_MORE ab", send(c, "ab", 2, MSG_MORE));
	res("connected cd", send(c, "cd", 2, 0));
	drain("connected", r, c, &to, tl);
	close(c);
	close(s);
	close(r);
	close(r2);

	int t = socket(fam, SOCK_STREAM, 0);
	e = setint(t, SOL_UDP, UDP_CORK, 1);
	printf("  cork on TCP: %s, get %d\n", e < 0 ? ierrname(errno) : "0", getint(t, SOL_UDP, UDP_CORK));
	close(t);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
