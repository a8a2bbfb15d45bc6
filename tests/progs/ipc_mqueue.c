/* POSIX message queues: mq_open's flags, attributes and errors, priority
 * order, O_NONBLOCK and timeouts, mq_getsetattr, mq_notify with a signal
 * (SI_MESGQ, sender's pid), poll readiness, a receiver blocked until
 * another process sends, mq_unlink, and the queue file read through a
 * mounted mqueue file system. The calls are made directly (no -lrt). */
#include "file_common.h"
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>

struct mqattr { long flags, maxmsg, msgsize, curmsgs, pad[4]; };

static int mqopen(const char *name, int oflag, int mode, struct mqattr *a) {
	return syscall(SYS_mq_open, name, oflag, mode, a);
}
static int mqsend(int q, const char *m, size_t n, unsigned prio, struct timespec *ts) {
	return syscall(SYS_mq_timedsend, q, m, n, prio, ts);
}
static long mqrecv(int q, char *m, size_t n, unsigned *prio, struct timespec *ts) {
	return syscall(SYS_mq_timedreceive, q, m, n, prio, ts);
}
static int mqattr(int q, struct mqattr *n, struct mqattr *o) { return syscall(SYS_mq_getsetattr, q, n, o); }

static void recv1(int q, const char *what) {
	char buf[128] = {0};
	unsigned prio = 99;
	errno = 0;
	long n = mqrecv(q, buf, sizeof buf, &prio, NULL);
	if (n < 0) printf("%s: -1 %s\n", what, errname(errno));
	else printf("%s: %ld '%s' prio %u\n", what, n, buf, prio);
}

static volatile sig_atomic_t got;
static volatile int code, pidok;
static void onsig(int s, siginfo_t *si, void *u) {
	(void)u;
	got = s;
	code = si->si_code;
	pidok = si->si_pid == getpid();
}

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	char name[64];
	snprintf(name, sizeof name, "kite-mq-%d", getpid());
	CHECK("open missing", mqopen(name, O_RDWR, 0, NULL));
	CHECK("open with slash", mqopen("a/b", O_RDWR | O_CREAT, 0600, NULL));
	CHECK("open empty", mqopen("", O_RDWR | O_CREAT, 0600, NULL));
	struct mqattr a = {0, 0, 128, 0};
	CHECK("open maxmsg 0", mqopen(name, O_RDWR | O_CREAT, 0600, &a));
	a.maxmsg = 4;
	a.msgsize = 100000;
	CHECK("open msgsize too big", mqopen(name, O_RDWR | O_CREAT, 0600, &a));
	a.msgsize = 64;
	int q = mqopen(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a);
	CHECKOK("create", q);
	CHECK("create excl again", mqopen(name, O_RDWR | O_CREAT | O_EXCL, 0600, &a));
	CHECK("open existing with accmode 3", mqopen(name, 3, 0, NULL));
	int ro = mqopen(name, O_RDONLY, 0, NULL);
	CHECKOK("open read-only", ro);
	struct mqattr o;
	CHECK("getattr", mqattr(q, NULL, &o));
	printf("attr: flags %lx maxmsg %ld msgsize %ld curmsgs %ld\n", o.flags, o.maxmsg, o.msgsize, o.curmsgs);

	struct pollfd p = {q, POLLIN | POLLOUT, 0};
	poll(&p, 1, 0);
	printf("poll empty: in %d out %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
	CHECK("send low", mqsend(q, "low", 4, 1, NULL));
	CHECK("send high", mqsend(q, "high", 5, 10, NULL));
	CHECK("send mid", mqsend(q, "mid", 4, 5, NULL));
	CHECK("send mid2", mqsend(q, "mid2", 5, 5, NULL));
	poll(&p, 1, 0);
	printf("poll full: in %d out %d\n", !!(p.revents & POLLIN), !!(p.revents & POLLOUT));
	struct timespec past = {1, 0};
	CHECK("send full timeout", mqsend(q, "x", 2, 0, &past));
	struct mqattr nb = {O_NONBLOCK};
	CHECK("set nonblock", mqattr(q, &nb, NULL));
	CHECK("send full nonblock", mqsend(q, "x", 2, 0, NULL));
	CHECK("send too long", mqsend(q, name, 65, 0, NULL));
	CHECK("send prio too big", mqsend(q, "x", 2, 40000, NULL));
	CHECK("send on read-only fd", mqsend(ro, "x", 2, 0, NULL));
	CHECK("send bad fd", mqsend(0, "x", 2, 0, NULL));
	mqattr(q, NULL, &o);
	printf("attr: flags %lx curmsgs %ld\n", o.flags, o.curmsgs);
	char small[8];
	CHECK("receive small buffer", mqrecv(q, small, sizeof small, NULL, NULL));
	recv1(ro, "recv");
	recv1(q, "recv");
	recv1(q, "recv");
	recv1(q, "recv");
	recv1(q, "recv empty nonblock");
	struct timespec bad_ts = {0, 2000000000};
	CHECK("receive bad timeout", mqrecv(ro, small, 64, NULL, &bad_ts));
	CHECK("receive timeout", mqrecv(ro, (char[64]){0}, 64, NULL, &past));

	/* Notification by signal when the empty queue gets a message. */
	struct sigaction sa = {0};
	sa.sa_sigaction = onsig;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	CHECK("notify", syscall(SYS_mq_notify, q, &ev));
	CHECK("notify again from same process", syscall(SYS_mq_notify, q, &ev));
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		CHECK("notify from another process", syscall(SYS_mq_notify, q, &ev));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	CHECK("send to notify", mqsend(q, "ping", 5, 0, NULL));
	printf("signal %d code %d sender-pid %d\n", got == SIGUSR1, code, pidok);
	recv1(q, "recv");
	ev.sigev_notify = 99;
	CHECK("notify bad kind", syscall(SYS_mq_notify, q, &ev));
	CHECK("notify remove", syscall(SYS_mq_notify, q, NULL));

	/* A blocked receiver and a sender in another process. */
	int bq = mqopen(name, O_RDONLY, 0, NULL);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		int w = mqopen(name, O_WRONLY, 0, NULL);
		mqsend(w, "from child", 11, 3, NULL);
		_exit(0);
	}
	recv1(bq, "blocking recv");
	waitpid(c, NULL, 0);

	/* The queue as a file of a mounted mqueue file system. */
	mkdir("/tmp/kite-mqfs", 0755);
	if (mount("mqueue", "/tmp/kite-mqfs", "mqueue", 0, NULL) == 0) {
		char path[128], text[128] = {0};
		mqsend(q, "abc", 3, 0, NULL);
		snprintf(path, sizeof path, "/tmp/kite-mqfs/%s", name);
		int fd = open(path, O_RDONLY);
		read(fd, text, sizeof text - 1);
		close(fd);
		printf("queue file: %s", text);
		struct stat st;
		stat(path, &st);
		printf("mode %o size %ld\n", st.st_mode, (long)st.st_size);
		umount("/tmp/kite-mqfs");
	} else {
		printf("mount mqueue: %s\n", errname(errno));
	}
	rmdir("/tmp/kite-mqfs");

	CHECK("unlink", syscall(SYS_mq_unlink, name));
	CHECK("unlink again", syscall(SYS_mq_unlink, name));
	CHECK("open after unlink", mqopen(name, O_RDONLY, 0, NULL));
	recv1(q, "still usable after unlink");
	return 0;
}
