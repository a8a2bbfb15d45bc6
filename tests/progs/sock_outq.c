/* AF_UNIX stream send-buffer accounting: SIOCOUTQ after writes of sizes
 * around Linux's message geometry (a write is cut into sk_buffs of at most
 * 36544 bytes, each charged its truesize), how much a nonblocking writer
 * gets in with the default and a small SO_SNDBUF, and SIOCOUTQ as the
 * reader takes part of a message, the rest of it, and everything. */
#include "sock_common.h"
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

static char buf[200000];

static int outq(int fd) {
	int n = -1;
	if (ioctl(fd, SIOCOUTQ, &n) < 0)
		return -errno;
	return n;
}

static void fill(const char *label, int sndbuf) {
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) {
		printf("socketpair: %s\n", errname(errno));
		return;
	}
	if (sndbuf > 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	printf("%s:", label);
	long total = 0;
	for (int i = 0; i < 64; i++) {
		ssize_t n = write(sv[0], buf, 65536);
		if (n < 0) {
			printf(" %s\n", errname(errno));
			break;
		}
		total += n;
		printf(" %zd(outq %d)", n, outq(sv[0]));
	}
	printf("%s: total %ld\n", label, total);
	/* The reader takes 1000 bytes (the first message stays charged),
	 * then the rest of the first message, then everything. */
	ssize_t r = read(sv[1], buf, 1000);
	printf("%s: read %zd, outq %d\n", label, r, outq(sv[0]));
	int first = sndbuf > 0 ? 4544 : 36544;
	r = read(sv[1], buf, first - 1000);
	printf("%s: read %zd, outq %d\n", label, r, outq(sv[0]));
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
	long got = 0;
	while ((r = read(sv[1], buf, sizeof buf)) > 0)
		got += r;
	printf("%s: read the rest (%ld), outq %d\n", label, got, outq(sv[0]));
	close(sv[0]);
	close(sv[1]);
}

int main(void) {
	static const int sizes[] = {1, 100, 448, 449, 3776, 3777, 8000, 36544, 36545, 65536, 100000, 150000};
	for (unsigned i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return 1;
		ssize_t n = write(sv[0], buf, sizes[i]);
		printf("write %d: %zd, outq %d\n", sizes[i], n, outq(sv[0]));
		close(sv[0]);
		close(sv[1]);
	}
	fill("default", 0);
	fill("sndbuf 4608", 4608);
	return 0;
}
