/* More splice: devices, FIFOs, large pipes, the tee+splice pattern of
 * tee(2)'s man page, SIGPIPE's default action, zero-length and huge
 * counts. Only into pipes and files this program reads back itself. */
#include "pipe_common.h"
#include <sys/time.h>
#include <sys/uio.h>

static volatile int ticks;
/* tick_fd, when set, gets a byte at the first tick. */
static volatile int tick_fd = -1;
static void on_tick(int sig) {
	(void)sig;
	ticks++;
	if (tick_fd >= 0) {
		write(tick_fd, "t", 1);
		tick_fd = -1;
	}
}

/* arm delivers SIGALRM every ms milliseconds (until disarm) to a handler
 * installed with or without SA_RESTART: one comes while a call blocks
 * however late a loaded machine lets the program start it. */
static void arm(int ms, int restart) {
	struct sigaction sa = {0};
	sa.sa_handler = on_tick;
	sa.sa_flags = restart ? SA_RESTART : 0;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, ms * 1000}, {0, ms * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void) {
	struct itimerval it = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static char dir[64];

static long sum_fd(int fd, long *count) {
	char buf[4096];
	long sum = 0;
	int n;
	*count = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (int i = 0; i < n; i++, (*count)++)
			sum += (unsigned char)buf[i] * (*count % 5 + 1);
	return sum;
}

int main(void) {
	snprintf(dir, sizeof dir, "/tmp/kite-splice2-%d", (int)getpid());
	if (mkdir(dir, 0755) < 0 || chdir(dir) < 0) {
		printf("setup: %s\n", strerror(errno));
		return 1;
	}
	int p[2], q[2];
	pipe(p);
	pipe(q);

	/* /dev/zero into a pipe, a pipe into /dev/null. */
	int zero = open("/dev/zero", O_RDONLY), null = open("/dev/null", O_WRONLY);
	CHECK("zero to pipe", splice(zero, NULL, p[1], NULL, 10000, 0));
	CHECK("FIONREAD", ({ int v = 0; ioctl(p[0], FIONREAD, &v); v; }));
	CHECK("pipe to null", splice(p[0], NULL, null, NULL, 100000, 0));
	CHECK("FIONREAD after", ({ int v = 0; ioctl(p[0], FIONREAD, &v); v; }));

	/* vmsplice on a file with nothing to move: the iovec count is
	 * checked first. */
	int f = open("data", O_RDWR | O_CREAT, 0644);
	CHECK("vmsplice file no segs", vmsplice(f, NULL, 0, 0));
	CHECK("vmsplice O_PATH", vmsplice(open("data", O_PATH), NULL, 0, 0));
	CHECK("O_PATH in, bad offset", splice(open("data", O_PATH), (loff_t *)8, q[1], NULL, 1, 0));
	CHECK("tee O_PATH", tee(open("data", O_PATH), q[1], 1, 0));

	/* A big pipe takes a big splice from a file in one call. */
	char block[4096];
	for (int i = 0; i < 256; i++) {
		memset(block, 'A' + i % 26, sizeof block);
		write(f, block, sizeof block);
	}
	CHECK("set pipe size", fcntl(q[1], F_SETPIPE_SZ, 1 << 20));
	loff_t off = 0;
	CHECK("1 MiB file to pipe", splice(f, &off, q[1], NULL, 1 << 20, 0));
	printf("off %lld\n", (long long)off);
	CHECK("FIONREAD big", ({ int v = 0; ioctl(q[0], FIONREAD, &v); v; }));
	int g = open("copy", O_RDWR | O_CREAT | O_TRUNC, 0644);
	long moved = 0, r;
	while ((r = splice(q[0], NULL, g, NULL, 1 << 20, SPLICE_F_NONBLOCK)) > 0)
		moved += r;
	printf("pipe to file moved %ld, last %ld %s\n", moved, r, r < 0 ? errname(errno) : "");
	lseek(g, 0, SEEK_SET);
	long cnt;
	long s1 = sum_fd(g, &cnt);
	lseek(f, 0, SEEK_SET);
	long cnt2;
	long s2 = sum_fd(f, &cnt2);
	printf("copy %ld bytes sum %ld, original %ld bytes sum %ld\n", cnt, s1, cnt2, s2);

	/* A FIFO is a pipe for splice. */
	mkfifo("fifo", 0644);
	int fr = open("fifo", O_RDONLY | O_NONBLOCK);
	int fw = open("fifo", O_WRONLY);
	off = 0;
	CHECK("file to fifo", splice(f, &off, fw, NULL, 5, 0));
	CHECK("fifo to pipe", splice(fr, NULL, p[1], NULL, 100, 0));
	CHECK("fifo empty, O_NONBLOCK", splice(fr, NULL, p[1], NULL, 100, 0));
	CHECK("offset on fifo", splice(f, &off, fw, &off, 5, 0));
	char buf[64] = {0};
	read(p[0], buf, sizeof buf);
	printf("via fifo [%s]\n", buf);

	/* Huge count between pipes and to a file. */
	write(p[1], "huge", 4);
	CHECK("count -1 pipe to pipe", splice(p[0], NULL, q[1], NULL, (size_t)-1, 0));
	CHECK("count -1 pipe to file", splice(q[0], NULL, g, NULL, (size_t)-1, 0));
	CHECK("offset near the end", ({ loff_t o = 0x7ffffffffffffff0LL; splice(q[0], NULL, g, &o, 100, 0); }));

	/* tee then splice: the man page's pattern. */
	int t1[2], t2[2];
	pipe(t1);
	pipe(t2);
	write(t1[1], "pattern", 7);
	close(t1[1]);
	int out = open("teeout", O_RDWR | O_CREAT | O_TRUNC, 0644);
	for (;;) {
		long n = tee(t1[0], t2[1], 1 << 20, SPLICE_F_NONBLOCK);
		printf("tee %ld %s\n", n, n < 0 ? errname(errno) : "");
		if (n <= 0) break;
		while (n > 0) {
			long m = splice(t1[0], NULL, out, NULL, n, SPLICE_F_MOVE);
			if (m <= 0) break;
			n -= m;
		}
	}
	memset(buf, 0, sizeof buf);
	read(t2[0], buf, sizeof buf);
	printf("tee side [%s]\n", buf);
	memset(buf, 0, sizeof buf);
	pread(out, buf, sizeof buf, 0);
	printf("file side [%s]\n", buf);

	/* tee into a pipe without readers. */
	signal(SIGPIPE, SIG_IGN);
	int z[2];
	pipe(z);
	close(z[0]);
	write(p[1], "t", 1);
	CHECK("tee to readerless pipe", tee(p[0], z[1], 1, 0));
	signal(SIGPIPE, SIG_DFL);

	/* SIGPIPE's default action kills a splicer. */
	pid_t c = fork();
	if (c == 0) {
		off = 0;
		splice(f, &off, z[1], NULL, 1, 0);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	describe("splice to readerless pipe", st);
	c = fork();
	if (c == 0) {
		vmsplice(z[1], &(struct iovec){"v", 1}, 1, 0);
		_exit(0);
	}
	waitpid(c, &st, 0);
	describe("vmsplice to readerless pipe", st);

	/* A blocked vmsplice into a full pipe wakes when a reader drains it. */
	int full[2];
	pipe(full);
	fcntl(full[1], F_SETFL, O_NONBLOCK);
	char fill[4096];
	memset(fill, 'f', sizeof fill);
	while (write(full[1], fill, sizeof fill) > 0)
		;
	fcntl(full[1], F_SETFL, 0);
	c = fork();
	if (c == 0) {
		usleep(100000);
		char drain[65536];
		read(full[0], drain, sizeof drain);
		_exit(0);
	}
	static char page[4096] __attribute__((aligned(4096)));
	CHECK("blocked vmsplice woken", vmsplice(full[1], &(struct iovec){page, sizeof page}, 1, 0));
	waitpid(c, NULL, 0);

	/* vmsplice ignores the pipe's O_NONBLOCK: it blocks until a signal. */
	int nb[2];
	pipe2(nb, O_NONBLOCK);
	char rbuf[8];
	arm(50, 0);
	CHECK("vmsplice from empty O_NONBLOCK pipe", vmsplice(nb[0], &(struct iovec){rbuf, sizeof rbuf}, 1, 0));
	disarm();
	/* splice does not: O_NONBLOCK on the input pipe is EAGAIN. */
	CHECK("splice from empty O_NONBLOCK pipe to file", splice(nb[0], NULL, g, NULL, 8, 0));

	/* A blocked splice is restarted after an SA_RESTART handler: the
	 * child writes only once the handler has run. */
	int rs[2], go[2];
	pipe(rs);
	pipe(go);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		close(go[1]);
		char b;
		read(go[0], &b, 1);
		write(rs[1], "restarted", 9);
		_exit(0);
	}
	close(go[0]);
	ticks = 0;
	tick_fd = go[1];
	arm(50, 1);
	CHECK("splice across SA_RESTART handler", splice(rs[0], NULL, g, NULL, 100, 0));
	disarm();
	printf("handler ran %d\n", ticks > 0);
	waitpid(c, NULL, 0);
	close(go[1]);

	unlink("data");
	unlink("copy");
	unlink("fifo");
	unlink("teeout");
	chdir("/");
	rmdir(dir);
	return 0;
}
