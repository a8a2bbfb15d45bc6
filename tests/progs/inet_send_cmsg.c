/* sendmsg control messages that set a datagram's IP TTL (IP_TTL) and
 * IPv6 hop limit (IPV6_HOPLIMIT) over loopback UDP; the receiver reads
 * them back with IP_RECVTTL / IPV6_RECVHOPLIMIT. Bad values and bad
 * lengths are EINVAL; a hop limit of -1 means the socket's own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *ename(int e) {
	switch (e) {
	case 0: return "0";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

/* sendc sends one byte from s with a control message of level/type
 * holding len bytes of val. */
static int sendc(int s, int level, int type, int val, int len) {
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {"x", 1};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), &val, len < 4 ? len : 4);
	return sendmsg(s, &m, 0) < 0 ? errno : 0;
}

/* recvv receives one datagram on r and returns the int of the control
 * message level/type, or -100 if there is none. */
static int recvv(int r, int level, int type) {
	char b[8], cbuf[256];
	struct iovec iov = {b, sizeof b};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	if (recvmsg(r, &m, 0) < 0)
		return -200;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == level && c->cmsg_type == type) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof v);
			return v;
		}
	return -100;
}

static void pair(int fam, int *s, int *r) {
	*r = socket(fam, SOCK_DGRAM, 0);
	*s = socket(fam, SOCK_DGRAM, 0);
	struct sockaddr_storage a;
	socklen_t l;
	memset(&a, 0, sizeof a);
	if (fam == AF_INET) {
		struct sockaddr_in *a4 = (void *)&a;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l = sizeof *a4;
	} else {
		struct sockaddr_in6 *a6 = (void *)&a;
		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_loopback;
		l = sizeof *a6;
	}
	bind(*r, (void *)&a, l);
	getsockname(*r, (void *)&a, &l);
	connect(*s, (void *)&a, l);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int s, r, one = 1;
	pair(AF_INET, &s, &r);
	setsockopt(r, IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
	int ttls[] = {9, 1, 255};
	for (int i = 0; i < 3; i++) {
		int e = sendc(s, IPPROTO_IP, IP_TTL, ttls[i], sizeof(int));
		printf("IP_TTL %d: %s, received ttl %d\n", ttls[i], ename(e), e ? -1 : recvv(r, IPPROTO_IP, IP_TTL));
	}
	int badttl[] = {0, 256, -1};
	for (int i = 0; i < 3; i++)
		printf("IP_TTL %d: %s\n", badttl[i], ename(sendc(s, IPPROTO_IP, IP_TTL, badttl[i], sizeof(int))));
	printf("IP_TTL short: %s\n", ename(sendc(s, IPPROTO_IP, IP_TTL, 9, 1)));
	int e = send(s, "x", 1, 0) < 0 ? errno : 0;
	printf("without: %s, received ttl %d\n", ename(e), e ? -1 : recvv(r, IPPROTO_IP, IP_TTL));
	close(s);
	close(r);

	pair(AF_INET6, &s, &r);
	setsockopt(r, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
	int hops[] = {7, 0, 255, -1};
	for (int i = 0; i < 4; i++) {
		int e = sendc(s, IPPROTO_IPV6, IPV6_HOPLIMIT, hops[i], sizeof(int));
		printf("IPV6_HOPLIMIT %d: %s, received hop limit %d\n", hops[i], ename(e), e ? -1 : recvv(r, IPPROTO_IPV6, IPV6_HOPLIMIT));
	}
	int badhop[] = {-2, 256};
	for (int i = 0; i < 2; i++)
		printf("IPV6_HOPLIMIT %d: %s\n", badhop[i], ename(sendc(s, IPPROTO_IPV6, IPV6_HOPLIMIT, badhop[i], sizeof(int))));
	printf("IPV6_HOPLIMIT short: %s\n", ename(sendc(s, IPPROTO_IPV6, IPV6_HOPLIMIT, 7, 2)));
	int hs = 33;
	setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hs, sizeof hs);
	e = sendc(s, IPPROTO_IPV6, IPV6_HOPLIMIT, -1, sizeof(int));
	printf("IPV6_HOPLIMIT -1 after IPV6_UNICAST_HOPS 33: %s, received hop limit %d\n", ename(e), e ? -1 : recvv(r, IPPROTO_IPV6, IPV6_HOPLIMIT));
	return 0;
}
