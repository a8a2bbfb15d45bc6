/* preadv2 and pwritev2 with RWF_NOWAIT: EAGAIN where the call would
 * block (an empty pipe, a full one, a socket with nothing to
 * read, also with SO_RCVTIMEO, an eventfd at 0, a timerfd not expired, a
 * signalfd with no signal), a short count where part of it can be done
 * at once, and the data where it is there; the memory devices take it;
 * files that cannot be tried without blocking give EOPNOTSUPP (FIFOs,
 * tmpfs and memfd files, directories, inotify, eventfd writes, /dev/full), as Linux
 * 6.18 has them. */
#include "file_common.h"
#include <netinet/in.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x8
#endif

static long rd(int fd, void *buf, size_t n, off_t off, int flags) {
	struct iovec v = {buf, n};
	return syscall(SYS_preadv2, fd, &v, 1, (long)off, 0L, flags);
}

static long wr(int fd, const void *buf, size_t n, off_t off, int flags) {
	struct iovec v = {(void *)buf, n};
	return syscall(SYS_pwritev2, fd, &v, 1, (long)off, 0L, flags);
}

static char big[200000];

int main(void) {
	char buf[64];
	int p[2];
	if (pipe(p) < 0) return 1;
	CHECK("pipe read empty", rd(p[0], buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("pipe write", wr(p[1], "hello", 5, -1, RWF_NOWAIT));
	CHECK("pipe read", rd(p[0], buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("pipe read at offset", rd(p[0], buf, sizeof buf, 0, RWF_NOWAIT));
	CHECK("pipe read bad flag", rd(p[0], buf, sizeof buf, -1, RWF_NOWAIT | 0x8000));
	CHECK("pipe write big", wr(p[1], big, sizeof big, -1, RWF_NOWAIT));
	CHECK("pipe write full", wr(p[1], "x", 1, -1, RWF_NOWAIT));
	CHECK("pipe drain", rd(p[0], big, sizeof big, -1, RWF_NOWAIT));
	CHECK("pipe read drained", rd(p[0], buf, sizeof buf, -1, RWF_NOWAIT));
	close(p[1]);
	CHECK("pipe read no writer", rd(p[0], buf, sizeof buf, -1, RWF_NOWAIT));
	close(p[0]);

	char fifo[64];
	snprintf(fifo, sizeof fifo, "/dev/shm/kite-rwf-fifo-%d", (int)getpid());
	mkfifo(fifo, 0644);
	int ff = open(fifo, O_RDWR);
	unlink(fifo);
	CHECK("fifo read empty", rd(ff, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("fifo write", wr(ff, "f", 1, -1, RWF_NOWAIT));
	CHECK("fifo read", rd(ff, buf, sizeof buf, -1, RWF_NOWAIT));
	close(ff);

	int s[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0) return 1;
	CHECK("stream read empty", rd(s[0], buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("stream write", wr(s[1], "abc", 3, -1, RWF_NOWAIT));
	CHECK("stream read", rd(s[0], buf, sizeof buf, -1, RWF_NOWAIT));
	struct timeval tv = {100, 0};
	setsockopt(s[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	CHECK("stream read empty with SO_RCVTIMEO", rd(s[0], buf, sizeof buf, -1, RWF_NOWAIT));
	close(s[0]);
	close(s[1]);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, s) < 0) return 1;
	CHECK("dgram read empty", rd(s[0], buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("dgram write", wr(s[1], "abc", 3, -1, RWF_NOWAIT));
	CHECK("dgram read", rd(s[0], buf, sizeof buf, -1, RWF_NOWAIT));
	close(s[0]);
	close(s[1]);

	/* TCP over loopback. */
	int l = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 1) < 0 || getsockname(l, (struct sockaddr *)&a, &al) < 0) return 1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) return 1;
	int acc = accept(l, NULL, NULL);
	CHECK("tcp read empty", rd(acc, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("tcp write", wr(c, "tcp", 3, -1, RWF_NOWAIT));
	CHECK("tcp read", rd(acc, buf, 3, -1, 0));
	CHECK("listener read", rd(l, buf, sizeof buf, -1, RWF_NOWAIT));
	close(acc);
	close(c);
	close(l);

	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	CHECK("timerfd read", rd(tf, buf, 8, -1, RWF_NOWAIT));
	CHECK("timerfd write", wr(tf, buf, 8, -1, RWF_NOWAIT));
	close(tf);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sf = signalfd(-1, &set, 0);
	CHECK("signalfd read", rd(sf, big, sizeof(struct signalfd_siginfo), -1, RWF_NOWAIT));
	CHECK("signalfd write", wr(sf, big, sizeof(struct signalfd_siginfo), -1, RWF_NOWAIT));
	close(sf);
	int in = inotify_init1(0);
	CHECK("inotify read", rd(in, big, 4096, -1, RWF_NOWAIT));
	close(in);

	int e = eventfd(0, 0);
	unsigned long long v = 0;
	CHECK("eventfd read 0", rd(e, &v, 8, -1, RWF_NOWAIT));
	v = 2;
	CHECK("eventfd write", wr(e, &v, 8, -1, RWF_NOWAIT));
	CHECK("eventfd read", rd(e, &v, 8, -1, RWF_NOWAIT));
	printf("eventfd value %llu\n", v);
	v = 0xfffffffffffffffeULL;
	CHECK("eventfd write to max", wr(e, &v, 8, -1, 0));
	v = 1;
	CHECK("eventfd write full", wr(e, &v, 8, -1, RWF_NOWAIT));
	close(e);
	e = eventfd(0, EFD_SEMAPHORE);
	CHECK("eventfd write plain", wr(e, &v, 8, -1, 0));
	CHECK("eventfd semaphore read", rd(e, &v, 8, -1, RWF_NOWAIT));
	CHECK("eventfd semaphore read empty", rd(e, &v, 8, -1, RWF_NOWAIT));
	CHECK("eventfd bad flag", rd(e, &v, 8, -1, RWF_NOWAIT | 0x8000));
	CHECK("eventfd nowait and append flags", rd(e, &v, 8, -1, RWF_NOWAIT | 0x30));
	close(e);

	char path[64];
	snprintf(path, sizeof path, "/dev/shm/kite-rwf-nowait-%d", (int)getpid());
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	unlink(path);
	CHECK("tmpfs write", wr(f, "data", 4, 0, RWF_NOWAIT));
	CHECK("tmpfs write at file offset", wr(f, "more", 4, -1, RWF_NOWAIT));
	memset(buf, 0, sizeof buf);
	CHECK("tmpfs read", rd(f, buf, sizeof buf, 0, RWF_NOWAIT));
	printf("tmpfs data %s\n", buf);
	CHECK("tmpfs read past end", rd(f, buf, sizeof buf, 100, RWF_NOWAIT));
	CHECK("tmpfs write hole", wr(f, "z", 1, 1 << 20, RWF_NOWAIT));
	CHECK("tmpfs read hole", rd(f, buf, sizeof buf, 4096, RWF_NOWAIT));
	close(f);
	int m = syscall(SYS_memfd_create, "nowait", 0);
	CHECK("memfd write", wr(m, "data", 4, 0, RWF_NOWAIT));
	CHECK("memfd read", rd(m, buf, sizeof buf, 0, RWF_NOWAIT));
	close(m);

	int z = open("/dev/zero", O_RDWR);
	CHECK("dev zero read", rd(z, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("dev zero write", wr(z, buf, sizeof buf, -1, RWF_NOWAIT));
	close(z);
	int n = open("/dev/null", O_RDWR);
	CHECK("dev null read", rd(n, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("dev null write", wr(n, buf, sizeof buf, -1, RWF_NOWAIT));
	close(n);
	int u = open("/dev/urandom", O_RDWR);
	CHECK("dev urandom read", rd(u, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("dev urandom write", wr(u, buf, sizeof buf, -1, RWF_NOWAIT));
	close(u);
	int full = open("/dev/full", O_RDWR);
	CHECK("dev full read", rd(full, buf, sizeof buf, -1, RWF_NOWAIT));
	CHECK("dev full write", wr(full, buf, sizeof buf, -1, RWF_NOWAIT));
	close(full);
	int d = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	CHECK("dir read", rd(d, buf, sizeof buf, -1, RWF_NOWAIT));
	close(d);
	return 0;
}
