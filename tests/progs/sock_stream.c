/* A stream socket pair moving 32 MiB each way at once between two
 * processes, both sides nonblocking in poll loops (reads and writes of
 * varying sizes), checking every byte; then the same through a named
 * socket with blocking writes and MSG_WAITALL reads. */
#include "sock_common.h"

#define TOTAL (32L << 20)

static unsigned char pattern(long i, int who) { return (unsigned char)(i * 7 + (i >> 11) + who * 13); }

/* pump sends TOTAL bytes of its pattern and receives TOTAL bytes of the
 * peer's, polling; it returns 0 when everything arrived intact. */
static int pump(int fd, int me) {
	static unsigned char out[100000], in[70000];
	long sent = 0, got = 0, bad = 0;
	long step = 0; /* long: step * 104729 must not overflow */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (sent < TOTAL || got < TOTAL) {
		struct pollfd p = {fd, (sent < TOTAL ? POLLOUT : 0) | POLLIN, 0};
		if (poll(&p, 1, 10000) <= 0) return 2;
		if (p.revents & POLLOUT && sent < TOTAL) {
			long n = 1 + (step++ * 7919) % (long)sizeof out;
			if (n > TOTAL - sent) n = TOTAL - sent;
			for (long i = 0; i < n; i++) out[i] = pattern(sent + i, me);
			ssize_t w = write(fd, out, n);
			if (w < 0 && errno != EAGAIN) return 3;
			if (w > 0) sent += w;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			ssize_t r = read(fd, in, 1 + (step * 104729) % (long)sizeof in);
			if (r < 0 && errno != EAGAIN) return 4;
			if (r == 0) return 5;
			for (long i = 0; i < r; i++)
				if (in[i] != pattern(got + i, !me)) bad++;
			if (r > 0) got += r;
		}
	}
	return bad ? 6 : 0;
}

int main(void) {
	int sv[2], st;
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		close(sv[0]);
		_exit(pump(sv[1], 1));
	}
	close(sv[1]);
	printf("parent pump: %d\n", pump(sv[0], 0));
	waitpid(c, &st, 0);
	describe("child pump", st);
	close(sv[0]);

	/* through a listener: blocking writes, MSG_WAITALL reads */
	struct sockaddr_un a;
	socklen_t al = sun_abstract(&a, "kite-sock-stream");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, al);
	listen(l, 1);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, al) < 0) _exit(1);
		static unsigned char b[1 << 16];
		for (long off = 0; off < TOTAL; off += sizeof b) {
			for (long i = 0; i < (long)sizeof b; i++) b[i] = pattern(off + i, 2);
			if (write(s, b, sizeof b) != sizeof b) _exit(2);
		}
		_exit(0);
	}
	int s = accept(l, NULL, NULL);
	static unsigned char b[1 << 20];
	long got = 0, bad = 0, calls = 0;
	for (;;) {
		ssize_t n = recv(s, b, sizeof b, MSG_WAITALL);
		if (n <= 0) break;
		calls++;
		for (long i = 0; i < n; i++)
			if (b[i] != pattern(got + i, 2)) bad++;
		got += n;
	}
	printf("MSG_WAITALL reads: got %ld bad %ld calls %ld\n", got, bad, calls);
	waitpid(c, &st, 0);
	describe("writer", st);
	return 0;
}
