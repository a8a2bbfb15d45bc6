/* O_ASYNC I/O signals: F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX,
 * F_SETSIG, F_GETSIG, FIOASYNC and the sockets' FIOSETOWN/SIOCGPGRP, with
 * SIGIO (or the F_SETSIG signal with si_code, si_band and si_fd) from
 * Unix stream, datagram and listening sockets, pipes and FIFOs. The
 * signals are blocked and collected with sigtimedwait, so each step shows
 * exactly what it queued. */
#include "sock_common.h"

static int fdname[1024];

static void name(int fd, int n) { if (fd >= 0 && fd < 1024) fdname[fd] = n; }

/* collect prints every pending SIGIO, SIGURG and SIGRTMIN. */
static void collect(const char *label) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGURG);
	sigaddset(&set, SIGRTMIN);
	struct timespec zero = {0, 0};
	siginfo_t si;
	int n = 0;
	printf("%s:", label);
	while (sigtimedwait(&set, &si, &zero) > 0) {
		n++;
		if (si.si_signo == SIGRTMIN)
			printf(" RTMIN(code=%d band=%#lx fd=%d)", si.si_code, (long)si.si_band,
			       si.si_fd >= 0 && si.si_fd < 1024 ? fdname[si.si_fd] : -1);
		else
			printf(" %s(code=%#x)", si.si_signo == SIGIO ? "SIGIO" : "SIGURG", si.si_code);
	}
	if (!n)
		printf(" none");
	printf("\n");
}

static void async_on(int fd, int sig) {
	fcntl(fd, F_SETOWN, getpid());
	if (sig)
		fcntl(fd, F_SETSIG, sig);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_ASYNC);
}

