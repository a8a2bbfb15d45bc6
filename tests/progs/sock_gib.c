/* 1 GiB through a stream socket pair from a child to its parent, both
 * sides nonblocking in poll loops with writes and reads of varying sizes;
 * the reader checks every byte. The size counters are long: an int
 * multiplied by the size step overflows within a gibibyte of small reads. */
#include "sock_common.h"

#define TOTAL (1L << 30)

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + (i >> 11)); }

int main(void) {
	int sv[2];
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		static unsigned char buf[200000];
		long sent = 0;
		long round = 0;
		while (sent < TOTAL) {
			struct pollfd p = {sv[1], POLLOUT, 0};
			if (poll(&p, 1, 30000) <= 0)
				_exit(2);
			long want = 1000 + (round++ * 7919) % (long)sizeof buf;
			if (want > TOTAL - sent)
				want = TOTAL - sent;
			for (long i = 0; i < want; i++)
				buf[i] = pattern(sent + i);
			long n = write(sv[1], buf, want);
			if (n < 0 && errno != EAGAIN)
				_exit(3);
			if (n > 0)
				sent += n;
		}
		_exit(0);
	}
	close(sv[1]);
	static unsigned char buf[150000];
	long got = 0, bad = -1, polls = 0;
	long round = 0;
	for (;;) {
		struct pollfd p = {sv[0], POLLIN, 0};
		if (poll(&p, 1, 30000) <= 0)
			break;
		polls++;
		long want = 512 + (round++ * 104729) % (long)sizeof buf;
		long n = read(sv[0], buf, want);
		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EAGAIN)
				continue;
			break;
		}
		for (long i = 0; i < n; i++)
			if (buf[i] != pattern(got + i) && bad < 0)
				bad = got + i;
		got += n;
	}
	int st;
	waitpid(c, &st, 0);
	printf("received %ld of %ld, first bad byte %ld, writer status %d, polled: %d\n",
	       got, TOTAL, bad, st, polls > 0);
	return got != TOTAL || bad >= 0 || st != 0;
}
