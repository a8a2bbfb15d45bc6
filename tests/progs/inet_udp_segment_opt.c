/* UDP_SEGMENT as a socket option (setsockopt/getsockopt SOL_UDP) over
 * 127.0.0.1 and ::1: it is an int from 0 to 65535 (others, and a value
 * shorter than an int, EINVAL), read back truncated to the caller's
 * length; a set segment size splits every send without a UDP_SEGMENT
 * message into datagrams of that size, a message overrides it (0: one
 * datagram), its limits are the message's, and it stays over a
 * disconnect. TCP sockets refuse the level. */
#include "inet_common.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif

static char big[70000];

static int sendg(int s, const char *data, size_t len, int withmsg, unsigned short g) {
	char cbuf[CMSG_SPACE(2)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {(void *)data, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (withmsg) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof cbuf;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_UDP;
		c->cmsg_type = UDP_SEGMENT;
		c->cmsg_len = CMSG_LEN(2);
		memcpy(CMSG_DATA(c), &g, 2);
	}
	ssize_t n = sendmsg(s, &m, 0);
	return n < 0 ? -errno : (int)n;
}

/* show prints a send's result and the sizes of the datagrams it made
 * (runs of one size as SIZExCOUNT), ended by an "end" datagram sent
 * after them. */
static void show(const char *label, int r, int s, int ret) {
	static char rbuf[70000];
	if (ret < 0) {
		printf("  %s: %s\n", label, ierrname(-ret));
		return;
	}
	printf("  %s: %d:", label, ret);
	send(s, "end", 3, 0);
	ssize_t last = -1;
	int run = 0;
	for (int i = 0; i < 300; i++) {
		ssize_t n = recv(r, rbuf, sizeof rbuf, 0);
		if (n < 0) {
			printf(" recv: %s\n", ierrname(errno));
			return;
		}
		int end = n == 3 && memcmp(rbuf, "end", 3) == 0;
		if (run > 0 && (end || n != last)) {
			printf(" %zdx%d", last, run);
			run = 0;
		}
		if (end) {
			printf("\n");
			return;
		}
		last = n;
		run++;
	}
	printf(" more datagrams than expected\n");
}

static void setg(const char *label, int s, const void *v, socklen_t len) {
	int r = setsockopt(s, SOL_UDP, UDP_SEGMENT, v, len);
	printf("  set %s: %s\n", label, r < 0 ? ierrname(errno) : "0");
}

static void getg(const char *label, int s, socklen_t len) {
	unsigned char b[8];
	memset(b, 0xee, sizeof b);
	socklen_t l = len;
	if (getsockopt(s, SOL_UDP, UDP_SEGMENT, b, &l) < 0) {
		printf("  get %s: %s\n", label, ierrname(errno));
		return;
	}
	printf("  get %s: len %u bytes", label, (unsigned)l);
	for (int i = 0; i < 8; i++)
		printf(" %02x", b[i]);
	printf("\n");
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int r = listener(fam, SOCK_DGRAM);
	int s = connect_to(fam, SOCK_DGRAM, local_port(r));
	memset(big, 'x', sizeof big);

	getg("default", s, 4);
	int v = 4;
	setg("4", s, &v, sizeof v);
	getg("after 4", s, 4);
	getg("after 4, length 2", s, 2);
	getg("after 4, length 8", s, 8);
	getg("after 4, length 0", s, 0);
	show("10 bytes", r, s, sendg(s, "abcdefghij", 10, 0, 0));
	show("4 bytes", r, s, sendg(s, "abcd", 4, 0, 0));
	show("message of 5 over the option", r, s, sendg(s, "abcdefghij", 10, 1, 5));
	show("message of 0 over the option", r, s, sendg(s, "abcdefghij", 10, 1, 0));
	show("129 segments", r, s, sendg(s, big, 4 * 129, 0, 0));
	show("128 segments", r, s, sendg(s, big, 4 * 128, 0, 0));

	v = -1;
	setg("-1", s, &v, sizeof v);
	v = 65536;
	setg("65536", s, &v, sizeof v);
	short sh = 6;
	setg("as a short", s, &sh, sizeof sh);
	long long ll = 7;
	setg("as a long long", s, &ll, sizeof ll);
	getg("after those", s, 4);
	v = 65535;
	setg("65535", s, &v, sizeof v);
	getg("after 65535", s, 4);
	show("65535, 100 bytes", r, s, sendg(s, big, 100, 0, 0));
	size_t max = fam == AF_INET ? 65507 : 65527;
	show("65535, one byte more than a datagram carries", r, s, sendg(s, big, max + 1, 0, 0));
	v = 65490;
	setg("65490", s, &v, sizeof v);
	show("65490, 65500 bytes", r, s, sendg(s, big, 65500, 0, 0));
	v = 1000;
	setg("1000", s, &v, sizeof v);
	show("2500 bytes", r, s, sendg(s, big, 2500, 0, 0));

	/* The option stays over a disconnect. */
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	if (connect(s, &un, sizeof un) < 0)
		printf("  disconnect: %s\n", ierrname(errno));
	getg("after a disconnect", s, 4);
	iaddr to;
	socklen_t tl = loopback(&to, fam, local_port(r));
	if (connect(s, &to.sa, tl) < 0)
		printf("  connect: %s\n", ierrname(errno));
	show("2500 bytes after a disconnect", r, s, sendg(s, big, 2500, 0, 0));
	v = 0;
	setg("0", s, &v, sizeof v);
	show("2500 bytes without", r, s, sendg(s, big, 2500, 0, 0));
	close(s);
	close(r);

	int t = socket(fam, SOCK_STREAM, 0);
	v = 4;
	setg("on TCP", t, &v, sizeof v);
	getg("on TCP", t, 4);
	close(t);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
