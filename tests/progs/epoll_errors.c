/* epoll_create, epoll_ctl and epoll_wait error cases, in Linux's order:
 * EINVAL sizes and flags, EBADF, EPERM for files that cannot be polled,
 * EINVAL for non-epoll fds and self-watching, EEXIST/ENOENT, the
 * EPOLLEXCLUSIVE rules, ELOOP for cycles and deep nesting, EFAULT. */
#include "epoll_common.h"
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>

static volatile int neg = -1, huge = 0x7fffffff;

int main(void) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1};
	struct epoll_event out[4];

	CHECK("epoll_create(0)", epoll_create(0));
	CHECK("epoll_create(-1)", epoll_create(-1));
	int ep = epoll_create(1);
	CHECKOK("epoll_create(1)", ep);
	CHECK("epoll_create1(bad flags)", epoll_create1(1));
	CHECK("epoll_create1(O_NONBLOCK)", epoll_create1(O_NONBLOCK));
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECKOK("epoll_create1(EPOLL_CLOEXEC)", ep2);
	CHECK("cloexec flag", fcntl(ep2, F_GETFD));
	CHECK("F_GETFL", fcntl(ep2, F_GETFL) & ~0100000);

	int efd = eventfd(0, 0);
	int dir = open("/", O_RDONLY | O_DIRECTORY);
	char path[64];
	snprintf(path, sizeof path, "/tmp/kite-epoll-%d", (int)getpid());
	int reg = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	unlink(path);
	int null = open("/dev/null", O_RDWR);
	int opath = open("/", O_PATH);

	CHECK("ctl bad epfd", epoll_ctl(-1, EPOLL_CTL_ADD, efd, &ev));
	CHECK("ctl closed epfd", epoll_ctl(999, EPOLL_CTL_ADD, efd, &ev));
	CHECK("ctl bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
	CHECK("ctl bad event ptr", epoll_ctl(ep, EPOLL_CTL_ADD, efd, bad));
	CHECK("ctl bad event ptr and bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, bad));
	CHECK("ctl del with NULL event", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	CHECK("ctl regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev));
	CHECK("ctl directory", epoll_ctl(ep, EPOLL_CTL_ADD, dir, &ev));
	CHECK("ctl /dev/null", epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev));
	CHECK("ctl O_PATH target", epoll_ctl(ep, EPOLL_CTL_ADD, opath, &ev));
	CHECK("ctl O_PATH epfd", epoll_ctl(opath, EPOLL_CTL_ADD, efd, &ev));
	CHECK("ctl regular file as epfd, regular target", epoll_ctl(reg, EPOLL_CTL_ADD, reg, &ev));
	CHECK("ctl eventfd as epfd", epoll_ctl(efd, EPOLL_CTL_ADD, ep, &ev));
	CHECK("ctl self", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	CHECK("ctl mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	CHECK("ctl del missing", epoll_ctl(ep, EPOLL_CTL_DEL, efd, &ev));
	CHECK("ctl bad op", epoll_ctl(ep, 42, efd, &ev));
	CHECK("ctl bad op, NULL event", epoll_ctl(ep, 42, efd, NULL));
	CHECK("ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	CHECK("ctl add again", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	CHECK("ctl bad op on existing", epoll_ctl(ep, 0, efd, &ev));
	CHECK("ctl mod", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	int dup1 = dup(efd);
	CHECK("ctl add dup", epoll_ctl(ep, EPOLL_CTL_ADD, dup1, &ev));
	CHECK("ctl del dup", epoll_ctl(ep, EPOLL_CTL_DEL, dup1, NULL));
	CHECK("ctl del dup again", epoll_ctl(ep, EPOLL_CTL_DEL, dup1, NULL));
	CHECK("ctl del", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));

	struct epoll_event x = {.events = EPOLLIN | EPOLLEXCLUSIVE};
	CHECK("exclusive mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &x));
	x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	CHECK("exclusive+oneshot", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &x));
	x.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	CHECK("exclusive+rdhup", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &x));
	x.events = EPOLLIN | EPOLLEXCLUSIVE;
	CHECK("exclusive epoll target", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &x));
	x.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLEXCLUSIVE | EPOLLWAKEUP;
	CHECK("exclusive add", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &x));
	x.events = EPOLLIN;
	CHECK("mod of exclusive item", epoll_ctl(ep, EPOLL_CTL_MOD, efd, &x));
	CHECK("del of exclusive item", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));
	x.events = EPOLLIN | EPOLLWAKEUP | EPOLLRDHUP | EPOLLPRI;
	CHECK("add wakeup+rdhup+pri", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &x));
	CHECK("del", epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));

	/* Nesting: a chain of five instances is the deepest allowed. */
	int e[7];
	for (int i = 0; i < 7; i++) e[i] = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 1; i < 6; i++) {
		char l[64];
		snprintf(l, sizeof l, "nest e%d into e%d", i - 1, i);
		CHECK(l, epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev));
	}
	CHECK("cycle e0 <- e3", epoll_ctl(e[0], EPOLL_CTL_ADD, e[3], &ev));
	CHECK("cycle e2 <- e4", epoll_ctl(e[2], EPOLL_CTL_ADD, e[4], &ev));
	CHECK("existing item that would loop", epoll_ctl(e[1], EPOLL_CTL_ADD, e[0], &ev));
	CHECK("second parent of e0", epoll_ctl(e[6], EPOLL_CTL_ADD, e[0], &ev));
	CHECK("e6 under e4", epoll_ctl(e[4], EPOLL_CTL_ADD, e[6], &ev));
	CHECK("e6 under e3", epoll_ctl(e[3], EPOLL_CTL_ADD, e[6], &ev));
	CHECK("del e3 from e4", epoll_ctl(e[4], EPOLL_CTL_DEL, e[3], NULL));
	CHECK("mod e2 in e3", epoll_ctl(e[3], EPOLL_CTL_MOD, e[2], &ev));

	CHECK("wait maxevents 0", epoll_wait(ep, out, 0, 0));
	CHECK("wait maxevents -1", epoll_wait(ep, out, neg, 0));
	CHECK("wait maxevents huge", epoll_wait(ep, out, huge, 0));
	CHECK("wait maxevents 0, bad fd", epoll_wait(-1, out, 0, 0));
	CHECK("wait bad fd", epoll_wait(-1, out, 4, 0));
	CHECK("wait not epoll", epoll_wait(efd, out, 4, 0));
	CHECK("wait not epoll, kernel address", epoll_wait(efd, (void *)0xffff800000000000ul, 4, 0));
	CHECK("wait O_PATH, maxevents 0", epoll_wait(opath, out, 0, 0));
	CHECK("wait O_PATH", epoll_wait(opath, out, 4, 0));
	CHECK("wait kernel address", epoll_wait(ep, (void *)0xffff800000000000ul, 4, 0));
	CHECK("wait kernel address, bad fd", epoll_wait(-1, (void *)0xffff800000000000ul, 4, 0));
	CHECK("wait unmapped, nothing ready", epoll_wait(ep, bad, 4, 0));
	CHECK("wait empty", epoll_wait(ep, out, 4, 0));
	CHECK("wait 10ms", epoll_wait(ep, out, 4, 10));

	CHECK("add for EFAULT", epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	uint64_t one = 1;
	CHECK("write", write(efd, &one, 8));
	CHECK("wait unmapped, one ready", epoll_wait(ep, bad, 4, 0));
	CHECK("event still ready", epoll_wait(ep, out, 4, 0));

	sigset_t m;
	sigemptyset(&m);
	CHECK("pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep, out, 4, 0, &m, 4));
	CHECK("pwait bad sigset ptr", syscall(SYS_epoll_pwait, ep, out, 4, 0, bad, 8));
	CHECK("pwait bad sigset, bad maxevents", syscall(SYS_epoll_pwait, ep, out, 0, 0, bad, 8));
	CHECK("pwait bad maxevents", syscall(SYS_epoll_pwait, ep, out, 0, 0, &m, 8));
	CHECK("pwait NULL mask, bad size", syscall(SYS_epoll_pwait, ep, out, 4, 0, NULL, 3));
	CHECK("pwait", syscall(SYS_epoll_pwait, ep, out, 4, 0, &m, 8));
	struct timespec ts = {0, 0};
	CHECK("pwait2 zero", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
	ts.tv_nsec = 1000000000;
	CHECK("pwait2 bad nsec", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
	ts.tv_sec = -1; ts.tv_nsec = 0;
	CHECK("pwait2 negative", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, NULL, 8));
	CHECK("pwait2 bad timeout ptr", syscall(SYS_epoll_pwait2, ep, out, 4, bad, NULL, 8));
	CHECK("pwait2 bad timeout, bad maxevents", syscall(SYS_epoll_pwait2, ep, out, 0, bad, NULL, 8));
	ts.tv_sec = 0; ts.tv_nsec = 1000;
	CHECK("pwait2 bad sigsetsize", syscall(SYS_epoll_pwait2, ep, out, 4, &ts, &m, 16));

	/* epoll files: no read, write or pread; lseek succeeds and does nothing. */
	char buf[16];
	CHECK("read epoll", read(ep, buf, sizeof buf));
	CHECK("write epoll", write(ep, buf, sizeof buf));
	CHECK("pread epoll", pread(ep, buf, sizeof buf, 0));
	return 0;
}