int main(void) {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	sigaddset(&set, SIGURG);
	sigaddset(&set, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &set, NULL);
	char buf[4096];
	int sv[2];

	/* The owner commands. */
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	name(sv[0], 100); name(sv[1], 101);
	CHECK("F_GETOWN new", fcntl(sv[1], F_GETOWN));
	struct f_owner_ex ex = {99, 99};
	CHECK("F_GETOWN_EX new", fcntl(sv[1], F_GETOWN_EX, &ex));
	printf("type=%d pid=%d\n", ex.type, ex.pid);
	CHECK("F_GETSIG new", fcntl(sv[1], F_GETSIG));
	CHECK("F_SETOWN self", fcntl(sv[1], F_SETOWN, getpid()));
	printf("F_GETOWN is self: %d\n", fcntl(sv[1], F_GETOWN) == getpid());
	CHECK("F_GETOWN_EX", fcntl(sv[1], F_GETOWN_EX, &ex));
	printf("type=%d self=%d\n", ex.type, ex.pid == getpid());
	CHECK("F_SETOWN no such pid", fcntl(sv[1], F_SETOWN, 0x3ffffff0));
	printf("F_GETOWN still self: %d\n", fcntl(sv[1], F_GETOWN) == getpid());
	CHECK("F_SETOWN INT_MIN", fcntl(sv[1], F_SETOWN, -2147483647 - 1));
	CHECK("F_SETOWN -pgrp", fcntl(sv[1], F_SETOWN, -getpgrp()));
	printf("F_GETOWN is -pgrp: %d\n", fcntl(sv[1], F_GETOWN) == -getpgrp());
	CHECK("F_GETOWN_EX", fcntl(sv[1], F_GETOWN_EX, &ex));
	printf("type=%d pgrp=%d\n", ex.type, ex.pid == getpgrp());
	ex.type = F_OWNER_TID; ex.pid = syscall(SYS_gettid);
	CHECK("F_SETOWN_EX tid", fcntl(sv[1], F_SETOWN_EX, &ex));
	CHECK("F_GETOWN_EX", fcntl(sv[1], F_GETOWN_EX, &ex));
	printf("type=%d tid=%d\n", ex.type, ex.pid == syscall(SYS_gettid));
	ex.type = 3; ex.pid = getpid();
	CHECK("F_SETOWN_EX bad type", fcntl(sv[1], F_SETOWN_EX, &ex));
	ex.type = F_OWNER_PID; ex.pid = 0x3ffffff0;
	CHECK("F_SETOWN_EX no such pid", fcntl(sv[1], F_SETOWN_EX, &ex));
	ex.type = F_OWNER_PID; ex.pid = -5;
	CHECK("F_SETOWN_EX negative", fcntl(sv[1], F_SETOWN_EX, &ex));
	CHECK("F_SETOWN_EX bad pointer", fcntl(sv[1], F_SETOWN_EX, (void *)8));
	CHECK("F_GETOWN_EX bad pointer", fcntl(sv[1], F_GETOWN_EX, (void *)8));
	CHECK("F_SETOWN 0", fcntl(sv[1], F_SETOWN, 0));
	CHECK("F_GETOWN", fcntl(sv[1], F_GETOWN));
	CHECK("F_GETOWN_EX", fcntl(sv[1], F_GETOWN_EX, &ex));
	printf("type=%d pid=%d\n", ex.type, ex.pid);
	CHECK("F_SETSIG 65", fcntl(sv[1], F_SETSIG, 65));
	CHECK("F_SETSIG -1", fcntl(sv[1], F_SETSIG, -1));
	CHECK("F_SETSIG 64", fcntl(sv[1], F_SETSIG, 64));
	CHECK("F_GETSIG", fcntl(sv[1], F_GETSIG));
	CHECK("F_SETSIG 0", fcntl(sv[1], F_SETSIG, 0));
	int own = 0;
	CHECK("FIOSETOWN", ioctl(sv[1], 0x8901, &(int){getpid()}));
	CHECK("SIOCGPGRP", ioctl(sv[1], 0x8904, &own));
	printf("owner is self: %d\n", own == getpid());
	int d = dup(sv[1]);
	printf("dup shares owner: %d\n", fcntl(d, F_GETOWN) == getpid());
	close(d);
	collect("nothing yet");

	/* Stream socket: plain SIGIO, then F_SETSIG's signal with its info. */
	CHECK("write, no O_ASYNC", write(sv[0], "a", 1));
	collect("no O_ASYNC");
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) | O_ASYNC);
	printf("O_ASYNC in F_GETFL: %d\n", (fcntl(sv[1], F_GETFL) & O_ASYNC) != 0);
	CHECK("write", write(sv[0], "b", 1));
	collect("stream SIGIO");
	fcntl(sv[1], F_SETSIG, SIGRTMIN);
	CHECK("write", write(sv[0], "c", 1));
	CHECK("write", write(sv[0], "d", 1));
	collect("stream F_SETSIG");
	CHECK("read", read(sv[1], buf, sizeof buf));
	collect("after read");
	CHECK("shutdown SHUT_RD of writer", shutdown(sv[0], SHUT_RD));
	collect("peer SHUT_RD");
	CHECK("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
	collect("peer SHUT_WR");
	close(sv[0]);
	collect("peer closed");
	fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) & ~O_ASYNC);
	close(sv[1]);

	/* FIOASYNC and the POLL_OUT that room gives a writer that found
	 * the buffer full. */
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	name(sv[0], 200); name(sv[1], 201);
	fcntl(sv[0], F_SETOWN, getpid());
	fcntl(sv[0], F_SETSIG, SIGRTMIN);
	CHECK("FIOASYNC on", ioctl(sv[0], FIOASYNC, &(int){1}));
	printf("O_ASYNC in F_GETFL: %d\n", (fcntl(sv[0], F_GETFL) & O_ASYNC) != 0);
	fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_NONBLOCK);
	long total = 0, n;
	while ((n = write(sv[0], buf, sizeof buf)) > 0)
		total += n;
	printf("filled: %s\n", errname(errno));
	collect("full");
	while (total > 0 && (n = read(sv[1], buf, sizeof buf)) > 0)
		total -= n;
	collect("drained");
	CHECK("write again", write(sv[0], "x", 1));
	CHECK("read", read(sv[1], buf, 1));
	collect("no NOSPACE");
	CHECK("FIOASYNC off", ioctl(sv[0], FIOASYNC, &(int){0}));
	close(sv[1]);
	collect("O_ASYNC off, peer closed");
	close(sv[0]);

	/* Datagrams. */
	CHECK("socketpair dgram", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	name(sv[0], 300); name(sv[1], 301);
	async_on(sv[1], SIGRTMIN);
	CHECK("send", send(sv[0], "x", 1, 0));
	CHECK("send", send(sv[0], "y", 1, 0));
	collect("dgram");
	close(sv[0]);
	collect("dgram peer closed");
	close(sv[1]);

	/* A listener hears of connections. */
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	name(l, 400);
	struct sockaddr_un sa = {AF_UNIX};
	snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "kite-async-%d", getpid());
	socklen_t sl = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(sa.sun_path + 1);
	CHECK("bind", bind(l, (struct sockaddr *)&sa, sl));
	CHECK("listen", listen(l, 5));
	async_on(l, SIGRTMIN);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK("connect", connect(c, (struct sockaddr *)&sa, sl));
	collect("listener");
	close(c);
	close(l);

	/* Another process writes: the owner hears of it. */
	CHECK("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	name(sv[0], 500); name(sv[1], 501);
	async_on(sv[1], SIGRTMIN);
	pid_t child = fork();
	if (child == 0) {
		write(sv[0], "z", 1);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	collect("write from child");
	close(sv[0]);
	close(sv[1]);
	collect("closed own ends");

	/* Pipes: writes signal an O_ASYNC reader POLL_IN, reads an O_ASYNC
	 * writer POLL_OUT. */
	int p[2];
	CHECK("pipe", pipe(p));
	name(p[0], 600); name(p[1], 601);
	async_on(p[0], SIGRTMIN);
	CHECK("write", write(p[1], "hello", 5));
	collect("pipe reader");
	async_on(p[1], SIGRTMIN);
	CHECK("read", read(p[0], buf, 2));
	collect("pipe read");
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	CHECK("read", read(p[0], buf, sizeof buf));
	CHECK("read empty", read(p[0], buf, sizeof buf));
	collect("pipe reads");
	close(p[1]);
	collect("pipe writer closed");
	close(p[0]);
	CHECK("pipe", pipe(p));
	name(p[0], 610); name(p[1], 611);
	fcntl(p[0], F_SETOWN, getpid());
	fcntl(p[0], F_SETFL, O_ASYNC);
	CHECK("write", write(p[1], "x", 1));
	collect("pipe plain SIGIO");
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	async_on(p[1], SIGRTMIN);
	CHECK("write no reader", write(p[1], "x", 1));
	collect("pipe EPIPE");
	close(p[1]);

	/* A FIFO opened for reading and writing. */
	char path[64];
	snprintf(path, sizeof path, "/tmp/kite-async-fifo-%d", getpid());
	CHECK("mkfifo", mkfifo(path, 0600));
	int f = open(path, O_RDWR | O_NONBLOCK);
	name(f, 700);
	async_on(f, SIGRTMIN);
	CHECK("write fifo", write(f, "ab", 2));
	collect("fifo write");
	CHECK("read fifo", read(f, buf, 2));
	collect("fifo read");
	close(f);
	unlink(path);
	return 0;
}
