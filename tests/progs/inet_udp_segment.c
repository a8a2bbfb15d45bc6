/* UDP_SEGMENT control messages (UDP GSO) on a UDP sendmsg over
 * 127.0.0.1 and ::1: the data leaves as datagrams of the segment size,
 * the last one shorter; a segment size of 0, or one not smaller than
 * the data, sends one datagram. More than 128 segments is EINVAL, more
 * data than one datagram may carry EMSGSIZE, a message of another size
 * or another SOL_UDP type EINVAL. */
#include "inet_common.h"

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h */
#endif

static char big[70000];

static int sendg(int s, const iaddr *to, socklen_t tolen, const char *data, size_t len, int type, const void *v, int vlen) {
	char cbuf[CMSG_SPACE(8)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {(void *)data, len};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = to ? tolen : 0, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = CMSG_SPACE(vlen)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(vlen);
	memcpy(CMSG_DATA(c), v, vlen);
	ssize_t n = sendmsg(s, &m, 0);
	return n < 0 ? -errno : (int)n;
}

/* show prints the result of a send and receives the count datagrams it
 * should have made (blocking: they were sent), with a datagram of
 * "end" after them to show there are no more. */
static void show(const char *label, int r, int s, const iaddr *to, socklen_t tolen, int ret, int count) {
	if (ret < 0) {
		printf("  %s: %s\n", label, ierrname(-ret));
		return;
	}
	printf("  %s: %d\n", label, ret);
	sendto(s, "end", 3, 0, to ? &to->sa : NULL, to ? tolen : 0);
	for (int i = 0; i <= count; i++) {
		ssize_t n = recv(r, big, sizeof big, 0);
		if (n < 0) {
			printf("    recv: %s\n", ierrname(errno));
			return;
		}
		if (n <= 16)
			printf("    %zd \"%.*s\"\n", n, (int)n, big);
		else
			printf("    %zd bytes\n", n);
		if (n == 3 && memcmp(big, "end", 3) == 0)
			return;
	}
	printf("    more datagrams than expected\n");
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	int r = listener(fam, SOCK_DGRAM);
	int s = connect_to(fam, SOCK_DGRAM, local_port(r));
	unsigned short g = 4;
	show("segment 4, 10 bytes", r, s, NULL, 0, sendg(s, NULL, 0, "abcdefghij", 10, UDP_SEGMENT, &g, 2), 3);
	show("segment 4, 4 bytes", r, s, NULL, 0, sendg(s, NULL, 0, "abcd", 4, UDP_SEGMENT, &g, 2), 1);
	show("segment 4, 3 bytes", r, s, NULL, 0, sendg(s, NULL, 0, "abc", 3, UDP_SEGMENT, &g, 2), 1);
	int gi = 4;
	show("segment as an int", r, s, NULL, 0, sendg(s, NULL, 0, "abcdefghij", 10, UDP_SEGMENT, &gi, 4), 0);
	show("SOL_UDP type 1", r, s, NULL, 0, sendg(s, NULL, 0, "abcdefghij", 10, 1, &g, 2), 0);
	g = 0;
	show("segment 0, 10 bytes", r, s, NULL, 0, sendg(s, NULL, 0, "abcdefghij", 10, UDP_SEGMENT, &g, 2), 1);
	g = 1;
	show("segment 1, 5 bytes", r, s, NULL, 0, sendg(s, NULL, 0, "vwxyz", 5, UDP_SEGMENT, &g, 2), 5);
	show("segment 1, 129 bytes", r, s, NULL, 0, sendg(s, NULL, 0, big, 129, UDP_SEGMENT, &g, 2), 0);
	g = 1000;
	memset(big, 'x', sizeof big);
	show("segment 1000, 2500 bytes", r, s, NULL, 0, sendg(s, NULL, 0, big, 2500, UDP_SEGMENT, &g, 2), 3);
	size_t max = fam == AF_INET ? 65507 : 65527;
	show("segment 1000, one byte more than a datagram carries", r, s, NULL, 0, sendg(s, NULL, 0, big, max + 1, UDP_SEGMENT, &g, 2), 0);
	close(s);

	s = socket(fam, SOCK_DGRAM, 0);
	iaddr to;
	socklen_t tl = loopback(&to, fam, local_port(r));
	g = 2;
	show("sendto, segment 2, 5 bytes", r, s, &to, tl, sendg(s, &to, tl, "12345", 5, UDP_SEGMENT, &g, 2), 3);
	close(s);
	close(r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
