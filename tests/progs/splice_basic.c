/* splice, tee and vmsplice: pipe <-> file, pipe -> pipe, offsets, flags,
 * blocking and the error cases, in Linux's order. Never splices into
 * stdout: only into pipes and files this program reads back itself. */
#include "pipe_common.h"
#include <sys/time.h>
#include <sys/uio.h>

static char dir[64];

static void drain(const char *label, int fd) {
	char buf[256];
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int n = read(fd, buf, sizeof buf - 1);
	fcntl(fd, F_SETFL, fl);
	if (n < 0) {
		printf("%s: read -1 %s\n", label, errname(errno));
		return;
	}
	buf[n] = 0;
	printf("%s: %d [%s]\n", label, n, buf);
}

static void showfile(const char *label, int fd) {
	char buf[256];
	int n = pread(fd, buf, sizeof buf - 1, 0);
	if (n < 0) n = 0;
	buf[n] = 0;
	for (int i = 0; i < n; i++)
		if (buf[i] == 0) buf[i] = '.';
	printf("%s: %d [%s]\n", label, n, buf);
}

static void on_alarm(int sig) { (void)sig; }

int main(void) {
	snprintf(dir, sizeof dir, "/tmp/kite-splice-%d", (int)getpid());
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
	int f = open("data", O_RDWR | O_CREAT, 0644);
	write(f, "0123456789abcdefghij", 20);
	int p[2], q[2];
	pipe(p);
	pipe(q);

	/* file -> pipe at the file offset and at an explicit offset. */
	lseek(f, 2, SEEK_SET);
	CHECK("file to pipe", splice(f, NULL, p[1], NULL, 5, 0));
	CHECK("file offset after", lseek(f, 0, SEEK_CUR));
	loff_t off = 15;
	CHECK("file to pipe at offset", splice(f, &off, p[1], NULL, 100, SPLICE_F_MOVE | SPLICE_F_MORE));
	printf("off now %lld, file offset %ld\n", (long long)off, (long)lseek(f, 0, SEEK_CUR));
	CHECK("file at EOF", splice(f, &off, p[1], NULL, 100, 0));
	drain("pipe holds", p[0]);

	/* pipe -> file. */
	int g = open("out", O_RDWR | O_CREAT | O_TRUNC, 0644);
	write(p[1], "hello world", 11);
	CHECK("pipe to file", splice(p[0], NULL, g, NULL, 5, 0));
	off = 10;
	CHECK("pipe to file at offset", splice(p[0], NULL, g, &off, 100, 0));
	printf("off now %lld, out offset %ld\n", (long long)off, (long)lseek(g, 0, SEEK_CUR));
	showfile("out", g);
	CHECK("empty pipe nonblock", splice(p[0], NULL, g, NULL, 10, SPLICE_F_NONBLOCK));

	/* pipe -> pipe. */
	write(p[1], "abcdefgh", 8);
	CHECK("pipe to pipe", splice(p[0], NULL, q[1], NULL, 3, 0));
	drain("q holds", q[0]);
	drain("p keeps", p[0]);

	/* tee. */
	write(p[1], "teedata", 7);
	CHECK("tee", tee(p[0], q[1], 100, 0));
	drain("tee copy", q[0]);
	drain("tee source", p[0]);
	CHECK("tee empty nonblock", tee(p[0], q[1], 10, SPLICE_F_NONBLOCK));
	CHECK("tee same pipe", tee(p[0], p[1], 10, 0));
	CHECK("tee file", tee(f, q[1], 10, 0));
	CHECK("tee bad flags", tee(p[0], q[1], 10, 0x100));
	CHECK("tee len 0", tee(99, 98, 0, 0));
	CHECK("tee bad fd", tee(99, q[1], 1, 0));
	CHECK("tee wrong ends", tee(p[1], q[0], 1, 0));

	/* vmsplice both ways. */
	char a[] = "vm", b[] = "splice";
	struct iovec iov[2] = {{a, 2}, {b, 6}};
	CHECK("vmsplice to pipe", vmsplice(p[1], iov, 2, 0));
	char r1[3] = {0}, r2[6] = {0};
	struct iovec riov[2] = {{r1, 2}, {r2, 5}};
	CHECK("vmsplice from pipe", vmsplice(p[0], riov, 2, 0));
	printf("got [%s] [%s]\n", r1, r2);
	drain("left", p[0]);
	CHECK("vmsplice from empty nonblock", vmsplice(p[0], riov, 2, SPLICE_F_NONBLOCK));
	CHECK("vmsplice file", vmsplice(f, iov, 2, 0));
	CHECK("vmsplice bad flags", vmsplice(p[1], iov, 2, 0x10));
	CHECK("vmsplice bad fd", vmsplice(99, iov, 2, 0));
	CHECK("vmsplice zero segs", vmsplice(p[1], iov, 0, 0));
	CHECK("vmsplice bad iov", vmsplice(p[1], (struct iovec *)8, 1, 0));
	CHECK("vmsplice too many", vmsplice(p[1], iov, 5000, 0));

	/* splice errors. */
	CHECK("len 0 bad fds", splice(99, NULL, 98, NULL, 0, 0));
	CHECK("bad flags", splice(p[0], NULL, q[1], NULL, 1, 0x40));
	CHECK("bad in fd", splice(99, NULL, q[1], NULL, 1, 0));
	CHECK("bad out fd", splice(p[0], NULL, 99, NULL, 1, 0));
	CHECK("no pipe", splice(f, NULL, g, NULL, 1, 0));
	off = 0;
	CHECK("offset on pipe in", splice(p[0], &off, g, NULL, 1, 0));
	CHECK("offset on pipe out", splice(f, NULL, q[1], &off, 1, 0));
	CHECK("offset on pipe, wrong end", splice(p[1], &off, g, NULL, 1, 0));
	CHECK("read end as out", splice(f, NULL, q[0], NULL, 1, 0));
	CHECK("write end as in", splice(p[1], NULL, g, NULL, 1, 0));
	CHECK("same pipe", splice(p[0], NULL, p[1], NULL, 1, 0));
	CHECK("bad offset pointer", splice(f, (loff_t *)8, q[1], NULL, 1, 0));
	off = -1;
	CHECK("negative offset", splice(f, &off, q[1], NULL, 1, 0));
	int ro = open("data", O_RDONLY);
	write(p[1], "x", 1);
	CHECK("to read-only file", splice(p[0], NULL, ro, NULL, 1, 0));
	int ap = open("out", O_WRONLY | O_APPEND);
	CHECK("to append file", splice(p[0], NULL, ap, NULL, 1, 0));
	CHECK("from directory", splice(open(".", O_RDONLY), NULL, q[1], NULL, 1, 0));
	drain("p after errors", p[0]);

	/* EOF: no writers. */
	int e[2];
	pipe(e);
	close(e[1]);
	CHECK("splice from closed pipe", splice(e[0], NULL, q[1], NULL, 10, 0));
	CHECK("splice closed pipe to file", splice(e[0], NULL, g, NULL, 10, 0));
	CHECK("tee from closed pipe", tee(e[0], q[1], 10, 0));

	/* EPIPE and SIGPIPE: no readers. */
	signal(SIGPIPE, SIG_IGN);
	int z[2];
	pipe(z);
	close(z[0]);
	CHECK("file to readerless pipe", splice(f, &off, z[1], NULL, 1, 0));
	off = 0;
	CHECK("file to readerless pipe at 0", splice(f, &off, z[1], NULL, 1, 0));
	write(p[1], "y", 1);
	CHECK("pipe to readerless pipe", splice(p[0], NULL, z[1], NULL, 1, 0));
	CHECK("vmsplice to readerless pipe", vmsplice(z[1], iov, 1, 0));
	drain("p kept y", p[0]);

	/* Full pipe: EAGAIN with SPLICE_F_NONBLOCK or an O_NONBLOCK pipe. */
	int full[2];
	pipe2(full, O_NONBLOCK);
	static char big[4096] __attribute__((aligned(4096)));
	memset(big, 'z', sizeof big);
	long total = 0;
	for (;;) {
		int n = write(full[1], big, sizeof big);
		if (n <= 0) break;
		total += n;
	}
	printf("filled %ld\n", total);
	off = 0;
	CHECK("file to full pipe nonblock", splice(f, &off, full[1], NULL, 1, SPLICE_F_NONBLOCK));
	CHECK("file to full O_NONBLOCK pipe", splice(f, &off, full[1], NULL, 1, 0));
	write(p[1], "w", 1);
	CHECK("pipe to full pipe", splice(p[0], NULL, full[1], NULL, 1, 0));
	CHECK("vmsplice to full pipe nonblock", vmsplice(full[1], iov, 1, SPLICE_F_NONBLOCK));
	fcntl(full[1], F_SETFL, 0);
	/* Blocking splice into a full pipe is interrupted by a signal. */
	struct sigaction sa = {0};
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	/* SIGALRM every 50 ms until the splice returns: one comes while it
	 * blocks however late a loaded machine lets it start. */
	struct itimerval every = {{0, 50000}, {0, 50000}}, off_timer = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &every, NULL);
	CHECK("blocked splice interrupted", splice(f, &off, full[1], NULL, 1, 0));
	setitimer(ITIMER_REAL, &off_timer, NULL);
	/* vmsplice fills what fits, then returns. */
	char chunk[8192];
	read(full[0], chunk, sizeof chunk);
	memset(big, 'v', sizeof big);
	struct iovec vb[3] = {{big, 4096}, {big, 4096}, {big, 4096}};
	CHECK("vmsplice partial", vmsplice(full[1], vb, 3, 0));
	drain("p still has w", p[0]);

	/* A blocked splice from an empty pipe wakes when a child writes. */
	int w[2];
	pipe(w);
	pid_t c = fork();
	if (c == 0) {
		usleep(100000);
		write(w[1], "late", 4);
		_exit(0);
	}
	close(w[1]);
	CHECK("blocked splice woken", splice(w[0], NULL, q[1], NULL, 100, 0));
	waitpid(c, NULL, 0);
	drain("q got", q[0]);

	/* Large transfer through two pipes keeps the bytes. */
	int big1[2], big2[2];
	pipe(big1);
	pipe(big2);
	c = fork();
	if (c == 0) {
		char buf[1000];
		for (int i = 0; i < 300; i++) {
			memset(buf, 'a' + i % 26, sizeof buf);
			write(big1[1], buf, sizeof buf);
		}
		_exit(0);
	}
	close(big1[1]);
	pid_t c2 = fork();
	if (c2 == 0) {
		close(big2[0]);
		while (splice(big1[0], NULL, big2[1], NULL, 1 << 20, 0) > 0)
			;
		_exit(0);
	}
	close(big1[0]);
	close(big2[1]);
	long sum = 0, count = 0;
	char rb[4096];
	int n;
	while ((n = read(big2[0], rb, sizeof rb)) > 0)
		for (int i = 0; i < n; i++, count++)
			sum += rb[i] * (count % 7 + 1);
	waitpid(c, NULL, 0);
	waitpid(c2, NULL, 0);
	printf("relayed %ld bytes, checksum %ld\n", count, sum);

	unlink("data");
	unlink("out");
	chdir("/");
	rmdir(dir);
	return 0;
}
