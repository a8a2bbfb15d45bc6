/* recvmmsg's partial results on UDP over 127.0.0.1 and ::1 and on a Unix
 * datagram socket: an error after the first message (the next mmsghdr
 * lies on an inaccessible page) returns the count, and the error comes
 * from the next receive (before the queued datagram) or from SO_ERROR,
 * and poll shows POLLERR meanwhile; running out of datagrams
 * (MSG_DONTWAIT, MSG_WAITFORONE) records nothing; a zero timeout takes
 * one message; the timeout left is written back; a bad timeout is
 * EINVAL. */
#include "inet_common.h"
#include <sys/mman.h>

static void sendn(int c, int n) {
	for (int i = 0; i < n; i++) {
		char b[8];
		snprintf(b, sizeof b, "m%d", i);
		send(c, b, strlen(b), 0);
	}
}

static struct mmsghdr *hdrs; /* 3 entries */
static char bufs[3][16];
static struct iovec iovs[3];

static void setup(void) {
	memset(hdrs, 0, 3 * sizeof *hdrs);
	for (int i = 0; i < 3; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof bufs[i];
		hdrs[i].msg_hdr.msg_iov = &iovs[i];
		hdrs[i].msg_hdr.msg_iovlen = 1;
	}
}

static void one(int s, const char *label) {
	char b[16] = {0};
	errno = 0;
	ssize_t n = recv(s, b, sizeof b - 1, MSG_DONTWAIT);
	if (n < 0)
		printf("%s: -1 %s\n", label, ierrname(errno));
	else
		printf("%s: %s\n", label, b);
}

static void cases(int u, int c, int pagesz, char *page) {
	/* The second entry on the inaccessible page. */
	struct mmsghdr *edge = (struct mmsghdr *)(page + pagesz - sizeof *edge);
	memset(edge, 0, sizeof *edge);
	edge->msg_hdr.msg_iov = &iovs[0];
	edge->msg_hdr.msg_iovlen = 1;
	sendn(c, 2);
	waitfor(u, POLLIN);
	ICHECK("recvmmsg with a bad second entry", recvmmsg(u, edge, 2, MSG_DONTWAIT, NULL));
	printf("poll: POLLIN %d POLLERR %d\n", !!(waitfor(u, POLLIN) & POLLIN), !!(waitfor(u, POLLIN) & POLLERR));
	one(u, "next recv");
	printf("poll after: POLLERR %d\n", !!(waitfor(u, POLLIN) & POLLERR));
	one(u, "then");

	sendn(c, 2);
	waitfor(u, POLLIN);
	ICHECK("again", recvmmsg(u, edge, 2, MSG_DONTWAIT, NULL));
	printf("SO_ERROR %s\n", ierrname(getint(u, SOL_SOCKET, SO_ERROR)));
	printf("SO_ERROR again %d\n", getint(u, SOL_SOCKET, SO_ERROR));
	one(u, "recv");

	/* Running out is not an error. */
	setup();
	sendn(c, 2);
	waitfor(u, POLLIN);
	ICHECK("MSG_DONTWAIT, 2 of 3", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, NULL));
	printf("lengths %u %u; SO_ERROR %d\n", hdrs[0].msg_len, hdrs[1].msg_len, getint(u, SOL_SOCKET, SO_ERROR));
	setup();
	sendn(c, 1);
	ICHECK("MSG_WAITFORONE, 1 of 3", recvmmsg(u, hdrs, 3, MSG_WAITFORONE, NULL));
	printf("SO_ERROR %d\n", getint(u, SOL_SOCKET, SO_ERROR));
	ICHECK("empty, MSG_DONTWAIT", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, NULL));

	/* Timeouts. */
	setup();
	sendn(c, 3);
	waitfor(u, POLLIN);
	struct timespec zero = {0, 0};
	ICHECK("zero timeout", recvmmsg(u, hdrs, 3, 0, &zero));
	printf("timeout left %ld.%09ld\n", (long)zero.tv_sec, zero.tv_nsec);
	struct timespec big = {1000, 0};
	ICHECK("1000 s timeout, MSG_DONTWAIT", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, &big));
	printf("timeout left below 1000 s and above 900 s: %d\n", big.tv_sec < 1000 && big.tv_sec >= 900);
	struct timespec bad = {0, 1000000000};
	ICHECK("tv_nsec 1e9", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, &bad));
	struct timespec neg = {-1, 0};
	ICHECK("tv_sec -1", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, &neg));
	ICHECK("timeout at a bad address", recvmmsg(u, hdrs, 3, MSG_DONTWAIT, BADPTR));
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	int pagesz = getpagesize();
	char *page = mmap(NULL, 2 * pagesz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mprotect(page + pagesz, pagesz, PROT_NONE);
	hdrs = calloc(3, sizeof *hdrs);
	setup();
	int fams[] = {AF_INET, AF_INET6};
	for (int i = 0; i < 2; i++) {
		printf("-- %s UDP\n", famname(fams[i]));
		int u = listener(fams[i], SOCK_DGRAM);
		int c = connect_to(fams[i], SOCK_DGRAM, local_port(u));
		cases(u, c, pagesz, page);
		close(u);
		close(c);
	}
	printf("-- unix dgram\n");
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	cases(sv[0], sv[1], pagesz, page);
	return 0;
}
