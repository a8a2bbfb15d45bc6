/* SO_TIMESTAMPING's software transmit timestamps of UDP datagrams over
 * 127.0.0.1 and ::1. Each datagram is stamped when it goes to lo: the
 * stamp comes on the error queue
 * (POLLERR), read with recvmsg(MSG_ERRQUEUE): SCM_TIMESTAMPING with the
 * software time, then IP_RECVERR/IPV6_RECVERR's sock_extended_err
 * (ENOMSG, origin SO_EE_ORIGIN_TIMESTAMPING, SCM_TSTAMP_SND, the
 * OPT_ID counter: datagrams counted from 0 since OPT_ID was turned on,
 * 0 without it); with OPT_TSONLY no data, without it the packet with its
 * headers; without SOF_TIMESTAMPING_SOFTWARE no SCM_TIMESTAMPING. An
 * empty queue is EAGAIN; unknown flags are EINVAL; getsockopt gives the
 * flags back. */
#include "inet_common.h"
#include <time.h>

#define SOF_TX_SOFTWARE (1 << 1)
#define SOF_SOFTWARE (1 << 4)
#define SOF_OPT_ID (1 << 7)
#define SOF_OPT_TSONLY (1 << 11)
#define SO_EE_ORIGIN_TIMESTAMPING 4
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef ENOMSG
#define ENOMSG 42
#endif

struct ext_err {
	unsigned ee_errno;
	unsigned char ee_origin, ee_type, ee_code, ee_pad;
	unsigned ee_info, ee_data;
};

/* errqueue reads one error-queue message and prints what it holds. */
static void errqueue(const char *label, int fd) {
	char buf[256], cbuf[1024];
	struct iovec iov = {buf, sizeof buf};
	iaddr from;
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
			   .msg_control = cbuf, .msg_controllen = sizeof cbuf};
	long n = recvmsg(fd, &m, MSG_ERRQUEUE);
	if (n < 0) {
		printf("  %s: %s\n", label, errname(errno));
		return;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	printf("  %s: %ld bytes, flags %#x, namelen %d:", label, n, m.msg_flags, (int)m.msg_namelen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		printf(" [%d %d", c->cmsg_level, c->cmsg_type);
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING_OLD) {
			struct timespec ts[3];
			memcpy(ts, CMSG_DATA(c), sizeof ts);
			long d = (long)(now.tv_sec - ts[0].tv_sec);
			printf(" sw %s, others %s", d >= 0 && d < 60 && ts[0].tv_nsec < 1000000000 ? "recent" : "wrong",
			       ts[1].tv_sec | ts[1].tv_nsec | ts[2].tv_sec | ts[2].tv_nsec ? "set" : "zero");
		} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
			   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			struct ext_err e;
			memcpy(&e, CMSG_DATA(c), sizeof e);
			printf(" errno %s origin %s info %u data %u", e.ee_errno == ENOMSG ? "ENOMSG" : errname(e.ee_errno),
			       e.ee_origin == SO_EE_ORIGIN_TIMESTAMPING ? "timestamping" : "other", e.ee_info, e.ee_data);
		}
		printf("]");
	}
	printf("\n");
}

static void setflags(const char *label, int fd, int f) {
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD, &f, sizeof f) < 0)
		printf("  %s: %s\n", label, errname(errno));
	else
		printf("  %s: ok, getsockopt %#x\n", label, getint(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD));
}

static void run(int fam) {
	printf("%s:\n", famname(fam));
	/* UDP */
	int r = listener(fam, SOCK_DGRAM);
	iaddr to;
	socklen_t tl = loopback(&to, fam, local_port(r));
	int u = socket(fam, SOCK_DGRAM, 0);
	setflags("unknown flag", u, 1 << 30);
	setflags("udp flags", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	errqueue("udp nothing sent", u);
	sendto(u, "one", 3, 0, &to.sa, tl);
	sendto(u, "two!", 4, 0, &to.sa, tl);
	printf("  POLLERR: %s\n", waitfor(u, 0) & POLLERR ? "yes" : "no");
	errqueue("udp first", u);
	errqueue("udp second", u);
	errqueue("udp none left", u);
	printf("  POLLERR after: %s\n", waitfor(u, POLLOUT) & POLLERR ? "yes" : "no");
	/* the packet itself comes back without OPT_TSONLY */
	setflags("udp without TSONLY", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID);
	sendto(u, "three", 5, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp with data", u);

	/* OPT_ID turned off and on again counts from 0 */
	setflags("udp without OPT_ID", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_TSONLY);
	sendto(u, "four", 4, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp without OPT_ID", u);
	setflags("udp OPT_ID again", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID | SOF_OPT_TSONLY);
	sendto(u, "five", 4, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp OPT_ID again", u);
	/* without SOF_TIMESTAMPING_SOFTWARE the time is not reported */
	setflags("udp without SOFTWARE", u, SOF_TX_SOFTWARE | SOF_OPT_TSONLY);
	sendto(u, "six", 3, 0, &to.sa, tl);
	waitfor(u, 0);
	errqueue("udp without SOFTWARE", u);
	/* a connected socket's send */
	connect(u, &to.sa, tl);
	setflags("udp connected", u, SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_TSONLY);
	send(u, "seven", 5, 0);
	waitfor(u, 0);
	errqueue("udp connected", u);
	errqueue("udp none left", u);
	close(u);
	close(r);
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	run(AF_INET);
	run(AF_INET6);
	return 0;
}
