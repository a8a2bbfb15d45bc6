/* Transmit timestamps wait on the error queue only while they fit the
 * socket's receive buffer (Linux's sock_queue_err_skb drops the others):
 * a program that sends many large datagrams with SO_TIMESTAMPING and
 * never reads its error queue finds fewer stamps there than datagrams
 * sent, and the oldest stamps first. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* linux/net_tstamp.h and linux/errqueue.h (musl has neither). */
#define SOF_TX_SOFTWARE (1 << 1)
#define SOF_SOFTWARE (1 << 4)
#define SOF_OPT_ID (1 << 7)
#ifndef SO_TIMESTAMPING
#define SO_TIMESTAMPING 37
#endif

struct ext_err {
	unsigned ee_errno;
	unsigned char ee_origin, ee_type, ee_code, ee_pad;
	unsigned ee_info, ee_data;
};

#define SENDS 200

int main(void) {
	int r = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	if (r < 0 || bind(r, (void *)&a, sizeof a) || getsockname(r, (void *)&a, &l)) {
		perror("receiver");
		return 1;
	}
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int f = SOF_TX_SOFTWARE | SOF_SOFTWARE | SOF_OPT_ID;
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_TIMESTAMPING, &f, sizeof f)) {
		perror("SO_TIMESTAMPING");
		return 1;
	}
	static char buf[60000], rb[65536];
	long sent = 0;
	for (int i = 0; i < SENDS; i++) {
		if (sendto(s, buf, sizeof buf, 0, (void *)&a, sizeof a) == (ssize_t)sizeof buf)
			sent++;
		while (recv(r, rb, sizeof rb, MSG_DONTWAIT) > 0) {
		}
	}
	printf("sent %ld\n", sent);
	long queued = 0, first = -1;
	for (;;) {
		char cb[512];
		struct iovec io = {rb, sizeof rb};
		struct msghdr m = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cb, .msg_controllen = sizeof cb};
		if (recvmsg(s, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR && first < 0) {
				struct ext_err ee;
				memcpy(&ee, CMSG_DATA(c), sizeof ee);
				first = ee.ee_data;
			}
		}
		queued++;
	}
	printf("stamps queued: %s\n", queued == 0 ? "none" : queued < sent ? "some, fewer than sent" : "all");
	printf("first stamp's key: %ld\n", first);
	printf("error queue empty afterwards: %s\n", errno == EAGAIN ? "yes" : strerror(errno));
	return 0;
}
